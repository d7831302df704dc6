"""Pieces every `ape arena` command shares."""

import os
from typing import Any

import click
from ape.cli import ConnectedProviderCommand


class ArenaCommand(ConnectedProviderCommand):
    """A command connected to the network chosen with --network.

    A failure to connect becomes a one-sentence error that says what to do,
    instead of a traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        from ape.exceptions import ApeException

        from ape_arena.exceptions import ArenaError

        try:
            return super().invoke(ctx)
        except ArenaError as err:
            raise click.ClickException(str(err)) from err
        except (ApeException, ConnectionError, OSError) as err:
            if isinstance(err, click.ClickException):
                raise
            network = ctx.params.get("network") or "the chosen network"
            raise click.ClickException(connection_hint(str(network), err)) from err


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
