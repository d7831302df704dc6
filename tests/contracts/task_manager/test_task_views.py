"""Views: participant, consensus_of, trust, claimable, the task record after
settlement, and the lists of participants."""

import boa
from task_manager_support import ALLOCATION

from support.arena import (
    INVALID_SCORE,
    PHASE_CANCELLED,
    PHASE_FINALIZED,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    h,
)
from support.constants import WAD

ZERO_ADDRESS = "0x" + "00" * 20
UNRANKED = 2**256 - 1


def test_participant_of_a_stranger_is_empty(tm, joined, non_owner):
    p = tm.participant(joined, non_owner)
    assert (p.role, p.index, p.stake, p.weight) == (0, 0, 0, 0)
    assert p.commitment == b"\0" * 32
    assert not (p.committed or p.revealed or p.disqualified or p.claimed)
    assert (p.rank, p.reward_weight) == (UNRANKED, 0)
    assert tm.consensus_of(joined, non_owner) == INVALID_SCORE
    assert tm.trust(joined, non_owner) == 0
    assert tm.claimable(joined, non_owner) == 0


def test_lists_of_participants(tm, joined, trainer, other_trainer, validator, other_validator):
    assert [tm.trainers(joined, i) for i in range(3)] == [trainer, other_trainer, ZERO_ADDRESS]
    assert [tm.validators(joined, i) for i in range(3)] == [
        validator,
        other_validator,
        ZERO_ADDRESS,
    ]


def test_records_after_settlement(
    arena, game, tm, joined, creator, trainer, other_trainer, validator, other_validator
):
    boa.env.evm.patch.block_number = 3
    game.play(
        joined,
        creator,
        {trainer: h("a"), other_trainer: h("b")},
        {validator: [20, 10], other_validator: [20, 11]},
    )
    arena.finalize(joined)
    assert tm.phase(joined) == PHASE_FINALIZED

    first = tm.participant(joined, trainer)
    assert (first.role, first.index, first.stake, first.weight) == (
        ROLE_TRAINER,
        0,
        ALLOCATION,
        ALLOCATION,
    )
    assert first.commitment == h("a")  # the revealed model hash
    assert first.commit_block == 3
    assert first.committed and first.revealed and not first.disqualified and not first.claimed
    assert (first.rank, first.reward_weight) == (1, 85 * WAD)
    second = tm.participant(joined, other_trainer)
    assert (second.rank, second.reward_weight) == (0, 100 * WAD)
    # Equal weights on 10 and 11: the midpoint, (10 + 11) // 2 = 10.
    assert [tm.consensus_of(joined, t) for t in (trainer, other_trainer)] == [20, 10]

    # Tolerance 1%: |11 - 10| = 10% of 10: other_validator agrees once of two.
    assert tm.trust(joined, validator) == WAD
    assert tm.trust(joined, other_validator) == WAD // 2
    v = tm.participant(joined, other_validator)
    assert (v.role, v.index, v.rank, v.reward_weight) == (ROLE_VALIDATOR, 1, UNRANKED, 50 * WAD)
    assert v.committed and v.revealed

    task = tm.tasks(joined)
    assert (task.stage, task.cursor) == (4, 0)
    assert task.train_weight_sum == 185 * WAD
    assert task.validator_weight_sum == 150 * WAD
    assert task.train_reward + task.validator_reward == 950 * WAD
    assert task.balance == 950 * WAD
    assert task.unclaimed == 4

    expected = {
        trainer: task.train_reward * 85 // 185,
        other_trainer: task.train_reward * 100 // 185,
        validator: task.validator_reward * 100 // 150,
        other_validator: task.validator_reward * 50 // 150,
    }
    assert {a: tm.claimable(joined, a) for a in expected} == expected
    assert game.claim_all(joined) == expected
    assert all(tm.participant(joined, a).claimed for a in expected)
    assert all(tm.claimable(joined, a) == 0 for a in expected)
    game.assert_settled(joined)


def test_claimable_on_a_cancelled_task(arena, game, tm, joined, trainer, validator):
    """The trainer that revealed takes the bond and gamma of the reward; the
    validators, who never got the eval set, nothing."""
    game.commit(joined, trainer)
    arena.warp_to(arena.deadlines(joined)["submit_end"])
    game.reveal(joined, trainer)
    assert tm.claimable(joined, trainer) == 0
    arena.warp_to(arena.deadlines(joined)["eval_end"])
    assert tm.phase(joined) == PHASE_CANCELLED
    assert tm.claimable(joined, trainer) == 10 * WAD + 1_000 * WAD * tm.gamma_wad() // WAD
    assert tm.claimable(joined, validator) == 0
