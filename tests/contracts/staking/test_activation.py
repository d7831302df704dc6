"""Stake that arrives while part of a pool is locked waits: it earns none of
the rewards and bears none of the slashes of tasks it was not at risk in."""

import boa

from support.constants import WAD


def _logs(contract, name):
    return [e for e in contract.get_logs() if type(e).__name__ == name]


def test_a_deposit_into_an_idle_pool_becomes_shares_at_once(pool, operator, delegator):
    with boa.env.prank(delegator):
        minted = pool.delegate(operator, 250 * WAD)
    assert minted == pool.shares(operator, delegator) == 250 * WAD * 10**6
    assert pool.pending_of(operator, delegator) == 0
    assert pool.pools(operator).pending == 0


def test_a_deposit_while_stake_is_locked_waits(pool, operator, delegator, protocol):
    with boa.env.prank(protocol):
        pool.allocate(operator, 500 * WAD)
    with boa.env.prank(delegator):
        assert pool.delegate(operator, 300 * WAD) == 0
    (log,) = _logs(pool, "Delegated")
    assert (log.assets, log.shares) == (300 * WAD, 0)
    assert pool.shares(operator, delegator) == 0
    assert pool.pending_of(operator, delegator) == 300 * WAD
    assert pool.assets_of(operator, delegator) == 300 * WAD
    assert pool.pools(operator).pending == 300 * WAD
    assert pool.pools(operator).total_assets == 1_000 * WAD
    assert pool.delegated_stake(operator) == 300 * WAD
    # Waiting stake cannot be locked, and it has voting power already.
    assert pool.unlocked_stake(operator) == 500 * WAD
    assert pool.votes(delegator) == 300 * WAD


def test_a_reward_paid_while_stake_waits_goes_to_the_shares_at_risk(
    pool, operator, delegator, protocol
):
    with boa.env.prank(protocol):
        pool.allocate(operator, 500 * WAD)
    with boa.env.prank(delegator):
        pool.delegate(operator, 1_000 * WAD)
    with boa.env.prank(protocol):
        pool.release(operator, 500 * WAD, 0)
        pool.pay_reward(operator, 100 * WAD)  # 10 commission, 90 to the shares
    assert pool.assets_of(operator, delegator) == 1_000 * WAD
    assert pool.own_stake(operator) >= 1_089 * WAD


def test_the_next_allocation_activates_waiting_stake(pool, operator, delegator, protocol):
    with boa.env.prank(protocol):
        pool.allocate(operator, 500 * WAD)
    with boa.env.prank(delegator):
        pool.delegate(operator, 300 * WAD)
    with boa.env.prank(protocol):
        pool.allocate(operator, 100 * WAD)
    (log,) = _logs(pool, "StakeActivated")
    assert (log.operator, log.epoch, log.assets, log.shares) == (
        operator,
        0,
        300 * WAD,
        300 * WAD * 10**6,
    )
    assert pool.pools(operator).pending == 0
    assert pool.pools(operator).total_assets == 1_300 * WAD
    assert pool.pending_of(operator, delegator) == 0
    assert pool.assets_of(operator, delegator) == 300 * WAD
    # The shares are the holder's from then on: a reward reaches them.
    with boa.env.prank(protocol):
        pool.pay_reward(operator, 130 * WAD)
    assert pool.assets_of(operator, delegator) >= 300 * WAD + 27 * WAD - 1


def test_a_deposit_once_nothing_is_locked_activates_what_waited(
    pool, operator, delegator, other_delegator, protocol
):
    with boa.env.prank(protocol):
        pool.allocate(operator, 500 * WAD)
    with boa.env.prank(delegator):
        pool.delegate(operator, 300 * WAD)
    with boa.env.prank(protocol):
        pool.release(operator, 500 * WAD, 0)
    with boa.env.prank(other_delegator):
        pool.delegate(operator, 10 * WAD)
    assert pool.pools(operator).pending == 0
    assert pool.pending_of(operator, delegator) == 0
    assert pool.assets_of(operator, delegator) == 300 * WAD
    # The waiting holder's shares are written on its next action.
    with boa.env.prank(delegator):
        pool.delegate(operator, 1 * WAD)
    assert pool.shares(operator, delegator) == 301 * WAD * 10**6


def test_a_withdrawal_request_takes_waiting_stake_first(pool, operator, delegator, protocol):
    with boa.env.prank(delegator):
        pool.delegate(operator, 200 * WAD)
    with boa.env.prank(protocol):
        pool.allocate(operator, 500 * WAD)
    with boa.env.prank(delegator):
        pool.delegate(operator, 300 * WAD)
        pool.request_withdraw(operator, 400 * WAD)
    (log,) = _logs(pool, "WithdrawRequested")
    # 300 waiting, then 100 of its shares.
    assert log.assets == 400 * WAD
    assert log.shares == 100 * WAD * 10**6
    assert pool.pending_of(operator, delegator) == 0
    assert pool.pools(operator).pending == 0
    assert pool.assets_of(operator, delegator) == 100 * WAD
    assert pool.unbonding_of(delegator, operator)[0] == 400 * WAD


def test_a_slash_spares_waiting_stake(pool, operator, delegator, protocol):
    with boa.env.prank(protocol):
        pool.allocate(operator, 1_000 * WAD)
    with boa.env.prank(delegator):
        pool.delegate(operator, 500 * WAD)
    with boa.env.prank(protocol):
        pool.release(operator, 1_000 * WAD, 5_000)
    assert pool.assets_of(operator, delegator) == 500 * WAD
    assert pool.own_stake(operator) <= 500 * WAD
