"""Running `ape arena` commands in tests."""


def cli_run(*args: str, network: str = "ethereum:local:foundry"):
    """`ape arena ARGS --network NETWORK` through click's CliRunner; never a traceback."""
    from click.testing import CliRunner

    from ape_arena._cli import cli

    result = CliRunner().invoke(cli, [*args, "--network", network])
    assert "Traceback" not in result.output, result.output
    return result
