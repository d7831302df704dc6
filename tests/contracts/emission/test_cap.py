"""The token's cap binds the emission: a checkpoint mints
min(due, token.mintable()), so the supply reaches MAX_SUPPLY exactly and
stays there, and checkpoints (and everything that makes one) keep working,
minting nothing. Each test deploys with a genesis close to the cap."""

import boa
import pytest
from emission_support import (
    DAY,
    YEAR,
    D,
    commit_model,
    logs_named,
    long_terms,
    named,
    without_trainer_stake_floor,
)

from support.constants import MAX_SUPPLY, WAD
from support.dao import GovernedArena


def arena_with_headroom(headroom: int) -> GovernedArena:
    arena = GovernedArena(genesis=MAX_SUPPLY - headroom)
    without_trainer_stake_floor(arena)
    assert arena.token.mintable() == headroom
    return arena


def test_emission_stops_at_the_cap_exactly():
    headroom = D + 12_345
    arena = arena_with_headroom(headroom)
    emission, token = arena.emission, arena.token
    start = emission.last_checkpoint()

    arena.warp_to(start + DAY)
    assert emission.pending() == D
    assert emission.checkpoint() == D
    # The next day would release D; 12,345 wei are left under the cap.
    arena.warp_to(start + 2 * DAY)
    assert emission.pending() == 12_345
    assert emission.checkpoint() == 12_345
    (log,) = logs_named(emission, "Checkpointed")
    assert (log.released, log.to_treasury) == (12_345, 12_345)
    assert token.totalSupply() == MAX_SUPPLY
    assert token.mintable() == 0
    assert emission.emitted() == headroom
    assert token.balanceOf(arena.treasury) == headroom

    # Later checkpoints mint nothing and do not revert, catch-up included.
    for when in (start + 2 * DAY + 1, start + YEAR, start + 40 * YEAR):
        arena.warp_to(when)
        for _ in range(3):
            assert emission.pending() == 0
            assert emission.checkpoint() == 0
            assert logs_named(emission, "Checkpointed") == []
            assert token.totalSupply() == MAX_SUPPLY
        # The clock moved on all the same (nothing accrues behind the cap).
        assert emission.last_checkpoint() == when
    assert emission.emitted() == headroom


@pytest.mark.parametrize("headroom", [0, 1, 10_001])
def test_a_capped_release_is_split_like_any_other(headroom):
    arena = arena_with_headroom(headroom)
    emission, token, tm = arena.emission, arena.token, arena.tasks
    creator = arena.actor("creator", 10_000 * WAD)
    governor = arena.governor.address
    tasks = []
    for name, weight in (("light_trainer", 100 * WAD), ("heavy_trainer", 300 * WAD)):
        task = arena.create(creator, long_terms())
        trainer = arena.operator(name, weight)
        arena.join(task, trainer, 1, weight)
        commit_model(arena, task, trainer)
        with boa.env.prank(governor):
            emission.verify_task(task)
        tasks.append(task)

    arena.warp_to(emission.last_checkpoint() + 60)
    treasury = token.balanceOf(governor)
    assert emission.pending() == min(D * 60 // DAY, headroom) == headroom
    assert emission.checkpoint() == headroom
    shares = [headroom // 4, headroom * 3 // 4]
    assert [tm.tasks(t).emission for t in tasks] == shares
    assert [emission.emission_of(t) for t in tasks] == shares
    assert token.balanceOf(governor) - treasury == headroom - sum(shares)
    assert token.totalSupply() == MAX_SUPPLY


def test_every_call_that_checkpoints_works_at_the_cap():
    arena = arena_with_headroom(0)
    emission, token = arena.emission, arena.token
    governor = arena.governor.address
    creator = arena.actor("creator", 10_000 * WAD)
    task = arena.create(creator, long_terms())
    trainer = arena.operator("trainer", 100 * WAD)
    arena.join(task, trainer, 1, 100 * WAD)
    commit_model(arena, task, trainer)
    arena.warp_to(emission.last_checkpoint() + DAY)
    with boa.env.prank(governor):
        emission.verify_task(task)
        emission.set_daily_emission(emission.MAX_DAILY_EMISSION())
        emission.set_decay_bps(0)
        arena.warp_to(arena.now() + DAY)
        emission.unverify_task(task)
        assert named(emission.get_logs(), "Checkpointed") == []
    assert emission.checkpoint() == 0
    assert emission.emitted() == 0
    assert emission.emission_of(task) == 0
    assert token.totalSupply() == MAX_SUPPLY
    assert emission.last_checkpoint() == arena.now()
