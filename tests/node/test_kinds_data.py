"""Reading users' data files and building the demo data sets."""

import io
import json
import re
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.lib import format as npy_format

from ape_arena.kinds.base import DataError
from ape_arena.kinds.classify import ClassifyKind
from ape_arena.kinds.data import iter_jsonl, read_npz, read_table, write_npz
from ape_arena.kinds.lm import LMKind

lm, classify = LMKind(), ClassifyKind()
MiB = 1 << 20


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
        ("docs.jsonl", b'{"text": "a", "text": "b"}\n', "line 1: .* repeats the key 'text'"),
        ("docs.jsonl", b'{"text": NaN}\n', "line 1: .* holds NaN"),
        ("docs.jsonl", b'{"text": "\xff"}\n', "line 1: .* not UTF-8"),
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


def test_parquet_without_engine_says_what_to_install(tmp_path, monkeypatch):
    (tmp_path / "docs.parquet").write_bytes(b"PAR1")
    for module in ("pyarrow", "pyarrow.compute", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, module, None)  # `import pyarrow` raises ImportError
    with pytest.raises(DataError, match="run `pip install pyarrow`"):
        lm.load_user_data(tmp_path / "docs.parquet")


def test_regression_jsonl_line_nested_50000_deep_is_a_data_error(tmp_path):
    # json.loads raised RecursionError here, which nothing upstream expects.
    deep = '{"text": "ok", "x": ' + "[" * 50_000 + "]" * 50_000 + "}"
    (tmp_path / "docs.jsonl").write_text('{"text": "fine"}\n' + deep + "\n")
    with pytest.raises(DataError, match=r"docs.jsonl line 2: not valid JSON: it nests deeper"):
        lm.load_user_data(tmp_path / "docs.jsonl")
    with pytest.raises(DataError, match="line 2"):
        list(iter_jsonl(tmp_path / "docs.jsonl"))


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


# -- NPZ, read without np.load -----------------------------------------------


def _npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    npy_format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _npy_header(shape, descr="<f8"):
    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


def _zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _deflated_zeros(path, header, n_bytes):
    """One member, `header` then `n_bytes` zeros, deflated as it is written (about 1,000:1)."""
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("X.npy", "w") as member,
    ):
        member.write(header)
        zeros = bytes(MiB)
        for _ in range(n_bytes // MiB):
            member.write(zeros)
    return path


def _declare(path, file_size, crc):
    """Rewrite what the central directory says of the (only) member's size and CRC."""
    data = bytearray(path.read_bytes())
    entry = data.rindex(b"PK\x01\x02")
    struct.pack_into("<I", data, entry + 16, crc)
    struct.pack_into("<I", data, entry + 24, file_size)
    path.write_bytes(bytes(data))


def _peak_python_bytes(call):
    """Run `call`; return (its result or exception, the peak bytes it allocated)."""
    tracemalloc.start()
    try:
        try:
            outcome = call()
        except Exception as error:
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_regression_npz_decompression_bomb_is_refused_before_unpacking(tmp_path):
    # np.load unpacked a 1.12 MB NPZ to 2.57 GB of RSS: the size check was on the
    # compressed file. Now the declared sizes are added up before anything is read.
    path = _deflated_zeros(tmp_path / "bomb.npz", _npy_header((8 * MiB,)), 64 * MiB)
    assert path.stat().st_size < MiB // 4
    started = time.perf_counter()
    outcome, peak = _peak_python_bytes(lambda: read_npz(path, max_bytes=MiB))
    assert isinstance(outcome, DataError)
    assert "bomb.npz unpacks to 67,108,992 bytes, over the 1,048,576 allowed" in str(outcome)
    assert peak < MiB // 4
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("crc_of", ["prefix", "stream"])
def test_regression_npz_member_is_read_no_further_than_its_declared_size(tmp_path, crc_of):
    # A central directory that declares 208 bytes for a stream that inflates to
    # 64 MiB: zipfile stops at the declared size and checks the CRC there.
    header = _npy_header((10,))
    path = _deflated_zeros(tmp_path / "liar.npz", header, 64 * MiB)
    prefix = header + bytes(80)
    stream_crc = zlib.crc32(bytes(MiB), zlib.crc32(header))  # not the whole stream's: any other
    _declare(path, len(prefix), zlib.crc32(prefix) if crc_of == "prefix" else stream_crc)
    outcome, peak = _peak_python_bytes(lambda: read_npz(path))
    if crc_of == "prefix":
        np.testing.assert_array_equal(outcome["X"], np.zeros(10))
    else:
        assert isinstance(outcome, DataError) and "Bad CRC-32" in str(outcome)
    assert peak < 4 * MiB


@pytest.mark.parametrize(
    "shape, fragment",
    [
        ((1000,), r"claims shape \(1000,\) of 'float64' \(8,000 bytes\) but holds 32"),
        ((2,), r"\(16 bytes\) but holds 32"),
        ((10**30,), r"\(8,000,000,000,000,000,000,000,000,000,000 bytes\) but holds 32"),
        ((-4,), "which hold no data"),
        ((2, -2), "which hold no data"),
    ],
    ids=["more", "fewer", "huge", "negative", "negative-product"],
)
def test_npz_header_that_lies_about_its_shape_is_refused(tmp_path, shape, fragment):
    path = _zip(tmp_path / "d.npz", {"X.npy": _npy_header(shape) + bytes(32)})
    outcome, peak = _peak_python_bytes(lambda: read_npz(path))
    assert isinstance(outcome, DataError) and re.search(fragment, str(outcome))
    assert peak < MiB  # nothing of the claimed size was allocated


@pytest.mark.parametrize(
    "array",
    [
        np.array([1, "a", None], dtype=object),
        np.zeros(2, dtype=[("a", "<f8"), ("b", "O")]),
    ],
    ids=["object", "structured-with-object"],
)
def test_npz_arrays_that_need_pickle_are_refused(tmp_path, array):
    path = _zip(tmp_path / "d.npz", {"X.npy": _npy(array, allow_pickle=True)})
    with pytest.raises(DataError, match=r"'X.npy' holds Python objects, which need pickle"):
        read_npz(path)


@pytest.mark.parametrize(
    "members, fragment",
    [
        ({"X.npy": _npy(np.zeros(2)), "notes.txt": b"hi"}, "'notes.txt', which is not a .npy"),
        ({"X.npy": _npy(np.zeros(2)), "sub/": b""}, "'sub/', which is not a .npy"),
        ({"X.NPY": _npy(np.zeros(2))}, "'X.NPY', which is not a .npy"),
        ({"X.npy": b""}, "'X.npy' has no readable .npy header"),
        ({"X.npy": b"\x93NUMPY\x03\x00" + bytes(8)}, r"format version 3.0 is not read"),
        ({"X.npy": b"\x93NUMPY\x01\x00\xff\xff" + bytes(8)}, r"header is cut short"),
        ({"X.npy": _npy_header((2,)).replace(b"shape", b"shope")}, "correct keys"),
    ],
    ids=["text-member", "folder", "upper-case", "empty", "version-3", "cut-header", "bad-header"],
)
def test_npz_members_that_are_not_arrays_are_refused(tmp_path, members, fragment):
    with pytest.raises(DataError, match=fragment):
        read_npz(_zip(tmp_path / "d.npz", members))


def test_npz_bzip2_members_and_repeated_names_are_refused(tmp_path):
    member = {"X.npy": _npy(np.zeros(2))}
    path = _zip(tmp_path / "b.npz", member, compression=zipfile.ZIP_BZIP2)
    with pytest.raises(DataError, match="compressed with method 12; write the file with numpy"):
        read_npz(path)
    with zipfile.ZipFile(tmp_path / "twice.npz", "w") as archive, pytest.warns(UserWarning):
        archive.writestr("X.npy", _npy(np.zeros(2)))
        archive.writestr("X.npy", _npy(np.ones(2)))
    with pytest.raises(DataError, match=r"holds 'X.npy' twice"):
        read_npz(tmp_path / "twice.npz")


def _corrupt(data):
    return {
        "truncated": data[: len(data) // 2],
        "flipped": data.replace(X.tobytes(), X[::-1].tobytes()),  # same size, other CRC
        "garbage": b"PK\x03\x04" + bytes(range(256)) * 4,
        "empty": b"",
        "bare-npy": _npy(X),
    }


@pytest.mark.parametrize("damage", sorted(_corrupt(b"")))
def test_truncated_or_corrupt_npz_is_a_data_error(tmp_path, damage):
    write_npz(tmp_path / "good.npz", {"X": X, "y": Y})
    (tmp_path / "d.npz").write_bytes(_corrupt((tmp_path / "good.npz").read_bytes())[damage])
    with pytest.raises(
        DataError, match=r"d.npz is not a readable NPZ file .*; write it with numpy"
    ):
        read_npz(tmp_path / "d.npz")
    with pytest.raises(DataError):
        classify.load_user_data(tmp_path / "d.npz")


_ARRAYS = hnp.arrays(
    dtype=hnp.scalar_dtypes() | hnp.byte_string_dtypes() | hnp.unicode_string_dtypes(),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
).filter(lambda array: array.dtype.itemsize > 0)


@given(arrays=st.dictionaries(st.sampled_from(["X", "y", "extra"]), _ARRAYS, max_size=3))
def test_npz_reads_what_numpy_writes_as_np_load_does(tmp_path_factory, arrays):
    folder = tmp_path_factory.mktemp("npz")
    write_npz(folder / "ours.npz", arrays)
    np.savez_compressed(folder / "deflated.npz", **arrays)
    np.savez(folder / "fortran.npz", **{name: np.asfortranarray(a) for name, a in arrays.items()})
    for name in ("ours.npz", "deflated.npz", "fortran.npz"):
        ours = read_npz(folder / name)
        with np.load(folder / name, allow_pickle=False) as archive:
            assert sorted(ours) == sorted(archive.files)
            for key in archive.files:
                theirs = archive[key]
                assert ours[key].dtype == theirs.dtype and ours[key].shape == theirs.shape
                assert ours[key].flags.f_contiguous == theirs.flags.f_contiguous
                assert ours[key].flags.writeable
                np.testing.assert_array_equal(ours[key], theirs)


# -- Parquet -----------------------------------------------------------------


def test_parquet_round_trips_through_pandas_and_pyarrow(tmp_path):
    frame = pd.DataFrame(
        {"text": ["one", None, "thrée"], "label": [1, 0, 1], "f": [0.5, 1.0, 2.0]},
        index=[10, 20, 30],
    )
    frame.to_parquet(tmp_path / "d.parquet")
    read = read_table(tmp_path / "d.parquet")
    pd.testing.assert_frame_equal(read, frame)
    pd.testing.assert_frame_equal(read, pd.read_parquet(tmp_path / "d.parquet"))
    categorical = pd.DataFrame({"c": pd.Categorical(["a", "b", "a"]), "b": [b"x", b"\0", b""]})
    categorical.to_parquet(tmp_path / "c.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "c.parquet"), categorical)
    empty = pd.DataFrame({"text": pd.Series([], dtype=object)})
    empty.to_parquet(tmp_path / "e.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "e.parquet"), empty)


def test_kinds_read_parquet(tmp_path):
    pd.DataFrame({"text": ["first", "sécond"]}).to_parquet(tmp_path / "docs.parquet")
    assert lm.load_user_data(tmp_path / "docs.parquet") == "first\nsécond".encode()
    rows = pd.DataFrame({"features": [x.tolist() for x in X], "label": Y})
    rows.to_parquet(tmp_path / "d.parquet")
    _same(classify.load_user_data(tmp_path / "d.parquet"))
    columns = pd.DataFrame({"f0": X[:, 0], "label": Y, "f1": X[:, 1]})
    columns.to_parquet(tmp_path / "c.parquet")
    _same(classify.load_user_data(tmp_path / "c.parquet"))


def test_parquet_over_max_bytes_is_refused(tmp_path):
    pd.DataFrame({"f": np.arange(10_000, dtype=np.float64)}).to_parquet(tmp_path / "d.parquet")
    with pytest.raises(
        DataError, match=r"d.parquet unpacks to \d\d,\d+ bytes, over the 1,000 allowed"
    ):
        read_table(tmp_path / "d.parquet", max_bytes=1_000)
    assert len(read_table(tmp_path / "d.parquet", max_bytes=100_000)) == 10_000


def _dictionary_parquet(path, indices, dictionary):
    """A Parquet file of one dictionary-encoded column that reads back as a plain one."""
    column = pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), dictionary)
    pq.write_table(pa.table({"text": column}), path, store_schema=False)
    return path


def test_regression_parquet_run_length_rows_are_counted_from_the_footer(tmp_path):
    # A million int64 rows of one value take 4 KB on disk and 8 MB decoded;
    # the row groups' sizes in the footer count the 4 KB.
    path = _dictionary_parquet(tmp_path / "d.parquet", np.zeros(10**6), pa.array([7], pa.int64()))
    assert pq.read_metadata(path).row_group(0).total_byte_size < 10_000
    with pytest.raises(DataError, match="declares 1,000,000 rows that decode to at least 8,0"):
        read_table(path, max_bytes=MiB)


_DECODE = """
import resource, sys
from pathlib import Path
from ape_arena.kinds.data import read_table
import pyarrow.parquet, pandas  # loaded before the baseline is taken
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    outcome = len(read_table(Path(sys.argv[1]), max_bytes=int(sys.argv[2])))
except Exception as error:
    outcome = type(error).__name__ + ": " + str(error)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(grown * 1024, outcome)
"""


def test_regression_parquet_dictionary_bomb_is_counted_before_decoding(tmp_path):
    # 20,000 rows of one 10 KB string: 700 bytes on disk, 200 MB decoded, and a
    # footer that declares 10 KB. Strings are read dictionary-encoded and counted.
    path = _dictionary_parquet(tmp_path / "d.parquet", np.zeros(20_000), pa.array(["a" * 10_000]))
    assert path.stat().st_size < 4_000
    assert pq.read_metadata(path).row_group(0).total_byte_size < 20_000
    with pytest.raises(DataError, match=r"d.parquet decodes to more than the 1,048,576 bytes"):
        read_table(path, max_bytes=MiB)
    # Peak memory in a fresh process (pyarrow's allocations are not Python's).
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_DECODE), str(path), str(MiB)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": ":".join(sys.path)},
    )
    grown, outcome = result.stdout.split(" ", 1)
    assert outcome.startswith("DataError: d.parquet decodes to more than")
    assert int(grown) < 32 * MiB


def test_parquet_pandas_metadata_nested_deep_is_a_data_error(tmp_path):
    table = pa.table({"text": ["a"]}).replace_schema_metadata(
        {b"pandas": b"[" * 50_000 + b"]" * 50_000}
    )
    pq.write_table(table, tmp_path / "d.parquet")
    with pytest.raises(DataError, match="its pandas metadata is not valid JSON: it nests deeper"):
        read_table(tmp_path / "d.parquet")


# -- whatever the bytes, a DataError or data ---------------------------------


def _read(path):
    if path.suffix == ".npz":
        return read_npz(path, max_bytes=4 * MiB)
    if path.suffix == ".jsonl":
        return list(iter_jsonl(path))
    return read_table(path, max_bytes=4 * MiB)


def _valid_files():
    npz = io.BytesIO()
    np.savez_compressed(npz, X=X, y=Y)
    stored = io.BytesIO()
    np.savez(stored, X=X, y=Y)
    parquet = io.BytesIO()
    frame = pd.DataFrame({"text": ["a", "bb", None], "label": Y, "f": [x.tolist() for x in X]})
    frame.to_parquet(parquet)
    return {
        ".npz": [npz.getvalue(), stored.getvalue()],
        ".parquet": [parquet.getvalue()],
        ".jsonl": [b'{"features": [0.5, 1.0], "label": 1}\n{"text": "x"}\n'],
        ".csv": [b"f0,label,f1\n0.5,1,1.0\n2.0,0,-1.0\n"],
    }


VALID = _valid_files()
PREFIXES = {".npz": b"PK\x03\x04", ".parquet": b"PAR1", ".jsonl": b"{", ".csv": b"a,b\n"}


def _check_only_data_errors(folder, suffix, data):
    path = folder / f"d{suffix}"
    path.write_bytes(data)
    try:
        _read(path)
    except DataError as error:
        assert "\n" not in str(error)


@given(
    suffix=st.sampled_from(sorted(VALID)),
    data=st.binary(max_size=2048),
    prefixed=st.booleans(),
)
def test_random_bytes_give_only_data_errors(tmp_path_factory, suffix, data, prefixed):
    folder = tmp_path_factory.mktemp("random")
    _check_only_data_errors(folder, suffix, (PREFIXES[suffix] if prefixed else b"") + data)


@given(
    choice=st.sampled_from([(s, i) for s, blobs in VALID.items() for i in range(len(blobs))]),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    cut=st.floats(0, 1),
)
def test_damaged_files_give_only_data_errors(tmp_path_factory, choice, edits, cut):
    suffix, index = choice
    data = bytearray(VALID[suffix][index])
    for where, value in edits:
        data[int(where * len(data))] = value
    folder = tmp_path_factory.mktemp("damaged")
    _check_only_data_errors(folder, suffix, bytes(data[: max(1, int(cut * len(data)))]))
