"""The deployed protocol on the connected network, as Ape contract objects.

`load_protocol` reads the deployment record of the network Ape is connected
to (deployments/<ecosystem>-<network>.json) and binds each address to its
contract type from the AIArena project, so commands call
`protocol.tasks.create_task(...)` without knowing any address.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ape_arena.chain.deployments import Deployment, load_deployment, record_name
from ape_arena.exceptions import ArenaError

# Contract type name in the project, attribute name on Protocol.
CONTRACTS: tuple[tuple[str, str], ...] = (
    ("ArenaToken", "token"),
    ("Staking", "staking"),
    ("TaskManager", "tasks"),
    ("Emission", "emission"),
    ("Governor", "governor"),
)


class NoDeploymentError(ArenaError):
    """The connected network has no (complete) AIArena deployment record."""


@dataclass
class Protocol:
    token: Any
    staking: Any
    tasks: Any
    emission: Any
    governor: Any
    deployment: Deployment

    def by_key(self, key: str) -> Any:
        """The contract behind a parameter key's contract part."""
        return getattr(self, key)

    @property
    def start_block(self) -> int:
        """The first block any of the contracts was deployed in (for log queries)."""
        blocks = [c.block for c in self.deployment.contracts if c.block is not None]
        return min(blocks) if blocks else 0


def deployments_folder(project, config_manager) -> Path:
    config = config_manager.get_config("arena")
    return Path(project.path) / config.deployments_folder


def load_protocol(project, provider, folder: Path) -> Protocol:
    """The protocol deployed on `provider`'s network, per the record in `folder`."""
    network = provider.network
    ecosystem, name = network.ecosystem.name, network.name
    deployment = load_deployment(folder, ecosystem, name)
    if deployment is None:
        raise NoDeploymentError(
            f"No AIArena deployment is recorded for {ecosystem}:{name} "
            f"({folder.name}/{record_name(ecosystem, name)} is missing); deploy first with "
            f"`ape run deploy --network {ecosystem}:{name}:<provider>`."
        )
    addresses = {c.name: c.address for c in deployment.contracts}
    bound = {}
    for type_name, attribute in CONTRACTS:
        address = addresses.get(type_name)
        if address is None:
            raise NoDeploymentError(
                f"The deployment record {deployment.path.name} has no {type_name}; "
                "deploy the whole protocol again with `ape run deploy`."
            )
        if not provider.get_code(address):
            raise NoDeploymentError(
                f"{type_name} has no code at {address} on {ecosystem}:{name}: the record "
                f"{deployment.path.name} is stale (a restarted local chain?); delete it and "
                "deploy again."
            )
        try:
            container = getattr(project, type_name)
        except (AttributeError, Exception) as err:  # Ape raises its own lookup errors
            raise ArenaError(
                f"The contract type {type_name} is not in this project ({err}); run the "
                "command from the AIArena project folder."
            ) from err
        bound[attribute] = container.at(address)
    return Protocol(deployment=deployment, **bound)
