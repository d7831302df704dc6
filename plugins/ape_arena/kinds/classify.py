"""`classify`: classification of feature vectors, scored by mean cross-entropy.

Kind parameters (the task spec's `kind_params`, `ClassifyKindParams`: defaults and bounds):
    max_params       most parameters a submitted model may have
    in_dim           features per example
    n_classes        number of classes; labels are 0 .. n_classes - 1
    eval_batch_size  examples per scoring batch, fixed so validators agree
    tolerance_bps    agreement tolerance of validators' scores, in bps

Training choices (`ClassifyTrainParams`): the MLP's hidden widths and dropout,
and the shared optimisation choices (`TrainParams`) with defaults for small MLPs.

Metric: the mean cross-entropy (nats) over the eval examples, in file order;
accuracy is reported alongside. Models: `arch: mlp` with the task's in_dim
and n_classes.

Data: arrays X (examples x in_dim, numeric) and y (integer labels), read from
.npz (arrays "X" and "y"), .jsonl ("features" list and "label" per line), or
.csv / .parquet (a "label" column; every other column a feature, in order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ape_arena.kinds.base import DataError, EvalSet, ScoreResult, TaskKind
from ape_arena.kinds.common import KindParams, TrainingData, TrainParams
from ape_arena.kinds.data import (
    CSV,
    JSONL,
    MAX_DATA_BYTES,
    MAX_EVAL_BYTES,
    NPZ,
    PARQUET,
    data_files,
    iter_jsonl,
    read_npz,
    read_table,
    write_npz,
)
from ape_arena.ml.device import pick_device
from ape_arena.ml.evaluate import EvalTotals
from ape_arena.ml.fields import from_fields, like
from ape_arena.ml.mlp import MLPConfig
from ape_arena.ml.models import InvalidModelError

SUFFIXES = (NPZ, JSONL, CSV, PARQUET)
EVAL_FRACTION = 5  # one fifth of the demo examples is held out
# The demo's mixture: components per class, spread of the component means,
# and the (unit) noise around each mean.
_COMPONENTS = 2
_MEAN_SPREAD = 0.5

Arrays = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class ClassifyKindParams(KindParams):
    """A classify task's parameters: the shared ones, and the examples' shape."""

    max_params: int = like(KindParams, "max_params", 1_000_000)
    eval_batch_size: int = like(KindParams, "eval_batch_size", 256)
    in_dim: int = like(MLPConfig, "in_dim", 16)
    """Features per example."""
    n_classes: int = like(MLPConfig, "n_classes", 4)
    """Number of classes; labels are 0 .. n_classes - 1."""


@dataclass(frozen=True)
class ClassifyTrainParams(TrainParams):
    """A classify trainer's choices: the MLP's hidden layers and dropout, and the
    shared optimisation choices with defaults for small MLPs."""

    hidden: tuple[int, ...] = like(MLPConfig, "hidden", (64, 64))
    """The hidden layers' widths, e.g. [128, 64]."""
    dropout: float = like(MLPConfig, "dropout")
    steps: int = like(TrainParams, "steps", 300)
    lr: float = like(TrainParams, "lr", 3e-3)
    warmup_steps: int = like(TrainParams, "warmup_steps", 10)
    weight_decay: float = like(TrainParams, "weight_decay", 0.01)
    batch_size: int = like(TrainParams, "batch_size", 64)
    compile: bool = like(TrainParams, "compile", False)


class ClassifyKind(TaskKind):
    """Classification of feature vectors (metric: mean cross-entropy in nats, lower is better)."""

    name = "classify"
    metric_name = "cross_entropy"
    arch = MLPConfig.ARCH
    demo_size = 4_000  # examples
    kind_params_type = ClassifyKindParams
    train_params_type = ClassifyTrainParams

    def model_config(self, params: ClassifyTrainParams, task: Mapping[str, Any]) -> MLPConfig:
        """An MLP from the task's features to its classes through the chosen layers."""
        return from_fields(MLPConfig, params, in_dim=task["in_dim"], n_classes=task["n_classes"])

    def write_demo_data(self, out_dir: Path, seed: int, size: int, task: Mapping[str, Any]) -> None:
        """A seeded Gaussian mixture: `size` examples, a fifth of them held out.

        Each class is a mixture of two unit Gaussians whose means are drawn
        around the origin, so the classes overlap and the best loss is above 0.
        Writes train/data.npz and eval/data.npz (arrays X float32, y int64).
        """
        if size < 2 * EVAL_FRACTION:
            raise DataError(f"the demo set needs at least {2 * EVAL_FRACTION} examples")
        features, labels = gaussian_mixture(size, task["in_dim"], task["n_classes"], seed)
        held_out = size // EVAL_FRACTION
        write_npz(out_dir / "eval" / "data.npz", {"X": features[:held_out], "y": labels[:held_out]})
        write_npz(
            out_dir / "train" / "data.npz", {"X": features[held_out:], "y": labels[held_out:]}
        )

    def load_user_data(self, path: Path, max_bytes: int = MAX_DATA_BYTES) -> Arrays:
        """Features X (float32, examples x dims) and labels y (int64) from the files at `path`."""
        parts: list[Arrays] = []
        left = max_bytes  # NPZ and Parquet decompress: the bound is on what they decode
        for file in data_files(path, SUFFIXES, max_bytes):
            features, labels = _read_file(file, left)
            left -= features.nbytes + labels.nbytes
            parts.append((features, labels))
        if left < 0:
            raise DataError(f"{path} decodes to more than the {max_bytes:,} bytes allowed")
        dims = {x.shape[1] for x, _ in parts}
        if len(dims) > 1:
            raise DataError(f"{path}: files disagree on the number of features ({sorted(dims)})")
        features = np.concatenate([x for x, _ in parts])
        labels = np.concatenate([y for _, y in parts])
        if not features.shape[0]:
            raise DataError(f"{path} holds no examples")
        return features, labels

    def training_data(
        self, data_dir: Path, params: ClassifyTrainParams, task: Mapping[str, Any] | None
    ) -> TrainingData:
        """The examples in `data_dir` in seeded epochs, for an MLP of the chosen layers.

        Without a task, in_dim comes from the data and n_classes from the
        largest label.
        """
        features, labels = self.load_user_data(data_dir)
        if task is None:
            task = {"in_dim": features.shape[1], "n_classes": max(2, int(labels.max()) + 1)}
        _check_arrays(features, labels, task, data_dir)
        return TrainingData(
            config=self.model_config(params, task),
            batches=lambda: epoch_batches(features, labels, params.batch_size, params.seed),
            data=features.tobytes() + labels.tobytes(),
        )

    def prepare_eval(
        self, eval_dir: Path, kind_params: Mapping[str, Any], device: str = "auto"
    ) -> EvalSet:
        """The eval examples in `eval_dir`, read and checked once (pinned on CUDA)."""
        task = self.validate_params(kind_params)
        features, labels = self.load_user_data(eval_dir, MAX_EVAL_BYTES)
        _check_arrays(features, labels, task, eval_dir)
        inputs, targets = torch.from_numpy(features), torch.from_numpy(labels)
        if pick_device(device).type == "cuda":
            inputs, targets = inputs.pin_memory(), targets.pin_memory()
        size = task["eval_batch_size"]

        def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            for start in range(0, inputs.shape[0], size):
                yield inputs[start : start + size], targets[start : start + size]

        return EvalSet(task=task, batches=batches, targets=int(inputs.shape[0]))

    def check_fit(self, config: MLPConfig, task: Mapping[str, Any]) -> None:
        """The task's features in, its classes out."""
        if (config.in_dim, config.n_classes) != (task["in_dim"], task["n_classes"]):
            raise InvalidModelError(
                f"model maps {config.in_dim} features to {config.n_classes} classes; "
                f"the task has {task['in_dim']} features and {task['n_classes']} classes"
            )

    def result(self, totals: EvalTotals, config: Any) -> ScoreResult:
        """Mean cross-entropy, with accuracy alongside."""
        return ScoreResult.ok(
            totals.mean_loss,
            examples=totals.count,
            accuracy=totals.accuracy,
            params=config.num_params(),
        )


def _check_arrays(
    features: np.ndarray, labels: np.ndarray, task: Mapping[str, Any], where: Path
) -> None:
    if features.shape[1] != task["in_dim"]:
        raise DataError(
            f"{where}: examples have {features.shape[1]} features, the task {task['in_dim']}"
        )
    if labels.min() < 0 or labels.max() >= task["n_classes"]:
        raise DataError(
            f"{where}: labels must lie in 0..{task['n_classes'] - 1}, "
            f"found {int(labels.min())}..{int(labels.max())}"
        )


def _read_file(file: Path, max_bytes: int) -> Arrays:
    suffix = file.suffix.lower()
    if suffix == NPZ:
        arrays = read_npz(file, max_bytes=max(0, max_bytes))
        if "X" not in arrays or "y" not in arrays:
            raise DataError(f'{file.name} needs arrays "X" and "y", found {sorted(arrays)}')
        features, labels = arrays["X"], arrays["y"]
    elif suffix == JSONL:
        rows, targets = [], []
        for number, record in iter_jsonl(file):
            if "features" not in record or "label" not in record:
                raise DataError(f'{file.name} line {number}: needs "features" and "label"')
            rows.append(record["features"])
            targets.append(record["label"])
        features, labels = _as_array(rows, file), _as_array(targets, file)
    else:
        table = read_table(file, max_bytes=max(0, max_bytes))
        if "label" not in table.columns:
            raise DataError(f'{file.name} needs a "label" column')
        labels = table["label"].to_numpy()
        rest = table.drop(columns=["label"])
        if list(rest.columns) == ["features"]:
            features = _as_array(rest["features"].tolist(), file)
        else:
            features = _as_array(rest.to_numpy(), file)
    return _validate(features, labels, file)


def _as_array(values: Any, file: Path) -> np.ndarray:
    try:
        return np.asarray(values)
    except ValueError as error:  # ragged lists
        raise DataError(f"{file.name}: {error}") from None


def _validate(features: np.ndarray, labels: np.ndarray, file: Path) -> Arrays:
    if features.ndim != 2 or not features.shape[1]:
        raise DataError(f"{file.name}: features must form a 2-D table, got shape {features.shape}")
    if labels.ndim != 1 or labels.shape[0] != features.shape[0]:
        raise DataError(f"{file.name}: {labels.shape} labels for {features.shape[0]} examples")
    if features.dtype.kind not in "biuf":
        raise DataError(f"{file.name}: features must be numbers, not {features.dtype}")
    if labels.dtype.kind not in "iu":
        raise DataError(f"{file.name}: labels must be integers, not {labels.dtype}")
    features = features.astype(np.float32)
    if not np.isfinite(features).all():
        raise DataError(f"{file.name}: features hold NaN or infinite values")
    return np.ascontiguousarray(features), labels.astype(np.int64)


def gaussian_mixture(
    examples: int, in_dim: int, n_classes: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """A seeded mixture of Gaussians: X (float32) and balanced-in-expectation labels y."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0.0, _MEAN_SPREAD, size=(n_classes, _COMPONENTS, in_dim))
    labels = rng.integers(0, n_classes, size=examples)
    components = rng.integers(0, _COMPONENTS, size=examples)
    features = means[labels, components] + rng.normal(size=(examples, in_dim))
    return features.astype(np.float32), labels.astype(np.int64)


def epoch_batches(
    features: np.ndarray, labels: np.ndarray, batch_size: int, seed: int
) -> Callable[[int], tuple[torch.Tensor, torch.Tensor]]:
    """A training batch function: step -> the next `batch_size` examples of a shuffled stream.

    The stream runs through epoch after epoch, each a permutation seeded by
    (seed, epoch); step s takes positions [s x B, (s + 1) x B) of it.
    """
    count = features.shape[0]

    @lru_cache(maxsize=2)
    def permutation(epoch: int) -> np.ndarray:
        return np.random.default_rng([seed, epoch]).permutation(count)

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        positions = np.arange(step * batch_size, (step + 1) * batch_size)
        epochs, offsets = np.divmod(positions, count)
        index = np.empty(batch_size, dtype=np.int64)
        for epoch in np.unique(epochs):
            chosen = epochs == epoch
            index[chosen] = permutation(int(epoch))[offsets[chosen]]
        return torch.from_numpy(features[index]), torch.from_numpy(labels[index])

    return batch
