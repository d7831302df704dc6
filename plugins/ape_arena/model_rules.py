"""The rules of a model folder, in one place: what a submitted model may hold.

A model artifact is a flat folder of plain files:

    model.safetensors   the weights (required)
    config.json         the architecture, a small JSON object (required)
    metadata.json       free-form notes, a small JSON object (optional)
    README.md           a model card (optional)
    manifest.json       the artifact's own manifest, present in fetched folders

Every limit below is checked before the bytes it guards are read or
allocated; the torch-free checks (artifacts.safety) and the torch loader
(ml.models) both take them from here, so two validators never disagree
about what is allowed. The byte bound of a whole folder follows from the
task's `max_params`: see `max_model_bytes`.

Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
METADATA_NAME = "metadata.json"
README_NAME = "README.md"
MANIFEST_NAME = "manifest.json"
REQUIRED_FILES = frozenset({WEIGHTS_NAME, CONFIG_NAME})
OPTIONAL_FILES = frozenset({METADATA_NAME, README_NAME, MANIFEST_NAME})
ALLOWED_FILES = REQUIRED_FILES | OPTIONAL_FILES

# config.json and metadata.json: small JSON objects.
MAX_JSON_FILE_BYTES = 64 * 1024
MAX_README_BYTES = 64 * 1024
# The safetensors JSON header: 4,096 tensors of ~250 bytes each fit in 1 MiB.
# (The safetensors library allows 100 MB, which costs a reader gigabytes.)
MAX_HEADER_BYTES = 1 << 20
MAX_TENSORS = 4_096
MAX_TENSOR_NAME_CHARS = 256
MAX_TENSOR_RANK = 8
# Weight dtypes a submission may use (safetensors names -> bytes per element);
# every one is read as float32.
WEIGHT_DTYPES: Mapping[str, int] = {"F32": 4, "F16": 2, "BF16": 2}
BYTES_PER_PARAM = max(WEIGHT_DTYPES.values())


def max_weights_bytes(max_params: int) -> int:
    """The largest `model.safetensors` of a model within `max_params` parameters."""
    return 8 + MAX_HEADER_BYTES + BYTES_PER_PARAM * max_params


def max_model_bytes(max_params: int) -> int:
    """The largest model folder (every allowed file at its limit) for `max_params`.

    This bounds what a validator downloads for one submission.
    """
    return max_weights_bytes(max_params) + 2 * MAX_JSON_FILE_BYTES + MAX_README_BYTES


def file_limit(name: str, max_params: int) -> int | None:
    """The byte limit of one model file (None for the manifest, bounded by artifacts)."""
    return {
        WEIGHTS_NAME: max_weights_bytes(max_params),
        CONFIG_NAME: MAX_JSON_FILE_BYTES,
        METADATA_NAME: MAX_JSON_FILE_BYTES,
        README_NAME: MAX_README_BYTES,
    }.get(name)


def folder_problem(sizes: Mapping[str, int], max_params: int) -> str | None:
    """What is wrong with a model folder's list of files and sizes, or None.

    `sizes` maps each file's path (relative, POSIX) to its size in bytes.
    """
    names = set(sizes)
    missing = sorted(REQUIRED_FILES - names)
    if missing:
        return f"it lacks {', '.join(missing)}; a model holds {WEIGHTS_NAME} and {CONFIG_NAME}"
    extra = sorted(names - ALLOWED_FILES)
    if extra:
        listed = ", ".join(_short_names(extra))
        return (
            f"it holds unexpected files ({listed}); a model holds only {WEIGHTS_NAME}, "
            f"{CONFIG_NAME}, {METADATA_NAME} and {README_NAME}"
        )
    for name in sorted(names):
        limit = file_limit(name, max_params)
        if limit is not None and sizes[name] > limit:
            return f"{name} is {sizes[name]:,} bytes, over its limit of {limit:,}"
    return None


def _short_names(names: Iterable[str], count: int = 3) -> list[str]:
    names = list(names)
    shown = [name if len(name) <= 40 else name[:37] + "..." for name in names[:count]]
    return shown + ([f"{len(names) - count} more"] if len(names) > count else [])
