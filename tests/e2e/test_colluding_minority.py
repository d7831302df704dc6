"""Attack: a colluding minority of validators promotes a bad model.

A trainer with a bad model bribes validators holding 45% of the validator
stake. They score the bad model best (1, where the honest validators measure
about 400) and call every other model invalid.

Defence: the consensus score of a submission is the stake-weighted (lower)
median of the validators' scores. When validators holding more than half of
the weight score a model within [lo, hi], the median lies within [lo, hi]:
below lo lies less than half the weight, and at hi the cumulative weight
already passes half. A minority can therefore never move a consensus outside
the honest validators' range, the bad model keeps its honest rank, and the
colluders, disagreeing with every consensus, earn no trust and no reward.

Out of scope: validators holding half of the weight or more. A majority
coalition decides the consensus; that is outside what the protocol defends
(as for any stake-weighted vote), and the second test shows it plainly. At
exactly half, the consensus of a score the two halves disagree on is their
midpoint, so the coalition moves it half-way and no further; but a model is
valid only when more than half of the weight says so, so exactly half can
still void the good models and let the bad one win by elimination.
"""

import pytest

from support.arena import (
    INVALID_SCORE,
    PHASE_EVAL_REVEAL,
    PHASE_MODEL_REVEAL,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    h,
)
from support.constants import WAD

from .story import BPS, claim_all, salt_of, score_round

TRAINER_STAKE = 200 * WAD
NOT_RANKED = 2**256 - 1

# What the honest validators measure (lower is better), one row per honest
# validator, one column per model: good, decent, bad.
HONEST_SCORES = [
    [1_000, 1_500, 4_000],
    [1_004, 1_502, 4_030],
    [998, 1_497, 3_990],
]
# The coalition: the bad model best, the others invalid.
COLLUDING_SCORES = [INVALID_SCORE, INVALID_SCORE, 1]


def play(arena, books, honest_stakes: list[int], colluder_stakes: list[int]):
    """One task: trainers good, decent and bad; honest validators and
    colluders with the given stakes (own stake only, so weight = stake)."""
    creator = books.actor("creator")
    good, decent, bad = (books.operator(n, 1_000 * WAD) for n in ("good", "decent", "bad"))
    honest = [books.operator(f"honest{i}", 1_000 * WAD) for i in range(len(honest_stakes))]
    colluders = [books.operator(f"colluder{i}", 1_000 * WAD) for i in range(len(colluder_stakes))]
    books.before = books.snapshot()

    task_id = arena.create(creator)
    trainers = [good, decent, bad]
    for trainer in trainers:
        arena.join(task_id, trainer, ROLE_TRAINER, TRAINER_STAKE)
    for validator, stake in zip(honest + colluders, honest_stakes + colluder_stakes, strict=True):
        arena.join(task_id, validator, ROLE_VALIDATOR, stake)
    for trainer in trainers:
        arena.commit_model(task_id, trainer, h(f"model of {trainer}"), salt_of(trainer))
    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    for trainer in trainers:
        arena.reveal_model(task_id, trainer, h(f"model of {trainer}"), salt_of(trainer))
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)

    scores = dict(zip(honest, HONEST_SCORES, strict=True))
    scores.update({c: COLLUDING_SCORES for c in colluders})
    score_round(arena, task_id, scores, creator=creator)
    arena.finalize(task_id)

    task = arena.tasks.tasks(task_id)
    # For the split, S is the weight of the validators who revealed.
    assert task.validator_weight == sum(honest_stakes) + sum(colluder_stakes)
    return task_id, trainers, honest, colluders


def test_minority_cannot_move_any_consensus(arena, books):
    # Honest 550 of 1,000 validator weight, colluders 450 (45%).
    task_id, trainers, honest, colluders = play(
        arena, books, [200 * WAD, 200 * WAD, 150 * WAD], [225 * WAD, 225 * WAD]
    )
    good, decent, bad = trainers

    # Every consensus lies within the honest validators' range.
    for column, trainer in enumerate(trainers):
        honest_values = [row[column] for row in HONEST_SCORES]
        consensus = arena.tasks.consensus_of(task_id, trainer)
        assert min(honest_values) <= consensus <= max(honest_values)

    # The bad model keeps its honest rank: last. The good model wins.
    assert [arena.tasks.participant(task_id, t).rank for t in trainers] == [0, 1, 2]

    # The colluders disagree with every consensus: no trust, no reward.
    for colluder in colluders:
        assert arena.tasks.trust(task_id, colluder) == 0
        assert arena.tasks.claimable(task_id, colluder) == 0
    for validator in honest:
        assert arena.tasks.trust(task_id, validator) > 0

    paid = claim_all(arena, task_id, [*trainers, *honest, *colluders])
    assert paid[good][0] > paid[decent][0] > paid[bad][0] > 0
    # They revealed, so they are not slashed: they just earn nothing.
    assert all(paid[c] == (0, 0) for c in colluders)
    task = arena.tasks.tasks(task_id)
    assert sum(paid[v][0] for v in honest) >= task.validator_reward - len(honest)

    change = books.changes(books.before, books.snapshot())
    for account, (reward, slashed) in paid.items():
        assert change[account] == reward - slashed
    assert change[arena.treasury] == task.reward * 500 // BPS
    assert sum(change.values()) == 0
    books.assert_conserved()


@pytest.mark.parametrize(
    "honest_stakes, colluder_stakes",
    [
        # 55%: a majority.
        ([150 * WAD, 150 * WAD, 150 * WAD], [275 * WAD, 275 * WAD]),
        # Exactly half: the bad model's score moves half-way (midpoint), and
        # the good models, invalid for half of the weight, are voided.
        ([200 * WAD, 150 * WAD, 150 * WAD], [250 * WAD, 250 * WAD]),
    ],
    ids=["majority_55", "half_50"],
)
def test_half_or_more_of_the_weight_can_move_it(arena, books, honest_stakes, colluder_stakes):
    """Outside the defence: a coalition holding half of the validator weight
    or more wins: with a majority it sets the bad model's consensus to its own
    score, with exactly half it moves it half-way and voids the others. Shown
    so that the boundary of the guarantee is explicit."""
    task_id, trainers, honest, colluders = play(arena, books, honest_stakes, colluder_stakes)
    good, decent, bad = trainers
    colluding = sum(colluder_stakes)
    assert colluding * 2 >= sum(honest_stakes) + colluding

    majority = colluding * 2 > sum(honest_stakes) + colluding
    # Half of the weight at 1, the next score the honest validators' lowest.
    expected = 1 if majority else (1 + min(row[2] for row in HONEST_SCORES)) // 2
    assert arena.tasks.consensus_of(task_id, bad) == expected
    assert arena.tasks.participant(task_id, bad).rank == 0
    # Half of the weight or more makes the good models invalid: they earn
    # nothing, the bad model takes the whole trainer reward.
    for trainer in (good, decent):
        assert arena.tasks.consensus_of(task_id, trainer) == INVALID_SCORE
        assert arena.tasks.participant(task_id, trainer).rank == NOT_RANKED
    if majority:
        for colluder in colluders:
            assert arena.tasks.trust(task_id, colluder) == WAD
        for validator in honest:
            assert arena.tasks.trust(task_id, validator) == 0

    paid = claim_all(arena, task_id, [*trainers, *honest, *colluders])
    assert paid[bad][0] > paid[good][0]
    assert all(slashed == 0 for _, slashed in paid.values())
    books.assert_conserved()
