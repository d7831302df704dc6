"""The parameter table of `ape arena params` and `gov propose --set` matches
what the contracts enforce: each bound is accepted, one past it reverts."""

import re

import boa
import pytest

from ape_arena.chain import params as registry
from support.dao import GovernedArena

NUMERIC = [p for p in registry.PARAMETERS if p.unit != "address"]
ADDRESSES = [p for p in registry.PARAMETERS if p.unit == "address"]


@pytest.fixture(scope="module")
def arena():
    return GovernedArena()


def contract_of(arena, param):
    return {
        "staking": arena.staking,
        "tasks": arena.tasks,
        "emission": arena.emission,
        "governor": arena.governor,
    }[param.contract]


def set_as_governance(arena, param, value):
    contract = contract_of(arena, param)
    # A setter of several parameters takes the others' current values.
    args = [value if n == param.name else getattr(contract, n)() for n in param.together] or [value]
    with boa.env.prank(arena.governor.address):
        getattr(contract, param.setter)(*args)
    return getattr(contract, param.name)()


@pytest.mark.parametrize("param", NUMERIC, ids=lambda p: p.key)
def test_bounds_are_the_contracts(arena, param):
    with boa.env.anchor():
        assert set_as_governance(arena, param, param.high) == param.high
        assert set_as_governance(arena, param, param.low) == param.low
        with boa.reverts():
            set_as_governance(arena, param, param.high + 1)
        if param.low > 0:
            with boa.reverts():
                set_as_governance(arena, param, param.low - 1)


@pytest.mark.parametrize("param", ADDRESSES, ids=lambda p: p.key)
def test_address_parameters_refuse_zero(arena, param):
    with boa.env.anchor():
        with boa.reverts():
            set_as_governance(arena, param, "0x" + "00" * 20)
        receiver = boa.env.generate_address("new treasury")
        assert set_as_governance(arena, param, receiver) == receiver


def test_every_setter_of_the_contracts_is_in_the_table(arena):
    """A new `set_*` in a governed contract must get a row in the table."""
    listed = {(p.contract, p.setter) for p in registry.PARAMETERS}
    for name in ("staking", "tasks", "emission", "governor"):
        contract = contract_of(
            arena,
            registry.find(f"{name}.voting_period" if name == "governor" else f"{name}.treasury"),
        )
        setters = {
            fn["name"]
            for fn in contract.abi
            if fn.get("type") == "function"
            and fn["name"].startswith("set_")
            and fn["name"] != "set_role_admin"
            and fn["name"] != "set_commission"
        }
        assert setters == {s for c, s in listed if c == name}, name


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("tasks.q_wad", "0.9", 9 * 10**17),
        ("q_wad", "850000000000000000", 85 * 10**16),
        ("staking.unbonding_delay", "7d", 7 * 86_400),
        ("governor.voting_period", "90m", 5_400),
        ("governor.proposal_threshold", "1000ARENA", 1_000 * 10**18),
        ("tasks.protocol_fee_bps", "1_000", 1_000),
    ],
)
def test_parse_value(key, text, expected):
    assert registry.parse_value(registry.find(key), text) == expected


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("tasks.q_wad", "1.5", "must be within 0 .. 1"),
        ("staking.unbonding_delay", "10m", "must be within 1h .. 60d"),
        ("tasks.q_wad", "lots", "Cannot read 'lots'"),
        ("tasks.treasury", "nope", "takes an address"),
        ("nothing.here", "1", "Unknown parameter"),
    ],
)
def test_bad_values_are_one_sentence(key, text, message):
    with pytest.raises(registry.ParameterError, match=message) as err:
        registry.parse_value(registry.find(key), text)  # find() may raise too
    assert str(err.value).endswith(".")
    # One sentence: no full stop followed by a new sentence, no second line.
    assert not re.search(r"\.\s+[A-Z]", str(err.value))
    assert "\n" not in str(err.value)


def test_format_value():
    assert registry.format_value(registry.find("tasks.q_wad"), 85 * 10**16) == "0.85"
    assert registry.format_value(registry.find("staking.unbonding_delay"), 7 * 86_400) == "7d"
    assert registry.format_value(registry.find("tasks.protocol_fee_bps"), 500) == "500 bps (5%)"
