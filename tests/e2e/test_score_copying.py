"""Attack: a validator copying another validator's scores.

A lazy validator wants the trust (and the reward) of an honest validator
without evaluating anything: it would like to copy the scores of someone who
did the work.

Defence: scores are committed first and revealed only once the score commit
phase is over.

- During the commit phase the chain holds only commitments,
  keccak256(abi_encode(scores, validator, salt)): nothing to copy.
- Copying a commitment is useless: it binds the honest validator's address,
  so the copier cannot open it, not even with the honest validator's scores
  and salt once they are public.
- Once scores are revealed (in the score reveal phase) the commit phase is
  over: the copier cannot commit to them any more.

So the copier cannot reveal; a validator that does not reveal is left out of
the consensus, earns nothing, and is slashed by `nonreveal_slash_bps`.
"""

import boa

from support.arena import (
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_REVEAL,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    h,
    score_commitment,
)
from support.constants import WAD

from .story import BPS, claim_all, events, salt_of

STAKE = 200 * WAD


def test_score_copier_cannot_reveal_and_is_slashed(arena, books):
    creator = books.actor("creator")
    trainers = [books.operator(f"trainer{i}", 1_000 * WAD) for i in range(3)]
    honest = [books.operator(f"honest{i}", 1_000 * WAD) for i in range(2)]
    copier = books.operator("copier", 1_000 * WAD)
    books.before = books.snapshot()

    task_id = arena.create(creator)
    for trainer in trainers:
        arena.join(task_id, trainer, ROLE_TRAINER, STAKE)
    for validator in (*honest, copier):
        arena.join(task_id, validator, ROLE_VALIDATOR, STAKE)
    for i, trainer in enumerate(trainers):
        arena.commit_model(task_id, trainer, h(f"model {i}"), salt_of(trainer))
    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    for i, trainer in enumerate(trainers):
        arena.reveal_model(task_id, trainer, h(f"model {i}"), salt_of(trainer))
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    arena.reveal_eval(task_id, creator)

    # --- score commit: the honest validators commit ---------------------------
    scores = {honest[0]: [100, 150, 300], honest[1]: [101, 149, 302]}
    for validator, values in scores.items():
        arena.commit_scores(task_id, validator, values, salt_of(validator))
        (log,) = events(arena.tasks, "ScoresCommitted")
        # What the chain shows: a commitment, no scores.
        assert log.commitment == score_commitment(values, validator, salt_of(validator))
        assert arena.tasks.participant(task_id, validator).commitment == log.commitment

    # The copier has nothing to copy but a commitment, and copies that.
    seen = arena.tasks.participant(task_id, honest[0]).commitment
    with boa.env.prank(copier):
        arena.tasks.commit_scores(task_id, seen)
    assert arena.tasks.participant(task_id, copier).committed

    # --- score reveal: the honest scores become public ------------------------
    arena.to_phase(task_id, PHASE_SCORE_REVEAL)
    arena.reveal_scores(task_id, honest[0], scores[honest[0]], salt_of(honest[0]))
    (log,) = events(arena.tasks, "ScoresRevealed")
    public_scores = list(log.scores)
    # ...and the salt too, in the reveal's calldata: assume the copier has it.
    public_salt = salt_of(honest[0])

    # The copied commitment does not open for the copier,
    with boa.reverts("task: reveal does not match commitment"):
        arena.reveal_scores(task_id, copier, public_scores, public_salt)
    # nor for any salt of its own,
    with boa.reverts("task: reveal does not match commitment"):
        arena.reveal_scores(task_id, copier, public_scores, salt_of(copier))
    # and it is too late to commit to the public scores.
    with boa.reverts("task: not in the score commit phase"):
        arena.commit_scores(task_id, copier, public_scores, salt_of(copier))

    arena.reveal_scores(task_id, honest[1], scores[honest[1]], salt_of(honest[1]))
    assert not arena.tasks.participant(task_id, copier).revealed

    # --- finalize: the consensus is the honest validators' ---------------------
    arena.to_phase(task_id, PHASE_FINALIZE)
    arena.finalize(task_id)
    for i, trainer in enumerate(trainers):
        # Equal weights: the median of two is their midpoint.
        assert (
            arena.tasks.consensus_of(task_id, trainer)
            == (scores[honest[0]][i] + scores[honest[1]][i]) // 2
        )
    assert arena.tasks.trust(task_id, copier) == 0
    assert arena.tasks.participant(task_id, copier).reward_weight == 0
    assert arena.tasks.claimable(task_id, copier) == 0

    # --- claims: the copier earns nothing and loses 5% of its stake ------------
    paid = claim_all(arena, task_id, [*trainers, *honest, copier])
    slash_bps = arena.tasks.tasks(task_id).nonreveal_slash_bps
    assert slash_bps == 500
    assert paid[copier] == (0, STAKE * slash_bps // BPS)
    for validator in honest:
        assert paid[validator][0] > 0
        assert paid[validator][1] == 0
    # The honest validators split the whole validator reward between them.
    task = arena.tasks.tasks(task_id)
    assert task.validator_reward - 1 <= paid[honest[0]][0] + paid[honest[1]][0]

    change = books.changes(books.before, books.snapshot())
    for account, (reward, slashed) in paid.items():
        assert change[account] == reward - slashed
    assert change[arena.treasury] == task.reward * 500 // BPS + paid[copier][1]
    assert sum(change.values()) == 0
    books.assert_conserved()
