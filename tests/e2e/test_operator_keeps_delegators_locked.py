"""Attack: an operator contract keeps its delegators' stake locked for good.

The operator runs its pool from a contract. Whenever a task of its pool
ends, the contract finalizes it, claims (which releases the pool's stake and
pays the reward in) and joins the next task with everything its pool can
lock, all in one transaction. Were a withdrawal request to draw only on
stake unlocked at the moment of the request, a delegator asking its stake
back would always find it locked: between two transactions the pool never
has a wei unlocked, and the delegator stays in, at risk in every task, for
as long as the operator likes.

Defence (Staking's withdrawal rule): a request for stake that is locked is
not refused but reserved. The reserved stake stays shares, at risk and
earning in the task that locked it, but no allocation can lock it again:
`allocate` takes only the pool's stake that is neither locked nor reserved.
Once the task that held it is released, anyone calls
`honour_withdrawal(operator, holder)` and the reserved amount starts its
unbonding delay like any request. Reservations are honoured in the order
they were made, so nobody can take the unlocked stake a reservation waits
for.

What remains: the reserved stake keeps earning and bearing slashes until
the tasks that hold it are released (at most their whole duration), and its
unbonding delay only starts at the honour. A reservation is an amount, like
any request: what the reserved stake earns meanwhile stays shares of the
holder, which a later allocation may lock.
"""

import boa

from support.arena import (
    PHASE_EVAL_REVEAL,
    PHASE_MODEL_REVEAL,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    h,
    model_commitment,
)
from support.constants import WAD

from .story import events, salt_of, score_round

OWN_STAKE = 1_000 * WAD
DELEGATED = 1_000 * WAD

# The operator's contract: its owner forwards any call through it, and
# `claim_and_rejoin` ends one task and joins the next in one transaction.
OPERATOR_CONTRACT = """
# pragma version ~=0.4.3

interface ITasks:
    def finalize(task_id: uint256) -> bool: nonpayable
    def claim(task_id: uint256, participant: address) -> uint256: nonpayable
    def join(task_id: uint256, role: uint256, amount: uint256): nonpayable

interface IStaking:
    def unlocked_stake(operator: address) -> uint256: view

owner: immutable(address)
tasks: immutable(ITasks)
staking: immutable(IStaking)

@deploy
def __init__(tasks_: ITasks, staking_: IStaking):
    owner = msg.sender
    tasks = tasks_
    staking = staking_

@external
def forward(target: address, data: Bytes[1024]):
    assert msg.sender == owner, "operator: not the owner"
    raw_call(target, data)

@external
def claim_and_rejoin(finished: uint256, next_task: uint256, role: uint256):
    assert msg.sender == owner, "operator: not the owner"
    for _call: uint256 in range(8):
        if extcall tasks.finalize(finished):
            break
    extcall tasks.claim(finished, self)
    extcall tasks.join(next_task, role, staticcall staking.unlocked_stake(self))
"""


def deploy_operator(arena, books) -> tuple[object, str]:
    """The operator's contract, owned by `owner`, with its pool open and its
    own 1,000 ARENA staked."""
    owner = books.actor("owner")
    with boa.env.prank(owner):
        contract = boa.loads(
            OPERATOR_CONTRACT, arena.tasks.address, arena.staking.address, name="Operator"
        )
    books.accounts.append(contract.address)
    books.operators.append(contract.address)
    with boa.env.prank(arena.bank):
        arena.token.transfer(contract.address, OWN_STAKE)
    forward(contract, owner, arena.token, "approve", arena.staking.address, 2**256 - 1)
    forward(contract, owner, arena.staking, "open_pool", 1_000, OWN_STAKE)
    return contract, owner


def forward(contract, owner: str, target, method: str, *args) -> None:
    """`owner` has its contract call `target.method(*args)`."""
    data = getattr(target, method).prepare_calldata(*args)
    with boa.env.prank(owner):
        contract.forward(target.address, data)


def test_a_request_for_locked_stake_is_honoured_after_the_rejoin(arena, books):
    staking, tasks = arena.staking, arena.tasks
    operator, owner = deploy_operator(arena, books)
    pool = operator.address
    delegator = books.actor("delegator")
    with boa.env.prank(delegator):
        staking.delegate(pool, DELEGATED)
    validators = [books.operator(f"validator{i}", 1_000 * WAD) for i in range(2)]
    creator = books.actor("creator")

    # Task 1: the operator's contract joins with the whole pool.
    first = arena.create(creator)
    forward(operator, owner, tasks, "join", first, ROLE_TRAINER, staking.unlocked_stake(pool))
    for v in validators:
        arena.join(first, v, ROLE_VALIDATOR, 100 * WAD)
    assert staking.pools(pool).locked == OWN_STAKE + DELEGATED
    assert staking.unlocked_stake(pool) == 0

    # The delegator asks for all of its stake while every wei of it is locked:
    # the request is reserved, not refused.
    with boa.env.prank(delegator):
        unlock_at = staking.request_withdraw(pool, DELEGATED)
    assert unlock_at == 0  # nothing unbonds yet
    (log,) = events(staking, "WithdrawReserved")
    assert (log.operator, log.holder, log.assets) == (pool, delegator, DELEGATED)
    assert staking.reserved_of(pool, delegator) == (DELEGATED, False)
    assert staking.pools(pool).reserved == DELEGATED
    assert staking.assets_of(pool, delegator) == DELEGATED  # still shares, still at risk
    with boa.reverts("staking: reserved stake still locked"):
        staking.honour_withdrawal(pool, delegator)

    # Task 1 is played out; task 2 opens before it is claimed.
    model, salt = h("model"), salt_of(pool)
    forward(operator, owner, tasks, "commit_model", first, model_commitment(model, pool, salt))
    arena.to_phase(first, PHASE_MODEL_REVEAL)
    forward(operator, owner, tasks, "reveal_model", first, model, "file:///models/op", salt)
    arena.to_phase(first, PHASE_EVAL_REVEAL)
    score_round(arena, first, {v: [1_000] for v in validators}, creator=creator)
    second = arena.create(creator)

    # In one transaction: finalize, claim (release + reward), join task 2
    # with everything the pool can lock.
    with boa.env.prank(owner):
        operator.claim_and_rejoin(first, second, ROLE_TRAINER)
    # (The logs of the whole transaction, every contract's.)
    (claimed,) = events(operator, "RewardClaimed")
    (released,) = events(operator, "StakeReleased")
    (allocated,) = events(operator, "StakeAllocated")
    reward = claimed.reward
    assert reward > 0 and released.amount == OWN_STAKE + DELEGATED

    # The re-join could not take the delegator's reserved stake: everything
    # else (the operator's stake and the pool's part of the reward) is locked
    # again.
    record = staking.pools(pool)
    assert record.reserved == DELEGATED
    assert record.locked == record.total_assets - DELEGATED
    assert tasks.participant(second, pool).stake == record.locked == allocated.amount
    assert staking.unlocked_stake(pool) == 0

    # The delegator's shares earned half of what the pool kept of the reward.
    # Anyone may now honour the request: the reserved amount starts unbonding.
    share = staking.assets_of(pool, delegator)
    kept = reward - reward * 1_000 // 10_000
    assert abs(share - (DELEGATED + kept // 2)) <= 1
    assert staking.reserved_of(pool, delegator) == (DELEGATED, True)
    staking.honour_withdrawal(pool, delegator)
    (log,) = events(staking, "WithdrawHonoured")
    assert (log.holder, log.reserved, log.assets) == (delegator, DELEGATED, DELEGATED)
    amount, unlock_at = staking.unbonding_of(delegator, pool)
    assert amount == DELEGATED and unlock_at == arena.now() + staking.unbonding_delay()
    assert staking.reserved_of(pool, delegator) == (0, False)
    assert staking.pools(pool).reserved == 0
    # What it earned beyond the reservation stays shares it may ask back now.
    assert staking.assets_of(pool, delegator) == share - DELEGATED

    wallet = arena.token.balanceOf(delegator)
    boa.env.time_travel(seconds=staking.unbonding_delay())
    with boa.env.prank(delegator):
        staking.withdraw(pool)
    assert arena.token.balanceOf(delegator) == wallet + DELEGATED
    books.assert_conserved(settled=False)
