"""Every DAO-governed parameter of the protocol: where it lives, its setter,
its bounds and its unit.

The bounds mirror the constants each contract checks on-chain;
tests/node/test_params_registry.py proves that every bound here is the one the
contract enforces (the bound itself is accepted, one past it reverts). The
table is what `ape arena params` prints and what `ape arena gov propose --set`
turns into calldata.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ape_arena.exceptions import ArenaError
from ape_arena.units import (
    DAY,
    MAX_SUPPLY,
    WAD,
    format_arena,
    format_bps,
    format_duration,
    parse_arena,
    parse_duration,
)

# The task manager's floors on new tasks' terms, set together by set_floors.
FLOORS = (
    "min_validator_slots",
    "min_validator_stake_bps",
    "min_bond_bps",
    "min_trainer_stake_bps",
)


class ParameterError(ArenaError):
    """A parameter name or value a proposal cannot use."""


@dataclass(frozen=True)
class Parameter:
    contract: str  # key in the protocol: token, staking, tasks, emission, governor
    name: str  # the public getter
    low: int | None  # None for an address
    high: int | None
    unit: str  # seconds, bps, wad, wei, address, count
    summary: str
    # Parameters one setter sets together, in its argument order (e.g. the
    # task manager's floors, `set_floors`); empty for a setter of its own.
    together: tuple[str, ...] = ()
    shared_setter: str | None = None

    @property
    def setter(self) -> str:
        return self.shared_setter or f"set_{self.name}"

    @property
    def key(self) -> str:
        return f"{self.contract}.{self.name}"

    @property
    def signature(self) -> str:
        arg = "address" if self.unit == "address" else "uint256"
        return f"{self.setter}({','.join([arg] * max(len(self.together), 1))})"

    def bounds_text(self) -> str:
        if self.unit == "address":
            return "any non-zero address"
        return f"{format_value(self, self.low)} .. {format_value(self, self.high)}"


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "staking",
        "unbonding_delay",
        3_600,
        60 * DAY,
        "seconds",
        "wait between a withdrawal request and the withdrawal",
    ),
    Parameter(
        "staking",
        "commission_notice",
        0,
        30 * DAY,
        "seconds",
        "notice before a commission raise applies",
    ),
    Parameter(
        "staking", "max_commission_bps", 0, 5_000, "bps", "highest commission an operator may set"
    ),
    Parameter(
        "staking", "max_slash_bps", 0, 5_000, "bps", "highest slash of a released allocation"
    ),
    Parameter(
        "staking",
        "delegation_weight_bps",
        0,
        10_000,
        "bps",
        "weight of delegated stake in the effective stake (epsilon)",
    ),
    Parameter(
        "staking",
        "min_self_stake_bps",
        0,
        10_000,
        "bps",
        "least own stake an operator keeps against what its pool has locked",
    ),
    Parameter(
        "staking",
        "min_pool_stake",
        0,
        1_000_000 * WAD,
        "wei",
        "least total stake a pool needs to be locked for a task",
    ),
    Parameter("staking", "treasury", None, None, "address", "receiver of slashed stake"),
    Parameter(
        "tasks",
        "gamma_wad",
        0,
        WAD // 2,
        "wad",
        "share of a task's reward guaranteed to each side (gamma)",
    ),
    Parameter("tasks", "q_wad", 0, WAD, "wad", "per-rank decay of trainer rewards (q)"),
    Parameter("tasks", "protocol_fee_bps", 0, 2_000, "bps", "fee on task rewards"),
    Parameter("tasks", "plagiarism_slash_bps", 0, 10_000, "bps", "slash of a plagiarist's stake"),
    Parameter(
        "tasks",
        "nonreveal_slash_bps",
        0,
        10_000,
        "bps",
        "slash of a validator that does not reveal its scores",
    ),
    Parameter(
        "tasks", "min_creator_bond", 0, MAX_SUPPLY, "wei", "smallest bond a task creator posts"
    ),
    *(
        Parameter("tasks", name, 0, high, unit, summary, FLOORS, "set_floors")
        for name, high, unit, summary in (
            ("min_validator_slots", 64, "count", "fewest validator slots a new task offers"),
            ("min_validator_stake_bps", 10_000, "bps", "least validator stake, of the reward"),
            ("min_bond_bps", 10_000, "bps", "least creator bond, of the reward"),
            ("min_trainer_stake_bps", 10_000, "bps", "least trainer stake, of the reward"),
        )
    ),
    Parameter("tasks", "treasury", None, None, "address", "receiver of protocol fees"),
    Parameter(
        "emission",
        "daily_emission",
        0,
        1_000_000 * WAD,
        "wei",
        "tokens released per day (cut yearly by decay_bps)",
    ),
    Parameter("emission", "decay_bps", 0, 9_000, "bps", "yearly cut of the daily emission"),
    Parameter(
        "emission", "treasury", None, None, "address", "receiver of emission no task can take"
    ),
    Parameter(
        "governor",
        "voting_period",
        60,
        30 * DAY,
        "seconds",
        "how long a proposal is open for votes",
    ),
    Parameter(
        "governor",
        "timelock_delay",
        60,
        30 * DAY,
        "seconds",
        "wait between queueing a passed proposal and executing it",
    ),
    Parameter(
        "governor",
        "quorum_bps",
        100,
        5_000,
        "bps",
        "share of all voting power that must vote for or abstain",
    ),
    Parameter(
        "governor",
        "proposal_threshold",
        0,
        MAX_SUPPLY // 100,
        "wei",
        "voting power needed to propose",
    ),
)

BY_KEY = {p.key: p for p in PARAMETERS}


@dataclass(frozen=True)
class ParameterValue:
    """A parameter and the value the deployed contract holds now."""

    parameter: Parameter
    value: int | str  # an integer in the parameter's unit, or a checksummed address


def read_parameters(protocol) -> list[ParameterValue]:
    """Every governed parameter's current value, read from the deployed contracts."""
    values = []
    for param in PARAMETERS:
        raw = getattr(protocol.by_key(param.contract), param.name)()
        values.append(ParameterValue(param, str(raw) if param.unit == "address" else int(raw)))
    return values


def find(key: str) -> Parameter:
    """The parameter named `contract.name` (e.g. `tasks.q_wad`)."""
    if key in BY_KEY:
        return BY_KEY[key]
    matches = [p for p in PARAMETERS if p.name == key]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(BY_KEY)
    raise ParameterError(f"Unknown parameter {key!r}; use one of: {known}.")


def parse_value(param: Parameter, text: str) -> int | str:
    """Turn a user's value into the integer (or address) the setter takes.

    Integers are taken as they are; `wad` parameters also accept a decimal
    (0.85 -> 0.85e18) and `wei` amounts a number of ARENA with the suffix
    `ARENA` (`1000ARENA`); durations accept the suffixes s, m, h, d.
    """
    raw = text.strip().replace("_", "")
    if param.unit == "address":
        if not (raw.startswith("0x") and len(raw) == 42):
            raise ParameterError(
                f"{param.key} takes an address (0x followed by 40 hex digits), not {text!r}."
            )
        return raw
    try:
        value = _to_int(param, raw)
    except (InvalidOperation, ValueError):
        raise ParameterError(
            f"Cannot read {text!r} as a value of {param.key} ({param.unit}); "
            "give an integer, e.g. 3600 or 7d for durations, 0.9 for wad values."
        ) from None
    if value < param.low or value > param.high:
        raise ParameterError(
            f"{param.key} must be within {param.bounds_text()}, not {text}; "
            "pick a value inside the bounds."
        )
    return value


def _to_int(param: Parameter, raw: str) -> int:
    if param.unit == "seconds" and raw[-1:] in "smhd" and raw[:-1]:
        return parse_duration(raw, param.key)
    if param.unit == "wei" and raw.upper().endswith("ARENA"):
        return parse_arena(raw, param.key, allow_zero=True)
    if param.unit == "wad" and "." in raw:
        return int(Decimal(raw) * WAD)
    return int(raw)


def format_value(param: Parameter, value) -> str:
    """A value in the parameter's unit, readable."""
    if param.unit == "address":
        return str(value)
    value = int(value)
    if param.unit == "wad":
        return f"{Decimal(value) / WAD:f}"
    if param.unit == "bps":
        return format_bps(value)
    if param.unit == "seconds":
        return format_duration(value)
    if param.unit == "wei":
        return format_arena(value, unit=True)
    return str(value)
