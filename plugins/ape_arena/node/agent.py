"""The long-running node: follow the chain and advance every task this
account takes part in, one idempotent step at a time (node/roles.py)."""

import time
from collections.abc import Callable

from ape_arena.chain.tasks import PHASE_SUBMIT, TaskClient, TaskError


class Agent:
    """Runs one role (a `Trainer` or a `Validator`) over many tasks."""

    def __init__(self, worker, task_ids: list[int], join_new: bool = False):
        self.worker = worker
        ctx = worker.ctx
        # Tasks this account already has a record for resume by themselves.
        known = ctx.state.tasks(ctx.chain_id, worker.role_name, ctx.address)
        self.task_ids = sorted(set(task_ids) | set(known))
        self.join_new = join_new
        self.finished: set[int] = set()

    def discover(self) -> None:
        """Add every task in its submit phase whose kind this node can run."""
        from ape_arena.kinds.registry import kind_names

        client = TaskClient(self.worker.ctx.protocol)
        kinds = set(kind_names())
        for task_id in range(1, client.count() + 1):
            if task_id in self.task_ids or task_id in self.finished:
                continue
            info = client.info(task_id)
            if info.phase == PHASE_SUBMIT and info.kind in kinds:
                self.task_ids.append(task_id)

    def step(self, echo: Callable[[str], None]) -> int | None:
        """Advance every followed task once; the earliest time something is
        due next (None when nothing is left)."""
        if self.join_new:
            self.discover()
        due = []
        for task_id in list(self.task_ids):
            try:
                outcome = self.worker.advance(task_id)
            except TaskError as err:
                echo(f"[task {task_id}] {err}")
                self.task_ids.remove(task_id)
                self.finished.add(task_id)
                continue
            for line in outcome.did:
                echo(f"[task {task_id}] {line}")
            if outcome.finished:
                self.task_ids.remove(task_id)
                self.finished.add(task_id)
            elif outcome.next_at:
                due.append(outcome.next_at)
        return min(due) if due else None

    def run(self, poll: float = 5.0, once: bool = False, echo: Callable[[str], None] = print):
        client = TaskClient(self.worker.ctx.protocol)
        role = self.worker.role_name
        following = self.task_ids or "(new ones)"
        echo(f"{role} node for {self.worker.ctx.address}: following tasks {following}")
        try:
            while True:
                next_at = self.step(echo)
                if once or (not self.task_ids and not self.join_new):
                    break
                wait = poll if next_at is None else max(0.5, min(poll, next_at - client.now()))
                time.sleep(wait)
        except KeyboardInterrupt:
            echo("stopped; start the node again to go on where it was")
        if not self.task_ids and not self.join_new:
            echo("every followed task is done")
