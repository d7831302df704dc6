"""The trainer: join, train (or take a model trained elsewhere), publish,
commit, reveal, settle."""

from pathlib import Path

from ape_arena.chain import tasks as chain_tasks
from ape_arena.chain.tasks import PHASE_MODEL_REVEAL, ROLE_TRAINER, TaskError
from ape_arena.node.context import NodeContext, Outcome, _bytes, _hex, _salt, fetch_public
from ape_arena.node.role import SETTLE, _Role


class Trainer(_Role):
    role_name = "trainer"
    role = ROLE_TRAINER
    action = "train"

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

    def step(self, task_id: int, info, p, outcome: Outcome) -> tuple[int, str]:
        """Train and commit in the submit phase, reveal in the model reveal phase."""
        if p is None:
            self._train_and_commit(task_id, info, outcome)
            return info.deadlines.submit_end, "reveal the model"
        if info.phase == PHASE_MODEL_REVEAL:
            self._reveal(task_id, p, outcome)
        elif p.committed and not p.revealed:  # eval reveal to score reveal: too late
            outcome.did.append(f"missed the model reveal of task {task_id}: it earns nothing")
        return info.deadlines.score_reveal_end, SETTLE

    def _train_and_commit(self, task_id: int, info, outcome: Outcome) -> None:
        ctx = self.ctx
        record = self.record(task_id)
        if not record.get("model_hash"):
            from ape_arena.kinds.registry import get_kind

            public, document = fetch_public(ctx, info)
            kind = get_kind(document["kind"])
            kind_params = document["kind_params"]
            if self.model_dir is not None:
                out = self._checked_model(kind, Path(self.model_dir), kind_params)
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
        self.commit(task_id, commitment, ctx.client.commit_model, "the model", outcome)

    def _checked_model(self, kind, folder: Path, kind_params: dict) -> Path:
        """A model folder from elsewhere, checked by the kind's rules for a submission."""
        from ape_arena.artifacts import ArtifactError

        try:
            kind.check_submission(folder, kind.validate_params(kind_params))
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
                on_log=lambda step: ctx.log(_progress(step, self.params)),
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


def _progress(step, params: dict) -> str:
    """One training log line: step (of the total when known), loss, throughput."""
    total = params.get("steps")
    line = f"  step {step.step}" + (f"/{total}" if total else "") + f": loss {step.loss:.4f}"
    if step.tokens_per_s:
        line += f", {step.tokens_per_s:,.0f} tokens/s"
    return line
