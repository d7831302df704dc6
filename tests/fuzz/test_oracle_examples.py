"""The reward oracle (support/oracle.py) on examples worked by hand from
docs/tasks.md, and its rounding bound against an integer model of the
contract's documented arithmetic (modules/rewards.vy's docstring: q^r by
repeated floor multiplication, floored weights, floored shares).

No contract runs here: test_task_lifecycle.py holds TaskManager to the oracle.
"""

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from support.oracle import (
    INVALID_SCORE,
    WAD,
    Pot,
    Terms,
    Trainer,
    Validator,
    agrees,
    cancel,
    disqualified,
    settle,
    weighted_median,
)

# --- consensus, agreement, plagiarism ------------------------------------------------


def test_weighted_median():
    assert weighted_median([3, 1, 2], [1, 1, 1]) == 2
    # Exactly half the weight at 10: the midpoint with the next score.
    assert weighted_median([10, 20], [1, 1]) == 15
    assert weighted_median([1, 2], [1, 1]) == 1  # (1 + 2) // 2
    assert weighted_median([1, 2], [1, 2]) == 2
    assert weighted_median([5, 1], [1, 3]) == 1
    # Half of the weight says invalid: the model is not valid.
    assert weighted_median([10, INVALID_SCORE], [1, 1]) == INVALID_SCORE
    # A weightless score between the halves has no say.
    assert weighted_median([100, 120, 200], [1, 0, 1]) == 150
    # Weightless validators only: the lowest score.
    assert weighted_median([9, 7], [0, 0]) == 7
    # A minority (weight 2 of 5) cannot pull the median outside the majority's [10, 12].
    assert weighted_median([0, 10, 11, 12, INVALID_SCORE], [1, 1, 1, 1, 1]) == 11


def test_agreement():
    assert agrees(105, 100, 500)  # 5% off, 5% tolerance
    assert not agrees(106, 100, 500)
    assert agrees(INVALID_SCORE, INVALID_SCORE, 0)
    assert not agrees(INVALID_SCORE, 100, 10_000)
    assert not agrees(100, INVALID_SCORE, 10_000)
    assert agrees(0, 0, 0)


def test_the_earliest_commitment_keeps_a_model_hash():
    x, y = b"x" * 32, b"y" * 32
    trainers = [
        Trainer(1, commit_block=5, model=x),
        Trainer(1, commit_block=3, model=x),  # earliest block: keeps x
        Trainer(1, commit_block=3, model=x),  # same block, later join: disqualified
        Trainer(1, commit_block=1, model=None),  # never revealed
        Trainer(1, commit_block=9, model=y),
    ]
    assert disqualified(trainers) == [True, False, True, False, False]


# --- a settlement worked by hand ---------------------------------------------------------


def test_settlement_by_hand():
    m0, m1 = b"0" * 32, b"1" * 32
    terms = Terms(
        reward=1_000,
        protocol_fee_bps=500,
        gamma_wad=2 * 10**17,
        q_wad=5 * 10**17,
        tolerance_bps=500,
    )
    trainers = [Trainer(100, commit_block=10, model=m0), Trainer(200, commit_block=9, model=m1)]
    validators = [Validator(50, scores=(10, 20)), Validator(50, scores=(10, 30))]
    o = settle(terms, trainers, validators)
    # Consensus: [10, 10] -> 10; [20, 30] at equal weights -> their midpoint, 25.
    assert o.consensus == [10, 25]
    assert o.ranks == [0, 1]
    # 20 and 30 are each 20% off the consensus 25, outside 5%: both validators
    # agree on one submission of two.
    assert o.trust == [Fraction(1, 2), Fraction(1, 2)]
    # fee 50, R 950, R_train = floor(950 * (0.2 + 0.6 * 300 / 400)) = floor(617.5).
    assert o.outcomes() == {(50, 0, 617, 333)}
    # Trainer weights 100 and 0.5 * 200 = 100; validator weights 25 and 25.
    assert [s.exact for s in o.trainers] == [Fraction(617, 2)] * 2
    assert [s.exact for s in o.validators] == [Fraction(333, 2)] * 2
    # The contract's floor(617 * 100 / 200) = 308 is admitted; one wei less is not.
    assert o.trainers[0].admits(308)
    assert not o.trainers[0].admits(303)
    assert all(s.slash_bps == 0 for s in o.trainers + o.validators)


def test_ties_share_a_rank():
    a, b, c = b"a" * 32, b"b" * 32, b"c" * 32
    terms = Terms(reward=1_000, protocol_fee_bps=0, gamma_wad=0, q_wad=WAD // 2, tolerance_bps=0)
    trainers = [
        Trainer(1, commit_block=7, model=a),
        Trainer(1, commit_block=6, model=b),
        Trainer(1, commit_block=6, model=c),
    ]
    o = settle(terms, trainers, [Validator(1, scores=(5, 5, 5))])
    assert o.ranks == [0, 0, 0]
    # One rank, one factor: R_train = 1,000 * 3 / 4, a third each.
    assert [s.exact for s in o.trainers] == [Fraction(750, 3)] * 3


def test_ranks_are_dense_and_shared_within_the_tolerance_of_the_group_best():
    models = [bytes([i]) * 32 for i in range(5)]
    terms = Terms(reward=1_000, protocol_fee_bps=0, gamma_wad=0, q_wad=WAD // 2, tolerance_bps=100)
    trainers = [Trainer(1, commit_block=i, model=m) for i, m in enumerate(models)]
    # 1,006 is within 1% of 1,000; 1,012 is not (a new group), 1,018 is
    # within 1% of 1,012 but not of 1,000: no chaining.
    o = settle(terms, trainers, [Validator(1, scores=(1_012, 1_000, 1_018, 1_006, 2_000))])
    assert o.ranks == [1, 0, 1, 0, 2]


def test_unpayable_pots_go_to_the_treasury():
    m = b"m" * 32
    terms = Terms(
        reward=1_000,
        protocol_fee_bps=1_000,
        gamma_wad=0,
        q_wad=WAD,
        tolerance_bps=0,
        plagiarism_slash_bps=2_000,
        nonreveal_slash_bps=700,
        max_slash_bps=1_000,
    )
    # No validator revealed: no consensus, no trust; the whole reward, no fee.
    o = settle(terms, [Trainer(10, commit_block=1, model=m)], [Validator(10)])
    assert o.consensus == [INVALID_SCORE]
    assert o.outcomes() == {(0, 1_000, 0, 0)}
    assert o.validators[0].slash_bps == 700
    assert o.validators[0].slashed(1_001) == 70
    # Every model judged invalid: the validators agree, so only their pot is paid.
    o = settle(
        terms,
        [Trainer(10, commit_block=1, model=m), Trainer(10, commit_block=2, model=m)],
        [Validator(10, scores=(INVALID_SCORE, 3))],
    )
    assert o.disqualified == [False, True]
    assert o.trainers[1].slash_bps == 1_000  # capped by staking's maximum
    # T counts the eligible trainer only (the copy is disqualified): 10 of 20.
    # fee 100, R 900, R_train = 900 * 10 / 20 = 450 (unpaid), R_val 450 (paid).
    assert o.outcomes() == {(100, 450, 0, 450)}


def test_a_cancelled_task_pays_the_revealed_trainers_by_weight_but_not_a_plagiarist():
    m, n = b"m" * 32, b"n" * 32
    terms = Terms(
        reward=1_000,
        protocol_fee_bps=0,
        gamma_wad=2 * 10**17,
        q_wad=WAD,
        tolerance_bps=0,
        bond=10,
        plagiarism_slash_bps=2_000,
        nonreveal_slash_bps=500,
        max_slash_bps=1_500,
    )
    trainers = [
        Trainer(1, commit_block=1, model=m),
        Trainer(1, commit_block=2, model=m),
        Trainer(2, commit_block=3, model=n),
        Trainer(5, commit_block=4, model=None),
    ]
    shares, validator_shares = cancel(terms, trainers, [Validator(1)])
    # bond 10 + 20% of 1,000 = 210, to weights 1 and 2 (the copy is out, the
    # silent trainer revealed nothing).
    assert [s.exact for s in shares] == [70, 0, 140, 0]
    assert [s.slash_bps for s in shares] == [0, 1_500, 0, 500]
    assert [(s.exact, s.slash_bps) for s in validator_shares] == [(0, 0)]
    assert shares[0].admits(70) and not shares[0].admits(71)


def test_a_cancelled_task_without_a_revealed_model_pays_nobody():
    terms = Terms(
        reward=1_000, protocol_fee_bps=0, gamma_wad=2 * 10**17, q_wad=WAD, tolerance_bps=0, bond=10
    )
    shares, validator_shares = cancel(
        terms, [Trainer(1, commit_block=1, model=None)], [Validator(1)]
    )
    assert [s.exact for s in shares + validator_shares] == [0, 0]


# --- the rounding bound ------------------------------------------------------------------


def contract_weights(q_wad: int, weights: list[int]) -> list[int]:
    """modules/rewards.vy's documented integer weights, trainers in rank order."""
    factor, reward_weights = WAD, []
    for t in weights:
        reward_weights.append(factor * t // WAD)
        factor = factor * q_wad // WAD
    return reward_weights


def contract_payouts(amount: int, q_wad: int, weights: list[int]) -> list[int]:
    reward_weights = contract_weights(q_wad, weights)
    total = sum(reward_weights)
    return [amount * w // total if total else 0 for w in reward_weights]


def oracle_pot(amount: int, q_wad: int, weights: list[int]) -> Pot:
    q = Fraction(q_wad, WAD)
    return Pot(
        amount,
        [q**r * t for r, t in enumerate(weights)],
        [Fraction(r * t, WAD) + 1 for r, t in enumerate(weights)],
    )


@given(
    amount=st.integers(min_value=0, max_value=10**27),
    q_wad=st.integers(min_value=0, max_value=WAD),
    weights=st.lists(st.integers(min_value=0, max_value=10**27), min_size=1, max_size=128),
)
def test_the_rounding_bound_holds(amount, q_wad, weights):
    paid = contract_payouts(amount, q_wad, weights)
    pot = oracle_pot(amount, q_wad, weights)
    assert all(s.admits(p) for s, p in zip(pot.shares(), paid, strict=True))
    assert sum(paid) <= amount
    # The contract refunds the pot when its weights sum to 0: the oracle allows it.
    contract_total = sum(contract_weights(q_wad, weights))
    assert pot.payable is None or pot.payable == (contract_total > 0)


def test_a_payout_can_exceed_its_exact_value():
    # Rank 0's weight is never rounded; the others' lose to q^r's floors, so
    # rank 0's share of the pot grows: the bound must be two-sided.
    amount, q_wad = 854002458224323716830833, 44262681540931340
    weights = [
        128095001699883843550,
        229782759785793848620,
        9092569266533863935089,
        440070301571933685767,
        3859696658971883097187,
        2747324133284774518068,
    ]
    paid = contract_payouts(amount, q_wad, weights)
    share = oracle_pot(amount, q_wad, weights).shares()[0]
    assert paid[0] > share.exact + 10**7
    assert share.admits(paid[0])
