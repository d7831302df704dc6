"""Regression: the first-depositor (inflation / donation) attack on pool shares.

The classic attack: be the first holder of a pool with 1 wei, inflate the
share price by sending tokens straight to the contract (or, here, by earning a
reward into the almost empty pool), so that a victim's deposit rounds down to
zero or one share, and take the victim's tokens when withdrawing.
"""

import boa

from support.constants import UNBONDING_DELAY, WAD


def test_donation_does_not_move_the_share_price(staking, token, operator, delegator, treasury):
    with boa.env.prank(operator):
        staking.open_pool(0, 1)  # the attacker's pool, 1 wei of stake
    price = staking.pool_share_value(operator)
    with boa.env.prank(treasury):
        token.transfer(staking.address, 1_000_000 * WAD)  # the "donation"
    assert staking.pool_share_value(operator) == price
    with boa.env.prank(delegator):
        staking.delegate(operator, 1_000 * WAD)
    assert staking.assets_of(operator, delegator) == 1_000 * WAD
    assert staking.own_stake(operator) <= 1


def test_reward_into_a_dust_pool_cannot_steal_a_later_deposit(
    staking, token, operator, delegator, protocol
):
    with boa.env.prank(operator):
        staking.open_pool(0, 1)
    # The attacker earns a big reward while its pool holds 1 wei: the virtual
    # shares (1e6 per wei) absorb half of it, and the price is still finite.
    with boa.env.prank(protocol):
        staking.pay_reward(operator, 10_000 * WAD)
    victim_deposit = 1_000 * WAD
    with boa.env.prank(delegator):
        minted = staking.delegate(operator, victim_deposit)
    assert minted > 0
    # The victim loses at most the value of one share to rounding.
    one_share = staking.pool_share_value(operator) // (WAD * 10**6) + 1
    assert victim_deposit - staking.assets_of(operator, delegator) <= one_share
    # Both withdraw everything they can; the victim gets its deposit back.
    before = token.balanceOf(delegator)
    with boa.env.prank(delegator):
        staking.request_withdraw(operator, staking.assets_of(operator, delegator))
    boa.env.time_travel(seconds=UNBONDING_DELAY)
    with boa.env.prank(delegator):
        staking.withdraw(operator)
    assert victim_deposit - (token.balanceOf(delegator) - before) <= one_share


def test_tiny_deposit_into_expensive_pool_reverts_instead_of_minting_zero(
    staking, operator, delegator, protocol
):
    with boa.env.prank(operator):
        staking.open_pool(0, 1)
    with boa.env.prank(protocol):
        staking.pay_reward(operator, 10_000 * WAD)
    with boa.reverts("staking: amount too small"), boa.env.prank(delegator):
        staking.delegate(operator, 1)
