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
