"""cancel: a task whose eval set was not revealed in time. The trainers who
revealed a model of their own take the bond and gamma of the escrowed reward,
split by stake weight, through their claims (dust to the treasury); the rest
of the reward goes back to the creator. With no such trainer, the reward goes
back to the creator and the bond to the treasury. Validators, who never got
the eval set, are released without slash; trainers that did not reveal are
slashed as in a finalized task."""

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
# gamma (0.2 at deployment) of the reward, to the trainers who revealed.
PART = REWARD * 2 // 10


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


def test_cancel_without_a_revealed_model_refunds_the_reward_and_forfeits_the_bond(
    arena, tm, joined, creator, non_owner
):
    arena.to_phase(joined, PHASE_CANCELLED)
    before = arena.token.balanceOf(creator)
    treasury = arena.token.balanceOf(arena.treasury)
    cancel(tm, joined, non_owner)
    (cancelled,) = logs_named(tm, "TaskCancelled")
    assert (cancelled.task_id, cancelled.refunded, cancelled.trainer_share) == (joined, REWARD, 0)
    (refund,) = logs_named(tm, "Refunded")
    assert (refund.receiver, refund.amount) == (creator, REWARD)
    (forfeited,) = logs_named(tm, "BondForfeited")
    assert (forfeited.receiver, forfeited.amount) == (arena.treasury, BOND)
    assert arena.token.balanceOf(creator) == before + REWARD
    assert arena.token.balanceOf(arena.treasury) == treasury + BOND
    assert tm.tasks(joined).cancelled
    assert tm.tasks(joined).balance == 0
    assert tm.phase(joined) == PHASE_CANCELLED


def test_cancel_twice_reverts(arena, tm, joined, non_owner):
    arena.to_phase(joined, PHASE_CANCELLED)
    cancel(tm, joined, non_owner)
    with boa.reverts("task: already cancelled"):
        cancel(tm, joined, non_owner)


def test_bond_and_part_of_the_reward_go_to_the_revealed_trainers_by_stake(
    arena, game, tm, creator, trainer, other_trainer, validator, non_owner
):
    """Two trainers reveal with 100 and 300 ARENA: they share bond + gamma of
    the reward 1:3; the creator gets the rest of the reward back; the
    validator gets nothing and keeps its stake."""
    task, _ = game.create(creator)
    game.enrol(task, [trainer], [validator])
    game.enrol(task, [other_trainer], amount=300 * WAD)
    for account in (trainer, other_trainer):
        game.commit(task, account)
    arena.to_phase(task, PHASE_MODEL_REVEAL)
    for account in (trainer, other_trainer):
        game.reveal(task, account)
    arena.to_phase(task, PHASE_CANCELLED)
    before = arena.token.balanceOf(creator)
    treasury = arena.token.balanceOf(arena.treasury)
    cancel(tm, task, non_owner)
    (cancelled,) = logs_named(tm, "TaskCancelled")
    assert (cancelled.refunded, cancelled.trainer_share) == (REWARD - PART, BOND + PART)
    assert not logs_named(tm, "BondForfeited")
    assert arena.token.balanceOf(creator) == before + REWARD - PART
    assert tm.claimable(task, trainer) == (BOND + PART) // 4
    assert tm.claimable(task, other_trainer) == (BOND + PART) * 3 // 4
    assert tm.claimable(task, validator) == 0
    paid = game.claim_all(task)
    assert paid == {
        trainer: (BOND + PART) // 4,
        other_trainer: (BOND + PART) * 3 // 4,
        validator: 0,
    }
    assert arena.staking.treasury_owed() == 0
    assert arena.token.balanceOf(arena.treasury) == treasury + BOND + PART - sum(paid.values())
    game.assert_settled(task)


def test_sybils_of_one_wei_win_back_no_more_than_their_stake_share(
    arena, game, tm, creator, trainer, validator
):
    """Per head, ten 1-wei sybils of the creator would have taken 10/12 of the
    bond; by stake they take 10 wei of it."""
    with boa.env.prank(arena.admin):
        tm.set_min_creator_bond(0)
    # The trainer-stake floor would refuse 1-wei stakes: lowered here, the
    # split by stake is the defence on its own.
    game.set_floors(3, 1_000, 100, 0)
    task, _ = game.create(creator, min_trainer_stake=1)
    sybils = game.operators_named("sybil", 10, stake=WAD)
    game.enrol(task, [trainer], [validator])
    game.enrol(task, sybils, amount=1)
    for account in [trainer, *sybils]:
        game.commit(task, account)
    arena.to_phase(task, PHASE_MODEL_REVEAL)
    for account in [trainer, *sybils]:
        game.reveal(task, account)
    arena.to_phase(task, PHASE_CANCELLED)
    paid = game.claim_all(task)
    total = 100 * WAD + 10
    assert paid[trainer] == (BOND + PART) * 100 * WAD // total
    assert sum(paid[s] for s in sybils) <= 10 * (BOND + PART) // total
    game.assert_settled(task)


def test_bond_share_goes_into_the_pool(arena, game, tm, task, trainer, validator, delegator):
    with boa.env.prank(delegator):
        arena.staking.delegate(trainer, 1_000 * WAD)
    game.enrol(task, [trainer], [validator])
    game.commit(task, trainer)
    arena.to_phase(task, PHASE_MODEL_REVEAL)
    game.reveal(task, trainer)
    before = arena.staking.assets_of(trainer, delegator)
    arena.to_phase(task, PHASE_CANCELLED)
    arena.claim(task, trainer)
    (paid,) = logs_named(tm, "RewardPaid")
    assert (paid.operator, paid.amount) == (trainer, BOND + PART)
    assert arena.staking.assets_of(trainer, delegator) > before


def test_a_claim_cancels_the_task_by_itself(arena, game, tm, joined, creator, trainer):
    game.commit(joined, trainer)
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    game.reveal(joined, trainer)
    arena.to_phase(joined, PHASE_CANCELLED)
    assert not tm.tasks(joined).cancelled
    # claimable() reads the same split before the cancellation ran.
    assert tm.claimable(joined, trainer) == BOND + PART
    before = arena.token.balanceOf(creator)
    assert arena.claim(joined, trainer) == BOND + PART
    assert len(logs_named(tm, "TaskCancelled")) == 1
    assert tm.tasks(joined).cancelled
    assert arena.token.balanceOf(creator) == before + REWARD - PART
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
    game.commit(task, trainer)
    arena.to_phase(task, PHASE_MODEL_REVEAL)
    game.reveal(task, trainer)
    arena.to_phase(task, PHASE_CANCELLED)
    assert game.claim_all(task) == {trainer: PART, validator: 0}
    game.assert_settled(task)


def test_validators_are_released_and_silent_trainers_slashed(
    arena, game, tm, joined, trainer, other_trainer, validator, other_validator
):
    """The validators never got to score: released whole. A trainer that
    committed and kept its model back is slashed `nonreveal_slash_bps`, as
    in a finalized task; the one that revealed takes the whole split."""
    game.commit(joined, trainer)
    game.commit(joined, other_trainer)
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    game.reveal(joined, trainer)
    arena.to_phase(joined, PHASE_CANCELLED)
    paid = game.claim_all(joined)
    assert paid == {trainer: BOND + PART, other_trainer: 0, validator: 0, other_validator: 0}
    slash = 100 * WAD * tm.nonreveal_slash_bps() // 10_000
    assert arena.staking.treasury_owed() == slash
    for account in (validator, other_validator):
        assert arena.staking.pools(account).total_assets == 1_000 * WAD
    assert arena.staking.pools(other_trainer).total_assets == 1_000 * WAD - slash
    for account in game.participants(joined):
        assert arena.staking.locked_by(account, tm.address) == 0
    game.assert_settled(joined)
