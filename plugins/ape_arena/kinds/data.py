"""Readers and writers for the data files users bring: text, JSONL, CSV, Parquet, NPZ.

The readers are shared by the kinds; each kind decides which fields it needs.
Every reader raises `DataError` with the file (and line) at fault, and never
unpickles. `data_files` bounds the bytes on disk; the readers of compressed
formats bound what those bytes unpack to as well (`max_bytes`), checking the
sizes a file declares before allocating anything and stopping where the
declared size ends:

- NPZ is never handed to `np.load`: each member must be a `.npy` array, stored
  or deflated (what `numpy.savez` and `savez_compressed` write), their declared
  sizes must add up to at most `max_bytes`, and each is read no further than
  its declared size (zipfile checks the CRC there), in bounded steps, into a
  buffer of exactly the size its header's shape and dtype call for.
- Parquet is read with pyarrow: the row groups' declared sizes, and the rows
  the footer declares times the width of a row, must fit in `max_bytes`; the
  batches are counted as they are read, string columns dictionary-encoded so
  that a repeated value is counted at its decoded size before it exists.
- JSONL lines go through `ape_arena.untrusted.parse_json` (bounded nesting).
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

from ape_arena.kinds.base import DataError
from ape_arena.untrusted import UntrustedJSONError, clip, parse_json, shown

TEXT, JSONL, CSV, PARQUET, NPZ = ".txt", ".jsonl", ".csv", ".parquet", ".npz"
# Largest total size of the files one `load_user_data` call reads.
MAX_DATA_BYTES = 2 * 1024**3
# Largest eval set a validator reads, on disk and decoded (eval sets are small
# next to training sets).
MAX_EVAL_BYTES = 512 * 1024**2
# A fixed timestamp for the members of the NPZ files we write, so equal
# arrays give byte-identical files (and equal content hashes).
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# An NPZ member is read this many bytes at a time: zipfile reads as many
# compressed bytes as it is asked for, and inflates at most that many.
_NPZ_CHUNK_BYTES = 1 << 20
# The compression methods numpy writes; zipfile bounds each inflate step only
# for deflate (bzip2 and lzma members unpack a whole read at once).
_NPZ_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# The longest .npy header read (numpy refuses more than 10,000 characters).
_NPY_MAX_HEADER_BYTES = 1 << 16
_NPY_HEADERS = {
    (1, 0): ("<H", npy_format.read_array_header_1_0),
    (2, 0): ("<I", npy_format.read_array_header_2_0),
}
# What zipfile, zlib and numpy raise on a damaged or crafted NPZ.
_NPZ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    zlib.error,
    RuntimeError,  # an encrypted member
    NotImplementedError,  # an unknown compression method
    ValueError,
    struct.error,
    OverflowError,
)
# Parquet is read this many rows at a time, each batch counted before the next.
_PARQUET_BATCH_ROWS = 65_536
# The fewest bytes one decoded value of each Parquet physical type takes.
_PARQUET_VALUE_BYTES = {
    "BOOLEAN": 1,
    "INT32": 4,
    "INT64": 8,
    "INT96": 8,
    "FLOAT": 4,
    "DOUBLE": 8,
    "BYTE_ARRAY": 4,  # an offset; the bytes themselves are counted as they are read
}


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
    """Yield (line number, object) for each non-blank line of a JSONL file.

    Each line is parsed with `parse_json`: nesting deeper than its limit, a
    repeated key, NaN or Infinity, or bytes that are not UTF-8 are refused.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = parse_json(line)
            except UntrustedJSONError as error:
                raise DataError(f"{path.name} line {number}: not valid JSON: {error}") from None
            if not isinstance(record, dict):
                raise DataError(f"{path.name} line {number}: expected a JSON object")
            yield number, record


def read_table(path: Path, max_bytes: int = MAX_DATA_BYTES) -> Any:
    """Read a CSV or Parquet file into a pandas DataFrame.

    A Parquet file may decode to at most `max_bytes` (see the module's
    docstring); a CSV file is bounded by its size on disk, which `data_files`
    checks.
    """
    path = Path(path)
    if path.suffix.lower() == PARQUET:
        return _read_parquet(path, max_bytes)
    import pandas as pd

    try:
        return pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as error:  # pandas' ParserError is a ValueError
        raise DataError(f"{path.name} is not a readable CSV file: {clip(error, 120)}") from None


def _read_parquet(path: Path, max_bytes: int) -> Any:
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(
            f"reading {path.name} needs a Parquet engine: run `pip install pyarrow`"
        ) from None

    def unreadable(error: BaseException) -> DataError:
        return DataError(
            f"{path.name} is not a readable Parquet file ({clip(error, 120)}); "
            "write it with pandas.DataFrame.to_parquet"
        )

    try:
        with pq.ParquetFile(path) as parquet:
            metadata, schema = parquet.metadata, parquet.schema_arrow
            groups = [metadata.row_group(i) for i in range(metadata.num_row_groups)]
            declared = sum(group.total_byte_size for group in groups)
            least = _parquet_least_bytes(metadata, groups)
    except Exception as error:  # pyarrow raises its own types, on a footer of any shape
        raise unreadable(error) from None
    if declared > max_bytes:
        raise DataError(
            f"{path.name} unpacks to {declared:,} bytes, over the {max_bytes:,} allowed; "
            "split the data into smaller files"
        )
    if least > max_bytes:
        raise DataError(
            f"{path.name} declares {metadata.num_rows:,} rows that decode to at least "
            f"{least:,} bytes, over the {max_bytes:,} allowed; split the data into smaller files"
        )
    pandas_metadata = (schema.metadata or {}).get(b"pandas")
    if pandas_metadata is not None:
        try:
            parse_json(pandas_metadata)  # to_pandas parses it with json.loads
        except UntrustedJSONError as error:
            raise DataError(
                f"{path.name}: its pandas metadata is not valid JSON: {error}"
            ) from None
    # Strings are read dictionary-encoded, so that a value repeated a million
    # times (a few bytes on disk) is counted a million times before it is decoded.
    strings = {field.name for field in schema if _is_binary_like(pa, field.type)}
    batches, decoded = [], 0
    try:
        with pq.ParquetFile(path, read_dictionary=sorted(strings)) as parquet:
            for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS):
                decoded += _decoded_bytes(pa, pc, batch, strings)
                if decoded > max_bytes:
                    raise DataError(
                        f"{path.name} decodes to more than the {max_bytes:,} bytes allowed; "
                        "split the data into smaller files"
                    )
                batches.append(batch)
        table = pa.Table.from_batches(batches).cast(schema) if batches else schema.empty_table()
        return table.to_pandas()
    except DataError:
        raise
    except Exception as error:  # pyarrow and its pandas conversion raise their own types
        raise unreadable(error) from None


def _is_binary_like(pa: Any, type_: Any) -> bool:
    return bool(
        pa.types.is_string(type_)
        or pa.types.is_large_string(type_)
        or pa.types.is_binary(type_)
        or pa.types.is_large_binary(type_)
    )


def _parquet_least_bytes(metadata: Any, groups: list[Any]) -> int:
    """A lower bound on the bytes a Parquet file decodes to, from its footer alone.

    Every row holds at least one value of each leaf column, of at least its
    physical type's width; this catches run-length and dictionary encodings
    that make many values of a few bytes, which the row groups' sizes do not
    count. (Not the column chunks' own metadata: pyarrow's accessor for it
    aborts the process on some malformed footers.)
    """
    width = 0
    for j in range(metadata.num_columns):
        column = metadata.schema.column(j)
        least = _PARQUET_VALUE_BYTES.get(column.physical_type)
        width += least if least is not None else max(1, column.length or 1)  # fixed-length
    rows = max(metadata.num_rows, sum(max(0, group.num_rows) for group in groups))
    return rows * width


def _decoded_bytes(pa: Any, pc: Any, batch: Any, strings: set[str]) -> int:
    """The bytes `batch` takes once its dictionary-read string columns are decoded."""
    total = 0
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if name in strings and pa.types.is_dictionary(column.type):
            lengths = pc.binary_length(column.dictionary)
            values = pc.sum(pc.take(lengths, column.indices)).as_py() or 0
            total += values + 8 * len(column)
        else:
            total += column.nbytes
    return total


def read_npz(path: Path, max_bytes: int = MAX_DATA_BYTES) -> dict[str, np.ndarray]:
    """Read every array of an NPZ file, unpacking at most `max_bytes` in all.

    Refused: a member that is not a stored or deflated `.npy` array, two
    arrays of one name, declared sizes that add up to more than `max_bytes`,
    a dtype that needs pickle, a header whose shape and dtype do not match the
    bytes that follow it, and anything zipfile or numpy cannot read.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_npz_members(path, members, max_bytes)
            arrays: dict[str, np.ndarray] = {}
            for info in members:
                with archive.open(info) as member:
                    arrays[info.filename[:-4]] = _read_npy(path, info, member)
            return arrays
    except DataError:
        raise
    except _NPZ_ERRORS as error:
        raise DataError(
            f"{path.name} is not a readable NPZ file ({clip(error, 120)}); "
            "write it with numpy.savez"
        ) from None


def _check_npz_members(path: Path, members: list[zipfile.ZipInfo], max_bytes: int) -> None:
    names: set[str] = set()
    for info in members:
        name = info.filename
        if info.is_dir() or not name.endswith(".npy"):
            raise DataError(
                f"{path.name} holds {shown(name)}, which is not a .npy array; "
                "an NPZ file may hold only arrays (write it with numpy.savez)"
            )
        if info.compress_type not in _NPZ_METHODS or info.flag_bits & 0x1:
            raise DataError(
                f"{path.name}: {shown(name)} is encrypted or compressed with method "
                f"{info.compress_type}; write the file with numpy.savez or savez_compressed"
            )
        if name in names:
            raise DataError(f"{path.name} holds {shown(name)} twice; keep one array of each name")
        names.add(name)
    total = sum(info.file_size for info in members)
    if total > max_bytes:
        raise DataError(
            f"{path.name} unpacks to {total:,} bytes, over the {max_bytes:,} allowed; "
            "split the arrays into smaller files"
        )


def _read_npy(path: Path, info: zipfile.ZipInfo, member: Any) -> np.ndarray:
    """One .npy member, read no further than its declared size."""
    where = f"{path.name}: {shown(info.filename)}"
    try:
        version = npy_format.read_magic(member)
        if version not in _NPY_HEADERS:
            raise ValueError(f"format version {version[0]}.{version[1]} is not read")
        length_format, read_header = _NPY_HEADERS[version]
        length_bytes = member.read(struct.calcsize(length_format))
        (length,) = struct.unpack(length_format, length_bytes)
        if length > _NPY_MAX_HEADER_BYTES:
            raise ValueError(f"a header of {length:,} bytes is too long")
        header = member.read(length)
        if len(header) != length:
            raise ValueError("the header is cut short")
        shape, fortran_order, dtype = read_header(io.BytesIO(length_bytes + header))
    except (zipfile.BadZipFile, EOFError, zlib.error):
        raise  # the member itself is damaged: reported as an unreadable file
    except Exception as error:  # numpy's header parser raises assorted types on crafted text
        raise DataError(
            f"{where} has no readable .npy header ({clip(error, 120)}); "
            "write the file with numpy.savez"
        ) from None
    if dtype.hasobject:
        raise DataError(
            f"{where} holds Python objects, which need pickle (allow_pickle) and are refused; "
            "store numbers or strings"
        )
    if dtype.itemsize == 0 or any(size < 0 for size in shape):
        raise DataError(
            f"{where} has shape {shown(shape)} and dtype {shown(str(dtype))}, "
            "which hold no data; write the file with numpy.savez"
        )
    left = info.file_size - npy_format.MAGIC_LEN - len(length_bytes) - length
    needed = math.prod(shape) * dtype.itemsize
    if needed != left:
        raise DataError(
            f"{where} claims shape {shown(shape)} of {shown(str(dtype))} ({needed:,} bytes) "
            f"but holds {max(left, 0):,}; write the file with numpy.savez"
        )
    data = bytearray(left)
    view, done = memoryview(data), 0
    while done < left:
        chunk = member.read(min(_NPZ_CHUNK_BYTES, left - done))
        if not chunk:
            raise DataError(f"{where} is cut short; write the file with numpy.savez")
        view[done : done + len(chunk)] = chunk
        done += len(chunk)
    try:
        array = np.frombuffer(data, dtype=dtype)  # writable: it shares `data`
        return array.reshape(shape, order="F" if fortran_order else "C")
    except (ValueError, TypeError) as error:
        raise DataError(f"{where}: {clip(error, 120)}; write the file with numpy.savez") from None


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
