"""commit_scores and reveal_scores: validators' commit-reveal of one score per trainer."""

import boa
import pytest
from task_manager_support import logs_named, salt_of

from support.arena import (
    INVALID_SCORE,
    PHASE_EVAL_REVEAL,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    h,
    score_commitment,
)

SCORES = [100, 200]
EMPTY = b"\0" * 32


@pytest.fixture
def scoring(arena, game, joined, creator, trainer, other_trainer):
    """`joined` in its score commit phase: both trainers revealed a model."""
    for account in (trainer, other_trainer):
        game.commit(joined, account)
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    for account in (trainer, other_trainer):
        game.reveal(joined, account)
    arena.to_phase(joined, PHASE_EVAL_REVEAL)
    arena.reveal_eval(joined, creator)
    assert arena.tasks.phase(joined) == PHASE_SCORE_COMMIT
    return joined


def commit(tm, task, validator, scores, salt=None):
    with boa.env.prank(validator):
        tm.commit_scores(task, score_commitment(scores, validator, salt or salt_of(validator)))


def reveal(tm, task, validator, scores, salt=None):
    with boa.env.prank(validator):
        tm.reveal_scores(task, scores, salt or salt_of(validator))


# --- commit_scores -----------------------------------------------------------------


def test_commit_scores(tm, scoring, validator):
    commitment = score_commitment(SCORES, validator, salt_of(validator))
    with boa.env.prank(validator):
        tm.commit_scores(scoring, commitment)
    (log,) = logs_named(tm, "ScoresCommitted")
    assert (log.task_id, log.validator, log.commitment) == (scoring, validator, commitment)
    p = tm.participant(scoring, validator)
    assert p.committed and not p.revealed
    assert p.commitment == commitment


def test_new_score_commitment_replaces_the_old(arena, tm, scoring, validator):
    commit(tm, scoring, validator, [1, 1])
    commit(tm, scoring, validator, SCORES)
    arena.to_phase(scoring, PHASE_SCORE_REVEAL)
    with boa.reverts("task: reveal does not match commitment"):
        reveal(tm, scoring, validator, [1, 1])
    reveal(tm, scoring, validator, SCORES)


@pytest.mark.parametrize("phase", [None, PHASE_MODEL_REVEAL, PHASE_EVAL_REVEAL])
def test_commit_scores_before_the_eval_reveal_reverts(arena, tm, joined, validator, phase):
    if phase is not None:
        arena.to_phase(joined, phase)
    with boa.reverts("task: not in the score commit phase"):
        commit(tm, joined, validator, SCORES)


def test_commit_scores_in_the_reveal_phase_reverts(arena, tm, scoring, validator):
    arena.to_phase(scoring, PHASE_SCORE_REVEAL)
    with boa.reverts("task: not in the score commit phase"):
        commit(tm, scoring, validator, SCORES)


def test_only_validators_commit_scores(arena, tm, scoring, trainer, creator, non_owner):
    for account in (trainer, creator, non_owner):
        with boa.reverts("task: caller is not a validator"):
            commit(tm, scoring, account, SCORES)


def test_empty_score_commitment_reverts(tm, scoring, validator):
    with boa.reverts("task: commitment is empty"), boa.env.prank(validator):
        tm.commit_scores(scoring, EMPTY)


# --- reveal_scores -----------------------------------------------------------------


def test_reveal_scores(arena, tm, scoring, validator):
    commit(tm, scoring, validator, SCORES)
    arena.to_phase(scoring, PHASE_SCORE_REVEAL)
    reveal(tm, scoring, validator, SCORES)
    (log,) = logs_named(tm, "ScoresRevealed")
    assert (log.task_id, log.validator, list(log.scores)) == (scoring, validator, SCORES)
    p = tm.participant(scoring, validator)
    assert p.committed and p.revealed


def test_reveal_scores_in_the_commit_phase_reverts(tm, scoring, validator):
    commit(tm, scoring, validator, SCORES)
    with boa.reverts("task: not in the score reveal phase"):
        reveal(tm, scoring, validator, SCORES)


def test_reveal_scores_after_the_reveal_phase_reverts(arena, tm, scoring, validator):
    commit(tm, scoring, validator, SCORES)
    arena.warp_to(arena.deadlines(scoring)["score_reveal_end"])
    with boa.reverts("task: not in the score reveal phase"):
        reveal(tm, scoring, validator, SCORES)


def test_only_validators_reveal_scores(arena, tm, scoring, trainer, non_owner):
    arena.to_phase(scoring, PHASE_SCORE_REVEAL)
    for account in (trainer, non_owner):
        with boa.reverts("task: caller is not a validator"):
            reveal(tm, scoring, account, SCORES)


def test_reveal_scores_without_commit_reverts(arena, tm, scoring, validator):
    arena.to_phase(scoring, PHASE_SCORE_REVEAL)
    with boa.reverts("task: nothing committed"):
        reveal(tm, scoring, validator, SCORES)


def test_reveal_scores_twice_reverts(arena, tm, scoring, validator):
    commit(tm, scoring, validator, SCORES)
    arena.to_phase(scoring, PHASE_SCORE_REVEAL)
    reveal(tm, scoring, validator, SCORES)
    with boa.reverts("task: already revealed"):
        reveal(tm, scoring, validator, SCORES)


@pytest.mark.parametrize("scores", [[], [100], [100, 200, 300]], ids=["none", "short", "long"])
def test_one_score_per_trainer_expected(arena, tm, scoring, validator, scores):
    commit(tm, scoring, validator, scores)
    arena.to_phase(scoring, PHASE_SCORE_REVEAL)
    with boa.reverts("task: one score per trainer expected"):
        reveal(tm, scoring, validator, scores)


@pytest.mark.parametrize(
    "scores, salt",
    [([100, 201], None), ([200, 100], None), (SCORES, h("other salt"))],
    ids=["changed score", "swapped scores", "wrong salt"],
)
def test_reveal_scores_mismatch_reverts(arena, tm, scoring, validator, scores, salt):
    commit(tm, scoring, validator, SCORES)
    arena.to_phase(scoring, PHASE_SCORE_REVEAL)
    with boa.reverts("task: reveal does not match commitment"):
        reveal(tm, scoring, validator, scores, salt)


def test_a_copied_score_commitment_cannot_be_revealed(
    arena, tm, scoring, validator, other_validator
):
    commit(tm, scoring, validator, SCORES)
    copied = tm.participant(scoring, validator).commitment
    with boa.env.prank(other_validator):
        tm.commit_scores(scoring, copied)
    arena.to_phase(scoring, PHASE_SCORE_REVEAL)
    with boa.reverts("task: reveal does not match commitment"):
        reveal(tm, scoring, other_validator, SCORES, salt_of(validator))


@pytest.mark.parametrize("scores", [[2**32, 1], [1, 2**256 - 1]])
def test_score_out_of_range_reverts(arena, tm, scoring, validator, scores):
    commit(tm, scoring, validator, scores)
    arena.to_phase(scoring, PHASE_SCORE_REVEAL)
    with boa.reverts("task: score out of range"):
        reveal(tm, scoring, validator, scores)


def test_extreme_scores_are_accepted(arena, tm, scoring, validator):
    commit(tm, scoring, validator, [0, INVALID_SCORE])
    arena.to_phase(scoring, PHASE_SCORE_REVEAL)
    reveal(tm, scoring, validator, [0, INVALID_SCORE])
    assert tm.participant(scoring, validator).revealed


def test_scores_for_a_task_without_trainers(arena, game, tm, creator, validator):
    task = arena.create(creator)
    game.enrol(task, validators=[validator])
    arena.to_phase(task, PHASE_EVAL_REVEAL)
    arena.reveal_eval(task, creator)
    commit(tm, task, validator, [])
    arena.to_phase(task, PHASE_SCORE_REVEAL)
    reveal(tm, task, validator, [])
    assert tm.participant(task, validator).revealed
