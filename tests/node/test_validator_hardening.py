"""No artifact can crash, hang or exhaust a validator: each attack below is
scored INVALID with a short reason, and the honest submission after it is
still scored. Everything goes through `TaskScorer`, the path behind
`Validator.score_all` (`ape arena validate` and `ape arena node`)."""

import hashlib
import json
import os
import struct
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from safetensors.torch import save_file

from ape_arena.artifacts import ArtifactError, LocalStore
from ape_arena.kinds.base import DataError
from ape_arena.kinds.classify import ClassifyKind
from ape_arena.kinds.lm import LMKind
from ape_arena.model_rules import MAX_HEADER_BYTES, MAX_TENSORS
from ape_arena.node.scoring import Submission, TaskScorer
from ape_arena.untrusted import MAX_REASON_CHARS

TASK = {"max_params": 5_000, "in_dim": 4, "n_classes": 3, "eval_batch_size": 32}
CHOICES = {"steps": 3, "batch_size": 16, "hidden": [8]}
DEEP = 50_000
# Deep enough to recurse out of `json` (~1,000 levels), small enough for a 64 KiB config.
DEEP_SMALL = 30_000
classify = ClassifyKind()


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    """A demo eval set, a store, and an honest model in it."""
    root = tmp_path_factory.mktemp("arena")
    classify.build_demo_data(root / "data", seed=1, size=200, kind_params=TASK)
    classify.train(root / "data" / "train", root / "honest", CHOICES, "cpu", kind_params=TASK)
    store = LocalStore(root / "store")
    honest = Submission("0xhonest", *store.put(root / "honest"))
    return root, store, honest


@pytest.fixture
def scorer(arena, tmp_path):
    root, _, _ = arena
    return TaskScorer(classify, TASK, root / "data" / "eval", tmp_path / "downloads", "cpu")


def honest_copy(arena, folder):
    """A copy of the honest model's files in `folder`, to break."""
    root, _, _ = arena
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "model.safetensors"):
        (folder / name).write_bytes((root / "honest" / name).read_bytes())
    return folder


def published(store, folder):
    return Submission("0xattacker", *store.put(folder))


def stored_by_hand(store, files):
    """An artifact written straight into the store's folder: {path: bytes}, manifest included."""
    manifest = files["manifest.json"]
    digest = hashlib.sha256(manifest).digest()
    folder = store.root / digest.hex()
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    return Submission("0xattacker", digest, folder.as_uri())


def manifest_of(files):
    entries = [
        {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for path, data in sorted(files.items())
    ]
    return json.dumps({"version": 1, "files": entries}, sort_keys=True, separators=(",", ":"))


def nested(depth):
    return "[" * depth + "]" * depth


def assert_invalid_then_honest(scorer, bad, honest, fragment):
    result = scorer.score(bad)
    assert not result.valid, result
    assert fragment in result.reason
    assert len(result.reason) <= MAX_REASON_CHARS and result.reason.isprintable()
    assert scorer.score(honest).valid


# --- the attack cases, one named regression test each ---------------------------------------


def test_manifest_nested_50000_levels_is_invalid(arena, scorer):
    _, store, honest = arena
    manifest = ('{"files":' + nested(DEEP) + ',"version":1}').encode()
    bad = stored_by_hand(store, {"manifest.json": manifest})
    assert_invalid_then_honest(scorer, bad, honest, "nests deeper than 32 levels")


def test_safetensors_header_nested_50000_levels_is_invalid(arena, scorer, tmp_path):
    _, store, honest = arena
    folder = honest_copy(arena, tmp_path / "bad")
    header = ('{"a":' + nested(DEEP) + "}").encode()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    assert_invalid_then_honest(scorer, published(store, folder), honest, "nests deeper")


def test_config_nested_30000_levels_is_invalid(arena, scorer, tmp_path):
    _, store, honest = arena
    folder = honest_copy(arena, tmp_path / "bad")
    (folder / "config.json").write_text('{"arch": "mlp", "x": ' + nested(DEEP_SMALL) + "}")
    assert_invalid_then_honest(scorer, published(store, folder), honest, "nests deeper")


def test_metadata_nested_30000_levels_is_invalid(arena, scorer, tmp_path):
    _, store, honest = arena
    folder = honest_copy(arena, tmp_path / "bad")
    (folder / "metadata.json").write_text('{"x": ' + nested(DEEP_SMALL) + "}")
    assert_invalid_then_honest(scorer, published(store, folder), honest, "nests deeper")


def test_lm_kind_score_of_a_nested_config_is_invalid_not_an_exception(tmp_path):
    lm = LMKind()
    lm.build_demo_data(tmp_path / "data", size=400)
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"arch": "gpt", "n_layer": ' + nested(DEEP_SMALL) + "}")
    (model / "model.safetensors").write_bytes(b"\0" * 16)
    result = lm.score(model, tmp_path / "data" / "eval", {"block_size": 16}, "cpu")
    assert not result.valid and "nests deeper" in result.reason


def _in_a_thread(function, seconds=20.0):
    """Run `function` in a daemon thread; its result, or a failure if it does not end in time."""
    box = {}
    thread = threading.Thread(target=lambda: box.update(result=function()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the validator hung"
    return box["result"]


@pytest.mark.parametrize("which", ["model.safetensors", "manifest.json"])
def test_named_pipe_in_a_local_store_is_invalid_and_never_hangs(arena, scorer, tmp_path, which):
    _, _, honest = arena
    weights = b"\0" * 64
    config = b'{"arch": "mlp"}'
    files = {"config.json": config, "model.safetensors": weights}
    manifest = manifest_of(files).encode()
    attacker_store = LocalStore(tmp_path / "attacker-store")
    bad = stored_by_hand(attacker_store, {**files, "manifest.json": manifest})
    folder = attacker_store.root / bad.model_hash.hex()
    (folder / which).unlink()
    os.mkfifo(folder / which)
    result = _in_a_thread(lambda: scorer.score(bad))
    assert not result.valid and "not a regular file" in result.reason
    assert scorer.score(honest).valid


def test_a_legal_8_mb_safetensors_header_is_refused_unread(arena, scorer, tmp_path):
    _, store, honest = arena
    folder = honest_copy(arena, tmp_path / "bad")
    entry = '"t{}":{{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}'
    header = ("{" + ",".join(entry.format(i) for i in range(150_000)) + "}").encode()
    assert len(header) > 8_000_000
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    tracemalloc.start()
    try:
        result = scorer.score(published(store, folder))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not result.valid and "over the limit of" in result.reason
    assert len(result.reason) <= MAX_REASON_CHARS
    # Refused from the manifest's declared size: nothing near the header's size is held.
    assert peak < 4 << 20
    assert scorer.score(honest).valid


def test_the_largest_allowed_header_is_checked_and_refused_by_its_tensors(arena, scorer, tmp_path):
    """A header of just under MAX_HEADER_BYTES with more tensors than allowed."""
    _, store, honest = arena
    folder = honest_copy(arena, tmp_path / "bad")
    entry = '"t{}":{{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}'
    body = ",".join(entry.format(i) for i in range(MAX_TENSORS + 1))
    header = ("{" + body + "}").encode()
    header += b" " * (MAX_HEADER_BYTES - len(header))
    assert len(header) == MAX_HEADER_BYTES
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    assert_invalid_then_honest(
        scorer, published(store, folder), honest, f"more than {MAX_TENSORS:,} tensors"
    )


def test_attacker_text_in_a_reason_is_cut_and_escaped(arena, scorer, tmp_path):
    _, store, honest = arena
    folder = honest_copy(arena, tmp_path / "bad")
    name = "\x1b[31m\u202e" + "A" * 100_000
    save_file({name: torch.zeros(2)}, folder / "model.safetensors")
    result = scorer.score(published(store, folder))
    assert not result.valid
    assert len(result.reason) <= MAX_REASON_CHARS and result.reason.isprintable()
    assert "\x1b" not in result.reason and "AAAAAAAAAA" * 20 not in result.reason
    assert scorer.score(honest).valid


def test_a_model_artifact_with_extra_files_is_refused_before_download(arena, scorer, tmp_path):
    _, store, honest = arena
    folder = honest_copy(arena, tmp_path / "bad")
    (folder / "payload.bin").write_bytes(os.urandom(4096))
    result = scorer.score(published(store, folder))
    assert not result.valid and "refused: it holds unexpected files (payload.bin)" in result.reason
    downloads = tmp_path / "downloads"
    assert not downloads.exists() or not any(downloads.iterdir())
    assert scorer.score(honest).valid


def test_a_scoring_run_past_its_time_limit_is_invalid(arena, tmp_path):
    root, _, honest = arena
    slow = TaskScorer(
        classify, TASK, root / "data" / "eval", tmp_path / "dl", "cpu", score_timeout_s=1e-9
    )
    result = slow.score(honest)
    assert not result.valid and "scoring took longer than" in result.reason


def test_a_fetch_past_its_deadline_is_refused_and_leaves_nothing(arena, tmp_path):
    _, store, honest = arena
    with pytest.raises(ArtifactError, match="took longer than"):
        store.fetch(honest.uri, honest.model_hash, tmp_path / "dl", 1 << 20, timeout_s=0)
    assert not (tmp_path / "dl").exists() or not any((tmp_path / "dl").iterdir())


def test_a_bad_eval_set_is_one_error_for_the_task(tmp_path):
    bad = tmp_path / "eval"
    bad.mkdir()
    (bad / "data.jsonl").write_text('{"features": ' + nested(DEEP) + ', "label": 0}\n')
    with pytest.raises(DataError):
        TaskScorer(classify, TASK, bad, tmp_path / "dl", "cpu")


def test_an_npz_bomb_as_the_eval_set_is_one_error_for_the_task(tmp_path, monkeypatch):
    """The eval bound holds for what an NPZ decompresses to, not its size on disk."""
    import zipfile

    import numpy as np

    monkeypatch.setattr("ape_arena.kinds.classify.MAX_EVAL_BYTES", 1 << 20)
    bomb = tmp_path / "eval" / "data.npz"
    bomb.parent.mkdir()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in (("X", np.zeros((65_536, 4), np.float32)), ("y", np.zeros(65_536))):
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, array.astype(array.dtype))
    assert bomb.stat().st_size < 64 * 1024
    with pytest.raises(DataError, match="1,048,576"):
        TaskScorer(classify, TASK, bomb.parent, tmp_path / "dl", "cpu")


def test_the_eval_set_is_read_once_per_task(arena, tmp_path, monkeypatch):
    root, _, honest = arena
    reads = []
    real = ClassifyKind.load_user_data
    monkeypatch.setattr(
        ClassifyKind, "load_user_data", lambda self, *a, **k: reads.append(1) or real(self, *a, **k)
    )
    scorer = TaskScorer(classify, TASK, root / "data" / "eval", tmp_path / "dl", "cpu")
    first, second = scorer.score(honest), scorer.score(honest)
    assert first == second and first.valid
    assert len(reads) == 1


# --- whatever the bytes: INVALID or a score, never an exception -----------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)
headers = st.dictionaries(
    st.text(min_size=1, max_size=12),
    st.fixed_dictionaries(
        {
            "dtype": st.sampled_from(["F32", "F16", "BF16", "I64", "F64", "bogus"]),
            "shape": st.lists(st.integers(-2, 1 << 40), max_size=3),
            "data_offsets": st.lists(st.integers(-2, 1 << 40), min_size=0, max_size=3),
        }
    )
    | json_values,
    max_size=4,
)
files = st.fixed_dictionaries(
    {
        "model.safetensors": st.one_of(
            st.binary(max_size=512),
            st.tuples(headers, st.binary(max_size=256)).map(
                lambda pair: (lambda h: struct.pack("<Q", len(h)) + h + pair[1])(
                    json.dumps(pair[0]).encode()
                )
            ),
        ),
        "config.json": st.one_of(
            st.binary(max_size=256),
            json_values.map(lambda value: json.dumps(value).encode()),
            st.builds(
                lambda hidden, extra: json.dumps(
                    {"arch": "mlp", "in_dim": 4, "n_classes": 3, "hidden": hidden, **extra}
                ).encode(),
                st.lists(st.integers(-1, 64), max_size=3),
                st.dictionaries(st.text(max_size=6), json_values, max_size=2),
            ),
        ),
    },
    optional={"metadata.json": st.binary(max_size=64), "README.md": st.binary(max_size=64)},
)


@given(files=files, manifest=st.one_of(st.none(), st.binary(max_size=256)))
def test_random_artifacts_are_invalid_or_scored_never_an_exception(arena, files, manifest):
    root, _, _ = arena
    with tempfile.TemporaryDirectory() as scratch:
        _score_random_artifact(root, Path(scratch), files, manifest)


def _score_random_artifact(root, scratch, files, manifest):
    scorer = TaskScorer(classify, TASK, root / "data" / "eval", scratch / "downloads", "cpu")
    if manifest is None:
        manifest = manifest_of(files).encode()
    bad = stored_by_hand(LocalStore(scratch / "store"), {**files, "manifest.json": manifest})
    started = time.monotonic()
    tracemalloc.start()
    try:
        result = scorer.score(bad)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 30
    assert peak < 64 << 20
    if not result.valid:
        assert 0 < len(result.reason) <= MAX_REASON_CHARS and result.reason.isprintable()
