"""Fixtures of the attack scenarios: a fresh deployment per test and its books."""

import boa
import pytest

from support.arena import Arena

from .story import Books


@pytest.fixture(autouse=True)
def fresh_storage_trace():
    """An empty record of written storage keys per scenario, as in
    tests/contracts/conftest.py: addresses are reused from test to test, and
    boa's revert report would read another contract's keys."""
    boa.env.sstore_trace.clear()


@pytest.fixture
def arena() -> Arena:
    return Arena()


@pytest.fixture
def books(arena) -> Books:
    return Books(arena)
