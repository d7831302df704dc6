"""Fixtures for the Emission unit tests.

Each module deploys the whole protocol once (GovernedArena: governance is
the admin of every contract and the treasury, emission holds MINTER_ROLE and
EMISSION_ROLE); the boa pytest plugin runs every test inside its own
snapshot, chain clock included, so each test starts from the deployment.
"""

import boa
import pytest
from emission_support import (
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    commit_model,
    long_terms,
    without_trainer_stake_floor,
)

from support.arena import PHASE_EVAL_REVEAL, h
from support.constants import WAD
from support.dao import GovernedArena


@pytest.fixture(scope="module")
def arena():
    arena = GovernedArena()
    without_trainer_stake_floor(arena)
    return arena


@pytest.fixture
def emission(arena):
    return arena.emission


@pytest.fixture
def token(arena):
    return arena.token


@pytest.fixture
def tm(arena):
    return arena.tasks


@pytest.fixture
def governor(arena):
    """Governance: the emission contract's admin and treasury."""
    return arena.governor.address


@pytest.fixture
def non_admin():
    return boa.env.generate_address("non_admin")


@pytest.fixture
def creator(arena):
    return arena.actor("creator", 1_000_000 * WAD)


@pytest.fixture
def start(emission):
    """When the schedule started (the deployment)."""
    return emission.last_checkpoint()


class Desk:
    """Creates running tasks with stakers and verifies them as governance."""

    def __init__(self, arena, creator, governor):
        self.arena, self.creator, self.governor = arena, creator, governor
        self.joined = 0
        self.trainers: dict[int, list[str]] = {}
        self.validators: dict[int, list[str]] = {}

    def task(self, trainers=(), validators=(), commit=True, **terms) -> int:
        """A task in its submit phase (30-day phases) joined by one new
        operator per amount; an operator's weight is its amount. The
        trainers commit a model unless `commit` is false (a participant's
        weight counts in the task once it commits); the validators cannot
        commit before the score commit phase (`commit_scores`)."""
        task_id = self.arena.create(self.creator, long_terms(**terms))
        self.trainers[task_id], self.validators[task_id] = [], []
        for role, amounts in ((ROLE_TRAINER, trainers), (ROLE_VALIDATOR, validators)):
            for amount in amounts:
                self.joined += 1
                name = f"{'trainer' if role == ROLE_TRAINER else 'validator'}{self.joined}"
                account = self.arena.operator(name, amount)
                self.arena.join(task_id, account, role, amount)
                joined = self.trainers if role == ROLE_TRAINER else self.validators
                joined[task_id].append(account)
        if commit:
            self.commit_models(task_id)
        return task_id

    def commit_models(self, task_id: int) -> None:
        for trainer in self.trainers[task_id]:
            commit_model(self.arena, task_id, trainer)

    def commit_scores(self, task_id: int) -> None:
        """To the score commit phase (the creator reveals its eval set at the
        start of the eval reveal phase); every validator commits scores."""
        self.arena.to_phase(task_id, PHASE_EVAL_REVEAL)
        self.arena.reveal_eval(task_id, self.creator)
        scores = [1] * len(self.trainers[task_id])
        for validator in self.validators[task_id]:
            self.arena.commit_scores(task_id, validator, scores, h(f"salt of {validator}"))

    def verify(self, task_id: int) -> None:
        with boa.env.prank(self.governor):
            self.arena.emission.verify_task(task_id)

    def unverify(self, task_id: int) -> None:
        with boa.env.prank(self.governor):
            self.arena.emission.unverify_task(task_id)

    def verified(self, trainers=(), validators=(), **terms) -> int:
        task_id = self.task(trainers, validators, **terms)
        self.verify(task_id)
        return task_id


@pytest.fixture
def desk(arena, creator, governor):
    return Desk(arena, creator, governor)
