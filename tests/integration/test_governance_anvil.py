"""Governance end to end through Ape on anvil: the protocol deployed as the
deploy script deploys it, a parameter change proposed, voted, queued and
executed with the `ape arena gov` commands, then used by a new task.

Time moves with `chain.mine(timestamp=...)`: the next block is mined then.
"""

from pathlib import Path

import pytest
from eth_abi import encode
from eth_utils import keccak

from ape_arena.chain.deploy import DeployParams, deploy_protocol
from support.cli import cli_run

WAD = 10**18


@pytest.fixture(scope="module")
def deployments(protocol):
    from ape import config

    return Path(config.get_config("arena").deployments_folder)


@pytest.fixture(scope="module")
def stakers(protocol, accounts, chain):
    """Three operators staking 50k, 30k and 20k ARENA of their own."""
    token, staking = protocol["ArenaToken"], protocol["Staking"]
    people = [accounts[5], accounts[6], accounts[7]]
    for person, stake in zip(people, (50_000, 30_000, 20_000), strict=True):
        token.transfer(person, stake * WAD, sender=accounts[0])
        token.approve(staking, stake * WAD, sender=person)
        staking.open_pool(1_000, stake * WAD, sender=person)
    chain.mine()
    return people


def run(*args):
    return cli_run(*args)


def test_deployer_keeps_no_role(protocol, accounts):
    admin_role = b"\0" * 32
    governor = protocol["Governor"]
    for name in ("ArenaToken", "Staking", "TaskManager", "Emission"):
        contract = protocol[name]
        assert contract.hasRole(admin_role, governor)
        assert not contract.hasRole(admin_role, accounts[0])
    assert protocol["Staking"].treasury() == governor.address
    assert protocol["TaskManager"].treasury() == governor.address


def test_second_deploy_is_a_no_op(protocol, project, accounts, deployments, require_anvil):
    again = deploy_protocol(
        project, require_anvil, accounts[0], deployments, DeployParams.for_local_chain()
    )
    assert not again.created
    assert again.contracts["Governor"].address == protocol["Governor"].address


def test_params_lists_every_parameter(protocol):
    result = run("params")
    assert result.exit_code == 0, result.output
    assert "tasks.q_wad" in result.output
    assert "0.85" in result.output
    assert "governor.voting_period" in result.output
    assert "5m" in result.output  # the local voting period, 300 s


def test_parameter_change_voted_executed_and_used(protocol, stakers, accounts, chain):
    tasks, governor = protocol["TaskManager"], protocol["Governor"]
    assert len(stakers) == 3

    result = run(
        "gov",
        "propose",
        "--account",
        "TEST::5",
        "--set",
        "tasks.q_wad=0.9",
        # Two of the floors set_floors sets together: one call, the other
        # two floors at their current values.
        "--set",
        "tasks.min_validator_slots=4",
        "--set",
        "tasks.min_bond_bps=100",
        "-d",
        "Flatter rank decay",
    )
    assert result.exit_code == 0, result.output
    assert "tasks.q_wad = 0.9" in result.output
    assert "tasks.min_validator_slots = 4; tasks.min_bond_bps = 100 bps (1%)" in result.output
    proposal_id = governor.proposal_count()

    assert run("gov", "vote", str(proposal_id), "for", "--account", "TEST::5").exit_code == 0
    assert run("gov", "vote", str(proposal_id), "against", "--account", "TEST::6").exit_code == 0
    assert run("gov", "vote", str(proposal_id), "for", "--account", "TEST::7").exit_code == 0
    again = run("gov", "vote", str(proposal_id), "for", "--account", "TEST::7")
    assert again.exit_code == 1
    assert "has already voted" in again.output

    early = run("gov", "queue", str(proposal_id), "--account", "TEST::5")
    assert early.exit_code == 1
    assert "it is active; wait until voting ends" in early.output

    chain.mine(timestamp=governor.proposals(proposal_id).vote_end)
    assert run("gov", "queue", str(proposal_id), "--account", "TEST::5").exit_code == 0
    too_soon = run("gov", "execute", str(proposal_id), "--account", "TEST::5")
    assert too_soon.exit_code == 1
    assert "timelock runs until" in too_soon.output

    chain.mine(timestamp=governor.proposals(proposal_id).eta)
    executed = run("gov", "execute", str(proposal_id), "--account", "TEST::5")
    assert executed.exit_code == 0, executed.output
    assert tasks.q_wad() == 9 * 10**17
    assert (tasks.min_validator_slots(), tasks.min_validator_stake_bps(), tasks.min_bond_bps()) == (
        4,
        1_000,
        100,
    )

    shown = run("gov", "show", str(proposal_id))
    assert shown.exit_code == 0, shown.output
    assert "executed" in shown.output
    assert "tasks.set_q_wad" in shown.output
    assert "70,000" in shown.output  # for: 50k + 20k
    listed = run("gov", "list")
    assert "Flatter rank decay" in listed.output

    # A task created now carries the new q.
    creator = accounts[8]
    token = protocol["ArenaToken"]
    token.transfer(creator, 2_000 * WAD, sender=accounts[0])
    token.approve(tasks, 2_000 * WAD, sender=creator)
    commitment = keccak(encode(["bytes32", "bytes32"], [keccak(text="eval"), keccak(text="s")]))
    params = (
        b"lm".ljust(32, b"\0"), keccak(text="spec"), "file:///spec", commitment,
        1_000 * WAD, 10 * WAD, 100 * WAD, 100 * WAD, 8, 4,
        3_600, 3_600, 3_600, 3_600, 3_600, 100,
    )  # fmt: skip
    tasks.create_task(params, sender=creator)
    assert tasks.tasks(tasks.task_count()).q_wad == 9 * 10**17


def test_propose_without_stake_is_one_sentence(protocol):
    result = run("gov", "propose", "--account", "TEST::9", "--set", "tasks.q_wad=0.8", "-d", "x")
    assert result.exit_code == 1
    assert "voting power but proposing needs" in result.output


def test_propose_out_of_bounds_is_refused_before_sending(protocol, stakers):
    result = run("gov", "propose", "--account", "TEST::5", "--set", "tasks.q_wad=1.5", "-d", "x")
    assert result.exit_code == 1
    assert "tasks.q_wad must be within 0 .. 1" in result.output
