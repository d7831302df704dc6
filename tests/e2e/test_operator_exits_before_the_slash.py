"""Attack: an operator leaves its delegators to pay its slash.

An operator with 1,000 ARENA of its own and 9,000 delegated joins a task as
a validator, locking 5,000. The lock is covered by the pool's stake, so the
operator asks its own stake back at once, then never reveals its scores.
Were a slash to lower every share alike, the delegators would pay all of it
while the operator walks away.

Defence: an operator keeps its own stake at or above `min_self_stake_bps`
(10% by default, a DAO parameter) of what its pool has locked, both when
stake is locked and when it asks its own stake back; and a slash takes the
operator's own stake first, lowering the other shares only for what the
operator's stake cannot cover.

What remains: with the default 10% and the 50% slash ceiling, a lock of more
than 20 times the operator's own stake can still cost its delegators part
of a slash; the DAO raises `min_self_stake_bps` to close that.
"""

import boa

from support.arena import PHASE_EVAL_REVEAL, PHASE_FINALIZE, PHASE_SCORE_REVEAL, ROLE_VALIDATOR
from support.constants import WAD

from .story import salt_of


def test_the_operator_pays_its_own_slash(arena, books):
    creator = books.actor("creator")
    operator = books.operator("operator", 1_000 * WAD)
    delegator = books.actor("delegator")
    with boa.env.prank(delegator):
        arena.staking.delegate(operator, 9_000 * WAD)
    task_id = arena.create(creator)
    arena.join(task_id, operator, ROLE_VALIDATOR, 5_000 * WAD)

    # Its own stake must cover 10% of the 5,000 locked: 500 stay.
    with boa.env.prank(operator):
        arena.staking.request_withdraw(operator, 500 * WAD)
    with (
        boa.reverts("staking: operator's own stake must cover its locked share"),
        boa.env.prank(operator),
    ):
        arena.staking.request_withdraw(operator, 1 * WAD)

    # It commits scores and never reveals them.
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    arena.reveal_eval(task_id, creator)
    arena.commit_scores(task_id, operator, [], salt_of(operator))
    arena.to_phase(task_id, PHASE_SCORE_REVEAL)
    arena.to_phase(task_id, PHASE_FINALIZE)
    arena.finalize(task_id)
    arena.claim(task_id, operator)
    slash = 5_000 * WAD * arena.tasks.tasks(task_id).nonreveal_slash_bps // 10_000
    assert slash > 0
    # The operator's 500 pay first; the delegator pays only what is left.
    own_paid = min(slash, 500 * WAD)
    assert arena.staking.own_stake(operator) <= 500 * WAD - own_paid + 1
    delegator_loss = 9_000 * WAD - arena.staking.assets_of(operator, delegator)
    assert abs(delegator_loss - (slash - own_paid)) <= 2
    books.assert_conserved()
