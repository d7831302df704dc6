"""The task creator: prepare and publish the task, commit to the eval set,
reveal it on time, settle."""

import os
from pathlib import Path

from ape_arena.chain import tasks as chain_tasks
from ape_arena.chain.tasks import (
    PHASE_CANCELLED,
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_FINALIZED,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    PHASE_SUBMIT,
    TaskError,
)
from ape_arena.node.context import Outcome, _bytes, _hex, _salt
from ape_arena.node.role import _Role
from ape_arena.units import format_arena


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
        ctx.client.check_terms(spec)
        ctx.log("preparing the task's data")
        work = ctx.work / "create" / _hex(os.urandom(4))[2:]
        store = ctx.store()
        prepared = prepare(spec, work, store.put)
        spec_hash, spec_uri = store.put(prepared.public_dir)
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
