"""The units every layer speaks: ARENA amounts, basis points, durations, timestamps.

- Amounts are integers of wei everywhere in the code (1 ARENA = `WAD` wei).
  `parse_arena` is the one reader of what people type or write in a spec
  ("1000", "2.5", "1_000", "12 ARENA"): strict, so an amount with more
  decimals than the token has is refused rather than silently cut.
  `format_arena` is the one writer: thousands separators and at most
  `DECIMALS` decimals, trailing zeros dropped.
- Durations are whole seconds: `parse_duration` reads "600", "10m", "1.5h",
  "7d"; `format_duration` writes "1d 2h 3m" (no zero parts).
- Timestamps are Unix seconds: `when` writes them in UTC for people,
  `iso` in ISO 8601 for machines.

Standard library only, so the chain layer, the node, the reports, the
scripts and the benchmarks all share it.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal, InvalidOperation

WAD = 10**18
TOKEN_DECIMALS = 18
MAX_SUPPLY = 1_000_000_000 * WAD  # the token's cap (contracts/modules/constants.vy)
BPS = 10_000
DECIMALS = 6  # what `format_arena` shows
MINUTE, HOUR, DAY = 60, 3_600, 86_400
_DURATION_UNITS = {"s": 1, "m": MINUTE, "h": HOUR, "d": DAY}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")


class UnitError(ValueError):
    """A value that cannot be read in its unit; the message is one sentence."""


def parse_arena(value: object, name: str = "The amount", *, allow_zero: bool = False) -> int:
    """An amount of ARENA (a number, or text such as "2.5", "1_000" or "12 ARENA") in wei.

    `name` starts the sentence of an error ("The amount", "`reward`").

    Raises:
        UnitError: not a finite number, not positive (zero only with
            `allow_zero`), or with more than 18 decimals.
    """
    text = str(value).strip().replace("_", "").replace(",", "")
    if text.upper().endswith("ARENA"):
        text = text[:-5].strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if isinstance(value, bool) or not amount.is_finite():
        raise UnitError(
            f"Cannot read {value!r} as an amount of ARENA; give a number such as 1000 or 2.5."
        )
    if amount < 0 or (amount == 0 and not allow_zero):
        floor = "0 or more" if allow_zero else "more than 0"
        raise UnitError(f"{name} must be {floor} ARENA, not {value}; give e.g. 100.")
    wei = amount * WAD
    if wei != wei.to_integral_value():
        raise UnitError(
            f"ARENA has {TOKEN_DECIMALS} decimals, so {value} cannot be used; round it to at "
            f"most {TOKEN_DECIMALS} digits after the point."
        )
    return int(wei)


def format_arena(wei: int, unit: bool = False) -> str:
    """wei as ARENA: "1,234.5", "0.000001", "<0.000001" for dust, "0"; `unit` adds " ARENA"."""
    wei = int(wei)
    sign = "-" if wei < 0 else ""
    value = Decimal(abs(wei)) / WAD
    text = f"{value:,.{DECIMALS}f}".rstrip("0").rstrip(".")
    if text == "0" and wei:
        text = f"<0.{'0' * (DECIMALS - 1)}1"
    return sign + text + (" ARENA" if unit else "")


def format_bps(bps: int) -> str:
    """Basis points with their percentage: "50 bps (0.5%)"."""
    return f"{int(bps)} bps ({Decimal(int(bps)) / 100:f}%)"


def parse_duration(value: object, name: str = "The duration") -> int:
    """Seconds from 600, "600", "10m", "1.5h" or "7d"."""
    match = _DURATION.fullmatch(str(value).strip())
    if match is None or isinstance(value, bool):
        raise UnitError(f"{name} must be a duration such as 600, 10m or 1h, not {value!r}.")
    number, unit = match.groups()
    seconds = Decimal(number) * _DURATION_UNITS[unit or "s"]
    if seconds != seconds.to_integral_value():
        raise UnitError(f"{name} must be a whole number of seconds, not {value!r}.")
    return int(seconds)


def format_duration(seconds: int) -> str:
    """Seconds as "1d 2h 3m 4s", zero parts left out ("0s" for none)."""
    seconds = max(int(seconds), 0)
    parts = []
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0s"


def when(timestamp: int) -> str:
    """A Unix time for people: "2026-12-03 14:05:00 UTC"."""
    moment = _dt.datetime.fromtimestamp(int(timestamp), tz=_dt.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(timestamp: int) -> str:
    """A Unix time for machines: "2026-12-03T14:05:00Z"."""
    moment = _dt.datetime.fromtimestamp(int(timestamp), tz=_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
