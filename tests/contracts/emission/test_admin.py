"""Governance's levers on the emission contract: the constructor's and every
setter's bounds, the role check, verifying and unverifying tasks, and the
checkpoint each of them makes first so that timing is exact."""

import boa
import pytest
from emission_support import (
    BPS,
    DAY,
    YEAR,
    D,
    cut,
    logs_named,
    named,
    over,
)

from support.arena import (
    PHASE_CANCELLED,
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_FINALIZED,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    PHASE_SUBMIT,
    partial,
)
from support.constants import MAX_SUPPLY, WAD, ZERO_ADDRESS
from support.dao import DEFAULT_ADMIN_ROLE

MAX_UINT = 2**256 - 1


# --- constructor ----------------------------------------------------------------


@pytest.fixture
def deployer():
    return boa.env.generate_address("deployer")


def deploy(arena, deployer, **overrides):
    args = {
        "token": arena.token.address,
        "tasks": arena.tasks.address,
        "admin": arena.governor.address,
        "treasury": arena.treasury,
        "daily": D,
        "decay": 2_000,
        **overrides,
    }
    with boa.env.prank(deployer):
        return partial("Emission").deploy(*args.values())


def test_constructor_starts_the_schedule_and_hands_over_admin(arena, deployer, governor):
    emission = deploy(arena, deployer, daily=7 * WAD, decay=9_000)
    now = arena.now()
    assert emission.last_checkpoint() == now
    assert emission.next_decay_at() == now + YEAR
    assert (emission.daily_emission(), emission.decay_bps()) == (7 * WAD, 9_000)
    assert emission.treasury() == arena.treasury
    assert emission.emitted() == 0 and emission.verified_count() == 0
    assert emission.hasRole(DEFAULT_ADMIN_ROLE, governor)
    assert not emission.hasRole(DEFAULT_ADMIN_ROLE, deployer)
    # The task manager pulls each share with transferFrom.
    assert arena.token.allowance(emission, arena.tasks) == MAX_UINT
    assert emission.token() == arena.token.address
    assert emission.tasks() == arena.tasks.address


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"token": ZERO_ADDRESS}, "emission: token is the zero address"),
        ({"tasks": ZERO_ADDRESS}, "emission: task manager is the zero address"),
        ({"admin": ZERO_ADDRESS}, "emission: admin is the zero address"),
        ({"treasury": ZERO_ADDRESS}, "emission: treasury is the zero address"),
        ({"daily": 1_000_000 * WAD + 1}, "emission: daily emission out of bounds"),
        ({"decay": 9_001}, "emission: decay out of bounds"),
    ],
)
def test_constructor_checks_its_arguments(arena, deployer, override, reason):
    with boa.reverts(reason):
        deploy(arena, deployer, **override)


# --- role -----------------------------------------------------------------------

ADMIN_CALLS = [
    ("verify_task", 1),
    ("unverify_task", 1),
    ("set_daily_emission", D),
    ("set_decay_bps", 1_000),
    ("set_treasury", "0x" + "11" * 20),
]


@pytest.mark.parametrize(("name", "arg"), ADMIN_CALLS)
def test_only_governance_administers(arena, emission, desk, non_admin, name, arg):
    desk.task(trainers=[WAD])  # task 1 exists and runs
    # Neither an outsider nor the deployer, who gave the role up.
    for caller in (non_admin, arena.admin):
        with boa.env.prank(caller), boa.reverts("emission: caller is not the admin"):
            getattr(emission, name)(arg)


def test_a_creator_cannot_verify_its_own_task(emission, desk, creator):
    task = desk.task(trainers=[WAD])
    with boa.env.prank(creator), boa.reverts("emission: caller is not the admin"):
        emission.verify_task(task)


# --- setters' bounds ----------------------------------------------------------------


def test_daily_emission_bounds(emission, governor):
    top = emission.MAX_DAILY_EMISSION()
    # 0.1% of the token's cap a day.
    assert top == 1_000_000 * WAD == MAX_SUPPLY // 1_000
    with boa.env.prank(governor):
        emission.set_daily_emission(top)
        (log,) = logs_named(emission, "ParameterUpdated")
        assert (log.name, log.value) == ("daily_emission", top)
        with boa.reverts("emission: daily emission out of bounds"):
            emission.set_daily_emission(top + 1)
        emission.set_daily_emission(0)
    assert emission.daily_emission() == 0


def test_decay_bounds(emission, governor):
    top = emission.MAX_DECAY_BPS()
    assert top == 9_000
    with boa.env.prank(governor):
        emission.set_decay_bps(top)
        (log,) = logs_named(emission, "ParameterUpdated")
        assert (log.name, log.value) == ("decay_bps", top)
        with boa.reverts("emission: decay out of bounds"):
            emission.set_decay_bps(top + 1)
        emission.set_decay_bps(0)
    assert emission.decay_bps() == 0


def test_treasury_is_never_the_zero_address(emission, governor):
    with boa.env.prank(governor), boa.reverts("emission: treasury is the zero address"):
        emission.set_treasury(ZERO_ADDRESS)


def test_a_new_treasury_receives_what_no_task_takes(arena, emission, token, governor, start):
    reserve = boa.env.generate_address("reserve")
    arena.warp_to(start + DAY)
    with boa.env.prank(governor):
        emission.set_treasury(reserve)
    (log,) = logs_named(emission, "TreasuryUpdated")
    assert log.treasury == reserve
    # No checkpoint on this change: the day so far goes to the new treasury too.
    assert emission.last_checkpoint() == start
    before = token.balanceOf(governor)
    assert emission.checkpoint() == D
    assert token.balanceOf(reserve) == D
    assert token.balanceOf(governor) == before


# --- verify / unverify ----------------------------------------------------------------


def move_to(arena, creator, task, phase):
    if phase == PHASE_SUBMIT:
        return
    if phase in (PHASE_MODEL_REVEAL, PHASE_EVAL_REVEAL, PHASE_CANCELLED):
        arena.to_phase(task, phase)
        return
    arena.to_phase(task, PHASE_EVAL_REVEAL)
    arena.reveal_eval(task, creator)
    if phase in (PHASE_SCORE_REVEAL, PHASE_FINALIZE):
        arena.to_phase(task, phase)
    if phase == PHASE_FINALIZED:
        arena.to_phase(task, PHASE_FINALIZE)
        arena.finalize(task)


@pytest.mark.parametrize(
    "phase",
    [PHASE_SUBMIT, PHASE_MODEL_REVEAL, PHASE_EVAL_REVEAL, PHASE_SCORE_COMMIT, PHASE_SCORE_REVEAL],
)
def test_a_running_task_can_be_verified_in_any_of_its_phases(
    arena, emission, tm, desk, creator, phase
):
    task = desk.task(trainers=[WAD])
    move_to(arena, creator, task, phase)
    assert tm.phase(task) == phase
    desk.verify(task)
    assert named(emission.get_logs(), "TaskVerified")[0].task_id == task
    assert emission.is_verified(task)
    assert emission.verified_tasks(0) == task


@pytest.mark.parametrize("phase", [PHASE_FINALIZE, PHASE_FINALIZED, PHASE_CANCELLED])
def test_a_task_that_is_not_running_cannot_be_verified(
    arena, emission, tm, desk, creator, governor, phase
):
    task = desk.task()
    move_to(arena, creator, task, phase)
    assert tm.phase(task) == phase
    with boa.env.prank(governor), boa.reverts("emission: task is not running"):
        emission.verify_task(task)


@pytest.mark.parametrize("task", [0, 2])
def test_a_task_that_does_not_exist_cannot_be_verified(emission, desk, governor, task):
    desk.task(trainers=[WAD])  # task 1
    with boa.env.prank(governor), boa.reverts("emission: task is not running"):
        emission.verify_task(task)


def test_a_task_is_verified_once(emission, desk, governor):
    task = desk.verified(trainers=[WAD])
    with boa.env.prank(governor), boa.reverts("emission: task already verified"):
        emission.verify_task(task)
    assert emission.verified_count() == 1


def test_only_a_verified_task_can_be_unverified(emission, desk, governor):
    task = desk.task(trainers=[WAD])
    with boa.env.prank(governor), boa.reverts("emission: task not verified"):
        emission.unverify_task(task)
    desk.verify(task)
    desk.unverify(task)
    (log,) = logs_named(emission, "TaskUnverified")
    assert (log.task_id, log.finished) == (task, False)
    assert not emission.is_verified(task) and emission.verified_count() == 0
    with boa.env.prank(governor), boa.reverts("emission: task not verified"):
        emission.unverify_task(task)
    # And verified again.
    desk.verify(task)
    assert emission.is_verified(task)


def test_verify_checkpoints_first(arena, emission, tm, token, desk, governor, start):
    task = desk.task(trainers=[100 * WAD])
    arena.warp_to(start + DAY)
    before = token.balanceOf(governor)
    desk.verify(task)
    (log,) = logs_named(emission, "Checkpointed")
    # The day before the verification is not the task's.
    assert (log.released, log.to_tasks, log.to_treasury) == (D, 0, D)
    assert token.balanceOf(governor) - before == D
    assert tm.tasks(task).emission == 0
    arena.warp_to(start + DAY + 3_600)
    assert emission.checkpoint() == over(D, 3_600)
    assert tm.tasks(task).emission == emission.emission_of(task) == over(D, 3_600)


def test_unverify_checkpoints_first(arena, emission, tm, token, desk, governor, start):
    task = desk.verified(trainers=[100 * WAD])
    arena.warp_to(start + DAY)
    desk.unverify(task)
    logs = emission.get_logs()
    # The day before the change is the task's.
    assert tm.tasks(task).emission == emission.emission_of(task) == D
    assert named(logs, "Checkpointed")[0].to_tasks == D
    assert [(e.task_id, e.finished) for e in named(logs, "TaskUnverified")] == [(task, False)]
    before = token.balanceOf(governor)
    arena.warp_to(start + 2 * DAY)
    assert emission.checkpoint() == D
    assert token.balanceOf(governor) - before == D
    assert tm.tasks(task).emission == D


def test_unverifying_a_task_that_just_finished_drops_it_once(
    arena, emission, tm, desk, creator, start
):
    task = desk.verified(trainers=[100 * WAD], eval_duration=3_600)
    arena.to_phase(task, PHASE_CANCELLED)
    desk.unverify(task)
    # Its own checkpoint found it cancelled; nothing else to remove.
    assert [(e.task_id, e.finished) for e in logs_named(emission, "TaskUnverified")] == [
        (task, True)
    ]
    assert emission.verified_count() == 0 and not emission.is_verified(task)
    assert tm.tasks(task).emission == 0


# --- parameter changes and time -----------------------------------------------------------


def test_a_new_daily_emission_applies_from_the_change(arena, emission, governor, start):
    arena.warp_to(start + DAY // 2)
    with boa.env.prank(governor):
        emission.set_daily_emission(2 * D)
    (checkpointed,) = logs_named(emission, "Checkpointed")
    assert checkpointed.released == D // 2
    assert emission.last_checkpoint() == start + DAY // 2
    arena.warp_to(start + DAY)
    assert emission.checkpoint() == D
    assert emission.emitted() == D // 2 + D


def test_a_new_daily_emission_is_cut_at_the_anniversary(arena, emission, governor, start):
    arena.warp_to(start + YEAR - DAY)
    with boa.env.prank(governor):
        emission.set_daily_emission(3 * D)
    assert emission.emitted() == 364 * D
    arena.warp_to(start + YEAR + DAY)
    assert emission.checkpoint() == 3 * D + cut(3 * D)
    assert emission.daily_emission() == cut(3 * D)


def test_a_new_decay_applies_from_the_next_cut(arena, emission, governor, start):
    arena.warp_to(start + YEAR // 2)
    with boa.env.prank(governor):
        emission.set_decay_bps(5_000)
    assert emission.emitted() == over(D, YEAR // 2)
    assert emission.daily_emission() == D
    arena.warp_to(start + YEAR + DAY)
    assert emission.checkpoint() == over(D, YEAR - YEAR // 2) + D // 2
    assert emission.daily_emission() == D * 5_000 // BPS


def years_of_rates(n: int) -> list[int]:
    rates = [D]
    for _ in range(n):
        rates.append(cut(rates[-1]))
    return rates


def test_a_rate_change_after_a_long_pause_is_not_retroactive(arena, emission, governor, start):
    arena.warp_to(start + 20 * YEAR)
    with boa.env.prank(governor):
        emission.set_daily_emission(0)
    while emission.pending():
        emission.checkpoint()
    # The doc: "Changing a parameter first checkpoints at the old values."
    assert emission.emitted() == 365 * sum(years_of_rates(20)[:20])


def test_a_task_verified_after_a_long_pause_gets_nothing_of_the_past(
    arena, emission, tm, desk, start
):
    arena.warp_to(start + 20 * YEAR)
    # Created after 20 years without a checkpoint, verified at once.
    task = desk.verified(trainers=[WAD])
    while emission.pending():
        emission.checkpoint()
    # The doc: "Checkpoints first, so the task receives nothing for earlier time."
    assert emission.emission_of(task) == tm.tasks(task).emission == 0
