"""Model directories: `config.json` (a known architecture) + `model.safetensors`.

This is the only way a model enters or leaves the node. Writing is atomic per
file. Reading treats the directory as hostile: the config is parsed strictly
and its parameter count checked before anything is allocated, files are read
only up to the size their config justifies, weights are read only through
safetensors (never pickle), and every tensor's name, shape and dtype must be
exactly what the config implies. Anything wrong raises `InvalidModelError`
whose message is the reason a scorer records.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save_file
from torch import nn

from ape_arena.ml.fields import ConfigError
from ape_arena.ml.files import atomic_path, write_bytes_atomically
from ape_arena.ml.gpt import GPTConfig
from ape_arena.ml.mlp import MLPConfig
from ape_arena.model_rules import (
    CONFIG_NAME,
    MAX_HEADER_BYTES,
    MAX_JSON_FILE_BYTES,
    WEIGHT_DTYPES,
    WEIGHTS_NAME,
    max_weights_bytes,
)
from ape_arena.untrusted import UntrustedJSONError, clip, parse_json, shown

ModelConfig = GPTConfig | MLPConfig

# Architecture tag (config.json "arch") -> config class.
ARCHS: dict[str, type[GPTConfig] | type[MLPConfig]] = {
    GPTConfig.ARCH: GPTConfig,
    MLPConfig.ARCH: MLPConfig,
}

_DTYPE_NAMES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


class InvalidModelError(ValueError):
    """A model directory that cannot be scored; the message says why."""


def config_from_dict(data: Any, archs: Iterable[str] | None = None) -> ModelConfig:
    """Read a model config dict, dispatching on its "arch" tag.

    Args:
        data: the parsed config.json.
        archs: the architectures accepted (default: all known ones).

    Raises:
        ConfigError: not an object, unknown or disallowed arch, or a bad field.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"model config must be a JSON object, not {type(data).__name__}")
    allowed = sorted(ARCHS if archs is None else archs)
    arch = data.get("arch")
    if arch not in ARCHS or arch not in allowed:
        raise ConfigError(f"arch must be one of {', '.join(allowed)}, not {shown(arch)}")
    return ARCHS[arch].from_dict(data)


def save_model_dir(model: nn.Module, config: ModelConfig, out_dir: Path) -> Path:
    """Write `model`'s weights and `config` into `out_dir` (created if needed).

    Each tensor is copied to CPU and made contiguous, so no two entries share
    storage and safetensors accepts the dict as it is. Returns `out_dir`.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tensors = {
        name: tensor.detach().to("cpu", copy=True).contiguous()
        for name, tensor in model.state_dict().items()
    }
    with atomic_path(out_dir / WEIGHTS_NAME) as tmp:
        save_file(tensors, str(tmp), metadata={"format": "pt", "arch": config.ARCH})
    text = json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n"
    write_bytes_atomically(out_dir / CONFIG_NAME, text.encode())
    return out_dir


def read_config(model_dir: Path, archs: Iterable[str] | None = None) -> ModelConfig:
    """Read and validate `model_dir/config.json`; raise `InvalidModelError` if unusable."""
    path = Path(model_dir) / CONFIG_NAME
    if not path.is_file():
        raise InvalidModelError(f"{CONFIG_NAME} is missing")
    raw = _read_at_most(path, MAX_JSON_FILE_BYTES)
    if len(raw) > MAX_JSON_FILE_BYTES:
        size = path.stat().st_size
        raise InvalidModelError(f"{CONFIG_NAME} is {size:,} bytes, over {MAX_JSON_FILE_BYTES:,}")
    try:
        data = parse_json(raw)
    except UntrustedJSONError as error:
        raise InvalidModelError(f"{CONFIG_NAME} is not valid JSON: {error}") from None
    try:
        return config_from_dict(data, archs)
    except ConfigError as error:
        raise InvalidModelError(f"{CONFIG_NAME}: {clip(error)}") from None


def check_num_params(config: ModelConfig, max_params: int) -> None:
    """Raise `InvalidModelError` if the config's parameter count is over `max_params`."""
    count = config.num_params()
    if count > max_params:
        raise InvalidModelError(f"model has {count:,} parameters, over max_params {max_params:,}")


def load_weights(model_dir: Path, config: ModelConfig) -> nn.Module:
    """Build `config`'s model and fill it from `model_dir/model.safetensors`, in eval mode.

    The file is read whole into memory (after its size is checked against
    what the config needs), so nothing is memory-mapped and a file changed
    during scoring cannot crash the process. The model is built on the meta
    device (nothing allocated) to learn the expected tensors; the file must
    hold exactly those names with exactly those shapes, in an allowed floating
    dtype, all finite. The weights are converted to float32 and assigned in
    place of the meta parameters.

    Raises:
        InvalidModelError: the file is missing, too large, not safetensors, or
            its tensors do not match the config.
    """
    path = Path(model_dir) / WEIGHTS_NAME
    if not path.is_file():
        raise InvalidModelError(f"{WEIGHTS_NAME} is missing")
    limit = max_weights_bytes(config.num_params())
    raw = _read_at_most(path, limit)
    if len(raw) > limit:
        size = path.stat().st_size
        raise InvalidModelError(
            f"{WEIGHTS_NAME} is {size:,} bytes, over the {limit:,} its config allows"
        )
    if len(raw) >= 8 and MAX_HEADER_BYTES < struct.unpack("<Q", raw[:8])[0] <= len(raw) - 8:
        raise InvalidModelError(
            f"{WEIGHTS_NAME} has a header over the {MAX_HEADER_BYTES:,} bytes allowed"
        )
    try:
        loaded = load_safetensors(raw)
    except Exception as error:  # safetensors raises its own error type
        raise InvalidModelError(
            f"{WEIGHTS_NAME} is not a readable safetensors file: {clip(error, 120)}"
        ) from None
    del raw
    with torch.device("meta"):
        model = config.build()
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    model.load_state_dict(_checked(loaded, expected), strict=True, assign=True)
    return model.eval()


def load_model_dir(
    model_dir: Path, archs: Iterable[str] | None = None, max_params: int | None = None
) -> tuple[nn.Module, ModelConfig]:
    """`read_config`, `check_num_params` (when `max_params` is given), then `load_weights`."""
    config = read_config(model_dir, archs)
    if max_params is not None:
        check_num_params(config, max_params)
    return load_weights(model_dir, config), config


def _checked(
    tensors: dict[str, torch.Tensor], expected: dict[str, tuple[int, ...]]
) -> dict[str, torch.Tensor]:
    missing = sorted(expected.keys() - tensors.keys())
    extra = sorted(tensors.keys() - expected.keys())
    if missing or extra:
        parts = [f"missing {_names(missing)}"] if missing else []
        parts += [f"unexpected {_names(extra)}"] if extra else []
        raise InvalidModelError(
            f"{WEIGHTS_NAME} tensors do not match the config: " + "; ".join(parts)
        )
    checked = {}
    for name in sorted(expected):
        tensor = tensors[name]
        if tuple(tensor.shape) != expected[name]:
            raise InvalidModelError(
                f"tensor {name} has shape {list(tensor.shape)}, "
                f"the config needs {list(expected[name])}"
            )
        dtype = _DTYPE_NAMES.get(tensor.dtype, str(tensor.dtype))
        if dtype not in WEIGHT_DTYPES:
            raise InvalidModelError(
                f"tensor {name} has dtype {dtype}; allowed: {', '.join(WEIGHT_DTYPES)}"
            )
        tensor = tensor.to(torch.float32)
        if not torch.isfinite(tensor).all():
            raise InvalidModelError(f"tensor {name} holds NaN or infinite values")
        checked[name] = tensor
    return checked


def _read_at_most(path: Path, limit: int) -> bytes:
    """Up to limit + 1 bytes of `path` (one more than allowed shows it is too large)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(limit + 1)
    except OSError as error:
        raise InvalidModelError(f"{path.name} cannot be read: {clip(error, 120)}") from None


def _names(names: list[str], limit: int = 5) -> str:
    listed = ", ".join(clip(name, 40) for name in names[:limit])
    return listed + (f" and {len(names) - limit} more" if len(names) > limit else "")
