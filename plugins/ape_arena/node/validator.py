"""The validator: join, fetch and score every revealed model (node/scoring.py),
commit, reveal, settle."""

import time
from collections.abc import Callable

from ape_arena.chain import tasks as chain_tasks
from ape_arena.chain.tasks import (
    INVALID_SCORE,
    PHASE_EVAL_REVEAL,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_COMMIT,
    PHASE_SUBMIT,
    ROLE_VALIDATOR,
    TaskError,
)
from ape_arena.node.context import NodeContext, Outcome, _bytes, _hex, _salt, fetch_public
from ape_arena.node.role import SETTLE, _Role
from ape_arena.untrusted import clip

ScoreFn = Callable[[int, list[str], dict[str, tuple[bytes, str]]], list[int]]


class Validator(_Role):
    role_name = "validator"
    role = ROLE_VALIDATOR
    action = "validate"

    def __init__(self, ctx: NodeContext, stake: int | None = None, scorer: ScoreFn | None = None):
        super().__init__(ctx)
        self.stake = stake
        # The demo's lazy validator replaces the scorer; everyone else scores.
        self.scorer = scorer

    def step(self, task_id: int, info, p, outcome: Outcome) -> tuple[int, str]:
        """Wait for the eval set, score and commit in the score commit phase, reveal after."""
        deadlines = info.deadlines
        if info.phase == PHASE_SUBMIT:
            return deadlines.reveal_end, "wait for the eval set"
        if info.phase in (PHASE_MODEL_REVEAL, PHASE_EVAL_REVEAL):
            end = deadlines.reveal_end if info.phase == PHASE_MODEL_REVEAL else deadlines.eval_end
            return end, "score once the eval set is revealed"
        if info.phase == PHASE_SCORE_COMMIT:
            self._score_and_commit(task_id, info, outcome)
            return deadlines.score_commit_end, "reveal the scores"
        self._reveal(task_id, p, outcome)  # the score reveal phase
        return deadlines.score_reveal_end, SETTLE

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
        self.commit(task_id, commitment, ctx.client.commit_scores, f"{len(scores)} scores", outcome)

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
        # Models are scored in commit order, each compared with those committed
        # before it (a kind may find a near-copy); the scores go in join order.
        order = [t for t in ctx.client.commit_order(task_id) if t in trainers]
        order += [t for t in trainers if t not in order]
        earlier: list[Submission] = []
        for index, trainer in enumerate(order):
            where = f"  model {index + 1}/{len(order)} of {trainer}"
            if trainer not in models or ctx.client.participant(task_id, trainer).disqualified:
                done.setdefault(trainer, INVALID_SCORE)
                continue
            model_hash, uri = models[trainer]
            submission = Submission(trainer, model_hash, uri)
            if trainer in done:
                earlier.append(submission)
                ctx.log(f"{where}: scored before the node restarted")
                continue
            started = time.monotonic()
            result = scorer.score(submission, earlier)
            earlier.append(submission)
            done[trainer] = to_score(result)
            self.remember(task_id, scored=done)
            shown = (
                f"{result.metric:.4f} {kind.metric_name}"
                if result.valid
                else f"invalid ({result.reason})"
            )
            ctx.log(f"{where}: {shown} ({time.monotonic() - started:.1f} s)")
        outcome.did.append(f"scored {len(models)} revealed models of task {task_id}")
        return [int(done[trainer]) for trainer in trainers]

    def _reveal(self, task_id: int, p, outcome: Outcome) -> None:
        record = self.revealable(task_id, p, outcome, "scores")
        if record is None:
            return
        scores = [int(s) for s in record["scores"]]
        self.ctx.client.reveal_scores(task_id, scores, _bytes(record["salt"]))
        self.remember(task_id, revealed=True)
        outcome.did.append(f"revealed {len(scores)} scores for task {task_id}")
