"""Readers and writers for the data files users bring: text, JSONL, CSV, Parquet, NPZ.

The readers are shared by the kinds; each kind decides which fields it needs.
Every reader bounds the bytes it will read before opening a file, raises
`DataError` with the file (and line) at fault, and never unpickles: NPZ is
read with `allow_pickle=False`.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ape_arena.kinds.base import DataError

TEXT, JSONL, CSV, PARQUET, NPZ = ".txt", ".jsonl", ".csv", ".parquet", ".npz"
# Largest total size of the files one `load_user_data` call reads.
MAX_DATA_BYTES = 2 * 1024**3
# A fixed timestamp for the members of the NPZ files we write, so equal
# arrays give byte-identical files (and equal content hashes).
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def data_files(path: Path, suffixes: Iterable[str], max_bytes: int = MAX_DATA_BYTES) -> list[Path]:
    """The data files at `path`: the file itself, or a folder's files in sorted name order.

    A folder contributes its non-hidden files whose suffix is in `suffixes`
    (not its subfolders).

    Raises:
        DataError: nothing readable there, an unsupported file, or more than `max_bytes`.
    """
    path = Path(path)
    allowed = sorted(suffixes)
    if path.is_dir():
        files = sorted(
            p
            for p in path.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in allowed
        )
        if not files:
            raise DataError(f"{path} holds no data file ({', '.join(allowed)})")
    elif path.is_file():
        if path.suffix.lower() not in allowed:
            raise DataError(
                f"{path.name}: unsupported file type {path.suffix or '(none)'}; "
                f"use one of {', '.join(allowed)}"
            )
        files = [path]
    else:
        raise DataError(f"{path} does not exist")
    total = sum(p.stat().st_size for p in files)
    if total > max_bytes:
        raise DataError(f"{path} holds {total:,} bytes of data, over the {max_bytes:,} allowed")
    return files


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line of a JSONL file."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                raise DataError(f"{path.name} line {number}: not valid JSON ({error})") from None
            if not isinstance(record, dict):
                raise DataError(f"{path.name} line {number}: expected a JSON object")
            yield number, record


def read_table(path: Path) -> Any:
    """Read a CSV or Parquet file into a pandas DataFrame."""
    import pandas as pd

    if path.suffix.lower() == PARQUET:
        try:
            return pd.read_parquet(path)
        except ImportError:
            raise DataError(
                f"reading {path.name} needs a Parquet engine: run `pip install pyarrow`"
            ) from None
        except Exception as error:  # pyarrow and fastparquet raise their own types
            raise DataError(f"{path.name} is not a readable Parquet file: {error}") from None
    try:
        return pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as error:  # pandas' ParserError is a ValueError
        raise DataError(f"{path.name} is not a readable CSV file: {error}") from None


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """Read every array of an NPZ file (object arrays, which need pickle, are refused)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except ValueError as error:
        raise DataError(f"{path.name}: {error}") from None
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"{path.name} is not a readable NPZ file: {error}") from None


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays as an uncompressed NPZ whose bytes depend on the arrays only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(
                buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False
            )
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())
