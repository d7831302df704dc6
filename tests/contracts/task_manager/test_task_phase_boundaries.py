"""Each deadline belongs to the next phase: one second before it the phase
before still runs, at it (and after) the next one has begun."""

import boa
import pytest

from support.arena import (
    PHASE_CANCELLED,
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    PHASE_SUBMIT,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    h,
)
from support.constants import WAD


@pytest.fixture
def deadlines(arena, joined):
    return arena.deadlines(joined)


def to_score_commit(arena, game, task, creator, trainers):
    for trainer in trainers:
        game.commit(task, trainer)
    arena.to_phase(task, PHASE_MODEL_REVEAL)
    for trainer in trainers:
        game.reveal(task, trainer)
    arena.to_phase(task, PHASE_EVAL_REVEAL)
    arena.reveal_eval(task, creator)


def test_submit_end(arena, game, tm, joined, deadlines, trainer, other_trainer):
    late_trainer, late_validator = game.operators_named("late", 2)
    game.commit(joined, trainer)
    arena.warp_to(deadlines["submit_end"] - 1)
    assert tm.phase(joined) == PHASE_SUBMIT
    arena.join(joined, late_trainer, ROLE_TRAINER, 100 * WAD)
    game.commit(joined, other_trainer)
    game.commit(joined, late_trainer)

    arena.warp_to(deadlines["submit_end"])
    assert tm.phase(joined) == PHASE_MODEL_REVEAL
    with boa.reverts("task: not in the submit phase"):
        arena.join(joined, late_validator, ROLE_VALIDATOR, 100 * WAD)
    with boa.reverts("task: not in the submit phase"):
        game.commit(joined, trainer, h("another model"))
    game.reveal(joined, trainer)

    arena.warp_to(deadlines["submit_end"] + 1)
    assert tm.phase(joined) == PHASE_MODEL_REVEAL
    game.reveal(joined, other_trainer)


def test_reveal_end(arena, game, tm, joined, deadlines, creator, trainer, other_trainer):
    for account in (trainer, other_trainer):
        game.commit(joined, account)
    arena.warp_to(deadlines["reveal_end"] - 1)
    assert tm.phase(joined) == PHASE_MODEL_REVEAL
    game.reveal(joined, trainer)
    with boa.reverts("task: not in the eval reveal phase"):
        arena.reveal_eval(joined, creator)

    arena.warp_to(deadlines["reveal_end"])
    assert tm.phase(joined) == PHASE_EVAL_REVEAL
    with boa.reverts("task: not in the model reveal phase"):
        game.reveal(joined, other_trainer)
    arena.reveal_eval(joined, creator)
    assert tm.phase(joined) == PHASE_SCORE_COMMIT


def test_eval_end_without_a_reveal(arena, tm, joined, deadlines, creator, non_owner):
    arena.warp_to(deadlines["eval_end"] - 1)
    assert tm.phase(joined) == PHASE_EVAL_REVEAL
    with boa.reverts("task: not cancellable"), boa.env.prank(non_owner):
        tm.cancel(joined)

    arena.warp_to(deadlines["eval_end"])
    assert tm.phase(joined) == PHASE_CANCELLED
    with boa.reverts("task: not in the eval reveal phase"):
        arena.reveal_eval(joined, creator)
    with boa.env.prank(non_owner):
        tm.cancel(joined)
    assert tm.phase(joined) == PHASE_CANCELLED


def test_eval_reveal_at_the_last_second(arena, tm, joined, deadlines, creator, validator):
    arena.warp_to(deadlines["eval_end"] - 1)
    arena.reveal_eval(joined, creator)
    assert tm.phase(joined) == PHASE_SCORE_COMMIT
    # The score commit phase runs on through eval_end.
    arena.warp_to(deadlines["eval_end"])
    assert tm.phase(joined) == PHASE_SCORE_COMMIT
    arena.commit_scores(joined, validator, [], h("salt"))
    arena.warp_to(deadlines["eval_end"] + 1)
    assert tm.phase(joined) == PHASE_SCORE_COMMIT


def test_score_commits_open_with_the_eval_reveal(arena, tm, joined, deadlines, creator, validator):
    arena.warp_to(deadlines["reveal_end"])
    with boa.reverts("task: not in the score commit phase"):
        arena.commit_scores(joined, validator, [], h("salt"))
    arena.reveal_eval(joined, creator)
    arena.commit_scores(joined, validator, [], h("salt"))
    assert tm.participant(joined, validator).committed


def test_score_commit_end(
    arena, game, tm, joined, deadlines, creator, trainer, validator, other_validator
):
    to_score_commit(arena, game, joined, creator, [trainer])
    arena.warp_to(deadlines["score_commit_end"] - 1)
    assert tm.phase(joined) == PHASE_SCORE_COMMIT
    game.commit_scores(joined, validator, [1, 0])
    with boa.reverts("task: not in the score reveal phase"):
        game.reveal_scores(joined, validator, [1, 0])

    arena.warp_to(deadlines["score_commit_end"])
    assert tm.phase(joined) == PHASE_SCORE_REVEAL
    with boa.reverts("task: not in the score commit phase"):
        game.commit_scores(joined, other_validator, [1, 0])
    game.reveal_scores(joined, validator, [1, 0])


def test_score_reveal_end(
    arena, game, tm, joined, deadlines, creator, trainer, validator, other_validator, non_owner
):
    to_score_commit(arena, game, joined, creator, [trainer])
    game.commit_scores(joined, validator, [1, 0])
    game.commit_scores(joined, other_validator, [1, 0])
    arena.warp_to(deadlines["score_reveal_end"] - 1)
    assert tm.phase(joined) == PHASE_SCORE_REVEAL
    game.reveal_scores(joined, validator, [1, 0])
    with boa.reverts("task: scoring is not over"), boa.env.prank(non_owner):
        tm.finalize(joined)

    arena.warp_to(deadlines["score_reveal_end"])
    assert tm.phase(joined) == PHASE_FINALIZE
    with boa.reverts("task: not in the score reveal phase"):
        game.reveal_scores(joined, other_validator, [1, 0])
    with boa.reverts("task: not settled yet"):
        arena.claim(joined, trainer)
    with boa.env.prank(non_owner):
        assert tm.finalize(joined) is False

    arena.warp_to(deadlines["score_reveal_end"] + 1)
    assert tm.phase(joined) == PHASE_FINALIZE
    assert arena.finalize(joined) == 3


def test_phases_run_in_order(arena, game, tm, joined, deadlines, creator, trainer, validator):
    seen = [tm.phase(joined)]
    to_score_commit(arena, game, joined, creator, [trainer])
    seen.append(tm.phase(joined))
    game.commit_scores(joined, validator, [1, 0])
    arena.to_phase(joined, PHASE_SCORE_REVEAL)
    seen.append(tm.phase(joined))
    game.reveal_scores(joined, validator, [1, 0])
    arena.to_phase(joined, PHASE_FINALIZE)
    seen.append(tm.phase(joined))
    arena.finalize(joined)
    seen.append(tm.phase(joined))
    # Long after, a finalized task stays finalized.
    arena.warp_to(deadlines["score_reveal_end"] + 365 * 86_400)
    seen.append(tm.phase(joined))
    assert seen == [1, 4, 5, 6, 7, 7]
