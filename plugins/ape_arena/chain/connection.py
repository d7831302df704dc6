"""What to tell a user whose connection to a network failed."""

import os


def connection_hint(network: str, err: Exception) -> str:
    """A sentence explaining a failed connection to `network` and the fix."""
    detail = str(err).rstrip(".") or type(err).__name__
    if "base:sepolia" in network or "'sepolia' on 'base'" in detail:
        if not os.environ.get("BASE_SEPOLIA_RPC_URL"):
            return (
                f"Cannot connect to Base Sepolia ({detail}); set BASE_SEPOLIA_RPC_URL to your "
                "RPC provider's URL and run again."
            )
        return (
            f"Cannot connect to Base Sepolia ({detail}); check that BASE_SEPOLIA_RPC_URL "
            "is a reachable Base Sepolia RPC URL and run again."
        )
    return (
        f"Cannot connect to {network} ({detail}); check the --network choice "
        "(`ape networks list`) and that its node is running."
    )
