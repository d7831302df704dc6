"""The task-kind interface every kind of task implements.

A task kind turns a task spec's `kind_params` (the kind's section of the task
spec YAML) into everything a node does off-chain for that task: demo data,
reading users' data files, training a model, and scoring a submitted model on
the revealed eval set. The metric a kind reports is a loss (lower is better);
`ape_arena.kinds.scores` turns it into the integer the contract stores.

Who is to blame decides how a problem surfaces:
- the submitted model (broken config, too many parameters, wrong tensors,
  pickles, NaN): `score` returns `ScoreResult(valid=False, reason=...)` and
  never raises, so one bad submission cannot stop a validator;
- the task itself (bad kind_params, unreadable eval data) or the caller
  (bad training choices, unreadable training data): a `KindError` subclass
  with one sentence the user can act on.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ape_arena.ml.fields import ConfigError

if TYPE_CHECKING:  # torch stays unimported for users of ScoreResult and scores alone
    from ape_arena.ml.train import StepLog, TrainResult


class KindError(ValueError):
    """Base class of the errors task kinds raise on purpose."""


class SpecError(KindError):
    """A task spec's kind parameters are invalid."""


class TrainParamsError(KindError):
    """A trainer's choices (model shape, steps, learning rate...) are invalid."""


class DataError(KindError):
    """A data file or folder cannot be read as this kind's data."""


class UnknownKindError(KindError):
    """No installed task kind has the requested name."""


@dataclass(frozen=True)
class ScoreResult:
    """The outcome of scoring one submitted model."""

    valid: bool
    """False when the model could not be scored (see `reason`)."""
    metric: float | None
    """The kind's loss metric (lower is better); None when invalid."""
    extras: dict[str, Any] = field(default_factory=dict)
    """Side figures for reports (accuracy, tokens, bytes...); never scored."""
    reason: str | None = None
    """Why the model is invalid; None when valid."""

    @classmethod
    def ok(cls, metric: float, **extras: Any) -> ScoreResult:
        """A valid result; a NaN or infinite metric makes it invalid instead."""
        if not math.isfinite(metric):
            return cls.invalid(f"the model's loss is {metric}", **extras)
        return cls(valid=True, metric=float(metric), extras=extras)

    @classmethod
    def invalid(cls, reason: str, **extras: Any) -> ScoreResult:
        """An invalid result with its reason."""
        return cls(valid=False, metric=None, extras=extras, reason=reason)


class TaskKind(abc.ABC):
    """One kind of task. Instances are stateless; the registry hands out one per kind."""

    name: ClassVar[str]
    """The kind's name, as written in task specs and registered as an entry point."""
    metric_name: ClassVar[str]
    """What `ScoreResult.metric` measures, e.g. "bits_per_byte"."""

    @abc.abstractmethod
    def validate_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Check a task spec's kind parameters; return them complete, defaults filled in.

        Raises:
            SpecError: an unknown key, a wrong type or a value out of bounds.
        """

    @abc.abstractmethod
    def validate_train_params(
        self, params: Mapping[str, Any], kind_params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Check a trainer's choices; return them complete, defaults filled in.

        With `kind_params`, also check the chosen model fits the task (max_params...).

        Raises:
            TrainParamsError: a bad choice, or a model that does not fit the task.
        """

    @abc.abstractmethod
    def build_demo_data(
        self,
        out_dir: Path,
        seed: int = 0,
        size: int | None = None,
        kind_params: Mapping[str, Any] | None = None,
    ) -> Path:
        """Write a small, deterministic demo dataset: `out_dir/train/` and `out_dir/eval/`.

        Uses no network. `size` bounds the data (its unit is the kind's: bytes,
        examples); `kind_params` shapes it (e.g. classify's in_dim). Returns `out_dir`.
        """

    @abc.abstractmethod
    def load_user_data(self, path: Path) -> Any:
        """Read a data file, or every supported file of a folder in sorted order.

        Raises:
            DataError: a missing, unsupported, oversized or malformed file.
        """

    @abc.abstractmethod
    def train(
        self,
        data_dir: Path,
        out_dir: Path,
        params: Mapping[str, Any],
        device: str = "auto",
        checkpoint_dir: Path | None = None,
        *,
        kind_params: Mapping[str, Any] | None = None,
        on_log: Callable[[StepLog], None] | None = None,
    ) -> TrainResult:
        """Train on `data_dir`, write `model.safetensors` + `config.json` into `out_dir`.

        `params` are the trainer's choices (see `validate_train_params`); with
        `kind_params` the model is checked against the task first. Resumes from
        `checkpoint_dir` when it holds a checkpoint of the same run. Under
        torchrun only rank 0 writes. `on_log` receives the loss as it goes.

        Raises:
            TrainParamsError: bad choices. DataError: unreadable training data.
        """

    @abc.abstractmethod
    def score(
        self,
        model_dir: Path,
        eval_dir: Path,
        kind_params: Mapping[str, Any],
        device: str = "auto",
        *,
        precision: str = "auto",
        compile: bool = False,
    ) -> ScoreResult:
        """Score the model in `model_dir` on the eval data in `eval_dir`.

        Never raises for a bad model (see the module docstring).

        Raises:
            SpecError: invalid kind_params.
            DataError: the eval data cannot be read.
        """


def spec_error(error: ConfigError) -> SpecError:
    """Re-type a field reader's error as a task-spec error."""
    return SpecError(f"task spec: {error}")


def params_error(error: ConfigError) -> TrainParamsError:
    """Re-type a field reader's error as a training-choice error."""
    return TrainParamsError(f"training parameters: {error}")
