"""Atomic file writes: write a temporary sibling, flush it to disk, then
`os.replace` it over the target.

A reader, or a node restarted after a crash, sees the old file or the new
one, never half of one. No dependency beyond the standard library, so every
layer of the plugin (chain, node, ml) may use it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: Path, private: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success move it over `path`.

    The caller writes the temporary file with any writer that takes a path.
    On an exception the temporary file is removed and `path` is untouched.
    `private` makes the file readable by its owner only (salts, keys).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        if private:
            os.chmod(tmp, 0o600)
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes_atomically(path: Path, data: bytes, private: bool = False) -> None:
    """Replace `path` with `data` atomically."""
    with atomic_path(path, private) as tmp:
        tmp.write_bytes(data)


def write_json_atomically(path: Path, data: Any, private: bool = False) -> None:
    """Replace `path` with `data` as indented, key-sorted JSON, atomically."""
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    write_bytes_atomically(path, text.encode(), private)
