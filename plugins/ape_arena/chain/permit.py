"""EIP-2612 permit signatures for the ArenaToken, made with eth-account (no Ape needed)."""

from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import encode_typed_data

PERMIT_TYPES = {
    "Permit": [
        {"name": "owner", "type": "address"},
        {"name": "spender", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


@dataclass(frozen=True)
class Signature:
    v: int
    r: bytes
    s: bytes


def sign_permit(
    private_key: bytes,
    *,
    name: str,
    version: str,
    chain_id: int,
    token: str,
    spender: str,
    value: int,
    nonce: int,
    deadline: int,
) -> Signature:
    """Sign `Permit(owner, spender, value, nonce, deadline)` for `token`."""
    signer = Account.from_key(private_key)
    message = encode_typed_data(
        domain_data={
            "name": name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": str(token),
        },
        message_types=PERMIT_TYPES,
        message_data={
            "owner": signer.address,
            "spender": str(spender),
            "value": value,
            "nonce": nonce,
            "deadline": deadline,
        },
    )
    signed = signer.sign_message(message)
    return Signature(
        v=signed.v,
        r=signed.r.to_bytes(32, "big"),
        s=signed.s.to_bytes(32, "big"),
    )
