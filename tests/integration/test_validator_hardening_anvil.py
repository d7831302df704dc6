"""On anvil: one hostile trainer cannot stop a task's honest validators, a
bad eval set stops only its own task, and a validator killed mid-scoring
goes on with the next model when it starts again."""

import hashlib
import os
from pathlib import Path

import pytest
from ape import config

import ape_arena.node.spec as spec_module
from ape_arena.chain.protocol import load_protocol
from ape_arena.chain.tasks import INVALID_SCORE, ROLE_TRAINER, model_commitment
from ape_arena.node.agent import Agent
from ape_arena.node.creator import Creator
from ape_arena.node.scoring import TaskScorer
from ape_arena.node.spec import load_spec
from ape_arena.node.trainer import Trainer
from ape_arena.node.validator import Validator
from support.node import PARAMS, context
from support.node import SPEC as NODE_SPEC

WAD = 10**18
SPEC = NODE_SPEC.format(seed=5)
DEEP = 50_000


class Killed(BaseException):
    """Stands for the process being killed (not an Exception: nothing catches it)."""


@pytest.fixture(scope="module")
def pools(protocol, accounts, fund, project):
    staking, token = protocol["Staking"], protocol["ArenaToken"]
    for index in (1, 2, 3, 4, 5):
        fund(accounts[index], 2_000)
    for index in (2, 3, 4, 5):
        token.approve(staking, 1_000 * WAD, sender=accounts[index])
        staking.open_pool(500, 1_000 * WAD, sender=accounts[index])
    folder = config.get_config("arena").deployments_folder
    return load_protocol(project, accounts[0].provider, Path(folder))


@pytest.fixture
def arena(pools, tmp_path):
    """The protocol and this test's own node folders: Ape reverts the chain
    between tests (task ids start again at 1) but not the folders."""
    (tmp_path / "spec.yaml").write_text(SPEC)
    return pools, tmp_path


def hostile_artifact(store_root: Path) -> tuple[bytes, str]:
    """A manifest nested 50,000 levels deep, put straight into the store."""
    manifest = ('{"files":' + "[" * DEEP + "]" * DEEP + ',"version":1}').encode()
    digest = hashlib.sha256(manifest).digest()
    folder = store_root / digest.hex()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_bytes(manifest)
    return digest, folder.as_uri()


def create(arena, accounts, log, monkeypatch=None, bad_eval=False) -> tuple[int, Creator]:
    protocol_obj, folders = arena
    creator = Creator(context(protocol_obj, accounts[1], folders, log))
    if bad_eval:
        real = spec_module.prepare

        def prepare_with_a_bad_eval_set(spec, work, put=None):
            prepared = real(spec, work, put)
            eval_files = prepared.eval_dir / "eval"
            for path in eval_files.iterdir():
                path.unlink()
            nested = "[" * DEEP + "]" * DEEP
            (eval_files / "data.jsonl").write_text(f'{{"features": {nested}, "label": 0}}\n')
            return prepared

        monkeypatch.setattr(spec_module, "prepare", prepare_with_a_bad_eval_set)
    task_id = creator.create(load_spec(folders / "spec.yaml"), folders / "spec.yaml")
    if bad_eval:
        monkeypatch.setattr(spec_module, "prepare", real)
    return task_id, creator


def submit(arena, accounts, task_id, log, hostile=True):
    """The honest trainer (accounts[2]) trains and commits; the attacker (accounts[4])
    commits an artifact that crashed validators before."""
    protocol_obj, folders = arena
    tasks = protocol_obj.tasks
    Agent(Trainer(context(protocol_obj, accounts[2], folders, log), PARAMS), [task_id]).step(
        log.append
    )
    salt = os.urandom(32)
    attacker = accounts[4]
    model_hash, uri = hostile_artifact(folders / "store")
    if hostile:
        stake = int(tasks.tasks(task_id).min_trainer_stake)
        tasks.join(task_id, ROLE_TRAINER, stake, sender=attacker)
        tasks.commit_model(
            task_id, model_commitment(model_hash, attacker.address, salt), sender=attacker
        )
    return model_hash, uri, salt


def reveal_all(arena, accounts, task_id, creator, chain, log, secret):
    protocol_obj, folders = arena
    tasks = protocol_obj.tasks
    chain.mine(timestamp=tasks.tasks(task_id).submit_end)
    Agent(Trainer(context(protocol_obj, accounts[2], folders, log)), []).step(log.append)
    if secret is not None:
        model_hash, uri, salt = secret
        tasks.reveal_model(task_id, model_hash, uri, salt, sender=accounts[4])
    chain.mine(timestamp=tasks.tasks(task_id).reveal_end)
    creator.advance(task_id)
    assert tasks.phase(task_id) == 4  # score commit


def test_a_hostile_model_is_invalid_and_the_honest_one_scored(arena, accounts, chain):
    protocol_obj, folders = arena
    tasks = protocol_obj.tasks
    log: list[str] = []
    task_id, creator = create(arena, accounts, log)
    validator_ctx = context(protocol_obj, accounts[3], folders, log)
    Agent(Validator(validator_ctx), [task_id]).step(log.append)
    secret = submit(arena, accounts, task_id, log)
    reveal_all(arena, accounts, task_id, creator, chain, log, secret)

    Agent(Validator(validator_ctx), [task_id]).step(log.append)
    assert tasks.participant(task_id, accounts[3]).committed
    record = validator_ctx.state.load(
        validator_ctx.chain_id, task_id, "validator", str(accounts[3])
    )
    trainers = protocol_obj.tasks.trainers(task_id, 0), protocol_obj.tasks.trainers(task_id, 1)
    by_trainer = dict(zip([str(t) for t in trainers], record["scores"], strict=True))
    assert by_trainer[str(accounts[4])] == INVALID_SCORE
    assert by_trainer[str(accounts[2])] < INVALID_SCORE
    assert any("invalid (the manifest is refused (it nests deeper" in line for line in log)


def test_a_validator_killed_mid_scoring_goes_on_with_the_next_model(
    arena, accounts, chain, monkeypatch
):
    protocol_obj, folders = arena
    tasks = protocol_obj.tasks
    log: list[str] = []
    task_id, creator = create(arena, accounts, log)
    validator_ctx = context(protocol_obj, accounts[5], folders, log)
    Agent(Validator(validator_ctx), [task_id]).step(log.append)
    secret = submit(arena, accounts, task_id, log)
    reveal_all(arena, accounts, task_id, creator, chain, log, secret)

    scored: list[str] = []
    real_score = TaskScorer.score

    def dies_on_the_second_model(self, submission, earlier=()):
        if scored:
            raise Killed
        scored.append(submission.trainer)
        return real_score(self, submission, earlier)

    monkeypatch.setattr(TaskScorer, "score", dies_on_the_second_model)
    with pytest.raises(Killed):
        Agent(Validator(validator_ctx), [task_id]).step(log.append)
    record = validator_ctx.state.load(
        validator_ctx.chain_id, task_id, "validator", str(accounts[5])
    )
    assert list(record["scored"]) == scored and not record.get("scores")
    assert not tasks.participant(task_id, accounts[5]).committed

    # Started again: the first model is not scored twice, the second is, then it commits.
    again: list[str] = []

    def counting(self, submission, earlier=()):
        again.append(submission.trainer)
        return real_score(self, submission, earlier)

    monkeypatch.setattr(TaskScorer, "score", counting)
    agent = Agent(Validator(validator_ctx), [])
    assert agent.task_ids == [task_id]
    agent.step(log.append)
    assert again and scored[0] not in again
    assert tasks.participant(task_id, accounts[5]).committed
    assert any("scored before the node restarted" in line for line in log)


def test_a_bad_eval_set_stops_only_its_task(arena, accounts, chain, monkeypatch):
    protocol_obj, folders = arena
    tasks = protocol_obj.tasks
    log: list[str] = []
    bad_task, bad_creator = create(arena, accounts, log, monkeypatch, bad_eval=True)
    good_task, good_creator = create(arena, accounts, log)
    validator_ctx = context(protocol_obj, accounts[3], folders, log)
    agent = Agent(Validator(validator_ctx), [bad_task, good_task])
    agent.step(log.append)
    for task_id in (bad_task, good_task):
        submit(arena, accounts, task_id, log, hostile=False)
    # Both tasks share their deadlines to the second; move them together.
    chain.mine(timestamp=tasks.tasks(good_task).submit_end)
    for task_id in (bad_task, good_task):
        Agent(Trainer(context(protocol_obj, accounts[2], folders, log)), [task_id]).step(log.append)
    chain.mine(timestamp=tasks.tasks(good_task).reveal_end)
    bad_creator.advance(bad_task)
    good_creator.advance(good_task)

    lines: list[str] = []
    agent.step(lines.append)
    assert tasks.participant(good_task, accounts[3]).committed
    assert not tasks.participant(bad_task, accounts[3]).committed
    failure = [line for line in lines if line.startswith(f"[task {bad_task}] failed")]
    assert len(failure) == 1 and "eval set cannot be scored" in failure[0]
    assert bad_task in agent.task_ids  # still followed, after a back-off
    record = validator_ctx.state.load(
        validator_ctx.chain_id, bad_task, "validator", str(accounts[3])
    )
    assert record["failures"] == 1 and "eval set cannot be scored" in record["last_error"]
