"""Safety checks on model weights: only safetensors, never a pickle.

A safetensors file is an 8-byte little-endian header length, a JSON header
mapping tensor names to ``{"dtype", "shape", "data_offsets"}`` (plus an optional
``"__metadata__"`` of strings), then the raw tensor bytes. `check_weights_file`
validates all of that itself, then opens the file with the safetensors library
as a second opinion. Nothing here imports torch or pickle.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ape_arena.artifacts.errors import ArtifactError
from ape_arena.artifacts.manifest import MANIFEST_NAME

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
REQUIRED_MODEL_FILES = frozenset({WEIGHTS_NAME, CONFIG_NAME})
# The artifact's own manifest.json is allowed so a fetched folder passes as is.
OPTIONAL_MODEL_FILES = frozenset({"README.md", "metadata.json", MANIFEST_NAME})
MAX_HEADER_BYTES = 100_000_000  # the safetensors library's own limit
MAX_CONFIG_BYTES = 1 << 20
MAX_TENSORS = 100_000
MAX_RANK = 16

# Bytes per element of the dtypes the arena accepts (sub-byte and complex types are refused).
DTYPE_BYTES: Mapping[str, int] = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
}
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
    any other malformed file is refused with the reason.
    """
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        raise ArtifactError(f"{path} is not a regular file; save the weights as {WEIGHTS_NAME}")
    file_size = path.stat().st_size
    with path.open("rb") as stream:
        prefix = stream.read(8)
        if len(prefix) < 8:
            raise _not_safetensors(path, "it is shorter than the 8-byte header length")
        header_len = int.from_bytes(prefix, "little")
        plausible = 2 <= header_len <= min(MAX_HEADER_BYTES, file_size - 8)
        header = stream.read(header_len) if plausible else b""
    if not header.startswith(b"{"):
        # Not safetensors; name the formats people mistake for it.
        if prefix.startswith(_ZIP_MAGIC):
            raise _not_safetensors(path, "it is a zip archive such as torch.save writes")
        if prefix[0] == _PICKLE_PROTO and 2 <= prefix[1] <= 5:
            raise _not_safetensors(path, f"it is a protocol {prefix[1]} pickle")
        if not plausible:
            raise _not_safetensors(path, f"its header length {header_len} does not fit the file")
        raise _not_safetensors(path, "its header is not a JSON object")
    tensors, metadata = _parse_header(path, header, data_len=file_size - 8 - header_len)
    _open_with_library(path, tensors)
    return WeightsInfo(tensors=tensors, metadata=metadata)


def check_model_dir(directory: str | os.PathLike[str], max_bytes: int) -> ModelDir:
    """Validate a model folder: the allowed files only, a JSON config, safetensors weights.

    The folder holds ``model.safetensors`` and ``config.json``, optionally
    ``README.md``, ``metadata.json`` and the artifact's ``manifest.json``, and
    nothing else (no subfolders, no symlinks), at most `max_bytes` in all.
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
                    f"{child.path} is not a regular file; a model artifact holds plain files only"
                )
            sizes[child.name] = child.stat(follow_symlinks=False).st_size
    missing = sorted(REQUIRED_MODEL_FILES - set(sizes))
    if missing:
        raise ArtifactError(
            f"{root} lacks {', '.join(missing)}; a model artifact holds "
            f"{WEIGHTS_NAME} and {CONFIG_NAME}"
        )
    extra = sorted(set(sizes) - REQUIRED_MODEL_FILES - OPTIONAL_MODEL_FILES)
    if extra:
        raise ArtifactError(
            f"{root} holds unexpected files {extra}; a model artifact holds only {WEIGHTS_NAME}, "
            f"{CONFIG_NAME} and optionally README.md or metadata.json"
        )
    total = sum(sizes.values())
    if total > max_bytes:
        raise ArtifactError(
            f"{root} is {total} bytes, over the limit of {max_bytes}; "
            "the model is too large for this task"
        )
    config = _read_json_object(root / CONFIG_NAME)
    if "metadata.json" in sizes:
        _read_json_object(root / "metadata.json")
    weights = check_weights_file(root / WEIGHTS_NAME)
    return ModelDir(path=root, config=config, weights=weights)


def _parse_header(
    path: Path, header: bytes, *, data_len: int
) -> tuple[dict[str, TensorInfo], dict[str, str]]:
    """Parse and check a safetensors JSON header against the size of the data after it."""
    try:
        document = json.loads(
            header.decode("utf-8"), object_pairs_hook=_pairs, parse_constant=_reject_constant
        )
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise _not_safetensors(path, f"its header is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise _not_safetensors(path, "its header is not a JSON object")
    metadata = document.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()
    ):
        raise _not_safetensors(path, "its __metadata__ is not a map of strings to strings")
    if len(document) > MAX_TENSORS:
        raise _not_safetensors(path, f"it declares more than {MAX_TENSORS} tensors")
    tensors: dict[str, TensorInfo] = {}
    spans: list[tuple[int, int, str]] = []
    for name, entry in document.items():
        if not name or not isinstance(entry, dict) or set(entry) != _TENSOR_KEYS:
            raise _not_safetensors(path, f"tensor {name!r} is not dtype, shape and data_offsets")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in DTYPE_BYTES:
            raise ArtifactError(
                f"{path} stores tensor {name!r} as {dtype!r}, which the arena does not accept; "
                "save the weights as F32, F16 or BF16"
            )
        if (
            not isinstance(shape, list)
            or len(shape) > MAX_RANK
            or not all(_is_int(dim) and dim >= 0 for dim in shape)
        ):
            raise _not_safetensors(path, f"tensor {name!r} has an invalid shape {shape!r}")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(_is_int(offset) for offset in offsets)
            or not 0 <= offsets[0] <= offsets[1]
        ):
            raise _not_safetensors(path, f"tensor {name!r} has invalid data_offsets {offsets!r}")
        info = TensorInfo(dtype=dtype, shape=tuple(shape))
        if offsets[1] - offsets[0] != info.numel * DTYPE_BYTES[dtype]:
            raise _not_safetensors(path, f"tensor {name!r} spans the wrong number of bytes")
        tensors[name] = info
        spans.append((offsets[0], offsets[1], name))
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise _not_safetensors(path, f"tensor {name!r} overlaps another or leaves a gap")
        position = end
    if position != data_len:
        raise _not_safetensors(
            path, f"its tensors cover {position} bytes but the file holds {data_len}"
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
        raise _not_safetensors(path, f"the safetensors library refuses it: {exc}") from exc
    if names != set(tensors):
        raise _not_safetensors(path, "the safetensors library reads other tensors than its header")


def _read_json_object(path: Path) -> dict[str, Any]:
    """Parse a small JSON file that must hold one object."""
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ArtifactError(
            f"{path} is over {MAX_CONFIG_BYTES} bytes; a config is a small JSON object"
        )
    try:
        document = json.loads(
            path.read_bytes().decode("utf-8"),
            object_pairs_hook=_pairs,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise ArtifactError(f"{path} is not valid JSON ({exc}); fix it and re-publish") from exc
    if not isinstance(document, dict):
        raise ArtifactError(f"{path} is not a JSON object; write the config as {{...}}")
    return document


def _not_safetensors(path: Path, reason: str) -> ArtifactError:
    return ArtifactError(f"{path} is not a safetensors file ({reason}); {_SAFETENSORS_ONLY}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
