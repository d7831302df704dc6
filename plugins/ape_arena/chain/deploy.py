"""Deploy the whole protocol, wired the one way it is meant to run.

Order: token, staking, task manager, emission, governor. Wiring: the task
manager may allocate, slash and pay in staking (PROTOCOL_ROLE); emission may
mint (MINTER_ROLE) and fund tasks (EMISSION_ROLE); the guardian may pause new
stakes (GUARDIAN_ROLE); governance is the treasury of every contract and
holds every admin role, and the deployer renounces all of its own.

The record written to deployments/<ecosystem>-<network>.json lists the
addresses, the block of each deployment, the parameters and the compiler.
Deploying again where the record's contracts all have code changes nothing.
"""

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ape_arena.chain.deployments import load_deployment, record_name
from ape_arena.files import write_json_atomically
from ape_arena.units import DAY, WAD

DEFAULT_ADMIN_ROLE = b"\0" * 32
COMPILER = "vyper 0.4.3"


@dataclass(frozen=True)
class DeployParams:
    """Every deploy-time parameter, with the documented defaults
    (docs/governance.md)."""

    genesis_supply: int = 400_000_000 * WAD
    unbonding_delay: int = 7 * DAY
    commission_notice: int = 7 * DAY
    max_commission_bps: int = 3_000
    max_slash_bps: int = 5_000
    delegation_weight_bps: int = 10_000
    daily_emission: int = 200_000 * WAD
    decay_bps: int = 2_000
    voting_period: int = 3 * DAY
    timelock_delay: int = 2 * DAY
    quorum_bps: int = 1_000
    proposal_threshold: int = 10_000 * WAD

    @classmethod
    def for_local_chain(cls) -> "DeployParams":
        """Short governance and unbonding times, for a local chain where a
        person or a test plays the whole lifecycle in minutes."""
        return cls(unbonding_delay=3_600, voting_period=300, timelock_delay=120)


@dataclass
class DeployResult:
    record_path: Path
    contracts: dict[str, Any]
    created: bool  # False when an existing deployment was found


def existing_deployment(folder: Path, provider) -> dict[str, str] | None:
    """The recorded addresses when every recorded contract has code here."""
    network = provider.network
    deployment = load_deployment(folder, network.ecosystem.name, network.name)
    if deployment is None or not deployment.contracts:
        return None
    if not all(provider.get_code(c.address) for c in deployment.contracts):
        return None
    return {c.name: c.address for c in deployment.contracts}


def deploy_protocol(
    project,
    provider,
    deployer,
    folder: Path,
    params: DeployParams,
    guardian: str | None = None,
    log=print,
) -> DeployResult:
    """Deploy and wire everything with `deployer`, or find it deployed.

    `guardian` defaults to the deployer: it can only pause new stakes and
    tasks, and governance can replace it.
    """
    network = provider.network
    path = folder / record_name(network.ecosystem.name, network.name)
    found = existing_deployment(folder, provider)
    if found is not None:
        contracts = {name: getattr(project, name).at(addr) for name, addr in found.items()}
        return DeployResult(path, contracts, created=False)

    guardian = guardian or deployer.address
    tx = {"sender": deployer}
    blocks: dict[str, int] = {}

    def deployed(name: str, *args):
        contract = getattr(project, name).deploy(*args, **tx)
        blocks[name] = int(provider.get_receipt(contract.txn_hash).block_number)
        log(f"deployed {name:<12} {contract.address}")
        return contract

    p = params
    token = deployed("ArenaToken", deployer, deployer, p.genesis_supply)
    staking = deployed(
        "Staking",
        token,
        deployer,
        deployer,
        p.unbonding_delay,
        p.commission_notice,
        p.max_commission_bps,
        p.max_slash_bps,
        p.delegation_weight_bps,
    )
    tasks = deployed("TaskManager", token, staking, deployer, deployer)
    emission = deployed("Emission", token, tasks, deployer, deployer, p.daily_emission, p.decay_bps)
    governor = deployed(
        "Governor",
        token,
        staking,
        tasks,
        emission,
        p.voting_period,
        p.timelock_delay,
        p.quorum_bps,
        p.proposal_threshold,
    )

    staking.grantRole(staking.PROTOCOL_ROLE(), tasks, **tx)
    tasks.grantRole(tasks.EMISSION_ROLE(), emission, **tx)
    token.grantRole(token.MINTER_ROLE(), emission, **tx)
    staking.grantRole(staking.GUARDIAN_ROLE(), guardian, **tx)
    for contract in (staking, tasks, emission):
        contract.set_treasury(governor, **tx)
    # The protocol contracts are fixed from here on: nobody can name another.
    staking.renounceRole(staking.PROTOCOL_ADMIN_ROLE(), deployer, **tx)
    for contract in (token, staking, tasks, emission):
        contract.grantRole(DEFAULT_ADMIN_ROLE, governor, **tx)
        contract.renounceRole(DEFAULT_ADMIN_ROLE, deployer, **tx)
    log("wired roles: governance holds every admin role; the deployer kept none")

    contracts = {
        "ArenaToken": token,
        "Staking": staking,
        "TaskManager": tasks,
        "Emission": emission,
        "Governor": governor,
    }
    record = {
        "chain_id": provider.chain_id,
        "compiler": COMPILER,
        "deployer": str(deployer.address),
        "guardian": str(guardian),
        "parameters": asdict(params),
        "contracts": {
            name: {"address": str(c.address), "block": blocks[name]}
            for name, c in contracts.items()
        },
    }
    write_json_atomically(path, record)
    log(f"wrote {path}")
    return DeployResult(path, contracts, created=True)
