"""The `--json` documents (ape_arena/report/documents.py) built from hand-made
read models: exact wei as strings, ISO 8601 UTC times, checksummed addresses,
lowercase names, and a round trip through `json.loads` that keeps integers
far above 2^53 exact."""

import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from ape_arena.chain.deployments import DeployedContract, Deployment
from ape_arena.chain.governance import ActionView, ProposalView
from ape_arena.chain.network import ContractStatus, NetworkInfo
from ape_arena.chain.params import BY_KEY, PARAMETERS, ParameterValue
from ape_arena.chain.staking import PoolView, Position, StakeView
from ape_arena.chain.tasks import (
    PHASE_FINALIZED,
    PHASE_MODEL_REVEAL,
    Deadlines,
    ParticipantView,
    TaskInfo,
)
from ape_arena.kinds.scores import INVALID_SCORE, SCORE_SCALE
from ape_arena.outcome import (
    DISQUALIFIED,
    VALID,
    SubmissionOutcome,
    TaskOutcome,
    ValidatorOutcome,
)
from ape_arena.report import documents
from ape_arena.units import WAD

# Far above 2^53 (about 9.007e15): a float would lose the last digits.
HUGE = 123_456_789_012_345_678_901_234_567
ODD = 10**18 + 1  # one wei more than one ARENA: exact only as an integer
START = int(dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.timezone.utc).timestamp())
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

CREATOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
TRAINER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
COPYCAT = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
VALIDATOR = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
OPERATOR = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"


def round_trip(document: dict) -> dict:
    """What a script reading the printed document gets."""
    text = documents.dumps(document)
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True)
    return json.loads(text)


def leaves(value):
    """Every scalar of a JSON value."""
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def assert_plain(document: dict, kind: str) -> None:
    """The conventions every document keeps."""
    assert document["kind"] == kind
    assert document["schema_version"] == documents.SCHEMA_VERSION
    for leaf in leaves(document):
        assert not isinstance(leaf, float), f"a float in {kind}: {leaf!r}"
        if isinstance(leaf, int) and not isinstance(leaf, bool):
            assert abs(leaf) < 2**53, f"an integer a float reader would round in {kind}: {leaf}"


def task_info(**changes) -> TaskInfo:
    fields = {
        "task_id": 7,
        "creator": CREATOR.lower(),
        "kind": "lm",
        "spec_hash": bytes.fromhex("ab" * 32),
        "eval_hash": b"\0" * 32,
        "reward": HUGE,
        "emission": ODD,
        "bond": 10 * WAD,
        "min_trainer_stake": 100 * WAD,
        "min_validator_stake": 100 * WAD,
        "max_trainers": 4,
        "max_validators": 3,
        "tolerance_bps": 50,
        "n_trainers": 2,
        "n_validators": 1,
        "deadlines": Deadlines(
            START + 1_800, START + 3_600, START + 5_400, START + 7_200, START + 9_000
        ),
        "phase": PHASE_MODEL_REVEAL,
        "train_reward": 0,
        "validator_reward": 0,
        "gamma_wad": 2 * 10**17,
        "q_wad": 85 * 10**16,
        "protocol_fee_bps": 500,
    }
    fields.update(changes)
    return TaskInfo(**fields)


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------


def test_values_follow_the_conventions():
    assert documents.amount(HUGE) == "123456789012345678901234567"
    assert documents.amount(0) == "0"
    with pytest.raises(TypeError):
        documents.amount(True)
    assert documents.timestamp(START) == "2026-12-04T10:00:00Z"
    assert documents.timestamp(0) is None
    assert documents.address(CREATOR.lower()) == CREATOR
    assert documents.hex_hash(b"\0" * 32) is None
    assert documents.hex_hash(None) is None
    assert documents.hex_hash(b"\x01" * 32) == "0x" + "01" * 32
    assert documents.name("model reveal") == "model_reveal"
    assert documents.score(INVALID_SCORE) is None
    assert documents.score(3_210_100) == 3_210_100


def test_dumps_is_indented_and_sorted():
    text = documents.dumps({"b": 1, "a": {"d": 2, "c": 3}})
    assert text == '{\n  "a": {\n    "c": 3,\n    "d": 2\n  },\n  "b": 1\n}'


# ---------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------


def test_task_list_keeps_amounts_exact_and_times_iso():
    doc = round_trip(documents.task_list([task_info(), task_info(task_id=8, reward=1)]))
    assert_plain(doc, "task-list")
    first, second = doc["tasks"]
    assert first["reward"] == str(HUGE) and int(first["reward"]) == HUGE
    assert first["emission"] == "1000000000000000001"
    assert first["total_reward"] == str(HUGE + ODD)
    assert second["reward"] == "1"
    assert first["phase"] == "model_reveal"
    assert first["creator"] == CREATOR  # checksummed, though the model held lower case
    assert first["deadlines"]["submit_end"] == "2026-12-04T10:30:00Z"
    assert first["phase_ends"] == first["deadlines"]["model_reveal_end"] == "2026-12-04T11:00:00Z"
    assert all(ISO.match(t) for t in first["deadlines"].values())
    assert (first["gamma_wad"], first["q_wad"]) == ("200000000000000000", "850000000000000000")
    assert (first["tolerance_bps"], first["protocol_fee_bps"]) == (50, 500)
    assert first["spec_hash"] == "0x" + "ab" * 32
    assert first["eval_hash"] is None  # not revealed yet
    assert (first["n_trainers"], first["max_trainers"]) == (2, 4)


def test_an_empty_task_list_is_still_a_document():
    doc = round_trip(documents.task_list([]))
    assert doc == {"kind": "task-list", "schema_version": 1, "tasks": []}


def test_task_holds_its_participants():
    people = [
        ParticipantView(TRAINER, "trainer", 0, HUGE, HUGE - 1, True, True, False, False),
        ParticipantView(
            COPYCAT.lower(), "trainer", 1, 100 * WAD, 100 * WAD, True, True, True, False
        ),
        ParticipantView(VALIDATOR, "validator", 0, 100 * WAD, 50 * WAD, False, False, False, True),
    ]
    info = task_info(phase=PHASE_FINALIZED)
    doc = round_trip(documents.task(info, "file:///store/task-7", people))
    assert_plain(doc, "task")
    task = doc["task"]
    assert task["phase"] == "finalized" and task["phase_ends"] is None
    assert task["spec_uri"] == "file:///store/task-7"
    trainer, copycat, validator = task["participants"]
    assert trainer["stake"] == str(HUGE) and trainer["weight"] == str(HUGE - 1)
    assert trainer["status"] == "revealed" and trainer["role"] == "trainer"
    assert copycat["address"] == COPYCAT and copycat["status"] == "disqualified"
    assert validator["status"] == "joined" and validator["claimed"] is True
    assert validator["index"] == 0
    # A task of the list and the task shown share every field of the list's.
    listed = documents.task_list([info])["tasks"][0]
    assert {k: task[k] for k in listed} == listed


def test_task_without_spec_uri_says_null():
    doc = documents.task(task_info(), "", [])
    assert doc["task"]["spec_uri"] is None and doc["task"]["participants"] == []


# ---------------------------------------------------------------------------
# Leaderboard
# ---------------------------------------------------------------------------


def outcome() -> TaskOutcome:
    return TaskOutcome(
        task_id=7,
        kind="lm",
        phase=PHASE_FINALIZED,
        phase_name="finalized",
        settled=True,
        reward=HUGE,
        emission=0,
        train_reward=HUGE // 2,
        validator_reward=HUGE // 3,
        protocol_fee=ODD,
        submissions=[
            SubmissionOutcome(
                trainer=TRAINER.lower(),
                index=0,
                stake_weight=500 * WAD,
                committed=True,
                revealed=True,
                disqualified=False,
                model_hash=b"\x11" * 32,
                model_uri="file:///store/model",
                consensus=3_210_100,
                rank=1,
                scores={VALIDATOR.lower(): 3_210_100},
                status=VALID,
                reward=HUGE // 2,
                slashed=0,
                claimed=True,
            ),
            SubmissionOutcome(
                trainer=COPYCAT,
                index=1,
                stake_weight=100 * WAD,
                committed=True,
                revealed=True,
                disqualified=True,
                model_hash=b"\x11" * 32,
                model_uri="file:///store/copy",
                consensus=INVALID_SCORE,
                rank=None,
                scores={VALIDATOR: INVALID_SCORE},
                status=DISQUALIFIED,
                reward=0,
                slashed=ODD,
                claimed=False,
            ),
        ],
        validators=[
            ValidatorOutcome(
                validator=VALIDATOR,
                stake_weight=HUGE,
                committed=True,
                revealed=True,
                trust_wad=WAD,
                reward=HUGE // 3,
                slashed=0,
                claimed=False,
            )
        ],
    )


def test_leaderboard_keeps_the_outcome_exact():
    doc = round_trip(documents.leaderboard(outcome()))
    assert_plain(doc, "leaderboard")
    assert (doc["task_id"], doc["task_kind"], doc["phase"]) == (7, "lm", "finalized")
    assert doc["settled"] is True
    assert doc["total_reward"] == str(HUGE)
    assert int(doc["train_reward"]) == HUGE // 2
    assert doc["protocol_fee"] == "1000000000000000001"
    assert doc["score_scale"] == SCORE_SCALE
    winner, copycat = doc["submissions"]
    assert winner["rank"] == 1 and winner["trainer"] == TRAINER
    assert winner["status"] == "valid" and winner["consensus"] == 3_210_100
    assert winner["scores"] == {VALIDATOR: 3_210_100}  # keys checksummed too
    assert winner["model_hash"] == "0x" + "11" * 32
    assert int(winner["reward"]) == HUGE // 2 and winner["claimed"] is True
    assert copycat["rank"] is None and copycat["status"] == "disqualified"
    assert copycat["consensus"] is None and copycat["scores"] == {VALIDATOR: None}
    assert copycat["slashed"] == str(ODD)
    (validator,) = doc["validators"]
    assert validator["trust_wad"] == str(WAD) and validator["stake_weight"] == str(HUGE)


def test_leaderboard_before_trust_has_null_trust():
    before = outcome()
    unsettled = replace(before, validators=[replace(before.validators[0], trust_wad=None)])
    doc = round_trip(documents.leaderboard(unsettled))
    assert doc["validators"][0]["trust_wad"] is None


# ---------------------------------------------------------------------------
# Position
# ---------------------------------------------------------------------------


def test_position_keeps_stakes_exact_with_iso_unlocks():
    pool = PoolView(
        opened=True,
        commission_bps=1_000,
        pending_bps=1_500,
        pending_at=START + 86_400,
        own_stake=HUGE,
        delegated_stake=ODD,
        total_assets=HUGE + ODD,
        locked=500 * WAD,
        unlocked=HUGE + ODD - 500 * WAD,
        commission_owed=1,
        waiting=2,
        reserved=3,
    )
    stake = StakeView(OPERATOR.lower(), HUGE, 10 * WAD, START + 7 * 86_400, waiting=1, reserved=2)
    own = StakeView(CREATOR, 0, 0, 0)
    p = Position(CREATOR, START, HUGE, HUGE + ODD, pool, own, (stake,))
    doc = round_trip(documents.position(p))
    assert_plain(doc, "position")
    assert doc["address"] == CREATOR and doc["block_time"] == "2026-12-04T10:00:00Z"
    assert doc["wallet"] == str(HUGE) and doc["votes"] == str(HUGE + ODD)
    assert doc["pool"]["commission_bps"] == 1_000
    assert doc["pool"]["pending_commission"] == {
        "bps": 1_500,
        "effective_at": "2026-12-05T10:00:00Z",
    }
    assert doc["pool"]["total_assets"] == str(HUGE + ODD)
    assert doc["pool"]["unlocked"] == str(HUGE + ODD - 500 * WAD)
    assert doc["own_unbonding"] == {"unbonding": "0", "withdrawable_at": None}
    (other,) = doc["stakes"]
    assert other["operator"] == OPERATOR
    assert other["assets"] == str(HUGE) and other["unbonding"] == str(10 * WAD)
    assert other["withdrawable_at"] == "2026-12-11T10:00:00Z"
    assert (other["waiting"], other["reserved"]) == ("1", "2")


def test_a_position_without_a_pool():
    pool = PoolView(False, 0, None, None, 0, 0, 0, 0, 0, 0)
    p = Position(CREATOR, START, 5, 0, pool, StakeView(CREATOR, 0, 0, 0), ())
    doc = round_trip(documents.position(p))
    assert doc["pool"]["opened"] is False and doc["pool"]["pending_commission"] is None
    assert doc["stakes"] == [] and doc["wallet"] == "5"


# ---------------------------------------------------------------------------
# Parameters and governance
# ---------------------------------------------------------------------------


def sample_value(param) -> int | str:
    if param.unit == "address":
        return OPERATOR.lower()
    return param.high


def test_params_write_each_unit_as_documented():
    values = [ParameterValue(p, sample_value(p)) for p in PARAMETERS]
    doc = round_trip(documents.params(values))
    assert_plain(doc, "params")
    rows = {row["key"]: row for row in doc["parameters"]}
    assert list(rows) == [p.key for p in PARAMETERS]
    supply = rows["tasks.min_creator_bond"]
    assert supply["unit"] == "wei" and supply["value"] == str(10**27)  # MAX_SUPPLY, exact
    assert (supply["low"], supply["high"]) == ("0", str(10**27))
    assert rows["tasks.q_wad"]["value"] == str(WAD)
    assert rows["tasks.protocol_fee_bps"]["value"] == 2_000
    assert rows["staking.unbonding_delay"]["value"] == 60 * 86_400
    assert rows["tasks.min_validator_slots"]["value"] == 64
    treasury = rows["staking.treasury"]
    assert treasury["value"] == OPERATOR and treasury["low"] is None and treasury["high"] is None
    assert rows["tasks.min_bond_bps"]["setter"] == "set_floors(uint256,uint256,uint256,uint256)"
    assert rows["tasks.q_wad"]["summary"] == BY_KEY["tasks.q_wad"].summary


def proposal(proposal_id=3, eta=0) -> ProposalView:
    return ProposalView(
        proposal_id=proposal_id,
        state="queued" if eta else "active",
        proposer=OPERATOR.lower(),
        description="Flatter rank decay\n\nq from 0.85 to 0.9.",
        snapshot=41,
        vote_end=START + 300,
        eta=eta,
        for_votes=HUGE,
        against_votes=ODD,
        abstain_votes=0,
        quorum=4 * 10**24 + 1,
        actions=(
            ActionView(
                TRAINER.lower(),
                bytes.fromhex("deadbeef"),
                "tasks.set_q_wad(q_wad=900000000000000000)",
            ),
        ),
    )


def test_proposal_keeps_the_tally_exact():
    doc = round_trip(documents.proposal(proposal(eta=START + 600)))
    assert_plain(doc, "proposal")
    p = doc["proposal"]
    assert p["proposal_id"] == 3 and p["state"] == "queued"
    assert p["proposer"] == OPERATOR
    assert p["title"] == "Flatter rank decay"
    assert p["description"].endswith("q from 0.85 to 0.9.")
    assert p["snapshot_block"] == 41
    assert p["vote_end"] == "2026-12-04T10:05:00Z"
    assert p["executable_from"] == "2026-12-04T10:10:00Z"
    assert p["for_votes"] == str(HUGE) and p["against_votes"] == str(ODD)
    assert p["quorum"] == "4000000000000000000000001"
    assert p["actions"] == [
        {
            "target": TRAINER,
            "calldata": "0xdeadbeef",
            "call": "tasks.set_q_wad(q_wad=900000000000000000)",
        }
    ]


def test_proposal_list_and_an_unqueued_proposal():
    doc = round_trip(documents.proposal_list([proposal(1), proposal(2, eta=START)]))
    assert_plain(doc, "proposal-list")
    first, second = doc["proposals"]
    assert first["executable_from"] is None and first["state"] == "active"
    assert second["executable_from"] == "2026-12-04T10:00:00Z"
    assert first == documents.proposal(proposal(1))["proposal"]
    assert round_trip(documents.proposal_list([]))["proposals"] == []


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------


def network(deployment=None, contracts=(), chain_id=31337) -> NetworkInfo:
    return NetworkInfo(
        ecosystem="ethereum",
        network="local",
        provider="foundry",
        chain_id=chain_id,
        block=1_234,
        block_timestamp=START,
        record="deployments/ethereum-local.json",
        deployment=deployment,
        contracts=contracts,
    )


def test_info_without_a_record():
    doc = round_trip(documents.info(network()))
    assert_plain(doc, "info")
    assert doc["network"] == "ethereum:local:foundry"
    assert (doc["chain_id"], doc["block"]) == (31337, 1_234)
    assert doc["block_time"] == "2026-12-04T10:00:00Z"
    assert doc["record"] == "deployments/ethereum-local.json"
    assert doc["deployment"] is None


def test_info_with_a_record_of_another_chain():
    record = Deployment(
        Path("deployments/ethereum-local.json"),
        84532,
        "vyper 0.4.3",
        (DeployedContract("ArenaToken", CREATOR, 7),),
    )
    contracts = (
        ContractStatus("ArenaToken", CREATOR.lower(), 7, True),
        ContractStatus("Staking", TRAINER, None, False),
    )
    doc = round_trip(documents.info(network(record, contracts)))
    deployment = doc["deployment"]
    assert deployment["chain_id"] == 84532 and deployment["chain_id_matches"] is False
    assert deployment["compiler"] == "vyper 0.4.3"
    assert deployment["contracts"] == [
        {"name": "ArenaToken", "address": CREATOR, "block": 7, "has_code": True},
        {"name": "Staking", "address": TRAINER, "block": None, "has_code": False},
    ]
    same = documents.info(network(record, contracts, chain_id=84532))
    assert same["deployment"]["chain_id_matches"] is True
