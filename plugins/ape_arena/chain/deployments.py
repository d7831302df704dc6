"""Deployment records: which AIArena contracts live where, per network.

A record is `deployments/<ecosystem>-<network>.json`, written by the deploy
script and committed for public networks::

    {
      "chain_id": 84532,
      "compiler": "vyper 0.4.3",
      "contracts": {
        "ArenaToken": {"address": "0x...", "block": 123}
      }
    }

This module only reads records; it has no dependency on a live connection.
Addresses are checksummed on read, so a record written by hand in lower case
works like one the deploy script wrote.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from eth_utils import is_address, to_checksum_address

from ape_arena.exceptions import DeploymentFileError


@dataclass(frozen=True)
class DeployedContract:
    name: str
    address: str
    block: int | None = None


@dataclass(frozen=True)
class Deployment:
    path: Path
    chain_id: int | None
    compiler: str | None
    contracts: tuple[DeployedContract, ...] = field(default_factory=tuple)


def record_name(ecosystem: str, network: str) -> str:
    """File name of the record for `ecosystem:network`, e.g. `base-sepolia.json`."""
    return f"{ecosystem}-{network}.json"


def load_deployment(folder: Path, ecosystem: str, network: str) -> Deployment | None:
    """Read the record for `ecosystem:network` from `folder`; None when there is none."""
    path = folder / record_name(ecosystem, network)
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise DeploymentFileError(
            f"Cannot read the deployment record {path} ({err}); fix or delete the file."
        ) from err
    if not isinstance(raw, dict) or not isinstance(raw.get("contracts", {}), dict):
        raise DeploymentFileError(
            f"The deployment record {path} is not an object with a 'contracts' mapping; "
            "fix or delete the file."
        )
    contracts = []
    for name, entry in sorted(raw.get("contracts", {}).items()):
        if not isinstance(entry, dict) or not isinstance(entry.get("address"), str):
            raise DeploymentFileError(
                f"The entry for {name} in {path} has no 'address'; fix or delete the file."
            )
        if not is_address(entry["address"]):
            raise DeploymentFileError(
                f"The address of {name} in {path} ({entry['address']!r}) is not an address "
                "(0x followed by 40 hex digits); fix or delete the file."
            )
        address = to_checksum_address(entry["address"])
        contracts.append(DeployedContract(name, address, entry.get("block")))
    return Deployment(
        path=path,
        chain_id=raw.get("chain_id"),
        compiler=raw.get("compiler"),
        contracts=tuple(contracts),
    )
