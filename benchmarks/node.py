"""ML throughput of the node: scoring and training tokens/s and MFU for the `lm` kind.

Run from the repository root with `python -m benchmarks.node` (venv active).
Each figure compares our code path with a baseline written the way FLock's
validators and trainers run models today (an eager Hugging Face-style loop,
batch 1, one `.item()` per sample), using our own GPT so only the loop differs:

- scoring, baseline: eager, batch 1, fp16 on CUDA (fp32 on CPU), loss read
  back per window; ours: `ape_arena.ml.evaluate.evaluate` as the scorer runs
  it (deterministic kernels, fp32 loss summed in float64), batch 32, bf16
  autocast and `torch.compile` on CUDA.
- training, baseline: eager fp32, batch 1, unfused AdamW, loss read back every
  step; ours: `ape_arena.ml.train.train` (fused AdamW, bf16 autocast and
  `torch.compile` on CUDA) at batch 16 (8 on CPU).

Shapes: GPT-2 small (12 layers, 12 heads, 768 wide, context 1024, byte
vocabulary) on CUDA; 4 layers, 256 wide, context 256 on CPU, so the run ends
in about a minute there. FLOPs per token (N = parameters doing matmuls, i.e.
all but the position embeddings; L layers, T context, d width):
scoring 2N + 4LTd, training 6N + 12LTd. MFU divides achieved FLOP/s by the
device's dense bf16 peak from `PEAK_BF16_FLOPS` (null on CPU or an unknown
GPU). Results go to benchmarks/results/node-<cpu|cuda>.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ape_arena.kinds.lm import eval_windows, window_batches
from ape_arena.ml.device import pick_device
from ape_arena.ml.evaluate import evaluate
from ape_arena.ml.gpt import GPTConfig
from ape_arena.ml.train import StepLog, TrainConfig, train

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

# Per device type: model shape, windows scored and steps trained.
SETTINGS: dict[str, dict[str, Any]] = {
    "cuda": {
        "model": {"n_layer": 12, "n_head": 12, "n_embd": 768, "block_size": 1024},
        "score_batch": 32,
        "score_windows": {"baseline": 128, "ours": 2048},
        "train_batch": 16,
        "train_steps": {"baseline": (5, 30), "ours": (5, 30)},  # (warmup, timed)
    },
    "cpu": {
        "model": {"n_layer": 4, "n_head": 4, "n_embd": 256, "block_size": 256},
        "score_batch": 32,
        "score_windows": {"baseline": 32, "ours": 64},
        "train_batch": 8,
        "train_steps": {"baseline": (2, 12), "ours": (1, 4)},
    },
}
METHOD = {
    "score.baseline": "eager, batch 1, fp16 on CUDA / fp32 on CPU, loss .item() per window",
    "score.ours": "ape_arena.ml.evaluate.evaluate: deterministic kernels, fp32 loss summed in "
    "float64; bf16 autocast and torch.compile on CUDA",
    "train.baseline": "eager fp32, batch 1, unfused AdamW, loss .item() per step",
    "train.ours": "ape_arena.ml.train.train: AdamW (fused on CUDA), warmup + cosine, clipping; "
    "bf16 autocast and torch.compile on CUDA; timed after the warm-up steps",
    "data": "random bytes in non-overlapping windows of the model's context",
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


def figure(
    tokens: int, seconds: float, flops: int, peak: float | None, **setup: Any
) -> dict[str, Any]:
    """One JSON figure: the setup, tokens, seconds, tokens/s and MFU (None without a peak)."""
    rate = tokens / seconds
    return {
        **setup,
        "tokens": tokens,
        "seconds": round(seconds, 4),
        "tokens_per_s": round(rate, 1),
        "mfu": None if peak is None else round(rate * flops / peak, 4),
    }


def corpus(windows: int, block: int) -> np.ndarray:
    """Random bytes for exactly `windows` full eval windows (throughput ignores content)."""
    return np.random.default_rng(0).integers(0, 256, windows * block + 1, dtype=np.uint8)


def fresh_model(config: GPTConfig) -> torch.nn.Module:
    """The same seeded initialisation for every measurement."""
    torch.manual_seed(0)
    return config.build()


def score_baseline(config: GPTConfig, device: torch.device, windows: int) -> tuple[int, float]:
    """FLock-style: eager, batch 1, fp16 on CUDA, each window's loss read back at once."""
    model = fresh_model(config).to(device).eval()
    if device.type == "cuda":
        model.half()
    data = corpus(windows + 4, config.block_size)
    batches = list(eval_windows(data, config.block_size, 1))
    total, tokens = 0.0, 0
    with torch.no_grad():
        for inputs, _ in batches[:4]:  # warm-up
            model(inputs.to(device))
        sync(device)
        started = time.perf_counter()
        for inputs, targets in batches[4:]:
            logits = model(inputs.to(device))
            loss = F.cross_entropy(logits.float().flatten(0, 1), targets.to(device).flatten())
            total += loss.item() * targets.numel()
            tokens += targets.numel()
        sync(device)
    assert math.isfinite(total)
    return tokens, time.perf_counter() - started


def score_ours(
    config: GPTConfig, device: torch.device, windows: int, batch: int
) -> tuple[int, float]:
    """The scorer's path: `evaluate` at the task's batch, bf16 + compile on CUDA."""
    model = fresh_model(config).to(device)
    if device.type == "cuda":
        model = torch.compile(model, dynamic=False)
    warm = corpus(batch, config.block_size)
    evaluate(model, eval_windows(warm, config.block_size, batch), device)  # compiles
    data = corpus(windows, config.block_size)
    sync(device)
    started = time.perf_counter()
    totals = evaluate(model, eval_windows(data, config.block_size, batch), device)
    sync(device)
    assert math.isfinite(totals.loss_sum)
    return totals.count, time.perf_counter() - started


def train_baseline(
    config: GPTConfig, device: torch.device, warmup: int, steps: int
) -> tuple[int, float]:
    """Eager fp32, batch 1, unfused AdamW, the loss read back every step."""
    model = fresh_model(config).to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, foreach=False)
    data = corpus(4096, config.block_size)
    batches = window_batches(data, config.block_size, 1, seed=0)
    started = 0.0
    for step in range(warmup + steps):
        if step == warmup:
            sync(device)
            started = time.perf_counter()
        inputs, targets = (t.to(device) for t in batches(step))
        logits = model(inputs)
        loss = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()
    sync(device)
    return steps * config.block_size, time.perf_counter() - started


def train_ours(
    config: GPTConfig, device: torch.device, batch: int, warmup: int, steps: int
) -> tuple[int, float]:
    """`ape_arena.ml.train.train`, timed from the end of the warm-up steps."""
    model = fresh_model(config)
    data = corpus(4096, config.block_size)
    marks: dict[int, float] = {}

    def mark(log: StepLog) -> None:  # the loss read-back synchronises the device
        marks[log.step] = time.perf_counter()

    settings = TrainConfig(
        steps=warmup + steps, lr=1e-4, log_every=1, compile=device.type == "cuda"
    )
    train(
        model,
        window_batches(data, config.block_size, batch, seed=0),
        settings,
        device,
        on_log=mark,
    )
    return steps * batch * config.block_size, marks[warmup + steps] - marks[warmup]


def run(device: torch.device) -> dict[str, Any]:
    """Measure all four figures on `device`; return the JSON record."""
    settings = SETTINGS[device.type if device.type in SETTINGS else "cpu"]
    config = GPTConfig(**settings["model"])
    flops = flops_per_token(config)
    peak = peak_flops(device)
    half = "fp16" if device.type == "cuda" else "fp32"
    ours_dtype = "bf16 autocast" if device.type == "cuda" else "fp32"
    compiled = device.type == "cuda"
    batch = settings["score_batch"]

    def measure(name: str, call: Callable[[], tuple[int, float]]) -> tuple[int, float]:
        started = time.monotonic()
        tokens, seconds = call()
        took = time.monotonic() - started
        print(f"  {name:<16} {tokens / seconds:>14,.0f} tokens/s   ({took:.1f} s)")
        return tokens, seconds

    print(f"{device_name(device)}: {config.num_params():,}-parameter GPT {settings['model']}")
    windows = settings["score_windows"]
    score_base = measure(
        "score baseline", lambda: score_baseline(config, device, windows["baseline"])
    )
    score_own = measure("score ours", lambda: score_ours(config, device, windows["ours"], batch))
    steps = settings["train_steps"]
    train_base = measure(
        "train baseline", lambda: train_baseline(config, device, *steps["baseline"])
    )
    train_own = measure(
        "train ours", lambda: train_ours(config, device, settings["train_batch"], *steps["ours"])
    )

    score = {
        "baseline": figure(*score_base, flops["score"], peak, dtype=half, batch=1, compile=False),
        "ours": figure(
            *score_own, flops["score"], peak, dtype=ours_dtype, batch=batch, compile=compiled
        ),
    }
    training = {
        "baseline": figure(*train_base, flops["train"], peak, dtype="fp32", batch=1, compile=False),
        "ours": figure(
            *train_own,
            flops["train"],
            peak,
            dtype=ours_dtype,
            batch=settings["train_batch"],
            compile=compiled,
        ),
    }
    for record in (score, training):
        record["speedup"] = round(
            record["ours"]["tokens_per_s"] / record["baseline"]["tokens_per_s"], 2
        )
    return {
        "device": device_name(device),
        "device_type": device.type,
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "model": {**config.to_dict(), "params": config.num_params(), "matmul_params": flops["N"]},
        "flops_per_token": {"score": flops["score"], "train": flops["train"]},
        "formula": FORMULA,
        "method": METHOD,
        "peak_bf16_flops": peak,
        "score": score,
        "train": training,
    }


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU with its core count."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({os.cpu_count()} cores)"


def write_atomically(path: Path, record: dict[str, Any]) -> None:
    """Write the JSON to a temporary sibling, then move it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS / "node.json",
        help="JSON file; each device type (cpu, cuda) keeps its own entry in it",
    )
    args = parser.parse_args(argv)

    started = time.monotonic()
    device = pick_device(args.device)
    record = run(device)
    record["wall_seconds"] = round(time.monotonic() - started, 1)
    output = args.output
    results = {}
    if output.is_file():
        try:
            results = json.loads(output.read_text())
        except json.JSONDecodeError:
            results = {}
    results[device.type] = record
    write_atomically(output, results)
    for what in ("score", "train"):
        ours, base = record[what]["ours"], record[what]["baseline"]
        mfu = "n/a" if ours["mfu"] is None else f"{ours['mfu']:.1%}"
        print(
            f"{what:<6} ours {ours['tokens_per_s']:>12,.0f} tok/s (MFU {mfu})  "
            f"baseline {base['tokens_per_s']:>10,.0f} tok/s  speedup {record[what]['speedup']}x"
        )
    print(f"written to {output} in {record['wall_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
