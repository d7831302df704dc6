"""Attack: phantom stake shifts the split and squats the slots.

A trainer joins with a large stake and never commits a model. Its stake
counted in T, the trainers' side of the split R_train = R (gamma + (1 - 2
gamma) T / (T + S)), and in the task's emission weight, so the honest
trainer got more than its due from the validators' share and the task drew
more emission; the phantom got its stake back whole. Filling every trainer
slot at the minimum stake the same way kept others out for free.

Defence: T, S and the emission weight count only participants who
committed, and for the split only those who revealed; a participant that
did not reveal (a trainer that never committed included) is slashed
`nonreveal_slash_bps` of its stake at its claim.

Squatting every slot is priced by a DAO floor on the trainer stake: a task's
`min_trainer_stake` is at least `min_trainer_stake_bps` (1% by default) of
its reward, so a squatter of every slot locks max_trainers times that and
loses the non-reveal slash of each.

What remains: a squatter still holds a slot until the submit phase ends; it
pays the non-reveal slash for it, and the floors set that price.
"""

import boa

from support.arena import (
    PHASE_CANCELLED,
    PHASE_EVAL_REVEAL,
    PHASE_MODEL_REVEAL,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    TaskTerms,
    h,
)
from support.constants import WAD

from .story import claim_all, salt_of, score_round


def play(arena, books, phantom_stake: int):
    creator = books.actor("creator")
    honest = books.operator("honest", 1_000 * WAD)
    validators = [books.operator(f"validator{i}", 1_000 * WAD) for i in range(3)]
    phantom = books.operator("phantom", 20_000 * WAD) if phantom_stake else None
    task_id = arena.create(creator)
    arena.join(task_id, honest, ROLE_TRAINER, 100 * WAD)
    if phantom:
        arena.join(task_id, phantom, ROLE_TRAINER, phantom_stake)
    for v in validators:
        arena.join(task_id, v, ROLE_VALIDATOR, 100 * WAD)
    arena.commit_model(task_id, honest, h("model"), salt_of(honest))
    # While the task runs, only the committed trainer weighs in emission.
    assert arena.tasks.emission_weight(task_id) == 100 * WAD
    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    arena.reveal_model(task_id, honest, h("model"), salt_of(honest))
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    scores = {v: [1_000, 1_000] if phantom else [1_000] for v in validators}
    score_round(arena, task_id, scores, creator=creator)
    arena.finalize(task_id)
    paid = claim_all(arena, task_id, [honest, *validators, *([phantom] if phantom else [])])
    return paid, honest, phantom


def test_a_phantom_trainer_shifts_nothing_and_pays_for_its_slot(arena, books):
    paid, honest, phantom = play(arena, books, 10_000 * WAD)
    alone = play_alone()
    # The honest trainer earns exactly what it earns without the phantom.
    assert paid[honest][0] == alone
    reward, slashed = paid[phantom]
    assert reward == 0
    assert slashed == 10_000 * WAD * arena.tasks.nonreveal_slash_bps() // 10_000 > 0
    books.assert_conserved()


def play_alone() -> int:
    from support.arena import Arena

    from .story import Books

    arena = Arena()
    paid, honest, _ = play(arena, Books(arena), 0)
    return paid[honest][0]


def test_squatting_every_trainer_slot_costs_a_slash_per_slot(arena, books):
    """The creator fills its own task's trainer slots with sybils at the
    least stake it may ask, so no outside trainer gets in, then lets them
    stay silent. A minimum of one wei is refused; at the floor, every slot
    costs its non-reveal slash."""
    creator = books.actor("creator")
    reward, slots = 1_000 * WAD, 4
    with boa.reverts("task: trainer stake too low"):
        arena.create(creator, TaskTerms(reward=reward, min_trainer_stake=1, max_trainers=slots))
    floor = reward * arena.tasks.min_trainer_stake_bps() // 10_000
    assert floor == 10 * WAD
    task_id = arena.create(
        creator, TaskTerms(reward=reward, min_trainer_stake=floor, max_trainers=slots)
    )
    squatters = [books.operator(f"squatter{i}", floor) for i in range(slots)]
    for squatter in squatters:
        arena.join(task_id, squatter, ROLE_TRAINER, floor)
    outsider = books.operator("outsider", 1_000 * WAD)
    with boa.reverts("task: trainer slots are full"):
        arena.join(task_id, outsider, ROLE_TRAINER, 100 * WAD)
    validators = [books.operator(f"validator{i}", 1_000 * WAD) for i in range(3)]
    for v in validators:
        arena.join(task_id, v, ROLE_VALIDATOR, 100 * WAD)
    # Nobody commits a model: the task is cancelled.
    arena.to_phase(task_id, PHASE_CANCELLED)
    paid = claim_all(arena, task_id, [*squatters, *validators])
    slash = floor * arena.tasks.nonreveal_slash_bps() // 10_000
    assert slash == WAD // 2
    assert [paid[s] for s in squatters] == [(0, slash)] * slots
    books.assert_conserved()
