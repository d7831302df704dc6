"""What each participant does at each phase of a task, one idempotent step
at a time.

`Creator`, `Trainer` and `Validator` each have `advance(task_id)`: it looks at
the task's phase, the chain and the local state, does every step that is due
now, and returns an `Outcome` saying what it did and when the next step is
due. Calling it again, after a crash or from another process, never repeats
a transaction: before each one the state is written (the salt first, so a
commitment can always be revealed), and each step checks the chain for
whether it already happened.
"""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ape_arena.chain import tasks as chain_tasks
from ape_arena.chain.tasks import (
    INVALID_SCORE,
    PHASE_CANCELLED,
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_FINALIZED,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    PHASE_SUBMIT,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    TaskClient,
    TaskError,
)
from ape_arena.node.scoring import FETCH_TIMEOUT_S, SCORE_TIMEOUT_S
from ape_arena.node.state import StateStore
from ape_arena.units import format_arena
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


class _Role:
    role_name = ""
    role = 0

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


def fetch_public(ctx: NodeContext, info) -> tuple[Path, dict]:
    from ape_arena.node.spec import read_task_document

    uri = ctx.client.spec_uri(info.task_id)
    folder = ctx.fetch(uri, info.spec_hash, ctx.max_download_bytes)
    return folder, read_task_document(folder)


class Creator(_Role):
    role_name = "creator"

    def create(self, spec, spec_path: Path) -> int:
        """Prepare the artifacts, upload the public one, commit to the eval set
        and escrow the reward; returns the task id."""
        from ape_arena.artifacts import build_manifest, manifest_hash
        from ape_arena.node.spec import prepare

        ctx = self.ctx
        protocol = ctx.protocol
        token, tasks = protocol.token, protocol.tasks
        balance = int(token.balanceOf(ctx.address))
        needed = spec.reward + spec.bond
        if balance < needed:
            raise TaskError(
                f"{ctx.address} holds {format_arena(balance)} ARENA but the task escrows "
                f"{format_arena(needed)} (reward + bond); get more ARENA first."
            )
        if protocol.staking.paused():
            raise TaskError("New tasks are paused by the guardian; wait until governance unpauses.")
        ctx.log("preparing the task's data")
        work = ctx.work / "create" / _hex(os.urandom(4))[2:]
        prepared = prepare(spec, work)
        spec_hash, spec_uri = ctx.store().put(prepared.public_dir)
        eval_hash = manifest_hash(build_manifest(prepared.eval_dir))
        salt = _salt()
        # The eval set and its salt are kept before anything is sent.
        keep = ctx.work / "eval" / _hex(eval_hash)[2:]
        if not keep.exists():
            keep.parent.mkdir(parents=True, exist_ok=True)
            os.replace(prepared.eval_dir, keep)
        pending = {
            "spec_hash": _hex(spec_hash),
            "spec_uri": spec_uri,
            "eval_hash": _hex(eval_hash),
            "eval_salt": _hex(salt),
            "eval_dir": str(keep),
            "spec_file": str(spec_path),
        }
        ctx.state.save(ctx.chain_id, 0, "pending-creator", _hex(spec_hash), pending)
        if int(token.allowance(ctx.address, tasks.address)) < needed:
            ctx.send(token, "approve", tasks.address, needed)
        d = spec.durations
        params = chain_tasks.TaskParams(
            kind=chain_tasks.kind_to_bytes32(spec.kind),
            spec_hash=spec_hash,
            spec_uri=spec_uri,
            eval_commitment=chain_tasks.eval_commitment(eval_hash, salt),
            reward=spec.reward,
            bond=spec.bond,
            min_trainer_stake=spec.min_trainer_stake,
            min_validator_stake=spec.min_validator_stake,
            max_trainers=spec.max_trainers,
            max_validators=spec.max_validators,
            submit_duration=d["submit"],
            model_reveal_duration=d["model_reveal"],
            eval_reveal_duration=d["eval_reveal"],
            score_commit_duration=d["score_commit"],
            score_reveal_duration=d["score_reveal"],
            tolerance_bps=spec.tolerance_bps,
        )
        task_id = ctx.client.create_task(params)
        ctx.state.save(ctx.chain_id, task_id, self.role_name, ctx.address, pending)
        ctx.state.path(ctx.chain_id, 0, "pending-creator", _hex(spec_hash)).unlink(missing_ok=True)
        return task_id

    def advance(self, task_id: int) -> Outcome:
        ctx, client = self.ctx, self.ctx.client
        info = client.info(task_id)
        outcome = Outcome()
        record = self.record(task_id)
        if info.creator.lower() != ctx.address.lower():
            raise TaskError(
                f"{ctx.address} did not create task {task_id}; "
                "only its creator reveals the eval set."
            )
        if info.phase in (PHASE_SUBMIT, PHASE_MODEL_REVEAL):
            outcome.next_at, outcome.next_step = info.deadlines.reveal_end, "reveal the eval set"
            return outcome
        if info.phase == PHASE_EVAL_REVEAL:
            if not record.get("eval_salt"):
                raise TaskError(
                    f"No eval salt for task {task_id} in {ctx.state.folder}; the eval set can only "
                    "be revealed from the node state of the machine that created the task."
                )
            eval_dir = Path(record["eval_dir"])
            _, uri = ctx.store().put(eval_dir)
            client.reveal_eval(
                task_id, _bytes(record["eval_hash"]), uri, _bytes(record["eval_salt"])
            )
            self.remember(task_id, eval_uri=uri, eval_revealed=True)
            outcome.did.append(f"revealed the eval set of task {task_id} at {uri}")
            info = client.info(task_id)
        if info.phase in (PHASE_SCORE_COMMIT, PHASE_SCORE_REVEAL):
            outcome.next_at, outcome.next_step = info.deadlines.score_reveal_end, "finalize"
            return outcome
        if info.phase in (PHASE_FINALIZE, PHASE_FINALIZED, PHASE_CANCELLED):
            if info.phase == PHASE_FINALIZE:
                self.settle(task_id, info.phase, outcome)
            outcome.finished = True
        return outcome


class Trainer(_Role):
    role_name = "trainer"
    role = ROLE_TRAINER

    def __init__(
        self,
        ctx: NodeContext,
        params: dict | None = None,
        stake: int | None = None,
        model_dir: Path | None = None,
    ):
        super().__init__(ctx)
        self.params = params or {}
        self.stake = stake
        # A model trained elsewhere (e.g. under torchrun) to publish as it is.
        self.model_dir = model_dir

    def advance(self, task_id: int) -> Outcome:
        outcome = Outcome()
        info, p = self.begin(task_id, outcome, "train")
        if p is None:
            self._train_and_commit(task_id, info, outcome)
            outcome.next_at, outcome.next_step = info.deadlines.submit_end, "reveal the model"
            return outcome
        if info.phase == PHASE_MODEL_REVEAL:
            self._reveal(task_id, p, outcome)
            outcome.next_at, outcome.next_step = (
                info.deadlines.score_reveal_end,
                "finalize and claim",
            )
            return outcome
        if info.phase in (PHASE_EVAL_REVEAL, PHASE_SCORE_COMMIT, PHASE_SCORE_REVEAL):
            if p.committed and not p.revealed:
                outcome.did.append(f"missed the model reveal of task {task_id}: it earns nothing")
            outcome.next_at, outcome.next_step = (
                info.deadlines.score_reveal_end,
                "finalize and claim",
            )
            return outcome
        self.settle(task_id, info.phase, outcome)
        return outcome

    def _train_and_commit(self, task_id: int, info, outcome: Outcome) -> None:
        ctx = self.ctx
        record = self.record(task_id)
        if not record.get("model_hash"):
            from ape_arena.kinds.registry import get_kind

            public, document = fetch_public(ctx, info)
            kind = get_kind(document["kind"])
            kind_params = document["kind_params"]
            if self.model_dir is not None:
                out = self._checked_model(Path(self.model_dir), kind_params)
            else:
                out = ctx.work / "models" / f"{ctx.chain_id}-{task_id}-{ctx.address.lower()}"
                self._train(task_id, kind, public, out, kind_params)
            model_hash, uri = ctx.store().put(out)
            record = self.remember(
                task_id, model_hash=_hex(model_hash), model_uri=uri, salt=_hex(_salt()),
                model_dir=str(out),
            )  # fmt: skip
            outcome.did.append(f"uploaded model {_hex(model_hash)[:18]}... to {uri}")
        commitment = chain_tasks.model_commitment(
            _bytes(record["model_hash"]), ctx.address, _bytes(record["salt"])
        )
        p = ctx.client.participant(task_id, ctx.address)
        if bytes(p.commitment) != commitment:
            ctx.client.commit_model(task_id, commitment)
            outcome.did.append(f"committed the model to task {task_id}")
        self.remember(task_id, committed=True)

    def _checked_model(self, folder: Path, kind_params: dict) -> Path:
        """A model folder from elsewhere: safetensors + config, within bounds."""
        from ape_arena.artifacts import ArtifactError, check_model_dir

        try:
            check_model_dir(folder, int(kind_params["max_params"]))
        except ArtifactError as err:
            raise TaskError(f"The model in {folder} cannot be submitted: {err}") from err
        return folder

    def _train(self, task_id: int, kind, public: Path, out: Path, kind_params: dict) -> None:
        from ape_arena.kinds.base import KindError

        ctx = self.ctx
        ctx.log(f"training a {kind.name} model for task {task_id} on {ctx.device}")
        try:
            kind.train(
                public / "train",
                out,
                self.params,
                ctx.device,
                checkpoint_dir=out.with_name(out.name + ".ckpt"),
                kind_params=kind_params,
                on_log=lambda step: ctx.log(f"  step {step.step}: loss {step.loss:.4f}"),
            )
        except KindError as err:
            raise TaskError(
                f"Training failed: {str(err).rstrip('.')}; fix the training parameters."
            ) from err

    def _reveal(self, task_id: int, p, outcome: Outcome) -> None:
        record = self.revealable(task_id, p, outcome, "model")
        if record is None:
            return
        self.ctx.client.reveal_model(
            task_id, _bytes(record["model_hash"]), record["model_uri"], _bytes(record["salt"])
        )
        self.remember(task_id, revealed=True)
        outcome.did.append(f"revealed model {record['model_hash'][:18]}... for task {task_id}")
        if self.ctx.client.participant(task_id, self.ctx.address).disqualified:
            outcome.did.append(
                "disqualified: another trainer committed the same model hash earlier; "
                "this submission earns nothing and its stake is slashed on claim"
            )


ScoreFn = Callable[[int, list[str], dict[str, tuple[bytes, str]]], list[int]]


class Validator(_Role):
    role_name = "validator"
    role = ROLE_VALIDATOR

    def __init__(self, ctx: NodeContext, stake: int | None = None, scorer: ScoreFn | None = None):
        super().__init__(ctx)
        self.stake = stake
        # The demo's lazy validator replaces the scorer; everyone else scores.
        self.scorer = scorer

    def advance(self, task_id: int) -> Outcome:
        outcome = Outcome()
        info, p = self.begin(task_id, outcome, "validate")
        if p is None:
            outcome.next_at, outcome.next_step = info.deadlines.reveal_end, "wait for the eval set"
            return outcome
        if info.phase in (PHASE_MODEL_REVEAL, PHASE_EVAL_REVEAL):
            end = (
                info.deadlines.reveal_end
                if info.phase == PHASE_MODEL_REVEAL
                else info.deadlines.eval_end
            )
            outcome.next_at, outcome.next_step = end, "score once the eval set is revealed"
            return outcome
        if info.phase == PHASE_SCORE_COMMIT:
            self._score_and_commit(task_id, info, outcome)
            outcome.next_at = info.deadlines.score_commit_end
            outcome.next_step = "reveal the scores"
            return outcome
        if info.phase == PHASE_SCORE_REVEAL:
            self._reveal(task_id, p, outcome)
            outcome.next_at, outcome.next_step = (
                info.deadlines.score_reveal_end,
                "finalize and claim",
            )
            return outcome
        self.settle(task_id, info.phase, outcome)
        return outcome

    def _score_and_commit(self, task_id: int, info, outcome: Outcome) -> None:
        ctx = self.ctx
        record = self.record(task_id)
        if not record.get("scores"):
            trainers = ctx.client.trainers(task_id)
            models = ctx.client.revealed_models(task_id)
            if self.scorer is not None:
                scores = self.scorer(task_id, trainers, models)
            else:
                scores = self.score_all(task_id, info, trainers, models, outcome)
            record = self.remember(task_id, scores=scores, salt=_hex(_salt()))
        scores = [int(s) for s in record["scores"]]
        commitment = chain_tasks.score_commitment(scores, ctx.address, _bytes(record["salt"]))
        p = ctx.client.participant(task_id, ctx.address)
        if bytes(p.commitment) != commitment:
            ctx.client.commit_scores(task_id, commitment)
            outcome.did.append(f"committed {len(scores)} scores to task {task_id}")
        self.remember(task_id, committed=True)

    def score_all(self, task_id, info, trainers, models, outcome) -> list[int]:
        """Fetch, verify and score every revealed model; INVALID for the rest.

        Each score is written to the state as soon as it is known, so a node
        stopped mid-scoring goes on with the next model when it restarts. A
        bad model is INVALID with its reason and never stops the others; an
        eval set that cannot be read is one TaskError for the whole task.
        """
        from ape_arena.kinds.base import KindError
        from ape_arena.kinds.registry import get_kind
        from ape_arena.kinds.scores import to_score
        from ape_arena.node.scoring import Submission, TaskScorer

        ctx = self.ctx
        revealed = ctx.client.eval_reveal(task_id)
        if revealed is None:
            raise TaskError(f"Task {task_id}'s eval set is not revealed yet; wait for the creator.")
        eval_hash, eval_uri = revealed
        eval_dir = ctx.fetch(eval_uri, eval_hash, ctx.max_download_bytes)
        _, document = fetch_public(ctx, info)
        try:
            kind = get_kind(document["kind"])
            scorer = TaskScorer(
                kind, document["kind_params"], eval_dir / "eval", ctx.downloads, ctx.device,
                fetch_timeout_s=ctx.fetch_timeout_s, score_timeout_s=ctx.score_timeout_s,
            )  # fmt: skip
        except KindError as err:
            raise TaskError(
                f"Task {task_id}'s eval set cannot be scored ({clip(err)}); no model of it can be "
                "scored, so this node leaves the task to the other validators."
            ) from err
        done: dict[str, int] = dict(self.record(task_id).get("scored") or {})
        scores = []
        for index, trainer in enumerate(trainers):
            where = f"  model {index + 1}/{len(trainers)} of {trainer}"
            if trainer in done:
                scores.append(int(done[trainer]))
                ctx.log(f"{where}: scored before the node restarted")
                continue
            if trainer not in models or ctx.client.participant(task_id, trainer).disqualified:
                scores.append(INVALID_SCORE)
                continue
            model_hash, uri = models[trainer]
            started = time.monotonic()
            result = scorer.score(Submission(trainer, model_hash, uri))
            done[trainer] = to_score(result)
            scores.append(done[trainer])
            self.remember(task_id, scored=done)
            shown = (
                f"{result.metric:.4f} {kind.metric_name}"
                if result.valid
                else f"invalid ({result.reason})"
            )
            ctx.log(f"{where}: {shown} ({time.monotonic() - started:.1f} s)")
        outcome.did.append(f"scored {len(models)} revealed models of task {task_id}")
        return scores

    def _reveal(self, task_id: int, p, outcome: Outcome) -> None:
        record = self.revealable(task_id, p, outcome, "scores")
        if record is None:
            return
        scores = [int(s) for s in record["scores"]]
        self.ctx.client.reveal_scores(task_id, scores, _bytes(record["salt"]))
        self.remember(task_id, revealed=True)
        outcome.did.append(f"revealed {len(scores)} scores for task {task_id}")
