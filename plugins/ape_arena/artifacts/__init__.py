"""Content-addressed artifacts: model weights, configs and data, verified on fetch.

Format
------
An artifact is a folder of files. Its *manifest* lists every file::

    {"version": 1,
     "files": [{"path": "config.json", "size": 97, "sha256": "<64 hex>"}, ...]}

Paths are relative POSIX paths of portable names (letters, digits, ``.``,
``_``, ``-``; no ``..``, no absolute paths, no duplicates), sorted by path.
The manifest is serialized canonically with
``json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()`` and the
*artifact hash* is the sha256 of those bytes: 32 bytes, the ``bytes32`` that
goes on chain, shown as ``0x`` + 64 hex characters. Only canonical manifests
parse, so an artifact has exactly one hash.

Stores
------
A store holds ``<base>/<64 hex hash>/manifest.json`` plus the files at their
paths. `store_for_url` picks one: a plain path or ``file://`` gives a
`LocalStore` (atomic writes: temporary folder, then rename), any other fsspec
URL (``s3://``, ``gs://``, ``https://``, ``memory://``) an `FsspecStore`, and
``ipfs://CID/...`` is read through an HTTPS gateway (``https://ipfs.io/ipfs/``
by default). `ArtifactStore.fetch` checks the manifest hash, refuses an
artifact over ``max_bytes`` before downloading it, reads each file no further
than its declared size, checks every digest, and only then renames the folder
into ``dest_dir/<hex hash>``; a failed fetch leaves nothing behind.

Model weights
-------------
A model artifact holds ``model.safetensors`` and ``config.json`` (optionally
``README.md`` and ``metadata.json``). `check_model_dir` and
`check_weights_file` accept safetensors only and refuse pickles and
``torch.save`` archives by name; nothing is ever unpickled.

This package never imports ``ape`` or ``ape_arena.chain``; every error is an
`ArtifactError` whose message says what is wrong and what to do.
"""

from ape_arena.artifacts.errors import ArtifactError
from ape_arena.artifacts.manifest import (
    MANIFEST_NAME,
    MANIFEST_VERSION,
    FileEntry,
    Manifest,
    build_manifest,
    hash_hex,
    manifest_hash,
    parse_hash,
    verify_dir,
)
from ape_arena.artifacts.safety import (
    CONFIG_NAME,
    WEIGHTS_NAME,
    ModelDir,
    TensorInfo,
    WeightsInfo,
    check_model_dir,
    check_weights_file,
)
from ape_arena.artifacts.stores import (
    DEFAULT_IPFS_GATEWAY,
    ArtifactStore,
    FsspecStore,
    LocalStore,
    fetch_artifact,
    ipfs_gateway_url,
    store_for_url,
)

__all__ = [
    "CONFIG_NAME",
    "DEFAULT_IPFS_GATEWAY",
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "WEIGHTS_NAME",
    "ArtifactError",
    "ArtifactStore",
    "FileEntry",
    "FsspecStore",
    "LocalStore",
    "Manifest",
    "ModelDir",
    "TensorInfo",
    "WeightsInfo",
    "build_manifest",
    "check_model_dir",
    "check_weights_file",
    "fetch_artifact",
    "hash_hex",
    "ipfs_gateway_url",
    "manifest_hash",
    "parse_hash",
    "store_for_url",
    "verify_dir",
]
