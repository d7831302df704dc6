# pragma version ~=0.4.3
"""
@title AIArena token (ARENA)
@notice ERC-20 with EIP-2612 permit and 18 decimals. The supply can never
        exceed `MAX_SUPPLY` (1,000,000,000 ARENA). New tokens are minted only by
        holders of `MINTER_ROLE` (the emission contract); holders of
        `DEFAULT_ADMIN_ROLE` grant and revoke roles and hand administration over
        to governance with `grantRole` + `renounceRole`.
@dev Built from snekmate 0.1.2: `erc20` for balances, allowances and permit,
     `access_control` for the roles. snekmate's `erc20` requires the `ownable`
     module; its owner-based functions (`mint`, `set_minter`,
     `transfer_ownership`, `renounce_ownership`) are deliberately not exported,
     so the `ownable` state it carries has no effect on this contract.
@custom:security `burn` and `burn_from` are not exported either: slashed tokens
     go to the treasury instead of being burnt, so `totalSupply` always equals
     the tokens ever minted and the cap bounds total issuance.
"""

from snekmate.auth import ownable
from snekmate.auth import access_control
from snekmate.tokens import erc20

from .modules import constants

initializes: ownable
initializes: erc20[ownable := ownable]
initializes: access_control

exports: (
    # ERC-20 and EIP-2612. Left out on purpose: erc20.mint (replaced by the
    # capped, role-checked `mint` below), erc20.burn, erc20.burn_from,
    # erc20.set_minter, erc20.transfer_ownership, erc20.renounce_ownership,
    # erc20.owner and erc20.is_minter (the role model is access_control).
    erc20.name,
    erc20.symbol,
    erc20.decimals,
    erc20.totalSupply,
    erc20.balanceOf,
    erc20.allowance,
    erc20.nonces,
    erc20.transfer,
    erc20.approve,
    erc20.transferFrom,
    erc20.permit,
    erc20.DOMAIN_SEPARATOR,
    erc20.eip712Domain,
    # Roles, with ERC-165. All of access_control's external interface.
    access_control.__interface__,
)


# @notice The hard cap on the number of tokens that can ever exist, in wei
#         (modules/constants.vy, where every contract reads it).
MAX_SUPPLY: public(constant(uint256)) = constants.MAX_SUPPLY

# @notice The role allowed to mint new tokens (the emission contract).
MINTER_ROLE: public(constant(bytes32)) = keccak256("MINTER_ROLE")


@deploy
def __init__(admin: address, initial_holder: address, initial_supply: uint256):
    """
    @notice Deploy the token, mint the genesis supply and name the admin.
    @dev The deployer receives `DEFAULT_ADMIN_ROLE` from `access_control` and
         gives it up at once when `admin` is another address.
    @param admin The address that administers roles (later: governance).
    @param initial_holder The address receiving the genesis supply; may be
           empty only when `initial_supply` is zero.
    @param initial_supply The genesis supply in wei, at most `MAX_SUPPLY`.
    """
    assert admin != empty(address), "token: admin is the zero address"
    ownable.__init__()
    erc20.__init__("AIArena", "ARENA", 18, "AIArena", "1")
    access_control.__init__()
    if admin != msg.sender:
        access_control._grant_role(access_control.DEFAULT_ADMIN_ROLE, admin)
        access_control._revoke_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    if initial_supply != 0:
        self._mint_capped(initial_holder, initial_supply)


# ---------------------------------------------------------------------------
# Minter
# ---------------------------------------------------------------------------


@external
def mint(to: address, amount: uint256):
    """
    @notice Create `amount` new tokens for `to`.
    @dev Only `MINTER_ROLE` holders; reverts when the cap would be exceeded.
    @param to The receiver, not the zero address.
    @param amount The amount to create, in wei.
    """
    assert access_control.hasRole[MINTER_ROLE][msg.sender], "token: caller is not a minter"
    self._mint_capped(to, amount)


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------


@external
@view
def mintable() -> uint256:
    """
    @notice How many tokens can still be minted before the cap.
    @return The remaining headroom under `MAX_SUPPLY`, in wei.
    """
    # totalSupply <= MAX_SUPPLY always holds, so this cannot underflow.
    return unsafe_sub(MAX_SUPPLY, erc20.totalSupply)


# ---------------------------------------------------------------------------
# Internal
# ---------------------------------------------------------------------------


@internal
def _mint_capped(to: address, amount: uint256):
    # totalSupply <= MAX_SUPPLY is an invariant of this function, so the
    # subtraction cannot underflow; comparing against the headroom (rather than
    # adding) means a huge `amount` reverts with this reason, not an overflow.
    assert amount <= unsafe_sub(MAX_SUPPLY, erc20.totalSupply), "token: supply cap exceeded"
    erc20._mint(to, amount)
