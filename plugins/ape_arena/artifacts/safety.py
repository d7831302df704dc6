"""Safety checks on model weights: only safetensors, never a pickle.

A safetensors file is an 8-byte little-endian header length, a JSON header
mapping tensor names to ``{"dtype", "shape", "data_offsets"}`` (plus an optional
``"__metadata__"`` of strings), then the raw tensor bytes. `check_weights_file`
validates all of that itself, then opens the file with the safetensors library
as a second opinion. The limits (file names, sizes, header bytes, tensor
count, dtypes) are `ape_arena.model_rules`; JSON is parsed with a bounded
depth (`ape_arena.untrusted`), and messages quote untrusted names clipped.
Nothing here imports torch or pickle.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ape_arena.artifacts.errors import ArtifactError
from ape_arena.model_rules import (
    CONFIG_NAME,
    MAX_HEADER_BYTES,
    MAX_JSON_FILE_BYTES,
    MAX_TENSOR_NAME_CHARS,
    MAX_TENSOR_RANK,
    MAX_TENSORS,
    METADATA_NAME,
    WEIGHT_DTYPES,
    WEIGHTS_NAME,
    folder_problem,
)
from ape_arena.untrusted import UntrustedJSONError, parse_json, shown

_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTO = 0x80  # opcode PROTO, then the protocol number 2..5
_TENSOR_KEYS = frozenset({"dtype", "shape", "data_offsets"})
_SAFETENSORS_ONLY = "model weights must be safetensors, pickles are never loaded"


@dataclass(frozen=True)
class TensorInfo:
    """The dtype (safetensors name, such as ``F32``) and shape of one tensor."""

    dtype: str
    shape: tuple[int, ...]

    @property
    def numel(self) -> int:
        """The number of elements."""
        return math.prod(self.shape)


@dataclass(frozen=True)
class WeightsInfo:
    """What a validated safetensors file holds, read from its header only."""

    tensors: Mapping[str, TensorInfo]
    metadata: Mapping[str, str]

    @property
    def num_params(self) -> int:
        """The total number of elements over every tensor (what max_params bounds)."""
        return sum(info.numel for info in self.tensors.values())


@dataclass(frozen=True)
class ModelDir:
    """A validated model folder: its parsed config and the header of its weights."""

    path: Path
    config: Mapping[str, Any]
    weights: WeightsInfo


def check_weights_file(path: str | os.PathLike[str]) -> WeightsInfo:
    """Validate a safetensors file without loading its tensors; refuse anything else.

    Zip archives (``torch.save``) and pickles are recognised and refused by name;
    a header over `MAX_HEADER_BYTES` is refused before it is read; any other
    malformed file is refused with the reason.
    """
    path = Path(path)
    name = path.name
    if path.is_symlink() or not path.is_file():
        raise ArtifactError(f"{name} is not a regular file; save the weights as {WEIGHTS_NAME}")
    file_size = path.stat().st_size
    with path.open("rb") as stream:
        prefix = stream.read(8)
        if len(prefix) < 8:
            raise _not_safetensors(name, "it is shorter than the 8-byte header length")
        header_len = int.from_bytes(prefix, "little")
        plausible = 2 <= header_len <= min(MAX_HEADER_BYTES, file_size - 8)
        header = stream.read(header_len) if plausible else b""
    if not header.startswith(b"{"):
        # Not safetensors; name the formats people mistake for it.
        if prefix.startswith(_ZIP_MAGIC):
            raise _not_safetensors(name, "it is a zip archive such as torch.save writes")
        if prefix[0] == _PICKLE_PROTO and 2 <= prefix[1] <= 5:
            raise _not_safetensors(name, f"it is a protocol {prefix[1]} pickle")
        if MAX_HEADER_BYTES < header_len <= file_size - 8:
            raise _not_safetensors(
                name, f"its header is {header_len:,} bytes, over the {MAX_HEADER_BYTES:,} allowed"
            )
        if not plausible:
            raise _not_safetensors(name, f"its header length {header_len} does not fit the file")
        raise _not_safetensors(name, "its header is not a JSON object")
    tensors, metadata = _parse_header(name, header, data_len=file_size - 8 - header_len)
    _open_with_library(path, tensors)
    return WeightsInfo(tensors=tensors, metadata=metadata)


def check_model_dir(directory: str | os.PathLike[str], max_params: int) -> ModelDir:
    """Validate a model folder against `ape_arena.model_rules` for a task's `max_params`.

    The folder holds ``model.safetensors`` and ``config.json``, optionally
    ``README.md``, ``metadata.json`` and the artifact's ``manifest.json``, and
    nothing else (no subfolders, no symlinks), each file within its limit.
    """
    root = Path(directory)
    if not root.is_dir():
        raise ArtifactError(f"{root} is not a folder; point at the fetched model artifact")
    sizes: dict[str, int] = {}
    with os.scandir(root) as scan:
        for child in scan:
            mode = child.stat(follow_symlinks=False).st_mode
            if not stat.S_ISREG(mode):
                raise ArtifactError(
                    f"{shown(child.name)} is not a regular file; a model holds plain files only"
                )
            sizes[child.name] = child.stat(follow_symlinks=False).st_size
    problem = folder_problem(sizes, max_params)
    if problem:
        raise ArtifactError(f"the model folder is refused: {problem}")
    config = _read_json_object(root / CONFIG_NAME)
    if METADATA_NAME in sizes:
        _read_json_object(root / METADATA_NAME)
    weights = check_weights_file(root / WEIGHTS_NAME)
    if weights.num_params > max_params:
        raise ArtifactError(
            f"the model holds {weights.num_params:,} parameters, over the task's max_params "
            f"of {max_params:,}"
        )
    return ModelDir(path=root, config=config, weights=weights)


def _parse_header(
    name: str, header: bytes, *, data_len: int
) -> tuple[dict[str, TensorInfo], dict[str, str]]:
    """Parse and check a safetensors JSON header against the size of the data after it."""
    try:
        document = parse_json(header)
    except UntrustedJSONError as exc:
        raise _not_safetensors(name, f"its header is refused: {exc}") from None
    if not isinstance(document, dict):
        raise _not_safetensors(name, "its header is not a JSON object")
    metadata = document.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()
    ):
        raise _not_safetensors(name, "its __metadata__ is not a map of strings to strings")
    if len(document) > MAX_TENSORS:
        raise _not_safetensors(name, f"it declares more than {MAX_TENSORS:,} tensors")
    tensors: dict[str, TensorInfo] = {}
    spans: list[tuple[int, int, str]] = []
    for key, entry in document.items():
        label = shown(key)
        if not key or len(key) > MAX_TENSOR_NAME_CHARS:
            raise _not_safetensors(
                name, f"tensor {label} has a name of 0 or over {MAX_TENSOR_NAME_CHARS} characters"
            )
        if not isinstance(entry, dict) or set(entry) != _TENSOR_KEYS:
            raise _not_safetensors(name, f"tensor {label} is not dtype, shape and data_offsets")
        dtype, dims, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in WEIGHT_DTYPES:
            raise ArtifactError(
                f"{name} stores tensor {label} as {shown(dtype)}, which the arena does not "
                f"accept; save the weights as {', '.join(WEIGHT_DTYPES)}"
            )
        if (
            not isinstance(dims, list)
            or len(dims) > MAX_TENSOR_RANK
            or not all(_is_int(dim) and dim >= 0 for dim in dims)
        ):
            raise _not_safetensors(name, f"tensor {label} has an invalid shape {shown(dims)}")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(_is_int(offset) for offset in offsets)
            or not 0 <= offsets[0] <= offsets[1]
        ):
            raise _not_safetensors(
                name, f"tensor {label} has invalid data_offsets {shown(offsets)}"
            )
        info = TensorInfo(dtype=dtype, shape=tuple(dims))
        if offsets[1] - offsets[0] != info.numel * WEIGHT_DTYPES[dtype]:
            raise _not_safetensors(name, f"tensor {label} spans the wrong number of bytes")
        tensors[key] = info
        spans.append((offsets[0], offsets[1], key))
    position = 0
    for begin, end, key in sorted(spans):
        if begin != position:
            raise _not_safetensors(name, f"tensor {shown(key)} overlaps another or leaves a gap")
        position = end
    if position != data_len:
        raise _not_safetensors(
            name, f"its tensors cover {position:,} bytes but the file holds {data_len:,}"
        )
    return tensors, metadata


def _open_with_library(path: Path, tensors: Mapping[str, TensorInfo]) -> None:
    """Open the file with safetensors (numpy framework: no torch) and compare the tensor names."""
    try:
        from safetensors import SafetensorError, safe_open
    except ImportError as exc:
        raise ArtifactError(
            "the safetensors package is not installed; run `pip install safetensors`"
        ) from exc
    try:
        with safe_open(str(path), framework="numpy") as weights:
            names = set(weights.keys())
    except SafetensorError as exc:
        raise _not_safetensors(path.name, f"the safetensors library refuses it: {exc}") from exc
    if names != set(tensors):
        raise _not_safetensors(
            path.name, "the safetensors library reads other tensors than its header"
        )


def read_json_file(path: Path, limit: int = MAX_JSON_FILE_BYTES) -> Any:
    """Parse a small JSON file from an untrusted source: at most `limit` bytes, bounded depth."""
    with path.open("rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ArtifactError(f"{path.name} is over {limit:,} bytes; it must be a small JSON file")
    try:
        return parse_json(data)
    except UntrustedJSONError as exc:
        raise ArtifactError(f"{path.name} is refused: {exc}; fix it and re-publish") from None


def _read_json_object(path: Path) -> dict[str, Any]:
    """A small JSON file that must hold one object."""
    document = read_json_file(path)
    if not isinstance(document, dict):
        raise ArtifactError(f"{path.name} is not a JSON object; write it as {{...}}")
    return document


def _not_safetensors(name: str, reason: str) -> ArtifactError:
    return ArtifactError(f"{name} is not a safetensors file ({reason}); {_SAFETENSORS_ONLY}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
