"""Reading what other people wrote: bounded JSON, and short, safe reasons.

A validator reads files that trainers and creators chose byte by byte
(manifests, safetensors headers, configs, task documents, data lines). Two
things must never follow from such a file: a crash of the reader, and a
message that carries the attacker's text into a log or onto a screen.

- `parse_json` refuses input nested deeper than `MAX_JSON_DEPTH` *before*
  the recursive parser sees it (Python's `json` raises RecursionError at
  about a thousand levels, which nothing upstream expects), duplicate keys
  and the non-JSON constants NaN and Infinity.
- `clip` makes any text one short printable line; `shown` is `repr` of a
  value, clipped, for quoting attacker text inside a message.

Standard library only, so every layer (artifacts, ml, kinds, node) may use it.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Deeper than any config, manifest or header the arena writes (they nest at
# most 4 levels); far below the ~1,000 levels where `json` recurses out.
MAX_JSON_DEPTH = 32
# The longest reason a score, a log line or a state record carries.
MAX_REASON_CHARS = 200
# The longest quote of attacker-chosen text inside a message.
MAX_QUOTE_CHARS = 48

# A JSON string literal, escapes included (the unrolled form runs in linear time).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_SPACE = re.compile(r"\s+")


class UntrustedJSONError(ValueError):
    """Input that is not JSON this node will parse; the message says why, briefly."""


def nesting_within(data: bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether the brackets of a JSON text nest at most `max_depth` levels.

    Strings are cut out, every byte but brackets is dropped, then innermost
    ``[]`` and ``{}`` pairs are removed once per level; what survives
    `max_depth` rounds is deeper than allowed (or unbalanced, which the
    parser would refuse anyway). Each round is a C-speed pass over the bytes.
    """
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    for _ in range(max_depth):
        if not brackets:
            return True
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if len(shorter) == len(brackets):
            return False  # unbalanced: no pair left to remove
        brackets = shorter
    return not brackets


def parse_json(data: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse UTF-8 JSON from an untrusted source, within `max_depth` levels.

    Raises:
        UntrustedJSONError: not UTF-8, not JSON, nested too deep, a key
            repeated in one object, or NaN / Infinity.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if not nesting_within(raw, max_depth):
        raise UntrustedJSONError(f"it nests deeper than {max_depth} levels or is unbalanced")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UntrustedJSONError(f"it is not UTF-8 (byte {error.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except UntrustedJSONError:
        raise
    except (ValueError, RecursionError) as error:
        raise UntrustedJSONError(f"it is not valid JSON ({clip(str(error), 80)})") from None


def clip(text: object, limit: int = MAX_REASON_CHARS) -> str:
    """`text` as one printable line of at most `limit` characters.

    Runs of white space become one space; any other control or non-printable
    character is written as its escape; the end is cut with "..." when long.
    """
    line = _SPACE.sub(" ", str(text)).strip()
    if not line.isprintable():
        line = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in line)
    return line if len(line) <= limit else line[: max(0, limit - 3)] + "..."


def shown(value: object, limit: int = MAX_QUOTE_CHARS) -> str:
    """`repr(value)` clipped to `limit` characters: for quoting untrusted values."""
    if isinstance(value, str | bytes) and len(value) > 4 * limit:
        value = value[: 4 * limit]  # never repr a megabyte only to cut it
    return clip(repr(value), limit)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise UntrustedJSONError(f"it repeats the key {shown(key)}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise UntrustedJSONError(f"it holds {name}, which is not a JSON number")
