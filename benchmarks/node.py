"""ML throughput of the node: scoring and training tokens/s (and MFU) for the `lm` kind
(and, through `benchmarks.node_lora`, for `chat-lora`).

Run from the repository root with `python -m benchmarks.node` (venv active),
`--device cpu|cuda` to choose. Three sides for each of scoring and training:

- **ours**, the node's own path, exactly as the commands run it:
  - scoring: the GPT is written with `ape_arena.ml.models.save_model_dir`,
    the eval bytes as a corpus file, read once with `LMKind().prepare_eval`
    (the task's `block_size` and `eval_batch_size`), and each repeat is one
    `LMKind().score_model(model_dir, eval_set, device)`, what `TaskScorer`
    calls for every submission of `ape arena validate`: it reads and checks
    config.json and the weights, then `ape_arena.ml.evaluate.evaluate`
    (inference mode, deterministic kernels, TF32 off, the loss summed in
    float64 on the device; precision "auto": bf16 autocast on CUDA, fp32
    elsewhere; no compile, the scorer has none);
  - training: `LMKind().train` on a corpus file, what `ape arena train` and
    the trainer role call (its `ape_arena.ml.train.train` with the lm kind's
    LMTrainParams defaults: AdamW fused on CUDA, warmup + cosine, clipping, bf16
    autocast on CUDA, `compile: True`, which `train` applies on CUDA only;
    the loss read back every `log_every` = 10 steps), without a checkpoint
    folder (checkpoint writes are I/O, not throughput).
- **flock**: a FLock-style eager loop, batch 1, each window's (or step's) loss
  read back with `.item()`: scoring under `no_grad` in fp16 on CUDA (fp32 on
  a CPU); training eager fp32 with unfused AdamW. Each side in its own
  configuration: this is the "ours vs. FLock as it runs" figure.
- **eager**: the same eager loop at the same batch and precision as ours
  (scoring: the task's batch, bf16 autocast on CUDA; training: the trainer's
  batch, bf16 autocast on CUDA), so only the loop differs (what ours adds:
  inference mode, no read-back per batch, on-device sums, and for training
  compile, fused AdamW, clipping and the loss read every 10 steps; ours'
  scoring also reads and checks the weights every repeat, timed apart as
  `weights_read_s`).

Every figure is `repeats` timed samples after an untimed warm-up, reported as
the min, median and max tokens/s with all samples; speed-ups are ratios of
medians, with the range from the slowest to the fastest pairing. Scoring
runs in rounds (ours, eager, flock, then again), so all three sides see the
same machine load; training times ours in blocks of steps between two of its
loss read-backs and runs one block of each eager loop in the gap (inside the
`on_log` callback, not counted in ours), so the sides alternate there too.

FLOPs per token (N = parameters doing matmuls, i.e. all but the position
embeddings; L layers, T context, d width): scoring 2N + 4LTd, training
6N + 12LTd. MFU divides achieved FLOP/s by the device's dense bf16 peak from
`PEAK_BF16_FLOPS`; it is null on a CPU or an unknown GPU. Results go to
benchmarks/results/node.json, one entry per device type (cpu, cuda); the
other device types' entries are kept.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ape_arena.files import write_json_atomically
from ape_arena.kinds.lm import LMKind, LMTrainParams, eval_windows, window_batches
from ape_arena.ml.device import pick_device
from ape_arena.ml.gpt import GPTConfig
from ape_arena.ml.models import load_weights, read_config, save_model_dir
from ape_arena.ml.train import StepLog
from ape_arena.node.scoring import SCORE_TIMEOUT_S
from benchmarks.machine import machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

# Dense (no sparsity) bf16 tensor-core peaks, FLOP/s, by a substring of
# torch.cuda.get_device_name(); the first match wins, so specific names come first.
PEAK_BF16_FLOPS: list[tuple[str, float]] = [
    ("H100 PCIe", 756e12),
    ("H100", 989e12),  # SXM
    ("H200", 989e12),
    ("A100", 312e12),
    ("L40S", 362e12),
    ("L4", 121e12),
]


def _settings(
    model: tuple[int, int, int, int],
    max_params: int,
    windows: tuple[int, int],
    steps: int,
    repeats: int,
) -> dict[str, Any]:
    """One device type's settings. `model`: the GPT's (n_layer, n_head, n_embd,
    block_size); the task (the lm kind_params of the benchmark's task) uses its
    block size. `score_windows`: eval windows one repeat scores, per side: ours
    and the eager loop `windows[0]`, the FLock-style loop `windows[1]`.
    `train_block`: optimizer steps per timed sample, per side: `steps` for ours
    (a multiple of its log_every) and the eager loop, 40 for the FLock-style one."""
    n_layer, n_head, n_embd, block = model
    ours, flock = windows
    return {
        "model": {"n_layer": n_layer, "n_head": n_head, "n_embd": n_embd, "block_size": block},
        "task": {"block_size": block, "eval_batch_size": 32, "max_params": max_params},
        "score_windows": {"ours": ours, "eager": ours, "flock": flock},
        "train_batch": 16,
        "train_block": {"ours": steps, "eager": steps, "flock": 40},
        "repeats": repeats,
    }


# Per device type.
SETTINGS: dict[str, dict[str, Any]] = {
    # GPT-2 small shaped, 85.9M parameters; about 2-3 minutes on an H100/H200
    "cuda": _settings((12, 12, 768, 1024), 100_000_000, (2048, 128), steps=20, repeats=5),
    # the lm kind's default trainer model (4 layers, 128 wide), 0.85M parameters
    "cpu": _settings((4, 4, 128, 256), 10_000_000, (256, 256), steps=10, repeats=7),
}
SIDES = ("ours", "eager", "flock")
METHOD = {
    "score.ours": "LMKind().score_model(model_dir, eval_set, device) on an EvalSet from "
    "LMKind().prepare_eval (a corpus file): reads and checks config.json and "
    "model.safetensors, then ape_arena.ml.evaluate.evaluate (inference_mode, deterministic "
    "kernels, TF32 off, loss summed in float64 on the device; bf16 autocast on CUDA, fp32 "
    "elsewhere; no compile); one call per repeat",
    "score.eager": "eager loop under no_grad at the task's batch and ours' precision (bf16 "
    "autocast on CUDA, fp32 on CPU), loss .item() per batch: same batch, only the loop differs",
    "score.flock": "FLock-style eager loop under no_grad, batch 1, fp16 weights on CUDA / fp32 "
    "on CPU, loss .item() per window: each side in its own configuration",
    "train.ours": "LMKind().train on a corpus file with the lm training defaults (AdamW fused on "
    "CUDA, warmup + cosine, clipping, bf16 autocast on CUDA, compile: True, applied on CUDA "
    "only, loss read every 10 steps), no checkpoint folder; timed in blocks between loss "
    "read-backs after a first untimed block",
    "train.eager": "eager loop at the trainer's batch and ours' precision (bf16 autocast on "
    "CUDA), unfused AdamW, no clipping, loss .item() per step: same batch, only the loop differs",
    "train.flock": "FLock-style eager loop, fp32, batch 1, unfused AdamW, loss .item() per step",
    "order": "scoring in rounds (ours, eager, flock) after one untimed warm-up round; "
    "training: one block of each eager loop run between two of ours' blocks (in its on_log "
    "callback, not counted in ours)",
    "data": "random bytes; scoring in the task's non-overlapping windows, training in random "
    "windows of the model's context (throughput does not depend on the content)",
    "speedup": "median tokens/s of ours over the baseline's median; range: ours' min over the "
    "baseline's max to ours' max over the baseline's min",
}
FORMULA = {
    "score": "2*N + 4*L*T*d per token",
    "train": "6*N + 12*L*T*d per token",
    "N": "parameters minus position embeddings (the tied output projection counted once)",
    "mfu": "tokens_per_s * flops_per_token / peak dense bf16 FLOP/s of the device",
}


def peak_flops(device: torch.device) -> float | None:
    """The device's dense bf16 peak, or None (CPU, or a GPU not in the table)."""
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((peak for key, peak in PEAK_BF16_FLOPS if key in name), None)


def flops_per_token(config: GPTConfig) -> dict[str, int]:
    """Scoring and training FLOPs per token (see FORMULA)."""
    n = config.num_params() - config.block_size * config.n_embd
    attention = config.n_layer * config.block_size * config.n_embd
    return {"score": 2 * n + 4 * attention, "train": 6 * n + 12 * attention, "N": n}


def sync(device: torch.device) -> None:
    """Wait for the device's queued work (a no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def autocast_for(precision: str, device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast for "bf16", nothing otherwise."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def random_bytes(count: int, seed: int) -> bytes:
    """`count` seeded random bytes (throughput ignores the content)."""
    return np.random.default_rng(seed).integers(0, 256, count, dtype=np.uint8).tobytes()


def summary(samples: list[float]) -> dict[str, Any]:
    """Min, median and max of a list of tokens/s samples, with the samples."""
    return {
        "min": round(min(samples), 1),
        "median": round(statistics.median(samples), 1),
        "max": round(max(samples), 1),
        "samples": [round(s, 1) for s in samples],
    }


def figure(
    tokens: int, seconds: list[float], flops: int, peak: float | None, **setup: Any
) -> dict[str, Any]:
    """One JSON figure: its setup, tokens per repeat, seconds and tokens/s per repeat, MFU."""
    rates = [tokens / s for s in seconds]
    mfu = (
        None
        if peak is None
        else {
            "min": round(min(rates) * flops / peak, 4),
            "median": round(statistics.median(rates) * flops / peak, 4),
        }
    )
    return {
        **setup,
        "tokens_per_repeat": tokens,
        "repeats": len(seconds),
        "seconds": [round(s, 4) for s in seconds],
        "tokens_per_s": summary(rates),
        "mfu": mfu,
    }


def speedup(ours: dict[str, Any], base: dict[str, Any], compares: str) -> dict[str, Any]:
    """Median over median, and the range from the worst to the best pairing of samples."""
    o, b = ours["tokens_per_s"], base["tokens_per_s"]
    return {
        "median": round(o["median"] / b["median"], 2),
        "range": [round(o["min"] / b["max"], 2), round(o["max"] / b["min"], 2)],
        "compares": compares,
    }


# --- scoring ---------------------------------------------------------------------------------


def eager_score_pass(
    model: torch.nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: torch.device,
    precision: str,
) -> tuple[int, float]:
    """One eager pass, each batch's loss read back at once: (tokens, seconds)."""
    total, tokens = 0.0, 0
    sync(device)
    started = time.perf_counter()
    with torch.no_grad():
        for inputs, targets in batches:
            inputs, targets = inputs.long().to(device), targets.long().to(device)
            with autocast_for(precision, device):
                logits = model(inputs)
            loss = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten())
            total += loss.item() * targets.numel()
            tokens += targets.numel()
    sync(device)
    seconds = time.perf_counter() - started
    if not np.isfinite(total):
        raise RuntimeError(f"the eager loop's loss is {total}")
    return tokens, seconds


def measure_scoring(
    config: GPTConfig, settings: dict[str, Any], device: torch.device, work: Path
) -> dict[str, Any]:
    """The three scoring sides, in rounds after one warm-up round."""
    kind = LMKind()
    task = settings["task"]
    block, batch = task["block_size"], task["eval_batch_size"]
    windows = settings["score_windows"]
    most = windows["ours"]  # ours scores the whole eval set; the others its first windows
    if max(windows.values()) > most:
        raise ValueError("ours scores the whole eval set; give it the most windows")
    data = random_bytes(most * block + 1, seed=1)
    (work / "eval").mkdir()
    (work / "eval" / "corpus.txt").write_bytes(data)
    torch.manual_seed(0)
    model_dir = save_model_dir(config.build(), config, work / "model")
    eval_set = kind.prepare_eval(work / "eval", task, str(device))
    if eval_set.targets != most * block:
        raise RuntimeError(f"the eval set has {eval_set.targets} targets, not {most * block}")

    ours_precision = "bf16" if device.type == "cuda" else "fp32"
    flock_precision = "fp16" if device.type == "cuda" else "fp32"
    eager_model = load_weights(model_dir, config).to(device)
    flock_model = load_weights(model_dir, config).to(device)
    if flock_precision == "fp16":
        flock_model.half()
    tokens_all = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    flock_tokens = tokens_all[: windows["flock"] * block + 1]
    eager_tokens = tokens_all[: windows["eager"] * block + 1]

    def ours() -> tuple[int, float]:
        sync(device)
        started = time.perf_counter()
        result = kind.score_model(model_dir, eval_set, str(device), timeout_s=SCORE_TIMEOUT_S)
        sync(device)
        seconds = time.perf_counter() - started
        if not result.valid or result.extras["tokens"] != eval_set.targets:
            raise RuntimeError(f"ours did not score the model: {result}")
        return eval_set.targets, seconds

    def weights_read() -> float:
        started = time.perf_counter()
        read = read_config(model_dir, archs=[kind.arch])
        kind.check_model(read, eval_set.task)
        load_weights(model_dir, read)
        return time.perf_counter() - started

    def eager() -> tuple[int, float]:
        batches = eval_windows(eager_tokens, block, batch)
        return eager_score_pass(eager_model, batches, device, ours_precision)

    def flock() -> tuple[int, float]:
        batches = eval_windows(flock_tokens, block, 1)
        # No autocast: on CUDA the weights themselves are fp16.
        return eager_score_pass(flock_model, batches, device, "fp32")

    calls: dict[str, Callable[[], tuple[int, float]]] = {
        "ours": ours,
        "eager": eager,
        "flock": flock,
    }
    seconds: dict[str, list[float]] = {side: [] for side in SIDES}
    tokens: dict[str, int] = {}
    reads: list[float] = []
    loads: list[float] = []
    for round_ in range(settings["repeats"] + 1):  # round 0 is the warm-up
        for side in SIDES:
            tokens[side], took = calls[side]()
            if round_:
                seconds[side].append(took)
        if round_:
            reads.append(weights_read())
            loads.append(round(os.getloadavg()[0], 2))
        else:
            weights_read()
        rates = "  ".join(f"{s} {tokens[s] / seconds[s][-1]:>9,.0f}" for s in SIDES if round_)
        print(f"  score round {round_}{' (warm-up)' if not round_ else ''}  {rates}", flush=True)
    return {
        "seconds": seconds,
        "tokens": tokens,
        "weights_read_s": reads,
        "load_1min": loads,
        "setup": {
            "ours": {"batch": batch, "precision": ours_precision, "compile": False},
            "eager": {"batch": batch, "precision": ours_precision, "compile": False},
            "flock": {"batch": 1, "precision": flock_precision, "compile": False},
        },
    }


# --- training --------------------------------------------------------------------------------


class EagerTrainer:
    """The eager training loop, run a block of steps at a time: loss `.item()` every step."""

    def __init__(
        self,
        config: GPTConfig,
        batches: Callable[[int], tuple[torch.Tensor, torch.Tensor]],
        device: torch.device,
        precision: str,
    ) -> None:
        torch.manual_seed(0)
        self.model = config.build().to(device).train()
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=1e-4, foreach=False)
        self.batches = batches
        self.device = device
        self.precision = precision
        self.step = 0

    def block(self, steps: int) -> float:
        """Run `steps` steps; return their wall seconds."""
        sync(self.device)
        started = time.perf_counter()
        for _ in range(steps):
            inputs, targets = (t.to(self.device) for t in self.batches(self.step))
            with autocast_for(self.precision, self.device):
                logits = self.model(inputs)
            loss = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten())
            loss.backward()
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            loss.item()
            self.step += 1
        sync(self.device)
        return time.perf_counter() - started


def measure_training(
    config: GPTConfig, settings: dict[str, Any], device: torch.device, work: Path
) -> dict[str, Any]:
    """Ours (`LMKind().train`) timed in blocks, one block of each eager loop in between."""
    kind = LMKind()
    task = settings["task"]
    batch = settings["train_batch"]
    blocks = settings["train_block"]
    repeats = settings["repeats"]
    log_every = LMTrainParams().log_every
    if blocks["ours"] % log_every:
        raise ValueError(f"ours' block must be a multiple of its log_every ({log_every})")
    corpus = random_bytes(1 << 20, seed=2)
    (work / "train").mkdir()
    (work / "train" / "corpus.txt").write_bytes(corpus)
    context = config.block_size
    array = np.frombuffer(corpus, dtype=np.uint8)
    precision = "bf16" if device.type == "cuda" else "fp32"
    eager = EagerTrainer(config, window_batches(array, context, batch, seed=0), device, precision)
    flock = EagerTrainer(config, window_batches(array, context, 1, seed=0), device, "fp32")
    params = {
        **{key: config.to_dict()[key] for key in ("n_layer", "n_head", "n_embd", "block_size")},
        "batch_size": batch,
        "steps": blocks["ours"] * (repeats + 1),
    }
    seconds: dict[str, list[float]] = {side: [] for side in SIDES}
    loads: list[float] = []
    state = {"started": 0.0, "block": 0}

    def on_log(log: StepLog) -> None:  # the loss read-back has synchronised the device
        now = time.perf_counter()
        if log.step % blocks["ours"]:
            return
        if state["block"]:
            seconds["ours"].append(now - state["started"])
            loads.append(round(os.getloadavg()[0], 2))
        for side, trainer in (("eager", eager), ("flock", flock)):
            took = trainer.block(blocks[side])
            if state["block"]:
                seconds[side].append(took)
        state["block"] += 1
        rates = ""
        if state["block"] > 1:
            tokens = {"ours": batch, "eager": batch, "flock": 1}
            rates = "  ".join(
                f"{s} {blocks[s] * tokens[s] * context / seconds[s][-1]:>9,.0f}" for s in SIDES
            )
        label = " (warm-up)" if state["block"] == 1 else ""
        print(f"  train block {state['block'] - 1}{label}  {rates}", flush=True)
        state["started"] = time.perf_counter()

    result = kind.train(
        work / "train",
        work / "trained",
        params,
        str(device),
        kind_params=task,
        on_log=on_log,
    )
    if result.steps != params["steps"] or len(seconds["ours"]) != repeats:
        raise RuntimeError(f"training ran {result.steps} steps, {len(seconds['ours'])} blocks")
    choices = kind.validate_train_params(params, task)
    return {
        "seconds": seconds,
        "load_1min": loads,
        "tokens": {
            side: blocks[side] * (1 if side == "flock" else batch) * context for side in SIDES
        },
        "setup": {
            "ours": {
                "batch": batch,
                "precision": precision,
                "compile": bool(choices.compile) and device.type == "cuda",
                "compile_choice": choices.compile,  # the lm default; train applies it on CUDA
                "steps_per_repeat": blocks["ours"],
                "log_every": choices.log_every,
            },
            "eager": {
                "batch": batch,
                "precision": precision,
                "compile": False,
                "steps_per_repeat": blocks["eager"],
            },
            "flock": {
                "batch": 1,
                "precision": "fp32",
                "compile": False,
                "steps_per_repeat": blocks["flock"],
            },
        },
    }


# --- the record ------------------------------------------------------------------------------


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU with its core count."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({os.cpu_count()} cores)"


def run(device: torch.device, repeats: int | None = None) -> dict[str, Any]:
    """Measure scoring and training on `device`; return the JSON record."""
    settings = dict(SETTINGS[device.type if device.type in SETTINGS else "cpu"])
    if repeats is not None:
        settings["repeats"] = repeats
    config = GPTConfig(**settings["model"])
    flops = flops_per_token(config)
    peak = peak_flops(device)
    load_before = os.getloadavg()
    if load_before[0] > 0.5 * (os.cpu_count() or 1):
        print(
            f"warning: load average {load_before[0]:.2f} on {os.cpu_count()} cores; "
            "other work on the machine will move these figures",
            flush=True,
        )
    print(
        f"{device_name(device)}, torch {torch.__version__}, {torch.get_num_threads()} threads: "
        f"{config.num_params():,}-parameter GPT {settings['model']}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-node-") as folder:
        work = Path(folder)
        scoring = measure_scoring(config, settings, device, work)
        training = measure_training(config, settings, device, work)

    record: dict[str, Any] = {}
    for what, measured in (("score", scoring), ("train", training)):
        figures = {
            side: figure(
                measured["tokens"][side],
                measured["seconds"][side],
                flops[what],
                peak,
                method=METHOD[f"{what}.{side}"],
                **measured["setup"][side],
            )
            for side in SIDES
        }
        figures["speedup"] = {
            "vs_flock": speedup(
                figures["ours"],
                figures["flock"],
                "each side in its own configuration: ours at the task's batch and precision, "
                "the FLock-style loop at batch 1",
            ),
            "vs_eager_same_batch": speedup(
                figures["ours"],
                figures["eager"],
                "same batch and precision: only the loop differs",
            ),
        }
        figures["load_1min_per_repeat"] = measured["load_1min"]
        record[what] = figures
    reads = scoring["weights_read_s"]
    record["score"]["ours"]["weights_read_s"] = {
        "min": round(min(reads), 4),
        "median": round(statistics.median(reads), 4),
        "share_of_median_repeat": round(
            statistics.median(reads) / statistics.median(scoring["seconds"]["ours"]), 3
        ),
    }
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average": {"before": list(load_before), "after": list(os.getloadavg())},
        "device": device_name(device),
        "device_type": device.type,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "settings": settings,
        "model": {**config.to_dict(), "params": config.num_params(), "matmul_params": flops["N"]},
        "flops_per_token": {"score": flops["score"], "train": flops["train"]},
        "formula": FORMULA,
        "method": {key: value for key, value in METHOD.items() if "." not in key},
        "peak_bf16_flops": peak,
        **record,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats (at least 5)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (default: torch's own choice, as the node runs)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS / "node.json",
        help="JSON file; each device type (cpu, cuda) keeps its own entry in it",
    )
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 5:
        parser.error("--repeats must be at least 5")

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    started = time.monotonic()
    device = pick_device(args.device)
    record = run(device, args.repeats)
    from benchmarks import node_lora

    record["chat_lora"] = node_lora.run(device, args.repeats)
    record["wall_seconds"] = round(time.monotonic() - started, 1)
    output = args.output
    results: dict[str, Any] = {}
    if output.is_file():
        with contextlib.suppress(json.JSONDecodeError):
            loaded = json.loads(output.read_text())
            if isinstance(loaded, dict):
                results = loaded
    results[device.type] = record
    write_json_atomically(output, results)

    print(f"\n{'tokens/s':<8} {'side':<6} {'min':>11} {'median':>11} {'max':>11}  setup")
    for what in ("score", "train"):
        for side in SIDES:
            fig = record[what][side]
            rate = fig["tokens_per_s"]
            mfu = "" if fig["mfu"] is None else f", MFU {fig['mfu']['median']:.1%}"
            print(
                f"{what:<8} {side:<6} {rate['min']:>11,.0f} {rate['median']:>11,.0f} "
                f"{rate['max']:>11,.0f}  batch {fig['batch']}, {fig['precision']}"
                f"{', compiled' if fig['compile'] else ''}{mfu}"
            )
        for name, ratio in record[what]["speedup"].items():
            low, high = ratio["range"]
            print(f"{what:<8} speed-up {name}: {ratio['median']}x (range {low}x to {high}x)")
    node_lora.report(record["chat_lora"])
    print(f"written to {output} in {record['wall_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
