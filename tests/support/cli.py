"""Running `ape arena` commands in tests."""

import json


def cli_run(*args: str, network: str = "ethereum:local:foundry"):
    """`ape arena ARGS --network NETWORK` through click's CliRunner; never a traceback."""
    from click.testing import CliRunner

    from ape_arena._cli import cli

    result = CliRunner().invoke(cli, [*args, "--network", network])
    assert "Traceback" not in result.output, result.output
    return result


def cli_json(*args: str, network: str = "ethereum:local:foundry") -> dict:
    """The document `ape arena ARGS --json` prints: the command succeeds and its
    stdout, read apart from stderr, is exactly one JSON document."""
    from click.testing import CliRunner

    from ape_arena._cli import cli

    result = CliRunner(mix_stderr=False).invoke(cli, [*args, "--json", "--network", network])
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)
