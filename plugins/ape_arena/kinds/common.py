"""Pieces the kinds share: the optimisation choices every trainer makes, and run identity."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from ape_arena.kinds.base import params_error, spec_error
from ape_arena.ml.fields import ConfigError, get_bool, get_float, get_int
from ape_arena.ml.train import TrainConfig

MAX_PARAMS_LIMIT = 10**12
MAX_STEPS = 10_000_000
MAX_BATCH = 1 << 16
MAX_SEED = 2**32 - 1


def read_task_limits(params: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, int]:
    """The kind parameters every kind has: max_params, eval_batch_size, tolerance_bps."""
    try:
        return {
            "max_params": get_int(
                params, "max_params", defaults["max_params"], 1, MAX_PARAMS_LIMIT
            ),
            "eval_batch_size": get_int(
                params, "eval_batch_size", defaults["eval_batch_size"], 1, MAX_BATCH
            ),
            "tolerance_bps": get_int(params, "tolerance_bps", defaults["tolerance_bps"], 0, 10_000),
        }
    except ConfigError as error:
        raise spec_error(error) from None


# The optimisation choices every kind's trainer accepts; each kind supplies its defaults.
OPTIM_KEYS = (
    "steps",
    "lr",
    "min_lr_ratio",
    "warmup_steps",
    "weight_decay",
    "grad_clip",
    "batch_size",
    "seed",
    "checkpoint_every",
    "log_every",
    "compile",
)


def read_optim_params(params: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Read the `OPTIM_KEYS` choices, falling back to `defaults`."""
    try:
        return {
            "steps": get_int(params, "steps", defaults["steps"], 1, MAX_STEPS),
            "lr": get_float(params, "lr", defaults["lr"], 1e-8, 1.0),
            "min_lr_ratio": get_float(params, "min_lr_ratio", defaults["min_lr_ratio"], 0.0, 1.0),
            "warmup_steps": get_int(params, "warmup_steps", defaults["warmup_steps"], 0, MAX_STEPS),
            "weight_decay": get_float(params, "weight_decay", defaults["weight_decay"], 0.0, 10.0),
            "grad_clip": get_float(params, "grad_clip", defaults["grad_clip"], 0.0, 1e6),
            "batch_size": get_int(params, "batch_size", defaults["batch_size"], 1, MAX_BATCH),
            "seed": get_int(params, "seed", defaults["seed"], 0, MAX_SEED),
            "checkpoint_every": get_int(
                params, "checkpoint_every", defaults["checkpoint_every"], 0, MAX_STEPS
            ),
            "log_every": get_int(params, "log_every", defaults["log_every"], 1, MAX_STEPS),
            "compile": get_bool(params, "compile", defaults["compile"]),
        }
    except ConfigError as error:
        raise params_error(error) from None


def train_config(choices: Mapping[str, Any]) -> TrainConfig:
    """The `TrainConfig` of validated training choices."""
    return TrainConfig(
        steps=choices["steps"],
        lr=choices["lr"],
        min_lr_ratio=choices["min_lr_ratio"],
        warmup_steps=choices["warmup_steps"],
        weight_decay=choices["weight_decay"],
        grad_clip=choices["grad_clip"],
        checkpoint_every=choices["checkpoint_every"],
        log_every=choices["log_every"],
        seed=choices["seed"],
        compile=choices["compile"],
    )


# Choices that change how a run is observed or executed, not what it computes;
# a checkpoint stays valid when they change.
_NOT_IDENTITY = {"checkpoint_every", "log_every", "compile"}


def run_identity(
    kind: str, model: Mapping[str, Any], choices: Mapping[str, Any], data: bytes
) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: kind, model, choices and data hash."""
    return {
        "kind": kind,
        "model": dict(model),
        "train": {k: v for k, v in choices.items() if k not in _NOT_IDENTITY},
        "data_sha256": hashlib.sha256(data).hexdigest(),
    }


def fit_and_save(
    kind: str,
    config: Any,
    make_batches: Callable[[], Callable[[int], Any]],
    choices: Mapping[str, Any],
    device: str,
    checkpoint_dir: Any,
    data: bytes,
    on_log: Callable[[Any], None] | None,
    out_dir: Any,
) -> Any:
    """Build the model from `config` with the run's seed, train it on the
    batches `make_batches()` returns (made after the model, so the model's
    initialisation never depends on them), and save it to `out_dir` from
    rank 0. The run is resumable from `checkpoint_dir`."""
    import torch

    from ape_arena.ml.models import save_model_dir
    from ape_arena.ml.train import dist_info, train

    torch.manual_seed(choices["seed"])
    model = config.build()
    result = train(
        model,
        make_batches(),
        train_config(choices),
        device,
        checkpoint_dir,
        run_info=run_identity(kind, config.to_dict(), choices, data),
        on_log=on_log,
    )
    if dist_info().is_main:
        save_model_dir(model, config, out_dir)
    return result
