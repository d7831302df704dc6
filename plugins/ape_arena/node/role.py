"""The steps every role shares: its state record (written before each
transaction), joining, the phase checks, committing, revealing and settling.

Each role's `advance(task_id)` looks at the task's phase, the chain and the
local state, does every step that is due now, and returns an `Outcome`.
Calling it again, after a crash or from another process, never repeats a
transaction: before each one the state is written (the salt first, so a
commitment can always be revealed), and each step checks the chain for
whether it already happened.
"""

from ape_arena.chain.tasks import (
    PHASE_CANCELLED,
    PHASE_FINALIZE,
    PHASE_FINALIZED,
    PHASE_SUBMIT,
    ROLE_TRAINER,
    TaskError,
)
from ape_arena.node.context import NodeContext, Outcome, _hex
from ape_arena.units import format_arena

# The phases of a task that is over: a participant has no steps of its own left, it settles.
OVER = (PHASE_FINALIZE, PHASE_FINALIZED, PHASE_CANCELLED)
SETTLE = "finalize and claim"  # the next step once a participant's own steps are done


class _Role:
    role_name = ""
    role = 0
    action = ""  # what it cannot do unless joined, for the error message ("train")

    def __init__(self, ctx: NodeContext):
        self.ctx = ctx
        # A task's spec hash never changes: read it from the chain once.
        self._spec_hashes: dict[int, str] = {}

    def record(self, task_id: int) -> dict:
        """This account's state for the task; refuses a record written for
        another task that had the same id (a local chain started afresh)."""
        ctx = self.ctx
        data = ctx.state.load(ctx.chain_id, task_id, self.role_name, ctx.address)
        written_for = data.get("spec_hash")
        if written_for and written_for != self._spec_hash(task_id):
            path = ctx.state.path(ctx.chain_id, task_id, self.role_name, ctx.address)
            raise TaskError(
                f"The node state {path} was written for another task {task_id} (a local chain "
                "started afresh?); move that file away and run again."
            )
        return data

    def remember(self, task_id: int, **changes) -> dict:
        """Merge `changes` into the state record, written before any
        transaction that depends on them."""
        self.record(task_id)
        changes.setdefault("spec_hash", self._spec_hash(task_id))
        return self.ctx.state.update(
            self.ctx.chain_id, task_id, self.role_name, self.ctx.address, **changes
        )

    def _spec_hash(self, task_id: int) -> str:
        if task_id not in self._spec_hashes:
            self._spec_hashes[task_id] = _hex(self.ctx.protocol.tasks.tasks(task_id).spec_hash)
        return self._spec_hashes[task_id]

    def join(self, task_id: int, stake: int | None) -> str | None:
        """Join the task with `stake` (default: the task's minimum) unless joined."""
        client = self.ctx.client
        p = client.participant(task_id, self.ctx.address)
        if int(p.role) == self.role:
            return None
        if int(p.role) != 0:
            client.expect_joined(task_id, self.ctx.address, self.role, "join")
        info = client.expect_phase(task_id, {PHASE_SUBMIT}, "join")
        minimum = info.min_trainer_stake if self.role == ROLE_TRAINER else info.min_validator_stake
        amount = minimum if stake is None else stake
        client.expect_stake(self.ctx.address, amount, minimum)
        full = (
            info.n_trainers >= info.max_trainers
            if self.role == ROLE_TRAINER
            else (info.n_validators >= info.max_validators)
        )
        if full:
            raise TaskError(f"Task {task_id} has no {self.role_name} slot left; pick another task.")
        self.remember(task_id, stake=amount)
        client.join(task_id, self.role, amount)
        return f"joined task {task_id} as a {self.role_name} with {format_arena(amount)} ARENA"

    def advance(self, task_id: int) -> Outcome:
        """Do this participant's steps that are due in the task's phase (`step`), or
        settle once the task is over; say what comes next and when."""
        outcome = Outcome()
        info, p = self.begin(task_id, outcome, self.action)
        if info.phase in OVER:
            self.settle(task_id, info.phase, outcome)
        else:
            outcome.next_at, outcome.next_step = self.step(task_id, info, p, outcome)
        return outcome

    def step(self, task_id: int, info, p, outcome: Outcome) -> tuple[int, str]:
        """The role's steps in a phase from submit to score reveal (`p` is None in the
        submit phase); returns when the next step is due, and what it is."""
        raise NotImplementedError

    def begin(self, task_id: int, outcome: Outcome, action: str):
        """The task's info, and this account's record in it (None in the
        submit phase, after joining if needed)."""
        client = self.ctx.client
        self.record(task_id)  # refuses a stale record before anything is sent
        info = client.info(task_id)
        if info.phase == PHASE_SUBMIT:
            joined = self.join(task_id, getattr(self, "stake", None))
            if joined:
                outcome.did.append(joined)
            return info, None
        p = client.participant(task_id, self.ctx.address)
        if int(p.role) != self.role:
            client.expect_joined(task_id, self.ctx.address, self.role, action)
        return info, p

    def commit(self, task_id: int, commitment: bytes, send, what: str, outcome: Outcome) -> None:
        """Send `commitment` with `send(task_id, commitment)` unless the chain holds
        it already, then record that it is committed."""
        p = self.ctx.client.participant(task_id, self.ctx.address)
        if bytes(p.commitment) != commitment:
            send(task_id, commitment)
            outcome.did.append(f"committed {what} to task {task_id}")
        self.remember(task_id, committed=True)

    def revealable(self, task_id: int, p, outcome: Outcome, what: str) -> dict | None:
        """The state record to reveal from, or None when there is nothing to
        reveal (already revealed, or never committed)."""
        if p.revealed:
            return None
        if not p.committed:
            outcome.did.append(f"nothing was committed to task {task_id}; nothing to reveal")
            return None
        record = self.record(task_id)
        if not record.get("salt"):
            raise TaskError(
                f"No salt for task {task_id} in {self.ctx.state.folder}; the {what} can only "
                "be revealed from the node state that committed it."
            )
        return record

    def settle(self, task_id: int, phase: int, outcome: Outcome) -> None:
        """Finalize (anyone may) and claim this account's part."""
        if phase == PHASE_FINALIZE:
            steps = self.ctx.client.finalize(task_id)
            outcome.did.append(f"finalized task {task_id} ({steps} steps)")
            phase = PHASE_FINALIZED
        if phase in (PHASE_FINALIZED, PHASE_CANCELLED):
            p = self.ctx.client.participant(task_id, self.ctx.address)
            if int(p.role) != 0 and not p.claimed:
                reward = self.ctx.client.claim(task_id, self.ctx.address)
                outcome.did.append(
                    f"claimed task {task_id}: {format_arena(reward)} ARENA into the pool"
                )
            outcome.finished = True
