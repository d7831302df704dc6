"""Attack: a copier of a leaked model hash stays silent.

A trainer learns another's model hash before the commit phase ends (a leak
off chain) and commits it under its own salt. When the original reveals
first, revealing the copy would only get the copier disqualified and
slashed, so it stays silent: before, a trainer that did not reveal was never
slashed, so the attempt cost nothing.

Defence: a trainer that does not reveal is slashed `nonreveal_slash_bps` of
its stake, as a validator that does not reveal its scores is. A silent
copier, a squatter and a phantom pay alike.

What remains: the slash is a DAO parameter (5% by default); copying a
revealed hash in plain sight is the plagiarism the reveal order catches
(test_model_plagiarism.py).
"""

from support.arena import PHASE_EVAL_REVEAL, PHASE_MODEL_REVEAL, ROLE_TRAINER, ROLE_VALIDATOR, h
from support.constants import WAD

from .story import claim_all, salt_of, score_round


def test_a_silent_copier_is_slashed(arena, books):
    creator = books.actor("creator")
    author = books.operator("author", 1_000 * WAD)
    copier = books.operator("copier", 1_000 * WAD)
    validators = [books.operator(f"validator{i}", 1_000 * WAD) for i in range(3)]
    task_id = arena.create(creator)
    for t in (author, copier):
        arena.join(task_id, t, ROLE_TRAINER, 200 * WAD)
    for v in validators:
        arena.join(task_id, v, ROLE_VALIDATOR, 100 * WAD)
    leaked = h("the author's model")
    arena.commit_model(task_id, author, leaked, salt_of(author))
    arena.commit_model(task_id, copier, leaked, salt_of(copier))
    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    arena.reveal_model(task_id, author, leaked, salt_of(author))
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    score_round(arena, task_id, {v: [900, 900] for v in validators}, creator=creator)
    arena.finalize(task_id)
    paid = claim_all(arena, task_id, [author, copier, *validators])
    assert paid[author][0] > 0
    assert paid[copier] == (0, 200 * WAD * arena.tasks.nonreveal_slash_bps() // 10_000)
    assert paid[copier][1] > 0
    books.assert_conserved()
