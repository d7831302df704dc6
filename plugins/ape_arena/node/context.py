"""What a node role works with: the chain, the account, local folders, and
what one step did (`Outcome`)."""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ape_arena.chain.tasks import (
    TaskClient,
    TaskError,
)
from ape_arena.node.scoring import FETCH_TIMEOUT_S, SCORE_TIMEOUT_S
from ape_arena.node.state import StateStore
from ape_arena.untrusted import clip


@dataclass
class Outcome:
    """What one `advance` did, and what comes next."""

    did: list[str] = field(default_factory=list)
    # When the next step can be taken (a timestamp), None when nothing is left.
    next_at: int | None = None
    next_step: str = ""
    finished: bool = False


@dataclass
class NodeContext:
    """Everything a role needs: the chain, the account, local folders."""

    protocol: Any
    account: Any
    state: StateStore
    store_url: str
    work: Path
    device: str = "auto"
    max_download_bytes: int = 2 * 1024**3
    # Bounds on one artifact's download and one model's scoring (node/scoring.py).
    fetch_timeout_s: float = FETCH_TIMEOUT_S
    score_timeout_s: float = SCORE_TIMEOUT_S
    log: Callable[[str], None] = print

    @property
    def client(self) -> TaskClient:
        """The task manager's gateway, sending from the node's account."""
        return TaskClient(self.protocol, send=self.send)

    @property
    def chain_id(self) -> int:
        return int(self.protocol.tasks.provider.chain_id)

    @property
    def address(self) -> str:
        return str(self.account.address)

    def send(self, contract, method: str, *args):
        """Send a transaction from the node's account."""
        return contract.invoke_transaction(method, *args, sender=self.account)

    def store(self):
        from ape_arena.artifacts import store_for_url

        return store_for_url(self.store_url)

    @property
    def downloads(self) -> Path:
        return self.work / "downloads"

    def fetch(self, uri: str, expected: bytes, max_bytes: int) -> Path:
        """Fetch a task's artifact (spec or eval set); a failure is the task's, in one sentence."""
        from ape_arena.artifacts import ArtifactError, fetch_artifact

        try:
            return fetch_artifact(
                uri, expected, self.downloads, max_bytes, timeout_s=self.fetch_timeout_s
            )
        except ArtifactError as err:
            raise TaskError(f"A task artifact cannot be used: {clip(err)}.") from err


def _salt() -> bytes:
    return os.urandom(32)


def _hex(data: bytes) -> str:
    return "0x" + bytes(data).hex()


def _bytes(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


def fetch_public(ctx: NodeContext, info) -> tuple[Path, dict]:
    from ape_arena.node.spec import read_task_document

    uri = ctx.client.spec_uri(info.task_id)
    folder = ctx.fetch(uri, info.spec_hash, ctx.max_download_bytes)
    return folder, read_task_document(folder)
