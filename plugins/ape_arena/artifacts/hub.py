"""Base models straight from a Hugging Face Hub repository, pinned twice.

A chat-lora task may say where else its base model lives: a Hub repo id and a
40-hex commit (`hf_revision`, never a branch, which moves). The files are
downloaded at that commit into a staging folder beside the cache, only the
names a base model may hold (`ape_arena.ml.hf` checks the folder after), and
the folder's manifest must hash to the task's `base_model`: the revision says
where, the hash says what, so a force-pushed or tampered repo is refused.
Only then is the folder renamed into ``cache/<hex hash>``.

Artifacts in the project's own layout (``<base>/<hex hash>/manifest.json``)
need nothing from here: with huggingface_hub installed, fsspec reads and
writes ``hf://<user>/<repo>@<revision>/...`` URLs, so an `FsspecStore`
serves adapters and bases kept on the Hub like any other URL.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ape_arena.artifacts.errors import ArtifactError
from ape_arena.artifacts.manifest import build_manifest, hash_hex, manifest_hash, parse_hash

# The files a base model snapshot is made of (see ape_arena.ml.hf).
BASE_PATTERNS = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "model-*-of-*.safetensors",
    "model.safetensors.index.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.jinja",
)

Download = Callable[..., Any]


def _snapshot_download(**kwargs: Any) -> Any:
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise ArtifactError(
            "huggingface_hub is not installed; run `pip install huggingface_hub` to fetch from "
            "the Hub"
        ) from exc
    return snapshot_download(**kwargs)


def fetch_hub_snapshot(
    repo_id: str,
    revision: str,
    expected_hash: bytes | str,
    cache_dir: Path,
    max_bytes: int,
    *,
    download: Download = _snapshot_download,
) -> Path:
    """Download `repo_id` at commit `revision` into ``cache_dir/<hex hash>``; return it.

    Raises:
        ArtifactError: the download fails, is over `max_bytes`, or its files do
            not hash to `expected_hash`; nothing is left in `cache_dir` then.
    """
    expected = parse_hash(expected_hash)
    final = Path(cache_dir) / expected.hex()
    if final.is_dir():
        return final
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".hub-", dir=cache_dir))
    try:
        try:
            download(
                repo_id=repo_id,
                revision=revision,
                local_dir=str(staging),
                allow_patterns=list(BASE_PATTERNS),
            )
        except ArtifactError:
            raise
        except Exception as exc:
            raise ArtifactError(
                f"the Hub download of {repo_id}@{revision[:12]} failed ({exc}); check the repo "
                "id, the revision and the network (or set HF_TOKEN for a gated model)"
            ) from exc
        # huggingface_hub keeps its bookkeeping in local_dir/.cache.
        shutil.rmtree(staging / ".cache", ignore_errors=True)
        total = sum(p.stat().st_size for p in staging.rglob("*") if p.is_file())
        if total > max_bytes:
            raise ArtifactError(f"{repo_id} is {total:,} bytes, over the {max_bytes:,} allowed")
        got = manifest_hash(build_manifest(staging))
        if got != expected:
            raise ArtifactError(
                f"{repo_id}@{revision[:12]} hashes to {hash_hex(got)[:18]}..., not the task's "
                f"base_model {hash_hex(expected)[:18]}...; the repo is not the base the task pinned"
            )
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final
