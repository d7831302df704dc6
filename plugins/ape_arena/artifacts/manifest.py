"""Manifests: the list of an artifact's files whose hash is the artifact's address.

A manifest is the JSON document ``{"version": 1, "files": [{"path", "size",
"sha256"}, ...]}`` with the files sorted by path (code point order), serialized
canonically with ``json.dumps(sort_keys=True, separators=(",", ":"))``. The
artifact hash is the sha256 of those bytes. Parsing is strict: only the
canonical bytes of a valid manifest are accepted, so one artifact has exactly
one hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ape_arena import model_rules
from ape_arena.artifacts.errors import ArtifactError
from ape_arena.untrusted import UntrustedJSONError, parse_json, shown

MANIFEST_VERSION = 1
# The manifest's own file name inside a stored or fetched artifact folder; no
# artifact file may use it at the top level.
MANIFEST_NAME = model_rules.MANIFEST_NAME
MAX_FILES = 10_000
MAX_FILE_BYTES = 1 << 40  # 1 TiB: far above any model, far below int overflow anywhere.
MAX_MANIFEST_BYTES = 8 << 20  # 10_000 entries of ~1 KiB paths fit with room to spare.
MAX_PATH_CHARS = 1_024
MAX_NAME_CHARS = 255  # the usual file-system limit on one path component
CHUNK_BYTES = 1 << 20
HASH_BYTES = 32

# The POSIX portable file name characters: safe in every file system, in object
# store keys and in URLs without quoting.
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
_HEX_CHARS = frozenset("0123456789abcdef")
_TOP_KEYS = frozenset({"version", "files"})
_ENTRY_KEYS = frozenset({"path", "size", "sha256"})


@dataclass(frozen=True)
class FileEntry:
    """One file of an artifact: its relative POSIX path, size in bytes and sha256 (hex)."""

    path: str
    size: int
    sha256: str

    def __post_init__(self) -> None:
        check_path(self.path)
        if not _is_int(self.size) or not 0 <= self.size <= MAX_FILE_BYTES:
            raise ArtifactError(
                f"manifest entry {shown(self.path)} has size {shown(self.size)}; "
                f"sizes are whole numbers of bytes from 0 to {MAX_FILE_BYTES}"
            )
        if (
            not isinstance(self.sha256, str)
            or len(self.sha256) != 64
            or not set(self.sha256) <= _HEX_CHARS
        ):
            raise ArtifactError(
                f"manifest entry {shown(self.path)} has sha256 {shown(self.sha256)}; "
                "digests are 64 lowercase hex characters"
            )

    def to_json(self) -> dict[str, Any]:
        """The entry as the JSON object the manifest holds."""
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class Manifest:
    """The files of an artifact, sorted by path; build one with `build_manifest`."""

    files: tuple[FileEntry, ...]
    version: int = MANIFEST_VERSION

    def __post_init__(self) -> None:
        if not _is_int(self.version) or self.version != MANIFEST_VERSION:
            raise ArtifactError(
                f"manifest version {shown(self.version)} is not supported; "
                f"this node reads version {MANIFEST_VERSION}, so upgrade it or re-publish"
            )
        files = tuple(sorted(self.files, key=lambda entry: entry.path))
        object.__setattr__(self, "files", files)
        if not files:
            raise ArtifactError("the manifest lists no files; an artifact holds at least one file")
        if len(files) > MAX_FILES:
            raise ArtifactError(
                f"the manifest lists {len(files)} files, over the limit of {MAX_FILES}; "
                "pack small files into fewer larger ones"
            )
        _check_layout(entry.path for entry in files)

    @property
    def total_size(self) -> int:
        """The sum of the files' sizes in bytes."""
        return sum(entry.size for entry in self.files)

    def to_json(self) -> dict[str, Any]:
        """The manifest as a JSON-ready dict."""
        return {"version": self.version, "files": [entry.to_json() for entry in self.files]}

    def to_bytes(self) -> bytes:
        """The canonical serialization: the bytes whose sha256 is the artifact hash."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        """Parse canonical manifest bytes, rejecting anything malformed or non-canonical."""
        if len(data) > MAX_MANIFEST_BYTES:
            raise ArtifactError(
                f"the manifest is {len(data)} bytes, over the limit of {MAX_MANIFEST_BYTES}; "
                "an artifact has at most a few thousand files"
            )
        try:
            document = parse_json(data)
        except UntrustedJSONError as exc:
            raise ArtifactError(
                f"the manifest is refused ({exc}); ask the publisher to re-upload"
            ) from None
        if not isinstance(document, dict) or set(document) != _TOP_KEYS:
            raise ArtifactError(
                'the manifest must be a JSON object with exactly the keys "version" and "files"; '
                "ask the publisher to re-upload"
            )
        raw_files = document["files"]
        if not isinstance(raw_files, list):
            raise ArtifactError(
                'the manifest\'s "files" is not a list; ask the publisher to re-upload'
            )
        entries = []
        for raw in raw_files:
            if not isinstance(raw, dict) or set(raw) != _ENTRY_KEYS:
                raise ArtifactError(
                    'every manifest entry must be an object with exactly "path", "size" and '
                    '"sha256"; ask the publisher to re-upload'
                )
            entries.append(FileEntry(path=raw["path"], size=raw["size"], sha256=raw["sha256"]))
        paths = [entry.path for entry in entries]
        if paths != sorted(paths):
            raise ArtifactError(
                "the manifest's files are not sorted by path; ask the publisher to re-upload"
            )
        manifest = cls(files=tuple(entries), version=document["version"])
        if manifest.to_bytes() != data:
            raise ArtifactError(
                "the manifest is not in canonical form (sorted keys, no spaces); "
                "ask the publisher to re-upload it with this node's tools"
            )
        return manifest


def check_path(path: object) -> None:
    """Reject an artifact file path that is not a plain relative POSIX path."""
    if not isinstance(path, str) or not path:
        raise ArtifactError(
            f"artifact path {shown(path)} is not a non-empty string; rename the file"
        )
    if len(path) > MAX_PATH_CHARS:
        raise ArtifactError(
            f"artifact path {shown(path)} is over {MAX_PATH_CHARS} characters; shorten it"
        )
    if path.startswith("/"):
        raise ArtifactError(
            f"artifact path {shown(path)} is absolute; paths are relative to the artifact"
        )
    for part in path.split("/"):
        if part in ("", ".", ".."):
            raise ArtifactError(
                f"artifact path {shown(path)} has an empty, '.' or '..' component; "
                "use plain relative paths inside the artifact"
            )
        if len(part) > MAX_NAME_CHARS or not set(part) <= _NAME_CHARS:
            raise ArtifactError(
                f"artifact path {shown(path)} is not portable; use names of at most "
                f"{MAX_NAME_CHARS} letters, digits, '.', '_' or '-' separated by '/'"
            )
    if path == MANIFEST_NAME:
        raise ArtifactError(
            f"{MANIFEST_NAME} at the top of an artifact is reserved for its manifest; "
            "rename the file or move it into a subfolder"
        )


def build_manifest(directory: str | os.PathLike[str]) -> Manifest:
    """The manifest of every regular file under `directory` (symlinks are refused)."""
    root = Path(directory)
    if not root.is_dir():
        raise ArtifactError(f"{root} is not a folder; point at the folder holding the artifact")
    entries = []
    for path, relative in _walk(root):
        size, digest = file_digest(path)
        entries.append(FileEntry(path=relative, size=size, sha256=digest))
    if not entries:
        raise ArtifactError(f"{root} holds no files; put the artifact's files in it first")
    return Manifest(files=tuple(entries))


def manifest_hash(manifest: Manifest) -> bytes:
    """The artifact hash: sha256 of the canonical manifest bytes (the on-chain bytes32)."""
    return hashlib.sha256(manifest.to_bytes()).digest()


def hash_hex(artifact_hash: bytes) -> str:
    """The hash as ``0x`` followed by 64 lowercase hex characters."""
    return "0x" + parse_hash(artifact_hash).hex()


def parse_hash(value: bytes | str) -> bytes:
    """Accept a hash as 32 bytes or as 64 hex characters (``0x`` optional); return 32 bytes."""
    if isinstance(value, (bytes, bytearray)):
        if len(value) == HASH_BYTES:
            return bytes(value)
    elif isinstance(value, str):
        text = value[2:] if value[:2] in ("0x", "0X") else value
        if len(text) == 2 * HASH_BYTES and set(text.lower()) <= _HEX_CHARS:
            return bytes.fromhex(text)
    raise ArtifactError(
        f"{shown(value)} is not an artifact hash; give 32 bytes or 0x followed by 64 hex characters"
    )


def expect_hash(data: bytes, expected: bytes, what: str, fix: str) -> None:
    """Refuse a manifest whose bytes do not hash to `expected`, naming `what` and the `fix`."""
    actual = hashlib.sha256(data).digest()
    if actual != expected:
        raise ArtifactError(
            f"hash mismatch: {what} hashes to {hash_hex(actual)}, not {hash_hex(expected)}; {fix}"
        )


def file_digest(path: Path) -> tuple[int, str]:
    """The size and sha256 (hex) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def verify_dir(
    directory: str | os.PathLike[str], expected_hash: bytes | str | None = None
) -> Manifest:
    """Check a stored artifact folder (manifest.json + files) against its manifest.

    The folder must hold exactly the manifest's files with the listed sizes and
    digests, and, when `expected_hash` is given, the manifest must hash to it.
    """
    root = Path(directory)
    manifest_path = root / MANIFEST_NAME
    if not manifest_path.is_file() or manifest_path.is_symlink():
        raise ArtifactError(
            f"{root} has no {MANIFEST_NAME}; it is not a stored artifact, so fetch it again"
        )
    data = manifest_path.read_bytes()
    if expected_hash is not None:
        expect_hash(
            data, parse_hash(expected_hash), str(manifest_path),
            f"delete {root} and fetch the artifact again",
        )  # fmt: skip
    manifest = Manifest.from_bytes(data)
    listed = {entry.path: entry for entry in manifest.files}
    present = dict(_walk(root, skip_manifest=True))
    present_paths = set(present.values())
    if present_paths != set(listed):
        extra = sorted(present_paths - set(listed))
        missing = sorted(set(listed) - present_paths)
        raise ArtifactError(
            f"{root} does not match its manifest (extra: {extra}, missing: {missing}); "
            "delete it and fetch the artifact again"
        )
    for path, relative in present.items():
        size, digest = file_digest(path)
        entry = listed[relative]
        if (size, digest) != (entry.size, entry.sha256):
            raise ArtifactError(
                f"{path} does not match its manifest entry; delete {root} and fetch it again"
            )
    return manifest


def _walk(root: Path, *, skip_manifest: bool = False) -> Iterator[tuple[Path, str]]:
    """Yield (path, relative POSIX path) for every regular file under root, in sorted order."""
    pending = [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as scan:
            children = sorted(scan, key=lambda child: child.name)
        subfolders = []
        for child in children:
            relative = prefix + child.name
            if skip_manifest and relative == MANIFEST_NAME:
                continue
            mode = child.stat(follow_symlinks=False).st_mode
            if stat.S_ISLNK(mode):
                raise ArtifactError(
                    f"{child.path} is a symlink; artifacts hold plain files, so copy the target"
                )
            if stat.S_ISDIR(mode):
                subfolders.append((Path(child.path), relative + "/"))
            elif stat.S_ISREG(mode):
                yield Path(child.path), relative
            else:
                raise ArtifactError(
                    f"{child.path} is not a regular file; artifacts hold plain files only"
                )
        pending.extend(reversed(subfolders))


def _check_layout(paths: Iterator[str]) -> None:
    """Reject duplicate paths, paths equal up to case, and a file that is also a folder."""
    seen: set[str] = set()
    folded: set[str] = set()
    folders: set[str] = set()
    files: set[str] = set()
    for path in paths:
        if path in seen:
            raise ArtifactError(
                f"the manifest lists {shown(path)} twice; each file appears once, so re-publish"
            )
        if path.lower() in folded:
            raise ArtifactError(
                f"the manifest has two paths equal to {shown(path)} up to case; "
                "rename one, since case-insensitive file systems cannot hold both"
            )
        seen.add(path)
        folded.add(path.lower())
        files.add(path)
        parts = path.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    clash = files & folders
    if clash:
        raise ArtifactError(
            f"the manifest uses {shown(sorted(clash)[0])} both as a file and as a folder; "
            "re-publish"
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
