import boa
import pytest

from support.constants import (
    COMMISSION_NOTICE,
    DAY,
    DELEGATION_WEIGHT_BPS,
    MAX_COMMISSION_BPS,
    MAX_SLASH_BPS,
    MAX_SUPPLY,
    UNBONDING_DELAY,
    WAD,
    ZERO_ADDRESS,
)

GOOD = dict(
    unbonding=UNBONDING_DELAY,
    notice=COMMISSION_NOTICE,
    max_commission=MAX_COMMISSION_BPS,
    max_slash=MAX_SLASH_BPS,
    weight=DELEGATION_WEIGHT_BPS,
)


def _deploy(staking_partial, token, admin, treasury, deployer, **overrides):
    p = {**GOOD, **overrides}
    with boa.env.prank(deployer):
        return staking_partial.deploy(
            token.address if hasattr(token, "address") else token,
            admin,
            treasury,
            p["unbonding"],
            p["notice"],
            p["max_commission"],
            p["max_slash"],
            p["weight"],
        )


def test_parameters_and_roles(staking, token, admin, deployer, slash_treasury):
    assert staking.token() == token.address
    assert staking.treasury() == slash_treasury
    assert staking.unbonding_delay() == UNBONDING_DELAY
    assert staking.commission_notice() == COMMISSION_NOTICE
    assert staking.max_commission_bps() == MAX_COMMISSION_BPS
    assert staking.max_slash_bps() == MAX_SLASH_BPS
    assert staking.delegation_weight_bps() == DELEGATION_WEIGHT_BPS
    # Set by the constructor, not among its arguments.
    assert staking.min_pool_stake() == WAD
    assert staking.MAX_MIN_POOL_STAKE() == 1_000_000 * WAD
    assert staking.hasRole(staking.DEFAULT_ADMIN_ROLE(), admin)
    assert not staking.hasRole(staking.DEFAULT_ADMIN_ROLE(), deployer)
    assert staking.PROTOCOL_ROLE() == boa.eval('keccak256("PROTOCOL_ROLE")')
    # The largest amount one call accepts is the token's cap.
    assert staking.MAX_AMOUNT() == token.MAX_SUPPLY() == MAX_SUPPLY


def test_constructor_logs_every_parameter(staking_partial, token, admin, slash_treasury, deployer):
    staking = _deploy(staking_partial, token, admin, slash_treasury, deployer)
    names = [e.name for e in staking.get_logs() if type(e).__name__ == "ParameterUpdated"]
    assert names == [
        "unbonding_delay",
        "commission_notice",
        "max_commission_bps",
        "max_slash_bps",
        "delegation_weight_bps",
        "min_self_stake_bps",
        "min_pool_stake",
    ]


@pytest.mark.parametrize(
    "override, reason",
    [
        ({"unbonding": 3_599}, "staking: unbonding delay out of bounds"),
        ({"unbonding": 60 * DAY + 1}, "staking: unbonding delay out of bounds"),
        ({"notice": 30 * DAY + 1}, "staking: commission notice out of bounds"),
        ({"max_commission": 5_001}, "staking: max commission out of bounds"),
        ({"max_slash": 5_001}, "staking: max slash out of bounds"),
        ({"weight": 10_001}, "staking: delegation weight out of bounds"),
    ],
)
def test_constructor_rejects_out_of_bounds(
    staking_partial, token, admin, slash_treasury, deployer, override, reason
):
    with boa.reverts(reason):
        _deploy(staking_partial, token, admin, slash_treasury, deployer, **override)


def test_constructor_rejects_zero_addresses(
    staking_partial, token, admin, slash_treasury, deployer
):
    with boa.reverts("staking: token is the zero address"):
        _deploy(staking_partial, ZERO_ADDRESS, admin, slash_treasury, deployer)
    with boa.reverts("staking: admin is the zero address"):
        _deploy(staking_partial, token, ZERO_ADDRESS, slash_treasury, deployer)
    with boa.reverts("staking: treasury is the zero address"):
        _deploy(staking_partial, token, admin, ZERO_ADDRESS, deployer)


def test_bounds_are_inclusive(staking_partial, token, admin, slash_treasury, deployer):
    staking = _deploy(
        staking_partial,
        token,
        admin,
        slash_treasury,
        deployer,
        unbonding=3_600,
        notice=0,
        max_commission=5_000,
        max_slash=5_000,
        weight=0,
    )
    assert staking.unbonding_delay() == 3_600
    staking = _deploy(
        staking_partial, token, admin, slash_treasury, deployer, unbonding=60 * DAY, notice=30 * DAY
    )
    assert staking.unbonding_delay() == 60 * DAY


SETTERS = [
    (
        "set_unbonding_delay",
        "unbonding_delay",
        3 * DAY,
        1,
        "staking: unbonding delay out of bounds",
    ),
    (
        "set_commission_notice",
        "commission_notice",
        DAY,
        31 * DAY,
        "staking: commission notice out of bounds",
    ),
    (
        "set_max_commission_bps",
        "max_commission_bps",
        2_000,
        6_000,
        "staking: max commission out of bounds",
    ),
    ("set_max_slash_bps", "max_slash_bps", 1_000, 20_000, "staking: max slash out of bounds"),
    (
        "set_delegation_weight_bps",
        "delegation_weight_bps",
        5_000,
        10_001,
        "staking: delegation weight out of bounds",
    ),
    (
        "set_min_self_stake_bps",
        "min_self_stake_bps",
        2_000,
        10_001,
        "staking: min self stake out of bounds",
    ),
    (
        "set_min_pool_stake",
        "min_pool_stake",
        1_000_000 * WAD,  # the bound itself
        1_000_000 * WAD + 1,
        "staking: min pool stake out of bounds",
    ),
]


@pytest.mark.parametrize("setter, getter, good, bad, reason", SETTERS)
def test_admin_setters(staking, admin, non_owner, setter, getter, good, bad, reason):
    with boa.env.prank(admin):
        getattr(staking, setter)(good)
    (log,) = [e for e in staking.get_logs() if type(e).__name__ == "ParameterUpdated"]
    assert (log.name, log.value) == (getter, good)
    assert getattr(staking, getter)() == good
    with boa.reverts(reason), boa.env.prank(admin):
        getattr(staking, setter)(bad)
    with boa.reverts("staking: caller is not the admin"), boa.env.prank(non_owner):
        getattr(staking, setter)(good)


def test_set_treasury(staking, admin, non_owner):
    with boa.env.prank(admin):
        staking.set_treasury(non_owner)
    assert staking.treasury() == non_owner
    with boa.reverts("staking: treasury is the zero address"), boa.env.prank(admin):
        staking.set_treasury(ZERO_ADDRESS)
    with boa.reverts("staking: caller is not the admin"), boa.env.prank(non_owner):
        staking.set_treasury(non_owner)


def test_protocol_role_is_granted_by_admin_only(staking, admin, non_owner):
    role = staking.PROTOCOL_ROLE()
    with boa.reverts("access_control: account is missing role"), boa.env.prank(non_owner):
        staking.grantRole(role, non_owner)
    with boa.env.prank(admin):
        staking.grantRole(role, non_owner)
    assert staking.hasRole(role, non_owner)


def test_protocol_contracts_are_fixed_once_the_protocol_admin_renounces(staking, admin, non_owner):
    role, protocol_admin = staking.PROTOCOL_ROLE(), staking.PROTOCOL_ADMIN_ROLE()
    assert staking.getRoleAdmin(role) == protocol_admin
    assert staking.getRoleAdmin(protocol_admin) == protocol_admin
    with boa.env.prank(admin):
        staking.renounceRole(protocol_admin, admin)
    # DEFAULT_ADMIN_ROLE (governance) can neither name a protocol contract,
    # nor take the protocol admin role, nor move the role's admin.
    for call in (
        lambda: staking.grantRole(role, non_owner),
        lambda: staking.grantRole(protocol_admin, admin),
        lambda: staking.set_role_admin(role, staking.DEFAULT_ADMIN_ROLE()),
    ):
        with boa.reverts("access_control: account is missing role"), boa.env.prank(admin):
            call()
    assert not staking.hasRole(role, non_owner)
