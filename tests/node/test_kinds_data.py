"""Reading users' data files and building the demo data sets."""

import importlib.util
import json

import numpy as np
import pytest

from ape_arena.kinds.base import DataError
from ape_arena.kinds.classify import ClassifyKind
from ape_arena.kinds.data import write_npz
from ape_arena.kinds.lm import LMKind

lm, classify = LMKind(), ClassifyKind()


# -- lm ----------------------------------------------------------------------


def test_lm_reads_text_byte_for_byte(tmp_path):
    raw = "héllo\r\nworld\x00".encode() + b"\xff"
    (tmp_path / "a.txt").write_bytes(raw)
    assert lm.load_user_data(tmp_path / "a.txt") == raw


def test_lm_reads_jsonl_and_csv_text_fields(tmp_path):
    (tmp_path / "docs.jsonl").write_text(
        json.dumps({"text": "first", "id": 1}) + "\n\n" + json.dumps({"text": "sécond"}) + "\n"
    )
    assert lm.load_user_data(tmp_path / "docs.jsonl") == "first\nsécond".encode()
    (tmp_path / "docs.csv").write_text('text,source\n"one, two",x\nthree,y\n')
    assert lm.load_user_data(tmp_path / "docs.csv") == b"one, two\nthree"


def test_lm_reads_a_folder_in_name_order(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"B")
    (tmp_path / "a.txt").write_bytes(b"A")
    (tmp_path / ".hidden.txt").write_bytes(b"H")
    (tmp_path / "notes.md").write_bytes(b"M")
    assert lm.load_user_data(tmp_path) == b"A\nB"


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("data.bin", b"x", "unsupported file type .bin"),
        ("docs.jsonl", b'{"text": "ok"}\n{"txt": "no"}\n', 'line 2: needs a string "text"'),
        ("docs.jsonl", b'{"text": "ok"}\n{oops\n', "line 2: not valid JSON"),
        ("docs.jsonl", b"[1, 2]\n", "line 1: expected a JSON object"),
        ("docs.csv", b"body\nx\n", 'needs a "text" column'),
    ],
)
def test_lm_data_errors(tmp_path, name, content, fragment):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DataError, match=fragment):
        lm.load_user_data(tmp_path / name)


def test_data_size_is_bounded_before_reading(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"x" * 1000)
    with pytest.raises(DataError, match="1,000 bytes of data, over the 999 allowed"):
        lm.load_user_data(tmp_path, max_bytes=999)


def test_missing_and_empty_paths(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        lm.load_user_data(tmp_path / "nope")
    with pytest.raises(DataError, match="holds no data file"):
        lm.load_user_data(tmp_path)


@pytest.mark.skipif(
    importlib.util.find_spec("pyarrow") or importlib.util.find_spec("fastparquet"),
    reason="a Parquet engine is installed",
)
def test_parquet_without_engine_says_what_to_install(tmp_path):
    (tmp_path / "docs.parquet").write_bytes(b"PAR1")
    with pytest.raises(DataError, match="run `pip install pyarrow`"):
        lm.load_user_data(tmp_path / "docs.parquet")


def test_lm_demo_corpus_is_deterministic(tmp_path):
    first = lm.build_demo_data(tmp_path / "a", seed=3, size=50_000)
    second = lm.build_demo_data(tmp_path / "b", seed=3, size=50_000)
    other = lm.build_demo_data(tmp_path / "c", seed=4, size=50_000)
    for split, size in (("train", 45_000), ("eval", 5_000)):
        data = (first / split / "corpus.txt").read_bytes()
        assert len(data) == size
        assert data == (second / split / "corpus.txt").read_bytes()
        assert data != (other / split / "corpus.txt").read_bytes()
    # Python source, from the standard library.
    assert b"def " in (first / "train" / "corpus.txt").read_bytes()


# -- classify ----------------------------------------------------------------

X = np.array([[0.5, 1.0], [2.0, -1.0], [0.0, 0.25]], dtype=np.float32)
Y = np.array([1, 0, 1])


def _same(loaded):
    features, labels = loaded
    assert features.dtype == np.float32 and labels.dtype == np.int64
    np.testing.assert_array_equal(features, X)
    np.testing.assert_array_equal(labels, Y)


def test_classify_reads_npz(tmp_path):
    np.savez(tmp_path / "d.npz", X=X, y=Y)
    _same(classify.load_user_data(tmp_path / "d.npz"))


def test_classify_reads_jsonl(tmp_path):
    lines = [
        json.dumps({"features": x.tolist(), "label": int(y)}) for x, y in zip(X, Y, strict=True)
    ]
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n")
    _same(classify.load_user_data(tmp_path / "d.jsonl"))


def test_classify_reads_csv(tmp_path):
    rows = "\n".join(f"{a},{y},{b}" for (a, b), y in zip(X, Y, strict=True))
    (tmp_path / "d.csv").write_text("f0,label,f1\n" + rows + "\n")
    _same(classify.load_user_data(tmp_path / "d.csv"))


def test_classify_joins_the_files_of_a_folder(tmp_path):
    np.savez(tmp_path / "1.npz", X=X[:2], y=Y[:2])
    np.savez(tmp_path / "2.npz", X=X[2:], y=Y[2:])
    _same(classify.load_user_data(tmp_path))


@pytest.mark.parametrize(
    "arrays, fragment",
    [
        ({"X": X}, 'needs arrays "X" and "y"'),
        ({"X": X, "y": Y.astype(np.float32)}, "labels must be integers"),
        ({"X": X[:, 0], "y": Y}, "2-D table"),
        ({"X": X, "y": Y[:2]}, r"\(2,\) labels for 3 examples"),
        ({"X": np.where(X > 1, np.nan, X), "y": Y}, "NaN or infinite"),
        ({"X": np.array([["a", "b"]] * 3), "y": Y}, "features must be numbers"),
        ({"X": np.array([[object()] * 2] * 3, dtype=object), "y": Y}, "allow_pickle"),
    ],
    ids=["no-y", "float-labels", "1d", "count", "nan", "strings", "pickled-objects"],
)
def test_classify_data_errors(tmp_path, arrays, fragment):
    np.savez(tmp_path / "d.npz", **arrays)
    with pytest.raises(DataError, match=fragment):
        classify.load_user_data(tmp_path / "d.npz")


def test_classify_files_must_agree_on_width(tmp_path):
    np.savez(tmp_path / "1.npz", X=X, y=Y)
    np.savez(tmp_path / "2.npz", X=np.zeros((1, 3), np.float32), y=np.zeros(1, np.int64))
    with pytest.raises(DataError, match="disagree on the number of features"):
        classify.load_user_data(tmp_path)


def test_classify_demo_is_deterministic_to_the_byte(tmp_path):
    params = {"in_dim": 3, "n_classes": 5}
    classify.build_demo_data(tmp_path / "a", seed=7, size=100, kind_params=params)
    classify.build_demo_data(tmp_path / "b", seed=7, size=100, kind_params=params)
    for split, count in (("train", 80), ("eval", 20)):
        blob = (tmp_path / "a" / split / "data.npz").read_bytes()
        assert blob == (tmp_path / "b" / split / "data.npz").read_bytes()
        features, labels = classify.load_user_data(tmp_path / "a" / split)
        assert features.shape == (count, 3)
        assert labels.min() >= 0 and labels.max() < 5


def test_write_npz_is_read_back_by_numpy(tmp_path):
    write_npz(tmp_path / "d.npz", {"X": X, "y": Y})
    with np.load(tmp_path / "d.npz", allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["X"], X)
        np.testing.assert_array_equal(archive["y"], Y)
