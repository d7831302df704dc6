"""Fixtures of the attack scenarios: a fresh deployment per test and its books."""

import pytest

from support.arena import Arena

from .story import Books


@pytest.fixture
def arena() -> Arena:
    return Arena()


@pytest.fixture
def books(arena) -> Books:
    return Books(arena)
