"""Durable local state of the node.

Everything a participant must not lose between two transactions (the eval
salt, a model's salt and hash, the scores committed) is written here before
the transaction that depends on it is sent, so a node killed at any moment
finds it on restart: nothing revealed can be lost and nothing is done twice.

One JSON file per (chain, task, role, account) under the state folder:
`<folder>/<chain_id>/task-<id>/<role>-<account>.json`. Every write goes to a
temporary file in the same folder, is flushed to disk, then renamed over the
old file, so a crash leaves the old record or the new one, never half of one.
The files hold secrets (salts): they are created readable by their owner only.
"""

import json
from pathlib import Path
from typing import Any

from ape_arena.exceptions import ArenaError
from ape_arena.files import write_json_atomically


class StateError(ArenaError):
    """A state file exists but cannot be read."""


class StateStore:
    """The node's records, one JSON object per task, role and account."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder).expanduser()

    def path(self, chain_id: int, task_id: int, role: str, account: str) -> Path:
        return self.folder / str(chain_id) / f"task-{task_id}" / f"{role}-{account.lower()}.json"

    def load(self, chain_id: int, task_id: int, role: str, account: str) -> dict[str, Any]:
        path = self.path(chain_id, task_id, role, account)
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise StateError(
                f"Cannot read the node state {path} ({err}); restore it from a backup, or "
                "delete it only if nothing was committed from it."
            ) from err
        if not isinstance(data, dict):
            raise StateError(
                f"The node state {path} is not a JSON object; restore it from a backup."
            )
        return data

    def save(self, chain_id: int, task_id: int, role: str, account: str, data: dict) -> None:
        write_json_atomically(self.path(chain_id, task_id, role, account), data, private=True)

    def update(self, chain_id: int, task_id: int, role: str, account: str, **changes) -> dict:
        """Merge `changes` into the record and write it; returns the new record."""
        record = self.load(chain_id, task_id, role, account)
        record.update(changes)
        self.save(chain_id, task_id, role, account, record)
        return record

    def tasks(self, chain_id: int, role: str, account: str) -> list[int]:
        """Every task this account has a record for in `role`, in id order."""
        base = self.folder / str(chain_id)
        name = f"{role}-{account.lower()}.json"
        ids = []
        if base.is_dir():
            for entry in base.iterdir():
                if entry.name.startswith("task-") and (entry / name).is_file():
                    ids.append(int(entry.name.removeprefix("task-")))
        return sorted(ids)
