"""Attack: a creator that never reveals its eval set.

A creator posts a task, lets trainers spend their compute and lock their
stake, collects the revealed models, and then never reveals the eval set, so
that nobody can score the models and the reward never has to be paid out.
(Or it simply walks away.)

Defence: when the eval reveal deadline passes without a reveal the task is
cancelled. The creator forfeits its bond and gamma (20%) of the reward: the
trainers who revealed a model of their own share them by stake weight, paid
into their staking pools with their claims (the rounding dust goes to the
treasury); the creator gets the rest of the reward back. The validators,
who never got the eval set, are released without a slash or a share.
Nothing can move the task forward any more: no late eval reveal, no
scoring, no finalize.
"""

import boa
import pytest

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

from .story import claim_all, events, salt_of

STAKE = 200 * WAD


@pytest.mark.parametrize("explicit_cancel", [True, False], ids=["cancel", "first_claim"])
def test_silent_creator_loses_its_bond_to_the_participants(arena, books, explicit_cancel):
    creator = books.actor("creator")
    trainers = [books.operator(f"trainer{i}", 1_000 * WAD) for i in range(2)]
    validator = books.operator("validator", 1_000 * WAD)
    participants = [*trainers, validator]
    books.before = books.snapshot()

    terms = TaskTerms()
    task_id = arena.create(creator, terms)
    for trainer in trainers:
        arena.join(task_id, trainer, ROLE_TRAINER, STAKE)
    arena.join(task_id, validator, ROLE_VALIDATOR, STAKE)
    for i, trainer in enumerate(trainers):
        arena.commit_model(task_id, trainer, h(f"model {i}"), salt_of(trainer))
    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    for i, trainer in enumerate(trainers):
        arena.reveal_model(task_id, trainer, h(f"model {i}"), salt_of(trainer))
    for account in participants:
        assert arena.staking.locked_by(account, arena.tasks.address) == STAKE

    # --- the creator stays silent through the eval reveal phase ---------------
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    assert arena.tasks.phase(task_id) == PHASE_EVAL_REVEAL
    arena.to_phase(task_id, PHASE_CANCELLED)
    assert arena.tasks.phase(task_id) == PHASE_CANCELLED

    # Too late for the eval set, and nothing else can move the task.
    with boa.reverts("task: not in the eval reveal phase"):
        arena.reveal_eval(task_id, creator, terms)
    with boa.reverts("task: not in the score commit phase"):
        arena.commit_scores(task_id, validator, [1, 2], salt_of(validator))
    with boa.reverts("task: scoring is not over"), boa.env.prank(validator):
        arena.tasks.finalize(task_id)

    creator_wallet = arena.token.balanceOf(creator)
    part = terms.reward * arena.tasks.gamma_wad() // WAD
    share = (terms.bond + part) // len(trainers)
    dust = terms.bond + part - share * len(trainers)
    expected = {trainers[0]: share, trainers[1]: share, validator: 0}

    # --- cancellation: the rest of the reward goes back to the creator ---------
    if explicit_cancel:
        with boa.env.prank(validator):
            arena.tasks.cancel(task_id)
        (cancelled,) = events(arena.tasks, "TaskCancelled")
        assert (cancelled.refunded, cancelled.trainer_share) == (
            terms.reward - part,
            terms.bond + part,
        )
        assert arena.token.balanceOf(creator) == creator_wallet + terms.reward - part
        with boa.reverts("task: already cancelled"), boa.env.prank(validator):
            arena.tasks.cancel(task_id)
    for account in participants:
        assert arena.tasks.claimable(task_id, account) == expected[account]

    # --- claims: the trainers' shares, stakes released unslashed ---------------
    paid = claim_all(arena, task_id, participants)
    assert arena.tasks.tasks(task_id).cancelled
    assert arena.token.balanceOf(creator) == creator_wallet + terms.reward - part
    for account in participants:
        assert paid[account] == (expected[account], 0)
        assert arena.staking.locked_by(account, arena.tasks.address) == 0
        pool = arena.staking.pools(account)
        assert pool.locked == 0
        # Paid into the pool: the commission set aside, the rest to the stake.
        assert pool.commission_owed == expected[account] * 1_000 // 10_000
        assert pool.total_assets == 1_000 * WAD + expected[account] - pool.commission_owed
    with boa.reverts("task: already claimed"):
        arena.claim(task_id, validator)

    change = books.changes(books.before, books.snapshot())
    assert change[creator] == -(terms.bond + part)
    for account in participants:
        assert change[account] == expected[account]
    assert change[arena.treasury] == dust
    assert sum(change.values()) == 0
    books.assert_conserved()
