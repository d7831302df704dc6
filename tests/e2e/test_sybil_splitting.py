"""Attack: the best trainer splits its stake over several addresses.

Rewards decay by q per rank (q^rank). A trainer with the best model used to
gain by splitting its stake over several addresses, each with a near-copy of
the model (re-saved, a new hash, the same score): its copies took ranks 0, 1,
2, 3 and pushed every other trainer down, so their factors fell from q, q^2
to q^4, q^5 (benchmarks/fairness: +17% over 4 addresses, +43% over 8).

Defence: ranks are shared within the task's tolerance. A submission whose
consensus is within `tolerance_bps` of the best of its rank group takes the
same rank, and the next group takes the next rank (dense ranking), so four
near-copies with 100 each weigh exactly what one address with 400 weighs,
and the other trainers keep their ranks.

What remains: a trainer whose model is within the tolerance of the best one
shares the best rank; the creator picks the tolerance its metric needs (at
most 10%).
"""

import pytest

from support.arena import (
    PHASE_EVAL_REVEAL,
    PHASE_MODEL_REVEAL,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    Arena,
    TaskTerms,
    h,
)
from support.constants import WAD

from .story import claim_all, salt_of, score_round

# The best model's consensus; near-copies land within the 1% tolerance.
BEST = 1_000
OTHERS = [1_100, 1_200]


def play(addresses: int) -> tuple[int, list[int]]:
    """One task: the best trainer stakes 400 ARENA over `addresses` addresses
    (near-copies scoring BEST, BEST + 2, ...), two others 100 each. Returns
    the best trainer's total reward and the others' rewards."""
    arena = Arena()
    creator = arena.actor("creator")
    best = [arena.operator(f"best{i}", 1_000 * WAD) for i in range(addresses)]
    others = [arena.operator(f"other{i}", 1_000 * WAD) for i in range(len(OTHERS))]
    validators = [arena.operator(f"validator{i}", 1_000 * WAD) for i in range(3)]
    terms = TaskTerms()
    task_id = arena.create(creator, terms)
    for account in best:
        arena.join(task_id, account, ROLE_TRAINER, 400 * WAD // addresses)
    for account in others:
        arena.join(task_id, account, ROLE_TRAINER, 100 * WAD)
    for account in validators:
        arena.join(task_id, account, ROLE_VALIDATOR, 100 * WAD)
    trainers = [*best, *others]
    for i, account in enumerate(trainers):
        arena.commit_model(task_id, account, h(f"model {i}"), salt_of(account))
    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    for i, account in enumerate(trainers):
        arena.reveal_model(task_id, account, h(f"model {i}"), salt_of(account))
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    scores = [BEST + 2 * i for i in range(addresses)] + OTHERS
    score_round(arena, task_id, dict.fromkeys(validators, scores), terms, creator)
    arena.finalize(task_id)
    paid = claim_all(arena, task_id, [*trainers, *validators])
    return sum(paid[a][0] for a in best), [paid[a][0] for a in others]


@pytest.mark.parametrize("addresses", [2, 4])
def test_splitting_over_near_copies_earns_nothing_more(addresses):
    alone, others_alone = play(1)
    split, others_split = play(addresses)
    # The same total weight, to the wei up to the rounding of each share.
    assert abs(split - alone) <= addresses
    assert split <= alone
    # And the other trainers keep their ranks and their rewards.
    assert others_split == others_alone
