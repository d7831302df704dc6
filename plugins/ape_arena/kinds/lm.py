"""`lm`: byte-level language modelling, scored in bits per byte.

Kind parameters (the task spec's `kind_params`, `LMKindParams`: defaults and bounds):
    max_params       most parameters a submitted model may have
    block_size       the eval window in bytes; models need at least this context
    eval_batch_size  windows per scoring batch, fixed so validators agree
    tolerance_bps    agreement tolerance of validators' scores, in bps

Training choices (`LMTrainParams`): the GPT's shape (n_layer, n_head, n_embd,
block_size, bias, dropout, bounded as a config.json is) and the shared
optimisation choices (`TrainParams`).

Metric: bits per byte. The eval bytes b[0..n) are cut, in order, into
non-overlapping windows of `block_size` inputs; each window predicts the byte
after each of its inputs, so every byte but the first is predicted exactly
once, with up to `block_size` bytes of context (the last window may be
shorter). With the byte vocabulary tokens are bytes, hence

    bits_per_byte = sum of per-byte cross-entropy (nats) / (ln 2 x (n - 1)).

Models: `arch: gpt` with vocab_size 256 and block_size >= the task's.
"""

from __future__ import annotations

import math
import random
import sysconfig
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
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
    PARQUET,
    TEXT,
    data_files,
    iter_jsonl,
    read_table,
)
from ape_arena.ml.device import pick_device
from ape_arena.ml.evaluate import EvalTotals
from ape_arena.ml.fields import from_fields, like
from ape_arena.ml.gpt import GPTConfig
from ape_arena.ml.models import InvalidModelError

VOCAB = 256
SUFFIXES = (TEXT, JSONL, CSV, PARQUET)
EVAL_FRACTION = 10  # one tenth of the demo bytes is held out
# Stdlib folders left out of the demo corpus: tests (odd encodings, huge data
# literals) and third-party packages.
_SKIP_DIRS = {"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__"}


@dataclass(frozen=True)
class LMKindParams(KindParams):
    """An lm task's parameters: the shared ones, and the eval window."""

    block_size: int = like(GPTConfig, "block_size", 256)
    """The eval window in bytes; models need at least this context."""


@dataclass(frozen=True)
class LMTrainParams(TrainParams):
    """An lm trainer's choices: the GPT's shape, and the shared optimisation choices."""

    n_layer: int = like(GPTConfig, "n_layer", 4)
    n_head: int = like(GPTConfig, "n_head", 4)
    n_embd: int = like(GPTConfig, "n_embd", 128)
    block_size: int | None = like(GPTConfig, "block_size", None)
    """The model's context; None: the task's eval window (a shorter model cannot be scored)."""
    bias: bool = like(GPTConfig, "bias")
    dropout: float = like(GPTConfig, "dropout")

    def for_task(self, task: Mapping[str, Any]) -> LMTrainParams:
        """The context defaults to the task's eval window."""
        return self if self.block_size is not None else replace(self, block_size=task["block_size"])


class LMKind(TaskKind):
    """Byte-level language modelling (metric: bits per byte, lower is better)."""

    name = "lm"
    metric_name = "bits_per_byte"
    arch = GPTConfig.ARCH
    demo_size = 2_000_000  # bytes
    kind_params_type = LMKindParams
    train_params_type = LMTrainParams

    def model_config(self, params: LMTrainParams, task: Mapping[str, Any]) -> GPTConfig:
        """A byte-vocabulary GPT of the chosen shape."""
        return from_fields(GPTConfig, params, vocab_size=VOCAB)

    def write_demo_data(self, out_dir: Path, seed: int, size: int, task: Mapping[str, Any]) -> None:
        """A corpus of this Python's own standard-library sources, `size` bytes in all.

        The .py files (tests and site-packages left out) are listed in sorted
        order, shuffled with `seed`, and read in that order: the first files
        fill eval/corpus.txt (a tenth of `size`), the next ones
        train/corpus.txt, so no file is in both.
        """
        if size < 2 * EVAL_FRACTION:
            raise DataError(f"the demo corpus needs at least {2 * EVAL_FRACTION} bytes")
        files = stdlib_sources()
        random.Random(seed).shuffle(files)
        eval_bytes = size // EVAL_FRACTION
        parts = _fill(files, [eval_bytes, size - eval_bytes])
        for split, data in zip(("eval", "train"), parts, strict=True):
            (out_dir / split).mkdir(parents=True, exist_ok=True)
            (out_dir / split / "corpus.txt").write_bytes(data)

    def load_user_data(self, path: Path, max_bytes: int = MAX_DATA_BYTES) -> bytes:
        """The bytes of a text corpus.

        .txt files are taken byte for byte; .jsonl lines, .csv rows and
        .parquet rows contribute the UTF-8 of their "text" field. Documents
        and files are joined with a newline.
        """
        files = data_files(path, SUFFIXES, max_bytes)
        documents: list[bytes] = []
        for file in files:
            # Parquet decompresses: what it may decode is what is left of the bound.
            left = max_bytes - sum(len(document) for document in documents)
            suffix = file.suffix.lower()
            if suffix == TEXT:
                documents.append(file.read_bytes())
            elif suffix == JSONL:
                for number, record in iter_jsonl(file):
                    text = record.get("text")
                    if not isinstance(text, str):
                        raise DataError(f'{file.name} line {number}: needs a string "text" field')
                    documents.append(text.encode("utf-8"))
            else:
                table = read_table(file, max_bytes=left)
                if "text" not in table.columns:
                    raise DataError(f'{file.name} needs a "text" column')
                for row, text in enumerate(table["text"].tolist()):
                    if not isinstance(text, str):
                        raise DataError(f'{file.name} row {row + 1}: "text" is not a string')
                    documents.append(text.encode("utf-8"))
        return b"\n".join(documents)

    def training_data(
        self, data_dir: Path, params: LMTrainParams, task: Mapping[str, Any] | None
    ) -> TrainingData:
        """Random windows of the corpus in `data_dir`, for a GPT of the chosen shape."""
        data = self.load_user_data(data_dir)
        corpus = np.frombuffer(data, dtype=np.uint8)
        context = params.block_size
        if corpus.size < context + 2:
            raise DataError(
                f"{data_dir} holds {corpus.size} bytes; training needs at least {context + 2}"
            )
        return TrainingData(
            config=self.model_config(params, {}),
            batches=lambda: window_batches(corpus, context, params.batch_size, params.seed),
            data=data,
        )

    def prepare_eval(
        self, eval_dir: Path, kind_params: Mapping[str, Any], device: str = "auto"
    ) -> EvalSet:
        """The eval bytes in `eval_dir`, read once, in pinned memory when scoring on CUDA."""
        task = self.validate_params(kind_params)
        data = self.load_user_data(eval_dir, MAX_EVAL_BYTES)
        if len(data) < 2:
            raise DataError(f"{eval_dir} holds fewer than 2 bytes; there is nothing to score")
        tokens = torch.frombuffer(bytearray(data), dtype=torch.uint8)
        if pick_device(device).type == "cuda":
            tokens = tokens.pin_memory()
        return EvalSet(
            task=task,
            batches=lambda: eval_windows(tokens, task["block_size"], task["eval_batch_size"]),
            targets=len(data) - 1,
        )

    def check_fit(self, config: GPTConfig, task: Mapping[str, Any]) -> None:
        """The byte vocabulary, and at least the task's context."""
        if config.vocab_size != VOCAB:
            raise InvalidModelError(f"vocab_size must be {VOCAB} (bytes), not {config.vocab_size}")
        window = task["block_size"]
        if config.block_size < window:
            raise InvalidModelError(
                f"block_size {config.block_size} is below the task's eval window {window}"
            )

    def result(self, totals: EvalTotals, config: Any) -> ScoreResult:
        """Bits per byte (every target is one byte)."""
        return ScoreResult.ok(
            totals.loss_sum / (math.log(2) * totals.count),
            tokens=totals.count,
            bytes=totals.count,
            loss_nats=totals.mean_loss,
            accuracy=totals.accuracy,
            params=config.num_params(),
        )


def window_batches(
    corpus: np.ndarray, context: int, batch_size: int, seed: int
) -> Callable[[int], tuple[torch.Tensor, torch.Tensor]]:
    """A training batch function: step -> `batch_size` random windows (inputs, next bytes).

    The windows of a step are drawn from a generator seeded by (seed, step), so
    a batch depends on nothing but its step.
    """
    offsets = np.arange(context + 1)
    highest = corpus.size - context - 1  # last start whose window fits

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        starts = np.random.default_rng([seed, step]).integers(0, highest + 1, size=batch_size)
        windows = torch.from_numpy(corpus[starts[:, None] + offsets].astype(np.int64))
        return windows[:, :-1], windows[:, 1:]

    return batch


def eval_windows(
    data: np.ndarray | torch.Tensor, block_size: int, batch_size: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The scoring batches: non-overlapping windows in order, `batch_size` at a time.

    Window i has inputs data[iT : iT + T] and targets data[iT + 1 : iT + T + 1];
    the bytes left after the last full window form one shorter final window.
    The batches are uint8 views of `data` (no copy; pinned if `data` is), which
    `evaluate` widens to int64 on the device.
    """
    data = torch.as_tensor(data, dtype=torch.uint8)
    predicted = data.numel() - 1
    full = predicted // block_size
    inputs = data[: full * block_size].view(full, block_size)
    targets = data[1 : full * block_size + 1].view(full, block_size)
    for start in range(0, full, batch_size):
        stop = min(start + batch_size, full)
        yield inputs[start:stop], targets[start:stop]
    if predicted > full * block_size:
        tail = full * block_size
        yield data[tail:-1][None], data[tail + 1 :][None]


def stdlib_sources() -> list[Path]:
    """This interpreter's standard-library .py files (no tests, no site-packages), sorted."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(
        (
            path
            for path in root.rglob("*.py")
            if not _SKIP_DIRS.intersection(path.relative_to(root).parts[:-1]) and path.is_file()
        ),
        key=lambda path: path.relative_to(root).as_posix(),
    )
    if not files:
        raise DataError(f"no Python sources under {root}; the demo corpus needs them")
    return files


def _fill(files: list[Path], sizes: list[int]) -> list[bytes]:
    """Read `files` in order into consecutive parts of the given sizes (the last file cut)."""
    parts: list[bytes] = []
    queue = iter(files)
    for size in sizes:
        chunks: list[bytes] = []
        have = 0
        while have < size:
            path = next(queue, None)
            if path is None:
                raise DataError(f"the standard library holds fewer than {sum(sizes):,} bytes")
            chunk = path.read_bytes()[: size - have]
            chunks.append(chunk)
            have += len(chunk)
        parts.append(b"".join(chunks))
    return parts
