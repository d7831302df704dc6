"""Attack: the creator becomes the whole validator set of its own task.

A creator posts a task and, from other addresses of its own, takes every
validator slot. Its validators score every model INVALID: no trainer is
paid, and the trainers' share of the reward went back to the creator, while
its validators, agreeing with the consensus they made, took the validators'
share. The creator got its reward back for the price of the fee, and had
the trainers' models for free.

Defence:
- DAO floors on every new task: at least `min_validator_slots` validator
  slots (3), a validator stake of at least `min_validator_stake_bps` of the
  reward (10%) and a bond of at least `min_bond_bps` of it (1%). A task with
  a single validator slot, or validator stakes of one wei, is refused.
- What nobody earned goes to the treasury, never back to the creator: a
  creator whose validators void every model loses the trainers' share.

What remains: a creator that fills every slot can still deny the trainers
their reward, at the cost of that reward (and a large validator stake at
risk); it no longer gains from it.
"""

import boa

from support.arena import (
    INVALID_SCORE,
    PHASE_EVAL_REVEAL,
    PHASE_MODEL_REVEAL,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    TaskTerms,
    h,
)
from support.constants import WAD

from .story import claim_all, salt_of, score_round

REWARD = 1_000 * WAD


def test_a_single_slot_or_a_dust_stake_is_refused(arena, books):
    creator = books.actor("creator")
    with boa.reverts("task: validator cap out of bounds"):
        arena.create(creator, TaskTerms(max_validators=1))
    with boa.reverts("task: validator stake too low"):
        arena.create(creator, TaskTerms(min_validator_stake=1))
    with boa.reverts("task: bond below minimum"):
        arena.create(creator, TaskTerms(reward=100_000 * WAD, min_validator_stake=10_000 * WAD))


def test_voiding_every_model_costs_the_creator_the_trainers_share(arena, books):
    creator = books.actor("creator")
    trainers = [books.operator(f"trainer{i}", 1_000 * WAD) for i in range(2)]
    sybils = [books.operator(f"sybil{i}", 1_000 * WAD) for i in range(3)]
    side = [creator, *sybils]
    books.before = books.snapshot()

    terms = TaskTerms(reward=REWARD, max_validators=3)
    task_id = arena.create(creator, terms)
    for t in trainers:
        arena.join(task_id, t, ROLE_TRAINER, 100 * WAD)
    for s in sybils:
        arena.join(task_id, s, ROLE_VALIDATOR, 100 * WAD)
    for t in trainers:
        arena.commit_model(task_id, t, h(f"model {t}"), salt_of(t))
    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    for t in trainers:
        arena.reveal_model(task_id, t, h(f"model {t}"), salt_of(t))
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    score_round(arena, task_id, {s: [INVALID_SCORE] * 2 for s in sybils}, creator=creator)
    arena.finalize(task_id)
    claim_all(arena, task_id, [*trainers, *sybils])

    task = arena.tasks.tasks(task_id)
    fee = REWARD * task.protocol_fee_bps // 10_000
    change = books.changes(books.before, books.snapshot())
    # The creator's side lost the fee and the trainers' share, which went
    # to the treasury; only the validators' share came back to it.
    assert task.train_reward == 0
    lost = -sum(change[a] for a in side)
    assert lost == REWARD - task.validator_reward
    assert lost > fee
    assert change[arena.treasury] == REWARD - task.validator_reward
    books.assert_conserved()
