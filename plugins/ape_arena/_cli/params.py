"""`ape arena params`: every DAO-governed parameter, its value and its bounds."""

import click
from ape.cli import ape_cli_context

from ape_arena._cli._common import ArenaCommand, json_option, load_protocol_for, print_document


@click.command(cls=ArenaCommand, short_help="Show every governed parameter, its value and bounds")
@ape_cli_context()
@json_option
def params(cli_ctx, provider, as_json):
    """Read every parameter governance can set, from the contracts deployed
    on the connected network, with the bounds the contracts enforce. Change
    one with `ape arena gov propose --set CONTRACT.NAME=VALUE`."""
    from ape_arena.chain.params import format_value, read_parameters
    from ape_arena.report import documents
    from ape_arena.report.text import table

    values = read_parameters(load_protocol_for(cli_ctx, provider))
    if as_json:
        print_document(documents.params(values))
        return
    rows = []
    for v in values:
        p = v.parameter
        rows.append((p.key, format_value(p, v.value), p.bounds_text(), p.summary))
    table("Governed parameters", ["parameter", "value", "bounds", "what it does"], rows)
