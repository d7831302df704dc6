"""claim: once per participant, after settlement; stake released, slashed
when due (capped by staking), reward paid into the participant's pool."""

import boa
import pytest
from task_manager_support import ALLOCATION, logs_named

from support.arena import (
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    PHASE_SUBMIT,
    h,
)
from support.constants import MAX_SLASH_BPS, WAD


@pytest.fixture
def settled(arena, game, joined, creator, trainer, other_trainer, validator, other_validator):
    """`joined` played and finalized: every participant earned something."""
    game.play(
        joined,
        creator,
        {trainer: None, other_trainer: None},
        {validator: [10, 20], other_validator: [10, 20]},
    )
    arena.finalize(joined)
    return joined


def test_claim_releases_the_stake_and_pays_the_reward(
    arena, tm, settled, trainer, other_trainer, non_owner
):
    reward = tm.claimable(settled, trainer)
    balance = tm.tasks(settled).balance
    with boa.env.prank(non_owner):  # anyone may claim for a participant
        assert tm.claim(settled, trainer) == reward
    logs = tm.get_logs()
    (released,) = [e for e in logs if type(e).__name__ == "StakeReleased"]
    assert (released.operator, released.protocol) == (trainer, tm.address)
    assert (released.amount, released.slashed) == (ALLOCATION, 0)
    (paid,) = [e for e in logs if type(e).__name__ == "RewardPaid"]
    assert (paid.operator, paid.amount) == (trainer, reward)
    (claimed,) = [e for e in logs if type(e).__name__ == "RewardClaimed"]
    assert (claimed.task_id, claimed.participant, claimed.reward, claimed.slashed) == (
        settled,
        trainer,
        reward,
        0,
    )
    assert tm.participant(settled, trainer).claimed
    assert tm.claimable(settled, trainer) == 0
    assert tm.tasks(settled).balance == balance - reward
    assert tm.tasks(settled).unclaimed == 3
    assert arena.staking.pools(trainer).locked == 0
    assert arena.staking.locked_by(trainer, tm.address) == 0
    # The others' stakes stay locked until their own claims.
    assert arena.staking.locked_by(other_trainer, tm.address) == ALLOCATION


def test_claim_twice_reverts(arena, tm, settled, validator):
    arena.claim(settled, validator)
    with boa.reverts("task: already claimed"):
        arena.claim(settled, validator)


def test_claim_for_a_non_participant_reverts(arena, tm, settled, creator, non_owner):
    for account in (creator, non_owner):
        with boa.reverts("task: not a participant"):
            arena.claim(settled, account)


@pytest.mark.parametrize(
    "phase",
    [PHASE_SUBMIT, PHASE_MODEL_REVEAL, PHASE_EVAL_REVEAL, PHASE_SCORE_COMMIT, PHASE_SCORE_REVEAL],
)
def test_claim_before_settlement_reverts(arena, game, tm, joined, creator, trainer, phase):
    game.advance(joined, creator, phase)
    assert tm.phase(joined) == phase
    with boa.reverts("task: not settled yet"):
        arena.claim(joined, trainer)
    assert tm.claimable(joined, trainer) == 0


def test_claim_during_finalize_reverts(
    arena, game, tm, joined, creator, trainer, validator, non_owner
):
    game.play(joined, creator, {trainer: None}, {validator: [1, 1]})
    for _ in range(3):
        with boa.reverts("task: not settled yet"):
            arena.claim(joined, trainer)
        assert tm.claimable(joined, trainer) == 0
        with boa.env.prank(non_owner):
            assert tm.finalize(joined) is False
    with boa.env.prank(non_owner):
        assert tm.finalize(joined) is True
    assert arena.claim(joined, trainer) > 0


def test_claim_of_an_unknown_task_reverts(arena, settled, trainer):
    with boa.reverts("task: not settled yet"):
        arena.claim(settled + 1, trainer)


def test_last_claim_returns_the_dust_to_the_creator(arena, game, tm, settled, creator):
    participants = game.participants(settled)
    paid = [arena.claim(settled, a) for a in participants[:-1]]
    before = arena.token.balanceOf(creator)
    paid.append(arena.claim(settled, participants[-1]))
    returned = logs_named(tm, "DustReturned")
    task = tm.tasks(settled)
    dust = task.train_reward + task.validator_reward - sum(paid)
    assert dust > 0
    assert [(e.task_id, e.receiver, e.amount) for e in returned] == [(settled, creator, dust)]
    assert logs_named(tm, "Refunded") == []
    assert arena.token.balanceOf(creator) == before + dust
    game.assert_settled(settled)


def test_claimable_is_zero_for_strangers(tm, settled, creator, non_owner):
    assert tm.claimable(settled, non_owner) == 0
    assert tm.claimable(settled, creator) == 0


# --- slashing ------------------------------------------------------------------------


def _plagiarism(arena, game, task, creator, original, copier, validator):
    boa.env.evm.patch.block_number = 10
    game.commit(task, original, h("model"))
    boa.env.evm.patch.block_number = 11
    game.commit(task, copier, h("model"))
    arena.to_phase(task, PHASE_MODEL_REVEAL)
    game.reveal(task, copier, h("model"))
    game.reveal(task, original, h("model"))
    arena.to_phase(task, PHASE_EVAL_REVEAL)
    arena.reveal_eval(task, creator)
    game.commit_scores(task, validator, [1, 1])
    arena.to_phase(task, PHASE_SCORE_REVEAL)
    game.reveal_scores(task, validator, [1, 1])
    arena.to_phase(task, PHASE_FINALIZE)
    arena.finalize(task)


def test_plagiarist_is_slashed(arena, game, tm, joined, creator, trainer, other_trainer, validator):
    _plagiarism(arena, game, joined, creator, trainer, other_trainer, validator)
    assets = arena.staking.pools(other_trainer).total_assets
    assert tm.claimable(joined, other_trainer) == 0
    assert arena.claim(joined, other_trainer) == 0
    (claimed,) = logs_named(tm, "RewardClaimed")
    assert (claimed.reward, claimed.slashed) == (0, 10 * WAD)  # 10% of 100
    assert arena.staking.treasury_owed() == 10 * WAD
    assert arena.staking.pools(other_trainer).total_assets == assets - 10 * WAD
    assert arena.staking.pools(other_trainer).locked == 0
    # The original earns the whole trainers' share.
    assert arena.claim(joined, trainer) == tm.tasks(joined).train_reward
    game.claim_all(joined)
    game.assert_settled(joined)


def test_validator_that_did_not_reveal_is_slashed(
    arena, game, tm, joined, creator, trainer, validator, other_validator
):
    third = game.operator("silent_validator")
    game.enrol(joined, validators=[third])  # never commits
    game.play(
        joined,
        creator,
        {trainer: None},
        {validator: [1, 1], other_validator: [1, 1]},
        hidden_scores=[other_validator],  # commits, never reveals
    )
    arena.finalize(joined)
    for account in (other_validator, third):
        assert tm.claimable(joined, account) == 0
        assert arena.claim(joined, account) == 0
        (claimed,) = logs_named(tm, "RewardClaimed")
        assert (claimed.reward, claimed.slashed) == (0, 5 * WAD)  # 5% of 100
    assert arena.staking.treasury_owed() == 10 * WAD
    assert arena.claim(joined, validator) == tm.tasks(joined).validator_reward
    game.claim_all(joined)
    game.assert_settled(joined)


def test_trainer_that_did_not_reveal_is_slashed(
    arena, game, tm, joined, creator, trainer, other_trainer, validator
):
    """Like a validator: whether it committed and kept its model back, or
    never committed at all, a trainer that did not reveal is slashed
    nonreveal_slash_bps and earns nothing."""
    third = game.operator("idle_trainer")
    game.enrol(joined, [third])  # never commits
    game.play(
        joined,
        creator,
        {trainer: None, other_trainer: None},
        {validator: [1, 1, 1]},
        hidden_models=[other_trainer],  # commits, never reveals
    )
    arena.finalize(joined)
    for account in (other_trainer, third):
        assets = arena.staking.pools(account).total_assets
        assert tm.claimable(joined, account) == 0
        assert arena.claim(joined, account) == 0
        (claimed,) = logs_named(tm, "RewardClaimed")
        assert (claimed.reward, claimed.slashed) == (0, 5 * WAD)  # 5% of 100
        assert arena.staking.pools(account).total_assets == assets - 5 * WAD
        assert arena.staking.pools(account).locked == 0
    assert arena.staking.treasury_owed() == 10 * WAD
    # The trainer that revealed earns the whole trainers' share, unslashed.
    reward = arena.claim(joined, trainer)
    (claimed,) = logs_named(tm, "RewardClaimed")
    assert (claimed.reward, claimed.slashed) == (reward, 0)
    assert reward == tm.tasks(joined).train_reward
    game.claim_all(joined)
    game.assert_settled(joined)


def test_slash_is_capped_by_staking(
    arena, game, tm, creator, trainer, other_trainer, validator, other_validator
):
    with boa.env.prank(arena.admin):
        tm.set_plagiarism_slash_bps(10_000)
        tm.set_nonreveal_slash_bps(10_000)
    task, _ = game.create(creator)
    game.enrol(task, [trainer, other_trainer], [validator, other_validator])
    _plagiarism(arena, game, task, creator, trainer, other_trainer, validator)
    arena.claim(task, other_trainer)
    (claimed,) = logs_named(tm, "RewardClaimed")
    assert claimed.slashed == ALLOCATION * MAX_SLASH_BPS // 10_000  # 50%, not 100%
    # The cap is read at claim time.
    with boa.env.prank(arena.admin):
        arena.staking.set_max_slash_bps(200)
    arena.claim(task, other_validator)
    (claimed,) = logs_named(tm, "RewardClaimed")
    assert claimed.slashed == 2 * WAD  # 2% of 100
    game.claim_all(task)
    game.assert_settled(task)


def test_zero_slash_parameters_slash_nothing(
    arena, game, tm, creator, trainer, other_trainer, validator, other_validator
):
    with boa.env.prank(arena.admin):
        tm.set_plagiarism_slash_bps(0)
        tm.set_nonreveal_slash_bps(0)
    task, _ = game.create(creator)
    game.enrol(task, [trainer, other_trainer], [validator, other_validator])
    _plagiarism(arena, game, task, creator, trainer, other_trainer, validator)
    game.claim_all(task)
    assert arena.staking.treasury_owed() == 0
    game.assert_settled(task)


def test_task_slash_terms_are_fixed_at_creation(
    arena, game, tm, joined, creator, trainer, other_trainer, validator
):
    with boa.env.prank(arena.admin):
        tm.set_plagiarism_slash_bps(5_000)
    _plagiarism(arena, game, joined, creator, trainer, other_trainer, validator)
    arena.claim(joined, other_trainer)
    (claimed,) = logs_named(tm, "RewardClaimed")
    assert claimed.slashed == 10 * WAD
