"""Attack: the creator's free option.

A creator posts a task, watches every trainer reveal its model (the URIs are
public), and then decides whether to reveal the eval set. Keeping it back
cancels the task. Before, that cost the creator its bond alone, a bond of
1 ARENA whatever the reward, shared per head by everyone who joined: the
creator's own addresses joined as trainers with 1-wei stakes and won most of
the bond back. The models cost it almost nothing.

Defence:
- the bond is at least `min_bond_bps` (1%) of the reward;
- on cancellation the bond and gamma (20%) of the escrowed reward go to the
  trainers who revealed a model of their own, split by stake weight; the
  validators and the trainers that revealed nothing take no part, and those
  trainers are slashed `nonreveal_slash_bps` as in a finalized task.

What remains: a creator's own trainer can still take part of the split in
proportion to the stake it reveals with, so keeping the models back costs
the creator at least the honest trainers' stake share of bond + gamma.
"""

from support.arena import (
    PHASE_CANCELLED,
    PHASE_MODEL_REVEAL,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    TaskTerms,
    h,
    without_trainer_stake_floor,
)
from support.constants import WAD

from .story import claim_all, salt_of

REWARD = 1_000 * WAD
BOND = 10 * WAD


def test_keeping_the_eval_set_back_costs_the_creator_bond_and_gamma(arena, books):
    creator = books.actor("creator")
    honest = [books.operator(f"trainer{i}", 1_000 * WAD) for i in range(2)]
    validator = books.operator("validator", 1_000 * WAD)
    # The creator's own pools: eight sybils with a token each.
    sybils = [books.operator(f"sybil{i}", WAD) for i in range(8)]
    books.before = books.snapshot()

    # 1-wei sybils need the trainer-stake floor lowered: then the split by
    # stake is what keeps them from winning the bond back per head.
    without_trainer_stake_floor(arena.tasks, arena.admin)
    terms = TaskTerms(reward=REWARD, bond=BOND, min_trainer_stake=1, max_trainers=10)
    task_id = arena.create(creator, terms)
    for trainer in honest:
        arena.join(task_id, trainer, ROLE_TRAINER, 100 * WAD)
    for sybil in sybils:
        arena.join(task_id, sybil, ROLE_TRAINER, 1)
    arena.join(task_id, validator, ROLE_VALIDATOR, 100 * WAD)
    for i, trainer in enumerate([*honest, *sybils]):
        arena.commit_model(task_id, trainer, h(f"model {i}"), salt_of(trainer))
    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    for i, trainer in enumerate([*honest, *sybils]):
        arena.reveal_model(task_id, trainer, h(f"model {i}"), salt_of(trainer))

    # Every model is public now; the creator keeps the eval set back.
    arena.to_phase(task_id, PHASE_CANCELLED)
    paid = claim_all(arena, task_id, [*honest, *sybils, validator])

    split = BOND + REWARD * arena.tasks.gamma_wad() // WAD
    total = 200 * WAD + 8
    for trainer in honest:
        assert paid[trainer] == (split * 100 * WAD // total, 0)
    # The sybils' 8 wei of stake win back 8 wei-worth of the split.
    assert sum(paid[s][0] for s in sybils) <= split * 8 // total
    assert paid[validator] == (0, 0)

    change = books.changes(books.before, books.snapshot())
    creator_side = change[creator] + sum(change[s] for s in sybils)
    # The option cost the creator the bond and gamma of the reward, less the
    # few wei its sybils' stake earned back.
    assert creator_side <= -(split - split * 8 // total - 1)
    assert sum(change.values()) == 0
    books.assert_conserved()
