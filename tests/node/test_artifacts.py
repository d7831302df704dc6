"""Content-addressed artifacts: manifests, stores and verified fetches (no chain, no network)."""

import hashlib
import json
import os
import uuid
from pathlib import Path

import fsspec
import pytest

from ape_arena.artifacts import (
    DEFAULT_IPFS_GATEWAY,
    MANIFEST_NAME,
    ArtifactError,
    FileEntry,
    FsspecStore,
    LocalStore,
    Manifest,
    build_manifest,
    fetch_artifact,
    hash_hex,
    ipfs_gateway_url,
    manifest_hash,
    parse_hash,
    store_for_url,
    verify_dir,
)
from ape_arena.artifacts import stores as stores_module

HELLO_SHA = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
FILES = {
    "config.json": b'{"d_model": 64}',
    "weights/model.bin": bytes(range(256)) * 12,
    "notes/a-b_c.txt": b"",
}


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


@pytest.fixture
def source(tmp_path):
    """A publisher's artifact folder."""
    return write_tree(tmp_path / "source", FILES)


@pytest.fixture
def dest(tmp_path):
    """The validator's download folder."""
    return tmp_path / "downloads"


@pytest.fixture
def memory_url():
    """A fresh prefix in fsspec's in-process memory file system, removed afterwards."""
    prefix = f"/arena-tests/{uuid.uuid4().hex}"
    yield f"memory://{prefix}"
    fs = fsspec.filesystem("memory")
    if fs.exists(prefix):
        fs.rm(prefix, recursive=True)


def canonical(document: object) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


# --- manifests ---------------------------------------------------------------------------


def test_manifest_bytes_and_hash_of_known_artifact(tmp_path):
    write_tree(tmp_path, {"a.txt": b"hello"})
    manifest = build_manifest(tmp_path)
    expected = b'{"files":[{"path":"a.txt","sha256":"%s","size":5}],"version":1}' % (
        HELLO_SHA.encode()
    )
    assert manifest.to_bytes() == expected
    assert manifest_hash(manifest) == hashlib.sha256(expected).digest()
    assert len(manifest_hash(manifest)) == 32
    assert hash_hex(manifest_hash(manifest)) == "0x" + hashlib.sha256(expected).hexdigest()


def test_manifest_is_deterministic_and_sorted(tmp_path):
    first = write_tree(tmp_path / "one", FILES)
    second = write_tree(tmp_path / "two", dict(reversed(list(FILES.items()))))
    manifest = build_manifest(first)
    assert manifest.to_bytes() == build_manifest(second).to_bytes()
    assert [entry.path for entry in manifest.files] == [
        "config.json",
        "notes/a-b_c.txt",
        "weights/model.bin",
    ]
    assert manifest.total_size == sum(len(content) for content in FILES.values())
    by_path = {entry.path: entry for entry in manifest.files}
    assert (
        by_path["weights/model.bin"].sha256
        == hashlib.sha256(FILES["weights/model.bin"]).hexdigest()
    )
    assert by_path["notes/a-b_c.txt"].size == 0


def test_one_changed_byte_changes_the_hash(tmp_path):
    before = manifest_hash(build_manifest(write_tree(tmp_path / "a", FILES)))
    changed = dict(FILES, **{"config.json": b'{"d_model": 65}'})
    after = manifest_hash(build_manifest(write_tree(tmp_path / "b", changed)))
    assert before != after


def test_manifest_round_trips_through_bytes(source):
    manifest = build_manifest(source)
    assert Manifest.from_bytes(manifest.to_bytes()) == manifest


def test_constructor_sorts_entries():
    late = FileEntry(path="b", size=1, sha256="0" * 64)
    early = FileEntry(path="a", size=1, sha256="1" * 64)
    assert Manifest(files=(late, early)).files == (early, late)


GOOD_ENTRY = {"path": "a.txt", "sha256": HELLO_SHA, "size": 5}


def entry(**changes: object) -> dict[str, object]:
    return {**GOOD_ENTRY, **changes}


@pytest.mark.parametrize(
    "files, fragment",
    [
        ([entry(path="/etc/passwd")], "is absolute"),
        ([entry(path="../escape")], "'..'"),
        ([entry(path="a/../../b")], "'..'"),
        ([entry(path="a//b")], "empty"),
        ([entry(path="./a")], "'.'"),
        ([entry(path="a/")], "empty"),
        ([entry(path="")], "non-empty string"),
        ([entry(path="a\\b")], "not portable"),
        ([entry(path="C:x")], "not portable"),
        ([entry(path="a b")], "not portable"),
        ([entry(path="x" * 256)], "not portable"),
        ([entry(path=7)], "non-empty string"),
        ([entry(path="manifest.json")], "reserved"),
        ([entry(), entry()], "twice"),
        ([entry(path="A.txt"), entry(path="a.txt")], "up to case"),
        ([entry(path="a"), entry(path="a/b")], "both as a file and as a folder"),
        ([entry(size=-1)], "sizes are whole numbers"),
        ([entry(size=True)], "sizes are whole numbers"),
        ([entry(size=5.0)], "sizes are whole numbers"),
        ([entry(size=2**41)], "sizes are whole numbers"),
        ([entry(size="5")], "sizes are whole numbers"),
        ([entry(sha256=HELLO_SHA.upper())], "64 lowercase hex"),
        ([entry(sha256=HELLO_SHA[:-1])], "64 lowercase hex"),
        ([entry(sha256="z" * 64)], "64 lowercase hex"),
        ([{"path": "a.txt", "size": 5}], 'exactly "path", "size" and "sha256"'),
        ([{**GOOD_ENTRY, "mode": 420}], 'exactly "path", "size" and "sha256"'),
        ([entry(path="b"), entry(path="a")], "not sorted"),
        ([], "lists no files"),
        ("a.txt", '"files" is not a list'),
    ],
)
def test_from_bytes_rejects_bad_entries(files, fragment):
    data = canonical({"version": 1, "files": files})
    with pytest.raises(ArtifactError, match=None) as error:
        Manifest.from_bytes(data)
    assert fragment in str(error.value)


@pytest.mark.parametrize(
    "data, fragment",
    [
        (canonical({"version": 2, "files": [GOOD_ENTRY]}), "version 2 is not supported"),
        (canonical({"version": True, "files": [GOOD_ENTRY]}), "is not supported"),
        (canonical({"files": [GOOD_ENTRY]}), 'exactly the keys "version" and "files"'),
        (canonical({"version": 1, "files": [GOOD_ENTRY], "x": 1}), "exactly the keys"),
        (canonical([GOOD_ENTRY]), "exactly the keys"),
        (json.dumps({"version": 1, "files": [GOOD_ENTRY]}).encode(), "canonical form"),
        (canonical({"version": 1, "files": [GOOD_ENTRY]}) + b"\n", "canonical form"),
        (b'{"version":1,"version":1,"files":[]}', "repeats the key 'version'"),
        (b'{"files":[{"path":"a.txt","sha256":"x","size":NaN}],"version":1}', "NaN"),
        (b"\xff\xfe", "is not UTF-8"),
        (b"{", "unbalanced"),
        (b" " * (8 << 20) + b"{}", "over the limit"),
    ],
)
def test_from_bytes_rejects_malformed_documents(data, fragment):
    with pytest.raises(ArtifactError) as error:
        Manifest.from_bytes(data)
    assert fragment in str(error.value)


def test_error_messages_are_one_actionable_sentence():
    with pytest.raises(ArtifactError) as error:
        Manifest.from_bytes(canonical({"version": 1, "files": [entry(path="../x")]}))
    message = str(error.value)
    assert message.count("; ") == 1 and "\n" not in message
    assert not message.endswith(".")


def test_build_manifest_refuses_symlinks(source):
    (source / "link").symlink_to(source / "config.json")
    with pytest.raises(ArtifactError, match="is a symlink"):
        build_manifest(source)


def test_build_manifest_refuses_an_empty_or_missing_folder(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(ArtifactError, match="holds no files"):
        build_manifest(tmp_path / "empty")
    with pytest.raises(ArtifactError, match="is not a folder"):
        build_manifest(tmp_path / "missing")


def test_build_manifest_refuses_a_top_level_manifest_json(source):
    (source / MANIFEST_NAME).write_bytes(b"{}")
    with pytest.raises(ArtifactError, match="reserved for its manifest"):
        build_manifest(source)


def test_parse_hash_accepts_bytes_and_hex_only():
    raw = bytes(range(32))
    assert parse_hash(raw) == raw
    assert parse_hash("0x" + raw.hex()) == raw
    assert parse_hash(raw.hex().upper()) == raw
    for bad in (raw[:31], "0x" + raw.hex()[:-2], "0x" + "g" * 64, 5):
        with pytest.raises(ArtifactError, match="is not an artifact hash"):
            parse_hash(bad)  # type: ignore[arg-type]


# --- local store -------------------------------------------------------------------------


def test_local_put_fetch_round_trip(source, tmp_path, dest):
    store = LocalStore(tmp_path / "store")
    artifact_hash, uri = store.put(source)
    assert artifact_hash == manifest_hash(build_manifest(source))
    stored = tmp_path / "store" / artifact_hash.hex()
    assert uri == stored.resolve().as_uri()
    assert os.listdir(tmp_path / "store") == [artifact_hash.hex()]
    assert read_tree(stored) == {**FILES, MANIFEST_NAME: build_manifest(source).to_bytes()}

    fetched = store.fetch(uri, hash_hex(artifact_hash), dest, max_bytes=10_000)
    assert fetched == dest / artifact_hash.hex()
    assert os.listdir(dest) == [artifact_hash.hex()]
    assert read_tree(fetched) == read_tree(stored)
    assert verify_dir(fetched, artifact_hash) == build_manifest(source)


def test_fetch_accepts_a_plain_path(source, tmp_path, dest):
    store = LocalStore(tmp_path / "store")
    artifact_hash, _ = store.put(source)
    fetched = store.fetch(str(store.path_for(artifact_hash)), artifact_hash, dest, 10_000)
    assert read_tree(fetched)["config.json"] == FILES["config.json"]


def test_put_twice_is_a_no_op(source, tmp_path):
    store = LocalStore(tmp_path / "store")
    first = store.put(source)
    stored = store.path_for(first[0])
    before = {path: path.stat().st_mtime_ns for path in stored.rglob("*")}
    assert store.put(source) == first
    assert {path: path.stat().st_mtime_ns for path in stored.rglob("*")} == before
    assert os.listdir(tmp_path / "store") == [first[0].hex()]


def test_put_over_a_damaged_artifact_is_refused(source, tmp_path):
    store = LocalStore(tmp_path / "store")
    artifact_hash, _ = store.put(source)
    (store.path_for(artifact_hash) / MANIFEST_NAME).write_bytes(b"{}")
    with pytest.raises(ArtifactError, match="does not hold this artifact's manifest"):
        store.put(source)


def test_put_that_crashes_leaves_no_artifact(source, tmp_path, monkeypatch):
    store = LocalStore(tmp_path / "store")

    def crash(staging: Path, final: Path) -> None:
        assert (staging / MANIFEST_NAME).is_file()
        raise RuntimeError("power cut")

    monkeypatch.setattr(stores_module, "_publish", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        store.put(source)
    assert os.listdir(tmp_path / "store") == []


def test_put_refuses_a_source_that_changes_while_copied(source, tmp_path, monkeypatch):
    store = LocalStore(tmp_path / "store")
    real_build = stores_module.build_manifest

    def build_then_edit(directory: Path) -> Manifest:
        manifest = real_build(directory)
        (Path(directory) / "config.json").write_bytes(b'{"d_model": 99}')
        return manifest

    monkeypatch.setattr(stores_module, "build_manifest", build_then_edit)
    with pytest.raises(ArtifactError, match="does not match its sha256"):
        store.put(source)
    assert os.listdir(tmp_path / "store") == []


def test_tampered_file_is_rejected_and_nothing_is_left(source, tmp_path, dest):
    store = LocalStore(tmp_path / "store")
    artifact_hash, uri = store.put(source)
    weights = store.path_for(artifact_hash) / "weights" / "model.bin"
    content = bytearray(weights.read_bytes())
    content[1000] ^= 0x01
    weights.write_bytes(bytes(content))
    with pytest.raises(ArtifactError) as error:
        store.fetch(uri, artifact_hash, dest, max_bytes=10_000)
    assert "weights/model.bin" in str(error.value)
    assert "does not match its sha256" in str(error.value)
    assert os.listdir(dest) == []


def test_wrong_expected_hash_is_rejected(source, tmp_path, dest):
    store = LocalStore(tmp_path / "store")
    artifact_hash, uri = store.put(source)
    wrong = hashlib.sha256(b"another artifact").digest()
    with pytest.raises(ArtifactError) as error:
        store.fetch(uri, wrong, dest, max_bytes=10_000)
    message = str(error.value)
    assert message.startswith("hash mismatch:")
    assert hash_hex(artifact_hash) in message and hash_hex(wrong) in message
    assert "ask the publisher to re-upload or check the task id" in message
    assert not dest.exists() or os.listdir(dest) == []


def test_oversized_artifact_is_rejected_before_download(source, tmp_path, dest):
    store = LocalStore(tmp_path / "store")
    artifact_hash, uri = store.put(source)
    total = build_manifest(source).total_size
    # Remove the files: the size check must fire before any of them is read.
    for path in store.path_for(artifact_hash).iterdir():
        if path.name != MANIFEST_NAME:
            path.unlink() if path.is_file() else [p.unlink() for p in path.iterdir()]
    with pytest.raises(ArtifactError) as error:
        store.fetch(uri, artifact_hash, dest, max_bytes=total - 1)
    assert f"is {total:,} bytes, over the limit of {total - 1:,}" in str(error.value)
    assert not dest.exists() or os.listdir(dest) == []


def test_limit_equal_to_the_size_is_allowed(source, tmp_path, dest):
    store = LocalStore(tmp_path / "store")
    artifact_hash, uri = store.put(source)
    total = build_manifest(source).total_size
    assert store.fetch(uri, artifact_hash, dest, max_bytes=total).is_dir()


def test_missing_file_is_rejected_and_nothing_is_left(source, tmp_path, dest):
    store = LocalStore(tmp_path / "store")
    artifact_hash, uri = store.put(source)
    (store.path_for(artifact_hash) / "weights" / "model.bin").unlink()
    with pytest.raises(ArtifactError, match=r"could not read weights/model\.bin"):
        store.fetch(uri, artifact_hash, dest, max_bytes=10_000)
    assert os.listdir(dest) == []


def test_missing_manifest_is_rejected(tmp_path, dest):
    with pytest.raises(ArtifactError, match=r"has no manifest\.json"):
        LocalStore(tmp_path).fetch(str(tmp_path / "nowhere"), bytes(32), dest, 10)


def test_second_fetch_reuses_and_reverifies_the_folder(source, tmp_path, dest):
    store = LocalStore(tmp_path / "store")
    artifact_hash, uri = store.put(source)
    fetched = store.fetch(uri, artifact_hash, dest, max_bytes=10_000)
    assert store.fetch(uri, artifact_hash, dest, max_bytes=10_000) == fetched
    (fetched / "config.json").write_bytes(b'{"d_model": 1}')
    with pytest.raises(ArtifactError, match="does not match its manifest entry"):
        store.fetch(uri, artifact_hash, dest, max_bytes=10_000)
    (fetched / "extra.txt").write_bytes(b"x")
    with pytest.raises(ArtifactError, match=r"extra: \['extra.txt'\]"):
        verify_dir(fetched)


@pytest.mark.parametrize("max_bytes", [-1, 1.5, True, "10"])
def test_max_bytes_must_be_a_whole_number(tmp_path, dest, max_bytes):
    with pytest.raises(ArtifactError, match="max_bytes must be a whole number"):
        LocalStore(tmp_path).fetch(str(tmp_path), bytes(32), dest, max_bytes)


# --- a lying publisher, through the store interface ---------------------------------------


class CountingStore(stores_module.ArtifactStore):
    """Serves files from a dict and counts the bytes a fetch reads."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.bytes_read = 0

    def put(self, directory):  # pragma: no cover - read-only test double
        raise NotImplementedError

    def _opener(self, uri):
        store = self

        class Stream:
            def __init__(self, content: bytes) -> None:
                self.content, self.position = content, 0

            def read(self, size: int = -1) -> bytes:
                end = len(self.content) if size < 0 else self.position + size
                chunk = self.content[self.position : end]
                self.position += len(chunk)
                store.bytes_read += len(chunk)
                return chunk

            def __enter__(self):
                return self

            def __exit__(self, *exc_info):
                return False

        return lambda relative: Stream(self.files[relative])


def lying_artifact(declared: int, actual: bytes) -> tuple[dict[str, bytes], bytes]:
    manifest = Manifest(
        files=(
            FileEntry(
                path="model.bin",
                size=declared,
                sha256=hashlib.sha256(actual[:declared]).hexdigest(),
            ),
        )
    )
    return {MANIFEST_NAME: manifest.to_bytes(), "model.bin": actual}, manifest_hash(manifest)


def test_lying_manifest_size_is_caught_while_streaming(dest):
    files, artifact_hash = lying_artifact(declared=10, actual=b"x" * (5 << 20))
    store = CountingStore(files)
    with pytest.raises(ArtifactError, match="larger than the 10 bytes its manifest declares"):
        store.fetch("test://lying", artifact_hash, dest, max_bytes=100)
    manifest_size = len(files[MANIFEST_NAME])
    assert store.bytes_read == manifest_size + 11  # one byte past the declared size, no more
    assert os.listdir(dest) == []


def test_short_file_is_rejected(dest):
    files, artifact_hash = lying_artifact(declared=10, actual=b"x" * 10)
    files["model.bin"] = b"x" * 9
    with pytest.raises(ArtifactError, match="is 9 bytes but its manifest says 10"):
        CountingStore(files).fetch("test://short", artifact_hash, dest, max_bytes=100)
    assert os.listdir(dest) == []


def test_oversized_manifest_is_not_read_past_the_limit(dest):
    store = CountingStore({MANIFEST_NAME: b" " * (9 << 20)})
    with pytest.raises(ArtifactError, match="manifest at test://big is over"):
        store.fetch("test://big", bytes(32), dest, max_bytes=100)
    assert store.bytes_read == (8 << 20) + 1


# --- fsspec store ------------------------------------------------------------------------


def test_memory_put_fetch_round_trip(source, memory_url, dest):
    store = store_for_url(memory_url)
    assert isinstance(store, FsspecStore)
    artifact_hash, uri = store.put(source)
    assert uri == f"{memory_url}/{artifact_hash.hex()}"
    fs = fsspec.filesystem("memory")
    prefix = memory_url.removeprefix("memory://")
    assert (
        fs.cat(f"{prefix}/{artifact_hash.hex()}/{MANIFEST_NAME}")
        == build_manifest(source).to_bytes()
    )
    fetched = fetch_artifact(uri, hash_hex(artifact_hash), dest, max_bytes=10_000)
    assert fetched == dest / artifact_hash.hex()
    assert read_tree(fetched) == {**FILES, MANIFEST_NAME: build_manifest(source).to_bytes()}


def test_memory_put_twice_is_a_no_op(source, memory_url):
    store = FsspecStore(memory_url)
    first = store.put(source)
    fs = fsspec.filesystem("memory")
    prefix = memory_url.removeprefix("memory://")
    before = {path: fs.info(path)["created"] for path in fs.find(prefix)}
    assert store.put(source) == first
    assert {path: fs.info(path)["created"] for path in fs.find(prefix)} == before
    assert len(before) == len(FILES) + 1


def test_memory_tampered_file_is_rejected(source, memory_url, dest):
    artifact_hash, uri = FsspecStore(memory_url).put(source)
    fs = fsspec.filesystem("memory")
    fs.pipe(f"{uri.removeprefix('memory://')}/config.json", b'{"d_model": 66}')
    with pytest.raises(
        ArtifactError, match=r"config\.json from memory://\S+ does not match its sha256"
    ):
        fetch_artifact(uri, artifact_hash, dest, max_bytes=10_000)
    assert os.listdir(dest) == []


def test_memory_wrong_hash_is_rejected(source, memory_url, dest):
    _, uri = FsspecStore(memory_url).put(source)
    with pytest.raises(ArtifactError, match=r"^hash mismatch: the manifest at memory://"):
        fetch_artifact(uri, bytes(32), dest, max_bytes=10_000)
    assert not dest.exists() or os.listdir(dest) == []


def test_unknown_and_missing_backends_are_explained(dest):
    with pytest.raises(ArtifactError, match="is not a URL fsspec can open"):
        fetch_artifact("nosuchscheme://bucket/x", bytes(32), dest, max_bytes=1)
    try:
        import s3fs  # noqa: F401
    except ImportError:
        with pytest.raises(ArtifactError, match="backend for s3://bucket/x is missing"):
            fetch_artifact("s3://bucket/x", bytes(32), dest, max_bytes=1)


def test_store_for_url_picks_by_scheme(tmp_path):
    plain = store_for_url(str(tmp_path / "arts"))
    assert isinstance(plain, LocalStore) and plain.root == tmp_path / "arts"
    file_url = store_for_url((tmp_path / "a b").as_uri())
    assert isinstance(file_url, LocalStore) and file_url.root == tmp_path / "a b"
    for url in ("memory://x", "s3://bucket/arts", "gs://bucket", "https://h/a", f"ipfs://{CID}"):
        store = store_for_url(url)
        assert isinstance(store, FsspecStore) and store.base_url == url
    assert isinstance(store_for_url("simplecache::s3://bucket"), FsspecStore)
    with pytest.raises(ArtifactError, match="not a local folder or file:// URL"):
        store_for_url("file://otherhost/arts")


# --- IPFS --------------------------------------------------------------------------------


def test_ipfs_urls_map_to_the_gateway():
    assert ipfs_gateway_url(f"ipfs://{CID}") == f"https://ipfs.io/ipfs/{CID}"
    assert DEFAULT_IPFS_GATEWAY == "https://ipfs.io/ipfs/"
    assert (
        ipfs_gateway_url(f"ipfs://{CID}/arts/ab12/", "https://gw.example.org/ipfs")
        == f"https://gw.example.org/ipfs/{CID}/arts/ab12"
    )
    assert (
        ipfs_gateway_url(f"ipfs://{CID}", "http://127.0.0.1:8080/ipfs/")
        == f"http://127.0.0.1:8080/ipfs/{CID}"
    )


@pytest.mark.parametrize(
    "uri, gateway, fragment",
    [
        ("ipfs://", DEFAULT_IPFS_GATEWAY, "is not an IPFS URL"),
        ("ipfs://bad..cid/x", DEFAULT_IPFS_GATEWAY, "is not an IPFS URL"),
        (f"ipfs://{CID}?x=1", DEFAULT_IPFS_GATEWAY, "is not an IPFS URL"),
        (f"https://{CID}", DEFAULT_IPFS_GATEWAY, "is not an IPFS URL"),
        (f"ipfs://{CID}", "http://gw.example.org/ipfs/", "is not an https:// URL"),
        (f"ipfs://{CID}", "ftp://gw/ipfs/", "is not an https:// URL"),
    ],
)
def test_bad_ipfs_urls_and_gateways_are_rejected(uri, gateway, fragment):
    with pytest.raises(ArtifactError, match=fragment):
        ipfs_gateway_url(uri, gateway)


def test_ipfs_fetch_goes_through_the_gateway(source, memory_url, dest, monkeypatch):
    artifact_hash, uri = FsspecStore(memory_url).put(source)
    served = uri.removeprefix("memory://")
    asked: list[str] = []
    real_url_to_fs = fsspec.core.url_to_fs

    def fake_gateway(url: str, **options: object):
        asked.append(url)
        return real_url_to_fs(f"memory://{served}")

    monkeypatch.setattr(fsspec.core, "url_to_fs", fake_gateway)
    fetched = fetch_artifact(
        f"ipfs://{CID}/{artifact_hash.hex()}",
        artifact_hash,
        dest,
        max_bytes=10_000,
        ipfs_gateway="https://gw.example.org/ipfs/",
    )
    assert asked == [f"https://gw.example.org/ipfs/{CID}/{artifact_hash.hex()}"]
    assert read_tree(fetched)["weights/model.bin"] == FILES["weights/model.bin"]


def test_ipfs_store_is_read_only(source):
    with pytest.raises(ArtifactError, match="ipfs:// is read-only"):
        FsspecStore(f"ipfs://{CID}").put(source)
