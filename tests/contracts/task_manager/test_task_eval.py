"""reveal_eval: only the creator, only in its phase, the bond goes back."""

import boa
import pytest
from task_manager_support import logs_named

from support.arena import (
    PHASE_CANCELLED,
    PHASE_EVAL_REVEAL,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_COMMIT,
    TaskTerms,
    h,
)
from support.constants import WAD


def reveal_eval(tm, task, creator, eval_hash=None, salt=None, uri="ipfs://eval"):
    terms = TaskTerms()
    with boa.env.prank(creator):
        tm.reveal_eval(task, eval_hash or terms.eval_hash, uri, salt or terms.eval_salt)


def test_reveal_eval_returns_the_bond(arena, tm, task, creator):
    arena.to_phase(task, PHASE_EVAL_REVEAL)
    assert tm.phase(task) == PHASE_EVAL_REVEAL
    before = arena.token.balanceOf(creator)
    reveal_eval(tm, task, creator, uri="ipfs://eval set")
    (log,) = logs_named(tm, "EvalRevealed")
    assert (log.task_id, log.eval_hash, log.eval_uri) == (
        task,
        TaskTerms().eval_hash,
        "ipfs://eval set",
    )
    (returned,) = logs_named(tm, "BondReturned")
    assert (returned.task_id, returned.receiver, returned.amount) == (task, creator, 10 * WAD)
    assert arena.token.balanceOf(creator) == before + 10 * WAD
    assert arena.token.balanceOf(tm.address) == 1_000 * WAD
    t = tm.tasks(task)
    assert t.eval_revealed and t.eval_hash == TaskTerms().eval_hash
    assert t.balance == 1_000 * WAD
    assert tm.phase(task) == PHASE_SCORE_COMMIT


def test_reveal_eval_without_bond_pays_nothing(arena, game, tm, creator):
    # No bond at all: the DAO lowers the minimum bond and the bond's floor.
    with boa.env.prank(arena.admin):
        tm.set_min_creator_bond(0)
    game.set_floors(3, 1_000, 0)
    task = arena.create(creator, TaskTerms(bond=0))
    arena.to_phase(task, PHASE_EVAL_REVEAL)
    reveal_eval(tm, task, creator)
    assert logs_named(tm, "BondReturned") == []
    assert tm.tasks(task).eval_revealed


def test_only_the_creator_reveals(arena, tm, joined, trainer, non_owner):
    arena.to_phase(joined, PHASE_EVAL_REVEAL)
    for account in (non_owner, trainer, arena.admin):
        with boa.reverts("task: caller is not the creator"):
            reveal_eval(tm, joined, account)


def test_reveal_eval_of_an_unknown_task_reverts(tm, task, creator):
    with boa.reverts("task: caller is not the creator"):
        reveal_eval(tm, task + 1, creator)


@pytest.mark.parametrize("phase", ["submit", "model reveal", "cancelled"])
def test_reveal_eval_outside_its_phase_reverts(arena, tm, task, creator, phase):
    if phase == "model reveal":
        arena.to_phase(task, PHASE_MODEL_REVEAL)
    elif phase == "cancelled":
        arena.to_phase(task, PHASE_CANCELLED)
        assert tm.phase(task) == PHASE_CANCELLED
    with boa.reverts("task: not in the eval reveal phase"):
        reveal_eval(tm, task, creator)


def test_reveal_eval_twice_reverts(arena, tm, task, creator):
    arena.to_phase(task, PHASE_EVAL_REVEAL)
    reveal_eval(tm, task, creator)
    with boa.reverts("task: not in the eval reveal phase"):
        reveal_eval(tm, task, creator)


@pytest.mark.parametrize(
    "eval_hash, salt",
    [(h("another eval set"), None), (None, h("another salt"))],
    ids=["wrong hash", "wrong salt"],
)
def test_reveal_eval_mismatch_reverts(arena, tm, task, creator, eval_hash, salt):
    arena.to_phase(task, PHASE_EVAL_REVEAL)
    with boa.reverts("task: eval reveal does not match commitment"):
        reveal_eval(tm, task, creator, eval_hash, salt)
    assert not tm.tasks(task).eval_revealed
