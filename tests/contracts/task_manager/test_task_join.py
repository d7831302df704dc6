"""join: stake locked in the participant's pool, one role per address, caps."""

import boa
import pytest
from task_manager_support import ALLOCATION, STAKE, logs_named

from support.arena import PHASE_MODEL_REVEAL, ROLE_TRAINER, ROLE_VALIDATOR, TaskTerms
from support.constants import WAD


def test_trainer_joins(arena, game, tm, task, trainer):
    arena.join(task, trainer, ROLE_TRAINER, 150 * WAD)
    (log,) = logs_named(tm, "Joined")
    assert (log.task_id, log.participant, log.role, log.index) == (task, trainer, ROLE_TRAINER, 0)
    assert (log.stake, log.weight) == (150 * WAD, 150 * WAD)
    assert tm.trainers(task, 0) == trainer
    t = tm.tasks(task)
    assert (t.n_trainers, t.n_validators, t.unclaimed) == (1, 0, 1)
    # The weight counts in the task only once the trainer commits a model.
    assert (t.trainer_weight, t.validator_weight) == (0, 0)
    p = tm.participant(task, trainer)
    assert (p.role, p.index, p.stake, p.weight) == (ROLE_TRAINER, 0, 150 * WAD, 150 * WAD)
    assert not (p.committed or p.revealed or p.disqualified or p.claimed)
    assert p.commit_block == 0 and p.commitment == b"\0" * 32
    assert p.rank == 2**256 - 1 and p.reward_weight == 0


def test_join_locks_stake_in_the_pool(arena, task, trainer):
    arena.join(task, trainer, ROLE_TRAINER, 150 * WAD)
    (log,) = logs_named(arena.tasks, "StakeAllocated")  # staking's, from within join
    assert (log.operator, log.protocol, log.amount) == (trainer, arena.tasks.address, 150 * WAD)
    st = arena.staking
    assert st.pools(trainer).locked == 150 * WAD
    assert st.locked_by(trainer, arena.tasks.address) == 150 * WAD
    assert st.unlocked_stake(trainer) == STAKE - 150 * WAD


def test_validators_and_trainers_are_indexed_separately(
    game, tm, task, trainer, other_trainer, validator, other_validator
):
    game.enrol(task, [trainer], [validator])
    game.enrol(task, [other_trainer], [other_validator])
    assert [tm.trainers(task, i) for i in range(2)] == [trainer, other_trainer]
    assert [tm.validators(task, i) for i in range(2)] == [validator, other_validator]
    assert tm.participant(task, other_trainer).index == 1
    assert tm.participant(task, other_validator).index == 1
    assert tm.participant(task, other_validator).role == ROLE_VALIDATOR
    t = tm.tasks(task)
    assert (t.n_trainers, t.n_validators, t.unclaimed) == (2, 2, 4)
    assert (t.trainer_weight, t.validator_weight) == (0, 0)


def test_weight_counts_delegated_stake_by_epsilon(arena, game, tm, task, delegator):
    """Weight = amount x effective stake / pool assets (Staking.stake_weight)."""
    trainer = game.operator("trainer", 300 * WAD)
    with boa.env.prank(delegator):
        arena.staking.delegate(trainer, 100 * WAD)
    with boa.env.prank(arena.admin):
        arena.staking.set_delegation_weight_bps(5_000)
    arena.join(task, trainer, ROLE_TRAINER, 200 * WAD)
    # Effective stake 300 + 100 / 2 = 350 of 400: the 200 locked weigh 175.
    assert tm.participant(task, trainer).weight == 175 * WAD
    game.commit(task, trainer)
    assert tm.tasks(task).trainer_weight == 175 * WAD


def test_a_pool_can_join_several_tasks(arena, creator, trainer):
    first = arena.create(creator)
    second = arena.create(creator)
    arena.join(first, trainer, ROLE_TRAINER, 400 * WAD)
    arena.join(second, trainer, ROLE_VALIDATOR, 600 * WAD)
    assert arena.staking.locked_by(trainer, arena.tasks.address) == STAKE


def test_join_after_the_submit_phase_reverts(arena, task, trainer):
    arena.to_phase(task, PHASE_MODEL_REVEAL)
    with boa.reverts("task: not in the submit phase"):
        arena.join(task, trainer, ROLE_TRAINER, ALLOCATION)


@pytest.mark.parametrize("task_id", [0, 2])
def test_join_unknown_task_reverts(arena, task, trainer, task_id):
    with boa.reverts("task: not in the submit phase"):
        arena.join(task_id, trainer, ROLE_TRAINER, ALLOCATION)


@pytest.mark.parametrize("role", [0, 3, 2**256 - 1])
def test_join_with_unknown_role_reverts(arena, task, trainer, role):
    with boa.reverts("task: unknown role"):
        arena.join(task, trainer, role, ALLOCATION)


@pytest.mark.parametrize("first", [ROLE_TRAINER, ROLE_VALIDATOR])
@pytest.mark.parametrize("second", [ROLE_TRAINER, ROLE_VALIDATOR])
def test_join_twice_reverts_whatever_the_role(arena, task, trainer, first, second):
    arena.join(task, trainer, first, ALLOCATION)
    with boa.reverts("task: already joined"):
        arena.join(task, trainer, second, ALLOCATION)


def test_creator_cannot_join(arena, game, task, creator):
    with boa.env.prank(creator):
        arena.staking.open_pool(0, 1_000 * WAD)
    game.operators.append(creator)
    for role in (ROLE_TRAINER, ROLE_VALIDATOR):
        with boa.reverts("task: the creator cannot join"):
            arena.join(task, creator, role, ALLOCATION)


# A reward of 500 ARENA: the validator stake's floor is 50.
MINIMUMS = TaskTerms(reward=500 * WAD, min_trainer_stake=50 * WAD, min_validator_stake=80 * WAD)


@pytest.mark.parametrize("role", [ROLE_TRAINER, ROLE_VALIDATOR])
def test_stake_below_the_minimum_reverts(arena, creator, trainer, role):
    task = arena.create(creator, MINIMUMS)
    minimum = 50 * WAD if role == ROLE_TRAINER else 80 * WAD
    with boa.reverts("task: stake below the minimum"):
        arena.join(task, trainer, role, minimum - 1)
    arena.join(task, trainer, role, minimum)
    assert arena.tasks.participant(task, trainer).stake == minimum


def test_minimum_is_checked_per_role(arena, creator, trainer, validator):
    task = arena.create(creator, MINIMUMS)
    arena.join(task, trainer, ROLE_TRAINER, 50 * WAD)
    with boa.reverts("task: stake below the minimum"):
        arena.join(task, validator, ROLE_VALIDATOR, 50 * WAD)


def test_trainer_slots_full(arena, creator, trainer, other_trainer, validator):
    task = arena.create(creator, TaskTerms(max_trainers=1, max_validators=3))
    arena.join(task, trainer, ROLE_TRAINER, ALLOCATION)
    with boa.reverts("task: trainer slots are full"):
        arena.join(task, other_trainer, ROLE_TRAINER, ALLOCATION)
    # The validator slots are counted apart.
    arena.join(task, validator, ROLE_VALIDATOR, ALLOCATION)


def test_validator_slots_full(arena, game, creator, trainer):
    # The fewest validator slots a task may offer (the floor).
    task = arena.create(creator, TaskTerms(max_trainers=1, max_validators=3))
    *validators, late = game.operators_named("validator", 4)
    game.enrol(task, validators=validators)
    with boa.reverts("task: validator slots are full"):
        arena.join(task, late, ROLE_VALIDATOR, ALLOCATION)
    assert arena.tasks.tasks(task).n_validators == 3
    arena.join(task, trainer, ROLE_TRAINER, ALLOCATION)


def test_not_enough_unlocked_stake_reverts(arena, creator, game):
    operator = game.operator("small trainer", 150 * WAD)
    first = arena.create(creator)
    second = arena.create(creator)
    with boa.reverts("staking: not enough unlocked stake"):
        arena.join(first, operator, ROLE_TRAINER, 150 * WAD + 1)
    arena.join(first, operator, ROLE_TRAINER, 100 * WAD)
    with boa.reverts("staking: not enough unlocked stake"):
        arena.join(second, operator, ROLE_VALIDATOR, 100 * WAD)
    # The failed join left nothing behind.
    assert arena.tasks.participant(second, operator).role == 0
    assert arena.tasks.tasks(second).n_validators == 0


def test_join_without_a_pool_reverts(arena, task):
    no_pool = arena.actor("no pool")
    with boa.reverts("staking: no such pool"):
        arena.join(task, no_pool, ROLE_TRAINER, ALLOCATION)


def test_stake_locked_in_a_task_cannot_be_withdrawn(arena, task, trainer):
    arena.join(task, trainer, ROLE_TRAINER, 900 * WAD)
    with boa.reverts("staking: amount exceeds unlocked stake"), boa.env.prank(trainer):
        arena.staking.request_withdraw(trainer, 100 * WAD + 1)
