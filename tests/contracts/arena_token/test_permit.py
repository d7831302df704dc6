import boa
import pytest

from ape_arena.chain.permit import sign_permit
from support.constants import WAD, ZERO_ADDRESS


def _domain(token):
    _fields, name, version, chain_id, verifying, _salt, _ext = token.eip712Domain()
    assert verifying == token.address
    return name, version, chain_id


def _sign(token, signer, spender, value, deadline, nonce=None, key=None):
    name, version, chain_id = _domain(token)
    return sign_permit(
        key or signer.key,
        name=name,
        version=version,
        chain_id=chain_id,
        token=token.address,
        spender=spender,
        value=value,
        nonce=token.nonces(signer.address) if nonce is None else nonce,
        deadline=deadline,
    )


@pytest.fixture
def deadline():
    return boa.env.evm.patch.timestamp + 3_600


def test_domain(token):
    name, version, chain_id = _domain(token)
    assert (name, version) == ("AIArena", "1")
    assert chain_id > 0
    assert len(token.DOMAIN_SEPARATOR()) == 32


def test_permit_sets_allowance_and_bumps_nonce(token, signer, spender, non_owner, deadline):
    sig = _sign(token, signer, spender, 42 * WAD, deadline)
    with boa.env.prank(non_owner):  # anyone may submit the signature
        token.permit(signer.address, spender, 42 * WAD, deadline, sig.v, sig.r, sig.s)
    assert token.allowance(signer.address, spender) == 42 * WAD
    assert token.nonces(signer.address) == 1


def test_permit_replay_reverts(token, signer, spender, deadline):
    sig = _sign(token, signer, spender, 1, deadline)
    token.permit(signer.address, spender, 1, deadline, sig.v, sig.r, sig.s)
    with boa.reverts("erc20: invalid signature"):
        token.permit(signer.address, spender, 1, deadline, sig.v, sig.r, sig.s)


def test_permit_expired_reverts(token, signer, spender):
    deadline = boa.env.evm.patch.timestamp - 1
    sig = _sign(token, signer, spender, 1, deadline)
    with boa.reverts("erc20: expired deadline"):
        token.permit(signer.address, spender, 1, deadline, sig.v, sig.r, sig.s)


def test_permit_at_deadline_succeeds(token, signer, spender):
    deadline = boa.env.evm.patch.timestamp
    sig = _sign(token, signer, spender, 1, deadline)
    token.permit(signer.address, spender, 1, deadline, sig.v, sig.r, sig.s)
    assert token.allowance(signer.address, spender) == 1


def test_permit_wrong_signer_reverts(token, signer, spender, deadline):
    sig = _sign(token, signer, spender, 1, deadline, key=b"\x22" * 32)
    with boa.reverts("erc20: invalid signature"):
        token.permit(signer.address, spender, 1, deadline, sig.v, sig.r, sig.s)


def test_permit_tampered_value_reverts(token, signer, spender, deadline):
    sig = _sign(token, signer, spender, 1, deadline)
    with boa.reverts("erc20: invalid signature"):
        token.permit(signer.address, spender, 2, deadline, sig.v, sig.r, sig.s)


def test_permit_future_nonce_reverts(token, signer, spender, deadline):
    sig = _sign(token, signer, spender, 1, deadline, nonce=1)
    with boa.reverts("erc20: invalid signature"):
        token.permit(signer.address, spender, 1, deadline, sig.v, sig.r, sig.s)


def test_permit_for_other_token_reverts(
    token, token_partial, deployer, admin, signer, spender, deadline
):
    with boa.env.prank(deployer):
        other = token_partial.deploy(admin, admin, 0)
    sig = _sign(other, signer, spender, 1, deadline)
    with boa.reverts("erc20: invalid signature"):
        token.permit(signer.address, spender, 1, deadline, sig.v, sig.r, sig.s)


def test_permit_zero_spender_reverts(token, signer, deadline):
    sig = _sign(token, signer, ZERO_ADDRESS, 1, deadline)
    with boa.reverts("erc20: approve to the zero address"):
        token.permit(signer.address, ZERO_ADDRESS, 1, deadline, sig.v, sig.r, sig.s)
