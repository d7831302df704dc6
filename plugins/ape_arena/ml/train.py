"""A generic, resumable training loop: AdamW, warmup + cosine, clipping, bf16, DDP.

The loop draws its data from a *batch function* `batches(step) -> tuple of
tensors` rather than an iterator: the batch of a step depends on the step
alone, so a run resumed from a checkpoint sees exactly the batches the
uninterrupted run would have seen. Each batch is the global batch; under
torchrun (WORLD_SIZE > 1) rank r trains on rows r, r + W, r + 2W, ... of it,
the same strided split a `DistributedSampler` makes, and DDP averages the
gradients, so the update does not depend on the number of processes.

On CUDA: fused AdamW, bf16 autocast (the loss itself in fp32), and optionally
`torch.compile`. Checkpoints hold the model, optimizer, completed step count,
RNG state and a description of the run; rank 0 writes them atomically and
they are read back with `torch.load(weights_only=True)`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from ape_arena.ml.device import pick_device
from ape_arena.ml.files import atomic_path

Batch = tuple[torch.Tensor, ...]
BatchFn = Callable[[int], Batch]
LossFn = Callable[[nn.Module, Batch], torch.Tensor]

CHECKPOINT_FILE = "checkpoint.pt"
CHECKPOINT_FORMAT = 1


class TrainingError(RuntimeError):
    """Training cannot go on: a diverged loss, or a checkpoint from another run."""


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of one run."""

    steps: int
    """Total optimizer steps (a resumed run continues up to this count)."""
    lr: float = 1e-3
    """Peak learning rate, reached after the warmup."""
    min_lr_ratio: float = 0.1
    """The cosine decays to lr x min_lr_ratio at the last step."""
    warmup_steps: int = 0
    """Linear warmup from lr / warmup_steps to lr."""
    weight_decay: float = 0.1
    """AdamW decay, applied to matrices and embeddings only (not biases or norms)."""
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    """Max global gradient norm; 0 turns clipping off."""
    checkpoint_every: int = 0
    """Write a checkpoint every this many steps (0: only at the end) when a dir is given."""
    log_every: int = 10
    """Report the loss every this many steps (and at the last step)."""
    seed: int = 0
    """Seeds the RNG that dropout draws from (the model's init is the caller's)."""
    compile: bool = False
    """`torch.compile` the model (CUDA only; ignored elsewhere)."""
    bf16: bool = True
    """bf16 autocast for the forward pass (CUDA only; ignored elsewhere)."""
    grad_accum: int = 1
    """Micro-batches each process splits its part of a step's batch into (gradients summed)."""


@dataclass(frozen=True)
class StepLog:
    """What the loop reports every `log_every` steps."""

    step: int
    """Steps completed so far."""
    loss: float
    """Loss of the last step (averaged over ranks)."""
    lr: float
    seconds: float
    """Wall time since this call of `train` started."""
    tokens_per_s: float | None = None
    """Training throughput, where the kind counts tokens (None otherwise)."""


@dataclass
class TrainResult:
    """Outcome of a `train` call."""

    steps: int
    """Steps completed in total, resumed ones included."""
    start_step: int
    """The step this call began from (0 for a fresh run)."""
    final_loss: float | None
    """The last logged loss (None when no step ran)."""
    losses: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0
    rank: int = 0
    world_size: int = 1


@dataclass(frozen=True)
class DistInfo:
    """This process's place in a torchrun launch (rank 0 of 1 when not launched so)."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        """Whether this process writes files."""
        return self.rank == 0


def dist_info() -> DistInfo:
    """Read RANK, LOCAL_RANK and WORLD_SIZE as torchrun sets them."""
    return DistInfo(
        rank=int(os.environ.get("RANK", "0")),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        world_size=int(os.environ.get("WORLD_SIZE", "1")),
    )


def lr_at(step: int, config: TrainConfig) -> float:
    """Learning rate of step `step` (0-based): linear warmup, then cosine to the floor."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    floor = config.lr * config.min_lr_ratio
    span = max(1, config.steps - config.warmup_steps - 1)
    progress = min(1.0, (step - config.warmup_steps) / span)
    return floor + 0.5 * (1.0 + math.cos(math.pi * progress)) * (config.lr - floor)


def cross_entropy_loss(model: nn.Module, batch: Batch) -> torch.Tensor:
    """Mean cross-entropy of `model(inputs)` against integer `targets`, computed in fp32.

    Works for (B, C) classifier logits and (B, T, V) language-model logits alike.
    """
    inputs, targets = batch
    logits = model(inputs)
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1))


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module under `torch.compile` and DDP wrappers."""
    while True:
        if hasattr(model, "_orig_mod"):
            model = model._orig_mod
        elif isinstance(model, nn.parallel.DistributedDataParallel):
            model = model.module
        else:
            return model


def make_optimizer(
    model: nn.Module, config: TrainConfig, device: torch.device
) -> torch.optim.AdamW:
    """AdamW with decay on >= 2-D parameters only; fused kernels on CUDA."""
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(
        groups, lr=config.lr, betas=config.betas, fused=device.type == "cuda" or None
    )


def train(
    model: nn.Module,
    batches: BatchFn,
    config: TrainConfig,
    device: str | torch.device = "cpu",
    checkpoint_dir: Path | None = None,
    *,
    loss_fn: LossFn = cross_entropy_loss,
    run_info: dict[str, Any] | None = None,
    on_log: Callable[[StepLog], None] | None = None,
) -> TrainResult:
    """Train `model` in place for `config.steps` steps, resuming from a checkpoint if there is one.

    Args:
        model: the freshly initialised model (moved to `device` here).
        batches: `batches(step)` -> the global batch of that step, a tuple of
            tensors with the batch on dim 0 (inputs first; what `loss_fn` reads).
        config: optimisation settings.
        device: where to train; under torchrun on CUDA, each rank uses cuda:LOCAL_RANK.
        checkpoint_dir: where checkpoints go; None disables them.
        loss_fn: `loss_fn(model, batch)` -> scalar loss (default: cross-entropy).
        run_info: JSON-able description of the run (model config, data, choices);
            a checkpoint written with different run_info is refused.
        on_log: called with a `StepLog` every `config.log_every` steps.

    Raises:
        TrainingError: the loss became NaN or infinite, or the checkpoint is another run's.
    """
    started = time.monotonic()
    info = dist_info()
    with _process_group(pick_device(device), info) as device:
        model.to(device)
        model.train()
        optimizer = make_optimizer(model, config, device)
        run = _normalise(run_info or {})
        path = Path(checkpoint_dir) / CHECKPOINT_FILE if checkpoint_dir is not None else None

        start = 0
        if path is not None and path.is_file():
            start = _load_checkpoint(path, model, optimizer, run, info, config.seed)
        else:
            torch.manual_seed(config.seed + info.rank)

        net: nn.Module = model
        if info.world_size > 1:
            ids = [device.index] if device.type == "cuda" else None
            net = nn.parallel.DistributedDataParallel(model, device_ids=ids)
        if config.compile and device.type == "cuda":
            net = torch.compile(net)
        autocast = (
            torch.autocast("cuda", dtype=torch.bfloat16)
            if config.bf16 and device.type == "cuda"
            else contextlib.nullcontext()
        )

        result = TrainResult(
            steps=start,
            start_step=start,
            final_loss=None,
            rank=info.rank,
            world_size=info.world_size,
        )
        for step in range(start, config.steps):
            lr = lr_at(step, config)
            for group in optimizer.param_groups:
                group["lr"] = lr
            parts = _micro_batches(_shard(batches(step), info), config.grad_accum)
            loss = torch.zeros((), device=device)
            for index, part in enumerate(parts):
                part = tuple(t.to(device, non_blocking=True) for t in part)
                # DDP averages gradients once per step: on the last micro-batch.
                last = index == len(parts) - 1
                quiet = (
                    net.no_sync()
                    if isinstance(net, nn.parallel.DistributedDataParallel) and not last
                    else contextlib.nullcontext()
                )
                with quiet:
                    with autocast:
                        part_loss = loss_fn(net, part) / len(parts)
                    part_loss.backward()
                loss += part_loss.detach()
            if config.grad_clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            done = step + 1
            result.steps = done

            if done % max(1, config.log_every) == 0 or done == config.steps:
                value = _mean_over_ranks(loss.detach(), info)
                if not math.isfinite(value):
                    raise TrainingError(
                        f"the loss became {value} at step {done}; lower the learning rate"
                    )
                result.losses.append((done, value))
                result.final_loss = value
                if on_log is not None:
                    on_log(StepLog(done, value, lr, time.monotonic() - started))
            if (
                path is not None
                and config.checkpoint_every > 0
                and done % config.checkpoint_every == 0
                and done < config.steps
            ):
                _save_checkpoint(path, done, model, optimizer, run, info)

        if path is not None and result.steps > start:
            _save_checkpoint(path, result.steps, model, optimizer, run, info)
        model.eval()
        # The DDP wrapper goes while its process group is still up: torn
        # down after destroy_process_group (when this frame ends), its
        # reducer could wait on gloo forever.
        del net
        result.seconds = time.monotonic() - started
        return result


@contextlib.contextmanager
def _process_group(device: torch.device, info: DistInfo) -> Iterator[torch.device]:
    """The device this rank trains on, inside a process group when launched by torchrun
    (one made here is destroyed on the way out)."""
    if info.world_size == 1:
        yield device
        return
    if device.type == "cuda":
        device = torch.device("cuda", info.local_rank)
        torch.cuda.set_device(device)
    own_group = not dist.is_initialized()
    if own_group:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    try:
        yield device
    finally:
        if own_group:
            dist.destroy_process_group()


def _shard(batch: Batch, info: DistInfo) -> Batch:
    if info.world_size == 1:
        return batch
    rows = batch[0].shape[0]
    if rows % info.world_size:
        raise TrainingError(
            f"the batch of {rows} rows does not split evenly over {info.world_size} processes"
        )
    return tuple(t[info.rank :: info.world_size] for t in batch)


def _micro_batches(batch: Batch, count: int) -> list[Batch]:
    """A process's batch cut into `count` equal micro-batches (gradient accumulation)."""
    if count == 1:
        return [batch]
    rows = batch[0].shape[0]
    if rows % count:
        raise TrainingError(f"the batch of {rows} rows does not split into {count} micro-batches")
    size = rows // count
    return [tuple(t[i * size : (i + 1) * size] for t in batch) for i in range(count)]


def _mean_over_ranks(loss: torch.Tensor, info: DistInfo) -> float:
    if info.world_size > 1:
        loss = loss.float().clone()
        dist.all_reduce(loss, op=dist.ReduceOp.SUM)
        loss /= info.world_size
    return float(loss.item())


def _normalise(run_info: dict[str, Any]) -> dict[str, Any]:
    # A JSON round trip makes tuples lists, so a description compares equal to
    # its reloaded self.
    return json.loads(json.dumps(run_info, sort_keys=True))


def _save_checkpoint(
    path: Path,
    step: int,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    run: dict[str, Any],
    info: DistInfo,
) -> None:
    if info.is_main:
        state = {
            "format": CHECKPOINT_FORMAT,
            "step": step,
            "run": json.dumps(run, sort_keys=True),
            "model": unwrap(model).state_dict(),
            "optimizer": optimizer.state_dict(),
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        }
        with atomic_path(path) as tmp:
            torch.save(state, tmp)
    if info.world_size > 1:
        dist.barrier()


def _load_checkpoint(
    path: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    run: dict[str, Any],
    info: DistInfo,
    seed: int,
) -> int:
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("format") != CHECKPOINT_FORMAT:
        raise TrainingError(f"{path} is not a checkpoint this version can read")
    saved = json.loads(state["run"])
    if saved != run:
        raise TrainingError(
            f"{path} was written by a different run ({_difference(saved, run)}); "
            "remove it or choose another checkpoint folder"
        )
    model.load_state_dict(state["model"])
    # Keep this machine's kernel choice (fused/foreach) over the saved one.
    kernels = [{k: g.get(k) for k in ("fused", "foreach")} for g in optimizer.param_groups]
    optimizer.load_state_dict(state["optimizer"])
    for group, chosen in zip(optimizer.param_groups, kernels, strict=True):
        group.update(chosen)
    if info.world_size == 1:
        torch.set_rng_state(state["rng_cpu"])
        cuda_states = state["rng_cuda"]
        if torch.cuda.is_available() and len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda_states)
    else:
        # Only rank 0's RNG is saved: give each rank its own fresh dropout stream.
        torch.manual_seed(seed + info.rank + 1_000_003 * int(state["step"]))
    return int(state["step"])


def _difference(saved: dict[str, Any], current: dict[str, Any]) -> str:
    keys = sorted(k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k))
    return "differs in " + ", ".join(keys[:5]) if keys else "differs"
