"""Reading deployment records (no chain needed)."""

import json

import pytest

from ape_arena.chain.deployments import load_deployment, record_name
from ape_arena.exceptions import DeploymentFileError

TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def test_record_name():
    assert record_name("base", "sepolia") == "base-sepolia.json"


def test_missing_record_is_none(tmp_path):
    assert load_deployment(tmp_path, "ethereum", "local") is None


def test_reads_record(tmp_path):
    (tmp_path / "base-sepolia.json").write_text(
        json.dumps(
            {
                "chain_id": 84532,
                "compiler": "vyper 0.4.3",
                "contracts": {"ArenaToken": {"address": TOKEN, "block": 7}},
            }
        )
    )
    deployment = load_deployment(tmp_path, "base", "sepolia")
    assert deployment.chain_id == 84532
    assert deployment.compiler == "vyper 0.4.3"
    (token,) = deployment.contracts
    assert (token.name, token.address, token.block) == ("ArenaToken", TOKEN, 7)


def test_addresses_are_checksummed_on_read(tmp_path):
    (tmp_path / "ethereum-local.json").write_text(
        json.dumps({"contracts": {"ArenaToken": {"address": TOKEN.lower()}}})
    )
    (token,) = load_deployment(tmp_path, "ethereum", "local").contracts
    assert token.address == TOKEN


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("{not json", "Cannot read the deployment record"),
        ("[1, 2]", "is not an object with a 'contracts' mapping"),
        ('{"contracts": []}', "is not an object with a 'contracts' mapping"),
        ('{"contracts": {"ArenaToken": {}}}', "The entry for ArenaToken"),
        ('{"contracts": {"ArenaToken": {"address": "0x12"}}}', "is not an address"),
    ],
)
def test_broken_record_says_what_to_do(tmp_path, content, fragment):
    (tmp_path / "ethereum-local.json").write_text(content)
    with pytest.raises(DeploymentFileError) as err:
        load_deployment(tmp_path, "ethereum", "local")
    message = str(err.value)
    assert fragment in message
    assert message.endswith("fix or delete the file.")
