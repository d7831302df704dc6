import boa
import pytest

from support.constants import GENESIS_SUPPLY, MAX_SUPPLY, WAD, ZERO_ADDRESS


def test_metadata(token):
    assert token.name() == "AIArena"
    assert token.symbol() == "ARENA"
    assert token.decimals() == 18
    assert token.MAX_SUPPLY() == MAX_SUPPLY


def test_genesis_supply_goes_to_initial_holder(token, treasury):
    assert token.totalSupply() == GENESIS_SUPPLY
    assert token.balanceOf(treasury) == GENESIS_SUPPLY


def test_admin_holds_admin_role_and_deployer_none(token, admin, deployer):
    admin_role = token.DEFAULT_ADMIN_ROLE()
    assert token.hasRole(admin_role, admin)
    assert not token.hasRole(admin_role, deployer)
    assert not token.hasRole(token.MINTER_ROLE(), deployer)


def test_deployer_as_admin_keeps_role(token_partial, deployer, treasury):
    with boa.env.prank(deployer):
        token = token_partial.deploy(deployer, treasury, 0)
    assert token.hasRole(token.DEFAULT_ADMIN_ROLE(), deployer)
    assert token.totalSupply() == 0


def test_genesis_supply_may_be_the_whole_cap(token_partial, deployer, admin, treasury):
    with boa.env.prank(deployer):
        token = token_partial.deploy(admin, treasury, MAX_SUPPLY)
    assert token.totalSupply() == MAX_SUPPLY
    assert token.mintable() == 0


def test_genesis_supply_over_cap_reverts(token_partial, deployer, admin, treasury):
    with boa.reverts("token: supply cap exceeded"), boa.env.prank(deployer):
        token_partial.deploy(admin, treasury, MAX_SUPPLY + 1)


def test_zero_admin_reverts(token_partial, deployer, treasury):
    with boa.reverts("token: admin is the zero address"), boa.env.prank(deployer):
        token_partial.deploy(ZERO_ADDRESS, treasury, 0)


def test_genesis_supply_to_zero_address_reverts(token_partial, deployer, admin):
    with boa.reverts("erc20: mint to the zero address"), boa.env.prank(deployer):
        token_partial.deploy(admin, ZERO_ADDRESS, WAD)


@pytest.mark.parametrize("supply", [0, 1, GENESIS_SUPPLY])
def test_genesis_emits_transfer_from_zero(token_partial, deployer, admin, treasury, supply):
    with boa.env.prank(deployer):
        token = token_partial.deploy(admin, treasury, supply)
    transfers = [log for log in token.get_logs() if type(log).__name__ == "Transfer"]
    if supply == 0:
        assert transfers == []
    else:
        assert len(transfers) == 1
        assert transfers[0].value == supply
        assert transfers[0].receiver == treasury
