"""How a checkpoint splits what it mints across the verified tasks.

Each verified running task takes floor(due * w / W), w its emission weight
(the effective stake of the trainers and validators that committed in it: a
trainer from its model commit, a validator from its score commit) and W the
sum over the verified tasks; the rounding dust, and everything when W is 0, goes to the
treasury. A verified task that stopped running leaves the list with
TaskUnverified(finished=True), and its weight no longer counts.
"""

import boa
import pytest
from emission_support import DAY, D, named, over

from support.arena import PHASE_CANCELLED, PHASE_EVAL_REVEAL, PHASE_FINALIZE
from support.constants import WAD

WEIGHTS = [100 * WAD, 200 * WAD, 400 * WAD]


def balances(arena, tasks):
    token = arena.token
    return (
        token.balanceOf(arena.treasury),
        [arena.tasks.tasks(t).balance for t in tasks],
        token.balanceOf(arena.tasks),
    )


def expect_split(arena, tasks, due, shares):
    """Checkpoint now: it mints `due`, the tasks get `shares` and the
    treasury the rest; returns the call's events."""
    emission, tm = arena.emission, arena.tasks
    before_emission = [emission.emission_of(t) for t in tasks]
    treasury, task_balances, held = balances(arena, tasks)
    assert emission.checkpoint() == due
    logs = emission.get_logs()

    dust = due - sum(shares)
    after_treasury, after_tasks, after_held = balances(arena, tasks)
    assert after_treasury - treasury == dust
    assert after_held - held == sum(shares)
    for t, b0, b1, e0, share in zip(
        tasks, task_balances, after_tasks, before_emission, shares, strict=True
    ):
        assert b1 - b0 == share
        assert emission.emission_of(t) - e0 == share
        assert tm.tasks(t).emission == emission.emission_of(t)

    funded = {e.task_id: e.amount for e in named(logs, "TaskEmission")}
    assert funded == {t: s for t, s in zip(tasks, shares, strict=True) if s}
    (log,) = named(logs, "Checkpointed")
    assert (log.released, log.to_tasks, log.to_treasury) == (due, sum(shares), dust)
    assert arena.token.balanceOf(emission) == 0
    return logs


def test_one_task_takes_the_whole_day(arena, desk, emission, tm, start):
    task = desk.verified(trainers=[60 * WAD], validators=[40 * WAD])
    # The validator has not committed scores yet: only the trainer weighs.
    assert tm.emission_weight(task) == 60 * WAD
    arena.warp_to(start + DAY)
    (log,) = named(expect_split(arena, [task], D, [D]), "TaskEmission")
    assert (log.task_id, log.amount, log.weight) == (task, D, 60 * WAD)
    terms = tm.tasks(task)
    assert terms.balance == terms.reward + terms.bond + D


@pytest.mark.parametrize("n", [1, 2, 3])
def test_tasks_share_by_weight_rounded_down(arena, desk, start, n):
    tasks = [desk.verified(trainers=[w]) for w in WEIGHTS[:n]]
    arena.warp_to(start + 7)
    due = over(D, 7)
    assert due == 8_101_851_851_851_851_851
    total = sum(WEIGHTS[:n])
    shares = [due * w // total for w in WEIGHTS[:n]]
    expect_split(arena, tasks, due, shares)
    dust = due - sum(shares)
    # Thirds and sevenths of an amount divisible by neither: one wei of dust.
    assert dust == {1: 0, 2: 1, 3: 1}[n]
    if n == 3:
        assert shares == [
            1_157_407_407_407_407_407,
            2_314_814_814_814_814_814,
            4_629_629_629_629_629_629,
        ]


def test_weights_mix_trainers_and_validators_of_each_task(arena, desk, tm, start):
    # Submit and model reveal phases of a minute: scores are committed at once.
    quick = {"submit_duration": 60, "reveal_duration": 60}
    first = desk.verified(trainers=[30 * WAD, 20 * WAD], validators=[50 * WAD], **quick)
    second = desk.verified(validators=[300 * WAD], **quick)
    assert [tm.emission_weight(t) for t in (first, second)] == [50 * WAD, 0]
    for task in (first, second):
        desk.commit_scores(task)
    assert [tm.emission_weight(t) for t in (first, second)] == [100 * WAD, 300 * WAD]
    arena.warp_to(start + DAY)
    expect_split(arena, [first, second], D, [D // 4, 3 * D // 4])


def test_joined_stake_counts_once_committed(arena, desk, tm, start):
    """A trainer that joined but has not committed a model weighs nothing:
    its task gets no emission until it commits."""
    idle = desk.verified(trainers=[100 * WAD], commit=False)
    busy = desk.verified(trainers=[300 * WAD])
    assert [tm.emission_weight(t) for t in (idle, busy)] == [0, 300 * WAD]
    arena.warp_to(start + DAY)
    expect_split(arena, [idle, busy], D, [0, D])
    desk.commit_models(idle)
    assert tm.emission_weight(idle) == 100 * WAD
    arena.warp_to(start + 2 * DAY)
    expect_split(arena, [idle, busy], D, [D // 4, 3 * D // 4])


def test_a_share_that_rounds_to_zero_is_not_funded(arena, desk, tm, start, governor):
    # A one-wei pool joins only without staking's minimum pool stake.
    with boa.env.prank(governor):
        arena.staking.set_min_pool_stake(0)
    tiny = desk.verified(trainers=[1])
    large = desk.verified(trainers=[1_000 * WAD])
    arena.warp_to(start + 1)
    due = over(D, 1)
    total = 1_000 * WAD + 1
    shares = [0, due * 1_000 * WAD // total]
    # fund() refuses a zero amount: the task is skipped, not the checkpoint.
    logs = expect_split(arena, [tiny, large], due, shares)
    assert due - sum(shares) == 1
    assert [e.task_id for e in named(logs, "TaskEmission")] == [large]
    assert tm.tasks(tiny).emission == 0


def test_without_weight_everything_goes_to_the_treasury(arena, desk, emission, start):
    # Verified but nobody joined; verified, joined but nobody committed;
    # committed but not verified.
    empty = desk.verified()
    uncommitted = desk.verified(trainers=[100 * WAD], validators=[100 * WAD], commit=False)
    unverified = desk.task(trainers=[100 * WAD])
    arena.warp_to(start + DAY)
    logs = expect_split(arena, [empty, uncommitted, unverified], D, [0, 0, 0])
    assert named(logs, "TaskEmission") == []
    # A running task with no weight stays verified.
    assert emission.is_verified(empty) and emission.is_verified(uncommitted)
    assert emission.verified_count() == 2


def finish(arena, creator, task, how):
    if how == "cancelled":
        arena.to_phase(task, PHASE_CANCELLED)
    else:
        arena.to_phase(task, PHASE_EVAL_REVEAL)
        arena.reveal_eval(task, creator)
        arena.to_phase(task, PHASE_FINALIZE)


@pytest.mark.parametrize(("how", "phase"), [("cancelled", 8), ("scored", PHASE_FINALIZE)])
def test_a_finished_task_is_dropped_and_the_others_take_its_share(
    arena, desk, emission, tm, creator, start, how, phase
):
    short = desk.verified(
        trainers=[100 * WAD],
        submit_duration=DAY,
        reveal_duration=DAY,
        eval_duration=DAY,
        score_commit_duration=DAY,
        score_reveal_duration=DAY,
    )
    other = desk.verified(trainers=[300 * WAD])
    arena.warp_to(start + DAY // 2)
    half = over(D, DAY // 2)
    expect_split(arena, [short, other], half, [half // 4, 3 * half // 4])

    finish(arena, creator, short, how)
    assert tm.phase(short) == phase
    assert tm.emission_weight(short) == 0
    due = emission.pending()
    logs = expect_split(arena, [short, other], due, [0, due])
    (dropped,) = named(logs, "TaskUnverified")
    assert (dropped.task_id, dropped.finished) == (short, True)
    assert not emission.is_verified(short)
    assert emission.verified_count() == 1
    assert emission.verified_tasks(0) == other
    # What it received stays its own.
    assert emission.emission_of(short) == tm.tasks(short).emission == half // 4


def test_dropping_swaps_the_last_task_into_the_gap(arena, desk, emission, creator, start):
    short = {
        "submit_duration": 3_600,
        "reveal_duration": 3_600,
        "eval_duration": 3_600,
    }
    first = desk.verified(trainers=[50 * WAD], **short)
    light = desk.verified(trainers=[100 * WAD])
    second = desk.verified(trainers=[70 * WAD], **short)
    heavy = desk.verified(trainers=[300 * WAD])
    assert [emission.verified_tasks(i) for i in range(4)] == [first, light, second, heavy]

    # Neither short task's creator reveals its eval set: both are cancelled.
    arena.warp_to(start + 3 * 3_600)
    due = emission.pending()
    assert due == over(D, 3 * 3_600)
    logs = expect_split(arena, [first, light, second, heavy], due, [0, due // 4, 0, 3 * due // 4])
    assert [(e.task_id, e.finished) for e in named(logs, "TaskUnverified")] == [
        (first, True),
        (second, True),
    ]
    # first's slot took heavy (the last), then second (now last) was popped.
    assert emission.verified_count() == 2
    assert [emission.verified_tasks(i) for i in range(2)] == [heavy, light]
    # The weights still go with the right tasks.
    arena.warp_to(start + DAY)
    due = emission.pending()
    expect_split(arena, [light, heavy], due, [due // 4, 3 * due // 4])


def test_at_most_max_verified_tasks(arena, desk, emission, governor, start):
    limit = emission.MAX_VERIFIED_TASKS()
    assert limit == 32
    # The first one ends early (its eval set is never revealed).
    early = desk.verified(trainers=[WAD], submit_duration=60, reveal_duration=60, eval_duration=60)
    tasks = [early] + [desk.verified(trainers=[(k + 2) * WAD]) for k in range(limit - 1)]
    assert emission.verified_count() == limit
    extra = desk.task(trainers=[WAD])
    with boa.env.prank(governor), boa.reverts("emission: too many verified tasks"):
        emission.verify_task(extra)

    # A checkpoint visits all of them.
    arena.warp_to(start + 60)
    weights = [WAD] + [(k + 2) * WAD for k in range(limit - 1)]
    due = over(D, 60)
    expect_split(arena, tasks, due, [due * w // sum(weights) for w in weights])

    # Once one is over, verify_task's own checkpoint drops it and makes room.
    arena.warp_to(start + 180)
    desk.verify(extra)
    events = [type(e).__name__ for e in emission.get_logs() if "Task" in type(e).__name__]
    assert events[0] == "TaskUnverified" and events[-1] == "TaskVerified"
    assert emission.verified_count() == limit
    assert not emission.is_verified(early)
    assert emission.is_verified(extra)
