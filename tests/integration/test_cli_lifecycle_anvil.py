"""A whole task through the `ape arena` commands on anvil, with the real
node code: a creator posts an `lm` task built offline, two trainers train
models of different shapes on CPU, two validators score them, then
finalize, leaderboard and the state a restarted node finds.

Time moves with `chain.mine(timestamp=...)` between phases.
"""

import json

import pytest

from support.cli import cli_run

WAD = 10**18
SPEC = """
kind: lm
kind_params: {max_params: 60000, block_size: 32, eval_batch_size: 8}
data:
  demo: {seed: 1, size: 24000}
reward: 1000
bond: 10
min_trainer_stake: 100
min_validator_stake: 100
max_trainers: 4
max_validators: 4
tolerance_bps: 50
durations: {submit: 30m, model_reveal: 30m, eval_reveal: 30m, score_commit: 30m, score_reveal: 30m}
"""
TINY = ["--param", "steps=4", "--param", "batch_size=4", "--param", "warmup_steps=1"]


@pytest.fixture(scope="module")
def people(protocol, accounts, fund):
    """creator 1, trainers 2 and 3, validators 4 and 5, each operator with a pool."""
    staking, token = protocol["Staking"], protocol["ArenaToken"]
    for index in (1, 2, 3, 4, 5):
        fund(accounts[index], 5_000)
    for index in (2, 3, 4, 5):
        token.approve(staking, 1_000 * WAD, sender=accounts[index])
        staking.open_pool(1_000, 1_000 * WAD, sender=accounts[index])
    return accounts


@pytest.fixture(scope="module")
def task_id(node_folders, people, tmp_path_factory):
    spec = tmp_path_factory.mktemp("spec") / "task.yaml"
    spec.write_text(SPEC)
    result = cli_run("task", "create", str(spec), "--account", "TEST::1")
    assert result.exit_code == 0, result.output
    assert "eval salt kept in" in result.output
    line = next(row for row in result.output.splitlines() if row.split()[:1] == ["task"])
    return int(line.split()[1])


def deadline(protocol, task_id, name):
    return getattr(protocol["TaskManager"].tasks(task_id), name)


def test_whole_lifecycle(protocol, people, task_id, chain, node_folders):
    tasks = protocol["TaskManager"]
    listed = cli_run("task", "list")
    assert "submit" in listed.output and "1,000" in listed.output

    shape = ["--param", "n_layer=1", "--param", "n_head=2", "--param", "n_embd=16"]
    small = cli_run("train", str(task_id), "--account", "TEST::2", *TINY, *shape)
    assert small.exit_code == 0, small.output
    assert "joined task" in small.output and "committed the model" in small.output
    shape = ["--param", "n_layer=2", "--param", "n_head=2", "--param", "n_embd=32"]
    large = cli_run("train", str(task_id), "--account", "TEST::3", *TINY, *shape)
    assert large.exit_code == 0, large.output
    for validator in ("TEST::4", "TEST::5"):
        joined = cli_run("validate", str(task_id), "--account", validator, "--no-wait")
        assert joined.exit_code == 0, joined.output
        assert "joined task" in joined.output

    unknown = cli_run("train", "99", "--account", "TEST::2")
    assert unknown.exit_code == 1
    assert "There is no task 99" in unknown.output
    stranger = cli_run("reveal", str(task_id), "--account", "TEST::6")
    assert stranger.exit_code == 1
    assert "has not joined task" in stranger.output

    early = cli_run("reveal", str(task_id), "--account", "TEST::2")
    assert early.exit_code == 1
    assert "to reveal a model it must be in the model reveal phase" in early.output

    chain.mine(timestamp=deadline(protocol, task_id, "submit_end"))
    for trainer in ("TEST::2", "TEST::3"):
        revealed = cli_run("reveal", str(task_id), "--account", trainer)
        assert revealed.exit_code == 0, revealed.output
        assert "revealed model" in revealed.output

    chain.mine(timestamp=deadline(protocol, task_id, "reveal_end"))
    eval_reveal = cli_run("task", "reveal-eval", str(task_id), "--account", "TEST::1")
    assert eval_reveal.exit_code == 0, eval_reveal.output
    for validator in ("TEST::4", "TEST::5"):
        scored = cli_run("validate", str(task_id), "--account", validator, "--no-wait")
        assert scored.exit_code == 0, scored.output
        assert "bits_per_byte" in scored.output and "committed 2 scores" in scored.output

    chain.mine(timestamp=deadline(protocol, task_id, "score_commit_end"))
    for validator in ("TEST::4", "TEST::5"):
        revealed = cli_run("validate", str(task_id), "--account", validator, "--no-wait")
        assert revealed.exit_code == 0, revealed.output
        assert "revealed 2 scores" in revealed.output

    chain.mine(timestamp=deadline(protocol, task_id, "score_reveal_end"))
    finalized = cli_run("finalize", str(task_id), "--account", "TEST::1")
    assert finalized.exit_code == 0, finalized.output
    assert tasks.phase(task_id) == 7

    again = cli_run("finalize", str(task_id), "--account", "TEST::6")
    assert again.exit_code == 0
    assert "already finalized" in again.output

    board = cli_run("leaderboard", str(task_id))
    assert board.exit_code == 0, board.output
    assert "valid" in board.output and "Validators" in board.output
    # Two honest validators on the same code agree exactly: full trust each.
    for validator in (people[4], people[5]):
        assert tasks.trust(task_id, validator) == WAD
    ranks = sorted(int(tasks.participant(task_id, t).rank) for t in (people[2], people[3]))
    assert ranks == [0, 1]

    # The node state holds the salts, written before each commitment.
    state = node_folders / "state"
    records = list(state.rglob("trainer-*.json")) + list(state.rglob("validator-*.json"))
    assert len(records) == 4
    for record in records:
        data = json.loads(record.read_text())
        assert data["committed"] and data["revealed"] and data["salt"].startswith("0x")
        assert record.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("line", "sentence"),
    [
        ("min_trainer_stake: 100", "min_trainer_stake of 5 ARENA is below the floor of 10"),
        ("min_validator_stake: 100", "min_validator_stake of 5 ARENA is below the floor of 100"),
    ],
    ids=["trainer stake", "validator stake"],
)
def test_terms_below_a_floor_are_refused_with_a_sentence(
    protocol, people, tmp_path, line, sentence
):
    """The task manager's floors (1% of the reward for a trainer's stake, 10%
    for a validator's) checked before anything is sent."""
    field = line.split(":")[0]
    spec = tmp_path / "task.yaml"
    spec.write_text(SPEC.replace(line, f"{field}: 5"))
    before = protocol["TaskManager"].task_count()
    result = cli_run("task", "create", str(spec), "--account", "TEST::1")
    assert result.exit_code == 1
    assert sentence in result.output and "raise it to at least that" in result.output
    assert "Traceback" not in result.output
    assert protocol["TaskManager"].task_count() == before
