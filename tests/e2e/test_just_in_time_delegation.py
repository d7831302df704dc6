"""Attack: just-in-time delegation captures a task's reward.

A task is finalized and its trainer's reward is waiting to be claimed. The
attacker holds a lot of tokens and no stake. In one block it delegates
90,000 ARENA to the trainer's pool, claims for the trainer (anyone may), and
asks its stake back. Were the reward to raise the share price of whoever
holds shares at that moment, the attacker would take 90,000 / 91,000 of what
the pool's delegators earned, with nothing ever at risk.

Defence (Staking's activation rule): stake that arrives while part of the
pool is locked in a task waits in `pool.pending` and becomes shares only at
the pool's next allocation, or at a deposit or withdrawal request made when
nothing is locked. The claim releases the task's stake and pays its reward
in one call, so the reward reaches only the shares that were at risk; the
attacker's deposit comes back whole, through the same unbonding delay as
any stake, and earns nothing.

What remains: a deposit made before a later allocation of the same pool
(the operator joining another task) becomes shares then, and so shares in
rewards paid afterwards for tasks that were locked before it. Its stake is at
risk in the new task from then on, and the operator's own node claims as
soon as a task is finalized.
"""

import boa

from support.constants import WAD

from .story import play_one_trainer

FORTUNE = 90_000 * WAD


def test_a_deposit_just_before_the_claim_earns_nothing(arena, books):
    trainer = books.operator("trainer", 1_000 * WAD)
    validators = [books.operator(f"validator{i}", 1_000 * WAD) for i in range(2)]
    delegator = books.actor("delegator")
    with boa.env.prank(delegator):
        arena.staking.delegate(trainer, 1_000 * WAD)
    task_id = play_one_trainer(arena, books, trainer, validators)
    reward = arena.tasks.claimable(task_id, trainer)
    assert reward > 0

    attacker = books.actor("attacker")
    wallet = arena.token.balanceOf(attacker)
    with boa.env.prank(attacker):
        arena.staking.delegate(trainer, FORTUNE)
        arena.tasks.claim(task_id, trainer)
        arena.staking.request_withdraw(trainer, arena.staking.assets_of(trainer, attacker))
    boa.env.time_travel(seconds=arena.staking.unbonding_delay())
    with boa.env.prank(attacker):
        arena.staking.withdraw(trainer)

    # The attacker gets back exactly what it put in.
    assert arena.token.balanceOf(attacker) == wallet
    # The delegator, at risk for the whole task, gets half of what the pool
    # kept after the commission (it holds half of the pool's shares).
    commission = reward * 1_000 // 10_000
    gained = arena.staking.assets_of(trainer, delegator) - 1_000 * WAD
    assert abs(gained - (reward - commission) // 2) <= 1
    for v in validators:
        arena.claim(task_id, v)
    books.assert_conserved()
