"""The long-running node: follow the chain and advance every task this
account takes part in, one idempotent step at a time (node/role.py and one module per role).

No task can stop the node. When one task's step raises anything at all (a
sentence from the node, a broken artifact, a dropped RPC connection, a bug),
the agent logs it in one line, records it in that task's state record
(`last_error`, `failures`), leaves the task alone for a back-off that doubles
with each failure in a row (from `BACKOFF_S` up to `MAX_BACKOFF_S`), and
serves its other tasks meanwhile. After `MAX_FAILURES` failures in a row it
stops following that task until the node is started again.
"""

import time
from collections.abc import Callable

from ape_arena.chain.tasks import PHASE_SUBMIT, TaskClient
from ape_arena.exceptions import ArenaError
from ape_arena.untrusted import clip

BACKOFF_S = 5.0
MAX_BACKOFF_S = 900.0
MAX_FAILURES = 8
# The longest error a log line or a state record carries.
LINE_CHARS = 400


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
        # Failures in a row per task, and when (time.monotonic) it may be tried again.
        self.failures: dict[int, int] = {}
        self.retry_at: dict[int, float] = {}

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
            if self.retry_at.get(task_id, 0.0) > time.monotonic():
                continue
            try:
                outcome = self.worker.advance(task_id)
            except Exception as err:  # one task's failure never stops the others
                self._failed(task_id, err, echo)
                continue
            if self.failures.pop(task_id, 0):
                self.retry_at.pop(task_id, None)
                self._record(task_id, echo, last_error=None, failures=0)
            for line in outcome.did:
                echo(f"[task {task_id}] {line}")
            if outcome.finished:
                self.task_ids.remove(task_id)
                self.finished.add(task_id)
            elif outcome.next_at:
                due.append(outcome.next_at)
        return min(due) if due else None

    def _failed(self, task_id: int, err: Exception, echo: Callable[[str], None]) -> None:
        """Log, record and back off after a failed step; give up after MAX_FAILURES."""
        count = self.failures.get(task_id, 0) + 1
        self.failures[task_id] = count
        # The node's own sentences stand alone; anything else is named by its type.
        text = str(err) if isinstance(err, ArenaError) else f"{type(err).__name__}: {err}"
        reason = clip(text, LINE_CHARS)
        if count >= MAX_FAILURES:
            self.task_ids.remove(task_id)
            self.finished.add(task_id)
            echo(
                f"[task {task_id}] failed {count} times in a row, last: {reason}; no longer "
                "followed, so fix the cause and start the node again"
            )
        else:
            delay = min(MAX_BACKOFF_S, BACKOFF_S * 2 ** (count - 1))
            self.retry_at[task_id] = time.monotonic() + delay
            echo(f"[task {task_id}] failed ({reason}); trying again in {delay:.0f} s")
        self._record(task_id, echo, last_error=reason, failures=count)

    def _record(self, task_id: int, echo: Callable[[str], None], **changes) -> None:
        """Write the failure bookkeeping into the task's state record, come what may."""
        ctx = self.worker.ctx
        try:
            ctx.state.update(ctx.chain_id, task_id, self.worker.role_name, ctx.address, **changes)
        except Exception as err:
            echo(f"[task {task_id}] could not record it in the node state ({clip(err)})")

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
