"""Tasks on the connected chain: reading them, and checks that turn a
transaction bound to revert into a sentence saying what to do.

Everything here takes a `Protocol` (chain/protocol.py). Commitments are
computed exactly as the task manager checks them:
model: keccak256(abi_encode(model_hash, trainer, salt)),
scores: keccak256(abi_encode(scores, validator, salt)),
eval set: keccak256(abi_encode(eval_hash, salt)).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from eth_abi import encode
from eth_utils import keccak

from ape_arena.chain.errors import send_checked
from ape_arena.chain.events import logs, receipt_event
from ape_arena.exceptions import ArenaError
from ape_arena.kinds.scores import INVALID_SCORE as INVALID_SCORE  # the chain's score vocabulary
from ape_arena.units import format_arena, when

PHASE_NONE = 0
PHASE_SUBMIT = 1
PHASE_MODEL_REVEAL = 2
PHASE_EVAL_REVEAL = 3
PHASE_SCORE_COMMIT = 4
PHASE_SCORE_REVEAL = 5
PHASE_FINALIZE = 6
PHASE_FINALIZED = 7
PHASE_CANCELLED = 8
PHASE_NAMES = {
    PHASE_NONE: "unknown",
    PHASE_SUBMIT: "submit",
    PHASE_MODEL_REVEAL: "model reveal",
    PHASE_EVAL_REVEAL: "eval reveal",
    PHASE_SCORE_COMMIT: "score commit",
    PHASE_SCORE_REVEAL: "score reveal",
    PHASE_FINALIZE: "finalize",
    PHASE_FINALIZED: "finalized",
    PHASE_CANCELLED: "cancelled",
}
ROLE_TRAINER = 1
ROLE_VALIDATOR = 2
ROLE_NAMES = {0: "none", ROLE_TRAINER: "trainer", ROLE_VALIDATOR: "validator"}
# TaskManager.vy's finalize batches: submissions per consensus step, validators per trust step.
CONSENSUS_BATCH = 8
TRUST_BATCH = 32
# TaskManager.vy's MAX_TOLERANCE_BPS: validators agree within at most 10%.
MAX_TOLERANCE_BPS = 1_000


class TaskError(ArenaError):
    """A task action that cannot succeed as asked."""


def model_commitment(model_hash: bytes, trainer: str, salt: bytes) -> bytes:
    return keccak(encode(["bytes32", "address", "bytes32"], [model_hash, trainer, salt]))


def score_commitment(scores: list[int], validator: str, salt: bytes) -> bytes:
    return keccak(encode(["uint256[]", "address", "bytes32"], [scores, validator, salt]))


def eval_commitment(eval_hash: bytes, salt: bytes) -> bytes:
    return keccak(encode(["bytes32", "bytes32"], [eval_hash, salt]))


def kind_to_bytes32(kind: str) -> bytes:
    raw = kind.encode()
    if len(raw) > 32:
        raise TaskError(f"The task kind {kind!r} is longer than 32 bytes; use a shorter name.")
    return raw.ljust(32, b"\0")


def kind_from_bytes32(raw: bytes) -> str:
    return bytes(raw).rstrip(b"\0").decode(errors="replace")


@dataclass
class Deadlines:
    submit_end: int
    reveal_end: int
    eval_end: int
    score_commit_end: int
    score_reveal_end: int

    def end_of(self, phase: int) -> int | None:
        return {
            PHASE_SUBMIT: self.submit_end,
            PHASE_MODEL_REVEAL: self.reveal_end,
            PHASE_EVAL_REVEAL: self.eval_end,
            PHASE_SCORE_COMMIT: self.score_commit_end,
            PHASE_SCORE_REVEAL: self.score_reveal_end,
        }.get(phase)

    def start_of(self, phase: int) -> int | None:
        """When `phase` starts by the clock (the eval reveal ends early when
        the creator reveals; score commit starts at the eval reveal then)."""
        return {
            PHASE_MODEL_REVEAL: self.submit_end,
            PHASE_EVAL_REVEAL: self.reveal_end,
            PHASE_SCORE_REVEAL: self.score_commit_end,
            PHASE_FINALIZE: self.score_reveal_end,
        }.get(phase)


@dataclass
class TaskInfo:
    task_id: int
    creator: str
    kind: str
    spec_hash: bytes
    eval_hash: bytes
    reward: int
    emission: int
    bond: int
    min_trainer_stake: int
    min_validator_stake: int
    max_trainers: int
    max_validators: int
    tolerance_bps: int
    n_trainers: int
    n_validators: int
    deadlines: Deadlines
    phase: int
    train_reward: int
    validator_reward: int
    gamma_wad: int
    q_wad: int
    protocol_fee_bps: int
    extra: dict = field(default_factory=dict)

    @property
    def phase_name(self) -> str:
        return PHASE_NAMES[self.phase]


@dataclass(frozen=True)
class ParticipantView:
    """One trainer's or validator's record in a task (TaskManager.vy `Participant`)."""

    address: str
    role: str  # "trainer" or "validator"
    index: int  # join order within its role
    stake: int
    weight: int
    committed: bool
    revealed: bool
    disqualified: bool
    claimed: bool

    @property
    def status(self) -> str:
        """How far it got: disqualified, revealed, committed or joined."""
        if self.disqualified:
            return "disqualified"
        return "revealed" if self.revealed else "committed" if self.committed else "joined"


@dataclass(frozen=True)
class TaskParams:
    """What `create_task` takes, in the contract's order (TaskManager.vy `TaskParams`)."""

    kind: bytes
    spec_hash: bytes
    spec_uri: str
    eval_commitment: bytes
    reward: int
    bond: int
    min_trainer_stake: int
    min_validator_stake: int
    max_trainers: int
    max_validators: int
    submit_duration: int
    model_reveal_duration: int
    eval_reveal_duration: int
    score_commit_duration: int
    score_reveal_duration: int
    tolerance_bps: int

    def as_tuple(self) -> tuple:
        return tuple(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class Claim:
    task_id: int
    participant: str
    role: str
    phase: str
    stake: int
    reward: int
    slashed: int
    commission: int
    receipt: Any


# Sends one transaction from the caller's account: send(contract, method, *args) -> receipt.
Send = Callable[..., Any]


class TaskClient:
    """The gateway to a protocol's task manager: every read, every write, the
    pre-flight checks that turn a doomed transaction into a sentence, and the
    sentence for a revert nobody foresaw.

    Writes need `send` (see `Send`), which signs with the caller's account,
    or the `account` itself.
    """

    def __init__(self, protocol, send: Send | None = None, account=None):
        self.protocol = protocol
        self.tasks = protocol.tasks
        self.provider = protocol.tasks.provider
        if send is None and account is not None:

            def send(contract, method: str, *args):
                return contract.invoke_transaction(method, *args, sender=account)

        self._send = send

    # --- writing ----------------------------------------------------------

    def _tx(self, what: str, method: str, *args):
        if self._send is None:
            raise TaskError(f"This task client only reads; {what} needs an account to send from.")
        hint = "check the task's phase and terms with `ape arena task show ID`"
        return send_checked(what, hint, TaskError, self._send, self.tasks, method, *args)

    def create_task(self, params: TaskParams) -> int:
        """Escrow and create a task; returns its id."""
        receipt = self._tx("the new task", "create_task", params.as_tuple())
        return int(next(iter(receipt.decode_logs(self.tasks.TaskCreated))).task_id)

    def join(self, task_id: int, role: int, stake: int):
        return self._tx("the join", "join", task_id, role, stake)

    def commit_model(self, task_id: int, commitment: bytes):
        return self._tx("the model commitment", "commit_model", task_id, commitment)

    def reveal_model(self, task_id: int, model_hash: bytes, uri: str, salt: bytes):
        return self._tx("the model reveal", "reveal_model", task_id, model_hash, uri, salt)

    def reveal_eval(self, task_id: int, eval_hash: bytes, uri: str, salt: bytes):
        return self._tx("the eval reveal", "reveal_eval", task_id, eval_hash, uri, salt)

    def commit_scores(self, task_id: int, commitment: bytes):
        return self._tx("the score commitment", "commit_scores", task_id, commitment)

    def reveal_scores(self, task_id: int, scores: list[int], salt: bytes):
        return self._tx("the score reveal", "reveal_scores", task_id, scores, salt)

    def claim(self, task_id: int, participant: str) -> int:
        """Settle `participant`'s part; returns the reward paid into its pool."""
        receipt = self._tx("the claim", "claim", task_id, participant)
        return sum(int(log.reward) for log in receipt.decode_logs(self.tasks.RewardClaimed))

    def check_terms(self, terms) -> None:
        """Refuse, with a sentence, terms below the task manager's floors
        (`terms` has reward, bond, min_trainer_stake, min_validator_stake,
        max_validators and tolerance_bps, in wei and bps, like a spec)."""
        tasks, reward = self.tasks, terms.reward
        bond_floor = max(
            int(tasks.min_creator_bond()), reward * int(tasks.min_bond_bps()) // 10_000
        )
        stake_floor = reward * int(tasks.min_validator_stake_bps()) // 10_000
        trainer_floor = reward * int(tasks.min_trainer_stake_bps()) // 10_000
        slots = max(int(tasks.min_validator_slots()), 1)
        if terms.bond < bond_floor:
            raise TaskError(
                f"The bond of {format_arena(terms.bond)} ARENA is below the floor of "
                f"{format_arena(bond_floor)} for this reward; raise `bond` to at least that."
            )
        if terms.min_validator_stake < stake_floor:
            raise TaskError(
                f"min_validator_stake of {format_arena(terms.min_validator_stake)} ARENA is below "
                f"the floor of {format_arena(stake_floor)} for this reward; raise it to at least "
                "that."
            )
        if terms.min_trainer_stake < trainer_floor:
            raise TaskError(
                f"min_trainer_stake of {format_arena(terms.min_trainer_stake)} ARENA is below "
                f"the floor of {format_arena(trainer_floor)} for this reward; raise it to at least "
                "that."
            )
        if terms.max_validators < slots:
            raise TaskError(
                f"max_validators of {terms.max_validators} is below the floor of {slots} validator "
                f"slots; offer at least {slots}."
            )
        if terms.tolerance_bps > MAX_TOLERANCE_BPS:
            raise TaskError(
                f"tolerance_bps of {terms.tolerance_bps} is above the maximum of "
                f"{MAX_TOLERANCE_BPS} (10%); pick {MAX_TOLERANCE_BPS} or less."
            )

    def claim_part(self, task_id: int, participant: str) -> Claim:
        """Settle `participant`'s part in a finalized or cancelled task, checked first."""
        self.expect_task(task_id)
        phase = self.phase(task_id)
        if phase not in (PHASE_FINALIZED, PHASE_CANCELLED):
            raise TaskError(self._unsettled_hint(task_id, phase))
        record = self.participant(task_id, participant)
        if record.role == 0:
            raise TaskError(
                f"{participant} did not join task {task_id} as a trainer or a validator, so it "
                "has nothing to claim; check the address (--for)."
            )
        if record.claimed:
            raise TaskError(
                f"{participant}'s part in task {task_id} is already claimed; its reward is in its "
                f"staking pool (see `ape arena position {participant}`)."
            )
        receipt = self._tx("the claim", "claim", task_id, participant)
        claimed = receipt_event(receipt, "RewardClaimed")
        paid = receipt_event(receipt, "RewardPaid")
        return Claim(
            task_id=task_id,
            participant=participant,
            role=ROLE_NAMES[int(record.role)],
            phase=PHASE_NAMES[phase],
            stake=int(record.stake),
            reward=int(claimed.reward) if claimed is not None else 0,
            slashed=int(claimed.slashed) if claimed is not None else 0,
            commission=int(paid.commission) if paid is not None else 0,
            receipt=receipt,
        )

    def _unsettled_hint(self, task_id: int, phase: int) -> str:
        if phase == PHASE_FINALIZE:
            return (
                f"Task {task_id} is scored but not finalized yet; finalize it first with "
                f"`ape arena finalize {task_id}`, then claim."
            )
        end = self.tasks.tasks(task_id).score_reveal_end
        return (
            f"Task {task_id} is still in its {PHASE_NAMES[phase]} phase; claim after scoring ends "
            f"at {when(end)} and the task is finalized with `ape arena finalize {task_id}`."
        )

    # --- time -------------------------------------------------------------

    def now(self) -> int:
        """The time the next block will most likely carry: the wall clock, or
        the latest block's time when the chain runs ahead of it (a local
        chain whose clock was moved forward)."""
        latest = self.provider.get_block("latest").timestamp
        return max(int(latest), int(time.time()))

    # --- reading ----------------------------------------------------------

    def count(self) -> int:
        return int(self.tasks.task_count())

    def exists(self, task_id: int) -> bool:
        return 1 <= task_id <= self.count()

    def expect_task(self, task_id: int) -> None:
        if not self.exists(task_id):
            count = self.count()
            known = f"tasks run from 1 to {count}" if count else "no task exists yet"
            raise TaskError(
                f"There is no task {task_id} on this chain ({known}); check the task id "
                "(`ape arena task list`)."
            )

    def info(self, task_id: int) -> TaskInfo:
        self.expect_task(task_id)
        t = self.tasks.tasks(task_id)
        return TaskInfo(
            task_id=task_id,
            creator=str(t.creator),
            kind=kind_from_bytes32(t.kind),
            spec_hash=bytes(t.spec_hash),
            eval_hash=bytes(t.eval_hash),
            reward=int(t.reward),
            emission=int(t.emission),
            bond=int(t.bond),
            min_trainer_stake=int(t.min_trainer_stake),
            min_validator_stake=int(t.min_validator_stake),
            max_trainers=int(t.max_trainers),
            max_validators=int(t.max_validators),
            tolerance_bps=int(t.tolerance_bps),
            n_trainers=int(t.n_trainers),
            n_validators=int(t.n_validators),
            deadlines=Deadlines(
                int(t.submit_end),
                int(t.reveal_end),
                int(t.eval_end),
                int(t.score_commit_end),
                int(t.score_reveal_end),
            ),
            phase=int(self.tasks.phase(task_id)),
            train_reward=int(t.train_reward),
            validator_reward=int(t.validator_reward),
            gamma_wad=int(t.gamma_wad),
            q_wad=int(t.q_wad),
            protocol_fee_bps=int(t.protocol_fee_bps),
        )

    def infos(self) -> list[TaskInfo]:
        """Every task on this chain, oldest first."""
        return [self.info(task_id) for task_id in range(1, self.count() + 1)]

    def participants(self, task_id: int) -> list[ParticipantView]:
        """Every trainer, then every validator, of the task, in join order."""
        views = []
        for address in self.trainers(task_id) + self.validators(task_id):
            p = self.participant(task_id, address)
            views.append(
                ParticipantView(
                    address=address,
                    role=ROLE_NAMES[int(p.role)],
                    index=int(p.index),
                    stake=int(p.stake),
                    weight=int(p.weight),
                    committed=bool(p.committed),
                    revealed=bool(p.revealed),
                    disqualified=bool(p.disqualified),
                    claimed=bool(p.claimed),
                )
            )
        return views

    def spec_uri(self, task_id: int) -> str:
        """Where the task's public artifact is (from its TaskCreated event)."""
        created = logs(self.tasks, "TaskCreated", self.protocol.start_block, task_id=task_id)
        return str(created[0].spec_uri) if created else ""

    def phase(self, task_id: int) -> int:
        return int(self.tasks.phase(task_id))

    def trainers(self, task_id: int) -> list[str]:
        n = int(self.tasks.tasks(task_id).n_trainers)
        return [str(self.tasks.trainers(task_id, i)) for i in range(n)]

    def validators(self, task_id: int) -> list[str]:
        n = int(self.tasks.tasks(task_id).n_validators)
        return [str(self.tasks.validators(task_id, i)) for i in range(n)]

    def participant(self, task_id: int, account: str):
        return self.tasks.participant(task_id, account)

    def revealed_models(self, task_id: int) -> dict[str, tuple[bytes, str]]:
        """trainer -> (model hash, URI) of every revealed model."""
        found = {}
        for log in logs(self.tasks, "ModelRevealed", self.protocol.start_block, task_id=task_id):
            found[str(log.trainer)] = (bytes(log.model_hash), str(log.model_uri))
        return found

    def commit_order(self, task_id: int) -> list[str]:
        """Trainers by their last model commitment, earliest first (logs come oldest first)."""
        last: dict[str, int] = {}
        for position, log in enumerate(
            logs(self.tasks, "ModelCommitted", self.protocol.start_block, task_id=task_id)
        ):
            last[str(log.trainer)] = position
        return sorted(last, key=last.__getitem__)

    def eval_reveal(self, task_id: int) -> tuple[bytes, str] | None:
        for log in logs(self.tasks, "EvalRevealed", self.protocol.start_block, task_id=task_id):
            return bytes(log.eval_hash), str(log.eval_uri)
        return None

    def revealed_scores(self, task_id: int) -> dict[str, list[int]]:
        """validator -> its revealed scores, one per trainer in join order."""
        found = {}
        for log in logs(self.tasks, "ScoresRevealed", self.protocol.start_block, task_id=task_id):
            found[str(log.validator)] = [int(s) for s in log.scores]
        return found

    def claims(self, task_id: int) -> dict[str, tuple[int, int]]:
        """participant -> (reward, slashed) of every claim made."""
        found = {}
        for log in logs(self.tasks, "RewardClaimed", self.protocol.start_block, task_id=task_id):
            found[str(log.participant)] = (int(log.reward), int(log.slashed))
        return found

    def finalize_steps(self, info: TaskInfo) -> int:
        """How many `finalize` transactions settle the task: the consensus steps,
        the ranking, the trust steps and the split."""
        consensus = -(-info.n_trainers // CONSENSUS_BATCH)
        trust = -(-info.n_validators // TRUST_BATCH)
        return consensus + 1 + trust + 1

    def finalize(self, task_id: int, on_step: Callable[[], Any] | None = None) -> int:
        """Send `finalize` until the task is settled; returns the transactions sent.

        `on_step()` is called after each transaction.
        """
        steps = 0
        while self.phase(task_id) != PHASE_FINALIZED:
            self._tx("the finalize step", "finalize", task_id)
            steps += 1
            if on_step is not None:
                on_step()
        return steps

    # --- checks -----------------------------------------------------------

    def expect_phase(self, task_id: int, wanted: set[int], action: str) -> TaskInfo:
        """The task's info when it is in one of `wanted`; else a sentence."""
        info = self.info(task_id)
        if info.phase in wanted:
            return info
        raise TaskError(phase_message(info, wanted, action, self.now()))

    def expect_joined(self, task_id: int, account: str, role: int, action: str):
        p = self.participant(task_id, account)
        if int(p.role) != role:
            joined = ROLE_NAMES[int(p.role)]
            if int(p.role) == 0:
                raise TaskError(
                    f"{account} has not joined task {task_id} as a {ROLE_NAMES[role]}, so it "
                    f"cannot {action}; join during the submit phase first."
                )
            raise TaskError(
                f"{account} joined task {task_id} as a {joined}, not as a {ROLE_NAMES[role]}; "
                "one address holds one role per task."
            )
        return p

    def expect_stake(self, account: str, amount: int, minimum: int) -> None:
        staking = self.protocol.staking
        if amount < minimum:
            raise TaskError(
                f"The stake {format_arena(amount)} ARENA is below the task's minimum of "
                f"{format_arena(minimum)} ARENA; pass --stake with at least that."
            )
        if not staking.pools(account).opened:
            raise TaskError(
                f"{account} has no staking pool; open one first with "
                "`ape arena pool open --commission BPS --stake AMOUNT`."
            )
        # A join locks the pool's stake: the pool needs min_pool_stake in all.
        pool = staking.pools(account)
        held, minimum = int(pool.total_assets) + int(pool.pending), int(staking.min_pool_stake())
        if held < minimum:
            raise TaskError(
                f"{account}'s pool holds {format_arena(held)} ARENA, below the "
                f"{format_arena(minimum)} ARENA a pool needs to join a task; "
                "stake more with `ape arena stake AMOUNT`."
            )
        unlocked = int(staking.unlocked_stake(account))
        if unlocked < amount:
            raise TaskError(
                f"{account}'s pool has {format_arena(unlocked)} ARENA unlocked but joining needs "
                f"{format_arena(amount)}; stake more with `ape arena stake AMOUNT`."
            )


def phase_message(info: TaskInfo, wanted: set[int], action: str, now: int) -> str:
    names = " or ".join(PHASE_NAMES[p] for p in sorted(wanted))
    where = f"Task {info.task_id} is in the {info.phase_name} phase"
    end = info.deadlines.end_of(info.phase)
    if end is not None and info.phase < PHASE_FINALIZE:
        where += f" until {when(end)}"
    if info.phase == PHASE_CANCELLED:
        return (
            f"{where} (its eval set was not revealed in time), so nobody can {action}; "
            f"claim your stake back with `ape arena claim {info.task_id}`."
        )
    if info.phase in (PHASE_FINALIZED,):
        return (
            f"{where}, so it is too late to {action}; claim with `ape arena claim {info.task_id}`."
        )
    if min(wanted) > info.phase:
        starts = _earliest_start(info, wanted)
        hint = f"try again from {when(starts)}" if starts else "try again later"
        return f"{where}; to {action} it must be in the {names} phase: {hint}."
    return f"{where}; the {names} phase is over, so it is too late to {action}."


def _earliest_start(info: TaskInfo, wanted: set[int]) -> int | None:
    starts = [info.deadlines.start_of(p) for p in wanted]
    starts = [s for s in starts if s]
    return min(starts) if starts else None
