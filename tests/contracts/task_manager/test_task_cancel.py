"""cancel: a task whose eval set was not revealed in time. The reward goes
back to the creator, the bond is shared equally by the participants through
their claims (dust to the treasury), or goes to the treasury when nobody
joined."""

import boa
import pytest
from task_manager_support import logs_named

from support.arena import (
    PHASE_CANCELLED,
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    PHASE_SUBMIT,
    TaskTerms,
)
from support.constants import WAD

REWARD = 1_000 * WAD
BOND = 10 * WAD


def cancel(tm, task, caller):
    with boa.env.prank(caller):
        tm.cancel(task)


@pytest.mark.parametrize(
    "phase",
    [
        PHASE_SUBMIT,
        PHASE_MODEL_REVEAL,
        PHASE_EVAL_REVEAL,
        PHASE_SCORE_COMMIT,
        PHASE_SCORE_REVEAL,
        PHASE_FINALIZE,
    ],
)
def test_cancel_before_the_eval_deadline_or_after_the_reveal_reverts(
    arena, game, tm, task, creator, non_owner, phase
):
    game.advance(task, creator, phase)
    assert tm.phase(task) == phase
    if phase == PHASE_SCORE_COMMIT:
        # Once the eval set is revealed, eval_end no longer matters.
        arena.warp_to(arena.deadlines(task)["eval_end"])
        assert tm.phase(task) == PHASE_SCORE_COMMIT
    with boa.reverts("task: not cancellable"):
        cancel(tm, task, non_owner)


def test_cancel_of_a_finalized_or_unknown_task_reverts(arena, tm, task, creator, non_owner):
    arena.to_phase(task, PHASE_EVAL_REVEAL)
    arena.reveal_eval(task, creator)
    arena.to_phase(task, PHASE_FINALIZE)
    arena.finalize(task)
    for task_id in (task, 0, task + 1):
        with boa.reverts("task: not cancellable"):
            cancel(tm, task_id, non_owner)


def test_cancel_refunds_the_reward(arena, tm, joined, creator, non_owner):
    arena.to_phase(joined, PHASE_CANCELLED)
    before = arena.token.balanceOf(creator)
    cancel(tm, joined, non_owner)
    (cancelled,) = logs_named(tm, "TaskCancelled")
    assert (cancelled.task_id, cancelled.refunded) == (joined, REWARD)
    (refund,) = logs_named(tm, "Refunded")
    assert (refund.receiver, refund.amount) == (creator, REWARD)
    assert arena.token.balanceOf(creator) == before + REWARD
    assert tm.tasks(joined).cancelled
    assert tm.tasks(joined).balance == BOND
    assert tm.phase(joined) == PHASE_CANCELLED


def test_cancel_twice_reverts(arena, tm, joined, non_owner):
    arena.to_phase(joined, PHASE_CANCELLED)
    cancel(tm, joined, non_owner)
    with boa.reverts("task: already cancelled"):
        cancel(tm, joined, non_owner)


def test_bond_is_shared_through_the_claims(
    arena, game, tm, creator, trainer, other_trainer, validator, non_owner
):
    task, _ = game.create(creator)
    game.enrol(task, [trainer, other_trainer], [validator])
    game.commit(task, trainer)
    arena.to_phase(task, PHASE_CANCELLED)
    cancel(tm, task, non_owner)
    share = BOND // 3
    assert share == 3_333_333_333_333_333_333
    treasury = arena.token.balanceOf(arena.treasury)
    for account in (trainer, validator):
        assert tm.claimable(task, account) == share
        assert arena.claim(task, account) == share
        (claimed,) = logs_named(tm, "RewardClaimed")
        assert (claimed.reward, claimed.slashed) == (share, 0)
        assert arena.staking.pools(account).locked == 0
    assert arena.token.balanceOf(arena.treasury) == treasury
    # The last claim sends the rounding dust to the treasury. other_trainer
    # never committed: in a cancelled task it is not slashed for it.
    assert arena.claim(task, other_trainer) == share
    (claimed,) = logs_named(tm, "RewardClaimed")
    assert (claimed.reward, claimed.slashed) == (share, 0)
    (dust,) = logs_named(tm, "DustReturned")
    assert (dust.receiver, dust.amount) == (arena.treasury, BOND - 3 * share)
    assert arena.token.balanceOf(arena.treasury) == treasury + 1
    game.assert_settled(task)


def test_bond_share_goes_into_the_pool(
    arena, game, tm, task, trainer, other_trainer, validator, other_validator, delegator
):
    with boa.env.prank(delegator):
        arena.staking.delegate(trainer, 1_000 * WAD)
    game.enrol(task, [trainer, other_trainer], [validator, other_validator])
    joined = task
    before = arena.staking.assets_of(trainer, delegator)
    arena.to_phase(joined, PHASE_CANCELLED)
    arena.claim(joined, trainer)
    (paid,) = logs_named(tm, "RewardPaid")
    assert (paid.operator, paid.amount) == (trainer, BOND // 4)
    assert arena.staking.assets_of(trainer, delegator) > before


def test_a_claim_cancels_the_task_by_itself(arena, game, tm, joined, creator, trainer):
    arena.to_phase(joined, PHASE_CANCELLED)
    assert not tm.tasks(joined).cancelled
    assert tm.claimable(joined, trainer) == BOND // 4
    before = arena.token.balanceOf(creator)
    assert arena.claim(joined, trainer) == BOND // 4
    assert len(logs_named(tm, "TaskCancelled")) == 1
    assert tm.tasks(joined).cancelled
    assert arena.token.balanceOf(creator) == before + REWARD
    with boa.reverts("task: already cancelled"):
        cancel(tm, joined, creator)
    game.claim_all(joined)
    game.assert_settled(joined)


def test_nobody_joined_the_bond_goes_to_the_treasury(arena, game, tm, task, creator, non_owner):
    arena.to_phase(task, PHASE_CANCELLED)
    creator_before = arena.token.balanceOf(creator)
    treasury_before = arena.token.balanceOf(arena.treasury)
    cancel(tm, task, non_owner)
    refunds = [(e.receiver, e.amount) for e in logs_named(tm, "Refunded")]
    assert refunds == [(creator, REWARD)]
    (forfeited,) = logs_named(tm, "BondForfeited")
    assert (forfeited.task_id, forfeited.receiver, forfeited.amount) == (task, arena.treasury, BOND)
    assert arena.token.balanceOf(creator) == creator_before + REWARD
    assert arena.token.balanceOf(arena.treasury) == treasury_before + BOND
    assert tm.tasks(task).balance == 0
    assert arena.token.balanceOf(tm.address) == 0
    game.assert_conserved()


def test_cancelled_task_without_bond(arena, game, tm, creator, trainer, validator):
    # No bond at all: the DAO lowers the minimum bond and the bond's floor.
    with boa.env.prank(arena.admin):
        tm.set_min_creator_bond(0)
    game.set_floors(3, 1_000, 0)
    task = arena.create(creator, TaskTerms(bond=0))
    game.enrol(task, [trainer], [validator])
    arena.to_phase(task, PHASE_CANCELLED)
    assert game.claim_all(task) == {trainer: 0, validator: 0}
    game.assert_settled(task)


def test_stakes_are_released_without_slash(
    arena, game, tm, joined, trainer, other_trainer, validator
):
    """Nobody is slashed in a cancelled task: the validators never got to
    score, and a trainer that did not reveal its model is not slashed, as it
    would be in a finalized task."""
    game.commit(joined, trainer)
    game.commit(joined, other_trainer)
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    game.reveal(joined, trainer)
    arena.to_phase(joined, PHASE_CANCELLED)
    paid = game.claim_all(joined)
    assert set(paid.values()) == {BOND // 4}
    assert arena.staking.treasury_owed() == 0
    for account in game.participants(joined):
        assert arena.staking.pools(account).total_assets >= 1_000 * WAD
        assert arena.staking.locked_by(account, tm.address) == 0
    game.assert_settled(joined)
