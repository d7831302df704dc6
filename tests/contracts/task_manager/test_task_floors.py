"""Floors of a new task's terms (set_floors): the fewest validator slots, the
least validator stake, the least bond and the least trainer stake, the three
last in bps of the reward.

    max_validators      >= max(min_validator_slots, 1)
    min_validator_stake >= reward * min_validator_stake_bps // 10_000
    bond                >= max(min_creator_bond, reward * min_bond_bps // 10_000)
    min_trainer_stake   >= reward * min_trainer_stake_bps // 10_000

Defaults 3 slots, 1,000 bps (10%), 100 bps (1%) and 100 bps (1%); governance
sets all four at once, each within its bound (slots <= MAX_VALIDATORS, bps
<= 10_000), with one FloorsUpdated event.
"""

import boa
import pytest
from task_manager_support import FLOORS, logs_named

from support.arena import ROLE_VALIDATOR, TaskTerms, partial
from support.constants import WAD

NOT_ADMIN = "task: caller is not the admin"
OUT_OF_BOUNDS = "task: floor out of bounds"


def floors(tm) -> tuple[int, int, int, int]:
    return (
        tm.min_validator_slots(),
        tm.min_validator_stake_bps(),
        tm.min_bond_bps(),
        tm.min_trainer_stake_bps(),
    )


def logged(log) -> tuple[int, int, int, int]:
    return (log.validator_slots, log.validator_stake_bps, log.bond_bps, log.trainer_stake_bps)


def create(arena, creator, **terms) -> int:
    return arena.create(creator, TaskTerms(**terms))


# --- defaults, setter ---------------------------------------------------------------


def test_defaults(tm):
    assert floors(tm) == FLOORS == (3, 1_000, 100, 100)


def test_constructor_logs_the_default_floors(arena):
    tm = partial("TaskManager").deploy(
        arena.token.address, arena.staking.address, arena.admin, arena.treasury
    )
    (log,) = logs_named(tm, "FloorsUpdated")
    assert logged(log) == (3, 1_000, 100, 100)


def test_set_floors_updates_all_four_and_logs_once(game, tm):
    game.set_floors(5, 2_500, 300, 700)
    logs = tm.get_logs()
    (log,) = logs_named(tm, "FloorsUpdated")
    assert logged(log) == (5, 2_500, 300, 700)
    assert [type(e).__name__ for e in logs] == ["FloorsUpdated"]
    assert floors(tm) == (5, 2_500, 300, 700)


def test_floor_bounds_are_inclusive(game, tm):
    game.set_floors(64, 10_000, 10_000, 10_000)
    assert floors(tm) == (64, 10_000, 10_000, 10_000)
    game.set_floors(0, 0, 0, 0)
    assert floors(tm) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "values",
    [
        (65, 1_000, 100, 100),
        (3, 10_001, 100, 100),
        (3, 1_000, 10_001, 100),
        (3, 1_000, 100, 10_001),
    ],
    ids=["slots", "validator stake", "bond", "trainer stake"],
)
def test_floor_out_of_bounds_reverts(game, tm, values):
    with boa.reverts(OUT_OF_BOUNDS):
        game.set_floors(*values)
    assert floors(tm) == FLOORS


def test_set_floors_needs_the_admin(tm, creator, non_owner):
    for account in (non_owner, creator):
        with boa.reverts(NOT_ADMIN), boa.env.prank(account):
            tm.set_floors(0, 0, 0, 0)
    assert floors(tm) == FLOORS


# --- create_task: validator slots -----------------------------------------------------------


def test_validator_slots_at_least_the_floor(arena, tm, creator):
    with boa.reverts("task: validator cap out of bounds"):
        create(arena, creator, max_validators=2)
    task = create(arena, creator, max_validators=3)
    assert tm.tasks(task).max_validators == 3


def test_validator_slots_follow_a_raised_floor(arena, game, tm, creator):
    game.set_floors(64, 1_000, 100)
    with boa.reverts("task: validator cap out of bounds"):
        create(arena, creator, max_validators=63)
    assert tm.tasks(create(arena, creator, max_validators=64)).max_validators == 64


@pytest.mark.parametrize("slots", [0, 1])
def test_a_task_needs_one_validator_slot_whatever_the_floor(arena, game, tm, creator, slots):
    game.set_floors(slots, 1_000, 100)
    with boa.reverts("task: validator cap out of bounds"):
        create(arena, creator, max_validators=0)
    assert tm.tasks(create(arena, creator, max_validators=1)).max_validators == 1


# --- create_task: validator stake -----------------------------------------------------------


def test_validator_stake_at_least_the_floor(arena, tm, creator):
    with boa.reverts("task: validator stake too low"):
        create(arena, creator, min_validator_stake=100 * WAD - 1)
    task = create(arena, creator, min_validator_stake=100 * WAD)
    assert tm.tasks(task).min_validator_stake == 100 * WAD


def test_validator_stake_floor_rounds_down(arena, tm, creator):
    # 10% of 1,000 ARENA + 19 wei is 100 ARENA + 1.9 wei: the floor is 100 ARENA + 1.
    reward = 1_000 * WAD + 19
    with boa.reverts("task: validator stake too low"):
        create(arena, creator, reward=reward, min_validator_stake=100 * WAD)
    task = create(arena, creator, reward=reward, min_validator_stake=100 * WAD + 1)
    assert tm.tasks(task).min_validator_stake == 100 * WAD + 1


def test_validator_stake_floor_scales_with_the_reward(arena, game, tm, creator):
    game.set_floors(3, 10_000, 100)
    with boa.reverts("task: validator stake too low"):
        create(arena, creator, min_validator_stake=1_000 * WAD - 1)
    create(arena, creator, min_validator_stake=1_000 * WAD)
    game.set_floors(3, 0, 100)
    task = create(arena, creator, min_validator_stake=1)
    assert tm.tasks(task).min_validator_stake == 1


def test_floors_apply_to_new_tasks_only(arena, game, tm, creator, validator):
    """Floors gate create_task only: a running task's terms stay as they were."""
    task = create(arena, creator)
    game.set_floors(8, 5_000, 1_000)
    arena.join(task, validator, ROLE_VALIDATOR, 100 * WAD)
    assert tm.tasks(task).n_validators == 1
    with boa.reverts("task: validator stake too low"):
        create(arena, creator, max_validators=8, bond=100 * WAD)


# --- create_task: bond ------------------------------------------------------------------


def test_bond_at_least_one_percent_of_the_reward(arena, tm, creator):
    with boa.reverts("task: bond below minimum"):
        create(arena, creator, bond=10 * WAD - 1)
    assert tm.tasks(create(arena, creator, bond=10 * WAD)).bond == 10 * WAD


def test_bond_at_least_the_minimum_bond_of_a_small_reward(arena, tm, creator):
    # 1% of 50 ARENA is half an ARENA: the minimum bond of 1 ARENA applies.
    terms = {"reward": 50 * WAD, "min_validator_stake": 5 * WAD}
    with boa.reverts("task: bond below minimum"):
        create(arena, creator, bond=WAD - 1, **terms)
    assert tm.tasks(create(arena, creator, bond=WAD, **terms)).bond == WAD


def test_bond_floor_takes_the_larger_of_the_two(arena, game, tm, creator):
    with boa.env.prank(arena.admin):
        tm.set_min_creator_bond(20 * WAD)
    with boa.reverts("task: bond below minimum"):
        create(arena, creator, bond=20 * WAD - 1)
    create(arena, creator, bond=20 * WAD)
    game.set_floors(3, 1_000, 300)
    with boa.reverts("task: bond below minimum"):
        create(arena, creator, bond=30 * WAD - 1)
    assert tm.tasks(create(arena, creator, bond=30 * WAD)).bond == 30 * WAD


def test_bond_floor_of_the_whole_reward(arena, game, tm, creator):
    game.set_floors(3, 1_000, 10_000)
    with boa.reverts("task: bond below minimum"):
        create(arena, creator, bond=1_000 * WAD - 1)
    task = create(arena, creator, bond=1_000 * WAD)
    assert tm.tasks(task).balance == 2_000 * WAD


# --- create_task: trainer stake ---------------------------------------------------------


def test_trainer_stake_at_least_one_percent_of_the_reward(arena, tm, creator):
    with boa.reverts("task: trainer stake too low"):
        create(arena, creator, min_trainer_stake=10 * WAD - 1)
    task = create(arena, creator, min_trainer_stake=10 * WAD)
    assert tm.tasks(task).min_trainer_stake == 10 * WAD


def test_trainer_stake_floor_scales_with_the_reward(arena, game, tm, creator):
    # 25% of 1,000 ARENA + 3 wei is 250 ARENA + 0.75 wei: the floor rounds down.
    game.set_floors(3, 1_000, 100, 2_500)
    reward = 1_000 * WAD + 3
    with boa.reverts("task: trainer stake too low"):
        create(arena, creator, reward=reward, min_trainer_stake=250 * WAD - 1)
    task = create(arena, creator, reward=reward, min_trainer_stake=250 * WAD)
    assert tm.tasks(task).min_trainer_stake == 250 * WAD


def test_no_trainer_stake_floor_still_needs_a_nonzero_stake(arena, game, tm, creator):
    game.set_floors(3, 1_000, 100, 0)
    with boa.reverts("task: minimum stake is zero"):
        create(arena, creator, min_trainer_stake=0)
    assert tm.tasks(create(arena, creator, min_trainer_stake=1)).min_trainer_stake == 1
