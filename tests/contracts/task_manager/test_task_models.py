"""commit_model and reveal_model: commit blocks, reveals, plagiarism."""

import boa
import pytest
from task_manager_support import logs_named, model_of, salt_of

from support.arena import PHASE_MODEL_REVEAL, h, model_commitment

EMPTY = b"\0" * 32
ZERO_ADDRESS = "0x" + "00" * 20


def at_block(number: int) -> None:
    boa.env.evm.patch.block_number = number


def commit(tm, task, trainer, model, salt=None):
    with boa.env.prank(trainer):
        tm.commit_model(task, model_commitment(model, trainer, salt or salt_of(trainer)))


def reveal(tm, task, trainer, model, salt=None, uri="ipfs://model"):
    with boa.env.prank(trainer):
        tm.reveal_model(task, model, uri, salt or salt_of(trainer))


# --- commit_model ------------------------------------------------------------------


def test_commit_records_commitment_and_block(tm, joined, trainer):
    at_block(42)
    commitment = model_commitment(model_of(trainer), trainer, salt_of(trainer))
    with boa.env.prank(trainer):
        tm.commit_model(joined, commitment)
    (log,) = logs_named(tm, "ModelCommitted")
    assert (log.task_id, log.trainer, log.commitment, log.commit_block) == (
        joined,
        trainer,
        commitment,
        42,
    )
    p = tm.participant(joined, trainer)
    assert p.committed and not p.revealed
    assert (p.commitment, p.commit_block) == (commitment, 42)


def test_new_commitment_takes_the_new_block(tm, joined, trainer):
    at_block(10)
    commit(tm, joined, trainer, h("first"))
    at_block(20)
    commit(tm, joined, trainer, h("second"))
    assert len(logs_named(tm, "ModelCommitted")) == 1
    p = tm.participant(joined, trainer)
    assert p.commit_block == 20
    assert p.commitment == model_commitment(h("second"), trainer, salt_of(trainer))


def test_same_commitment_keeps_the_block(tm, joined, trainer):
    at_block(10)
    commit(tm, joined, trainer, h("first"))
    at_block(20)
    commit(tm, joined, trainer, h("first"))
    assert logs_named(tm, "ModelCommitted") == []
    assert tm.participant(joined, trainer).commit_block == 10


def test_returning_to_an_old_commitment_is_a_new_commit(tm, joined, trainer):
    at_block(10)
    commit(tm, joined, trainer, h("first"))
    at_block(20)
    commit(tm, joined, trainer, h("second"))
    at_block(30)
    commit(tm, joined, trainer, h("first"))
    assert tm.participant(joined, trainer).commit_block == 30


def test_only_trainers_commit_models(arena, tm, joined, validator, creator, non_owner):
    for account in (validator, creator, non_owner):
        with boa.reverts("task: caller is not a trainer"):
            commit(tm, joined, account, h("model"))


def test_empty_commitment_reverts(tm, joined, trainer):
    with boa.reverts("task: commitment is empty"), boa.env.prank(trainer):
        tm.commit_model(joined, EMPTY)


def test_commit_after_the_submit_phase_reverts(arena, tm, joined, trainer):
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    with boa.reverts("task: not in the submit phase"):
        commit(tm, joined, trainer, h("model"))


# --- reveal_model ------------------------------------------------------------------


def test_reveal_records_the_model(arena, tm, joined, trainer):
    commit(tm, joined, trainer, h("model"))
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    reveal(tm, joined, trainer, h("model"), uri="ipfs://weights")
    (log,) = logs_named(tm, "ModelRevealed")
    assert (log.task_id, log.trainer, log.model_hash, log.model_uri) == (
        joined,
        trainer,
        h("model"),
        "ipfs://weights",
    )
    assert logs_named(tm, "Disqualified") == []
    p = tm.participant(joined, trainer)
    assert p.revealed and p.committed and not p.disqualified
    assert p.commitment == h("model")  # the slot now holds the model hash
    assert tm.model_owner(joined, h("model")) == trainer


@pytest.mark.parametrize(
    "model, salt",
    [(h("other model"), None), (h("model"), h("other salt"))],
    ids=["wrong model", "wrong salt"],
)
def test_reveal_mismatch_reverts(arena, tm, joined, trainer, model, salt):
    commit(tm, joined, trainer, h("model"))
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    with boa.reverts("task: reveal does not match commitment"):
        reveal(tm, joined, trainer, model, salt)


def test_a_copied_commitment_cannot_be_revealed(arena, tm, joined, trainer, other_trainer):
    """The commitment binds the trainer: copying another's is useless."""
    commit(tm, joined, trainer, h("model"))
    copied = tm.participant(joined, trainer).commitment
    with boa.env.prank(other_trainer):
        tm.commit_model(joined, copied)
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    with boa.reverts("task: reveal does not match commitment"):
        reveal(tm, joined, other_trainer, h("model"), salt_of(trainer))


def test_reveal_without_commit_reverts(arena, tm, joined, trainer):
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    with boa.reverts("task: nothing committed"):
        reveal(tm, joined, trainer, h("model"))


def test_reveal_twice_reverts(arena, tm, joined, trainer):
    commit(tm, joined, trainer, h("model"))
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    reveal(tm, joined, trainer, h("model"))
    with boa.reverts("task: already revealed"):
        reveal(tm, joined, trainer, h("model"))


def test_reveal_of_an_empty_hash_reverts(arena, tm, joined, trainer):
    commit(tm, joined, trainer, EMPTY)
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    with boa.reverts("task: model hash is empty"):
        reveal(tm, joined, trainer, EMPTY)


def test_only_trainers_reveal_models(arena, tm, joined, validator, non_owner):
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    for account in (validator, non_owner):
        with boa.reverts("task: caller is not a trainer"):
            reveal(tm, joined, account, h("model"))


def test_reveal_during_the_submit_phase_reverts(tm, joined, trainer):
    commit(tm, joined, trainer, h("model"))
    with boa.reverts("task: not in the model reveal phase"):
        reveal(tm, joined, trainer, h("model"))


# --- plagiarism --------------------------------------------------------------------


def _copy_in_blocks(arena, tm, task, original, copier, original_block, copier_block):
    """Both trainers commit the same model hash, each in its block."""
    at_block(original_block)
    commit(tm, task, original, h("model"))
    at_block(copier_block)
    commit(tm, task, copier, h("model"))
    arena.to_phase(task, PHASE_MODEL_REVEAL)


def _assert_disqualified(tm, task, original, copier):
    assert tm.model_owner(task, h("model")) == original
    assert tm.participant(task, copier).disqualified
    assert tm.participant(task, copier).revealed
    assert not tm.participant(task, original).disqualified


def test_later_commit_revealing_second_is_disqualified(arena, tm, joined, trainer, other_trainer):
    _copy_in_blocks(arena, tm, joined, trainer, other_trainer, 10, 11)
    reveal(tm, joined, trainer, h("model"))
    reveal(tm, joined, other_trainer, h("model"))
    (log,) = logs_named(tm, "Disqualified")
    assert (log.task_id, log.trainer, log.model_hash, log.original) == (
        joined,
        other_trainer,
        h("model"),
        trainer,
    )
    _assert_disqualified(tm, joined, trainer, other_trainer)


def test_earlier_commit_revealing_second_displaces_the_holder(
    arena, tm, joined, trainer, other_trainer
):
    _copy_in_blocks(arena, tm, joined, trainer, other_trainer, 10, 11)
    reveal(tm, joined, other_trainer, h("model"))
    assert tm.model_owner(joined, h("model")) == other_trainer
    reveal(tm, joined, trainer, h("model"))
    (log,) = logs_named(tm, "Disqualified")
    assert (log.trainer, log.original) == (other_trainer, trainer)
    _assert_disqualified(tm, joined, trainer, other_trainer)


def test_commit_block_beats_join_order(arena, tm, joined, trainer, other_trainer):
    """other_trainer joined second but committed first: it keeps the model."""
    _copy_in_blocks(arena, tm, joined, other_trainer, trainer, 10, 11)
    reveal(tm, joined, other_trainer, h("model"))
    reveal(tm, joined, trainer, h("model"))
    _assert_disqualified(tm, joined, other_trainer, trainer)


@pytest.mark.parametrize("first_to_reveal", ["earlier joiner", "later joiner"])
def test_tie_in_one_block_goes_to_the_earlier_joiner(
    arena, tm, joined, trainer, other_trainer, first_to_reveal
):
    _copy_in_blocks(arena, tm, joined, trainer, other_trainer, 10, 10)
    order = [trainer, other_trainer]
    if first_to_reveal == "later joiner":
        order.reverse()
    for account in order:
        reveal(tm, joined, account, h("model"))
    _assert_disqualified(tm, joined, trainer, other_trainer)


def test_recommitting_moves_a_trainer_behind_the_copier(arena, tm, joined, trainer, other_trainer):
    at_block(10)
    commit(tm, joined, trainer, h("model"))
    at_block(11)
    commit(tm, joined, other_trainer, h("model"))
    at_block(12)
    commit(tm, joined, trainer, h("model"), salt=h("new salt"))
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    reveal(tm, joined, trainer, h("model"), salt=h("new salt"))
    reveal(tm, joined, other_trainer, h("model"))
    _assert_disqualified(tm, joined, other_trainer, trainer)


def test_three_copies_leave_the_first_committer(arena, game, tm, joined, trainer, other_trainer):
    third = game.operator("third_trainer")
    game.enrol(joined, [third])
    for block, account in ((30, third), (20, other_trainer), (10, trainer)):
        at_block(block)
        commit(tm, joined, account, h("model"))
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    for account in (third, other_trainer, trainer):
        reveal(tm, joined, account, h("model"))
    assert tm.model_owner(joined, h("model")) == trainer
    assert [tm.participant(joined, a).disqualified for a in (trainer, other_trainer, third)] == [
        False,
        True,
        True,
    ]


def test_distinct_models_have_distinct_owners(arena, tm, joined, trainer, other_trainer):
    commit(tm, joined, trainer, h("a"))
    commit(tm, joined, other_trainer, h("b"))
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    reveal(tm, joined, trainer, h("a"))
    reveal(tm, joined, other_trainer, h("b"))
    assert tm.model_owner(joined, h("a")) == trainer
    assert tm.model_owner(joined, h("b")) == other_trainer
    assert tm.model_owner(joined, h("c")) == ZERO_ADDRESS


def test_same_model_in_two_tasks_is_not_plagiarism(arena, game, creator, trainer, other_trainer):
    first = arena.create(creator)
    second = arena.create(creator)
    game.enrol(first, [trainer])
    game.enrol(second, [other_trainer])
    commit(arena.tasks, first, trainer, h("model"))
    commit(arena.tasks, second, other_trainer, h("model"))
    arena.to_phase(first, PHASE_MODEL_REVEAL)
    reveal(arena.tasks, first, trainer, h("model"))
    reveal(arena.tasks, second, other_trainer, h("model"))
    assert not arena.tasks.participant(second, other_trainer).disqualified
