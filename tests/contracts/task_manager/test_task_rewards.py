"""Reward numbers of small tasks, computed by hand from docs/tasks.md:

    fee      = reward * protocol_fee_bps / 10_000                        -> treasury
    R        = reward - fee
    R_train  = R * (gamma + (1 - 2 gamma) * T / (T + S))
    R_val    = R - R_train
    trainer i (valid, rank r_i):     w_i = q^r_i * t_i      reward_i = R_train * w_i / sum(w_i)
    validator j (revealed):          w_j = trust_j * s_j    reward_j = R_val   * w_j / sum(w_j)

T is the weight of the eligible trainers (revealed, not disqualified), S
that of the validators who revealed. A pot nobody can be paid from (and the
whole reward, without a fee, when neither can) goes to the treasury, never
back to the creator. Every division rounds down, the claims' dust going back
to the creator with the last claim. Each test ends with the token accounting
checked.
"""

from fractions import Fraction
from math import floor

import boa
from task_manager_support import logs_named

from support.arena import (
    INVALID_SCORE,
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_REVEAL,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    h,
)
from support.constants import WAD

REWARD = 1_000 * WAD
BOND = 10 * WAD
GAMMA = Fraction(2, 10)
Q = Fraction(85, 100)
FEE_BPS = 500


def r_train(distributable: int, t: int, s: int, gamma: Fraction = GAMMA) -> int:
    return floor(distributable * (gamma + (1 - 2 * gamma) * Fraction(t, t + s)))


def shares(amount: int, weights: list[int]) -> list[int]:
    total = sum(weights)
    return [amount * w // total for w in weights]


class Balances:
    """Token balances of the creator and the treasury, before and after."""

    def __init__(self, arena, creator):
        self.arena, self.creator = arena, creator
        self.start = self.now()

    def now(self):
        token = self.arena.token
        return token.balanceOf(self.creator), token.balanceOf(self.arena.treasury)

    def delta(self):
        now = self.now()
        return now[0] - self.start[0], now[1] - self.start[1]


def test_two_trainers_two_validators_equal_stakes(
    arena, game, tm, joined, creator, trainer, other_trainer, validator, other_validator
):
    # Taken after create_task: the creator has already paid reward + bond.
    balances = Balances(arena, creator)
    game.play(
        joined,
        creator,
        {trainer: None, other_trainer: None},
        {validator: [100, 200], other_validator: [100, 210]},
    )
    arena.finalize(joined)
    (settled,) = logs_named(tm, "TaskFinalized")

    fee = REWARD * FEE_BPS // 10_000  # 50 ARENA
    distributable = REWARD - fee  # 950
    train = r_train(distributable, 200 * WAD, 200 * WAD)  # gamma + 0.6 x 1/2 = 0.5
    assert train == 475 * WAD
    val = distributable - train
    assert (settled.protocol_fee, settled.train_reward, settled.validator_reward) == (
        fee,
        train,
        val,
    )
    assert settled.refunded == 0

    # Consensus 100 (trainer) and, the weight split evenly between 200 and
    # 210, their midpoint 205. Ranks 0 and 1: weights 100 and 85.
    assert [tm.consensus_of(joined, t) for t in (trainer, other_trainer)] == [100, 205]
    trainer_rewards = shares(train, [100 * WAD, floor(Q * 100 * WAD)])
    # Tolerance 1%: |200 - 205| = |210 - 205| = 5 > 1% of 205, so each
    # validator agrees once of twice: trust 1/2, weights 50 and 50.
    assert tm.trust(joined, validator) == tm.trust(joined, other_validator) == WAD // 2
    validator_rewards = shares(val, [50 * WAD, 50 * WAD])
    assert trainer_rewards == [256_756_756_756_756_756_756, 218_243_243_243_243_243_243]
    assert validator_rewards == [237_500_000_000_000_000_000, 237_500_000_000_000_000_000]

    paid = game.claim_all(joined)
    assert [paid[a] for a in (trainer, other_trainer)] == trainer_rewards
    assert [paid[a] for a in (validator, other_validator)] == validator_rewards
    dust = distributable - sum(trainer_rewards) - sum(validator_rewards)
    assert dust == 1
    # The creator got its bond back at the eval reveal, then the dust.
    assert balances.delta() == (BOND + dust, fee)
    game.assert_settled(joined)


def test_unequal_stakes_and_delegation(arena, game, tm, creator, delegator):
    """Weights are the stakes recorded at join, delegated stake counted by
    epsilon = 1/2."""
    with boa.env.prank(arena.admin):
        arena.staking.set_delegation_weight_bps(5_000)
    task, _ = game.create(creator, tolerance_bps=0)
    first = game.operator("first_trainer", 300 * WAD)
    second = game.operator("second_trainer", 200 * WAD)
    with boa.env.prank(delegator):
        arena.staking.delegate(second, 200 * WAD)
    light = game.operator("light_validator", 100 * WAD)
    heavy = game.operator("heavy_validator", 400 * WAD)
    arena.join(task, first, ROLE_TRAINER, 300 * WAD)  # t = 300
    arena.join(task, second, ROLE_TRAINER, 200 * WAD)  # t = 200 x 300 / 400 = 150
    arena.join(task, light, ROLE_VALIDATOR, 100 * WAD)  # s = 100
    arena.join(task, heavy, ROLE_VALIDATOR, 400 * WAD)  # s = 400
    assert [tm.participant(task, a).weight for a in (first, second, light, heavy)] == [
        300 * WAD,
        150 * WAD,
        100 * WAD,
        400 * WAD,
    ]

    balances = Balances(arena, creator)
    # Heavy holds 4/5 of the weight: the consensus is its score. second
    # scores better (lower) and ranks first.
    game.play(
        task,
        creator,
        {first: None, second: None},
        {light: [50, 40], heavy: [60, 40]},
    )
    arena.finalize(task)
    # Everyone revealed: T and S count everyone.
    assert tm.tasks(task).trainer_weight == 450 * WAD
    assert tm.tasks(task).validator_weight == 500 * WAD

    fee = REWARD * FEE_BPS // 10_000
    distributable = REWARD - fee
    train = r_train(distributable, 450 * WAD, 500 * WAD)  # 0.2 + 0.6 x 450/950
    val = distributable - train
    # second (rank 0, t = 150), first (rank 1, t = 300 x 0.85 = 255).
    second_reward, first_reward = shares(train, [150 * WAD, floor(Q * 300 * WAD)])
    # Consensus 60 and 40, tolerance 0: light agrees on 1 of 2, heavy on both.
    light_reward, heavy_reward = shares(val, [50 * WAD, 400 * WAD])

    assert tm.claimable(task, first) == first_reward
    paid = game.claim_all(task)
    assert paid == {
        first: first_reward,
        second: second_reward,
        light: light_reward,
        heavy: heavy_reward,
    }
    dust = distributable - first_reward - second_reward - light_reward - heavy_reward
    assert balances.delta() == (BOND + dust, fee)
    game.assert_settled(task)


def test_split_weighs_eligible_trainers_and_revealed_validators(arena, game, tm, creator):
    """T and S of the split count only who took part to the end: of three
    trainers one kept its model back and one copied a model (disqualified);
    of three validators one kept its scores back. Joining alone, or
    committing alone, earns a side no share of the reward."""
    task, _ = game.create(creator)
    trainer, silent, copier = game.operators_named("trainer", 3)
    validators = game.operators_named("validator", 3)
    game.enrol(task, [trainer, silent, copier], validators)
    boa.env.evm.patch.block_number = 5
    game.commit(task, trainer, h("model"))
    boa.env.evm.patch.block_number = 6
    game.commit(task, copier, h("model"))
    game.commit(task, silent)
    arena.to_phase(task, PHASE_MODEL_REVEAL)
    game.reveal(task, trainer, h("model"))
    game.reveal(task, copier, h("model"))
    assert tm.participant(task, copier).disqualified
    # While the task ran, the weights were those of the committed.
    assert (tm.tasks(task).trainer_weight, tm.tasks(task).validator_weight) == (300 * WAD, 0)
    arena.to_phase(task, PHASE_EVAL_REVEAL)
    arena.reveal_eval(task, creator)
    for validator in validators:
        game.commit_scores(task, validator, [10, 20, 30])
    assert tm.tasks(task).validator_weight == 300 * WAD
    arena.to_phase(task, PHASE_SCORE_REVEAL)
    for validator in validators[:2]:
        game.reveal_scores(task, validator, [10, 20, 30])
    arena.to_phase(task, PHASE_FINALIZE)
    balances = Balances(arena, creator)
    arena.finalize(task)
    (settled,) = logs_named(tm, "TaskFinalized")

    # T = 100 (trainer), S = 200 (two validators): 0.2 + 0.6 x 1/3 = 0.4 of R.
    assert (tm.tasks(task).trainer_weight, tm.tasks(task).validator_weight) == (
        100 * WAD,
        200 * WAD,
    )
    train = r_train(950 * WAD, 100 * WAD, 200 * WAD)
    assert train == 380 * WAD
    assert (settled.train_reward, settled.validator_reward) == (train, 570 * WAD)
    assert (settled.protocol_fee, settled.refunded) == (50 * WAD, 0)
    paid = game.claim_all(task)
    assert paid == {
        trainer: 380 * WAD,
        silent: 0,
        copier: 0,
        validators[0]: 285 * WAD,
        validators[1]: 285 * WAD,
        validators[2]: 0,
    }
    # Slashed: the copier 10%, the silent trainer and validator 5% each.
    assert arena.staking.treasury_owed() == 10 * WAD + 5 * WAD + 5 * WAD
    # Nothing is left for the creator: no refund, no dust; the fee to the treasury.
    assert balances.delta() == (0, 50 * WAD)
    game.assert_settled(task)


def test_ties_share_one_rank_whatever_the_commit_block(
    arena, game, tm, joined, creator, trainer, other_trainer, validator, other_validator
):
    boa.env.evm.patch.block_number = 10
    game.commit(joined, other_trainer)
    boa.env.evm.patch.block_number = 11
    game.commit(joined, trainer)
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    game.reveal(joined, trainer)
    game.reveal(joined, other_trainer)
    arena.to_phase(joined, PHASE_EVAL_REVEAL)
    arena.reveal_eval(joined, creator)
    for account in (validator, other_validator):
        game.commit_scores(joined, account, [7, 7])
    arena.to_phase(joined, PHASE_SCORE_REVEAL)
    for account in (validator, other_validator):
        game.reveal_scores(joined, account, [7, 7])
    arena.to_phase(joined, PHASE_FINALIZE)
    arena.finalize(joined)

    train = r_train(950 * WAD, 200 * WAD, 200 * WAD)
    # Equal consensus: rank 0 for both, whichever committed first.
    other_reward, trainer_reward = shares(train, [100 * WAD, 100 * WAD])
    paid = game.claim_all(joined)
    assert (paid[other_trainer], paid[trainer]) == (other_reward, trainer_reward)
    assert paid[validator] == paid[other_validator] == (950 * WAD - train) // 2
    game.assert_settled(joined)


def test_no_valid_submission_sends_the_trainers_share_to_the_treasury(
    arena, game, tm, joined, creator, trainer, other_trainer, validator, other_validator
):
    """Every model scored invalid: R_train goes to the treasury, not back to
    the creator; the validators, who agree on it, earn R_val; the fee is
    charged. Both trainers revealed: T counts them, invalid or not."""
    balances = Balances(arena, creator)
    game.play(
        joined,
        creator,
        {trainer: None, other_trainer: None},
        {validator: [INVALID_SCORE] * 2, other_validator: [INVALID_SCORE] * 2},
    )
    arena.finalize(joined)
    fee = REWARD * FEE_BPS // 10_000
    train = r_train(REWARD - fee, 200 * WAD, 200 * WAD)
    val = REWARD - fee - train
    (settled,) = logs_named(tm, "TaskFinalized")
    assert (settled.train_reward, settled.validator_reward) == (0, val)
    assert (settled.protocol_fee, settled.refunded) == (fee, train)
    assert train == 475 * WAD
    refunds = [(e.receiver, e.amount) for e in logs_named(tm, "Refunded")]
    assert refunds == [(arena.treasury, train)]
    paid = game.claim_all(joined)
    assert paid == {trainer: 0, other_trainer: 0, validator: val // 2, other_validator: val // 2}
    assert balances.delta() == (BOND + val % 2, fee + train)
    game.assert_settled(joined)


def test_no_revealed_model_sends_everything_to_the_treasury(
    arena, game, tm, joined, creator, trainer, other_trainer, validator, other_validator
):
    """Nothing to score: no validator earns trust, no fee, the whole reward
    to the treasury; the trainers that kept their models back are slashed."""
    balances = Balances(arena, creator)
    game.play(
        joined,
        creator,
        {trainer: None, other_trainer: None},
        {validator: [1, 2], other_validator: [1, 2]},
        hidden_models=[trainer, other_trainer],
    )
    arena.finalize(joined)
    (settled,) = logs_named(tm, "TaskFinalized")
    assert (settled.train_reward, settled.validator_reward, settled.protocol_fee) == (0, 0, 0)
    assert settled.refunded == REWARD
    assert (tm.tasks(joined).trainer_weight, tm.tasks(joined).validator_weight) == (0, 200 * WAD)
    paid = game.claim_all(joined)
    assert set(paid.values()) == {0}
    assert balances.delta() == (BOND, REWARD)
    # 5% of each trainer's 100 ARENA.
    assert arena.staking.treasury_owed() == 2 * 5 * WAD
    game.assert_settled(joined)


def test_no_revealed_validator_sends_everything_to_the_treasury(
    arena, game, tm, joined, creator, trainer, other_trainer, validator, other_validator
):
    balances = Balances(arena, creator)
    game.play(
        joined,
        creator,
        {trainer: None, other_trainer: None},
        {validator: [1, 2], other_validator: [1, 2]},
        hidden_scores=[validator, other_validator],
    )
    arena.finalize(joined)
    (settled,) = logs_named(tm, "TaskFinalized")
    assert (settled.train_reward, settled.validator_reward, settled.protocol_fee) == (0, 0, 0)
    assert settled.refunded == REWARD
    assert (tm.tasks(joined).trainer_weight, tm.tasks(joined).validator_weight) == (200 * WAD, 0)
    paid = game.claim_all(joined)
    assert set(paid.values()) == {0}
    assert balances.delta() == (BOND, REWARD)
    # The validators that did not reveal lost 5% of their 100 ARENA.
    assert arena.staking.treasury_owed() == 2 * 5 * WAD
    game.assert_settled(joined)


def test_no_validator_weight_sends_the_validators_share_to_the_treasury(
    arena, game, tm, creator, delegator
):
    """The only validator's stake is all delegated and epsilon is 0: it
    weighs nothing, earns trust but no reward; R_val goes to the treasury.
    (The DAO allows pools without own stake here: a minimum self stake of 0.)"""
    with boa.env.prank(arena.admin):
        arena.staking.set_delegation_weight_bps(0)
        arena.staking.set_min_self_stake_bps(0)
    task, _ = game.create(creator)
    trainer = game.operator("trainer", 100 * WAD)
    validator = game.operator("validator", 0)
    with boa.env.prank(delegator):
        arena.staking.delegate(validator, 100 * WAD)
    game.enrol(task, [trainer], [validator])
    assert tm.participant(task, validator).weight == 0

    balances = Balances(arena, creator)
    game.play(task, creator, {trainer: None}, {validator: [42]})
    arena.finalize(task)
    (settled,) = logs_named(tm, "TaskFinalized")
    assert tm.consensus_of(task, trainer) == 42
    assert tm.trust(task, validator) == WAD

    fee = REWARD * FEE_BPS // 10_000
    train = r_train(REWARD - fee, 100 * WAD, 0)  # gamma + (1 - 2 gamma) = 0.8
    assert train == 760 * WAD
    assert (settled.train_reward, settled.validator_reward) == (train, 0)
    assert (settled.protocol_fee, settled.refunded) == (fee, REWARD - fee - train)
    assert REWARD - fee - train == 190 * WAD
    paid = game.claim_all(task)
    assert paid == {trainer: train, validator: 0}
    assert balances.delta() == (BOND, fee + 190 * WAD)
    game.assert_settled(task)


def test_parameters_of_the_task_apply(
    arena, game, tm, creator, trainer, other_trainer, validator, other_validator
):
    """gamma 0.5, q 1 and a 20% fee: each side gets half, equal ranks pay equally."""
    with boa.env.prank(arena.admin):
        tm.set_gamma_wad(WAD // 2)
        tm.set_q_wad(WAD)
        tm.set_protocol_fee_bps(2_000)
    task, _ = game.create(creator)
    # The parameters are fixed at creation: later changes do not apply.
    with boa.env.prank(arena.admin):
        tm.set_gamma_wad(0)
        tm.set_q_wad(0)
        tm.set_protocol_fee_bps(0)
    arena.join(task, trainer, ROLE_TRAINER, 100 * WAD)
    arena.join(task, other_trainer, ROLE_TRAINER, 300 * WAD)
    game.enrol(task, validators=[validator, other_validator])
    balances = Balances(arena, creator)
    game.play(
        task,
        creator,
        {trainer: None, other_trainer: None},
        {validator: [1, 2], other_validator: [1, 2]},
    )
    arena.finalize(task)
    fee = REWARD * 2_000 // 10_000
    train = r_train(REWARD - fee, 400 * WAD, 200 * WAD, gamma=Fraction(1, 2))
    assert train == 400 * WAD
    paid = game.claim_all(task)
    assert (paid[trainer], paid[other_trainer]) == (100 * WAD, 300 * WAD)
    assert paid[validator] == paid[other_validator] == 200 * WAD
    assert balances.delta() == (BOND, fee)
    game.assert_settled(task)


def test_rewards_go_into_the_pool(
    arena, game, tm, task, creator, trainer, other_trainer, validator, other_validator, delegator
):
    """The reward is paid with pay_reward: 10% commission to the operator,
    the rest raises every share, the delegator's included (it staked before
    the trainer joined, so its stake was at risk in the task)."""
    with boa.env.prank(delegator):
        arena.staking.delegate(trainer, 1_000 * WAD)
    game.enrol(task, [trainer, other_trainer], [validator, other_validator])
    joined = task
    before = arena.staking.assets_of(trainer, delegator)
    game.play(
        joined,
        creator,
        {trainer: None},
        {tm.validators(joined, 0): [1, 0], tm.validators(joined, 1): [1, 0]},
    )
    arena.finalize(joined)
    reward = tm.claimable(joined, trainer)
    assert reward > 0
    arena.claim(joined, trainer)
    (paid,) = logs_named(tm, "RewardPaid")
    assert (paid.operator, paid.payer, paid.amount) == (trainer, tm.address, reward)
    commission = reward // 10
    assert paid.commission == commission
    assert arena.staking.pools(trainer).commission_owed == commission
    # Half of the pool is the delegator's: it gains half of the rest.
    gained = arena.staking.assets_of(trainer, delegator) - before
    assert abs(gained - (reward - commission) // 2) <= 1
    game.claim_all(joined)
    game.assert_settled(joined)


def test_q_zero_gives_the_trainers_share_to_the_best(arena, game, tm, creator):
    with boa.env.prank(arena.admin):
        tm.set_q_wad(0)
    task, _ = game.create(creator)
    trainers = game.operators_named("trainer", 3)
    validator = game.operator("validator")
    game.enrol(task, trainers, [validator])
    game.play(task, creator, dict.fromkeys(trainers), {validator: [30, 10, 20]})
    arena.finalize(task)
    train = r_train(950 * WAD, 300 * WAD, 100 * WAD)
    paid = game.claim_all(task)
    assert [paid[t] for t in trainers] == [0, train, 0]
    assert paid[validator] == 950 * WAD - train
    game.assert_settled(task)


def test_two_tasks_settle_independently(arena, game, tm, creator, trainer, validator):
    """The same pools in two tasks: each task pays and releases its own part."""
    first, _ = game.create(creator)
    second, _ = game.create(creator, reward=500 * WAD)
    game.enrol(first, [trainer], [validator], amount=300 * WAD)
    game.enrol(second, [trainer], [validator], amount=200 * WAD)
    for task in (first, second):
        game.commit(task, trainer)
    arena.to_phase(first, PHASE_MODEL_REVEAL)
    for task in (first, second):
        game.reveal(task, trainer)
    arena.to_phase(first, PHASE_EVAL_REVEAL)
    for task in (first, second):
        arena.reveal_eval(task, creator)
        game.commit_scores(task, validator, [1])
    arena.to_phase(first, PHASE_SCORE_REVEAL)
    # The validator reveals in the first task only.
    game.reveal_scores(first, validator, [1])
    arena.to_phase(first, PHASE_FINALIZE)
    arena.finalize(first)
    assert arena.staking.locked_by(trainer, tm.address) == 500 * WAD

    paid = game.claim_all(first)
    assert sum(paid.values()) == 950 * WAD  # one trainer, one validator: no dust
    assert arena.staking.locked_by(trainer, tm.address) == 200 * WAD
    assert arena.staking.locked_by(validator, tm.address) == 200 * WAD
    assert tm.tasks(second).balance == 500 * WAD
    assert arena.token.balanceOf(tm.address) == 500 * WAD

    # Nobody revealed scores in the second: its reward goes to the treasury.
    treasury = arena.token.balanceOf(arena.treasury)
    arena.finalize(second)
    assert arena.token.balanceOf(arena.treasury) == treasury + 500 * WAD
    assert game.claim_all(second) == {trainer: 0, validator: 0}
    assert arena.staking.treasury_owed() == 10 * WAD  # 5% of the validator's 200
    game.assert_settled(second)
