"""Deterministic evaluation: summed cross-entropy over a fixed sequence of batches.

Validators on different machines must reach the same score within the
task's tolerance, so the evaluation fixes everything it can: the batches come
in the caller's fixed order and size, the model is in eval mode (no
dropout) under `torch.inference_mode()`, deterministic kernels are requested
and TF32 is off, and each target's loss is computed in fp32 (fp64 for the
reference precision) and summed in float64. On CUDA the matmuls may run under
bf16 autocast (`precision="bf16"`, what "auto" picks there); the logits are
still cast to fp32 before the loss.

Batches may hold integer tensors of any width (the lm kind sends its bytes
as uint8): they are moved to the device as they are, without blocking when
they sit in pinned memory, and widened to int64 there. A `timeout_s` bounds
the wall time of one evaluation; it is checked between batches.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from ape_arena.ml.device import pick_device

Precision = Literal["auto", "fp32", "fp64", "bf16"]
PRECISIONS: tuple[str, ...] = ("auto", "fp32", "fp64", "bf16")


class ScoringTimeout(Exception):
    """An evaluation ran past its time limit; the message says how long it was allowed."""


@dataclass(frozen=True)
class EvalTotals:
    """Sums over every target of an evaluation."""

    loss_sum: float
    """Summed cross-entropy in nats (accumulated in float64)."""
    count: int
    """Targets scored (tokens for a language model, examples for a classifier)."""
    correct: int
    """Targets whose argmax prediction was right."""

    @property
    def mean_loss(self) -> float:
        """Mean cross-entropy per target (NaN when nothing was scored)."""
        return self.loss_sum / self.count if self.count else math.nan

    @property
    def accuracy(self) -> float:
        """Fraction of targets predicted right (NaN when nothing was scored)."""
        return self.correct / self.count if self.count else math.nan


@contextlib.contextmanager
def deterministic_kernels() -> Iterator[None]:
    """Ask torch for deterministic kernels and full-precision fp32 matmuls; restore afterwards.

    `warn_only=True`: an op without a deterministic variant warns instead of
    failing, since failing would turn a validator's platform into a verdict.
    """
    # cuBLAS reads this when it creates its handle; set it before the first matmul.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    saved = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction,
        torch.backends.cudnn.allow_tf32,
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
        torch.backends.cuda.matmul.allow_tf32 = saved[2]
        torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = saved[3]
        torch.backends.cudnn.allow_tf32 = saved[4]
        torch.backends.cudnn.deterministic = saved[5]
        torch.backends.cudnn.benchmark = saved[6]


def resolve_precision(precision: str, device: torch.device) -> str:
    """Turn "auto" into "bf16" on CUDA and "fp32" elsewhere; check the name."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "auto":
        return "bf16" if device.type == "cuda" else "fp32"
    return precision


def prepare_model(
    model: nn.Module, device: str | torch.device, precision: str
) -> tuple[torch.device, torch.dtype, contextlib.AbstractContextManager]:
    """Move `model` to `device` in eval mode for `precision`: its device, the dtype
    the loss is computed in (fp64 casts the model in place), and the autocast
    context of the forward pass (bf16, or none)."""
    device = pick_device(device)
    precision = resolve_precision(precision, device)
    dtype = torch.float64 if precision == "fp64" else torch.float32
    model.to(device=device, dtype=dtype).eval()
    autocast = (
        torch.autocast(device.type, dtype=torch.bfloat16)
        if precision == "bf16"
        else contextlib.nullcontext()
    )
    return device, dtype, autocast


@torch.inference_mode()
def evaluate(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: str | torch.device = "cpu",
    precision: str = "auto",
    timeout_s: float | None = None,
) -> EvalTotals:
    """Sum the cross-entropy of `model` over `batches`, in order.

    Args:
        model: maps inputs to logits whose last dim is the classes; moved to
            `device`, put in eval mode and (for "fp64") cast in place.
        batches: (inputs, targets) pairs; targets are integer class ids with
            the logits' shape minus its last dim. Integer inputs are token ids.
        device: where to run.
        precision: "fp32", "fp64" (a slow reference), "bf16" (autocast
            matmuls, fp32 loss) or "auto" (bf16 on CUDA, fp32 elsewhere).
        timeout_s: raise `ScoringTimeout` once this many seconds have passed
            (checked before each batch); None for no limit.

    Returns:
        The sums; a non-finite `loss_sum` means the model produced NaN or inf.
    """
    device, dtype, autocast = prepare_model(model, device, precision)
    end = None if timeout_s is None else time.monotonic() + timeout_s
    # Float64 sums stay on the device (no sync per batch) unless it lacks float64.
    sum_device = device if device.type in ("cpu", "cuda") else torch.device("cpu")
    loss_sum = torch.zeros((), dtype=torch.float64, device=sum_device)
    correct = torch.zeros((), dtype=torch.int64, device=sum_device)
    count = 0
    with deterministic_kernels():
        for inputs, targets in batches:
            if end is not None and time.monotonic() > end:
                raise ScoringTimeout(f"scoring took longer than {timeout_s:g} s")
            inputs = _to_device(inputs, device, dtype)
            targets = _to_device(targets, device, dtype)
            with autocast:
                logits = model(inputs)
            logits = logits.to(dtype).reshape(-1, logits.shape[-1])
            flat = targets.reshape(-1)
            losses = F.cross_entropy(logits, flat, reduction="none")
            loss_sum += losses.to(sum_device, torch.float64).sum()
            correct += (logits.argmax(dim=-1) == flat).sum().to(sum_device)
            count += flat.numel()
    return EvalTotals(loss_sum=float(loss_sum.item()), count=count, correct=int(correct.item()))


def _to_device(tensor: torch.Tensor, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Move one batch tensor: floats to the evaluation dtype, integers widened to int64."""
    moved = tensor.to(device, non_blocking=tensor.is_pinned())
    if moved.is_floating_point():
        return moved.to(dtype)
    return moved.long()
