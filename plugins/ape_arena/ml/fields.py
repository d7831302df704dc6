"""Strict fields for the JSON dicts that configure models and training.

Every config that crosses a trust boundary (a submitted model's config.json, a
task spec, a trainer's choices) is a frozen dataclass derived from `Fields`
whose fields are declared with `integer`, `number`, `flag`, `integers` or
`like`: the declaration is the one place that says a field's default and
bounds. `Fields.read` turns a JSON object into an instance; however an
instance is built, every value is checked. Unknown keys, missing required
fields, wrong types, booleans passed as integers and out-of-range values all
raise `ConfigError` with a sentence naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, field, fields
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound="Fields")
A = TypeVar("A", bound="ArchConfig")
Check = Callable[[str, Any], Any]
"""`check(key, value)`: the value, normalised (int to float, list to tuple), or ConfigError."""

_CHECK = "ape_arena.check"  # where a field's check sits in its metadata
_SAME = object()  # `like`'s default: the same default as the field it copies


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


def integer(low: int, high: int, default: Any = MISSING) -> Any:
    """A dataclass field holding an integer in [low, high] (no default: required)."""

    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer, not {value!r}")
        if not low <= value <= high:
            raise ConfigError(f"{key} must be between {low:,} and {high:,}, not {value:,}")
        return value

    return _declare(check, default)


def number(low: float, high: float, default: Any = MISSING) -> Any:
    """A dataclass field holding a finite number in [low, high], kept as a float."""

    def check(key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} must be a number, not {value!r}")
        value = float(value)
        if not math.isfinite(value) or not low <= value <= high:
            raise ConfigError(f"{key} must be between {low:g} and {high:g}, not {value!r}")
        return value

    return _declare(check, default)


def flag(default: Any = MISSING) -> Any:
    """A dataclass field holding a boolean (JSON true/false only)."""

    def check(key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, not {value!r}")
        return value

    return _declare(check, default)


def integers(low: int, high: int, max_len: int, default: Any = MISSING) -> Any:
    """A dataclass field holding at most `max_len` integers in [low, high], kept as a tuple."""

    def check(key: str, value: Any) -> tuple[int, ...]:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} must be a list of integers, not {value!r}")
        if len(value) > max_len:
            raise ConfigError(f"{key} may hold at most {max_len} entries, not {len(value)}")
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
                raise ConfigError(
                    f"{key}[{index}] must be an integer between {low:,} and {high:,}, not {item!r}"
                )
        return tuple(value)

    return _declare(check, default)


def text(pattern: str, max_chars: int, default: Any = MISSING) -> Any:
    """A dataclass field holding a string of at most `max_chars` that matches `pattern` whole."""
    import re

    compiled = re.compile(pattern)

    def check(key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, not {value!r}")
        if len(value) > max_chars or not compiled.fullmatch(value):
            raise ConfigError(f"{key} must match {pattern} (at most {max_chars} characters)")
        return value

    return _declare(check, default)


def choices(allowed: Iterable[str], max_len: int, default: Any = MISSING) -> Any:
    """A dataclass field holding 1 to `max_len` distinct strings from `allowed`, as a tuple."""
    options = tuple(allowed)

    def check(key: str, value: Any) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} must be a list of names, not {value!r}")
        if not 1 <= len(value) <= max_len or len(set(value)) != len(value):
            raise ConfigError(f"{key} must hold 1 to {max_len} distinct names")
        for item in value:
            if item not in options:
                raise ConfigError(f"{key}: {item!r} is not one of {', '.join(options)}")
        return tuple(value)

    return _declare(check, default)


def like(owner: type, name: str, default: Any = _SAME) -> Any:
    """A field checked as `owner`'s field `name` is, with its own `default` (or the same).

    A default of None makes the field optional: None stands for "not chosen".
    """
    source = {item.name: item for item in fields(owner)}[name]
    return _declare(source.metadata[_CHECK], source.default if default is _SAME else default)


def _declare(check: Check, default: Any) -> Any:
    return field(default=default, metadata={_CHECK: check})


class Fields:
    """Base of frozen dataclasses whose fields are all declared with the functions above."""

    def __post_init__(self) -> None:
        try:
            for item in fields(self):  # type: ignore[arg-type]
                value = getattr(self, item.name)
                if value is not None or item.default is not None:  # None: an optional's "unset"
                    object.__setattr__(self, item.name, item.metadata[_CHECK](item.name, value))
            self.check()
        except ConfigError as problem:
            raise self.error(problem) from None

    def check(self) -> None:
        """Rules that tie fields together; raise `ConfigError`. None unless a subclass says."""

    @classmethod
    def error(cls, problem: ConfigError) -> Exception:
        """What a bad value raises: `problem`, unless a subclass re-types it for its callers."""
        return problem

    @classmethod
    def read(cls: type[F], data: Any, what: str) -> F:
        """An instance from a JSON object; `what` names the object in error messages."""
        names = [item.name for item in fields(cls)]  # type: ignore[arg-type]
        try:
            data = check_keys(data, names, what)
            for item in fields(cls):  # type: ignore[arg-type]
                if item.default is MISSING and data.get(item.name) is None:
                    raise ConfigError(f"{item.name} is required")
        except ConfigError as problem:
            raise cls.error(problem) from None
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: every field by name, tuples as lists."""
        return {
            item.name: list(value) if isinstance(value, tuple) else value
            for item in fields(self)  # type: ignore[arg-type]
            for value in [getattr(self, item.name)]
        }


class ArchConfig(Fields):
    """Base of model configs: `Fields` with the "arch" tag config.json carries."""

    ARCH: ClassVar[str]

    @classmethod
    def from_dict(cls: type[A], data: Any) -> A:
        """Read a config dict (as in config.json); raise `ConfigError` on anything off."""
        what = f"{cls.ARCH} config"
        known = ["arch", *(item.name for item in fields(cls))]  # type: ignore[arg-type]
        data = check_keys(data, known, what)
        if data.get("arch", cls.ARCH) != cls.ARCH:
            raise ConfigError(f"arch must be {cls.ARCH!r}, not {data.get('arch')!r}")
        return cls.read({key: value for key, value in data.items() if key != "arch"}, what)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, with its "arch" tag."""
        return {"arch": self.ARCH, **super().to_dict()}


def from_fields(target: type[T], source: Any, **given: Any) -> T:
    """A `target` dataclass from the same-named fields of dataclass `source`, and `given`."""
    names = {item.name for item in fields(target)}  # type: ignore[arg-type]
    shared = {
        item.name: getattr(source, item.name) for item in fields(source) if item.name in names
    }
    return target(**shared, **given)
