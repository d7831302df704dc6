"""Readable tables and amounts for the `ape arena` commands."""

from collections.abc import Iterable, Sequence
from decimal import Decimal

import click

WAD = 10**18


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Print a table with rich, wide enough not to wrap cells."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, title_justify="left", header_style="bold")
    for i, name in enumerate(columns):
        t.add_column(name, justify="left" if i == 0 else "right" if _numeric(name) else "left")
    for row in rows:
        t.add_row(*(str(cell) for cell in row))
    Console(width=160, soft_wrap=True).print(t)


def _numeric(column: str) -> bool:
    return any(word in column.lower() for word in ("arena", "votes", "stake", "reward", "weight"))


def arena(amount: int) -> str:
    """wei -> '1,234.5 ARENA'-style number (no unit)."""
    value = Decimal(int(amount)) / WAD
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return text


def kv(rows: Sequence[tuple[str, object]]) -> None:
    """Print aligned `key  value` lines."""
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        click.echo(f"{key:<{width}}  {value}")
