"""Attack: a commission raise lands on stake that cannot leave.

Delegators back an operator at 10% commission. The operator joins a long
task, locking the pool's stake, then raises its commission to the maximum.
The raise waits out the notice (7 days), but the task lasts longer, so the
locked delegators cannot leave before it applies to the task's reward.

Defence: a raise may only be made while nothing of the pool is locked, and
no stake is locked while a raise waits out its notice. Delegators therefore
see every raise coming with all their stake free to leave, for the whole
notice. A cut applies at once, whatever is locked.

What remains: an operator that wants a raise stops taking tasks until its
locked stake is released and the notice is over.
"""

import boa

from support.arena import ROLE_TRAINER
from support.constants import WAD


def test_no_raise_reaches_locked_delegators(arena, books):
    creator = books.actor("creator")
    operator = books.operator("operator", 1_000 * WAD)
    delegator = books.actor("delegator")
    with boa.env.prank(delegator):
        arena.staking.delegate(operator, 9_000 * WAD)
    task_id = arena.create(creator)
    arena.join(task_id, operator, ROLE_TRAINER, 10_000 * WAD)
    with boa.reverts("staking: no commission raise while stake is locked"), boa.env.prank(operator):
        arena.staking.set_commission(3_000)
    assert arena.staking.commission_of(operator) == 1_000

    # A raise announced while idle holds every lock back until it applies.
    other = books.operator("other", 1_000 * WAD)
    with boa.env.prank(other):
        arena.staking.set_commission(3_000)
    with boa.reverts("staking: a commission raise is pending"), boa.env.prank(other):
        arena.tasks.join(task_id, ROLE_TRAINER, 100 * WAD)
