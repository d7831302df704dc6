"""`ape arena params`: every DAO-governed parameter, its value and its bounds."""

import click
from ape.cli import ape_cli_context

from ape_arena._cli._common import ArenaCommand, load_protocol_for


@click.command(cls=ArenaCommand, short_help="Show every governed parameter, its value and bounds")
@ape_cli_context()
def params(cli_ctx, provider):
    """Read every parameter governance can set, from the contracts deployed
    on the connected network, with the bounds the contracts enforce. Change
    one with `ape arena gov propose --set CONTRACT.NAME=VALUE`."""
    from ape_arena.chain import params as registry
    from ape_arena.report.text import table

    protocol = load_protocol_for(cli_ctx, provider)
    rows = []
    for p in registry.PARAMETERS:
        value = getattr(protocol.by_key(p.contract), p.name)()
        rows.append((p.key, registry.format_value(p, value), p.bounds_text(), p.summary))
    table("Governed parameters", ["parameter", "value", "bounds", "what it does"], rows)
