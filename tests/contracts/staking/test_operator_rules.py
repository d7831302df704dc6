"""What an operator owes its delegators: a commission raise they can see
coming with their stake unlocked, and its own stake at risk first."""

import boa
import pytest

from support.constants import COMMISSION_NOTICE, WAD


def test_no_commission_raise_while_stake_is_locked(pool, operator, protocol):
    with boa.env.prank(protocol):
        pool.allocate(operator, 100 * WAD)
    with boa.reverts("staking: no commission raise while stake is locked"), boa.env.prank(operator):
        pool.set_commission(2_000)
    # A cut is always allowed.
    with boa.env.prank(operator):
        pool.set_commission(500)
    assert pool.commission_of(operator) == 500


def test_nothing_is_locked_while_a_raise_waits_out_its_notice(pool, operator, protocol):
    with boa.env.prank(operator):
        pool.set_commission(2_000)
    with boa.reverts("staking: a commission raise is pending"), boa.env.prank(protocol):
        pool.allocate(operator, 100 * WAD)
    boa.env.time_travel(seconds=COMMISSION_NOTICE)
    with boa.env.prank(protocol):
        pool.allocate(operator, 100 * WAD)
    assert pool.commission_of(operator) == 2_000


@pytest.fixture
def thin(pool, operator, delegator):
    """1,000 own + 9,000 delegated: the operator's own stake covers 10% of 10,000."""
    with boa.env.prank(delegator):
        pool.delegate(operator, 9_000 * WAD)
    return pool


def test_a_lock_needs_enough_own_stake(thin, operator, protocol):
    assert thin.min_self_stake_bps() == 1_000
    with boa.env.prank(protocol):
        thin.allocate(operator, 10_000 * WAD)  # own 1,000 >= 10% of 10,000
        thin.release(operator, 10_000 * WAD, 0)
    with boa.env.prank(operator):
        thin.request_withdraw(operator, 1 * WAD)
    with (
        boa.reverts("staking: operator's own stake too low for this lock"),
        boa.env.prank(protocol),
    ):
        thin.allocate(operator, 9_999 * WAD)


def test_an_operator_cannot_take_back_the_own_stake_its_locks_need(thin, operator, protocol):
    with boa.env.prank(protocol):
        thin.allocate(operator, 5_000 * WAD)  # needs 500 of own stake
    with boa.env.prank(operator):
        thin.request_withdraw(operator, 500 * WAD)
    with (
        boa.reverts("staking: operator's own stake must cover its locked share"),
        boa.env.prank(operator),
    ):
        thin.request_withdraw(operator, 1 * WAD)
