"""The trainer's and validator's `advance`, phase by phase, against a stand-in task manager.

What each phase sends, what it says it did and what it says comes next; the
same steps on a real chain are in tests/integration/test_node_agent_anvil.py.
"""

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from ape_arena.chain import tasks
from ape_arena.chain.tasks import ROLE_TRAINER, ROLE_VALIDATOR, Deadlines
from ape_arena.node.context import NodeContext, _hex
from ape_arena.node.state import StateStore
from ape_arena.node.trainer import Trainer
from ape_arena.node.validator import Validator

TASK = 1
CHAIN = 31337
ADDRESS = "0x" + "11" * 20
DEADLINES = Deadlines(
    submit_end=100, reveal_end=200, eval_end=300, score_commit_end=400, score_reveal_end=500
)
MODEL_HASH, SALT = b"\x07" * 32, b"\x09" * 32
SCORES = [1_500_000, tasks.INVALID_SCORE]


class TaskManager:
    """The few reads and sends of `TaskClient` the roles use, recording what is sent."""

    def __init__(self, phase: int, role: int, **participant: Any):
        self.phase = phase
        fresh = {"committed": False, "revealed": False, "claimed": False, "disqualified": False}
        self.participant_ = SimpleNamespace(role=role, commitment=b"", **{**fresh, **participant})
        self.sent: list[tuple] = []

    def info(self, task_id):
        return SimpleNamespace(task_id=task_id, phase=self.phase, deadlines=DEADLINES)

    def participant(self, task_id, account):
        return self.participant_

    def expect_joined(self, task_id, account, role, action):
        assert self.participant_.role == role, f"cannot {action}"

    def trainers(self, task_id):
        return [ADDRESS]

    def revealed_models(self, task_id):
        return {}

    def commit_order(self, task_id):
        return []

    def finalize(self, task_id):
        self.sent.append(("finalize",))
        return 4

    def claim(self, task_id, account):
        self.sent.append(("claim",))
        return 10**18

    def __getattr__(self, name):  # commit_model, reveal_model, commit_scores, reveal_scores
        if not name.startswith(("commit_", "reveal_")):
            raise AttributeError(name)
        return lambda task_id, *args: self.sent.append((name, *args))


@dataclass
class Context(NodeContext):
    manager: TaskManager | None = None
    logged: list[str] = field(default_factory=list)

    @property
    def client(self):
        return self.manager

    @property
    def chain_id(self) -> int:
        return CHAIN


def context(tmp_path, manager):
    spec = SimpleNamespace(spec_hash=b"\x01" * 32)
    protocol = SimpleNamespace(tasks=SimpleNamespace(tasks=lambda task_id: spec))
    return Context(
        protocol=protocol,
        account=SimpleNamespace(address=ADDRESS),
        state=StateStore(tmp_path / "state"),
        store_url=str(tmp_path / "store"),
        work=tmp_path / "work",
        device="cpu",
        manager=manager,
    )


def remember(ctx, role, **record):
    ctx.state.save(CHAIN, TASK, role, ADDRESS, {"spec_hash": _hex(b"\x01" * 32), **record})


@pytest.fixture
def trained(tmp_path):
    """A trainer whose model is already published (so the submit phase only commits)."""

    def make(phase, **participant):
        manager = TaskManager(phase, ROLE_TRAINER, **participant)
        ctx = context(tmp_path, manager)
        remember(
            ctx, "trainer", model_hash=_hex(MODEL_HASH), model_uri="file:///m", salt=_hex(SALT)
        )
        return Trainer(ctx), manager

    return make


def test_trainer_commits_once_in_the_submit_phase(trained):
    trainer, manager = trained(tasks.PHASE_SUBMIT)
    outcome = trainer.advance(TASK)
    commitment = tasks.model_commitment(MODEL_HASH, ADDRESS, SALT)
    assert manager.sent == [("commit_model", commitment)]
    assert outcome.did == [f"committed the model to task {TASK}"]
    assert (outcome.next_at, outcome.next_step) == (100, "reveal the model")
    manager.participant_.commitment = commitment
    again = trainer.advance(TASK)
    assert manager.sent == [("commit_model", commitment)] and again.did == []
    assert trainer.record(TASK)["committed"] is True


def test_trainer_reveals_in_the_model_reveal_phase(trained):
    trainer, manager = trained(tasks.PHASE_MODEL_REVEAL, committed=True)
    outcome = trainer.advance(TASK)
    assert manager.sent == [("reveal_model", MODEL_HASH, "file:///m", SALT)]
    assert outcome.did[0].startswith("revealed model 0x0707")
    assert (outcome.next_at, outcome.next_step) == (500, "finalize and claim")


@pytest.mark.parametrize(
    "phase", [tasks.PHASE_EVAL_REVEAL, tasks.PHASE_SCORE_COMMIT, tasks.PHASE_SCORE_REVEAL]
)
def test_trainer_that_missed_its_reveal_waits_to_settle(trained, phase):
    trainer, manager = trained(phase, committed=True)
    outcome = trainer.advance(TASK)
    assert manager.sent == []
    assert outcome.did == [f"missed the model reveal of task {TASK}: it earns nothing"]
    assert (outcome.next_at, outcome.next_step) == (500, "finalize and claim")


def test_trainer_finalizes_and_claims_at_the_end(trained):
    trainer, manager = trained(tasks.PHASE_FINALIZE, committed=True, revealed=True)
    outcome = trainer.advance(TASK)
    assert manager.sent == [("finalize",), ("claim",)]
    assert outcome.finished and outcome.next_at is None


@pytest.mark.parametrize(
    "phase, next_at, next_step",
    [
        (tasks.PHASE_SUBMIT, 200, "wait for the eval set"),
        (tasks.PHASE_MODEL_REVEAL, 200, "score once the eval set is revealed"),
        (tasks.PHASE_EVAL_REVEAL, 300, "score once the eval set is revealed"),
    ],
)
def test_validator_waits_for_the_eval_set(tmp_path, phase, next_at, next_step):
    manager = TaskManager(phase, ROLE_VALIDATOR)
    outcome = Validator(context(tmp_path, manager)).advance(TASK)
    assert manager.sent == [] and outcome.did == []
    assert (outcome.next_at, outcome.next_step) == (next_at, next_step)


def test_validator_scores_commits_reveals_and_settles(tmp_path):
    manager = TaskManager(tasks.PHASE_SCORE_COMMIT, ROLE_VALIDATOR)
    validator = Validator(context(tmp_path, manager), scorer=lambda task_id, *_: SCORES)
    outcome = validator.advance(TASK)
    salt = bytes.fromhex(validator.record(TASK)["salt"][2:])
    commitment = tasks.score_commitment(SCORES, ADDRESS, salt)
    assert manager.sent == [("commit_scores", commitment)]
    assert outcome.did == [f"committed 2 scores to task {TASK}"]
    assert (outcome.next_at, outcome.next_step) == (400, "reveal the scores")

    manager.phase, manager.participant_.committed = tasks.PHASE_SCORE_REVEAL, True
    outcome = validator.advance(TASK)
    assert manager.sent[-1] == ("reveal_scores", SCORES, salt)
    assert (outcome.next_at, outcome.next_step) == (500, "finalize and claim")

    manager.phase, manager.participant_.revealed = tasks.PHASE_FINALIZED, True
    outcome = validator.advance(TASK)
    assert manager.sent[-1] == ("claim",) and outcome.finished
