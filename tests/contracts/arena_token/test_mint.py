import boa
import pytest

from support.constants import GENESIS_SUPPLY, MAX_SUPPLY, WAD, ZERO_ADDRESS


def test_minter_mints(token, minter, holder):
    with boa.env.prank(minter):
        token.mint(holder, 5 * WAD)
    assert token.balanceOf(holder) == 5 * WAD
    assert token.totalSupply() == GENESIS_SUPPLY + 5 * WAD
    assert token.mintable() == MAX_SUPPLY - GENESIS_SUPPLY - 5 * WAD


def test_mint_emits_transfer(token, minter, holder):
    with boa.env.prank(minter):
        token.mint(holder, 7)
    (log,) = [e for e in token.get_logs() if type(e).__name__ == "Transfer"]
    assert (log.sender, log.receiver, log.value) == (ZERO_ADDRESS, holder, 7)


def test_mint_up_to_the_cap_exactly(token, minter, holder):
    with boa.env.prank(minter):
        token.mint(holder, token.mintable())
    assert token.totalSupply() == MAX_SUPPLY
    assert token.mintable() == 0


@pytest.mark.parametrize("excess", [1, WAD, 2**256 - 1 - (MAX_SUPPLY - GENESIS_SUPPLY)])
def test_mint_past_the_cap_reverts(token, minter, holder, excess):
    amount = MAX_SUPPLY - GENESIS_SUPPLY + excess
    with boa.reverts("token: supply cap exceeded"), boa.env.prank(minter):
        token.mint(holder, amount)


def test_mint_at_full_cap_reverts_even_for_one_wei(token, minter, holder):
    with boa.env.prank(minter):
        token.mint(holder, token.mintable())
    with boa.reverts("token: supply cap exceeded"), boa.env.prank(minter):
        token.mint(holder, 1)


@pytest.mark.parametrize("caller", ["admin", "non_owner", "deployer", "treasury"])
def test_mint_without_minter_role_reverts(token, holder, caller, request):
    with (
        boa.reverts("token: caller is not a minter"),
        boa.env.prank(request.getfixturevalue(caller)),
    ):
        token.mint(holder, 1)


def test_mint_after_role_revoked_reverts(token, admin, minter, holder):
    with boa.env.prank(admin):
        token.revokeRole(token.MINTER_ROLE(), minter)
    with boa.reverts("token: caller is not a minter"), boa.env.prank(minter):
        token.mint(holder, 1)


def test_mint_to_zero_address_reverts(token, minter):
    with boa.reverts("erc20: mint to the zero address"), boa.env.prank(minter):
        token.mint(ZERO_ADDRESS, 1)


def test_owner_based_snekmate_functions_are_not_exposed(token):
    # The role model is access_control: snekmate's owner-based minting,
    # burning and ownership functions must not be reachable.
    for name in (
        "set_minter",
        "is_minter",
        "owner",
        "transfer_ownership",
        "renounce_ownership",
        "burn",
        "burn_from",
    ):
        assert not hasattr(token, name), name
