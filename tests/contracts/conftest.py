"""Fixtures for the contract unit tests (titanoboa, in-process EVM)."""

import boa
import pytest
from eth_account import Account

from support.constants import (
    COMMISSION_NOTICE,
    DELEGATION_WEIGHT_BPS,
    GENESIS_SUPPLY,
    MAX_COMMISSION_BPS,
    MAX_SLASH_BPS,
    UNBONDING_DELAY,
    WAD,
)
from support.paths import contract_path


@pytest.fixture(autouse=True)
def fresh_storage_trace():
    """Each test starts with an empty record of written storage keys.

    boa renders a reverting contract's storage from every key written at its
    address since the session began. A test's anchor reverts the chain, not
    that record, so an address a later test gives another contract keeps the
    first contract's keys: the dump then reads them with the wrong layout
    and fails (the token's `hasRole[role][account]` read as staking's
    `pools[...]` at the same slot) instead of reporting the revert."""
    boa.env.sstore_trace.clear()


@pytest.fixture(scope="session")
def token_partial():
    """ArenaToken compiled once per session."""
    return boa.load_partial(contract_path("ArenaToken"))


@pytest.fixture(scope="session")
def deployer():
    return boa.env.generate_address("deployer")


@pytest.fixture(scope="session")
def admin():
    return boa.env.generate_address("admin")


@pytest.fixture(scope="session")
def treasury():
    """Receives the genesis supply."""
    return boa.env.generate_address("treasury")


@pytest.fixture(scope="session")
def minter():
    return boa.env.generate_address("minter")


@pytest.fixture(scope="session")
def holder():
    return boa.env.generate_address("holder")


@pytest.fixture(scope="session")
def spender():
    return boa.env.generate_address("spender")


@pytest.fixture(scope="session")
def non_owner():
    return boa.env.generate_address("non_owner")


@pytest.fixture(scope="session")
def signer():
    """An account with a known key, for permit signatures."""
    return Account.from_key(b"\x11" * 32)


@pytest.fixture
def token(token_partial, deployer, admin, treasury, minter):
    """A token administered by `admin`, genesis supply at `treasury`, `minter` may mint."""
    with boa.env.prank(deployer):
        token = token_partial.deploy(admin, treasury, GENESIS_SUPPLY)
    with boa.env.prank(admin):
        token.grantRole(token.MINTER_ROLE(), minter)
    return token


@pytest.fixture
def funded(token, treasury, holder):
    """`holder` owns 1,000 ARENA."""
    with boa.env.prank(treasury):
        token.transfer(holder, 1_000 * WAD)
    return token


# --- staking -----------------------------------------------------------------


@pytest.fixture(scope="session")
def staking_partial():
    """Staking compiled once per session."""
    return boa.load_partial(contract_path("Staking"))


@pytest.fixture(scope="session")
def operator():
    return boa.env.generate_address("operator")


@pytest.fixture(scope="session")
def delegator():
    return boa.env.generate_address("delegator")


@pytest.fixture(scope="session")
def other_delegator():
    return boa.env.generate_address("other_delegator")


@pytest.fixture(scope="session")
def protocol():
    """Stands in for the task manager: holds PROTOCOL_ROLE."""
    return boa.env.generate_address("protocol")


@pytest.fixture(scope="session")
def slash_treasury():
    return boa.env.generate_address("slash_treasury")


@pytest.fixture
def staking(
    token,
    staking_partial,
    deployer,
    admin,
    slash_treasury,
    protocol,
    treasury,
    operator,
    delegator,
    other_delegator,
):
    """Staking with the test parameters; `protocol` holds PROTOCOL_ROLE and
    100,000 ARENA approved; operator and delegators hold 10,000 ARENA each,
    approved."""
    with boa.env.prank(deployer):
        staking = staking_partial.deploy(
            token.address,
            admin,
            slash_treasury,
            UNBONDING_DELAY,
            COMMISSION_NOTICE,
            MAX_COMMISSION_BPS,
            MAX_SLASH_BPS,
            DELEGATION_WEIGHT_BPS,
        )
    with boa.env.prank(admin):
        staking.grantRole(staking.PROTOCOL_ROLE(), protocol)
    for account, amount in (
        (protocol, 100_000 * WAD),
        (operator, 10_000 * WAD),
        (delegator, 10_000 * WAD),
        (other_delegator, 10_000 * WAD),
    ):
        with boa.env.prank(treasury):
            token.transfer(account, amount)
        with boa.env.prank(account):
            token.approve(staking.address, 2**256 - 1)
    return staking


@pytest.fixture
def pool(staking, operator):
    """`operator`'s pool: 10% commission, 1,000 ARENA own stake."""
    with boa.env.prank(operator):
        staking.open_pool(1_000, 1_000 * WAD)
    return staking
