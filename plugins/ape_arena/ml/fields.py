"""Strict readers for the JSON dicts that configure models and training.

Every config that crosses a trust boundary (a submitted model's config.json, a
task spec, a trainer's choices) goes through these: unknown keys, wrong types,
booleans passed as integers and out-of-range values all raise `ConfigError`
with a sentence naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any


class ConfigError(ValueError):
    """A config dict is malformed: an unknown key, a wrong type or a value out of bounds."""


def check_keys(data: Any, known: Iterable[str], what: str) -> Mapping[str, Any]:
    """Return `data` if it is a mapping with string keys, all of them in `known`."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{what} must be a JSON object, not {type(data).__name__}")
    allowed = set(known)
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise ConfigError(
            f"{what} has unknown key(s) {', '.join(unknown)}; "
            f"known keys are {', '.join(sorted(allowed))}"
        )
    return data


def get_int(data: Mapping[str, Any], key: str, default: int | None, low: int, high: int) -> int:
    """An integer field in [low, high]; `default` when absent (None: required)."""
    value = data.get(key, default)
    if value is None:
        raise ConfigError(f"{key} is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key} must be an integer, not {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{key} must be between {low:,} and {high:,}, not {value:,}")
    return value


def get_float(
    data: Mapping[str, Any], key: str, default: float | None, low: float, high: float
) -> float:
    """A finite number in [low, high]; `default` when absent (None: required)."""
    value = data.get(key, default)
    if value is None:
        raise ConfigError(f"{key} is required")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key} must be a number, not {value!r}")
    value = float(value)
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(f"{key} must be between {low:g} and {high:g}, not {value!r}")
    return value


def get_bool(data: Mapping[str, Any], key: str, default: bool) -> bool:
    """A boolean field (JSON true/false only)."""
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, not {value!r}")
    return value


def get_int_list(
    data: Mapping[str, Any],
    key: str,
    default: Iterable[int] | None,
    low: int,
    high: int,
    max_len: int,
) -> tuple[int, ...]:
    """A list of integers, each in [low, high], at most `max_len` long."""
    value = data.get(key, None if default is None else list(default))
    if value is None:
        raise ConfigError(f"{key} is required")
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{key} must be a list of integers, not {value!r}")
    if len(value) > max_len:
        raise ConfigError(f"{key} may hold at most {max_len} entries, not {len(value)}")
    items = []
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
            raise ConfigError(
                f"{key}[{index}] must be an integer between {low:,} and {high:,}, not {item!r}"
            )
        items.append(item)
    return tuple(items)
