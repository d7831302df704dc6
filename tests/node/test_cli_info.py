"""`ape arena` through click's CliRunner, on Ape's in-process chain."""

import json

import pytest
from ape import config
from click.testing import CliRunner

from ape_arena._cli import cli

LOCAL = ["--network", "ethereum:local:test"]
DEAD = "0x000000000000000000000000000000000000dEaD"


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def deployments_folder(tmp_path, monkeypatch):
    """Point the plugin at an empty deployments folder for the test."""
    monkeypatch.setattr(config.get_config("arena"), "deployments_folder", str(tmp_path))
    return tmp_path


def test_help_lists_commands(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "info" in result.output
    assert "--network" in runner.invoke(cli, ["info", "--help"]).output


def test_info_without_deployment(runner, deployments_folder):
    result = runner.invoke(cli, ["info", *LOCAL])
    assert result.exit_code == 0, result.output
    assert "network   ethereum:local:test" in result.output
    assert "chain id  1337" in result.output
    assert "No AIArena contracts are deployed on ethereum:local" in result.output
    assert "ethereum-local.json" in result.output


def test_info_lists_recorded_contracts_and_checks_code(runner, deployments_folder):
    # An address without code; tests/integration covers one with code.
    no_code = "0x000000000000000000000000000000000000dEaD"
    (deployments_folder / "ethereum-local.json").write_text(
        json.dumps({"chain_id": 1337, "contracts": {"ArenaToken": {"address": no_code}}})
    )
    result = runner.invoke(cli, ["info", *LOCAL])
    assert result.exit_code == 0, result.output
    assert "ArenaToken" in result.output
    assert "no code at this address (stale record?)" in result.output
    assert "warning" not in result.output


def test_info_warns_on_chain_id_mismatch(runner, deployments_folder):
    (deployments_folder / "ethereum-local.json").write_text(
        json.dumps({"chain_id": 84532, "contracts": {}})
    )
    result = runner.invoke(cli, ["info", *LOCAL])
    assert result.exit_code == 0, result.output
    assert "warning: the record is for chain id 84532" in result.output
    assert "the record lists no contracts" in result.output


def test_info_broken_record_is_one_sentence(runner, deployments_folder):
    (deployments_folder / "ethereum-local.json").write_text("{oops")
    result = runner.invoke(cli, ["info", *LOCAL])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    last_line = result.output.strip().splitlines()[-1]
    assert last_line.startswith("Error: Cannot read the deployment record")
    assert last_line.endswith("fix or delete the file.")


def test_info_base_sepolia_without_rpc_says_what_to_do(runner, monkeypatch):
    monkeypatch.delenv("BASE_SEPOLIA_RPC_URL", raising=False)
    result = runner.invoke(cli, ["info", "--network", "base:sepolia"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "set BASE_SEPOLIA_RPC_URL" in result.output


def test_info_unknown_network_is_a_usage_error(runner):
    result = runner.invoke(cli, ["info", "--network", "nowhere:local"])
    assert result.exit_code == 2
    assert "No ecosystem named 'nowhere'" in result.output


def test_info_reads_a_record_in_lower_case(runner, deployments_folder):
    # A record written by hand: the address is checksummed on read.
    (deployments_folder / "ethereum-local.json").write_text(
        json.dumps({"contracts": {"ArenaToken": {"address": DEAD.lower()}}})
    )
    result = runner.invoke(cli, ["info", *LOCAL])
    assert result.exit_code == 0, result.output
    assert DEAD in result.output


def json_run(*args):
    """`ape arena ARGS --json` with stdout apart from stderr: stdout is one document."""
    result = CliRunner(mix_stderr=False).invoke(cli, [*args, "--json", *LOCAL])
    return result, (json.loads(result.stdout) if result.exit_code == 0 else None)


def test_info_json_without_deployment(deployments_folder):
    result, doc = json_run("info")
    assert result.exit_code == 0, result.output
    assert doc["kind"] == "info" and doc["schema_version"] == 1
    assert doc["network"] == "ethereum:local:test"
    assert doc["chain_id"] == 1337 and isinstance(doc["block"], int)
    assert doc["block_time"].endswith("Z")
    assert doc["record"].endswith("ethereum-local.json") and doc["deployment"] is None


def test_info_json_lists_the_record_and_warns_on_stderr(deployments_folder):
    (deployments_folder / "ethereum-local.json").write_text(
        json.dumps({"chain_id": 84532, "contracts": {"ArenaToken": {"address": DEAD.lower()}}})
    )
    result, doc = json_run("info")
    assert result.exit_code == 0, result.output
    assert doc["deployment"]["chain_id"] == 84532
    assert doc["deployment"]["chain_id_matches"] is False
    assert doc["deployment"]["contracts"] == [
        {"name": "ArenaToken", "address": DEAD, "block": None, "has_code": False}
    ]
    assert "warning: the record is for chain id 84532" in result.stderr


def test_info_json_error_is_one_sentence_and_no_document(deployments_folder):
    (deployments_folder / "ethereum-local.json").write_text("{oops")
    result, _ = json_run("info")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: Cannot read the deployment")


def test_every_table_command_takes_json(runner):
    for command in (
        ["info"],
        ["params"],
        ["task", "list"],
        ["task", "show"],
        ["leaderboard"],
        ["position"],
        ["gov", "list"],
        ["gov", "show"],
    ):
        text = runner.invoke(cli, [*command, "--help"]).output
        assert "--json" in text and "docs/json.md" in text, command


def test_json_commands_send_apes_log_lines_to_stderr(capsys):
    from ape.logging import logger

    from ape_arena._cli._common import _logs_to_stderr

    with _logs_to_stderr():
        logger.warning("connecting somewhere")
    out, err = capsys.readouterr()
    assert "connecting somewhere" in err and "connecting somewhere" not in out
    logger.warning("back to normal")
    out, err = capsys.readouterr()
    assert "back to normal" in out + err
