# pragma version ~=0.4.3
"""
@title Governed: the roles, admin and treasury of a protocol contract
@notice What staking, the task manager and emission share about who governs
        them: the roles (snekmate's access_control, which this module
        initializes), the hand-over of DEFAULT_ADMIN_ROLE at deploy, the
        admin check every setter starts with, the treasury that receives
        what the contract owes the protocol (slashed stake, protocol fees,
        emission no task can take) and the ParameterUpdated event every
        setter logs, through `_updated`.
@dev A contract declares
         initializes: governed
         uses: access_control
     (the second to export access_control's interface and to read roles of
     its own, e.g. PROTOCOL_ROLE) and exports access_control.__interface__,
     governed.treasury and governed.set_treasury. This module initializes access_control rather
     than `uses` it so that it also compiles on its own, as Ape compiles
     every file under contracts/.
     Revert reasons carry the contract's namespace, given to `__init__`
     ("staking", "task", "emission"): "<namespace>: caller is not the admin",
     the reasons each contract had when it wrote these checks itself. They
     are built only when a check fails, so a passing check costs no gas for
     them.
"""

from snekmate.auth import access_control

initializes: access_control


# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

# @notice Longest namespace of a revert reason.
MAX_NAMESPACE: constant(uint256) = 16


# ---------------------------------------------------------------------------
# Immutables
# ---------------------------------------------------------------------------

# The namespace of every revert reason of this module ("staking").
_NAMESPACE: immutable(String[MAX_NAMESPACE])


# ---------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------

# @notice Receiver of what the contract owes the protocol.
treasury: public(address)


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------

event ParameterUpdated:
    name: String[32]
    value: uint256

event TreasuryUpdated:
    treasury: indexed(address)


# ---------------------------------------------------------------------------
# Constructor
# ---------------------------------------------------------------------------


@deploy
def __init__(namespace: String[MAX_NAMESPACE], admin: address, treasury_: address):
    """
    @notice Set up the roles, name the admin and the treasury.
    @dev access_control.__init__() makes the deployer the admin; the
         deployer then gives DEFAULT_ADMIN_ROLE up when `admin` is another
         address, so it keeps no role at all.
    @param namespace The contract's revert-reason namespace, e.g. "staking".
    @param admin The parameter and role administrator (later: governance).
    @param treasury_ The treasury, not the zero address.
    """
    _NAMESPACE = namespace
    assert admin != empty(address), concat(namespace, ": admin is the zero address")
    access_control.__init__()
    if admin != msg.sender:
        access_control._grant_role(access_control.DEFAULT_ADMIN_ROLE, admin)
        access_control._revoke_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    self._set_treasury(treasury_)


# ---------------------------------------------------------------------------
# Admin (DEFAULT_ADMIN_ROLE: governance)
# ---------------------------------------------------------------------------


@external
def set_treasury(new_value: address):
    """
    @notice Set the treasury: the receiver of what this contract owes the
            protocol (slashed stake, protocol fees, emission no task takes).
    @param new_value The treasury, not the zero address.
    """
    self._check_admin()
    self._set_treasury(new_value)


# ---------------------------------------------------------------------------
# Internal
# ---------------------------------------------------------------------------


@internal
@view
def _check_admin():
    # The first line of every admin function.
    assert access_control.hasRole[access_control.DEFAULT_ADMIN_ROLE][msg.sender], concat(
        _NAMESPACE, ": caller is not the admin"
    )


@internal
def _updated(name: String[32], new_value: uint256):
    # Every setter's ParameterUpdated, encoded once: an inline log repeats
    # the string-encoding code (about 150 bytes) at each setter.
    log ParameterUpdated(name=name, value=new_value)


@internal
def _set_treasury(new_value: address):
    assert new_value != empty(address), concat(_NAMESPACE, ": treasury is the zero address")
    self.treasury = new_value
    log TreasuryUpdated(treasury=new_value)
