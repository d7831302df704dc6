"""The connected network and what of AIArena this project knows to be on it.

`read_network` is the read model of `ape arena info`: the network Ape is
connected to, its chain id and latest block, and the deployment record of
that network (if any) with whether each recorded address holds code.
"""

from dataclasses import dataclass
from pathlib import Path

from ape_arena.chain.deployments import Deployment, load_deployment, record_name


@dataclass(frozen=True)
class ContractStatus:
    """A contract of the deployment record, checked against the chain."""

    name: str
    address: str
    block: int | None  # the block the record says it was deployed in
    has_code: bool


@dataclass(frozen=True)
class NetworkInfo:
    ecosystem: str
    network: str
    provider: str
    chain_id: int
    block: int
    block_timestamp: int
    record: str
    """The record's path from the project folder, e.g. `deployments/ethereum-local.json`."""
    deployment: Deployment | None
    """None when the project has no record for this network."""
    contracts: tuple[ContractStatus, ...] = ()

    @property
    def choice(self) -> str:
        """The network as `--network` names it: `ethereum:local:foundry`."""
        return f"{self.ecosystem}:{self.network}:{self.provider}"

    @property
    def record_chain_id(self) -> int | None:
        return self.deployment.chain_id if self.deployment is not None else None

    @property
    def chain_id_matches(self) -> bool:
        """False when the record names another chain id than the connected chain's."""
        recorded = self.record_chain_id
        return recorded is None or recorded == self.chain_id


def read_network(provider, folder: Path) -> NetworkInfo:
    """The network `provider` is connected to, and the record for it in `folder`."""
    network = provider.network
    ecosystem, name = network.ecosystem.name, network.name
    latest = provider.get_block("latest")
    deployment = load_deployment(folder, ecosystem, name)
    contracts = ()
    if deployment is not None:
        contracts = tuple(
            ContractStatus(c.name, c.address, c.block, len(provider.get_code(c.address)) > 0)
            for c in deployment.contracts
        )
    return NetworkInfo(
        ecosystem=ecosystem,
        network=name,
        provider=provider.name,
        chain_id=int(provider.chain_id),
        block=int(latest.number),
        block_timestamp=int(latest.timestamp),
        record=str(Path(folder.name) / record_name(ecosystem, name)),
        deployment=deployment,
        contracts=contracts,
    )
