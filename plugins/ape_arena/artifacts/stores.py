"""Artifact stores: where artifacts are put and fetched from, picked by URL.

Every store lays an artifact out as ``<base>/<64 hex hash>/manifest.json`` plus
its files at their manifest paths. `LocalStore` (a folder, the default) writes
into a hidden temporary folder beside the target and renames it into place, so
a crash never leaves a half-written artifact. `FsspecStore` writes through
fsspec (s3://, gs://, memory://, ...) with the manifest last: on object stores
an artifact exists once its manifest does. ``ipfs://CID`` URLs are read through
an HTTPS gateway; they cannot be written.

Fetching is the same for every store and always verifies: the manifest must
hash to the expected hash, its total size must fit `max_bytes` before anything
is downloaded, each file is read no further than its declared size and must
match its digest, and only a fully verified folder is renamed into
``<dest_dir>/<hex hash>``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import stat
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from ape_arena.artifacts.errors import ArtifactError
from ape_arena.artifacts.manifest import (
    CHUNK_BYTES,
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    FileEntry,
    Manifest,
    build_manifest,
    expect_hash,
    hash_hex,
    parse_hash,
    verify_dir,
)

DEFAULT_IPFS_GATEWAY = "https://ipfs.io/ipfs/"
# Prefix of the temporary folders a store or a fetch writes before renaming into place.
PARTIAL_PREFIX = ".partial-"
_CID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# A URL scheme (RFC 3986), or fsspec's chained form such as simplecache::s3.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*(::[A-Za-z][A-Za-z0-9+.\-]*)*")

# Opens one file of an artifact, by its manifest path, for reading bytes.
Opener = Callable[[str], IO[bytes]]
# Judges a fetched manifest before any of its files is read (raises ArtifactError).
ManifestCheck = Callable[[Manifest], None]


class ArtifactStore(ABC):
    """Put artifact folders somewhere, and fetch them back verified."""

    @abstractmethod
    def put(self, directory: str | os.PathLike[str]) -> tuple[bytes, str]:
        """Store the folder as an artifact; return its 32-byte hash and the URI to fetch it by.

        Putting an artifact the store already holds is a no-op.
        """

    def fetch(
        self,
        uri: str,
        expected_hash: bytes | str,
        dest_dir: str | os.PathLike[str],
        max_bytes: int,
        *,
        timeout_s: float | None = None,
        check: ManifestCheck | None = None,
    ) -> Path:
        """Download the artifact at `uri` into ``dest_dir/<hex hash>`` and return that folder.

        Raises ArtifactError, leaving nothing behind in `dest_dir`, unless the
        manifest hashes to `expected_hash`, the files total at most `max_bytes`,
        `check` (called with the manifest before any file is read) accepts it,
        every file matches its manifest entry, and the whole fetch ends within
        `timeout_s` seconds (checked between reads of at most 1 MiB).
        """
        expected = parse_hash(expected_hash)
        if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 0:
            raise ArtifactError(f"max_bytes must be a whole number of bytes, not {max_bytes!r}")
        deadline = _Deadline(timeout_s, uri)
        return _fetch(self._opener(uri), uri, expected, Path(dest_dir), max_bytes, deadline, check)

    @abstractmethod
    def _opener(self, uri: str) -> Opener:
        """A function opening the artifact's files at `uri` by manifest path."""


class LocalStore(ArtifactStore):
    """Artifacts in a local folder: ``<root>/<hex hash>/manifest.json`` plus files."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser()

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def path_for(self, artifact_hash: bytes | str) -> Path:
        """The folder an artifact with this hash has (or would have) in the store."""
        return self.root / parse_hash(artifact_hash).hex()

    def put(self, directory: str | os.PathLike[str]) -> tuple[bytes, str]:
        """Copy the folder into the store atomically; see `ArtifactStore.put`."""
        source = Path(directory)
        manifest = build_manifest(source)
        data = manifest.to_bytes()
        artifact_hash = hashlib.sha256(data).digest()
        final = self.path_for(artifact_hash)
        uri = final.resolve().as_uri()
        if final.is_dir():
            _check_existing_manifest(final, data)
            return artifact_hash, uri
        self.root.mkdir(parents=True, exist_ok=True)
        with _staging(self.root) as staging:
            for entry in manifest.files:
                with (source / entry.path).open("rb") as stream:
                    _copy_verified(stream, entry, staging, source.as_posix(), budget=entry.size)
            _write_bytes(staging / MANIFEST_NAME, data)
            _publish(staging, final)
        return artifact_hash, uri

    def _opener(self, uri: str) -> Opener:
        folder = local_path(uri)

        def open_file(relative: str) -> IO[bytes]:
            return open_regular_file(folder / relative)

        return open_file


class FsspecStore(ArtifactStore):
    """Artifacts under any fsspec URL (s3://, gs://, https://, memory://), or ipfs:// via a gateway.

    `base_url` is where `put` writes (``<base_url>/<hex hash>/...``); `fetch`
    reads any URL fsspec can open. `storage_options` go to fsspec unchanged
    (credentials, endpoints).
    """

    def __init__(
        self,
        base_url: str,
        *,
        ipfs_gateway: str = DEFAULT_IPFS_GATEWAY,
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.ipfs_gateway = ipfs_gateway
        self.storage_options = dict(storage_options or {})

    def __repr__(self) -> str:
        return f"FsspecStore({self.base_url!r})"

    def put(self, directory: str | os.PathLike[str]) -> tuple[bytes, str]:
        """Upload the folder, the manifest last; see `ArtifactStore.put`."""
        if urlsplit(self.base_url).scheme == "ipfs":
            raise ArtifactError(
                "ipfs:// is read-only here; add the folder with an IPFS client "
                "(ipfs add -r) and publish ipfs://<CID>/<hex hash> instead"
            )
        source = Path(directory)
        manifest = build_manifest(source)
        data = manifest.to_bytes()
        artifact_hash = hashlib.sha256(data).digest()
        uri = f"{self.base_url}/{artifact_hash.hex()}"
        fs, target = self._filesystem(uri)
        manifest_path = f"{target}/{MANIFEST_NAME}"
        try:
            if fs.exists(manifest_path):
                with fs.open(manifest_path, "rb") as stream:
                    existing = stream.read(MAX_MANIFEST_BYTES + 1)
                if existing != data:
                    raise ArtifactError(
                        f"{uri} holds a different manifest than its hash says; "
                        "delete it from the store and put the artifact again"
                    )
                return artifact_hash, uri
            made: set[str] = set()
            for entry in manifest.files:
                remote = f"{target}/{entry.path}"
                parent = remote.rsplit("/", 1)[0]
                if parent not in made:
                    fs.makedirs(parent, exist_ok=True)
                    made.add(parent)
                with (source / entry.path).open("rb") as stream, fs.open(remote, "wb") as out:
                    _stream_verified(stream, out, entry, source.as_posix(), budget=entry.size)
            with fs.open(manifest_path, "wb") as out:
                out.write(data)
        except ArtifactError:
            raise
        except Exception as exc:
            raise ArtifactError(
                f"could not write the artifact to {uri} ({exc}); "
                "check the URL, your credentials and that the backend allows writes"
            ) from exc
        return artifact_hash, uri

    def _opener(self, uri: str) -> Opener:
        url = ipfs_gateway_url(uri, self.ipfs_gateway) if _scheme(uri) == "ipfs" else uri
        fs, root = self._filesystem(url)
        base = root.rstrip("/")

        def open_file(relative: str) -> IO[bytes]:
            return fs.open(f"{base}/{relative}", "rb")

        return open_file

    def _filesystem(self, url: str) -> tuple[Any, str]:
        """The fsspec file system and path for a URL, with errors a user can act on."""
        try:
            import fsspec
        except ImportError as exc:
            raise ArtifactError(
                "the fsspec package is not installed; run `pip install fsspec` to use URL stores"
            ) from exc
        try:
            return fsspec.core.url_to_fs(url, **self.storage_options)
        except ImportError as exc:
            raise ArtifactError(
                f"the fsspec backend for {url} is missing ({exc}); install it, "
                "for example s3fs for s3://, gcsfs for gs:// or aiohttp for https://"
            ) from exc
        except ValueError as exc:
            raise ArtifactError(
                f"{url} is not a URL fsspec can open ({exc}); use a folder or an "
                "s3://, gs://, https://, memory:// or ipfs:// URL"
            ) from exc


def store_for_url(
    url: str,
    *,
    ipfs_gateway: str = DEFAULT_IPFS_GATEWAY,
    storage_options: Mapping[str, Any] | None = None,
) -> ArtifactStore:
    """The store for a URL: a plain path or file:// is a LocalStore, anything else fsspec."""
    if _scheme(url) in ("", "file"):
        return LocalStore(local_path(url))
    return FsspecStore(url, ipfs_gateway=ipfs_gateway, storage_options=storage_options)


def fetch_artifact(
    uri: str,
    expected_hash: bytes | str,
    dest_dir: str | os.PathLike[str],
    max_bytes: int,
    *,
    ipfs_gateway: str = DEFAULT_IPFS_GATEWAY,
    storage_options: Mapping[str, Any] | None = None,
    **limits: Any,
) -> Path:
    """Fetch and verify the artifact at any supported URI; see `ArtifactStore.fetch`
    for the `limits` (timeout_s, check)."""
    store = store_for_url(uri, ipfs_gateway=ipfs_gateway, storage_options=storage_options)
    return store.fetch(uri, expected_hash, dest_dir, max_bytes, **limits)


def ipfs_gateway_url(uri: str, gateway: str = DEFAULT_IPFS_GATEWAY) -> str:
    """Map ``ipfs://CID/path`` to ``<gateway>CID/path`` (gateway like https://ipfs.io/ipfs/)."""
    parts = urlsplit(uri)
    cid = parts.netloc
    if (
        parts.scheme != "ipfs"
        or not cid
        or not set(cid) <= _CID_CHARS
        or parts.query
        or parts.fragment
    ):
        raise ArtifactError(
            f"{uri!r} is not an IPFS URL; write it as ipfs://<CID> or ipfs://<CID>/<path>"
        )
    gate = urlsplit(gateway)
    local = gate.scheme == "http" and gate.hostname in _LOCAL_HOSTS
    if not (gate.scheme == "https" or local) or not gate.netloc or gate.query or gate.fragment:
        raise ArtifactError(
            f"IPFS gateway {gateway!r} is not an https:// URL; use one such as "
            f"{DEFAULT_IPFS_GATEWAY} (plain http only for a gateway on localhost)"
        )
    return f"{gateway.rstrip('/')}/{cid}{parts.path.rstrip('/')}"


def local_path(url: str) -> Path:
    """The folder a plain path or a file:// URL names."""
    scheme = _scheme(url)
    if scheme == "":
        return Path(url).expanduser()
    parts = urlsplit(url)
    if scheme != "file" or parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        raise ArtifactError(
            f"{url!r} is not a local folder or file:// URL; use store_for_url for remote URLs"
        )
    return Path(unquote(parts.path))


def _scheme(url: str) -> str:
    """The URL scheme, or "" for a plain path (Windows drive letters included)."""
    head, separator, _ = url.partition("://")
    return head.lower() if separator and _SCHEME.fullmatch(head) else ""


def open_regular_file(path: Path) -> IO[bytes]:
    """Open a local file for reading only if it is a regular file (not a link, pipe or device).

    The file is opened without blocking and without following a final
    symlink, then checked on the open descriptor, so a named pipe or a
    device put in a store can neither hang the reader nor be read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ArtifactError(
                f"{path.name} in the store is a symlink; skip the artifact"
            ) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise ArtifactError(
                f"{path.name} in the store is not a regular file (a pipe, device or folder); "
                "skip the artifact"
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


class _Deadline:
    """The end of a fetch's time, checked between reads."""

    def __init__(self, timeout_s: float | None, uri: str) -> None:
        self.timeout_s = timeout_s
        self.uri = uri
        self.end = None if timeout_s is None else time.monotonic() + timeout_s

    def check(self) -> None:
        if self.end is not None and time.monotonic() > self.end:
            raise ArtifactError(
                f"fetching {self.uri} took longer than {self.timeout_s:g} s; "
                "the store is too slow or the artifact too large, so skip it"
            )


def _fetch(
    opener: Opener,
    uri: str,
    expected: bytes,
    dest_dir: Path,
    max_bytes: int,
    deadline: _Deadline,
    check: ManifestCheck | None,
) -> Path:
    """Fetch, verify and atomically place an artifact; the body of `ArtifactStore.fetch`."""
    data = _read_manifest(opener, uri)
    deadline.check()
    expect_hash(
        data, expected, f"the manifest at {uri}",
        "ask the publisher to re-upload or check the task id",
    )  # fmt: skip
    manifest = Manifest.from_bytes(data)
    if manifest.total_size > max_bytes:
        raise ArtifactError(
            f"artifact {hash_hex(expected)[:18]}... is {manifest.total_size:,} bytes, over the "
            f"limit of {max_bytes:,}; raise the limit only if you trust its publisher"
        )
    if check is not None:
        check(manifest)
    final = dest_dir / expected.hex()
    if final.exists():
        verify_dir(final, expected)
        return final
    dest_dir.mkdir(parents=True, exist_ok=True)
    with _staging(dest_dir) as staging:
        budget = max_bytes
        for entry in manifest.files:
            try:
                stream = opener(entry.path)
            except ArtifactError:
                raise
            except Exception as exc:
                raise _read_error(entry.path, uri, exc) from exc
            with stream:
                budget -= _copy_verified(
                    stream, entry, staging, uri, budget=budget, deadline=deadline
                )
        _write_bytes(staging / MANIFEST_NAME, data)
        _publish(staging, final)
    return final


def _read_manifest(opener: Opener, uri: str) -> bytes:
    """The manifest's bytes, read no further than the manifest size limit."""
    try:
        with opener(MANIFEST_NAME) as stream:
            data = _read_at_most(stream, MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError as exc:
        raise ArtifactError(
            f"{uri} has no {MANIFEST_NAME}; check the artifact URI published with the submission"
        ) from exc
    except ArtifactError:
        raise
    except Exception as exc:
        raise _read_error(MANIFEST_NAME, uri, exc) from exc
    if len(data) > MAX_MANIFEST_BYTES:
        raise ArtifactError(
            f"the manifest at {uri} is over {MAX_MANIFEST_BYTES} bytes; "
            "the artifact is malformed, so skip it"
        )
    return data


def _copy_verified(
    stream: IO[bytes],
    entry: FileEntry,
    staging: Path,
    source: str,
    *,
    budget: int,
    deadline: _Deadline | None = None,
) -> int:
    """Write one file into the staging folder from `stream`, verified; return its size."""
    target = staging.joinpath(*entry.path.split("/"))
    if not target.resolve().is_relative_to(staging.resolve()):
        raise ArtifactError(f"artifact path {entry.path!r} escapes the artifact; skip it")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("xb") as out:
        size = _stream_verified(stream, out, entry, source, budget=budget, deadline=deadline)
        out.flush()
        os.fsync(out.fileno())
    return size


def _stream_verified(
    stream: IO[bytes],
    out: IO[bytes],
    entry: FileEntry,
    source: str,
    *,
    budget: int,
    deadline: _Deadline | None = None,
) -> int:
    """Copy `stream` to `out`, reading at most one byte past the declared size, and verify it."""
    digest = hashlib.sha256()
    size = 0
    while True:
        # Never ask for more than one byte past the declared size: a lying
        # manifest (or a file that grew) is caught after at most one extra byte.
        want = min(CHUNK_BYTES, entry.size - size + 1)
        try:
            chunk = stream.read(want)
        except Exception as exc:
            raise _read_error(entry.path, source, exc) from exc
        if not chunk:
            break
        if deadline is not None:
            deadline.check()
        size += len(chunk)
        if size > entry.size:
            raise ArtifactError(
                f"{entry.path} from {source} is larger than the {entry.size} bytes its manifest "
                "declares; the artifact is corrupt or dishonest, so skip it"
            )
        if size > budget:
            raise ArtifactError(
                f"{entry.path} from {source} goes past the {budget} bytes left of the limit; "
                "skip the artifact"
            )
        digest.update(chunk)
        out.write(chunk)
    if size != entry.size:
        raise ArtifactError(
            f"{entry.path} from {source} is {size} bytes but its manifest says {entry.size}; "
            "the artifact is corrupt, so ask the publisher to re-upload"
        )
    if digest.hexdigest() != entry.sha256:
        raise ArtifactError(
            f"{entry.path} from {source} does not match its sha256 in the manifest; "
            "the artifact is corrupt or was tampered with, so skip it"
        )
    return size


def _read_at_most(stream: IO[bytes], limit: int) -> bytes:
    """Read until end of stream or `limit` bytes, whichever comes first."""
    parts = []
    left = limit
    while left > 0:
        chunk = stream.read(min(CHUNK_BYTES, left))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


@contextlib.contextmanager
def _staging(parent: Path) -> Iterator[Path]:
    """A fresh hidden folder inside `parent`, removed on the way out unless published."""
    staging = Path(tempfile.mkdtemp(prefix=PARTIAL_PREFIX, dir=parent))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _publish(staging: Path, final: Path) -> None:
    """Rename the finished staging folder to its final name, atomically.

    If another writer got there first the folder is already in place (same
    hash, same content) and ours is dropped by `_staging`.
    """
    _fsync_dir(staging)
    try:
        os.rename(staging, final)
    except OSError:
        if not final.is_dir():
            raise
        return
    _fsync_dir(final.parent)


def _write_bytes(path: Path, data: bytes) -> None:
    with path.open("xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _fsync_dir(path: Path) -> None:
    """Flush a folder's entries to disk where the platform allows it (POSIX)."""
    if os.name != "posix":
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _check_existing_manifest(folder: Path, data: bytes) -> None:
    """A no-op put still checks that the stored manifest is the one expected."""
    path = folder / MANIFEST_NAME
    if not path.is_file() or path.read_bytes() != data:
        raise ArtifactError(
            f"{folder} exists but does not hold this artifact's manifest; delete it and put again"
        )


def _read_error(path: str, source: str, exc: BaseException) -> ArtifactError:
    return ArtifactError(
        f"could not read {path} from {source} ({type(exc).__name__}: {exc}); "
        "check the URL and your connection"
    )
