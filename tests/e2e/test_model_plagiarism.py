"""Attack: model plagiarism.

An honest trainer trains a model and commits to its content hash. A copier
gets hold of the model file before the submit phase ends (a leak, a shared
bucket) and commits to the same hash under its own address, hoping to share
the reward or, by revealing first, to take the honest trainer's place.

Defence: a model hash belongs to the trainer whose commitment came first
(commit block, then join order), whatever the order of the reveals. The
later one is disqualified when the second reveal lands: its submission is not
scored, it earns nothing, and its stake is slashed by `plagiarism_slash_bps`
(capped by staking's `max_slash_bps`) when it is released. A copier that only
learns the hash when it is revealed is too late: commitments close with the
submit phase, and a commitment binds its trainer's address, so even a copied
commitment cannot be revealed by anyone else.
"""

import boa
import pytest

from support.arena import (
    INVALID_SCORE,
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZED,
    PHASE_MODEL_REVEAL,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    h,
    model_commitment,
)
from support.constants import MAX_SLASH_BPS, WAD

from .story import BPS, claim_all, events, next_block, salt_of, score_round

STAKE = 200 * WAD
HONEST_MODEL = h("the honest trainer's model")
OTHER_MODEL = h("an independent model")
NOT_RANKED = 2**256 - 1


@pytest.fixture
def cast(arena, books):
    """A task with a copier (joined first, so join order would favour it), the
    honest trainer, an independent trainer and three validators."""
    creator = books.actor("creator")
    copier = books.operator("copier", 1_000 * WAD)
    honest = books.operator("honest", 1_000 * WAD)
    other = books.operator("other", 1_000 * WAD)
    validators = [books.operator(f"validator{i}", 1_000 * WAD) for i in range(3)]
    books.before = books.snapshot()
    task_id = arena.create(creator)
    for trainer in (copier, honest, other):
        arena.join(task_id, trainer, ROLE_TRAINER, STAKE)
    for validator in validators:
        arena.join(task_id, validator, ROLE_VALIDATOR, STAKE)
    return task_id, creator, copier, honest, other, validators


def _scores(arena, task_id, validators, copier, honest, other):
    """Validators score the copy like the original (it is the same file)."""
    by_trainer = {copier: 100, honest: 100, other: 120}
    order = [arena.tasks.trainers(task_id, i) for i in range(3)]
    return {v: [by_trainer[t] + j for t in order] for j, v in enumerate(validators)}


@pytest.mark.parametrize("copier_reveals_first", [True, False])
def test_copier_of_a_leaked_model_is_disqualified_and_slashed(
    arena, books, cast, copier_reveals_first
):
    task_id, creator, copier, honest, other, validators = cast

    # --- submit: the honest trainer commits, the copier copies a block later --
    arena.commit_model(task_id, honest, HONEST_MODEL, salt_of(honest))
    honest_block = arena.tasks.participant(task_id, honest).commit_block
    next_block()
    arena.commit_model(task_id, copier, HONEST_MODEL, salt_of(copier))
    arena.commit_model(task_id, other, OTHER_MODEL, salt_of(other))
    assert arena.tasks.participant(task_id, copier).commit_block > honest_block

    # --- model reveal: the order of the reveals does not matter ---------------
    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    order = (copier, honest) if copier_reveals_first else (honest, copier)
    arena.reveal_model(task_id, order[0], HONEST_MODEL, salt_of(order[0]))
    assert events(arena.tasks, "Disqualified") == []
    arena.reveal_model(task_id, order[1], HONEST_MODEL, salt_of(order[1]))
    (flag,) = events(arena.tasks, "Disqualified")
    assert (flag.trainer, flag.original, flag.model_hash) == (copier, honest, HONEST_MODEL)
    arena.reveal_model(task_id, other, OTHER_MODEL, salt_of(other))

    assert arena.tasks.model_owner(task_id, HONEST_MODEL) == honest
    assert arena.tasks.participant(task_id, copier).disqualified
    assert not arena.tasks.participant(task_id, honest).disqualified

    # --- scoring: the copy is scored like the original, and ignored ----------
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    score_round(
        arena,
        task_id,
        _scores(arena, task_id, validators, copier, honest, other),
        creator=creator,
    )
    arena.finalize(task_id)
    assert arena.tasks.phase(task_id) == PHASE_FINALIZED
    assert arena.tasks.consensus_of(task_id, copier) == INVALID_SCORE
    assert arena.tasks.participant(task_id, copier).rank == NOT_RANKED
    assert arena.tasks.participant(task_id, honest).rank == 0
    assert arena.tasks.participant(task_id, other).rank == 1
    assert arena.tasks.claimable(task_id, copier) == 0

    # --- claims: the copier earns nothing and is slashed -----------------------
    paid = claim_all(arena, task_id, [copier, honest, other, *validators])
    slash_bps = min(arena.tasks.plagiarism_slash_bps(), MAX_SLASH_BPS)
    assert slash_bps == 1_000
    assert paid[copier] == (0, STAKE * slash_bps // BPS)
    assert paid[honest][0] > paid[other][0] > 0
    for validator in validators:
        assert paid[validator][1] == 0

    # The honest trainer's reward is what it would be with the copier absent
    # from the ranking: it takes the whole first-rank weight.
    task = arena.tasks.tasks(task_id)
    assert task.train_weight_sum == STAKE + STAKE * task.q_wad // WAD
    assert paid[honest][0] == task.train_reward * STAKE // task.train_weight_sum

    # --- books: each account moved by its reward minus its slash --------------
    after = books.snapshot()
    change = books.changes(books.before, after)
    for account, (reward, slashed) in paid.items():
        assert change[account] == reward - slashed
    assert change[arena.treasury] == task.reward * 500 // BPS + paid[copier][1]
    # The creator paid the reward and got its bond back (and the rounding dust).
    dust = task.train_reward + task.validator_reward - sum(r for r, _ in paid.values())
    assert change[creator] == -task.reward + dust
    assert sum(change.values()) == 0
    books.assert_conserved()


def test_early_placeholder_commit_does_not_buy_priority(arena, books, cast):
    """The copier commits a placeholder before the honest trainer, then swaps
    in the leaked hash: the swap is a new commitment, dated by its own block."""
    task_id, creator, copier, honest, other, validators = cast
    arena.commit_model(task_id, copier, h("placeholder"), salt_of(copier))
    placeholder_block = arena.tasks.participant(task_id, copier).commit_block
    next_block()
    arena.commit_model(task_id, honest, HONEST_MODEL, salt_of(honest))
    next_block()
    arena.commit_model(task_id, copier, HONEST_MODEL, salt_of(copier))
    assert (
        arena.tasks.participant(task_id, copier).commit_block
        > (arena.tasks.participant(task_id, honest).commit_block)
        > placeholder_block
    )
    arena.commit_model(task_id, other, OTHER_MODEL, salt_of(other))

    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    arena.reveal_model(task_id, copier, HONEST_MODEL, salt_of(copier))
    arena.reveal_model(task_id, honest, HONEST_MODEL, salt_of(honest))
    arena.reveal_model(task_id, other, OTHER_MODEL, salt_of(other))
    assert arena.tasks.model_owner(task_id, HONEST_MODEL) == honest
    assert arena.tasks.participant(task_id, copier).disqualified

    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    score_round(
        arena,
        task_id,
        _scores(arena, task_id, validators, copier, honest, other),
        creator=creator,
    )
    arena.finalize(task_id)
    paid = claim_all(arena, task_id, [copier, honest, other, *validators])
    assert paid[copier] == (0, STAKE * 1_000 // BPS)
    assert arena.tasks.participant(task_id, honest).rank == 0
    books.assert_conserved()


def test_hash_seen_at_reveal_time_comes_too_late(arena, books, cast):
    """The copier only sees the model hash in the honest trainer's
    `ModelRevealed` event: the submit phase is over, it cannot commit to it,
    and nothing it committed before opens to that hash."""
    task_id, creator, copier, honest, other, validators = cast
    arena.commit_model(task_id, honest, HONEST_MODEL, salt_of(honest))
    arena.commit_model(task_id, copier, h("copier's own guess"), salt_of(copier))
    arena.commit_model(task_id, other, OTHER_MODEL, salt_of(other))

    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    arena.reveal_model(task_id, honest, HONEST_MODEL, salt_of(honest))
    (revealed,) = events(arena.tasks, "ModelRevealed")
    leaked = revealed.model_hash
    assert leaked == HONEST_MODEL

    with boa.reverts("task: not in the submit phase"):
        arena.commit_model(task_id, copier, leaked, salt_of(copier))
    with boa.reverts("task: reveal does not match commitment"):
        arena.reveal_model(task_id, copier, leaked, salt_of(copier))
    # A newcomer cannot join to try either.
    latecomer = books.operator("latecomer", 1_000 * WAD)
    with boa.reverts("task: not in the submit phase"):
        arena.join(task_id, latecomer, ROLE_TRAINER, STAKE)
    assert arena.tasks.model_owner(task_id, leaked) == honest

    # The copier's own guess still opens: an honest, if poor, submission.
    arena.reveal_model(task_id, copier, h("copier's own guess"), salt_of(copier))
    assert not arena.tasks.participant(task_id, copier).disqualified
    arena.reveal_model(task_id, other, OTHER_MODEL, salt_of(other))
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    score_round(
        arena,
        task_id,
        _scores(arena, task_id, validators, copier, honest, other),
        creator=creator,
    )
    arena.finalize(task_id)
    paid = claim_all(arena, task_id, [copier, honest, other, *validators])
    assert all(slashed == 0 for _, slashed in paid.values())
    books.assert_conserved()


def test_copied_commitment_cannot_be_revealed_by_the_copier(arena, books, cast):
    """The copier copies the honest trainer's commitment from its
    `ModelCommitted` event and, at reveal time, the hash and salt from its
    reveal transaction: the commitment binds the honest trainer's address, so
    it opens for nobody else."""
    task_id, creator, copier, honest, other, validators = cast
    arena.commit_model(task_id, honest, HONEST_MODEL, salt_of(honest))
    (committed,) = events(arena.tasks, "ModelCommitted")
    with boa.env.prank(copier):
        arena.tasks.commit_model(task_id, committed.commitment)
    assert committed.commitment == model_commitment(HONEST_MODEL, honest, salt_of(honest))

    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    arena.reveal_model(task_id, honest, HONEST_MODEL, salt_of(honest))
    with boa.reverts("task: reveal does not match commitment"):
        arena.reveal_model(task_id, copier, HONEST_MODEL, salt_of(honest))
    assert arena.tasks.model_owner(task_id, HONEST_MODEL) == honest
    assert not arena.tasks.participant(task_id, copier).revealed

    # The copier never reveals: it earns nothing and pays the non-reveal
    # slash (docs/tasks.md).
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    score_round(
        arena,
        task_id,
        _scores(arena, task_id, validators, copier, honest, other),
        creator=creator,
    )
    arena.finalize(task_id)
    paid = claim_all(arena, task_id, [copier, honest, other, *validators])
    assert paid[copier] == (0, STAKE * arena.tasks.nonreveal_slash_bps() // BPS)
    assert paid[honest][0] > 0
    books.assert_conserved()


def test_copier_that_withholds_its_reveal_is_slashed(arena, books, cast):
    """A copier that committed to a leaked hash and sees the original
    revealed first can simply not reveal. It is then a trainer that did not
    reveal: no reward, and the non-reveal slash (docs/tasks.md; smaller than
    the plagiarism slash a revealed copy pays). The honest trainer keeps its
    rank and reward."""
    task_id, creator, copier, honest, other, validators = cast
    arena.commit_model(task_id, honest, HONEST_MODEL, salt_of(honest))
    next_block()
    arena.commit_model(task_id, copier, HONEST_MODEL, salt_of(copier))
    arena.commit_model(task_id, other, OTHER_MODEL, salt_of(other))

    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    arena.reveal_model(task_id, honest, HONEST_MODEL, salt_of(honest))
    arena.reveal_model(task_id, other, OTHER_MODEL, salt_of(other))
    # The copier sees the original revealed and stays silent.
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    with boa.reverts("task: not in the model reveal phase"):
        arena.reveal_model(task_id, copier, HONEST_MODEL, salt_of(copier))
    score_round(
        arena,
        task_id,
        _scores(arena, task_id, validators, copier, honest, other),
        creator=creator,
    )
    arena.finalize(task_id)
    assert arena.tasks.participant(task_id, honest).rank == 0
    paid = claim_all(arena, task_id, [copier, honest, other, *validators])
    assert paid[copier] == (0, STAKE * arena.tasks.nonreveal_slash_bps() // BPS)
    books.assert_conserved()
