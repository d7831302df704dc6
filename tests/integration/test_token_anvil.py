"""ArenaToken through Ape on anvil: deploy, transfer, permit, mint roles."""

import json

import ape
import pytest
from click.testing import CliRunner

from ape_arena._cli import cli
from ape_arena.chain.permit import sign_permit
from support.constants import GENESIS_SUPPLY, WAD


@pytest.fixture(scope="module")
def token(require_anvil, project, deployer, admin, treasury):
    return project.ArenaToken.deploy(admin, treasury, GENESIS_SUPPLY, sender=deployer)


def test_deploy(token, admin, deployer, treasury, chain):
    assert chain.chain_id == 31337
    assert token.totalSupply() == GENESIS_SUPPLY
    assert token.balanceOf(treasury) == GENESIS_SUPPLY
    assert token.hasRole(token.DEFAULT_ADMIN_ROLE(), admin)
    assert not token.hasRole(token.DEFAULT_ADMIN_ROLE(), deployer)


def test_transfer(token, treasury, holder):
    receipt = token.transfer(holder, 100 * WAD, sender=treasury)
    (log,) = receipt.events
    assert (log.sender, log.receiver, log.value) == (treasury.address, holder.address, 100 * WAD)
    assert token.balanceOf(holder) == 100 * WAD


def test_permit_then_transfer_from(token, treasury, holder, spender, chain):
    token.transfer(holder, 10 * WAD, sender=treasury)
    deadline = chain.pending_timestamp + 600
    sig = sign_permit(
        bytes.fromhex(holder.private_key[2:]),
        name=token.name(),
        version="1",
        chain_id=chain.chain_id,
        token=token.address,
        spender=spender.address,
        value=7 * WAD,
        nonce=token.nonces(holder),
        deadline=deadline,
    )
    # The spender submits the holder's signature and pays the gas.
    token.permit(holder, spender, 7 * WAD, deadline, sig.v, sig.r, sig.s, sender=spender)
    assert token.allowance(holder, spender) == 7 * WAD
    token.transferFrom(holder, spender, 7 * WAD, sender=spender)
    assert token.allowance(holder, spender) == 0
    with ape.reverts("erc20: invalid signature"):
        token.permit(holder, spender, 7 * WAD, deadline, sig.v, sig.r, sig.s, sender=spender)


def test_mint_needs_role(token, admin, holder):
    with ape.reverts("token: caller is not a minter"):
        token.mint(holder, 1, sender=admin)
    token.grantRole(token.MINTER_ROLE(), admin, sender=admin)
    token.mint(holder, 1, sender=admin)


def test_arena_info_sees_the_token(token, tmp_path, monkeypatch):
    (tmp_path / "ethereum-local.json").write_text(
        json.dumps({"chain_id": 31337, "contracts": {"ArenaToken": {"address": token.address}}})
    )
    monkeypatch.setattr(ape.config.get_config("arena"), "deployments_folder", str(tmp_path))
    result = CliRunner().invoke(cli, ["info", "--network", "ethereum:local:foundry"])
    assert result.exit_code == 0, result.output
    assert "chain id  31337" in result.output
    assert f"ArenaToken  {token.address}  deployed" in result.output
