import boa

from support.constants import WAD

ERC165 = bytes.fromhex("01ffc9a7")
IACCESS_CONTROL = bytes.fromhex("7965db0b")


def test_role_constants(token):
    assert token.DEFAULT_ADMIN_ROLE() == b"\x00" * 32
    assert token.MINTER_ROLE() == boa.eval('keccak256("MINTER_ROLE")')
    assert token.getRoleAdmin(token.MINTER_ROLE()) == token.DEFAULT_ADMIN_ROLE()


def test_supports_interface(token):
    assert token.supportsInterface(ERC165)
    assert token.supportsInterface(IACCESS_CONTROL)
    assert not token.supportsInterface(b"\xff\xff\xff\xff")


def test_admin_grants_and_revokes_minter(token, admin, holder):
    role = token.MINTER_ROLE()
    with boa.env.prank(admin):
        token.grantRole(role, holder)
    assert token.hasRole(role, holder)
    with boa.env.prank(holder):
        token.mint(holder, WAD)
    with boa.env.prank(admin):
        token.revokeRole(role, holder)
    assert not token.hasRole(role, holder)


def test_grant_role_emits(token, admin, holder):
    with boa.env.prank(admin):
        token.grantRole(token.MINTER_ROLE(), holder)
    (log,) = [e for e in token.get_logs() if type(e).__name__ == "RoleGranted"]
    assert (log.account, log.sender) == (holder, admin)


def test_non_admin_cannot_grant(token, non_owner):
    with boa.reverts("access_control: account is missing role"), boa.env.prank(non_owner):
        token.grantRole(token.MINTER_ROLE(), non_owner)


def test_minter_cannot_grant(token, minter, non_owner):
    with boa.reverts("access_control: account is missing role"), boa.env.prank(minter):
        token.grantRole(token.MINTER_ROLE(), non_owner)


def test_non_admin_cannot_revoke(token, minter, non_owner):
    with boa.reverts("access_control: account is missing role"), boa.env.prank(non_owner):
        token.revokeRole(token.MINTER_ROLE(), minter)


def test_renounce_only_for_self(token, admin, minter):
    with boa.reverts("access_control: can only renounce roles for itself"), boa.env.prank(admin):
        token.renounceRole(token.MINTER_ROLE(), minter)
    with boa.env.prank(minter):
        token.renounceRole(token.MINTER_ROLE(), minter)
    assert not token.hasRole(token.MINTER_ROLE(), minter)


def test_hand_administration_to_governance(token, admin, non_owner):
    """The handover that deployment does: grant to governance, renounce."""
    governance = boa.env.generate_address("governance")
    admin_role = token.DEFAULT_ADMIN_ROLE()
    with boa.env.prank(admin):
        token.grantRole(admin_role, governance)
        token.renounceRole(admin_role, admin)
    assert token.hasRole(admin_role, governance)
    assert not token.hasRole(admin_role, admin)
    with boa.reverts("access_control: account is missing role"), boa.env.prank(admin):
        token.grantRole(token.MINTER_ROLE(), non_owner)
    with boa.env.prank(governance):
        token.grantRole(token.MINTER_ROLE(), non_owner)
    assert token.hasRole(token.MINTER_ROLE(), non_owner)


def test_set_role_admin(token, admin, minter, non_owner):
    minter_role = token.MINTER_ROLE()
    with boa.env.prank(admin):
        token.set_role_admin(minter_role, minter_role)
    assert token.getRoleAdmin(minter_role) == minter_role
    # Now minters administer minters, and the plain admin no longer does.
    with boa.env.prank(minter):
        token.grantRole(minter_role, non_owner)
    with boa.reverts("access_control: account is missing role"), boa.env.prank(admin):
        token.revokeRole(minter_role, non_owner)


def test_set_role_admin_needs_admin(token, non_owner):
    with boa.reverts("access_control: account is missing role"), boa.env.prank(non_owner):
        token.set_role_admin(token.MINTER_ROLE(), token.MINTER_ROLE())
