"""Attack: a validator that never reveals its scores.

A validator joins a task for its share of the validator reward but does not
do the evaluation: it commits to something, or to nothing, and never reveals,
perhaps hoping that a big stake counts for something anyway, or that silence
costs nothing.

Defence: a validator that did not reveal is left out of the consensus
entirely (its stake weighs nothing in the median), earns no trust and no
reward, and its stake is slashed on release by
min(nonreveal_slash_bps of the task, staking's max_slash_bps at the claim).
"""

import boa
import pytest

from support.arena import (
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_REVEAL,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    h,
)
from support.constants import MAX_SLASH_BPS, WAD

from .story import BPS, claim_all, salt_of

STAKE = 200 * WAD
# The lazy validators hold most of the validator stake: were they counted,
# their scores would be the consensus.
LAZY_STAKE = 600 * WAD


@pytest.mark.parametrize(
    "nonreveal_slash_bps, max_slash_bps, expected_bps",
    [
        (500, MAX_SLASH_BPS, 500),  # the default
        (8_000, MAX_SLASH_BPS, MAX_SLASH_BPS),  # capped by staking
        (500, 200, 200),  # staking's cap lowered after the task was created
    ],
    ids=["default", "capped_by_staking", "cap_lowered_later"],
)
def test_silent_validator_is_slashed_and_ignored(
    arena, books, nonreveal_slash_bps, max_slash_bps, expected_bps
):
    with boa.env.prank(arena.admin):
        arena.tasks.set_nonreveal_slash_bps(nonreveal_slash_bps)
    creator = books.actor("creator")
    trainers = [books.operator(f"trainer{i}", 1_000 * WAD) for i in range(3)]
    honest = [books.operator(f"honest{i}", 1_000 * WAD) for i in range(3)]
    # One lazy validator commits and never reveals, the other never commits.
    lazy = books.operator("lazy", 1_000 * WAD)
    absent = books.operator("absent", 1_000 * WAD)
    books.before = books.snapshot()

    task_id = arena.create(creator)
    assert arena.tasks.tasks(task_id).nonreveal_slash_bps == nonreveal_slash_bps
    for trainer in trainers:
        arena.join(task_id, trainer, ROLE_TRAINER, STAKE)
    for validator in honest:
        arena.join(task_id, validator, ROLE_VALIDATOR, STAKE)
    arena.join(task_id, lazy, ROLE_VALIDATOR, LAZY_STAKE)
    arena.join(task_id, absent, ROLE_VALIDATOR, LAZY_STAKE)
    for i, trainer in enumerate(trainers):
        arena.commit_model(task_id, trainer, h(f"model {i}"), salt_of(trainer))
    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    for i, trainer in enumerate(trainers):
        arena.reveal_model(task_id, trainer, h(f"model {i}"), salt_of(trainer))
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)

    if max_slash_bps != MAX_SLASH_BPS:
        with boa.env.prank(arena.admin):
            arena.staking.set_max_slash_bps(max_slash_bps)

    honest_scores = [[100, 200, 300], [102, 198, 303], [99, 201, 297]]
    scores = dict(zip(honest, honest_scores, strict=True))
    # The lazy validator commits to scores that would flip the ranking.
    scores[lazy] = [900, 500, 1]
    arena.reveal_eval(task_id, creator)
    for validator, values in scores.items():
        arena.commit_scores(task_id, validator, values, salt_of(validator))
    arena.to_phase(task_id, PHASE_SCORE_REVEAL)
    for validator in honest:
        arena.reveal_scores(task_id, validator, scores[validator], salt_of(validator))
    # Nothing to reveal for the one that never committed.
    with boa.reverts("task: nothing committed"):
        arena.reveal_scores(task_id, absent, [1, 1, 1], salt_of(absent))
    arena.to_phase(task_id, PHASE_FINALIZE)
    assert arena.tasks.participant(task_id, lazy).committed
    assert not arena.tasks.participant(task_id, lazy).revealed
    assert not arena.tasks.participant(task_id, absent).committed

    arena.finalize(task_id)

    # The consensus is the honest validators' median (equal weights: the
    # middle one of three); the lazy stake weighs nothing.
    for column, trainer in enumerate(trainers):
        values = sorted(row[column] for row in honest_scores)
        assert arena.tasks.consensus_of(task_id, trainer) == values[1]
    assert [arena.tasks.participant(task_id, t).rank for t in trainers] == [0, 1, 2]
    for silent in (lazy, absent):
        assert arena.tasks.trust(task_id, silent) == 0
        assert arena.tasks.participant(task_id, silent).reward_weight == 0
        assert arena.tasks.claimable(task_id, silent) == 0

    paid = claim_all(arena, task_id, [*trainers, *honest, lazy, absent])
    for silent in (lazy, absent):
        assert paid[silent] == (0, LAZY_STAKE * expected_bps // BPS)
    for account in (*trainers, *honest):
        reward, slashed = paid[account]
        assert reward > 0
        assert slashed == 0
    # The validator reward goes to the honest validators alone.
    task = arena.tasks.tasks(task_id)
    assert task.validator_weight_sum == sum(
        arena.tasks.participant(task_id, v).reward_weight for v in honest
    )
    assert sum(paid[v][0] for v in honest) >= task.validator_reward - len(honest)

    change = books.changes(books.before, books.snapshot())
    for account, (reward, slashed) in paid.items():
        assert change[account] == reward - slashed
    slashes = paid[lazy][1] + paid[absent][1]
    assert change[arena.treasury] == task.reward * 500 // BPS + slashes
    assert sum(change.values()) == 0
    books.assert_conserved()
