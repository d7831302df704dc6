"""Where the project's files are, independent of the working directory."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"


def contract_path(name: str) -> str:
    """Path of a deployable contract, e.g. `contract_path("ArenaToken")`."""
    return str(CONTRACTS / f"{name}.vy")
