"""Pieces every `ape arena` command shares."""

import atexit
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from ape.cli import ConnectedProviderCommand

from ape_arena.chain.connection import connection_hint
from ape_arena.chain.errors import refused


class ArenaCommand(ConnectedProviderCommand):
    """A command connected to the network chosen with --network.

    A failure to connect becomes a one-sentence error that says what to do,
    instead of a traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        from ape.exceptions import ApeException, ContractLogicError, TransactionError

        from ape_arena.artifacts.errors import ArtifactError
        from ape_arena.exceptions import ArenaError
        from ape_arena.kinds.base import KindError

        try:
            if ctx.params.get("as_json"):
                with _logs_to_stderr():
                    return super().invoke(ctx)
            return super().invoke(ctx)
        except ArenaError as err:
            raise click.ClickException(str(err)) from err
        except (ArtifactError, KindError) as err:
            # Artifacts and task kinds know nothing of Ape; their messages
            # are sentences already.
            raise click.ClickException(str(err)) from err
        except (ContractLogicError, TransactionError) as err:
            hint = "check the command's arguments and the task's phase, then try again"
            raise click.ClickException(refused("the transaction", err, hint)) from err
        except (ApeException, ConnectionError, OSError) as err:
            if isinstance(err, click.ClickException):
                raise
            network = ctx.params.get("network") or "the chosen network"
            raise click.ClickException(connection_hint(str(network), err)) from err


def json_option(command):
    """`--json`: print one JSON document (docs/json.md) instead of tables."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print one JSON document instead of tables: exact wei as strings, ISO times "
        "(docs/json.md).",
    )(command)


def print_document(document: dict) -> None:
    """The one thing a `--json` command writes to stdout."""
    from ape_arena.report.documents import dumps

    click.echo(dumps(document))


def _ape_logs_to_stderr() -> Callable[[], None]:
    """Point Ape's log handler at stderr (Ape writes "INFO: ..." lines to
    stdout); returns what puts it back."""
    from ape.logging import ClickHandler

    logger = logging.getLogger("ape")
    moved = [h for h in logger.handlers if isinstance(h, ClickHandler)]
    levels = ("error", "warning", "success", "info", "debug")
    replacement = ClickHandler(
        echo_kwargs={level: {"err": True} for level in levels},
        handlers=moved[0].handlers if moved else None,
    )
    if moved:
        replacement.setFormatter(moved[0].formatter)
    for handler in moved:
        logger.removeHandler(handler)
    logger.addHandler(replacement)

    def restore() -> None:
        logger.removeHandler(replacement)
        for handler in moved:
            logger.addHandler(handler)

    return restore


_exit_hook: list[bool] = []


@contextmanager
def _logs_to_stderr() -> Iterator[None]:
    """Ape's log lines go to stderr while a `--json` command runs, so stdout
    holds only the document; and at exit too, where Ape stops a local node it
    started for the command ("INFO: Stopping 'anvil' process.")."""
    restore = _ape_logs_to_stderr()
    try:
        yield
    finally:
        restore()
        if not _exit_hook:
            # Registered after the connection, so it runs before Ape's own
            # exit hooks (atexit runs the last registered first).
            atexit.register(_ape_logs_to_stderr)
            _exit_hook.append(True)


def node_context(cli_ctx, provider, account, device: str | None = None, log=None):
    """The chain, account and local folders a node command works with."""
    from pathlib import Path

    from ape_arena.node.context import NodeContext
    from ape_arena.node.state import StateStore

    config = cli_ctx.config_manager.get_config("arena")
    data = Path(cli_ctx.local_project.path) / config.data_folder
    return NodeContext(
        protocol=load_protocol_for(cli_ctx, provider),
        account=account,
        state=StateStore(data / "state"),
        store_url=config.store or str(data / "store"),
        work=data / "work",
        device=device or config.device,
        max_download_bytes=config.max_download_bytes,
        fetch_timeout_s=config.fetch_timeout,
        score_timeout_s=config.score_timeout,
        log=log or click.echo,
    )


def load_protocol_for(cli_ctx, provider):
    """The protocol deployed on the connected network."""
    from ape_arena.chain.protocol import deployments_folder, load_protocol

    project = cli_ctx.local_project
    return load_protocol(project, provider, deployments_folder(project, cli_ctx.config_manager))
