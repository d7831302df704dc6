"""Integration tests run through Ape on anvil (`--network ethereum:local:foundry`)."""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def require_anvil(networks):
    provider = networks.provider
    if provider.name != "foundry":
        pytest.fail(
            "integration tests need anvil: run them with "
            "`ape test --network ethereum:local:foundry` (what `make test` does)"
        )
    return provider


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def admin(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def treasury(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def holder(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def spender(accounts):
    return accounts[4]


@pytest.fixture(scope="module")
def protocol(require_anvil, project, accounts, tmp_path_factory):
    """The whole protocol as `deploy_protocol` deploys it (local-chain
    parameters), fresh for each test module, with the plugin pointed at its
    deployment record. `accounts[0]` deployed it and holds the genesis supply."""
    from ape import config

    from ape_arena.chain.deploy import DeployParams, deploy_protocol

    folder = tmp_path_factory.mktemp("deployments")
    arena_config = config.get_config("arena")
    previous = arena_config.deployments_folder
    arena_config.deployments_folder = str(folder)
    result = deploy_protocol(
        project,
        require_anvil,
        accounts[0],
        folder,
        DeployParams.for_local_chain(),
        log=lambda _line: None,
    )
    yield result.contracts
    arena_config.deployments_folder = previous


@pytest.fixture(scope="module")
def fund(protocol, accounts):
    """fund(account, arena): send `arena` ARENA from the genesis holder."""

    def _fund(account, amount_arena: int) -> None:
        protocol["ArenaToken"].transfer(account, amount_arena * 10**18, sender=accounts[0])

    return _fund


@pytest.fixture(scope="module")
def node_folders(protocol, tmp_path_factory):
    """The node's data folder for the module's `ape arena` commands (CPU only), and a
    base-model cache inside it."""
    from ape import config

    arena_config = config.get_config("arena")
    data = tmp_path_factory.mktemp("arena-data")
    patch = pytest.MonkeyPatch()
    patch.setenv("APE_ARENA_BASE_CACHE", str(data / "base-cache"))
    previous = arena_config.data_folder, arena_config.device
    arena_config.data_folder, arena_config.device = str(data), "cpu"
    yield data
    arena_config.data_folder, arena_config.device = previous
    patch.undo()
