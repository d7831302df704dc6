"""Attack: a reveal that does not match its commitment.

A trainer commits to one model and, once the other models are public, tries
to reveal a different (better, or someone else's) model hash, or the right
hash with a made-up salt. Validators and the creator could try the same with
their scores and the eval set.

Defence: every reveal is checked against the commitment made before
(keccak256 of the value, the sender's address and the salt) and reverts with
"... reveal does not match commitment" otherwise. A failed attempt changes
nothing: the committed value can still be revealed correctly afterwards, in
the same phase, and the task goes on as if nothing happened.
"""

import boa

from support.arena import (
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_REVEAL,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    TaskTerms,
    h,
)
from support.constants import WAD

from .story import BPS, claim_all, events, salt_of, score_round

STAKE = 200 * WAD
MISMATCH = "task: reveal does not match commitment"


def _task(arena, books):
    creator = books.actor("creator")
    forger = books.operator("forger", 1_000 * WAD)
    rival = books.operator("rival", 1_000 * WAD)
    validators = [books.operator(f"validator{i}", 1_000 * WAD) for i in range(2)]
    books.before = books.snapshot()
    task_id = arena.create(creator)
    arena.join(task_id, forger, ROLE_TRAINER, STAKE)
    arena.join(task_id, rival, ROLE_TRAINER, STAKE)
    for validator in validators:
        arena.join(task_id, validator, ROLE_VALIDATOR, STAKE)
    return task_id, creator, forger, rival, validators


def test_trainer_reveal_must_match_its_commitment(arena, books):
    task_id, creator, forger, rival, validators = _task(arena, books)
    committed = h("the forger's committed model")
    arena.commit_model(task_id, forger, committed, salt_of(forger))
    arena.commit_model(task_id, rival, h("the rival's model"), salt_of(rival))

    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    # The rival's (better) model is public first.
    arena.reveal_model(task_id, rival, h("the rival's model"), salt_of(rival))

    # Another hash with the right salt, the right hash with another salt, the
    # rival's hash with the rival's salt: none opens the forger's commitment.
    for model_hash, salt in [
        (h("a better model"), salt_of(forger)),
        (committed, h("made-up salt")),
        (h("the rival's model"), salt_of(rival)),
    ]:
        with boa.reverts(MISMATCH):
            arena.reveal_model(task_id, forger, model_hash, salt)
    record = arena.tasks.participant(task_id, forger)
    assert record.committed and not record.revealed and not record.disqualified
    assert arena.tasks.model_owner(task_id, h("a better model")) == "0x" + "00" * 20

    # The honest reveal of what was committed still works.
    arena.reveal_model(task_id, forger, committed, salt_of(forger))
    (revealed,) = events(arena.tasks, "ModelRevealed")
    assert (revealed.trainer, revealed.model_hash) == (forger, committed)
    assert arena.tasks.model_owner(task_id, committed) == forger
    record = arena.tasks.participant(task_id, forger)
    assert record.revealed and not record.disqualified
    # The commitment slot now holds the revealed model hash.
    assert record.commitment == committed
    with boa.reverts("task: already revealed"):
        arena.reveal_model(task_id, forger, committed, salt_of(forger))

    # The task goes on; the failed attempts cost the forger nothing.
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    score_round(
        arena, task_id, {v: [100 + i, 120 + i] for i, v in enumerate(validators)}, creator=creator
    )
    arena.finalize(task_id)
    assert arena.tasks.participant(task_id, forger).rank == 0
    paid = claim_all(arena, task_id, [forger, rival, *validators])
    assert paid[forger][0] > paid[rival][0] > 0
    assert all(slashed == 0 for _, slashed in paid.values())
    change = books.changes(books.before, books.snapshot())
    for account, (reward, _) in paid.items():
        assert change[account] == reward
    assert sum(change.values()) == 0
    books.assert_conserved()


def test_validator_and_creator_reveals_must_match_too(arena, books):
    """The same check guards the scores and the eval set."""
    task_id, creator, forger, rival, validators = _task(arena, books)
    for trainer in (forger, rival):
        arena.commit_model(task_id, trainer, h(f"model of {trainer}"), salt_of(trainer))
    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    for trainer in (forger, rival):
        arena.reveal_model(task_id, trainer, h(f"model of {trainer}"), salt_of(trainer))

    # The creator: another eval set, or the right one with another salt.
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    terms = TaskTerms()
    for eval_hash, salt in [(h("an easier eval set"), terms.eval_salt), (terms.eval_hash, h("x"))]:
        with boa.reverts("task: eval reveal does not match commitment"), boa.env.prank(creator):
            arena.tasks.reveal_eval(task_id, eval_hash, "file:///eval", salt)
    arena.reveal_eval(task_id, creator, terms)
    assert arena.tasks.tasks(task_id).eval_hash == terms.eval_hash

    # A validator: other scores than committed, or the committed ones with
    # another salt.
    committed = {v: [100 + i, 120 + i] for i, v in enumerate(validators)}
    for validator, values in committed.items():
        arena.commit_scores(task_id, validator, values, salt_of(validator))
    arena.to_phase(task_id, PHASE_SCORE_REVEAL)
    cheat = validators[0]
    with boa.reverts(MISMATCH):
        arena.reveal_scores(task_id, cheat, [120, 100], salt_of(cheat))
    with boa.reverts(MISMATCH):
        arena.reveal_scores(task_id, cheat, committed[cheat], h("x"))
    with boa.reverts("task: one score per trainer expected"):
        arena.reveal_scores(task_id, cheat, [*committed[cheat], 1], salt_of(cheat))
    for validator, values in committed.items():
        arena.reveal_scores(task_id, validator, values, salt_of(validator))
        (log,) = events(arena.tasks, "ScoresRevealed")
        assert list(log.scores) == values

    arena.to_phase(task_id, PHASE_FINALIZE)
    arena.finalize(task_id)
    paid = claim_all(arena, task_id, [forger, rival, *validators])
    # Both validators revealed what they committed: no slash, equal trust.
    for validator in validators:
        assert paid[validator][1] == 0
        assert arena.tasks.trust(task_id, validator) == WAD
    task = arena.tasks.tasks(task_id)
    change = books.changes(books.before, books.snapshot())
    assert change[arena.treasury] == task.reward * 500 // BPS
    assert sum(change.values()) == 0
    books.assert_conserved()
