import boa

from support.constants import UNBONDING_DELAY, WAD


def _now():
    return boa.env.evm.patch.timestamp


def test_request_withdraw_burns_shares_and_starts_unbonding(pool, operator, delegator):
    with boa.env.prank(delegator):
        pool.delegate(operator, 300 * WAD)
        unlock_at = pool.request_withdraw(operator, 100 * WAD)
    assert unlock_at == _now() + UNBONDING_DELAY
    (log,) = [e for e in pool.get_logs() if type(e).__name__ == "WithdrawRequested"]
    assert (log.holder, log.assets, log.unlock_at) == (delegator, 100 * WAD, unlock_at)
    assert log.shares == 100 * WAD * 10**6
    assert pool.assets_of(operator, delegator) == 200 * WAD
    assert pool.unbonding_of(delegator, operator) == (100 * WAD, unlock_at)
    assert pool.total_unbonding() == 100 * WAD
    assert pool.pools(operator).total_assets == 1_200 * WAD


def test_unbonding_tokens_earn_no_reward(pool, operator, delegator, protocol):
    with boa.env.prank(delegator):
        pool.delegate(operator, 1_000 * WAD)
        pool.request_withdraw(operator, 1_000 * WAD)
    with boa.env.prank(protocol):
        pool.pay_reward(operator, 100 * WAD)
    assert pool.unbonding_of(delegator, operator)[0] == 1_000 * WAD
    assert pool.assets_of(operator, delegator) == 0
    assert pool.own_stake(operator) == 1_090 * WAD - 1  # rounding favours the pool


def test_second_request_adds_and_restarts_the_delay(pool, operator, delegator):
    with boa.env.prank(delegator):
        pool.delegate(operator, 300 * WAD)
        pool.request_withdraw(operator, 100 * WAD)
    boa.env.time_travel(seconds=1_000)
    with boa.env.prank(delegator):
        unlock_at = pool.request_withdraw(operator, 50 * WAD)
    assert pool.unbonding_of(delegator, operator) == (150 * WAD, unlock_at)
    assert unlock_at == _now() + UNBONDING_DELAY


def test_request_beyond_stake_reverts(pool, operator, delegator):
    with boa.env.prank(delegator):
        pool.delegate(operator, 10 * WAD)
    with boa.reverts("staking: amount exceeds stake"), boa.env.prank(delegator):
        pool.request_withdraw(operator, 10 * WAD + 1)


def test_request_zero_reverts(pool, operator, delegator):
    with boa.reverts("staking: zero amount"), boa.env.prank(delegator):
        pool.request_withdraw(operator, 0)


def test_request_huge_amount_reverts_with_reason(pool, operator, delegator):
    with boa.reverts("staking: amount exceeds stake"), boa.env.prank(delegator):
        pool.request_withdraw(operator, 2**256 - 1)


def test_request_from_unknown_pool_reverts(staking, delegator, non_owner):
    with boa.reverts("staking: amount exceeds stake"), boa.env.prank(delegator):
        staking.request_withdraw(non_owner, 1)


def test_locked_stake_is_reserved_not_unbonded(pool, operator, delegator, protocol):
    """The withdrawal rule: only the pool's free stake unbonds at once; the
    rest of a delegator's request is reserved, and the operator asks back only
    free stake."""
    with boa.env.prank(delegator):
        pool.delegate(operator, 1_000 * WAD)
    with boa.env.prank(protocol):
        pool.allocate(operator, 1_500 * WAD)
    assert pool.unlocked_stake(operator) == 500 * WAD
    with boa.env.prank(delegator):
        pool.request_withdraw(operator, 500 * WAD + 1)
    assert pool.unbonding_of(delegator, operator)[0] == 500 * WAD
    assert pool.reserved_of(operator, delegator) == (1, False)
    with boa.reverts("staking: amount exceeds unlocked stake"), boa.env.prank(operator):
        pool.request_withdraw(operator, 1)
    with boa.env.prank(protocol):
        pool.release(operator, 1_500 * WAD, 0)
    with boa.env.prank(operator):
        pool.request_withdraw(operator, 1_000 * WAD)


def test_withdraw_after_delay(pool, token, operator, delegator):
    with boa.env.prank(delegator):
        pool.delegate(operator, 300 * WAD)
        pool.request_withdraw(operator, 300 * WAD)
    boa.env.time_travel(seconds=UNBONDING_DELAY)
    with boa.env.prank(delegator):
        assert pool.withdraw(operator) == 300 * WAD
    (log,) = [e for e in pool.get_logs() if type(e).__name__ == "Withdrawn"]
    assert (log.operator, log.holder, log.assets) == (operator, delegator, 300 * WAD)
    assert token.balanceOf(delegator) == 10_000 * WAD
    assert pool.unbonding_of(delegator, operator) == (0, 0)
    assert pool.total_unbonding() == 0


def test_withdraw_one_second_early_reverts(pool, operator, delegator):
    with boa.env.prank(delegator):
        pool.delegate(operator, 300 * WAD)
        pool.request_withdraw(operator, 300 * WAD)
    boa.env.time_travel(seconds=UNBONDING_DELAY - 1)
    with boa.reverts("staking: unbonding not over"), boa.env.prank(delegator):
        pool.withdraw(operator)
    boa.env.time_travel(seconds=1)
    with boa.env.prank(delegator):
        pool.withdraw(operator)


def test_withdraw_nothing_reverts(pool, operator, delegator):
    with boa.reverts("staking: nothing to withdraw"), boa.env.prank(delegator):
        pool.withdraw(operator)


def test_withdraw_twice_reverts(pool, operator, delegator):
    with boa.env.prank(delegator):
        pool.delegate(operator, 300 * WAD)
        pool.request_withdraw(operator, 300 * WAD)
    boa.env.time_travel(seconds=UNBONDING_DELAY)
    with boa.env.prank(delegator):
        pool.withdraw(operator)
    with boa.reverts("staking: nothing to withdraw"), boa.env.prank(delegator):
        pool.withdraw(operator)


def test_unbonding_is_not_slashed(pool, operator, delegator, protocol):
    with boa.env.prank(delegator):
        pool.delegate(operator, 1_000 * WAD)
        pool.request_withdraw(operator, 400 * WAD)
    with boa.env.prank(protocol):
        pool.allocate(operator, 1_600 * WAD)
        pool.release(operator, 1_600 * WAD, 5_000)
    assert pool.unbonding_of(delegator, operator)[0] == 400 * WAD
