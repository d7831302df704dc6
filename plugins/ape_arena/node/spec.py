"""Task specs: the YAML a creator writes, and the artifacts made from it.

A spec file::

    kind: lm                      # a registered task kind (lm, classify, ...)
    kind_params:                  # checked by the kind; defaults fill the gaps
      max_params: 2000000
      block_size: 128
    data:
      demo: {seed: 0, size: 200000}   # a dataset built offline, or:
      # train: path/to/train-files    # users' files (a file or a folder)
      # eval: path/to/eval-files      # the hidden eval set
    reward: 1000                  # ARENA escrowed for the participants
    bond: 10                      # ARENA returned when the eval set is revealed
    min_trainer_stake: 100
    min_validator_stake: 100
    max_trainers: 16
    max_validators: 8
    tolerance_bps: 50             # validators within 0.5% of consensus agree
    durations:                    # each phase: 60 s .. 30 days (s, m, h, d)
      submit: 1h
      model_reveal: 15m
      eval_reveal: 15m
      score_commit: 15m
      score_reveal: 15m

From it the creator makes two artifacts (artifacts/): the public one,
`task.json` (kind, kind parameters, tolerance) with the training data under
`train/`, whose hash and URI go on chain as the spec; and the hidden one,
the eval data under `eval/`, whose hash is committed with a salt and which
is uploaded only when revealed.
"""

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ape_arena import units
from ape_arena.exceptions import ArenaError

TASK_FILE = "task.json"
MAX_TASK_FILE_BYTES = 64 * 1024
SPEC_VERSION = 1
PHASES = ("submit", "model_reveal", "eval_reveal", "score_commit", "score_reveal")
DEFAULT_DURATIONS = {"submit": 3_600, "model_reveal": 900, "eval_reveal": 900,
                     "score_commit": 900, "score_reveal": 900}  # fmt: skip
KEYS = {
    "kind", "kind_params", "data", "reward", "bond", "min_trainer_stake",
    "min_validator_stake", "max_trainers", "max_validators", "tolerance_bps", "durations",
}  # fmt: skip


class SpecFileError(ArenaError):
    """A task spec that cannot be used."""


@dataclass
class TaskSpec:
    kind: str
    kind_params: dict[str, Any]
    data: dict[str, Any]
    reward: int
    bond: int
    min_trainer_stake: int
    min_validator_stake: int
    max_trainers: int
    max_validators: int
    tolerance_bps: int
    durations: dict[str, int]
    base: Path  # the spec file's folder: relative data paths start there


def load_spec(path: Path) -> TaskSpec:
    """Read and check a spec file (see the module docstring)."""
    import yaml

    from ape_arena.kinds.base import KindError
    from ape_arena.kinds.registry import get_kind

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as err:
        raise SpecFileError(
            f"Cannot read the task spec {path} ({err.strerror}); check the path."
        ) from err
    except yaml.YAMLError as err:
        raise SpecFileError(
            f"The task spec {path} is not valid YAML ({err}); fix the file."
        ) from err
    if not isinstance(raw, dict):
        raise SpecFileError(f"The task spec {path} must be a mapping of keys; see docs/creator.md.")
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise SpecFileError(
            f"The task spec {path} has unknown keys {', '.join(unknown)}; the keys are "
            f"{', '.join(sorted(KEYS))}."
        )
    if "kind" not in raw:
        raise SpecFileError(f"The task spec {path} needs a `kind` (for example lm or classify).")
    try:
        kind = get_kind(str(raw["kind"]))
        kind_params = kind.validate_params(raw.get("kind_params") or {})
    except KindError as err:
        raise SpecFileError(f"{path}: {str(err).rstrip('.')}; fix the spec.") from err
    data = raw.get("data") or {"demo": {}}
    if not isinstance(data, dict) or not (("demo" in data) ^ ("train" in data and "eval" in data)):
        raise SpecFileError(
            f"The task spec {path} needs `data` with either `demo` or both `train` and `eval`."
        )
    # One tolerance: the chain's, which the kind's parameters then carry.
    tolerance = _int(raw.get("tolerance_bps", kind_params["tolerance_bps"]), "tolerance_bps")
    kind_params["tolerance_bps"] = tolerance
    durations = dict(DEFAULT_DURATIONS)
    for name, value in (raw.get("durations") or {}).items():
        if name not in PHASES:
            raise SpecFileError(
                f"Unknown phase {name!r} in durations of {path}; the phases are "
                f"{', '.join(PHASES)}."
            )
        durations[name] = parse_duration(value, f"durations.{name}")
    return TaskSpec(
        kind=kind.name,
        kind_params=kind_params,
        data=data,
        reward=parse_arena(raw.get("reward"), "reward"),
        bond=parse_arena(raw.get("bond", 10), "bond"),
        min_trainer_stake=parse_arena(raw.get("min_trainer_stake", 100), "min_trainer_stake"),
        min_validator_stake=parse_arena(raw.get("min_validator_stake", 100), "min_validator_stake"),
        max_trainers=_int(raw.get("max_trainers", 16), "max_trainers"),
        max_validators=_int(raw.get("max_validators", 8), "max_validators"),
        tolerance_bps=tolerance,
        durations=durations,
        base=path.parent,
    )


def parse_arena(value: Any, name: str) -> int:
    """An amount of ARENA from the spec, in wei (`ape_arena.units.parse_arena`)."""
    if value is None:
        raise SpecFileError(f"The task spec needs `{name}`, an amount of ARENA such as 1000.")
    try:
        return units.parse_arena(value, f"`{name}`")
    except units.UnitError as err:
        raise SpecFileError(str(err)) from None


def parse_duration(value: Any, name: str) -> int:
    """A phase duration from the spec, in seconds (`ape_arena.units.parse_duration`)."""
    try:
        return units.parse_duration(value, f"`{name}`")
    except units.UnitError as err:
        raise SpecFileError(str(err)) from None


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SpecFileError(f"`{name}` must be an integer, not {value!r}.") from None


@dataclass
class PreparedTask:
    public_dir: Path  # task.json + train/
    eval_dir: Path  # eval/


def prepare(
    spec: TaskSpec, work: Path, put: Callable[[Path], tuple[bytes, str]] | None = None
) -> PreparedTask:
    """Build (or copy) the data and lay out the two artifact folders under
    `work` (emptied first). The kind publishes its other assets (a base model)
    with `put` and pins them in the kind parameters task.json carries."""
    from ape_arena.kinds.base import KindError
    from ape_arena.kinds.registry import get_kind

    kind = get_kind(spec.kind)
    if work.exists():
        shutil.rmtree(work)
    public, hidden = work / "public", work / "hidden"
    public.mkdir(parents=True)
    hidden.mkdir(parents=True)
    try:
        if "demo" in spec.data:
            demo = spec.data["demo"] or {}
            built = kind.build_demo_data(
                work / "built",
                seed=int(demo.get("seed", 0)),
                size=demo.get("size"),
                kind_params=spec.kind_params,
            )
            shutil.move(str(built / "train"), public / "train")
            shutil.move(str(built / "eval"), hidden / "eval")
            kind_params = kind.publish_assets(spec.kind_params, built, spec.base, put)
            shutil.rmtree(built)
        else:
            for split, target in (("train", public / "train"), ("eval", hidden / "eval")):
                source = (spec.base / str(spec.data[split])).expanduser()
                kind.load_user_data(source)  # checks the files before they are published
                _copy_data(source, target)
            kind_params = kind.publish_assets(spec.kind_params, None, spec.base, put)
    except KindError as err:
        raise SpecFileError(f"The task's data cannot be used: {str(err).rstrip('.')}.") from err
    document = {
        "version": SPEC_VERSION,
        "kind": spec.kind,
        "kind_params": kind_params,
        "tolerance_bps": spec.tolerance_bps,
    }
    (public / TASK_FILE).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return PreparedTask(public, hidden)


def _copy_data(source: Path, target: Path) -> None:
    if not source.exists():
        raise SpecFileError(f"The data path {source} does not exist; fix `data` in the spec.")
    target.mkdir(parents=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target / source.name)


def read_task_document(public_dir: Path) -> dict[str, Any]:
    """The `task.json` of a fetched public artifact, checked (it is the creator's text)."""
    from ape_arena.untrusted import UntrustedJSONError, clip, parse_json

    path = Path(public_dir) / TASK_FILE
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_TASK_FILE_BYTES + 1)
        if len(raw) > MAX_TASK_FILE_BYTES:
            raise UntrustedJSONError(f"it is over {MAX_TASK_FILE_BYTES:,} bytes")
        document = parse_json(raw)
    except (OSError, UntrustedJSONError) as err:
        raise SpecFileError(
            f"The task's public artifact has no readable {TASK_FILE} ({clip(err, 120)}); the task "
            "was not created with this node, so it cannot be trained or scored here."
        ) from err
    if (
        not isinstance(document, dict)
        or document.get("version") != SPEC_VERSION
        or not isinstance(document.get("kind"), str)
        or not isinstance(document.get("kind_params"), dict)
    ):
        raise SpecFileError(
            f"{path} is not a version {SPEC_VERSION} task document with a kind and kind_params."
        )
    return document
