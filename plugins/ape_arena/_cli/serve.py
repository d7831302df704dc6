"""`ape arena serve`: the read-only explorer of the connected network's deployment."""

import click
from ape.cli import ape_cli_context

from ape_arena._cli._common import ArenaCommand, load_protocol_for


@click.command(cls=ArenaCommand, short_help="Serve the explorer: tasks, pools, governance")
@ape_cli_context()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--ttl",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="Seconds a chain read is reused before it is read again.",
)
def serve(cli_ctx, provider, host, port, ttl):
    """Serve a web explorer of AIArena on this network: tasks with their phase,
    countdown and reward, each task's leaderboard and validators' trust, pools
    with their commission and realised reward rate, an address's position and
    the governance proposals. It only reads the chain and holds no key; pages
    follow new blocks. Stop it with Ctrl-C."""
    import uvicorn

    from ape_arena.explorer.app import create_app
    from ape_arena.explorer.data import ExplorerData

    app = create_app(ExplorerData(load_protocol_for(cli_ctx, provider), ttl_s=ttl))
    click.echo(f"AIArena explorer on http://{host}:{port}/ (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
