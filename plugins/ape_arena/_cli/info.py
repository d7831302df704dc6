"""`ape arena info`: where am I connected, and what of AIArena is deployed here."""

from pathlib import Path

import click
from ape.cli import ape_cli_context

from ape_arena._cli._common import ArenaCommand, json_option, print_document


@click.command(cls=ArenaCommand, short_help="Show the chain and the AIArena contracts on it")
@ape_cli_context()
@json_option
def info(cli_ctx, provider, as_json):
    """Connect to the network and show its chain id, latest block and which
    AIArena contracts this project knows to be deployed there."""
    from ape_arena.chain.network import read_network
    from ape_arena.report import documents
    from ape_arena.report.text import kv

    config = cli_ctx.config_manager.get_config("arena")
    folder = Path(cli_ctx.local_project.path) / config.deployments_folder
    n = read_network(provider, folder)
    mismatch = None
    if not n.chain_id_matches:
        mismatch = (
            f"warning: the record is for chain id {n.record_chain_id}, but the connected "
            f"chain is {n.chain_id}; the recorded addresses may belong to another chain."
        )
    if as_json:
        if mismatch:
            click.echo(mismatch, err=True)
        print_document(documents.info(n))
        return

    kv([("network", n.choice), ("chain id", str(n.chain_id)), ("block", str(n.block))])
    if n.deployment is None:
        click.echo(
            f"\nNo AIArena contracts are deployed on {n.ecosystem}:{n.network} "
            f"as far as this project knows (no {n.record})."
        )
        return

    click.echo(f"\nAIArena contracts ({n.record}):")
    if mismatch:
        click.echo(mismatch)
    if not n.contracts:
        click.echo("  (the record lists no contracts)")
    name_width = max([len(c.name) for c in n.contracts] + [8])
    for contract in n.contracts:
        status = "deployed" if contract.has_code else "no code at this address (stale record?)"
        click.echo(f"  {contract.name:<{name_width}}  {contract.address}  {status}")
