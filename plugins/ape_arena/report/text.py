"""Tables and key-value lines for a terminal (what the commands and scripts print)."""

from collections.abc import Iterable, Sequence

import click


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


def kv(rows: Sequence[tuple[str, object]]) -> None:
    """Print aligned `key  value` lines."""
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        click.echo(f"{key:<{width}}  {value}")
