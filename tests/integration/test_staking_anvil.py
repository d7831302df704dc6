"""Staking through Ape on anvil: a pool's life from delegation to withdrawal.

An account holding PROTOCOL_ROLE stands in for the task manager.
"""

import ape
import pytest

from support.constants import (
    COMMISSION_NOTICE,
    DELEGATION_WEIGHT_BPS,
    GENESIS_SUPPLY,
    MAX_COMMISSION_BPS,
    MAX_SLASH_BPS,
    UNBONDING_DELAY,
    WAD,
)

MAX_UINT256 = 2**256 - 1
BPS = 10_000
# The pool share maths' virtual shares and assets (contracts/modules/pool_shares.vy).
VIRTUAL_SHARES = 10**6
VIRTUAL_ASSETS = 1

COMMISSION_BPS = 1_000  # 10%
OWN_STAKE = 1_000 * WAD
DELEGATED = 3_000 * WAD


@pytest.fixture(scope="module")
def protocol(accounts):
    """Stands in for the task manager."""
    return accounts[5]


@pytest.fixture(scope="module")
def operator(accounts):
    return accounts[6]


@pytest.fixture(scope="module")
def delegator(holder):
    return holder


@pytest.fixture(scope="module")
def token(require_anvil, project, deployer, admin, treasury):
    return project.ArenaToken.deploy(admin, treasury, GENESIS_SUPPLY, sender=deployer)


@pytest.fixture(scope="module")
def staking(project, token, deployer, admin, treasury, protocol, operator, delegator):
    """Staking with the test parameters; `treasury` receives the slashes and
    holds the genesis supply; protocol, operator and delegator hold 10,000
    ARENA each, approved without limit."""
    staking = project.Staking.deploy(
        token,
        admin,
        treasury,
        UNBONDING_DELAY,
        COMMISSION_NOTICE,
        MAX_COMMISSION_BPS,
        MAX_SLASH_BPS,
        DELEGATION_WEIGHT_BPS,
        sender=deployer,
    )
    staking.grantRole(staking.PROTOCOL_ROLE(), protocol, sender=admin)
    for account in (protocol, operator, delegator):
        token.transfer(account, 10_000 * WAD, sender=treasury)
        token.approve(staking, MAX_UINT256, sender=account)
    return staking


def events(receipt, name):
    return [log for log in receipt.events if log.event_name == name]


def delegate(staking, operator, amount, sender):
    # Ape's `BaseAddress.delegate` (EIP-7702) hides the contract's `delegate`
    # method on the instance, so it is called by name.
    return staking.invoke_transaction("delegate", operator, amount, sender=sender)


def test_deploy_and_roles(staking, token, deployer, admin, treasury, protocol):
    assert staking.token() == token.address
    assert staking.treasury() == treasury.address
    assert staking.unbonding_delay() == UNBONDING_DELAY
    assert staking.commission_notice() == COMMISSION_NOTICE
    assert staking.max_commission_bps() == MAX_COMMISSION_BPS
    assert staking.max_slash_bps() == MAX_SLASH_BPS
    assert staking.delegation_weight_bps() == DELEGATION_WEIGHT_BPS
    admin_role = staking.DEFAULT_ADMIN_ROLE()
    assert staking.hasRole(admin_role, admin)
    assert not staking.hasRole(admin_role, deployer)
    assert staking.hasRole(staking.PROTOCOL_ROLE(), protocol)


def test_only_protocol_allocates(staking, operator, delegator):
    with ape.reverts("staking: caller is not a protocol contract"):
        staking.allocate(operator, OWN_STAKE, sender=delegator)


def test_pool_lifecycle(staking, token, chain, treasury, protocol, operator, delegator):
    # --- the operator opens its pool, a delegator joins ----------------------
    receipt = staking.open_pool(COMMISSION_BPS, OWN_STAKE, sender=operator)
    (opened,) = events(receipt, "PoolOpened")
    assert (opened.operator, opened.commission_bps) == (operator.address, COMMISSION_BPS)

    receipt = delegate(staking, operator, DELEGATED, delegator)
    (delegated,) = events(receipt, "Delegated")
    assert delegated.operator == operator.address
    assert delegated.holder == delegator.address
    assert delegated.assets == DELEGATED
    assert delegated.shares == staking.shares(operator, delegator) > 0
    assert DELEGATED - 1 <= staking.assets_of(operator, delegator) <= DELEGATED
    assert staking.own_stake(operator) == OWN_STAKE
    assert staking.delegated_stake(operator) == DELEGATED

    # --- a task locks part of the pool and pays a reward ---------------------
    receipt = staking.allocate(operator, 2_000 * WAD, sender=protocol)
    (allocated,) = events(receipt, "StakeAllocated")
    assert (allocated.protocol, allocated.amount) == (protocol.address, 2_000 * WAD)
    assert staking.locked_by(operator, protocol) == 2_000 * WAD
    assert staking.unlocked_stake(operator) == OWN_STAKE + DELEGATED - 2_000 * WAD

    reward = 400 * WAD
    commission = reward * COMMISSION_BPS // BPS
    pool_before = staking.pools(operator).total_assets
    delegator_before = staking.assets_of(operator, delegator)
    receipt = staking.pay_reward(operator, reward, sender=protocol)
    (paid,) = events(receipt, "RewardPaid")
    assert (paid.operator, paid.payer) == (operator.address, protocol.address)
    assert (paid.amount, paid.commission) == (reward, commission)
    pool = staking.pools(operator)
    assert pool.commission_owed == commission
    assert pool.total_assets == pool_before + reward - commission
    delegator_now = staking.assets_of(operator, delegator)
    # The delegator holds 3/4 of the pool: 3/4 of the reward after commission.
    expected = delegator_before + (reward - commission) * 3 // 4
    assert delegator_now > delegator_before
    assert abs(delegator_now - expected) <= 2

    # --- the task ends with a slash: the operator's own stake pays first -------
    slash_bps = 2_500
    slashed = 2_000 * WAD * slash_bps // BPS
    pool_before = staking.pools(operator).total_assets
    own_before = staking.own_stake(operator)
    delegator_before = staking.assets_of(operator, delegator)
    receipt = staking.release(operator, 2_000 * WAD, slash_bps, sender=protocol)
    (released,) = events(receipt, "StakeReleased")
    assert (released.amount, released.slashed) == (2_000 * WAD, slashed)
    assert staking.treasury_owed() == slashed
    assert staking.locked_by(operator, protocol) == 0
    pool_after = staking.pools(operator).total_assets
    assert pool_after == pool_before - slashed
    own_after = staking.own_stake(operator)
    delegator_after = staking.assets_of(operator, delegator)
    # The operator's ~1,090 cover the 500 slashed; the delegator keeps all.
    assert own_before - slashed <= own_after <= own_before - slashed + 1
    assert delegator_before - 1 <= delegator_after <= delegator_before

    receipt = staking.claim_commission(sender=operator)
    assert events(receipt, "CommissionClaimed")[0].amount == commission

    # --- the delegator leaves through the unbonding delay ----------------------
    amount = 1_000 * WAD
    receipt = staking.request_withdraw(operator, amount, sender=delegator)
    (requested,) = events(receipt, "WithdrawRequested")
    unlock_at = requested.unlock_at
    assert unlock_at == receipt.timestamp + UNBONDING_DELAY
    assert staking.unbonding_of(delegator, operator) == (amount, unlock_at)
    assert staking.total_unbonding() == amount

    with ape.reverts("staking: unbonding not over"):
        staking.withdraw(operator, sender=delegator)

    # The next block is mined exactly when the delay ends.
    chain.pending_timestamp = unlock_at
    balance_before = token.balanceOf(delegator)
    receipt = staking.withdraw(operator, sender=delegator)
    assert receipt.timestamp == unlock_at
    (withdrawn,) = events(receipt, "Withdrawn")
    assert (withdrawn.holder, withdrawn.assets) == (delegator.address, amount)
    assert token.balanceOf(delegator) == balance_before + amount
    assert staking.unbonding_of(delegator, operator) == (0, 0)
    assert staking.total_unbonding() == 0

    # --- the slash reaches the treasury ----------------------------------------
    treasury_before = token.balanceOf(treasury)
    receipt = staking.sweep_to_treasury(sender=delegator)
    (swept,) = events(receipt, "TreasurySwept")
    assert (swept.treasury, swept.amount) == (treasury.address, slashed)
    assert token.balanceOf(treasury) == treasury_before + slashed
    assert staking.treasury_owed() == 0

    # Every token the contract holds is accounted for.
    pool = staking.pools(operator)
    assert token.balanceOf(staking) == (
        pool.total_assets
        + staking.total_unbonding()
        + staking.treasury_owed()
        + pool.commission_owed
    )
