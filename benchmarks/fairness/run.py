"""Fairness benchmark: Monte Carlo runs of whole tasks on the real contracts.

    make bench-fairness            # python -m benchmarks.fairness
    python -m benchmarks.fairness --quick      # a smoke run, writes nothing
    python -m benchmarks.fairness --render     # charts + tables from the JSON

Each run plays one task on titanoboa (token + staking + task manager,
deployed once, every run inside `boa.env.anchor()`): trainers whose true loss
the harness knows, validators that score honestly (with noise) or not, then
finalize, and each participant's reward as the contract's `claimable` says
(plagiarists claim, to read their slash). Three sections:

- scenarios: every attack and noise scenario of sim.py at the default
  parameters (gamma 0.2, q 0.85, tolerance 50 bps);
- noise: all validators honest at one noise level, from 0 to 400 bps;
- sweep: gamma x q x tolerance on the sweep scenarios;
- split: gamma against the trainers' share of the stake (all honest).

Every run is seeded from (seed, scenario, run index) only, so the results do
not depend on the order or the number of worker processes, and the base draws
(true losses, stakes) are shared by every scenario's run i: scenarios and
sweep cells are compared on the same tasks (common random numbers).

Output: benchmarks/results/fairness.json (written atomically), the charts
docs/img/fairness-*.svg, and the markdown tables of docs/fairness.md on
stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import sim
from .metrics import summarize

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "fairness.json"
IMG = ROOT / "docs" / "img"

GRID = {"gamma": [0.1, 0.2, 0.3], "q": [0.7, 0.85, 0.95], "tolerance_bps": [10, 50, 200]}
QUICK_GRID = {"gamma": [0.2], "q": [0.7, 0.95], "tolerance_bps": [10, 200]}
FULL_RUNS = {"scenarios": 32, "noise": 20, "sweep": 8, "split": 3}
QUICK_RUNS = {"scenarios": 2, "noise": 2, "sweep": 1, "split": 1}
QUICK_NOISE = [0.0, 50.0, 400.0]
QUICK_SPLIT = {"fractions": [0.2, 0.8], "gammas": [0.0, 0.2]}


@dataclass(frozen=True)
class Group:
    """Runs of one scenario at one parameter set: one row of the results."""

    section: str
    key: str
    scenario: str
    params: sim.Params
    runs: int


def registry() -> dict[str, sim.Scenario]:
    out = {s.name: s for s in sim.scenarios()}
    out.update({s.name: s for s in sim.SWEEP_SCENARIOS})
    out.update({sim.noise_scenario(x).name: sim.noise_scenario(x) for x in sim.NOISE_LEVELS})
    out.update({sim.split_scenario(x).name: sim.split_scenario(x) for x in sim.SPLIT_FRACTIONS})
    return out


def plan(runs: dict[str, int], grid: dict, noise_levels: list[float], split: dict) -> list[Group]:
    groups = [
        Group("scenarios", s.name, s.name, s.params, runs["scenarios"]) for s in sim.scenarios()
    ]
    for x in noise_levels:
        name = sim.noise_scenario(x).name
        groups.append(Group("noise", name, name, sim.Params(), runs["noise"]))
    for s in sim.SWEEP_SCENARIOS:
        for gamma, q, tol in itertools.product(grid["gamma"], grid["q"], grid["tolerance_bps"]):
            p = sim.Params(gamma=gamma, q=q, tolerance_bps=tol)
            key = f"{s.name}/g{gamma:g}/q{q:g}/t{tol}"
            groups.append(Group("sweep", key, s.name, p, runs["sweep"]))
    for x in split["fractions"]:
        name = sim.split_scenario(x).name
        for gamma in split["gammas"]:
            p = sim.Params(gamma=gamma)
            groups.append(Group("split", f"{name}/g{gamma:g}", name, p, runs["split"]))
    return groups


# --- one run (in this process or a forked worker) ---------------------------

_WORLD = None
_REGISTRY: dict[str, sim.Scenario] = {}


def _world():
    global _WORLD
    if _WORLD is None:
        from .chain import World  # boa and the contracts: only when running

        _WORLD = World()
    return _WORLD


def execute(job: tuple[int, str, sim.Params, int]) -> dict[str, float]:
    seed, name, params, run = job
    scenario = _REGISTRY[name]
    base = sim.draw_base(random.Random(f"{seed}:base:{run}"))
    # Keyed on the scenario, not the parameters: a sweep's cells see the
    # same validator noise too.
    rng = random.Random(f"{seed}:{name}:{run}")
    spec = scenario.spec(base, rng, params)
    return sim.run_metrics(spec, _world().play(spec, rng))


def run_groups(groups: list[Group], seed: int, jobs: int) -> list[list[dict]]:
    _REGISTRY.update(registry())
    payload = [(seed, g.scenario, g.params, r) for g in groups for r in range(g.runs)]
    owner = [i for i, g in enumerate(groups) for _ in range(g.runs)]
    results: list[list[dict]] = [[] for _ in groups]
    left = [g.runs for g in groups]
    total = len(payload)
    start = time.perf_counter()
    t0 = time.perf_counter()
    _world()  # deploy before forking: the workers inherit the deployment
    print(f"deployed in {time.perf_counter() - t0:.1f}s; {total} runs on {jobs} process(es)")
    pool = None
    if jobs > 1:
        pool = multiprocessing.get_context("fork").Pool(jobs)
        it = pool.imap(execute, payload, chunksize=2)
    else:
        it = map(execute, payload)
    done = 0
    try:
        for i, metrics in zip(owner, it, strict=True):
            results[i].append(metrics)
            left[i] -= 1
            done += 1
            if left[i] == 0:
                _progress(groups[i], results[i], done, total, time.perf_counter() - start)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return results


def _progress(g: Group, runs: list[dict], done: int, total: int, elapsed: float) -> None:
    rho = summarize(r["rho_reward_per_stake"] for r in runs)["mean"]
    trust = summarize(r["trust_honest"] for r in runs)["mean"]
    eta = elapsed / done * (total - done)
    print(
        f"[{done:5d}/{total}] {elapsed:6.0f}s eta {eta:4.0f}s  {g.key:<34} "
        f"rho/stake {rho:5.2f}  honest trust {trust:4.2f}",
        flush=True,
    )


# --- aggregation and output ----------------------------------------------------


def _clean(x):
    """JSON-safe numbers: NaN -> null, floats to 6 significant digits."""
    if isinstance(x, float):
        return None if math.isnan(x) else float(f"{x:.6g}")
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    return x


def paired_gains(runs: list[dict], baseline: list[dict], focus) -> dict[str, list[float]]:
    """Per run i, a group's reward share over its share in the baseline
    scenario's run i (same true losses and stakes): 1 = no gain."""
    out: dict[str, list[float]] = {}
    # Trainer groups only: they hold the same stake in both scenarios.
    trainers = [g for g in focus if g.startswith("trainer.")]
    for g in [*trainers, *(f"cf.{g}" for g in trainers)]:
        key = f"{g}.reward_share"
        ratios = []
        for r, b in zip(runs, baseline, strict=False):
            x, y = r.get(key), b.get(key)
            ok = x is not None and y is not None and not math.isnan(x) and not math.isnan(y)
            ratios.append(x / y if ok and y > 0 else float("nan"))
        if any(not math.isnan(v) for v in ratios):
            out[f"{g}.gain"] = ratios
    return out


def _summary(values) -> dict:
    s = summarize(values)
    if s["nan"] == 0:
        del s["nan"]
    return s


def aggregate(runs: list[dict]) -> dict[str, dict]:
    keys = sorted({k for r in runs for k in r})
    return {k: _summary(r.get(k, float("nan")) for r in runs) for k in keys}


def _sources_digest() -> str:
    h = hashlib.sha256()
    files = [
        ROOT / "contracts" / "TaskManager.vy",
        *sorted((ROOT / "contracts" / "modules").glob("*.vy")),
    ]
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()


def build_results(groups, results, args, wall_s, grid, split) -> dict:
    reg = registry()
    out: dict = {
        "meta": {
            "generator": "python -m benchmarks.fairness" + (" --quick" if args.quick else ""),
            "seed": args.seed,
            "runs": {s: next((g.runs for g in groups if g.section == s), 0) for s in FULL_RUNS},
            "wall_s": round(wall_s, 1),
            "jobs": args.jobs,
            "contracts_sha256": _sources_digest(),
            "defaults": sim.Params().as_dict(),
            "grid": grid,
            "split": split,
            "world": {
                "trainers": sim.N_TRAINERS,
                "validators": sim.N_VALIDATORS,
                "loss_range_bpb": list(sim.LOSS_RANGE),
                "stake_range_tokens": list(sim.STAKE_RANGE),
                "honest_noise_bps": sim.HONEST_NOISE_BPS,
                "sybil_stake_tokens": sim.SYBIL_STAKE,
                "reward_tokens": 1_000,
                "protocol_fee_bps": 500,
                "score_scale": sim.SCALE,
            },
            "ci": "mean +- ci95: half-width of the 95% confidence interval of the mean (Student t)",
        },
        "scenarios": [],
        "noise": [],
        "sweep": {s.name: [] for s in sim.SWEEP_SCENARIOS},
        "split": [],
    }
    by_name = {g.key: r for g, r in zip(groups, results, strict=True) if g.section == "scenarios"}
    sweep_runs = {
        (g.scenario, g.params): r
        for g, r in zip(groups, results, strict=True)
        if g.section == "sweep"
    }
    for g, runs in zip(groups, results, strict=True):
        sc = reg[g.scenario]
        row = {"name": g.key, "runs": len(runs), "params": g.params.as_dict()}
        if g.section == "scenarios":
            row.update(title=sc.title, family=sc.family, focus=list(sc.focus))
            row["metrics"] = aggregate(runs)
            if sc.baseline in by_name:
                row["baseline"] = sc.baseline
                gains = paired_gains(runs, by_name[sc.baseline], sc.focus)
                row["metrics"].update({k: _summary(v) for k, v in gains.items()})
            out["scenarios"].append(row)
        elif g.section == "noise":
            row["noise_bps"] = float(g.key.split("_", 1)[1])
            row["metrics"] = _slim(aggregate(runs))
            out["noise"].append(row)
        elif g.section == "split":
            row["trainer_fraction"] = float(g.scenario.split("_", 1)[1])
            row["metrics"] = _slim(aggregate(runs))
            out["split"].append(row)
        else:
            row.update(title=sc.title, focus=list(sc.focus))
            row["metrics"] = aggregate(runs)
            base = sweep_runs.get((sc.baseline, g.params))
            if base is not None:
                row["baseline"] = sc.baseline
                gains = paired_gains(runs, base, sc.focus)
                row["metrics"].update({k: _summary(v) for k, v in gains.items()})
            row["metrics"] = _slim(row["metrics"], sc.focus)
            out["sweep"][g.scenario].append(row)
    return _clean(out)


_SLIM_SUFFIXES = (".advantage", ".relative", ".gain", ".reward_share", ".stake_share", ".trust")


def _slim(metrics: dict, focus=()) -> dict:
    """Sweep, noise and split cells keep the task-wide metrics and their
    focus groups' shares, each as its mean and CI (the number of runs is the
    row's)."""
    return {
        k: {f: v[f] for f in ("mean", "ci95", "nan") if f in v}
        for k, v in metrics.items()
        if "." not in k
        or (k.startswith(tuple(f"{g}." for g in focus)) and k.endswith(_SLIM_SUFFIXES))
    }


def dumps(data: dict) -> str:
    """Indented JSON with each metric summary on one line."""
    leaves: list[str] = []

    def pack(x):
        if isinstance(x, dict) and x and set(x) <= {"mean", "sd", "ci95", "n", "nan"}:
            leaves.append(json.dumps(x, allow_nan=False))
            return f"@@{len(leaves) - 1}@@"
        if isinstance(x, dict):
            return {k: pack(v) for k, v in x.items()}
        if isinstance(x, list):
            return [pack(v) for v in x]
        return x

    text = json.dumps(pack(data), indent=1, allow_nan=False)
    return re.sub(r'"@@(\d+)@@"', lambda m: leaves[int(m.group(1))], text) + "\n"


def write_json(path: Path, data: dict) -> None:
    """Atomic: a temporary file in the same folder, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(dumps(data))
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.fairness", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument(
        "--quick", action="store_true", help="a small smoke run; writes nothing unless --out"
    )
    ap.add_argument("--runs", type=int, help="runs per scenario (default 32; quick 2)")
    ap.add_argument("--noise-runs", type=int, help="runs per noise level (default 20)")
    ap.add_argument("--sweep-runs", type=int, help="runs per sweep cell (default 8)")
    ap.add_argument(
        "--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes"
    )
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", type=Path, help=f"results JSON (default {RESULTS.relative_to(ROOT)})")
    ap.add_argument("--img", type=Path, help=f"chart folder (default {IMG.relative_to(ROOT)})")
    ap.add_argument("--no-charts", action="store_true")
    ap.add_argument(
        "--render", action="store_true", help="only redraw charts and print tables from --out"
    )
    args = ap.parse_args(argv)

    from . import report, svg

    out = args.out or (None if args.quick else RESULTS)
    img = args.img or (None if args.quick or args.no_charts else IMG)
    if args.render:
        data = json.loads((out or RESULTS).read_text())
        if img:
            for p in svg.write_charts(data, img):
                print(f"wrote {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}")
        print(report.markdown(data))
        return 0

    runs = dict(QUICK_RUNS if args.quick else FULL_RUNS)
    for key, value in (
        ("scenarios", args.runs),
        ("noise", args.noise_runs),
        ("sweep", args.sweep_runs),
    ):
        if value is not None:
            runs[key] = value
    grid = QUICK_GRID if args.quick else GRID
    noise_levels = QUICK_NOISE if args.quick else sim.NOISE_LEVELS
    split = (
        QUICK_SPLIT
        if args.quick
        else {"fractions": sim.SPLIT_FRACTIONS, "gammas": sim.SPLIT_GAMMAS}
    )
    groups = plan(runs, grid, noise_levels, split)

    start = time.perf_counter()
    results = run_groups(groups, args.seed, max(1, args.jobs))
    wall = time.perf_counter() - start
    data = build_results(groups, results, args, wall, grid, split)
    print(f"\n{sum(len(r) for r in results)} runs in {wall:.0f}s")
    if out:
        write_json(out, data)
        print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    if img:
        for p in svg.write_charts(data, img):
            print(f"wrote {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}")
    print()
    print(report.markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
