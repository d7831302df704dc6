"""A withdrawal request for locked stake is reserved, never refused: the
reserved stake stays shares (at risk and earning in the task that locked
it), no allocation may lock it again, and honour_withdrawal starts its
unbonding once the unlocked stake covers it, reservations in the order they
were made."""

import boa
import pytest

from support.constants import UNBONDING_DELAY, WAD

STILL_LOCKED = "staking: reserved stake still locked"


def _logs(contract, name):
    return [e for e in contract.get_logs() if type(e).__name__ == name]


def _now():
    return boa.env.evm.patch.timestamp


@pytest.fixture
def locked(pool, operator, delegator, other_delegator, protocol):
    """1,000 own + 1,000 + 1,000 delegated, all 3,000 locked by `protocol`."""
    for holder in (delegator, other_delegator):
        with boa.env.prank(holder):
            pool.delegate(operator, 1_000 * WAD)
    with boa.env.prank(protocol):
        pool.allocate(operator, 3_000 * WAD)
    return pool


def request(staking, holder, operator, amount):
    with boa.env.prank(holder):
        return staking.request_withdraw(operator, amount)


def release(staking, protocol, operator, amount, slash_bps=0):
    with boa.env.prank(protocol):
        return staking.release(operator, amount, slash_bps)


# --- the request -------------------------------------------------------------------------


def test_a_request_for_locked_stake_is_reserved(locked, operator, delegator):
    assert request(locked, delegator, operator, 600 * WAD) == 0  # nothing unbonds yet
    (log,) = _logs(locked, "WithdrawReserved")
    assert (log.operator, log.holder, log.assets, log.position) == (
        operator,
        delegator,
        600 * WAD,
        600 * WAD,
    )
    assert _logs(locked, "WithdrawRequested") == []
    assert locked.reserved_of(operator, delegator) == (600 * WAD, False)
    assert locked.pools(operator).reserved == 600 * WAD
    # Still shares, still counted in the pool.
    assert locked.assets_of(operator, delegator) == 1_000 * WAD
    assert locked.pools(operator).total_assets == 3_000 * WAD
    assert locked.unbonding_of(delegator, operator) == (0, 0)
    assert locked.total_unbonding() == 0
    # Voting power falls at the request, reserved or not.
    assert locked.votes(delegator) == 400 * WAD


def test_the_free_part_unbonds_at_once_and_the_rest_is_reserved(
    locked, operator, delegator, protocol
):
    release(locked, protocol, operator, 500 * WAD)
    unlock_at = request(locked, delegator, operator, 800 * WAD)
    assert unlock_at == _now() + UNBONDING_DELAY
    (requested,) = _logs(locked, "WithdrawRequested")
    (reserved,) = _logs(locked, "WithdrawReserved")
    assert (requested.assets, reserved.assets) == (500 * WAD, 300 * WAD)
    assert locked.unbonding_of(delegator, operator) == (500 * WAD, unlock_at)
    assert locked.reserved_of(operator, delegator)[0] == 300 * WAD
    assert locked.assets_of(operator, delegator) == 500 * WAD


def test_reserved_stake_cannot_be_asked_for_twice(locked, operator, delegator):
    request(locked, delegator, operator, 600 * WAD)
    with boa.reverts("staking: amount exceeds stake"), boa.env.prank(delegator):
        locked.request_withdraw(operator, 400 * WAD + 1)
    request(locked, delegator, operator, 400 * WAD)
    assert locked.reserved_of(operator, delegator)[0] == 1_000 * WAD


def test_the_operator_reserves_nothing(locked, operator):
    with boa.reverts("staking: amount exceeds unlocked stake"), boa.env.prank(operator):
        locked.request_withdraw(operator, 1)


def test_a_request_in_an_idle_pool_is_never_reserved(pool, operator, delegator):
    with boa.env.prank(delegator):
        pool.delegate(operator, 1_000 * WAD)
    request(pool, delegator, operator, 1_000 * WAD)
    assert _logs(pool, "WithdrawReserved") == []
    assert pool.unbonding_of(delegator, operator)[0] == 1_000 * WAD


# --- what allocations may lock ---------------------------------------------------------


def test_reserved_stake_is_never_locked_again(locked, operator, delegator, protocol):
    request(locked, delegator, operator, 1_000 * WAD)
    release(locked, protocol, operator, 3_000 * WAD)
    assert locked.unlocked_stake(operator) == 2_000 * WAD
    with boa.reverts("staking: not enough unlocked stake"), boa.env.prank(protocol):
        locked.allocate(operator, 2_000 * WAD + 1)
    with boa.env.prank(protocol):
        locked.allocate(operator, 2_000 * WAD)
    assert locked.unlocked_stake(operator) == 0
    # The reserved stake is free of every lock: it can be honoured at once.
    assert locked.reserved_of(operator, delegator) == (1_000 * WAD, True)


def test_requests_while_locked_draw_only_on_free_stake(
    locked, operator, delegator, other_delegator, protocol
):
    request(locked, delegator, operator, 1_000 * WAD)
    release(locked, protocol, operator, 1_200 * WAD)
    # 1,200 unlocked, 1,000 of it reserved: 200 are free.
    assert locked.unlocked_stake(operator) == 200 * WAD
    request(locked, other_delegator, operator, 300 * WAD)
    assert locked.unbonding_of(other_delegator, operator)[0] == 200 * WAD
    assert locked.reserved_of(operator, other_delegator)[0] == 100 * WAD
    # The first reservation is still covered.
    assert locked.reserved_of(operator, delegator) == (1_000 * WAD, True)


# --- the honour --------------------------------------------------------------------------


def test_honour_starts_the_unbonding_once_released(locked, token, operator, delegator, protocol):
    request(locked, delegator, operator, 600 * WAD)
    with boa.reverts(STILL_LOCKED):
        locked.honour_withdrawal(operator, delegator)
    release(locked, protocol, operator, 3_000 * WAD)
    boa.env.time_travel(seconds=1_000)
    keeper = boa.env.generate_address("keeper")
    with boa.env.prank(keeper):
        assert locked.honour_withdrawal(operator, delegator) == 600 * WAD
    (log,) = _logs(locked, "WithdrawHonoured")
    unlock_at = _now() + UNBONDING_DELAY
    assert (log.operator, log.holder, log.reserved, log.assets, log.unlock_at) == (
        operator,
        delegator,
        600 * WAD,
        600 * WAD,
        unlock_at,
    )
    assert log.shares == 600 * WAD * 10**6
    assert locked.unbonding_of(delegator, operator) == (600 * WAD, unlock_at)
    assert locked.reserved_of(operator, delegator) == (0, False)
    assert locked.pools(operator).reserved == 0
    assert locked.pools(operator).total_assets == 2_400 * WAD
    assert locked.total_unbonding() == 600 * WAD
    assert locked.assets_of(operator, delegator) == 400 * WAD
    boa.env.time_travel(seconds=UNBONDING_DELAY)
    before = token.balanceOf(delegator)
    with boa.env.prank(delegator):
        locked.withdraw(operator)
    assert token.balanceOf(delegator) == before + 600 * WAD


def test_honour_with_nothing_reserved_reverts(pool, operator, delegator):
    with boa.reverts("staking: nothing reserved"):
        pool.honour_withdrawal(operator, delegator)


def test_only_the_holder_honours_while_it_unbonds(locked, operator, delegator, protocol):
    release(locked, protocol, operator, 100 * WAD)
    request(locked, delegator, operator, 300 * WAD)  # 100 unbond, 200 reserved
    release(locked, protocol, operator, 2_900 * WAD)
    keeper = boa.env.generate_address("keeper")
    reason = "staking: the holder is unbonding, only it may honour"
    with boa.reverts(reason), boa.env.prank(keeper):
        locked.honour_withdrawal(operator, delegator)
    with boa.env.prank(delegator):
        locked.honour_withdrawal(operator, delegator)
    assert locked.unbonding_of(delegator, operator) == (300 * WAD, _now() + UNBONDING_DELAY)


def test_withdraw_keeps_a_reservation(locked, operator, delegator, protocol):
    release(locked, protocol, operator, 100 * WAD)
    request(locked, delegator, operator, 300 * WAD)
    boa.env.time_travel(seconds=UNBONDING_DELAY)
    with boa.env.prank(delegator):
        assert locked.withdraw(operator) == 100 * WAD
    assert locked.reserved_of(operator, delegator)[0] == 200 * WAD
    assert locked.unbonding_of(delegator, operator) == (0, 0)


def test_reservations_are_honoured_in_order(locked, operator, delegator, other_delegator, protocol):
    request(locked, delegator, operator, 500 * WAD)
    request(locked, other_delegator, operator, 100 * WAD)
    # 300 unlocked: less than the first reservation, so neither goes, though
    # the second alone would fit.
    release(locked, protocol, operator, 300 * WAD)
    assert locked.reserved_of(operator, delegator) == (500 * WAD, False)
    assert locked.reserved_of(operator, other_delegator) == (100 * WAD, False)
    with boa.reverts(STILL_LOCKED):
        locked.honour_withdrawal(operator, other_delegator)
    release(locked, protocol, operator, 200 * WAD)
    # 500 unlocked: the first now, the second still waits.
    assert locked.reserved_of(operator, delegator)[1]
    assert not locked.reserved_of(operator, other_delegator)[1]
    locked.honour_withdrawal(operator, delegator)
    release(locked, protocol, operator, 100 * WAD)
    locked.honour_withdrawal(operator, other_delegator)
    assert locked.pools(operator).reserved == 0


def test_a_later_reservation_cannot_take_the_cover_of_an_earlier_one(
    locked, operator, delegator, other_delegator, protocol
):
    request(locked, delegator, operator, 500 * WAD)
    release(locked, protocol, operator, 500 * WAD)
    # The 500 unlocked cover the first reservation; a new one comes after it.
    request(locked, other_delegator, operator, 500 * WAD)
    assert not locked.reserved_of(operator, other_delegator)[1]
    locked.honour_withdrawal(operator, delegator)
    assert locked.unbonding_of(delegator, operator)[0] == 500 * WAD


def test_reserved_stake_earns_and_is_slashed(locked, operator, delegator, protocol):
    request(locked, delegator, operator, 1_000 * WAD)
    with boa.env.prank(protocol):
        locked.pay_reward(operator, 300 * WAD)  # 270 to the pool, 90 a third
    assert locked.assets_of(operator, delegator) == 1_090 * WAD - 1
    # A 50% slash of everything: 1,500, of which the operator's own 1,090
    # pays first; the rest lowers every share.
    release(locked, protocol, operator, 3_000 * WAD, 5_000)
    value = locked.assets_of(operator, delegator)
    assert value < 1_000 * WAD
    # The reservation pays what the holder's shares are worth now.
    assert locked.honour_withdrawal(operator, delegator) == value
    assert locked.assets_of(operator, delegator) == 0
    assert locked.pools(operator).reserved == 0


def test_a_slash_may_leave_more_reserved_than_free(
    locked, operator, delegator, other_delegator, protocol
):
    request(locked, delegator, operator, 1_000 * WAD)
    request(locked, other_delegator, operator, 1_000 * WAD)
    release(locked, protocol, operator, 3_000 * WAD, 5_000)
    pool = locked.pools(operator)
    assert pool.reserved > pool.total_assets  # 2,000 reserved, 1,500 left
    assert locked.unlocked_stake(operator) == 0
    with boa.reverts("staking: not enough unlocked stake"), boa.env.prank(protocol):
        locked.allocate(operator, 1)
    # Nothing is locked: both are honoured, with what their shares are worth.
    for holder in (delegator, other_delegator):
        locked.honour_withdrawal(operator, holder)
    assert locked.pools(operator).reserved == 0
