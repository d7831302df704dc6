"""The resumable node on anvil: killed between its commitment and its
reveal, or between writing its state and sending the commitment, it starts
again from its state folder and finishes without a double action."""

from pathlib import Path

import pytest
from ape import config

from ape_arena.chain.protocol import load_protocol
from ape_arena.node.agent import Agent
from ape_arena.node.creator import Creator
from ape_arena.node.spec import load_spec
from ape_arena.node.state import StateStore
from ape_arena.node.trainer import Trainer
from ape_arena.node.validator import Validator
from support.node import PARAMS, context
from support.node import SPEC as NODE_SPEC

WAD = 10**18
SPEC = NODE_SPEC.format(seed=3)


class Crash(BaseException):
    """Stands for the process being killed (not an Exception: the agent survives those)."""


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return tmp_path_factory.mktemp("node")


@pytest.fixture(scope="module")
def setup(protocol, accounts, fund, project, folders):
    staking, token = protocol["Staking"], protocol["ArenaToken"]
    for index in (1, 2, 3):
        fund(accounts[index], 2_000)
    for index in (2, 3):
        token.approve(staking, 1_000 * WAD, sender=accounts[index])
        staking.open_pool(500, 1_000 * WAD, sender=accounts[index])
    folder = config.get_config("arena").deployments_folder
    protocol_obj = load_protocol(project, accounts[0].provider, Path(folder))
    spec_file = folders / "spec.yaml"
    spec_file.write_text(SPEC)
    creator_log: list[str] = []
    creator = Creator(context(protocol_obj, accounts[1], folders, creator_log))
    task_id = creator.create(load_spec(spec_file), spec_file)
    return protocol_obj, task_id, creator


def test_trainer_killed_before_commit_and_before_reveal(setup, accounts, folders, chain):
    protocol_obj, task_id, _creator = setup
    tasks = protocol_obj.tasks
    log: list[str] = []
    ctx = context(protocol_obj, accounts[2], folders, log)
    trainings = []

    class CountingTrainer(Trainer):
        def _train(self, *args):
            trainings.append(args[0])
            return super()._train(*args)

    # First life: trains and saves the salt, then dies as it sends the commitment.
    first = CountingTrainer(ctx, PARAMS)
    real_send = ctx.send

    def dying_send(contract, method, *args):
        if method == "commit_model":
            raise Crash
        return real_send(contract, method, *args)

    ctx.send = dying_send
    with pytest.raises(Crash):
        Agent(first, [task_id]).step(log.append)
    record = ctx.state.load(ctx.chain_id, task_id, "trainer", ctx.address)
    assert record["salt"] and record["model_hash"] and not record.get("committed")
    assert not tasks.participant(task_id, accounts[2]).committed

    # Second life, from the state folder alone: commits without training again.
    ctx.send = real_send
    second = CountingTrainer(ctx, PARAMS)
    agent = Agent(second, [])
    assert agent.task_ids == [task_id]  # resumed from the state
    agent.step(log.append)
    assert len(trainings) == 1
    assert tasks.participant(task_id, accounts[2]).committed
    commitment = bytes(tasks.participant(task_id, accounts[2]).commitment)

    # A third life in the same phase changes nothing on chain.
    Agent(CountingTrainer(ctx, PARAMS), []).step(log.append)
    assert bytes(tasks.participant(task_id, accounts[2]).commitment) == commitment
    assert len(trainings) == 1

    # Killed between commit and reveal: a fresh node reveals after the deadline.
    chain.mine(timestamp=tasks.tasks(task_id).submit_end)
    Agent(Trainer(ctx), []).step(log.append)
    p = tasks.participant(task_id, accounts[2])
    assert p.revealed
    assert bytes(p.commitment).hex() == record["model_hash"].removeprefix("0x")


def test_validator_killed_between_commit_and_reveal(protocol, accounts, folders, chain, setup):
    protocol_obj, _, creator = setup
    tasks = protocol_obj.tasks
    spec_file = folders / "spec.yaml"
    task_id = creator.create(load_spec(spec_file), spec_file)
    log: list[str] = []
    trainer_ctx = context(protocol_obj, accounts[2], folders, log)
    validator_ctx = context(protocol_obj, accounts[3], folders, log)
    Agent(Trainer(trainer_ctx, PARAMS), [task_id]).step(log.append)
    Agent(Validator(validator_ctx), [task_id]).step(log.append)
    assert tasks.participant(task_id, accounts[3]).role == 2

    chain.mine(timestamp=tasks.tasks(task_id).submit_end)
    Agent(Trainer(trainer_ctx), []).step(log.append)
    chain.mine(timestamp=tasks.tasks(task_id).reveal_end)
    creator.advance(task_id)
    assert tasks.phase(task_id) == 4

    # The validator scores and commits, then "dies".
    Agent(Validator(validator_ctx), []).step(log.append)
    p = tasks.participant(task_id, accounts[3])
    assert p.committed and not p.revealed
    record = validator_ctx.state.load(
        validator_ctx.chain_id, task_id, "validator", str(accounts[3])
    )
    assert len(record["scores"]) == 1 and record["scores"][0] < 2**32 - 1

    chain.mine(timestamp=tasks.tasks(task_id).score_commit_end)
    Agent(Validator(validator_ctx), []).step(log.append)
    assert tasks.participant(task_id, accounts[3]).revealed

    # After the score reveal, the node finalizes and claims by itself.
    chain.mine(timestamp=tasks.tasks(task_id).score_reveal_end)
    agent = Agent(Validator(validator_ctx), [])
    agent.step(log.append)
    assert tasks.phase(task_id) == 7
    assert tasks.participant(task_id, accounts[3]).claimed
    assert task_id not in agent.task_ids


def test_the_node_command_joins_once_and_resumes(setup, accounts, folders):
    """`ape arena node` through the CLI, sharing the state folder above."""
    from support.cli import cli_run

    protocol_obj, _, creator = setup
    tasks = protocol_obj.tasks
    spec_file = folders / "spec.yaml"
    task_id = creator.create(load_spec(spec_file), spec_file)
    arena_config = config.get_config("arena")
    previous = arena_config.data_folder, arena_config.device
    arena_config.data_folder, arena_config.device = str(folders), "cpu"
    try:
        first = cli_run("node", "--role", "validator", "--task", str(task_id), "--once",
                        "--account", "TEST::3")  # fmt: skip
        assert first.exit_code == 0, first.output
        assert f"joined task {task_id} as a validator" in first.output
        assert tasks.participant(task_id, accounts[3]).role == 2
        # Started again with no --task: it finds the task in its state and
        # has nothing to do in the submit phase.
        again = cli_run("node", "--role", "validator", "--once", "--account", "TEST::3")
        assert again.exit_code == 0, again.output
        assert f"following tasks [{task_id}]" in again.output
        assert "joined" not in again.output
        # A record left by another chain's task with the same id is refused.
        state = StateStore(folders / "state")
        chain_id = int(accounts[3].provider.chain_id)
        state.update(chain_id, task_id, "validator", str(accounts[3]), spec_hash="0x" + "11" * 32)
        stale = cli_run("node", "--role", "validator", "--once", "--account", "TEST::3")
        assert "was written for another task" in stale.output
        idle = cli_run("node", "--role", "trainer", "--once", "--account", "TEST::7")
        assert idle.exit_code == 1
        assert "has no task to follow; pass --task ID or --join-new" in idle.output
    finally:
        arena_config.data_folder, arena_config.device = previous
