"""Attack: a reward paid into a dust pool is half absorbed by the virtual shares.

Pool shares count as if every pool always held 10^6 more shares backed by
one more wei (modules/pool_shares.vy). That defeats the first-depositor
attack, but the virtual shares also take their part of every reward,
VS / (S + VS). In a pool of one wei (10^6 shares) that part is a half: a
trainer that joins a task with a one-wei pool (a creator may ask for a
minimum stake of one wei) and wins it leaves half of what its pool earns
there for good, where no holder can ever claim it.

Defence: a pool can be locked for a task only while its total assets are at
least `min_pool_stake` (1 ARENA by default, a DAO parameter), and a task pays
rewards only to pools it locked. At 1 ARENA a fresh pool has 10^24 shares,
and the virtual shares take 10^-18 of a reward: less than one wei per ARENA
paid.

What remains: the check is made when the stake is locked; the pool's
holders may take their unlocked stake out while the task runs, and a pool
left with a lock below the minimum takes its reward with a larger part for
the virtual shares (VS / S of it, S the shares left).
"""

import boa

from support.arena import ROLE_TRAINER, TaskTerms, without_trainer_stake_floor
from support.constants import WAD

from .story import claim_all, play_one_trainer

VIRTUAL_SHARES = 10**6


def absorbed(arena, operator: str) -> int:
    """What the pool holds that its holders cannot claim: the virtual shares'
    part (the operator is the pool's only holder)."""
    return arena.staking.pools(operator).total_assets - arena.staking.assets_of(operator, operator)


def test_a_dust_pool_cannot_join_a_task(arena, books):
    creator = books.actor("creator")
    trainer = books.operator("trainer", 1)  # a pool of one wei
    without_trainer_stake_floor(arena.tasks, arena.admin)
    task_id = arena.create(creator, TaskTerms(min_trainer_stake=1))
    with boa.reverts("staking: pool stake below the minimum"):
        arena.join(task_id, trainer, ROLE_TRAINER, 1)
    assert arena.staking.min_pool_stake() == WAD
    # Staking more lifts it to the minimum: then it may join.
    with boa.env.prank(trainer):
        arena.staking.delegate(trainer, WAD - 1)
    arena.join(task_id, trainer, ROLE_TRAINER, 1)


def test_without_the_minimum_the_virtual_shares_take_half(arena, books):
    """What the minimum prevents: with `min_pool_stake` at 0 (the admin's
    choice), the one-wei pool wins the task and half of what it keeps of
    the reward stays with the virtual shares."""
    with boa.env.prank(arena.admin):
        arena.staking.set_min_pool_stake(0)
    trainer = books.operator("trainer", 1)
    validators = [books.operator(f"validator{i}", 1_000 * WAD) for i in range(2)]
    task_id = dust_task(arena, books, trainer, validators)
    (reward, _), *_ = claim_all(arena, task_id, [trainer, *validators]).values()
    kept = reward - reward * 1_000 // 10_000  # the commission is the operator's
    assert abs(absorbed(arena, trainer) - kept // 2) <= 1
    books.assert_conserved()


def test_at_the_minimum_the_virtual_shares_take_under_a_wei_per_token(arena, books):
    trainer = books.operator("trainer", WAD)  # exactly the minimum
    validators = [books.operator(f"validator{i}", 1_000 * WAD) for i in range(2)]
    task_id = dust_task(arena, books, trainer, validators)
    (reward, _), *_ = claim_all(arena, task_id, [trainer, *validators]).values()
    kept = reward - reward * 1_000 // 10_000
    shares = arena.staking.pools(trainer).total_shares
    # The virtual shares' part, VS / (S + VS) of what the pool kept...
    assert absorbed(arena, trainer) <= kept * VIRTUAL_SHARES // (shares + VIRTUAL_SHARES) + 1
    # ...under one wei per ARENA of it.
    assert absorbed(arena, trainer) <= kept // WAD + 1
    books.assert_conserved()


def dust_task(arena, books, trainer: str, validators: list[str]) -> int:
    """`trainer` (its whole pool locked) the only submission of a task with
    minimum stakes of one wei, scored by `validators` (100 ARENA each);
    returns the finalized task's id."""
    stake = arena.staking.pools(trainer).total_assets
    without_trainer_stake_floor(arena.tasks, arena.admin)
    return play_one_trainer(
        arena,
        books,
        trainer,
        validators,
        terms=TaskTerms(min_trainer_stake=1),
        stake=stake,
    )
