"""A whole chat-lora task through the `ape arena` commands on anvil: the creator
posts a task whose tiny Llama base is built offline and published by hash, two
trainers fine-tune LoRA adapters of different shapes on CPU, a third submits a
re-saved, perturbed copy of the first one's adapter, two validators score base
+ adapter in bits per byte (the copy INVALID as a near-copy), and the task
finalizes with the copier unpaid.
"""

import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from ape_arena.chain.events import logs
from support.cli import cli_run

WAD = 10**18
SPEC = """
kind: chat-lora
kind_params: {context_length: 96, eval_batch_size: 4, max_rank: 16}
data:
  demo: {seed: 2, size: 100}
reward: 1000
bond: 10
min_trainer_stake: 100
min_validator_stake: 100
max_trainers: 4
max_validators: 4
tolerance_bps: 50
durations: {submit: 30m, model_reveal: 30m, eval_reveal: 30m, score_commit: 30m, score_reveal: 30m}
"""
TINY = ["--param", "steps=6", "--param", "batch_size=4", "--param", "lr=0.005"]


@pytest.fixture(scope="module")
def people(protocol, accounts, fund):
    """creator 1, trainers 2, 3 and 6 (the copier), validators 4 and 5."""
    staking, token = protocol["Staking"], protocol["ArenaToken"]
    for index in (1, 2, 3, 4, 5, 6):
        fund(accounts[index], 5_000)
    for index in (2, 3, 4, 5, 6):
        token.approve(staking, 1_000 * WAD, sender=accounts[index])
        staking.open_pool(1_000, 1_000 * WAD, sender=accounts[index])
    return accounts


def deadline(protocol, task_id, name):
    return getattr(protocol["TaskManager"].tasks(task_id), name)


def test_chat_lora_task_end_to_end(protocol, people, chain, node_folders, tmp_path):
    tasks = protocol["TaskManager"]
    spec = tmp_path / "task.yaml"
    spec.write_text(SPEC)
    created = cli_run("task", "create", str(spec), "--account", "TEST::1")
    assert created.exit_code == 0, created.output
    line = next(row for row in created.output.splitlines() if row.split()[:1] == ["task"])
    task_id = int(line.split()[1])

    wide = ["--param", "targets=[q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj]"]
    first = cli_run("train", str(task_id), "--account", "TEST::2", *TINY, *wide)
    assert first.exit_code == 0, first.output
    assert "tokens/s" in first.output and "committed the model" in first.output
    narrow = ["--param", "rank=4", "--param", "seed=5"]
    second = cli_run("train", str(task_id), "--account", "TEST::3", *TINY, *narrow)
    assert second.exit_code == 0, second.output

    # The copier re-saves the first adapter in bf16 with a little noise: a new hash.
    original = next(node_folders.rglob("adapter_model.safetensors")).parent
    assert people[2].address.lower() in original.name
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    state = load_file(str(copy / "adapter_model.safetensors"))
    generator = torch.Generator().manual_seed(1)
    noisy = {
        k: (v + 0.01 * v.std() * torch.randn(v.shape, generator=generator)).to(torch.bfloat16)
        for k, v in state.items()
    }
    save_file(noisy, str(copy / "adapter_model.safetensors"))
    copier = cli_run("train", str(task_id), "--account", "TEST::6", "--model-dir", str(copy))
    assert copier.exit_code == 0, copier.output
    assert "committed the model" in copier.output

    for validator in ("TEST::4", "TEST::5"):
        joined = cli_run("validate", str(task_id), "--account", validator, "--no-wait")
        assert joined.exit_code == 0, joined.output

    chain.mine(timestamp=deadline(protocol, task_id, "submit_end"))
    for trainer in ("TEST::2", "TEST::3", "TEST::6"):
        revealed = cli_run("reveal", str(task_id), "--account", trainer)
        assert revealed.exit_code == 0, revealed.output

    chain.mine(timestamp=deadline(protocol, task_id, "reveal_end"))
    eval_reveal = cli_run("task", "reveal-eval", str(task_id), "--account", "TEST::1")
    assert eval_reveal.exit_code == 0, eval_reveal.output
    for validator in ("TEST::4", "TEST::5"):
        scored = cli_run("validate", str(task_id), "--account", validator, "--no-wait")
        assert scored.exit_code == 0, scored.output
        assert scored.output.count("bits_per_byte") == 2, scored.output
        assert "near-copy of" in scored.output and "committed 3 scores" in scored.output

    chain.mine(timestamp=deadline(protocol, task_id, "score_commit_end"))
    for validator in ("TEST::4", "TEST::5"):
        revealed = cli_run("validate", str(task_id), "--account", validator, "--no-wait")
        assert revealed.exit_code == 0, revealed.output

    chain.mine(timestamp=deadline(protocol, task_id, "score_reveal_end"))
    finalized = cli_run("finalize", str(task_id), "--account", "TEST::1")
    assert finalized.exit_code == 0, finalized.output
    assert tasks.phase(task_id) == 7

    board = cli_run("leaderboard", str(task_id))
    assert board.exit_code == 0, board.output
    for trainer in (people[2], people[3]):
        assert int(tasks.participant(task_id, trainer).rank) in (0, 1)
    for validator in (people[4], people[5]):
        assert tasks.trust(task_id, validator) == WAD
    for trainer in ("TEST::2", "TEST::3", "TEST::6"):
        claimed = cli_run("claim", str(task_id), "--account", trainer)
        assert claimed.exit_code == 0, claimed.output
    paid = {
        str(log.participant): int(log.reward)
        for log in logs(tasks, "RewardClaimed", 0, task_id=task_id)
    }
    assert paid[people[6].address] == 0
    assert paid[people[2].address] > 0 and paid[people[3].address] > 0
