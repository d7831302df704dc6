"""What the kinds share: the parameters every task spec and every trainer has, and one
training run from data to saved model.

`KindParams` (a task spec's `kind_params`) and `TrainParams` (a trainer's
choices) are frozen dataclasses whose field declarations are the one place
that says each field's default and bounds (`ape_arena.ml.fields`). A kind
subclasses both: it adds its own fields (a model's shape is declared `like`
the model config's field, so the bounds a trainer meets are the ones a
submitted model meets), and redeclares with `like` a shared field whose
default differs for it. A bad value raises `SpecError` or `TrainParamsError`,
however the instance is built.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ape_arena.kinds.base import params_error, spec_error
from ape_arena.ml.fields import ConfigError, Fields, flag, integer, number

if TYPE_CHECKING:  # torch stays unimported until a model is trained
    from ape_arena.ml.train import StepLog, TrainResult

MAX_PARAMS_LIMIT = 10**12
MAX_STEPS = 10_000_000
MAX_BATCH = 1 << 16
MAX_SEED = 2**32 - 1

P = TypeVar("P", bound="TrainParams")


@dataclass(frozen=True)
class KindParams(Fields):
    """The kind parameters every kind has; a kind's subclass adds the task's shape.

    The defaults suit the lm kind; a kind redeclares a field whose default differs.
    """

    max_params: int = integer(1, MAX_PARAMS_LIMIT, 10_000_000)
    """Most parameters a submitted model may have."""
    eval_batch_size: int = integer(1, MAX_BATCH, 32)
    """Examples (windows, rows) per scoring batch, fixed so validators agree."""
    tolerance_bps: int = integer(0, 1_000, 50)  # TaskManager.vy MAX_TOLERANCE_BPS
    """Agreement tolerance of validators' scores, in bps (a spec's task carries the chain's)."""

    @classmethod
    def error(cls, problem: ConfigError) -> Exception:
        """A bad value is the task spec's problem."""
        return spec_error(problem)


@dataclass(frozen=True)
class TrainParams(Fields):
    """The optimisation choices every kind's trainer makes (`TrainConfig` says what each does).

    A kind's subclass adds the model's shape. The defaults suit the lm kind's
    small transformers; a kind redeclares a field whose default differs.
    """

    steps: int = integer(1, MAX_STEPS, 200)
    lr: float = number(1e-8, 1.0, 1e-3)
    min_lr_ratio: float = number(0.0, 1.0, 0.1)
    warmup_steps: int = integer(0, MAX_STEPS, 20)
    weight_decay: float = number(0.0, 10.0, 0.1)
    grad_clip: float = number(0.0, 1e6, 1.0)
    batch_size: int = integer(1, MAX_BATCH, 16)
    """Examples (windows, rows) per optimizer step, over all processes."""
    seed: int = integer(0, MAX_SEED, 0)
    """Seeds the model's initialisation, the batches and dropout."""
    checkpoint_every: int = integer(0, MAX_STEPS, 100)
    log_every: int = integer(1, MAX_STEPS, 10)
    compile: bool = flag(True)

    @classmethod
    def error(cls, problem: ConfigError) -> Exception:
        """A bad value is the trainer's problem."""
        return params_error(problem)

    def for_task(self: P, task: Mapping[str, Any]) -> P:
        """These choices with what is left to the task filled in (nothing, unless a kind says)."""
        return self


@dataclass(frozen=True)
class TrainingData:
    """What a kind makes of its training data for one run."""

    config: Any
    """The model config to build (a `GPTConfig`, an `MLPConfig`...)."""
    batches: Callable[[], Callable[[int], Any]]
    """Makes the batch function; called after the model is built, so the
    model's initialisation never depends on it."""
    data: bytes
    """The training data as bytes; its hash is part of the run's identity."""


# Choices that change how a run is observed or executed, not what it computes;
# a checkpoint stays valid when they change.
_NOT_IDENTITY = {"checkpoint_every", "log_every", "compile"}


def run_identity(
    kind: str, model: Mapping[str, Any], params: TrainParams, data: bytes
) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: kind, model, choices and data hash."""
    return {
        "kind": kind,
        "model": dict(model),
        "train": {k: v for k, v in params.to_dict().items() if k not in _NOT_IDENTITY},
        "data_sha256": hashlib.sha256(data).hexdigest(),
    }


def fit_and_save(
    kind: str,
    training: TrainingData,
    params: TrainParams,
    *,
    out_dir: Path,
    device: str,
    checkpoint_dir: Path | None,
    on_log: Callable[[StepLog], None] | None,
) -> TrainResult:
    """Build the model of `training.config` with the run's seed, train it on the
    batches `training.batches()` returns, and save it to `out_dir` from rank 0.
    The run is resumable from `checkpoint_dir`."""
    import torch

    from ape_arena.ml.fields import from_fields
    from ape_arena.ml.models import save_model_dir
    from ape_arena.ml.train import TrainConfig, dist_info, train

    torch.manual_seed(params.seed)
    config = training.config
    model = config.build()
    result = train(
        model,
        training.batches(),
        from_fields(TrainConfig, params),
        device,
        checkpoint_dir,
        run_info=run_identity(kind, config.to_dict(), params, training.data),
        on_log=on_log,
    )
    if dist_info().is_main:
        save_model_dir(model, config, out_dir)
    return result
