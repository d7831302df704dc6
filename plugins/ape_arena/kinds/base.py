"""The task-kind interface every kind of task implements.

A task kind turns a task spec's `kind_params` (the kind's section of the task
spec YAML) into everything a node does off-chain for that task: demo data,
reading users' data files, training a model, and scoring a submitted model on
the revealed eval set. The metric a kind reports is a loss (lower is better);
`ape_arena.kinds.scores` turns it into the integer the contract stores.

Scoring is one template for every kind: `prepare_eval` reads and checks a
task's eval data once (an `EvalSet`), then `score_model` scores any number of
submissions against it: read the config of the kind's architecture, check it
fits the task (`check_model`), load the weights, evaluate, and turn the sums
into the kind's metric (`result`). `score` is the two in one call.

Training is one template too: `train` checks the trainer's choices against
the kind's `train_params_type` (`validate_train_params`), asks the kind for
its `training_data` (the model to build and its batches), and trains and
saves through `ape_arena.kinds.common.fit_and_save`. What a task spec and a
trainer may choose, with each field's default and bounds, is declared once,
in the kind's `kind_params_type` and `train_params_type` (see `common`).

Who is to blame decides how a problem surfaces:
- the submitted model (broken config, too many parameters, wrong tensors,
  pickles, NaN, a run past its time limit, anything else it makes go
  wrong): `score_model` returns `ScoreResult(valid=False, reason=...)` and
  never raises, so one bad submission cannot stop a validator;
- the task itself (bad kind_params, unreadable eval data) or the caller
  (bad training choices, unreadable training data): a `KindError` subclass
  with one sentence the user can act on.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ape_arena.ml.fields import ConfigError
from ape_arena.untrusted import MAX_REASON_CHARS, clip

if TYPE_CHECKING:  # torch stays unimported for users of ScoreResult and scores alone
    from ape_arena.kinds.common import KindParams, TrainingData, TrainParams
    from ape_arena.ml.evaluate import EvalTotals
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
        """An invalid result with its reason, made one printable line of at most
        `MAX_REASON_CHARS` characters (reasons quote what attackers wrote)."""
        return cls(valid=False, metric=None, extras=extras, reason=clip(reason, MAX_REASON_CHARS))


@dataclass(frozen=True)
class EvalSet:
    """A task's eval data, read and checked once, to score any number of models on."""

    task: Mapping[str, Any]
    """The task's kind parameters, validated and complete."""
    batches: Callable[[], Iterable[Any]]
    """A fresh iterator of (inputs, targets) batches, in the fixed scoring order."""
    targets: int
    """How many targets (bytes, examples) one scoring predicts."""


class TaskKind(abc.ABC):
    """One kind of task. Instances are stateless; the registry hands out one per kind."""

    name: ClassVar[str]
    """The kind's name, as written in task specs and registered as an entry point."""
    metric_name: ClassVar[str]
    """What `ScoreResult.metric` measures, e.g. "bits_per_byte"."""
    arch: ClassVar[str]
    """The model architecture (config.json "arch") the kind scores."""
    demo_size: ClassVar[int]
    """How much demo data `build_demo_data` writes unless told, in the kind's unit."""

    kind_params_type: ClassVar[type[KindParams]]
    """The kind parameters a task spec may set: a `KindParams` subclass (defaults, bounds)."""
    train_params_type: ClassVar[type[TrainParams]]
    """The training choices a trainer may make: a `TrainParams` subclass (defaults, bounds)."""

    def validate_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Check a task spec's kind parameters; return them complete, defaults filled in.

        The dict is what task.json holds and `EvalSet.task` carries.

        Raises:
            SpecError: an unknown key, a wrong type or a value out of bounds.
        """
        return self.kind_params_type.read(params, f"{self.name} kind_params").to_dict()

    def validate_train_params(
        self, params: Mapping[str, Any] | TrainParams, kind_params: Mapping[str, Any] | None = None
    ) -> TrainParams:
        """Check a trainer's choices (a mapping, or the kind's `train_params_type`);
        return them typed and complete, defaults and the task's share filled in.

        With `kind_params`, also that the model they build fits the task (`check_model`).

        Raises:
            TrainParamsError: a bad choice, or a model that does not fit the task.
        """
        from ape_arena.ml.models import InvalidModelError

        task = self.validate_params(kind_params if kind_params is not None else {})
        if not isinstance(params, self.train_params_type):
            params = self.train_params_type.read(params, f"{self.name} training parameters")
        params = params.for_task(task)
        try:
            config = self.model_config(params, task)
        except ConfigError as error:  # a rule between fields, e.g. n_embd and n_head
            raise params_error(error) from None
        if kind_params is not None:
            try:
                self.check_model(config, task)
            except InvalidModelError as error:
                raise TrainParamsError(f"training parameters: {error}") from None
        return params

    @abc.abstractmethod
    def model_config(self, params: Any, task: Mapping[str, Any]) -> Any:
        """The model config that validated training `params` build for `task`."""

    def build_demo_data(
        self,
        out_dir: Path,
        seed: int = 0,
        size: int | None = None,
        kind_params: Mapping[str, Any] | None = None,
    ) -> Path:
        """Write a small, deterministic demo dataset: `out_dir/train/` and `out_dir/eval/`.

        Uses no network. `size` bounds the data (its unit is the kind's: bytes,
        examples; default `demo_size`); `kind_params` shapes it (e.g. classify's
        in_dim). Returns `out_dir`.

        Raises:
            SpecError: invalid kind_params. DataError: too small a size to split.
        """
        task = self.validate_params(kind_params if kind_params is not None else {})
        out_dir = Path(out_dir)
        self.write_demo_data(out_dir, seed, self.demo_size if size is None else size, task)
        return out_dir

    @abc.abstractmethod
    def write_demo_data(self, out_dir: Path, seed: int, size: int, task: Mapping[str, Any]) -> None:
        """Write `size` units of demo data into `out_dir` for the validated `task`."""

    @abc.abstractmethod
    def load_user_data(self, path: Path) -> Any:
        """Read a data file, or every supported file of a folder in sorted order.

        Raises:
            DataError: a missing, unsupported, oversized or malformed file.
        """

    def train(
        self,
        data_dir: Path,
        out_dir: Path,
        params: Mapping[str, Any] | TrainParams,
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
        from ape_arena.kinds.common import fit_and_save

        choices = self.validate_train_params(params, kind_params)
        task = self.validate_params(kind_params) if kind_params is not None else None
        return fit_and_save(
            self.name,
            self.training_data(Path(data_dir), choices, task),
            choices,
            out_dir=Path(out_dir),
            device=device,
            checkpoint_dir=checkpoint_dir,
            on_log=on_log,
        )

    @abc.abstractmethod
    def training_data(
        self, data_dir: Path, params: Any, task: Mapping[str, Any] | None
    ) -> TrainingData:
        """Read the training data in `data_dir` for validated `params`: the model
        to build, its batches, and the bytes that identify the data.

        `task` is the validated kind parameters, None when training without a task.

        Raises:
            DataError: unreadable training data, or data that does not fit the task.
        """

    @abc.abstractmethod
    def prepare_eval(
        self, eval_dir: Path, kind_params: Mapping[str, Any], device: str = "auto"
    ) -> EvalSet:
        """Read and check the eval data in `eval_dir` once, for scoring on `device`.

        Raises:
            SpecError: invalid kind_params.
            DataError: the eval data cannot be read, or does not fit the task.
        """

    def check_model(self, config: Any, task: Mapping[str, Any]) -> None:
        """Raise `InvalidModelError` unless the model `config` is of the kind's
        arch, within the task's max_params, and fits the task (`check_fit`)."""
        from ape_arena.ml.models import InvalidModelError, check_num_params

        if self.arch != config.ARCH:
            raise InvalidModelError(
                f"the {self.name} kind needs a {self.arch} model, not {config.ARCH}"
            )
        check_num_params(config, task["max_params"])
        self.check_fit(config, task)

    @abc.abstractmethod
    def check_fit(self, config: Any, task: Mapping[str, Any]) -> None:
        """Raise `InvalidModelError` unless `config` (of the kind's arch) fits the task's shape."""

    @abc.abstractmethod
    def result(self, totals: EvalTotals, config: Any) -> ScoreResult:
        """The kind's metric (and side figures) from an evaluation's sums."""

    def score_model(
        self,
        model_dir: Path,
        eval_set: EvalSet,
        device: str = "auto",
        *,
        precision: str = "auto",
        timeout_s: float | None = None,
    ) -> ScoreResult:
        """Score the model in `model_dir` on a prepared eval set; never raises for a bad model.

        `timeout_s` bounds the evaluation's wall time: past it the model is invalid.
        """
        from ape_arena.ml.evaluate import PRECISIONS, ScoringTimeout, evaluate
        from ape_arena.ml.models import InvalidModelError, load_weights, read_config

        if precision not in PRECISIONS:  # the caller's mistake, not the model's
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        try:
            config = read_config(model_dir, archs=[self.arch])
            self.check_model(config, eval_set.task)
            model = load_weights(model_dir, config)
            totals = evaluate(model, eval_set.batches(), device, precision, timeout_s)
        except (InvalidModelError, ScoringTimeout) as error:
            return ScoreResult.invalid(str(error))
        except Exception as error:  # whatever else a hostile model makes go wrong
            kind = type(error).__name__
            return ScoreResult.invalid(f"the model could not be scored ({kind}: {error})")
        return self.result(totals, config)

    # --- what a submission is, and the task's own assets ------------------------

    def submission_problem(self, sizes: Mapping[str, int], task: Mapping[str, Any]) -> str | None:
        """What is wrong with a submission's file list (path -> bytes), or None.

        Judged from the manifest before anything is downloaded, and again on disk.
        The default is a model folder (`ape_arena.model_rules`).
        """
        from ape_arena.model_rules import folder_problem

        return folder_problem(sizes, task["max_params"])

    def max_submission_bytes(self, task: Mapping[str, Any]) -> int:
        """The most bytes a validator downloads for one submission."""
        from ape_arena.model_rules import max_model_bytes

        return max_model_bytes(task["max_params"])

    def check_submission(self, folder: Path, task: Mapping[str, Any]) -> None:
        """Check a submission folder on disk before it is published or scored.

        Raises:
            ArtifactError: the reason the folder cannot be a submission.
        """
        from ape_arena.artifacts import check_model_dir

        check_model_dir(folder, task["max_params"])

    def publish_assets(
        self,
        kind_params: Mapping[str, Any],
        built: Path | None,
        spec_dir: Path,
        put: Callable[[Path], tuple[bytes, str]] | None,
    ) -> dict[str, Any]:
        """Publish what a task needs besides its data (e.g. a base model) with `put`, and
        return the kind parameters that pin it; `built` is the demo data's folder.

        Called when a task is created; None for `put` computes the pins only.
        The default has nothing to publish.

        Raises:
            SpecError: an asset the spec names cannot be used.
        """
        return dict(kind_params)

    def copied_from(
        self, model_dir: Path, earlier: Sequence[tuple[str, Path]], eval_set: EvalSet
    ) -> str | None:
        """Why the submission in `model_dir` is a near-copy of one of the `earlier`
        submissions ((trainer, folder), committed before it), or None.

        The default detects nothing beyond the contract's exact-hash rule.
        """
        return None

    def score(
        self,
        model_dir: Path,
        eval_dir: Path,
        kind_params: Mapping[str, Any],
        device: str = "auto",
        *,
        precision: str = "auto",
        timeout_s: float | None = None,
    ) -> ScoreResult:
        """`prepare_eval` then `score_model`: score one model on the eval data in `eval_dir`.

        Never raises for a bad model (see the module docstring).

        Raises:
            SpecError: invalid kind_params.
            DataError: the eval data cannot be read.
        """
        eval_set = self.prepare_eval(eval_dir, kind_params, device)
        return self.score_model(
            model_dir, eval_set, device, precision=precision, timeout_s=timeout_s
        )


def spec_error(error: ConfigError) -> SpecError:
    """Re-type a field reader's error as a task-spec error."""
    return SpecError(f"task spec: {error}")


def params_error(error: ConfigError) -> TrainParamsError:
    """Re-type a field reader's error as a training-choice error."""
    return TrainParamsError(f"training parameters: {error}")
