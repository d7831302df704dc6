"""Fixtures for the TaskManager unit tests.

Each test starts from a freshly deployed Arena (token + staking + task
manager, wired as deployment wires them; the contracts are compiled once per
process) and gets the actors of a task by role, named as in the rest of the
suite.
"""

import pytest
from task_manager_support import Game

from support.arena import Arena


@pytest.fixture(scope="module")
def arena():
    """Deployed once per module (a deployment costs ~0.6 s in boa); the boa
    pytest plugin runs every test, and every fixture, inside its own
    snapshot, so each test starts from the freshly deployed state."""
    return Arena()


@pytest.fixture
def game(arena):
    return Game(arena)


@pytest.fixture
def tm(arena):
    return arena.tasks


@pytest.fixture
def creator(arena):
    return arena.actor("creator")


@pytest.fixture
def trainer(game):
    return game.operator("trainer")


@pytest.fixture
def other_trainer(game):
    return game.operator("other_trainer")


@pytest.fixture
def validator(game):
    return game.operator("validator")


@pytest.fixture
def other_validator(game):
    return game.operator("other_validator")


@pytest.fixture
def delegator(arena):
    return arena.actor("delegator")


@pytest.fixture
def task(arena, creator):
    """A task with the default terms (TaskTerms), in its submit phase."""
    return arena.create(creator)


@pytest.fixture
def joined(game, task, trainer, other_trainer, validator, other_validator):
    """`task` with two trainers and two validators, 100 ARENA locked each."""
    game.enrol(task, [trainer, other_trainer], [validator, other_validator])
    return task
