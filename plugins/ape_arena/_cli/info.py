"""`ape arena info`: where am I connected, and what of AIArena is deployed here."""

from pathlib import Path

import click
from ape.cli import ape_cli_context

from ape_arena._cli._common import ArenaCommand


@click.command(cls=ArenaCommand, short_help="Show the chain and the AIArena contracts on it")
@ape_cli_context()
def info(cli_ctx, provider):
    """Connect to the network and show its chain id, latest block and which
    AIArena contracts this project knows to be deployed there."""
    from ape_arena.chain.deployments import load_deployment, record_name

    network = provider.network
    ecosystem_name, network_name = network.ecosystem.name, network.name
    chain_id = provider.chain_id
    block = provider.get_block("latest").number

    rows = [
        ("network", f"{ecosystem_name}:{network_name}:{provider.name}"),
        ("chain id", str(chain_id)),
        ("block", str(block)),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        click.echo(f"{key:<{width}}  {value}")

    config = cli_ctx.config_manager.get_config("arena")
    folder = Path(cli_ctx.local_project.path) / config.deployments_folder
    deployment = load_deployment(folder, ecosystem_name, network_name)
    if deployment is None:
        click.echo(
            f"\nNo AIArena contracts are deployed on {ecosystem_name}:{network_name} "
            f"as far as this project knows (no {config.deployments_folder}/"
            f"{record_name(ecosystem_name, network_name)})."
        )
        return

    click.echo(f"\nAIArena contracts ({deployment.path.relative_to(folder.parent)}):")
    if deployment.chain_id is not None and deployment.chain_id != chain_id:
        click.echo(
            f"warning: the record is for chain id {deployment.chain_id}, but the connected "
            f"chain is {chain_id}; the addresses below may belong to another chain."
        )
    if not deployment.contracts:
        click.echo("  (the record lists no contracts)")
    name_width = max([len(c.name) for c in deployment.contracts] + [8])
    for contract in deployment.contracts:
        has_code = len(provider.get_code(contract.address)) > 0
        status = "deployed" if has_code else "no code at this address (stale record?)"
        click.echo(f"  {contract.name:<{name_width}}  {contract.address}  {status}")
