"""The deploy script (`ape run deploy`) and the console extras, through Ape on anvil.

Runs under `ape test --network ethereum:local:foundry`. The script's click
command runs in-process (CliRunner) against the session's anvil, writing into
a temporary deployments folder. The Base Sepolia rehearsal starts a second
anvil with chain id 84532 and runs the real `ape run deploy --network
base:sepolia:node` against it as a subprocess, with BASE_SEPOLIA_RPC_URL
pointing there: the very command docs/deploy.md gives, only the URL differs.
In-process runs reach that anvil as `base:sepolia:http://127.0.0.1:<port>`,
Ape's way to give a known network another RPC URL: the network stays
base:sepolia, so the record is still `base-sepolia.json`.

Ape waits for two confirmations per transaction on Base Sepolia (its network
config); the rehearsal anvil mines a block every 0.1 s so they come, and Ape
polls once a second, so the rehearsal deploy takes about 20 s.
"""

import contextlib
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from ape_arena.chain.deploy import DeployParams
from ape_arena.chain.protocol import CONTRACTS

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ADMIN_ROLE = b"\0" * 32
NAMES = ("ArenaToken", "Staking", "TaskManager", "Emission", "Governor")
CONSOLE_NAMES = {"token", "staking", "tasks", "emission", "governor", "arena"}
BASE_SEPOLIA = 84532
TEN_THOUSAND_ETH = 10_000 * 10**18


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def deployments_in(folder: Path):
    """Point the plugin's `arena.deployments_folder` at `folder` for a while."""
    from ape import config

    arena_config = config.get_config("arena")
    previous = arena_config.deployments_folder
    arena_config.deployments_folder = str(folder)
    try:
        yield folder
    finally:
        arena_config.deployments_folder = previous


def run_deploy(script, *args: str, network: str = "ethereum:local:foundry", input=None):
    """The script's `cli` as `ape run deploy` would call it, in this process."""
    result = CliRunner().invoke(script.cli, ["--network", network, *args], input=input)
    assert "Traceback" not in result.output, result.output
    return result


def ape_command(*args: str, env: dict[str, str], drop: tuple[str, ...] = (), timeout: int = 240):
    """`ape ARGS` as a user runs it, from the project folder, with `env` added
    to this process's environment and the variables in `drop` removed."""
    full_env = {k: v for k, v in os.environ.items() if k not in drop}
    full_env.update(env, PATH=f"{BIN}{os.pathsep}{full_env.get('PATH', '')}")
    done = subprocess.run(
        [str(BIN / "ape"), *args],
        cwd=PROJECT,
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    return done.returncode, output


def rpc(url: str, method: str, *params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["result"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def script():
    return _load(PROJECT / "scripts" / "deploy.py", "arena_deploy_script")


@pytest.fixture(scope="module")
def console_extras():
    return _load(PROJECT / "ape_console_extras.py", "arena_console_extras")


@pytest.fixture(scope="module")
def deployments(require_anvil, tmp_path_factory):
    with deployments_in(tmp_path_factory.mktemp("deployments")) as folder:
        yield folder


@pytest.fixture(scope="module")
def first_run(script, deployments, require_anvil, deployer):
    """`ape run deploy --network ethereum:local:foundry --account TEST::0 --yes`."""
    provider = require_anvil
    start = provider.get_block("latest").number
    result = run_deploy(script, "--account", "TEST::0", "--yes")
    assert result.exit_code == 0, result.output
    end = provider.get_block("latest").number
    return SimpleNamespace(result=result, start=start, end=end)


@pytest.fixture(scope="module")
def record(first_run, deployments):
    return json.loads((deployments / "ethereum-local.json").read_text())


@pytest.fixture(scope="module")
def deployed(record, project):
    return {
        name: getattr(project, name).at(entry["address"])
        for name, entry in record["contracts"].items()
    }


# --- a local deployment -------------------------------------------------------------


def test_deploy_prints_the_plan_and_the_addresses(first_run, record, deployer):
    out = first_run.result.output
    assert first_run.result.exit_code == 0, out
    assert "Deploying AIArena to ethereum:local:" in out
    assert "ethereum:local:foundry" in out
    assert f"{deployer.address} (TEST::0)" in out
    assert re.search(r"balance +[\d,.]+ ETH", out)
    assert "(the deployer)" in out
    assert "local-chain values" in out
    for name in asdict(DeployParams()):
        assert name in out
    assert "5m (300 s)" in out  # the local voting period
    assert "[y/N]" not in out  # a local chain is not asked about
    for name in NAMES:
        assert record["contracts"][name]["address"] in out
    assert "AIArena is deployed on ethereum:local" in out


def test_deploy_writes_the_record(first_run, record, require_anvil, deployer):
    provider = require_anvil
    assert record["chain_id"] == provider.chain_id
    assert record["compiler"] == "vyper 0.4.3"
    assert record["parameters"] == asdict(DeployParams.for_local_chain())
    assert record["deployer"] == record["guardian"] == deployer.address
    assert set(record["contracts"]) == set(NAMES)
    blocks = [record["contracts"][name]["block"] for name in NAMES]
    # One block per deployment on anvil, in deployment order, within this run.
    assert blocks == sorted(set(blocks))
    assert first_run.start < blocks[0] and blocks[-1] <= first_run.end
    for name in NAMES:
        entry = record["contracts"][name]
        assert len(provider.get_code(entry["address"], block_id=entry["block"])) > 0
        assert len(provider.get_code(entry["address"], block_id=entry["block"] - 1)) == 0


def test_deployer_keeps_no_role(deployed, deployer):
    token, staking, tasks, emission, governor = (deployed[name] for name in NAMES)
    for contract in (token, staking, tasks, emission):
        assert contract.hasRole(ADMIN_ROLE, governor)
        assert not contract.hasRole(ADMIN_ROLE, deployer)
    assert not token.hasRole(token.MINTER_ROLE(), deployer)
    assert token.hasRole(token.MINTER_ROLE(), emission)
    assert staking.hasRole(staking.PROTOCOL_ROLE(), tasks)
    # Nobody can name another protocol contract: the protocol admin renounced.
    protocol_admin = staking.PROTOCOL_ADMIN_ROLE()
    assert staking.getRoleAdmin(staking.PROTOCOL_ROLE()) == protocol_admin
    for account in (deployer, governor, tasks):
        assert not staking.hasRole(protocol_admin, account)
    assert tasks.hasRole(tasks.EMISSION_ROLE(), emission)
    assert staking.hasRole(staking.GUARDIAN_ROLE(), deployer)  # the default guardian
    for contract in (staking, tasks, emission):
        assert contract.treasury() == governor.address
    assert token.balanceOf(deployer) == DeployParams().genesis_supply


def test_cost_estimate_covers_a_deployment(first_run, script, require_anvil):
    used = sum(
        require_anvil.get_block(number).gas_used
        for number in range(first_run.start + 1, first_run.end + 1)
    )
    assert 0 < used <= script.DEPLOY_GAS, f"a deployment used {used:,} gas"


def test_second_run_changes_nothing(first_run, script, deployments, record, deployer, chain):
    path = deployments / "ethereum-local.json"
    before = path.read_bytes()
    nonce, height = deployer.nonce, chain.blocks.height
    result = run_deploy(script, "--account", "TEST::0")
    assert result.exit_code == 0, result.output
    assert "already deployed on ethereum:local" in result.output
    assert "nothing to do" in result.output
    for name in NAMES:
        assert record["contracts"][name]["address"] in result.output
    assert deployer.nonce == nonce
    assert chain.blocks.height == height
    assert path.read_bytes() == before


def test_deployer_without_eth_is_one_sentence(script, require_anvil, accounts, tmp_path):
    broke = accounts[9]
    require_anvil.set_balance(broke.address, 0)
    try:
        with deployments_in(tmp_path):
            result = run_deploy(script, "--account", "TEST::9")
    finally:
        require_anvil.set_balance(broke.address, TEN_THOUSAND_ETH)
    assert result.exit_code == 1
    assert f"The deployer {broke.address} has no ETH on ethereum:local" in result.output
    assert "send it ETH from a test account" in result.output
    assert not list(tmp_path.iterdir())


def test_no_account_is_one_sentence(script, tmp_path):
    with deployments_in(tmp_path):
        result = run_deploy(script, "--yes")
    assert result.exit_code == 1
    assert "No deploying account was given" in result.output
    assert "--account <alias>" in result.output
    assert not list(tmp_path.iterdir())


def test_bad_guardian_is_refused_before_connecting(script):
    result = run_deploy(script, "--account", "TEST::0", "--guardian", "0x1234")
    assert result.exit_code == 2
    assert "--guardian" in result.output


# --- the console extras ----------------------------------------------------------


def test_console_binds_the_contracts(first_run, record, console_extras, networks, project, capsys):
    from ape import config

    extras = console_extras.ape_init_extras(networks=networks, project=project, config=config)
    assert set(extras) == CONSOLE_NAMES
    for name, attribute in CONTRACTS:
        assert extras[attribute].address == record["contracts"][name]["address"]
        assert getattr(extras["arena"], attribute).address == extras[attribute].address
    assert extras["token"].totalSupply() == DeployParams().genesis_supply
    assert extras["governor"].voting_period() == DeployParams.for_local_chain().voting_period
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed == [
        "AIArena on ethereum:local: token, staking, tasks, emission, governor and arena "
        "(all of them) are bound, from ethereum-local.json."
    ]


def test_console_without_a_record_adds_nothing(console_extras, networks, project, capsys, tmp_path):
    from ape import config

    with deployments_in(tmp_path):
        extras = console_extras.ape_init_extras(networks=networks, project=project, config=config)
    assert not extras
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1
    assert "No AIArena deployment is recorded for ethereum:local" in printed[0]
    assert "ape run deploy" in printed[0]


def test_console_extras_never_raise(console_extras, networks, project, capsys):
    from ape import config

    offline = SimpleNamespace(active_provider=None)
    assert console_extras.ape_init_extras(networks=offline, project=project, config=config) == {}
    broken = SimpleNamespace()  # a project without a path
    assert console_extras.ape_init_extras(networks=networks, project=broken, config=config) == {}
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 2
    assert all(line.startswith("AIArena: ") for line in printed)


# --- the Base Sepolia rehearsal ----------------------------------------------------


@pytest.fixture(scope="module")
def base_sepolia_node():
    """A second anvil with Base Sepolia's chain id, on a free port; its RPC URL."""
    anvil = shutil.which("anvil", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if anvil is None:
        pytest.fail("anvil is not on PATH; run `make bootstrap` (tools/bootstrap.sh)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [anvil, "--port", str(port), "--chain-id", str(BASE_SEPOLIA), "--block-time", "0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert int(rpc(url, "eth_chainId"), 16) == BASE_SEPOLIA
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"the rehearsal anvil did not start on port {port}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def live_deployments(require_anvil, tmp_path_factory):
    return tmp_path_factory.mktemp("live-deployments")


def nonce_on(url: str, address: str) -> int:
    return int(rpc(url, "eth_getTransactionCount", address, "latest"), 16)


def test_live_deploy_asks_first(script, base_sepolia_node, live_deployments, deployer):
    with deployments_in(live_deployments):
        result = run_deploy(
            script,
            "--account",
            "TEST::0",
            network=f"base:sepolia:{base_sepolia_node}",
            input="n\n",
        )
    assert result.exit_code == 1, result.output
    assert "Deploying AIArena to base:sepolia:" in result.output
    assert "the documented defaults" in result.output
    assert "3d (259,200 s)" in result.output  # the documented voting period
    assert "Deploy AIArena to base:sepolia (chain id 84532)" in result.output
    assert "Aborted" in result.output
    assert not list(live_deployments.iterdir())
    assert nonce_on(base_sepolia_node, deployer.address) == 0


def test_live_deployer_without_eth_is_told_to_use_a_faucet(
    script, base_sepolia_node, live_deployments, accounts
):
    broke = accounts[8]
    rpc(base_sepolia_node, "anvil_setBalance", broke.address, "0x0")
    with deployments_in(live_deployments):
        result = run_deploy(
            script, "--account", "TEST::8", "--yes", network=f"base:sepolia:{base_sepolia_node}"
        )
    assert result.exit_code == 1
    assert f"The deployer {broke.address} has no ETH on base:sepolia" in result.output
    assert "fund it with Base Sepolia ETH from a faucet" in result.output
    assert not list(live_deployments.iterdir())


@pytest.fixture(scope="module")
def rehearsal(base_sepolia_node, live_deployments):
    """`ape run deploy --network base:sepolia:node --account TEST::0 --default-params --yes`
    as a user runs it, BASE_SEPOLIA_RPC_URL pointing at the rehearsal anvil.

    ArenaConfig is a pydantic-settings model with Ape's `APE_` prefix, so
    APE_DEPLOYMENTS_FOLDER moves the record into the test's folder."""
    code, output = ape_command(
        "run",
        "deploy",
        "--network",
        "base:sepolia:node",
        "--account",
        "TEST::0",
        "--default-params",
        "--yes",
        env={
            "BASE_SEPOLIA_RPC_URL": base_sepolia_node,
            "APE_DEPLOYMENTS_FOLDER": str(live_deployments),
        },
    )
    return SimpleNamespace(code=code, output=output, path=live_deployments / "base-sepolia.json")


def test_base_sepolia_rehearsal(rehearsal, base_sepolia_node, deployer):
    assert rehearsal.code == 0, rehearsal.output
    assert "[y/N]" not in rehearsal.output  # --yes
    assert "network   base:sepolia:node" in rehearsal.output
    assert "chain id  84532" in rehearsal.output
    assert "AIArena is deployed on base:sepolia" in rehearsal.output
    record = json.loads(rehearsal.path.read_text())
    assert record["chain_id"] == BASE_SEPOLIA
    assert record["compiler"] == "vyper 0.4.3"
    assert record["parameters"] == asdict(DeployParams())
    assert record["deployer"] == record["guardian"] == deployer.address
    assert set(record["contracts"]) == set(NAMES)
    for name in NAMES:
        address = record["contracts"][name]["address"]
        assert address in rehearsal.output
        assert rpc(base_sepolia_node, "eth_getCode", address, "latest") not in ("0x", "0x0")
    # 5 deployments and 16 wiring calls, nothing else.
    assert nonce_on(base_sepolia_node, deployer.address) == 21


def test_live_record_has_the_deployment_blocks(rehearsal, base_sepolia_node):
    assert rehearsal.code == 0, rehearsal.output
    record = json.loads(rehearsal.path.read_text())
    for name in NAMES:
        entry = record["contracts"][name]
        before = rpc(base_sepolia_node, "eth_getCode", entry["address"], hex(entry["block"] - 1))
        assert before == "0x", f"{name} already had code before its recorded block"


def test_live_second_run_needs_no_confirmation(
    rehearsal, script, base_sepolia_node, live_deployments, deployer
):
    assert rehearsal.code == 0, rehearsal.output
    before = rehearsal.path.read_bytes()
    with deployments_in(live_deployments):
        result = run_deploy(
            script, "--account", "TEST::0", network=f"base:sepolia:{base_sepolia_node}"
        )
    assert result.exit_code == 0, result.output
    assert "already deployed on base:sepolia (chain id 84532" in result.output
    assert "nothing to do" in result.output
    assert "[y/N]" not in result.output
    assert nonce_on(base_sepolia_node, deployer.address) == 21
    assert rehearsal.path.read_bytes() == before


def test_console_on_base_sepolia_has_the_contracts(rehearsal, base_sepolia_node, live_deployments):
    """`ape console --network base:sepolia:node` loads ape_console_extras.py by itself."""
    assert rehearsal.code == 0, rehearsal.output
    governor = json.loads(rehearsal.path.read_text())["contracts"]["Governor"]["address"]
    code, output = ape_command(
        "console",
        "--network",
        "base:sepolia:node",
        "-c",
        "print('governor at', governor.address, governor.voting_period())",
        env={
            "BASE_SEPOLIA_RPC_URL": base_sepolia_node,
            "APE_DEPLOYMENTS_FOLDER": str(live_deployments),
        },
        timeout=120,
    )
    assert code == 0, output
    assert "AIArena on base:sepolia:" in output
    assert f"governor at {governor} {DeployParams().voting_period}" in output


def test_missing_rpc_url_is_one_sentence():
    code, output = ape_command(
        "run",
        "deploy",
        "--network",
        "base:sepolia:node",
        "--account",
        "TEST::0",
        env={},
        drop=("BASE_SEPOLIA_RPC_URL",),
        timeout=120,
    )
    assert code == 1, output
    assert "Cannot connect to Base Sepolia" in output
    assert "set BASE_SEPOLIA_RPC_URL" in output
