"""Fixtures for the contract unit tests (titanoboa, in-process EVM)."""

import boa
import pytest
from eth_account import Account

from support.constants import GENESIS_SUPPLY, WAD
from support.paths import contract_path


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
