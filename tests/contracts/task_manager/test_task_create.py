"""create_task: escrow, recorded terms, deadlines, validation of every field."""

import boa
import pytest
from task_manager_support import logs_named

from support.arena import PHASE_NONE, PHASE_SUBMIT, TaskTerms, eval_commitment
from support.constants import DAY, WAD

FIELDS = (
    "kind",
    "spec_hash",
    "spec_uri",
    "eval_commitment",
    "reward",
    "bond",
    "min_trainer_stake",
    "min_validator_stake",
    "max_trainers",
    "max_validators",
    "submit_duration",
    "reveal_duration",
    "eval_duration",
    "score_commit_duration",
    "score_reveal_duration",
    "tolerance_bps",
)
DURATIONS = FIELDS[10:15]


def params(**overrides) -> tuple:
    """TaskTerms' parameters as create_task takes them, with overrides by name."""
    unknown = set(overrides) - set(FIELDS)
    assert not unknown, unknown
    values = dict(zip(FIELDS, TaskTerms().as_params(), strict=True))
    values.update(overrides)
    return tuple(values[name] for name in FIELDS)


def create(tm, creator, **overrides) -> int:
    with boa.env.prank(creator):
        return tm.create_task(params(**overrides))


def test_create_task_escrows_reward_and_bond(arena, tm, creator):
    before = arena.token.balanceOf(creator)
    task_id = create(tm, creator)
    assert task_id == 1
    assert tm.task_count() == 1
    assert arena.token.balanceOf(creator) == before - 1_010 * WAD
    assert arena.token.balanceOf(tm.address) == 1_010 * WAD
    assert tm.tasks(task_id).balance == 1_010 * WAD
    assert tm.phase(task_id) == PHASE_SUBMIT


def test_create_task_records_the_terms(arena, tm, creator):
    # Above the floors of a 500 ARENA reward: a bond of 5, a validator stake of 50.
    terms = TaskTerms(
        reward=500 * WAD,
        bond=6 * WAD,
        min_trainer_stake=7 * WAD,
        min_validator_stake=90 * WAD,
        max_trainers=5,
        max_validators=4,
        tolerance_bps=250,
    )
    task_id = arena.create(creator, terms)
    task = tm.tasks(task_id)
    assert task.creator == creator
    assert task.kind == terms.kind
    assert task.spec_hash == terms.spec_hash
    assert task.eval_commitment == eval_commitment(terms.eval_hash, terms.eval_salt)
    assert task.eval_hash == b"\0" * 32
    assert (task.reward, task.bond) == (500 * WAD, 6 * WAD)
    assert (task.min_trainer_stake, task.min_validator_stake) == (7 * WAD, 90 * WAD)
    assert (task.max_trainers, task.max_validators, task.tolerance_bps) == (5, 4, 250)
    assert (task.n_trainers, task.n_validators, task.unclaimed) == (0, 0, 0)
    assert (task.trainer_weight, task.validator_weight) == (0, 0)
    assert not task.eval_revealed and not task.cancelled
    assert (task.stage, task.cursor) == (0, 0)
    assert (task.train_reward, task.validator_reward) == (0, 0)
    assert (task.train_weight_sum, task.validator_weight_sum) == (0, 0)


def test_deadlines_follow_each_other(arena, tm, creator):
    now = arena.now()
    task_id = create(
        tm,
        creator,
        submit_duration=100,
        reveal_duration=200,
        eval_duration=300,
        score_commit_duration=400,
        score_reveal_duration=500,
    )
    assert arena.deadlines(task_id) == {
        "submit_end": now + 100,
        "reveal_end": now + 300,
        "eval_end": now + 600,
        "score_commit_end": now + 1_000,
        "score_reveal_end": now + 1_500,
    }


def test_task_created_event(arena, tm, creator):
    terms = TaskTerms()
    now = arena.now()
    task_id = arena.create(creator, terms)
    (log,) = logs_named(tm, "TaskCreated")
    assert (log.task_id, log.creator) == (task_id, creator)
    assert (log.kind, log.spec_hash, log.spec_uri) == (terms.kind, terms.spec_hash, terms.spec_uri)
    assert log.eval_commitment == eval_commitment(terms.eval_hash, terms.eval_salt)
    assert (log.reward, log.bond) == (terms.reward, terms.bond)
    assert (
        log.submit_end,
        log.reveal_end,
        log.eval_end,
        log.score_commit_end,
        log.score_reveal_end,
    ) == (now + 3_600, now + 7_200, now + 10_800, now + 14_400, now + 18_000)


def test_task_ids_count_up(arena, tm, creator):
    assert [arena.create(creator) for _ in range(3)] == [1, 2, 3]
    assert tm.task_count() == 3
    assert tm.tasks(2).creator == creator


def test_reward_terms_are_copied_from_the_parameters(arena, tm, creator):
    task_id = arena.create(creator)
    with boa.env.prank(arena.admin):
        tm.set_gamma_wad(5 * 10**17)
        tm.set_q_wad(WAD)
        tm.set_protocol_fee_bps(2_000)
        tm.set_plagiarism_slash_bps(3_000)
        tm.set_nonreveal_slash_bps(4_000)
    later = arena.create(creator)
    first, second = tm.tasks(task_id), tm.tasks(later)
    assert (first.gamma_wad, first.q_wad, first.protocol_fee_bps) == (2 * 10**17, 85 * 10**16, 500)
    assert (first.plagiarism_slash_bps, first.nonreveal_slash_bps) == (1_000, 500)
    assert (second.gamma_wad, second.q_wad, second.protocol_fee_bps) == (5 * 10**17, WAD, 2_000)
    assert (second.plagiarism_slash_bps, second.nonreveal_slash_bps) == (3_000, 4_000)


def test_unknown_task_has_no_phase(tm, task):
    assert tm.phase(0) == PHASE_NONE
    assert tm.phase(task + 1) == PHASE_NONE


REJECTS = [
    ({"reward": 0}, "task: reward is zero"),
    # The floor of the default 1,000 ARENA reward: 1% of it, 10 ARENA.
    ({"bond": 10 * WAD - 1}, "task: bond below minimum"),
    ({"bond": 0}, "task: bond below minimum"),
    ({"spec_hash": b"\0" * 32}, "task: spec hash is empty"),
    ({"eval_commitment": b"\0" * 32}, "task: eval commitment is empty"),
    ({"min_trainer_stake": 0}, "task: minimum stake is zero"),
    ({"min_validator_stake": 0}, "task: minimum stake is zero"),
    ({"max_trainers": 0}, "task: trainer cap out of bounds"),
    ({"max_trainers": 129}, "task: trainer cap out of bounds"),
    ({"max_validators": 0}, "task: validator cap out of bounds"),
    # Below the floor of 3 validator slots.
    ({"max_validators": 2}, "task: validator cap out of bounds"),
    ({"max_validators": 65}, "task: validator cap out of bounds"),
    # Below 10% of the reward.
    ({"min_validator_stake": 100 * WAD - 1}, "task: validator stake too low"),
    ({"tolerance_bps": 1_001}, "task: tolerance out of bounds"),
    ({"tolerance_bps": 10_000}, "task: tolerance out of bounds"),
    # A bond and a validator stake at the floors of that reward.
    (
        {"reward": 10**27 + 1, "bond": 10**25, "min_validator_stake": 10**26},
        "task: amount above the token supply cap",
    ),
    ({"bond": 10**27 + 1}, "task: amount above the token supply cap"),
]


@pytest.mark.parametrize(
    "overrides, reason",
    REJECTS,
    ids=[",".join(f"{k}={v}" for k, v in overrides.items()) for overrides, _ in REJECTS],
)
def test_create_task_rejects(tm, creator, overrides, reason):
    with boa.reverts(reason):
        create(tm, creator, **overrides)
    assert tm.task_count() == 0


@pytest.mark.parametrize("field", DURATIONS)
@pytest.mark.parametrize("duration", [0, 59, 30 * DAY + 1])
def test_phase_duration_out_of_bounds(tm, creator, field, duration):
    with boa.reverts("task: phase duration out of bounds"):
        create(tm, creator, **{field: duration})


@pytest.mark.parametrize("duration", [60, 30 * DAY])
def test_phase_duration_bounds_are_inclusive(arena, tm, creator, duration):
    now = arena.now()
    task_id = create(tm, creator, **dict.fromkeys(DURATIONS, duration))
    assert tm.tasks(task_id).score_reveal_end == now + 5 * duration


def test_other_bounds_are_inclusive(tm, creator):
    task_id = create(tm, creator, max_trainers=128, max_validators=64, tolerance_bps=1_000)
    task = tm.tasks(task_id)
    assert (task.max_trainers, task.max_validators, task.tolerance_bps) == (128, 64, 1_000)
    # Every floor of a 1,000 ARENA reward met exactly (3 validator slots, a
    # bond of 1%, a validator stake of 10% and a trainer stake of 1%), a spec
    # URI of the longest length.
    task_id = create(
        tm,
        creator,
        max_validators=3,
        bond=10 * WAD,
        min_trainer_stake=10 * WAD,
        min_validator_stake=100 * WAD,
        spec_uri="u" * 256,
    )
    task = tm.tasks(task_id)
    assert (task.max_validators, task.bond, task.min_validator_stake, task.min_trainer_stake) == (
        3,
        10 * WAD,
        100 * WAD,
        10 * WAD,
    )
    assert tm.task_count() == 2


def test_zero_bond_when_the_minimums_are_zero(arena, game, tm, creator):
    with boa.env.prank(arena.admin):
        tm.set_min_creator_bond(0)
    # The bond's floor of 1% of the reward still applies.
    with boa.reverts("task: bond below minimum"):
        create(tm, creator, bond=0)
    game.set_floors(3, 1_000, 0)
    task_id = create(tm, creator, bond=0)
    assert tm.tasks(task_id).balance == TaskTerms().reward


def test_kind_and_uri_are_free_form(tm, creator):
    task_id = create(tm, creator, kind=b"\0" * 32, spec_uri="")
    assert tm.tasks(task_id).kind == b"\0" * 32


def test_create_task_needs_an_allowance(arena, tm, creator):
    with boa.env.prank(creator):
        arena.token.approve(tm.address, 1_010 * WAD - 1)
    with boa.reverts("erc20: insufficient allowance"):
        create(tm, creator)


def test_create_task_needs_the_tokens(arena, tm):
    poor = arena.actor("poor creator", 1_000 * WAD)
    with boa.reverts("erc20: transfer amount exceeds balance"):
        create(tm, poor)
