"""`--json` on every command that prints a table, on anvil: a deployed
protocol, a small task played to the end with the contracts' own calls (no
training: the scores are chosen), a second task still open, a delegator with
stake unbonding and a governance proposal with a vote. Each command's
document is checked against the contracts' views; stdout holds exactly one
JSON document.
"""

import pytest
from click.testing import CliRunner
from eth_utils import keccak

from ape_arena.chain.tasks import (
    INVALID_SCORE,
    PHASE_FINALIZED,
    PHASE_NAMES,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    TaskParams,
    eval_commitment,
    kind_to_bytes32,
    model_commitment,
    score_commitment,
)
from ape_arena.units import iso
from support.cli import cli_json, cli_run

WAD = 10**18
OWN_STAKE = 1_000 * WAD
TASK_STAKE = 100 * WAD
SPEC_URI = "file:///tasks/json-spec"
# One score per trainer in join order, the same from both validators: the
# first trainer wins, the second is second, the third never reveals its model.
SCORES = [2_000_000, 3_000_000, INVALID_SCORE]
# The parameter table's contract keys, by the contract's name in the project.
CONTRACTS = {
    "token": "ArenaToken",
    "staking": "Staking",
    "tasks": "TaskManager",
    "emission": "Emission",
    "governor": "Governor",
}


def phase_name(tasks, task_id: int) -> str:
    return PHASE_NAMES[int(tasks.phase(task_id))].replace(" ", "_")


def h(label: str) -> bytes:
    return keccak(text=label)


@pytest.fixture(scope="module")
def scene(protocol, accounts, fund, chain):
    """Everything the documents show, in one order (the clock only moves forward)."""
    token, staking, tasks = protocol["ArenaToken"], protocol["Staking"], protocol["TaskManager"]
    creator, delegator, staker = accounts[1], accounts[6], accounts[7]
    trainers, validators = [accounts[2], accounts[3], accounts[8]], [accounts[4], accounts[5]]
    fund(creator, 5_000)
    fund(delegator, 500)
    fund(staker, 20_000)
    for operator in (*trainers, *validators):
        fund(operator, 2_000)
        token.approve(staking, OWN_STAKE, sender=operator)
        staking.open_pool(1_000, OWN_STAKE, sender=operator)
    token.approve(staking, 20_000 * WAD, sender=staker)
    staking.open_pool(500, 20_000 * WAD, sender=staker)
    # Ape's account `delegate` (EIP-7702) hides the contract's: call it by name.
    token.approve(staking, 300 * WAD, sender=delegator)
    staking.invoke_transaction("delegate", trainers[0], 300 * WAD, sender=delegator)
    staking.request_withdraw(trainers[0], 100 * WAD, sender=delegator)

    eval_hash, eval_salt = h("eval set"), h("eval salt")
    params = TaskParams(
        kind=kind_to_bytes32("lm"),
        spec_hash=h("spec"),
        spec_uri=SPEC_URI,
        eval_commitment=eval_commitment(eval_hash, eval_salt),
        reward=1_000 * WAD,
        bond=10 * WAD,
        min_trainer_stake=TASK_STAKE,
        min_validator_stake=TASK_STAKE,
        max_trainers=4,
        max_validators=4,
        submit_duration=1_800,
        model_reveal_duration=1_800,
        eval_reveal_duration=1_800,
        score_commit_duration=1_800,
        score_reveal_duration=1_800,
        tolerance_bps=50,
    )
    token.approve(tasks, 2 * (params.reward + params.bond), sender=creator)
    tasks.create_task(params.as_tuple(), sender=creator)
    task_id = int(tasks.task_count())
    salts = {a.address: h(f"salt {a.address}") for a in (*trainers, *validators)}
    models = {t.address: h(f"model {t.address}") for t in trainers}
    for trainer in trainers:
        tasks.join(task_id, ROLE_TRAINER, TASK_STAKE, sender=trainer)
        commitment = model_commitment(
            models[trainer.address], trainer.address, salts[trainer.address]
        )
        tasks.commit_model(task_id, commitment, sender=trainer)
    for validator in validators:
        tasks.join(task_id, ROLE_VALIDATOR, TASK_STAKE, sender=validator)

    record = tasks.tasks(task_id)
    chain.mine(timestamp=record.submit_end)
    for trainer in trainers[:2]:
        uri = f"file:///models/{trainer.address}"
        tasks.reveal_model(
            task_id, models[trainer.address], uri, salts[trainer.address], sender=trainer
        )
    chain.mine(timestamp=record.reveal_end)
    tasks.reveal_eval(task_id, eval_hash, "file:///eval", eval_salt, sender=creator)
    for validator in validators:
        commitment = score_commitment(SCORES, validator.address, salts[validator.address])
        tasks.commit_scores(task_id, commitment, sender=validator)
    chain.mine(timestamp=record.score_commit_end)
    for validator in validators:
        tasks.reveal_scores(task_id, SCORES, salts[validator.address], sender=validator)
    chain.mine(timestamp=record.score_reveal_end)
    while int(tasks.phase(task_id)) != PHASE_FINALIZED:
        tasks.finalize(task_id, sender=creator)
    receipt = tasks.claim(task_id, trainers[0], sender=trainers[0])
    (claimed,) = [log for log in receipt.events if log.event_name == "RewardClaimed"]

    tasks.create_task(params.as_tuple(), sender=creator)  # a second task, still open
    chain.mine()
    proposed = cli_run(
        "gov", "propose", "--account", "TEST::7", "--set", "tasks.q_wad=0.9",
        "-d", "Flatter rank decay\n\nq from 0.85 to 0.9.",
    )  # fmt: skip
    assert proposed.exit_code == 0, proposed.output
    voted = cli_run("gov", "vote", "1", "for", "--account", "TEST::7")
    assert voted.exit_code == 0, voted.output
    return {
        "task_id": task_id,
        "trainers": trainers,
        "validators": validators,
        "delegator": delegator,
        "staker": staker,
        "claimed_reward": int(claimed.reward),
    }


def test_task_list(protocol, scene):
    tasks = protocol["TaskManager"]
    doc = cli_json("task", "list")
    assert doc["kind"] == "task-list" and doc["schema_version"] == 1
    assert [t["task_id"] for t in doc["tasks"]] == list(range(1, int(tasks.task_count()) + 1))
    for task in doc["tasks"]:
        record = tasks.tasks(task["task_id"])
        assert task["phase"] == phase_name(tasks, task["task_id"])
        assert task["reward"] == str(record.reward) and task["bond"] == str(record.bond)
        assert task["creator"] == str(record.creator)
        assert task["n_trainers"] == record.n_trainers
        assert task["deadlines"]["submit_end"] == iso(record.submit_end)
        assert task["deadlines"]["score_reveal_end"] == iso(record.score_reveal_end)
        assert task["q_wad"] == str(record.q_wad)
    settled, open_task = doc["tasks"][-2:]
    assert settled["phase"] == "finalized" and open_task["phase"] == "submit"
    assert settled["train_reward"] == str(tasks.tasks(scene["task_id"]).train_reward)
    assert open_task["phase_ends"] == iso(tasks.tasks(open_task["task_id"]).submit_end)


def test_task_show(protocol, scene):
    tasks, task_id = protocol["TaskManager"], scene["task_id"]
    task = cli_json("task", "show", str(task_id))["task"]
    assert task["spec_uri"] == SPEC_URI
    assert task["eval_hash"] == "0x" + h("eval set").hex()
    expected = [*scene["trainers"], *scene["validators"]]
    assert [p["address"] for p in task["participants"]] == [a.address for a in expected]
    for p in task["participants"]:
        record = tasks.participant(task_id, p["address"])
        assert p["stake"] == str(record.stake) and p["weight"] == str(record.weight)
        assert (p["revealed"], p["claimed"]) == (record.revealed, record.claimed)
    statuses = [p["status"] for p in task["participants"]]
    assert statuses == ["revealed", "revealed", "committed", "revealed", "revealed"]


def test_leaderboard(protocol, scene):
    tasks, task_id = protocol["TaskManager"], scene["task_id"]
    doc = cli_json("leaderboard", str(task_id))
    assert doc["kind"] == "leaderboard" and doc["settled"] is True
    record = tasks.tasks(task_id)
    assert doc["train_reward"] == str(record.train_reward)
    assert doc["validator_reward"] == str(record.validator_reward)
    first, second, silent = scene["trainers"]
    rows = {s["trainer"]: s for s in doc["submissions"]}
    assert [s["trainer"] for s in doc["submissions"]] == [
        first.address,
        second.address,
        silent.address,
    ]
    for trainer in (first, second):
        row = rows[trainer.address]
        assert row["rank"] == int(tasks.participant(task_id, trainer).rank) + 1
        assert row["consensus"] == int(tasks.consensus_of(task_id, trainer))
        assert row["status"] == "valid"
        assert row["scores"] == {v.address: SCORES[row["index"]] for v in scene["validators"]}
    assert rows[first.address]["claimed"] is True
    assert int(rows[first.address]["reward"]) == scene["claimed_reward"] > 0
    assert rows[second.address]["reward"] == str(tasks.claimable(task_id, second))
    assert rows[silent.address]["status"] == "not_revealed"
    assert rows[silent.address]["rank"] is None
    assert rows[silent.address]["scores"] == {v.address: None for v in scene["validators"]}
    for v in doc["validators"]:
        assert v["trust_wad"] == str(tasks.trust(task_id, v["validator"]))
        assert v["reward"] == str(tasks.claimable(task_id, v["validator"]))
        assert v["stake_weight"] == str(tasks.participant(task_id, v["validator"]).weight)


def test_position(protocol, scene):
    token, staking = protocol["ArenaToken"], protocol["Staking"]
    delegator, operator = scene["delegator"], scene["trainers"][0]
    doc = cli_json("position", delegator.address)
    assert doc["kind"] == "position" and doc["address"] == delegator.address
    assert doc["wallet"] == str(token.balanceOf(delegator))
    assert doc["votes"] == str(staking.votes(delegator))
    assert doc["pool"]["opened"] is False
    (stake,) = doc["stakes"]
    unbonding, unlock_at = staking.unbonding_of(delegator, operator)
    assert stake["operator"] == operator.address
    assert stake["assets"] == str(staking.assets_of(operator, delegator))
    assert stake["unbonding"] == str(unbonding) == str(100 * WAD)
    assert stake["withdrawable_at"] == iso(unlock_at)

    pool = cli_json("position", "--account", "TEST::2")["pool"]
    assert pool["opened"] is True and pool["commission_bps"] == staking.commission_of(operator)
    assert pool["own_stake"] == str(staking.own_stake(operator))
    assert pool["delegated_stake"] == str(staking.delegated_stake(operator))
    assert pool["total_assets"] == str(staking.pools(operator).total_assets)
    assert pool["commission_owed"] == str(staking.pools(operator).commission_owed)


def test_params(protocol, scene):
    doc = cli_json("params")
    assert doc["kind"] == "params"
    for row in doc["parameters"]:
        value = getattr(protocol[CONTRACTS[row["contract"]]], row["name"])()
        if row["unit"] in ("wei", "wad", "address"):
            assert row["value"] == str(value), row["key"]
        else:
            assert row["value"] == int(value), row["key"]
    q = next(r for r in doc["parameters"] if r["key"] == "tasks.q_wad")
    assert q["value"] == "850000000000000000"  # the proposal is not executed


def test_gov_list_and_show(protocol, scene):
    governor = protocol["Governor"]
    listed = cli_json("gov", "list")
    assert listed["kind"] == "proposal-list"
    (item,) = listed["proposals"]
    shown = cli_json("gov", "show", "1")
    assert shown["kind"] == "proposal" and shown["proposal"] == item
    record = governor.proposals(1)
    assert item["state"] == "active" and item["proposer"] == scene["staker"].address
    assert item["for_votes"] == str(record.for_votes)
    assert int(item["for_votes"]) == protocol["Staking"].votes_at(scene["staker"], record.snapshot)
    assert item["against_votes"] == "0" and item["quorum"] == str(record.quorum)
    assert item["snapshot_block"] == record.snapshot
    assert item["vote_end"] == iso(record.vote_end) and item["executable_from"] is None
    assert item["title"] == "Flatter rank decay"
    (action,) = item["actions"]
    assert action["target"] == protocol["TaskManager"].address
    assert action["call"] == "tasks.set_q_wad(new_value=900000000000000000)"


def test_info(protocol, scene, require_anvil):
    doc = cli_json("info")
    assert doc["kind"] == "info" and doc["network"] == "ethereum:local:foundry"
    assert doc["chain_id"] == require_anvil.chain_id
    assert doc["block"] <= require_anvil.get_block("latest").number
    contracts = {c["name"]: c for c in doc["deployment"]["contracts"]}
    assert set(contracts) == set(CONTRACTS.values())
    for name, entry in contracts.items():
        assert entry["address"] == protocol[name].address and entry["has_code"] is True
    assert doc["deployment"]["chain_id_matches"] is True


@pytest.mark.parametrize(
    "args, sentence",
    [
        (["task", "show", "99"], "There is no task 99"),
        (["leaderboard", "99"], "There is no task 99"),
        (["gov", "show", "99"], "There is no proposal 99"),
        (["position", "0xnothex"], "is neither an address nor an account alias"),
    ],
)
def test_errors_stay_sentences(scene, args, sentence):
    from ape_arena._cli import cli

    result = CliRunner(mix_stderr=False).invoke(
        cli, [*args, "--json", "--network", "ethereum:local:foundry"]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert sentence in result.stderr.strip().splitlines()[-1]
