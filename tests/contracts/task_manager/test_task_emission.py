"""Emission in the task manager: fund() adds newly minted tokens to a running
task's reward, emission_weight() is what the emission contract splits by (the
weight of the trainers and validators that committed, while the task runs),
is_running() is when a task may receive it, and settlement treats
R = reward + emission as the task's reward:

    fee      = R * protocol_fee_bps / 10_000                        -> treasury
    pots     = the usual split of R - fee (test_task_rewards.py)
    refund   = what no pot can pay (R when nothing is payable)      -> treasury

The creator gets none of the refund, escrow or emission; only when nobody
joined does the escrowed reward go back to it (the emission to the treasury).
A cancelled task returns the reward to the creator and the emission to the
treasury. Here an account holding EMISSION_ROLE stands in for the emission
contract (tests/contracts/emission/ runs the real one).
"""

import boa
import pytest
from task_manager_support import logs_named

from support import oracle
from support.arena import (
    INVALID_SCORE,
    PHASE_CANCELLED,
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_FINALIZED,
    PHASE_MODEL_REVEAL,
    PHASE_NONE,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    PHASE_SUBMIT,
    ROLE_TRAINER,
    h,
)
from support.constants import WAD

REWARD = 1_000 * WAD
BOND = 10 * WAD
FEE_BPS = 500
GAMMA_WAD = 2 * 10**17
Q_WAD = 85 * 10**16
RUNNING = [
    PHASE_SUBMIT,
    PHASE_MODEL_REVEAL,
    PHASE_EVAL_REVEAL,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
]
OVER = [PHASE_FINALIZE, PHASE_FINALIZED, PHASE_CANCELLED]
# An amount of emission that divides nothing evenly.
EMISSION = 333 * WAD + 7


@pytest.fixture
def emission(arena):
    """Stands in for the emission contract: holds EMISSION_ROLE and tokens
    approved to the task manager."""
    account = arena.actor("emission", 10_000_000 * WAD)
    with boa.env.prank(arena.admin):
        arena.tasks.grantRole(arena.tasks.EMISSION_ROLE(), account)
    return account


def fund(tm, emission, task, amount):
    with boa.env.prank(emission):
        tm.fund(task, amount)


def move_to(arena, game, creator, task, phase):
    """`task` (fresh, in its submit phase) at the start of `phase`; for
    PHASE_NONE it stays where it is (the test uses a task that does not exist)."""
    if phase == PHASE_NONE:
        return
    if phase == PHASE_FINALIZED:
        game.advance(task, creator, PHASE_FINALIZE)
        arena.finalize(task)
        return
    game.advance(task, creator, phase)


class Balances:
    """Token balances of the creator and the treasury."""

    def __init__(self, arena, creator):
        self.arena, self.creator = arena, creator
        self.start = self.now()

    def now(self):
        token = self.arena.token
        return token.balanceOf(self.creator), token.balanceOf(self.arena.treasury)

    def delta(self):
        now = self.now()
        return now[0] - self.start[0], now[1] - self.start[1]


def held_matches_balances(arena):
    tm = arena.tasks
    total = sum(tm.tasks(t).balance for t in range(1, tm.task_count() + 1))
    assert arena.token.balanceOf(tm) == total


# --- fund: role, phase, amount -----------------------------------------------------------


@pytest.mark.parametrize("phase", [PHASE_NONE, *RUNNING, *OVER])
def test_fund_checks_role_then_phase_then_amount(
    arena, game, tm, joined, creator, emission, non_owner, phase
):
    move_to(arena, game, creator, joined, phase)
    # PHASE_NONE: a task that does not exist.
    task = joined + 1 if phase == PHASE_NONE else joined
    assert tm.phase(task) == phase
    running = phase in RUNNING

    for outsider in (non_owner, creator, arena.admin):
        with boa.env.prank(outsider), boa.reverts("task: caller is not the emission contract"):
            tm.fund(task, WAD)
    with (
        boa.env.prank(emission),
        boa.reverts("task: zero amount" if running else "task: not running"),
    ):
        tm.fund(task, 0)
    if not running:
        with boa.env.prank(emission), boa.reverts("task: not running"):
            tm.fund(task, WAD)
        return
    fund(tm, emission, task, WAD)
    assert tm.tasks(task).emission == WAD


def test_fund_adds_to_the_escrow_and_logs_the_total(arena, game, tm, task, creator, emission):
    other = arena.create(creator)
    token = arena.token
    before = token.balanceOf(emission)
    fund(tm, emission, task, 3 * WAD)
    (log,) = logs_named(tm, "EmissionFunded")
    assert (log.task_id, log.amount, log.total) == (task, 3 * WAD, 3 * WAD)

    game.advance(task, creator, PHASE_SCORE_REVEAL)
    fund(tm, emission, task, 5)
    (log,) = logs_named(tm, "EmissionFunded")
    assert (log.task_id, log.amount, log.total) == (task, 5, 3 * WAD + 5)

    record = tm.tasks(task)
    assert record.emission == 3 * WAD + 5
    # The escrow grew by the emission; the eval reveal gave the bond back.
    assert record.balance == REWARD + 3 * WAD + 5
    assert record.reward == REWARD
    assert tm.tasks(other).emission == 0
    assert token.balanceOf(emission) == before - 3 * WAD - 5
    held_matches_balances(arena)


def test_fund_needs_the_tokens(arena, tm, task, emission):
    with boa.env.prank(emission):
        arena.token.approve(tm, 0)
        with boa.reverts("erc20: insufficient allowance"):
            tm.fund(task, WAD)
    assert tm.tasks(task).emission == 0


# --- emission_weight -----------------------------------------------------------------


@pytest.mark.parametrize("phase", [*RUNNING, *OVER])
def test_emission_weight_is_the_committed_stake_while_the_task_runs(
    arena, game, tm, joined, creator, trainer, other_trainer, phase
):
    # Both trainers commit; the validators joined but never commit scores.
    for account in (trainer, other_trainer):
        game.commit(joined, account)
    move_to(arena, game, creator, joined, phase)
    expected = 200 * WAD if phase in RUNNING else 0
    assert tm.emission_weight(joined) == expected
    record = tm.tasks(joined)
    # Once finalized they are the weights of the split: no model was revealed.
    weights = (0, 0) if phase == PHASE_FINALIZED else (200 * WAD, 0)
    assert (record.trainer_weight, record.validator_weight) == weights


def test_emission_weight_counts_each_participant_once_it_commits(
    arena, game, tm, joined, creator, trainer, other_trainer, validator, other_validator
):
    """Joining weighs nothing; a trainer counts from its first commit_model, a
    validator from its first commit_scores, and never twice."""
    assert tm.emission_weight(joined) == 0
    game.commit(joined, trainer)
    assert tm.emission_weight(joined) == 100 * WAD
    # A new commitment, and the same one again: still counted once.
    game.commit(joined, trainer, h("another model"))
    game.commit(joined, trainer, h("another model"))
    assert tm.emission_weight(joined) == 100 * WAD
    late = game.operator("late_trainer")
    arena.join(joined, late, ROLE_TRAINER, 300 * WAD)
    assert tm.emission_weight(joined) == 100 * WAD
    game.commit(joined, late)
    assert tm.emission_weight(joined) == 400 * WAD

    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    game.reveal(joined, trainer, h("another model"))
    arena.to_phase(joined, PHASE_EVAL_REVEAL)
    assert tm.emission_weight(joined) == 400 * WAD
    arena.reveal_eval(joined, creator)
    game.commit_scores(joined, validator, [1, 2, 3])
    assert tm.emission_weight(joined) == 500 * WAD
    game.commit_scores(joined, validator, [3, 2, 1])
    assert tm.emission_weight(joined) == 500 * WAD
    arena.to_phase(joined, PHASE_SCORE_REVEAL)
    record = tm.tasks(joined)
    assert (record.trainer_weight, record.validator_weight) == (400 * WAD, 100 * WAD)
    assert tm.emission_weight(joined) == 500 * WAD
    game.reveal_scores(joined, validator, [3, 2, 1])

    arena.to_phase(joined, PHASE_FINALIZE)
    assert tm.emission_weight(joined) == 0
    arena.finalize(joined)
    # For the split: the one trainer that revealed, the one validator that did.
    record = tm.tasks(joined)
    assert (record.trainer_weight, record.validator_weight) == (100 * WAD, 100 * WAD)
    assert tm.emission_weight(joined) == 0
    paid = game.claim_all(joined)
    assert paid[other_trainer] == paid[other_validator] == paid[late] == 0
    game.assert_settled(joined)


def test_emission_weight_of_an_empty_or_unknown_task_is_zero(tm, task, game, trainer):
    assert tm.emission_weight(task) == 0
    assert tm.emission_weight(0) == tm.emission_weight(task + 1) == 0
    game.enrol(task, [trainer], amount=123 * WAD)
    assert tm.emission_weight(task) == 0
    game.commit(task, trainer)
    assert tm.emission_weight(task) == 123 * WAD


# --- is_running ----------------------------------------------------------------------


@pytest.mark.parametrize("phase", [*RUNNING, *OVER])
def test_is_running_from_submit_to_the_end_of_score_reveal(arena, game, tm, joined, creator, phase):
    move_to(arena, game, creator, joined, phase)
    assert tm.phase(joined) == phase
    assert tm.is_running(joined) is (phase in RUNNING)


def test_a_new_task_is_running_and_an_unknown_one_is_not(tm, task):
    assert tm.is_running(task) is True
    assert tm.is_running(0) is tm.is_running(task + 1) is False


# --- settlement with emission ----------------------------------------------------------------


def scored_task(arena, game, tm, task, creator, trainers, validators, scores, during_reveal=None):
    """Play `task` to its finalize phase (everyone commits and reveals;
    `during_reveal` runs in the score reveal phase) and describe it for the
    oracle."""
    for t in trainers:
        game.commit(task, t)
    arena.to_phase(task, PHASE_MODEL_REVEAL)
    for t in trainers:
        game.reveal(task, t)
    arena.to_phase(task, PHASE_EVAL_REVEAL)
    arena.reveal_eval(task, creator)
    for v, values in zip(validators, scores, strict=True):
        game.commit_scores(task, v, values)
    arena.to_phase(task, PHASE_SCORE_REVEAL)
    if during_reveal:
        during_reveal()
    for v, values in zip(validators, scores, strict=True):
        game.reveal_scores(task, v, values)
    arena.to_phase(task, PHASE_FINALIZE)
    described_trainers = []
    for t in trainers:
        p = tm.participant(task, t)
        model = p.commitment if p.revealed else None
        described_trainers.append(oracle.Trainer(p.weight, p.stake, p.commit_block, model))
    described_validators = []
    for v, values in zip(validators, scores, strict=True):
        p = tm.participant(task, v)
        revealed = tuple(values) if p.revealed else None
        described_validators.append(oracle.Validator(p.weight, p.stake, revealed))
    return described_trainers, described_validators


def terms(reward):
    return oracle.Terms(
        reward=reward,
        protocol_fee_bps=FEE_BPS,
        gamma_wad=GAMMA_WAD,
        q_wad=Q_WAD,
        tolerance_bps=100,
    )


def test_a_finalized_task_pays_reward_plus_emission(
    arena, game, tm, joined, creator, emission, trainer, other_trainer, validator, other_validator
):
    # Emission arrives in the submit phase and again while scores are revealed.
    fund(tm, emission, joined, EMISSION - 1_000)
    balances = Balances(arena, creator)
    trainers, validators = scored_task(
        arena,
        game,
        tm,
        joined,
        creator,
        [trainer, other_trainer],
        [validator, other_validator],
        [[100, 200], [100, 210]],
        during_reveal=lambda: fund(tm, emission, joined, 1_000),
    )
    assert tm.tasks(joined).emission == EMISSION

    reward = REWARD + EMISSION
    settlement = oracle.settle(terms(reward), trainers, validators)
    arena.finalize(joined)
    (settled,) = logs_named(tm, "TaskFinalized")
    # The pots are those of a task whose reward is R = reward + emission.
    ((fee, refund, train, val),) = settlement.outcomes()
    assert (settled.protocol_fee, settled.train_reward, settled.validator_reward) == (
        fee,
        train,
        val,
    )
    assert settled.refunded == refund == 0
    # By hand: fee 5% of R; gamma + 0.6 x 1/2 = 1/2 of the rest to the trainers.
    assert fee == reward * FEE_BPS // 10_000
    assert train == (reward - fee) // 2
    assert balances.delta() == (BOND, fee)

    # Payouts: rank weights 100 and 85. The second consensus is the midpoint
    # 205 of 200 and 210 (equal weights), within 1% of neither: trust 1/2 each.
    assert tm.consensus_of(joined, other_trainer) == 205
    trainer_rewards = [train * w // (185 * WAD) for w in (100 * WAD, 85 * WAD)]
    validator_rewards = [val * 50 * WAD // (100 * WAD)] * 2
    paid = game.claim_all(joined)
    assert [paid[trainer], paid[other_trainer]] == trainer_rewards
    assert [paid[validator], paid[other_validator]] == validator_rewards
    for share, amount in zip(
        settlement.trainers + settlement.validators,
        trainer_rewards + validator_rewards,
        strict=True,
    ):
        assert share.admits(amount)
    # Payouts exceed what the reward alone could pay: the emission is paid out.
    assert sum(paid.values()) > REWARD - REWARD * FEE_BPS // 10_000
    dust = reward - fee - sum(paid.values())
    assert 0 <= dust < 4
    assert balances.delta() == (BOND + dust, fee)
    game.assert_settled(joined)


def test_no_valid_submission_sends_the_trainers_share_to_the_treasury(
    arena, game, tm, joined, creator, emission, trainer, other_trainer, validator, other_validator
):
    """Every model is scored invalid: R_train cannot be paid. All of it,
    escrow and emission alike, goes to the treasury; none to the creator."""
    fund(tm, emission, joined, EMISSION)
    trainers, validators = scored_task(
        arena,
        game,
        tm,
        joined,
        creator,
        [trainer, other_trainer],
        [validator, other_validator],
        [[INVALID_SCORE] * 2, [INVALID_SCORE] * 2],
    )
    reward = REWARD + EMISSION
    ((fee, refund, train, val),) = oracle.settle(terms(reward), trainers, validators).outcomes()
    balances = Balances(arena, creator)
    arena.finalize(joined)
    (settled,) = logs_named(tm, "TaskFinalized")
    assert (settled.protocol_fee, settled.train_reward, settled.validator_reward) == (fee, 0, val)
    # Both trainers revealed: T = S = 200, R_train = (0.2 + 0.6 / 2) R.
    assert settled.refunded == refund == oracle.train_share(reward - fee, GAMMA_WAD, 1, 1)
    assert refund == (reward - fee) // 2
    assert train == 0
    assert balances.delta() == (0, fee + refund)
    # One event per transfer: the fee, then the refund, both to the treasury.
    (paid_fee,) = logs_named(tm, "FeePaid")
    assert (paid_fee.task_id, paid_fee.receiver, paid_fee.amount) == (joined, arena.treasury, fee)
    refunds = [(e.receiver, e.amount) for e in logs_named(tm, "Refunded")]
    assert refunds == [(arena.treasury, refund)]

    paid = game.claim_all(joined)
    assert paid[validator] == paid[other_validator] == val // 2
    # The creator gets the claims' rounding dust only.
    assert balances.delta() == (val % 2, fee + refund)
    game.assert_settled(joined)


def test_nothing_payable_sends_reward_and_emission_to_the_treasury(
    arena, game, tm, joined, creator, emission, trainer, other_trainer, validator, other_validator
):
    """No validator reveals: no pot can be paid, no fee; R = reward +
    emission goes to the treasury whole, none of it back to the creator."""
    fund(tm, emission, joined, EMISSION)
    game.play(
        joined,
        creator,
        {trainer: None, other_trainer: None},
        {validator: [1, 2], other_validator: [1, 2]},
        hidden_scores=[validator, other_validator],
    )
    balances = Balances(arena, creator)
    arena.finalize(joined)
    (settled,) = logs_named(tm, "TaskFinalized")
    assert (settled.protocol_fee, settled.refunded) == (0, REWARD + EMISSION)
    refunds = [(e.receiver, e.amount) for e in logs_named(tm, "Refunded")]
    assert refunds == [(arena.treasury, REWARD + EMISSION)]
    assert balances.delta() == (0, REWARD + EMISSION)
    paid = game.claim_all(joined)
    assert set(paid.values()) == {0}
    assert balances.delta() == (0, REWARD + EMISSION)
    game.assert_settled(joined)


def test_a_task_nobody_joined_returns_its_emission_to_the_treasury(
    arena, game, tm, task, creator, emission
):
    fund(tm, emission, task, EMISSION)
    game.advance(task, creator, PHASE_FINALIZE)
    balances = Balances(arena, creator)
    arena.finalize(task)
    # Nobody joined: the escrow goes back to the creator, the emission not.
    refunds = [(e.receiver, e.amount) for e in logs_named(tm, "Refunded")]
    assert refunds == [(arena.treasury, EMISSION), (creator, REWARD)]
    assert tm.phase(task) == PHASE_FINALIZED
    assert balances.delta() == (REWARD, EMISSION)
    assert tm.tasks(task).balance == 0
    held_matches_balances(arena)


@pytest.mark.parametrize("by", ["cancel", "claim"])
def test_a_cancelled_task_returns_reward_to_creator_and_emission_to_treasury(
    arena, game, tm, joined, creator, trainer, emission, non_owner, by
):
    """The emission goes back to the treasury whole; the trainer that revealed
    takes the bond and gamma of the escrowed reward, the creator the rest."""
    fund(tm, emission, joined, EMISSION)
    game.commit(joined, trainer)
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    game.reveal(joined, trainer)
    arena.to_phase(joined, PHASE_EVAL_REVEAL)
    fund(tm, emission, joined, 5)
    arena.to_phase(joined, PHASE_CANCELLED)
    part = REWARD * tm.gamma_wad() // WAD
    balances = Balances(arena, creator)
    if by == "cancel":
        with boa.env.prank(non_owner):
            tm.cancel(joined)
    else:
        arena.claim(joined, trainer)
    refunds = [(e.receiver, e.amount) for e in logs_named(tm, "Refunded")]
    assert refunds == [(creator, REWARD - part), (arena.treasury, EMISSION + 5)]
    (cancelled,) = logs_named(tm, "TaskCancelled")
    assert (cancelled.refunded, cancelled.trainer_share) == (REWARD - part, BOND + part)
    assert balances.delta() == (REWARD - part, EMISSION + 5)
    # The bond and the part are what is left, for the trainer.
    assert tm.tasks(joined).balance == (0 if by == "claim" else BOND + part)

    paid = game.claim_all(joined)
    assert sum(paid.values()) == (0 if by == "claim" else BOND + part)
    assert balances.delta() == (REWARD - part, EMISSION + 5)
    game.assert_settled(joined)


def test_a_cancelled_task_nobody_joined_sends_emission_and_bond_to_treasury(
    arena, tm, task, creator, emission, non_owner
):
    fund(tm, emission, task, EMISSION)
    arena.to_phase(task, PHASE_CANCELLED)
    balances = Balances(arena, creator)
    with boa.env.prank(non_owner):
        tm.cancel(task)
    assert balances.delta() == (REWARD, EMISSION + BOND)
    refunds = [(e.receiver, e.amount) for e in logs_named(tm, "Refunded")]
    assert refunds == [(creator, REWARD), (arena.treasury, EMISSION)]
    (forfeited,) = logs_named(tm, "BondForfeited")
    assert (forfeited.receiver, forfeited.amount) == (arena.treasury, BOND)
    assert tm.tasks(task).balance == 0
    held_matches_balances(arena)


@pytest.mark.parametrize("phase", [PHASE_MODEL_REVEAL, PHASE_SCORE_COMMIT])
def test_emission_does_not_change_the_escrowed_reward(
    arena, game, tm, task, creator, emission, phase
):
    move_to(arena, game, creator, task, phase)
    fund(tm, emission, task, EMISSION)
    assert tm.tasks(task).reward == REWARD
    assert tm.tasks(task).emission == EMISSION
