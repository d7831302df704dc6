"""Validator bounds: what each hostile artifact costs a validator, case by case.

Run from the repository root with `python -m benchmarks.validator_bounds`
(`make bench-validator`). Every case runs in a fresh Python process, so its
peak memory is its own: the child builds the case, imports torch and the
node, builds a `TaskScorer` (the `classify` kind, a demo eval set from
`ClassifyKind().build_demo_data`, CPU), resets its peak-RSS mark
(/proc/self/clear_refs), and scores the case's submission through
`TaskScorer.score`: fetch from a `LocalStore` in a temporary folder, the
manifest and folder rules, then the kind's `score_model`. It records the
outcome (valid or invalid), the reason, the wall seconds of `score`, the
RSS just before it, the peak (`getrusage(RUSAGE_SELF).ru_maxrss`) and the
difference. The honest model (a few training steps, put into the store by
a setup process) is the baseline, as the process's first scoring (`honest`:
torch's first-use allocations included) and as a second one (`honest_warm`).
The cases marked warm score the honest model once, unmeasured, before their
own measured call, so they compare with `honest_warm`; the others are
refused before any torch work and compare with either.

The eval-set cases hand a decompression-bomb NPZ to `TaskScorer` as the eval
set: there the measured call is the constructor (which reads the eval set),
and the expected outcome the kind's `DataError`. Their children run under
`RLIMIT_AS` = 4 GiB, so a reader that unpacks the bomb fails with a
MemoryError instead of taking the machine.

The parent process imports neither torch nor the node, so what a child
inherits at its start stays small. Writes benchmarks/results/validator.json
(atomically) and prints the table.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ape_arena.files import write_json_atomically
from benchmarks.machine import machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

# The task: a small classify task; the honest model is an MLP trained a few steps.
TASK = {"max_params": 5_000, "in_dim": 4, "n_classes": 3, "eval_batch_size": 32}
CHOICES = {"steps": 3, "batch_size": 16, "hidden": [8]}
DEMO_EXAMPLES = 200
DEEP = 50_000
# Deep enough to recurse out of `json` (~1,000 levels), small enough for a 64 KiB config.
DEEP_SMALL = 30_000
LONG_NAME_CHARS = 10_000
LEGAL_8MB_TENSORS = 150_000
# The eval-set bombs: what their members declare, unpacked.
BOMB_BYTES = 2_500_000_000
# Over the 512 MiB the classify kind allows an eval set on disk, under the
# 2 GiB `read_npz` allows by default: shows which bound applies unpacked.
BOMB_MID_BYTES = 600_000_000
BOMB_AS_LIMIT = 4 << 30
CASE_TIMEOUT_S = 120
MIB = 1 << 20


# --- what a child measures -------------------------------------------------------------------


def vm_rss_kib() -> int:
    """This process's resident set now, in KiB (0 where /proc is missing)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    """Reset this process's peak-RSS mark to its RSS now (Linux 4.0+); whether it worked."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_kib() -> int:
    """`ru_maxrss` of this process: KiB on Linux, bytes on macOS."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


# --- building the cases (stdlib, numpy and safetensors only: no torch yet) -------------------


@dataclass(frozen=True)
class Setup:
    """What the setup process made: the eval set, the honest model and its place in the store."""

    work: Path
    honest_hash: str
    honest_uri: str

    @property
    def eval_dir(self) -> Path:
        return self.work / "data" / "eval"

    @property
    def honest_dir(self) -> Path:
        return self.work / "honest"

    @property
    def store_dir(self) -> Path:
        return self.work / "store"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def manifest_of(files: dict[str, bytes]) -> bytes:
    """The canonical manifest of {path: bytes}."""
    entries = [
        {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for path, data in sorted(files.items())
    ]
    document = {"version": 1, "files": entries}
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def stored_by_hand(store_dir: Path, files: dict[str, bytes]) -> tuple[str, str]:
    """Files written straight into a store's folder (manifest.json included): (hash, uri)."""
    digest = hashlib.sha256(files["manifest.json"]).hexdigest()
    folder = store_dir / digest
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    return digest, folder.as_uri()


def honest_copy(setup: Setup, folder: Path) -> Path:
    """A copy of the honest model's files, to break."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "model.safetensors"):
        shutil.copyfile(setup.honest_dir / name, folder / name)
    return folder


def published(setup: Setup, folder: Path) -> tuple[str, str]:
    """Put a folder into the store the honest way (`LocalStore.put`): (hash, uri)."""
    from ape_arena.artifacts import LocalStore

    digest, uri = LocalStore(setup.store_dir).put(folder)
    return digest.hex(), uri


def with_weights(setup: Setup, case: Path, weights: bytes) -> tuple[str, str]:
    """The honest config with `weights` as model.safetensors, published."""
    folder = honest_copy(setup, case / "model")
    (folder / "model.safetensors").write_bytes(weights)
    return published(setup, folder)


def safetensors_bytes(header: bytes, data: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + data


def empty_tensors_header(count: int, name_chars: int = 0) -> bytes:
    """A header of `count` F32 tensors of shape [0] (no data), names padded to `name_chars`."""
    entry = '"{}":{{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}'
    names = (f"t{i:05d}".ljust(name_chars, "x") for i in range(count))
    return ("{" + ",".join(entry.format(name) for name in names) + "}").encode()


def build_honest(setup: Setup, case: Path) -> tuple[str, str]:
    return setup.honest_hash, setup.honest_uri


def build_manifest_nested(setup: Setup, case: Path) -> tuple[str, str]:
    manifest = ('{"files":' + nested(DEEP) + ',"version":1}').encode()
    return stored_by_hand(case / "store", {"manifest.json": manifest})


def build_header_nested(setup: Setup, case: Path) -> tuple[str, str]:
    header = ('{"a":' + nested(DEEP) + "}").encode()
    return with_weights(setup, case, safetensors_bytes(header))


def build_config_nested(setup: Setup, case: Path) -> tuple[str, str]:
    folder = honest_copy(setup, case / "model")
    (folder / "config.json").write_text('{"arch": "mlp", "x": ' + nested(DEEP_SMALL) + "}")
    return published(setup, folder)


def build_metadata_nested(setup: Setup, case: Path) -> tuple[str, str]:
    folder = honest_copy(setup, case / "model")
    (folder / "metadata.json").write_text('{"x": ' + nested(DEEP_SMALL) + "}")
    return published(setup, folder)


def build_named_pipe(setup: Setup, case: Path) -> tuple[str, str]:
    files = {"config.json": b'{"arch": "mlp"}', "model.safetensors": b"\0" * 64}
    digest, uri = stored_by_hand(case / "store", {**files, "manifest.json": manifest_of(files)})
    weights = case / "store" / digest / "model.safetensors"
    weights.unlink()
    os.mkfifo(weights)
    return digest, uri


def build_legal_8mb_header(setup: Setup, case: Path) -> tuple[str, str]:
    header = empty_tensors_header(LEGAL_8MB_TENSORS)
    return with_weights(setup, case, safetensors_bytes(header))


def build_largest_header(setup: Setup, case: Path) -> tuple[str, str]:
    """MAX_TENSORS empty tensors, names as long as fit, padded with spaces to MAX_HEADER_BYTES.

    Every header check passes (names, count, dtypes, offsets, the library's
    own parse); the tensors then do not match the MLP config.
    """
    from ape_arena.model_rules import MAX_HEADER_BYTES, MAX_TENSOR_NAME_CHARS, MAX_TENSORS

    per_entry = len(empty_tensors_header(1)) - 2 - len("t00000") + 1  # the comma
    name_chars = min(MAX_TENSOR_NAME_CHARS, (MAX_HEADER_BYTES - 2) // MAX_TENSORS - per_entry)
    header = empty_tensors_header(MAX_TENSORS, name_chars)
    header += b" " * (MAX_HEADER_BYTES - len(header))
    if len(header) != MAX_HEADER_BYTES:
        raise RuntimeError(f"the header is {len(header):,} bytes, not {MAX_HEADER_BYTES:,}")
    return with_weights(setup, case, safetensors_bytes(header))


def build_largest_header_honest(setup: Setup, case: Path) -> tuple[str, str]:
    """The honest model's own tensors, its header padded with spaces to MAX_HEADER_BYTES."""
    from ape_arena.model_rules import MAX_HEADER_BYTES

    raw = (setup.honest_dir / "model.safetensors").read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = raw[8 : 8 + length].rstrip(b" ")
    header += b" " * (MAX_HEADER_BYTES - len(header))
    return with_weights(setup, case, safetensors_bytes(header, raw[8 + length :]))


def build_long_name(setup: Setup, case: Path) -> tuple[str, str]:
    """One tensor whose 10,000-character name is full of terminal escapes and controls."""
    import numpy as np
    from safetensors.numpy import save_file

    pattern = "\x1b[31m\u202e\x07\r\n\t\x00A"
    name = (pattern * (LONG_NAME_CHARS // len(pattern) + 1))[:LONG_NAME_CHARS]
    folder = honest_copy(setup, case / "model")
    save_file({name: np.zeros(2, dtype=np.float32)}, str(folder / "model.safetensors"))
    return published(setup, folder)


def deflated_npz(path: Path, total_bytes: int, in_dim: int) -> dict[str, int]:
    """An NPZ of zeros, X (n, in_dim) float32 and y (n,) int64, deflated as it is written."""
    import numpy as np
    from numpy.lib import format as npy_format

    rows = total_bytes // (4 * in_dim + 8)
    members = {
        "X.npy": {"descr": "<f4", "fortran_order": False, "shape": (rows, in_dim)},
        "y.npy": {"descr": "<i8", "fortran_order": False, "shape": (rows,)},
    }
    sizes = {"X.npy": rows * in_dim * 4, "y.npy": rows * 8}
    path.parent.mkdir(parents=True, exist_ok=True)
    zeros = bytes(MIB)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, header in members.items():
            with archive.open(name, "w", force_zip64=True) as member:
                buffer = _npy_header(np, npy_format, header)
                member.write(buffer)
                left = sizes[name]
                while left:
                    step = min(left, MIB)
                    member.write(zeros[:step])
                    left -= step
    with zipfile.ZipFile(path) as archive:
        declared = sum(info.file_size for info in archive.infolist())
    return {"declared_bytes": declared, "rows": rows}


def _npy_header(np: Any, npy_format: Any, header: dict[str, Any]) -> bytes:
    import io

    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    build: Callable[[Setup, Path], Any]
    eval_set: bool = False
    """The case is an eval set (the measured call is the TaskScorer), not a submission."""
    warm: bool = False
    """Score the honest model once, unmeasured, before the measured call."""


CASES: list[Case] = [
    Case("honest", "the honest model (baseline), the process's first scoring", build_honest),
    Case(
        "honest_warm",
        "the honest model again, after a first scoring in the same process",
        build_honest,
        warm=True,
    ),
    Case("manifest_nested_50k", "manifest.json nested 50,000 levels", build_manifest_nested),
    Case(
        "safetensors_header_nested_50k",
        "safetensors header nested 50,000 levels",
        build_header_nested,
    ),
    Case("config_nested_30k", "config.json nested 30,000 levels", build_config_nested),
    Case("metadata_nested_30k", "metadata.json nested 30,000 levels", build_metadata_nested),
    Case("named_pipe_weights", "model.safetensors a named pipe in the store", build_named_pipe),
    Case(
        "legal_8mb_header",
        f"a legal 8.4 MB header ({LEGAL_8MB_TENSORS:,} empty F32 tensors)",
        build_legal_8mb_header,
    ),
    Case(
        "largest_allowed_header",
        "the largest header allowed: MAX_HEADER_BYTES, MAX_TENSORS empty tensors, "
        "after a first scoring",
        build_largest_header,
        warm=True,
    ),
    Case(
        "largest_allowed_header_honest",
        "the honest tensors, header padded to MAX_HEADER_BYTES, after a first scoring",
        build_largest_header_honest,
        warm=True,
    ),
    Case(
        "tensor_name_10k_escapes",
        f"a {LONG_NAME_CHARS:,}-character tensor name of escapes and controls",
        build_long_name,
    ),
    Case(
        "npz_bomb_2_5gb",
        "eval set: deflated NPZ declaring 2.5 GB",
        lambda setup, case: deflated_npz(case / "eval" / "data.npz", BOMB_BYTES, TASK["in_dim"]),
        eval_set=True,
    ),
    Case(
        "npz_bomb_600mb",
        "eval set: deflated NPZ declaring 600 MB (over the 512 MiB eval bound on disk)",
        lambda setup, case: deflated_npz(
            case / "eval" / "data.npz", BOMB_MID_BYTES, TASK["in_dim"]
        ),
        eval_set=True,
    ),
]
BY_NAME = {case.name: case for case in CASES}


# --- the children ----------------------------------------------------------------------------


def child_setup(work: Path, out: Path) -> None:
    """Demo eval set, an honest model trained a few steps, put into the store."""
    import torch

    from ape_arena.artifacts import LocalStore
    from ape_arena.kinds.classify import ClassifyKind

    kind = ClassifyKind()
    kind.build_demo_data(work / "data", seed=1, size=DEMO_EXAMPLES, kind_params=TASK)
    kind.train(work / "data" / "train", work / "honest", CHOICES, "cpu", kind_params=TASK)
    digest, uri = LocalStore(work / "store").put(work / "honest")
    record = {
        "honest_hash": digest.hex(),
        "honest_uri": uri,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }
    out.write_text(json.dumps(record))


def child_case(name: str, work: Path, out: Path) -> None:
    """Build one case, then score it (or read it as the eval set) and measure."""
    case = BY_NAME[name]
    if case.eval_set:
        resource.setrlimit(resource.RLIMIT_AS, (BOMB_AS_LIMIT, BOMB_AS_LIMIT))
    saved = json.loads((work / "setup.json").read_text())
    setup = Setup(work, saved["honest_hash"], saved["honest_uri"])
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=work))
    started = time.perf_counter()
    built = case.build(setup, folder)
    build_s = time.perf_counter() - started

    from ape_arena.kinds.base import DataError
    from ape_arena.kinds.classify import ClassifyKind
    from ape_arena.node.scoring import Submission, TaskScorer
    from ape_arena.untrusted import MAX_REASON_CHARS, clip

    record: dict[str, Any] = {"case": name, "what": case.what, "build_s": round(build_s, 3)}
    downloads = folder / "downloads"
    if case.eval_set:
        record.update(built)
        record["on_disk_bytes"] = (folder / "eval" / "data.npz").stat().st_size
        record["rlimit_as_bytes"] = BOMB_AS_LIMIT
        record["peak_reset"] = reset_peak_rss()
        before = vm_rss_kib()
        peak_before = peak_rss_kib()
        started = time.perf_counter()
        try:
            TaskScorer(ClassifyKind(), TASK, folder / "eval", downloads, "cpu")
        except DataError as error:
            record.update(outcome="DataError", reason=clip(error, MAX_REASON_CHARS))
            record["reason_chars"] = len(str(error))
        except Exception as error:  # a MemoryError under the cap, or anything unforeseen
            record.update(outcome=type(error).__name__, reason=clip(error, MAX_REASON_CHARS))
            record["reason_chars"] = len(str(error))
        else:
            record.update(outcome="accepted", reason=None)
        seconds = time.perf_counter() - started
    else:
        digest, uri = built
        scorer = TaskScorer(ClassifyKind(), TASK, setup.eval_dir, downloads, "cpu")
        submission = Submission("0xcase", bytes.fromhex(digest), uri)
        if case.warm:
            honest = Submission("0xhonest", bytes.fromhex(setup.honest_hash), setup.honest_uri)
            if not scorer.score(honest).valid:
                raise RuntimeError("the honest model did not score")
        record["peak_reset"] = reset_peak_rss()
        before = vm_rss_kib()
        peak_before = peak_rss_kib()
        started = time.perf_counter()
        result = scorer.score(submission)
        seconds = time.perf_counter() - started
        record.update(
            outcome="valid" if result.valid else "invalid",
            reason=result.reason,
            reason_chars=None if result.reason is None else len(result.reason),
            metric=result.metric,
        )
    peak = peak_rss_kib()
    record.update(
        seconds=round(seconds, 4),
        rss_before_mib=round(before / 1024, 1),
        peak_rss_before_mib=round(peak_before / 1024, 1),
        peak_rss_mib=round(peak / 1024, 1),
        peak_rss_delta_mib=round((peak - before) / 1024, 1),
    )
    out.write_text(json.dumps(record))


# --- the parent ------------------------------------------------------------------------------


def spawn(args: list[str], out: Path, timeout_s: float) -> tuple[dict[str, Any] | None, str]:
    """Run this module as a child with `args`; its JSON record (None if it failed) and a note."""
    command = [sys.executable, "-m", "benchmarks.validator_bounds", *args, "--out", str(out)]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return None, f"timeout: killed after {timeout_s:g} s"
    took = time.perf_counter() - started
    if done.returncode != 0 or not out.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return None, f"exit {done.returncode} after {took:.1f} s: {' | '.join(tail)}"
    return json.loads(out.read_text()), f"{took:.1f} s"


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"\n{'case':<31} {'outcome':<10} {'seconds':>8} {'RSS before':>10} {'peak':>8} "
        f"{'delta':>8}  reason (MiB for RSS)"
    )
    for row in rows:
        if "seconds" not in row:
            print(f"{row['case']:<31} {row['outcome']:<10} {row['reason']}")
            continue
        reason = row["reason"] or ""
        reason = reason if len(reason) <= 70 else reason[:67] + "..."
        print(
            f"{row['case']:<31} {row['outcome'][:10]:<10} {row['seconds']:>8.3f} "
            f"{row['rss_before_mib']:>10.1f} {row['peak_rss_mib']:>8.1f} "
            f"{row['peak_rss_delta_mib']:>8.1f}  {reason}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=RESULTS / "validator.json")
    parser.add_argument("--cases", nargs="*", help="run only these cases (default: all)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "setup":
        child_setup(args.work, args.out)
        return 0
    if args.child:
        child_case(args.child, args.work, args.out)
        return 0

    names = args.cases or [case.name for case in CASES]
    unknown = sorted(set(names) - BY_NAME.keys())
    if unknown:
        parser.error(f"unknown cases {unknown}; known: {', '.join(BY_NAME)}")
    started = time.monotonic()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-validator-") as folder:
        work = Path(folder)
        setup, note = spawn(["--child", "setup", "--work", str(work)], work / "setup.json", 300)
        if setup is None:
            print(f"setup failed: {note}", file=sys.stderr)
            return 1
        print(f"setup: demo eval set, honest model trained and stored ({note})", flush=True)
        for name in names:
            out = work / f"{name}.json"
            row, note = spawn(["--child", name, "--work", str(work)], out, CASE_TIMEOUT_S + 60)
            if row is None:
                row = {
                    "case": name,
                    "what": BY_NAME[name].what,
                    "outcome": "failed",
                    "reason": note,
                }
            print(f"  {name}: {row['outcome']} ({note})", flush=True)
            rows.append(row)
    record = {
        "generator": "python -m benchmarks.validator_bounds",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "torch": setup["torch"],
        "torch_threads": setup["torch_threads"],
        "task": {"kind": "classify", "kind_params": TASK, "demo_examples": DEMO_EXAMPLES},
        "honest_model": {"choices": CHOICES},
        "method": (
            "one fresh process per case: build the case, import torch and the node, build the "
            "TaskScorer (for an eval-set case that is the measured call), reset the peak-RSS "
            "mark (/proc/self/clear_refs), then TaskScorer.score; seconds is the measured "
            "call's wall time; rss_before is VmRSS just before it, peak_rss is ru_maxrss after "
            "it, delta their difference"
        ),
        "wall_seconds": round(time.monotonic() - started, 1),
        "cases": rows,
    }
    write_json_atomically(args.output, record)
    print_table(rows)
    print(f"written to {args.output} in {record['wall_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
