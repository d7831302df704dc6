"""A whole AIArena deployment on titanoboa, in process, with helpers to play a task.

For simulations of the protocol without a node (benchmarks/fairness) and for
the test suite (tests/support/arena.py re-exports it), so that each of them
reads as the story it tells rather than as set-up code. The contracts are
compiled from `CONTRACTS` (by default the `contracts/` folder of the
project in the working directory or above it); set it before the first
deployment to use another checkout.
"""

from dataclasses import dataclass, field
from pathlib import Path

import boa
from eth_utils import keccak

from ape_arena.chain.tasks import (
    INVALID_SCORE,
    PHASE_CANCELLED,
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_FINALIZED,
    PHASE_MODEL_REVEAL,
    PHASE_NONE,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    PHASE_SUBMIT,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    eval_commitment,
    model_commitment,
    score_commitment,
)
from ape_arena.units import DAY, WAD

# The staking parameters a simulated deployment uses.
UNBONDING_DELAY = 7 * DAY
COMMISSION_NOTICE = 7 * DAY
MAX_COMMISSION_BPS = 3_000
MAX_SLASH_BPS = 5_000
DELEGATION_WEIGHT_BPS = 10_000


def _find_contracts() -> Path:
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "contracts" / "TaskManager.vy").is_file():
            return folder / "contracts"
    return Path.cwd() / "contracts"


CONTRACTS = _find_contracts()
__all__ = [
    "INVALID_SCORE", "PHASE_CANCELLED", "PHASE_EVAL_REVEAL", "PHASE_FINALIZE", "PHASE_FINALIZED",
    "PHASE_MODEL_REVEAL", "PHASE_NONE", "PHASE_SCORE_COMMIT", "PHASE_SCORE_REVEAL",
    "PHASE_SUBMIT", "ROLE_TRAINER", "ROLE_VALIDATOR", "Arena", "TaskTerms", "eval_commitment",
    "h", "model_commitment", "partial", "score_commitment",
]  # fmt: skip

_PARTIALS = {}


def partial(name: str):
    """A contract compiled once per process."""
    if name not in _PARTIALS:
        _PARTIALS[name] = boa.load_partial(str(CONTRACTS / f"{name}.vy"))
    return _PARTIALS[name]


def h(label: str) -> bytes:
    """A deterministic 32-byte hash standing in for a content hash or salt."""
    return keccak(text=label)


@dataclass
class TaskTerms:
    """Defaults for create_task; override what a test cares about."""

    reward: int = 1_000 * WAD
    bond: int = 10 * WAD
    min_trainer_stake: int = 100 * WAD
    min_validator_stake: int = 100 * WAD
    max_trainers: int = 16
    max_validators: int = 8
    submit_duration: int = 3_600
    reveal_duration: int = 3_600
    eval_duration: int = 3_600
    score_commit_duration: int = 3_600
    score_reveal_duration: int = 3_600
    tolerance_bps: int = 100
    kind: bytes = b"lm".ljust(32, b"\0")
    spec_hash: bytes = field(default_factory=lambda: h("spec"))
    spec_uri: str = "file:///tasks/spec.json"
    eval_hash: bytes = field(default_factory=lambda: h("eval set"))
    eval_salt: bytes = field(default_factory=lambda: h("eval salt"))

    def as_params(self) -> tuple:
        return (
            self.kind,
            self.spec_hash,
            self.spec_uri,
            eval_commitment(self.eval_hash, self.eval_salt),
            self.reward,
            self.bond,
            self.min_trainer_stake,
            self.min_validator_stake,
            self.max_trainers,
            self.max_validators,
            self.submit_duration,
            self.reveal_duration,
            self.eval_duration,
            self.score_commit_duration,
            self.score_reveal_duration,
            self.tolerance_bps,
        )


class Arena:
    """Token + staking + task manager, wired as deployment wires them."""

    def __init__(self, genesis: int = 100_000_000 * WAD):
        self.admin = boa.env.generate_address("admin")
        self.treasury = boa.env.generate_address("treasury")
        self.bank = boa.env.generate_address("bank")
        with boa.env.prank(self.admin):
            self.token = partial("ArenaToken").deploy(self.admin, self.bank, genesis)
            self.staking = partial("Staking").deploy(
                self.token.address,
                self.admin,
                self.treasury,
                UNBONDING_DELAY,
                COMMISSION_NOTICE,
                MAX_COMMISSION_BPS,
                MAX_SLASH_BPS,
                DELEGATION_WEIGHT_BPS,
            )
            self.tasks = partial("TaskManager").deploy(
                self.token.address, self.staking.address, self.admin, self.treasury
            )
            self.staking.grantRole(self.staking.PROTOCOL_ROLE(), self.tasks.address)

    # --- accounts -------------------------------------------------------------

    def fund(self, account: str, amount: int) -> None:
        """Give `account` tokens and approve both contracts for all of it."""
        with boa.env.prank(self.bank):
            self.token.transfer(account, amount)
        with boa.env.prank(account):
            self.token.approve(self.staking.address, 2**256 - 1)
            self.token.approve(self.tasks.address, 2**256 - 1)

    def actor(self, name: str, amount: int = 100_000 * WAD) -> str:
        account = boa.env.generate_address(name)
        self.fund(account, amount)
        return account

    def operator(self, name: str, stake: int, commission_bps: int = 1_000) -> str:
        """An account with an open pool holding `stake` of its own."""
        account = self.actor(name, stake + 1_000 * WAD)
        with boa.env.prank(account):
            self.staking.open_pool(commission_bps, stake)
        return account

    # --- the lifecycle ---------------------------------------------------------

    def create(self, creator: str, terms: TaskTerms | None = None) -> int:
        terms = terms or TaskTerms()
        with boa.env.prank(creator):
            return self.tasks.create_task(terms.as_params())

    def join(self, task_id: int, account: str, role: int, amount: int) -> None:
        with boa.env.prank(account):
            self.tasks.join(task_id, role, amount)

    def commit_model(self, task_id: int, trainer: str, model_hash: bytes, salt: bytes) -> None:
        with boa.env.prank(trainer):
            self.tasks.commit_model(task_id, model_commitment(model_hash, trainer, salt))

    def reveal_model(self, task_id: int, trainer: str, model_hash: bytes, salt: bytes) -> None:
        with boa.env.prank(trainer):
            self.tasks.reveal_model(task_id, model_hash, f"file:///models/{trainer}", salt)

    def reveal_eval(self, task_id: int, creator: str, terms: TaskTerms | None = None) -> None:
        terms = terms or TaskTerms()
        with boa.env.prank(creator):
            self.tasks.reveal_eval(task_id, terms.eval_hash, "file:///eval", terms.eval_salt)

    def commit_scores(self, task_id: int, validator: str, scores: list[int], salt: bytes) -> None:
        with boa.env.prank(validator):
            self.tasks.commit_scores(task_id, score_commitment(scores, validator, salt))

    def reveal_scores(self, task_id: int, validator: str, scores: list[int], salt: bytes) -> None:
        with boa.env.prank(validator):
            self.tasks.reveal_scores(task_id, scores, salt)

    def finalize(self, task_id: int, caller: str | None = None, max_calls: int = 100) -> int:
        """Call finalize until it reports done; returns the number of calls."""
        caller = caller or self.admin
        for calls in range(1, max_calls + 1):
            with boa.env.prank(caller):
                if self.tasks.finalize(task_id):
                    return calls
        raise AssertionError(f"task {task_id} not finalized after {max_calls} calls")

    def claim(self, task_id: int, participant: str) -> int:
        with boa.env.prank(participant):
            return self.tasks.claim(task_id, participant)

    # --- time --------------------------------------------------------------------

    def now(self) -> int:
        return boa.env.evm.patch.timestamp

    def warp_to(self, timestamp: int) -> None:
        """Move the chain's clock forward to `timestamp` (never backwards)."""
        delta = timestamp - self.now()
        if delta > 0:
            boa.env.time_travel(seconds=delta)

    def deadlines(self, task_id: int) -> dict[str, int]:
        task = self.tasks.tasks(task_id)
        return {
            "submit_end": task.submit_end,
            "reveal_end": task.reveal_end,
            "eval_end": task.eval_end,
            "score_commit_end": task.score_commit_end,
            "score_reveal_end": task.score_reveal_end,
        }

    def to_phase(self, task_id: int, phase: int) -> None:
        """Warp to the start of `phase` (by deadline; the eval reveal is
        separate since only the creator can make it happen)."""
        d = self.deadlines(task_id)
        start = {
            PHASE_MODEL_REVEAL: d["submit_end"],
            PHASE_EVAL_REVEAL: d["reveal_end"],
            PHASE_SCORE_REVEAL: d["score_commit_end"],
            PHASE_FINALIZE: d["score_reveal_end"],
            PHASE_CANCELLED: d["eval_end"],
        }[phase]
        self.warp_to(start)

    # --- accounting ---------------------------------------------------------------

    def held(self) -> int:
        """Tokens held by staking and the task manager together."""
        return self.token.balanceOf(self.staking.address) + self.token.balanceOf(self.tasks.address)
