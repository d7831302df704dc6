"""allocate, release (with slashing) and pay_reward: the task manager's calls."""

import boa
import pytest

from support.constants import MAX_SLASH_BPS, WAD

PROTOCOL_ONLY = "staking: caller is not a protocol contract"


@pytest.fixture
def delegated(pool, operator, delegator):
    """Pool of 1,000 own + 1,000 delegated."""
    with boa.env.prank(delegator):
        pool.delegate(operator, 1_000 * WAD)
    return pool


def test_allocate_locks_stake(delegated, operator, protocol):
    with boa.env.prank(protocol):
        delegated.allocate(operator, 1_500 * WAD)
    (log,) = [e for e in delegated.get_logs() if type(e).__name__ == "StakeAllocated"]
    assert (log.operator, log.protocol, log.amount) == (operator, protocol, 1_500 * WAD)
    assert delegated.pools(operator).locked == 1_500 * WAD
    assert delegated.locked_by(operator, protocol) == 1_500 * WAD
    assert delegated.unlocked_stake(operator) == 500 * WAD


def test_allocate_everything_then_nothing_more(delegated, operator, protocol):
    with boa.env.prank(protocol):
        delegated.allocate(operator, 2_000 * WAD)
    with boa.reverts("staking: not enough unlocked stake"), boa.env.prank(protocol):
        delegated.allocate(operator, 1)


def test_two_protocol_contracts_lock_separately(delegated, operator, protocol, admin):
    other = boa.env.generate_address("other_protocol")
    with boa.env.prank(admin):
        delegated.grantRole(delegated.PROTOCOL_ROLE(), other)
    with boa.env.prank(protocol):
        delegated.allocate(operator, 500 * WAD)
    with boa.env.prank(other):
        delegated.allocate(operator, 700 * WAD)
    assert delegated.pools(operator).locked == 1_200 * WAD
    with boa.reverts("staking: release exceeds allocation"), boa.env.prank(other):
        delegated.release(operator, 701 * WAD, 0)


@pytest.mark.parametrize(
    "call, args",
    [
        ("allocate", (1,)),
        ("release", (0, 0)),
        ("pay_reward", (1,)),
    ],
)
def test_protocol_calls_need_the_role(delegated, operator, non_owner, call, args):
    with boa.reverts(PROTOCOL_ONLY), boa.env.prank(non_owner):
        getattr(delegated, call)(operator, *args)


def test_role_holder_can_be_revoked(delegated, operator, protocol, admin):
    with boa.env.prank(admin):
        delegated.revokeRole(delegated.PROTOCOL_ROLE(), protocol)
    with boa.reverts(PROTOCOL_ONLY), boa.env.prank(protocol):
        delegated.allocate(operator, 1)


def test_allocate_reverts(delegated, operator, protocol, non_owner):
    with boa.reverts("staking: no such pool"), boa.env.prank(protocol):
        delegated.allocate(non_owner, 1)
    with boa.reverts("staking: zero amount"), boa.env.prank(protocol):
        delegated.allocate(operator, 0)
    with boa.reverts("staking: not enough unlocked stake"), boa.env.prank(protocol):
        delegated.allocate(operator, 2_000 * WAD + 1)


def test_a_pool_below_the_minimum_stake_is_not_locked(staking, operator, delegator, protocol):
    """min_pool_stake (1 ARENA by default): the virtual shares take
    VS / (S + VS) of every reward, half of it in a one-wei pool."""
    assert staking.min_pool_stake() == WAD
    with boa.env.prank(operator):
        staking.open_pool(1_000, WAD - 1)
    with boa.reverts("staking: pool stake below the minimum"), boa.env.prank(protocol):
        staking.allocate(operator, 1)
    with boa.env.prank(operator):
        staking.delegate(operator, 1)
    with boa.env.prank(protocol):
        staking.allocate(operator, 1)
    assert staking.pools(operator).locked == 1


def test_the_minimum_counts_stake_the_allocation_activates(staking, operator, delegator, protocol):
    with boa.env.prank(operator):
        staking.open_pool(1_000, WAD)
    with boa.env.prank(protocol):
        staking.allocate(operator, WAD // 2)
    # The operator leaves with what is unlocked; a delegation waits.
    with boa.env.prank(operator):
        staking.request_withdraw(operator, WAD // 2)
    with boa.env.prank(delegator):
        staking.delegate(operator, WAD // 2)
    assert staking.pools(operator).total_assets == WAD // 2
    # The waiting half is activated first, so the pool holds 1 ARENA again.
    with boa.env.prank(protocol):
        staking.allocate(operator, 1)
    assert staking.pools(operator).total_assets == WAD


def test_a_lower_minimum_applies_to_the_next_allocation(staking, operator, admin, protocol):
    with boa.env.prank(operator):
        staking.open_pool(1_000, 1)
    with boa.env.prank(admin):
        staking.set_min_pool_stake(0)
    with boa.env.prank(protocol):
        staking.allocate(operator, 1)


def test_release_without_slash(delegated, operator, protocol):
    with boa.env.prank(protocol):
        delegated.allocate(operator, 1_500 * WAD)
        assert delegated.release(operator, 1_000 * WAD, 0) == 0
    assert delegated.pools(operator).locked == 500 * WAD
    assert delegated.locked_by(operator, protocol) == 500 * WAD
    assert delegated.pools(operator).total_assets == 2_000 * WAD
    assert delegated.treasury_owed() == 0


def test_a_slash_takes_the_operators_own_stake_first(delegated, operator, delegator, protocol):
    with boa.env.prank(protocol):
        delegated.allocate(operator, 1_600 * WAD)
        slashed = delegated.release(operator, 1_600 * WAD, 2_500)
    assert slashed == 400 * WAD  # 25% of the allocation
    (log,) = [e for e in delegated.get_logs() if type(e).__name__ == "StakeReleased"]
    assert (log.amount, log.slashed) == (1_600 * WAD, 400 * WAD)
    assert delegated.treasury_owed() == 400 * WAD
    assert delegated.pools(operator).total_assets == 1_600 * WAD
    # The operator's 1,000 ARENA pays the whole slash; the delegator keeps all.
    own = delegated.assets_of(operator, operator)
    assert 0 <= own - 600 * WAD <= 1
    assert 1_000 * WAD - delegated.assets_of(operator, delegator) <= 1


def test_a_slash_beyond_the_operators_stake_hits_every_other_share(
    delegated, operator, delegator, other_delegator, protocol
):
    with boa.env.prank(other_delegator):
        delegated.delegate(operator, 3_000 * WAD)
    with boa.env.prank(protocol):
        delegated.allocate(operator, 5_000 * WAD)
        slashed = delegated.release(operator, 5_000 * WAD, 5_000)
    assert slashed == 2_500 * WAD
    # The operator's 1,000 ARENA pay first; the other 1,500 are 37.5% of the
    # delegators' 4,000, taken from each in proportion.
    assert delegated.assets_of(operator, operator) <= 1
    for holder, had in ((delegator, 1_000 * WAD), (other_delegator, 3_000 * WAD)):
        fair = had * 5 // 8
        assert abs(delegated.assets_of(operator, holder) - fair) <= 2


def test_slash_at_the_maximum_and_above(delegated, operator, protocol):
    with boa.env.prank(protocol):
        delegated.allocate(operator, 1_000 * WAD)
    with boa.reverts("staking: slash above maximum"), boa.env.prank(protocol):
        delegated.release(operator, 1_000 * WAD, MAX_SLASH_BPS + 1)
    with boa.env.prank(protocol):
        assert delegated.release(operator, 1_000 * WAD, MAX_SLASH_BPS) == 500 * WAD


def test_slash_rounds_down(delegated, operator, protocol):
    with boa.env.prank(protocol):
        delegated.allocate(operator, 3)
        assert delegated.release(operator, 3, 5_000) == 1


def test_release_more_than_allocated_reverts(delegated, operator, protocol):
    with boa.env.prank(protocol):
        delegated.allocate(operator, 10)
    with boa.reverts("staking: release exceeds allocation"), boa.env.prank(protocol):
        delegated.release(operator, 11, 0)


def test_pay_reward_splits_commission_and_raises_share_value(
    delegated, token, operator, delegator, protocol
):
    value_before = delegated.pool_share_value(operator)
    with boa.env.prank(protocol):
        commission = delegated.pay_reward(operator, 200 * WAD)
    assert commission == 20 * WAD  # 10%
    (log,) = [e for e in delegated.get_logs() if type(e).__name__ == "RewardPaid"]
    assert (log.operator, log.payer, log.amount, log.commission) == (
        operator,
        protocol,
        200 * WAD,
        20 * WAD,
    )
    assert delegated.pools(operator).commission_owed == 20 * WAD
    assert delegated.pools(operator).total_assets == 2_180 * WAD
    assert delegated.pool_share_value(operator) > value_before
    # The 180 left after commission is shared by stake, operator's included.
    assert 1_090 * WAD - delegated.assets_of(operator, delegator) <= 1
    assert 1_090 * WAD - delegated.own_stake(operator) <= 1
    assert token.balanceOf(delegated.address) == 2_200 * WAD


def test_pay_reward_to_pool_without_shares_goes_to_operator(staking, operator, protocol):
    with boa.env.prank(operator):
        staking.open_pool(1_000, 0)
    with boa.env.prank(protocol):
        assert staking.pay_reward(operator, 5 * WAD) == 5 * WAD
    assert staking.pools(operator).commission_owed == 5 * WAD
    assert staking.pools(operator).total_assets == 0


def test_pay_reward_to_unknown_pool_reverts(staking, protocol, non_owner):
    with boa.reverts("staking: no such pool"), boa.env.prank(protocol):
        staking.pay_reward(non_owner, 1)


def test_pay_reward_without_funds_reverts(delegated, token, operator, protocol):
    with boa.env.prank(protocol):
        token.approve(delegated.address, 0)
    with boa.reverts("erc20: insufficient allowance"), boa.env.prank(protocol):
        delegated.pay_reward(operator, 1)


def test_sweep_to_treasury(delegated, token, operator, protocol, slash_treasury, non_owner):
    with boa.env.prank(protocol):
        delegated.allocate(operator, 1_000 * WAD)
        delegated.release(operator, 1_000 * WAD, 1_000)
    with boa.env.prank(non_owner):  # anyone may sweep
        assert delegated.sweep_to_treasury() == 100 * WAD
    (log,) = [e for e in delegated.get_logs() if type(e).__name__ == "TreasurySwept"]
    assert (log.treasury, log.amount) == (slash_treasury, 100 * WAD)
    assert token.balanceOf(slash_treasury) == 100 * WAD
    assert delegated.treasury_owed() == 0
    with boa.reverts("staking: nothing to sweep"), boa.env.prank(non_owner):
        delegated.sweep_to_treasury()
