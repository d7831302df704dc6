"""The staking commands end to end through Ape on anvil: open a pool, stake,
delegate, unbond and withdraw, set and claim commission, claim a task, read a
position; and every refusal as one sentence that says what to do.

Ape reverts the chain after each test, so every test starts from the module's
set-up: an operator (TEST::3) with its own pool of 2,600 ARENA at 10%
commission, a delegator (TEST::4) with 400 ARENA in it, and a newcomer
(TEST::5) with neither pool nor tokens. A tiny task is played through the
contracts with the operator as its trainer. Time moves with
`chain.mine(timestamp=...)`; the unbonding delay of the local deployment is
one hour.
"""

import pytest
from eth_abi import encode
from eth_utils import keccak

from support.cli import cli_run

WAD = 10**18
UNBONDING_DELAY = 3_600
ROLE_TRAINER, ROLE_VALIDATOR = 1, 2


@pytest.fixture(scope="module")
def cast(accounts):
    return {
        "operator": accounts[3],
        "delegator": accounts[4],
        "newcomer": accounts[5],
        "creator": accounts[6],
        "validator": accounts[7],
        "bystander": accounts[8],
    }


@pytest.fixture(scope="module")
def funded(protocol, fund, cast):
    staking, token = protocol["Staking"], protocol["ArenaToken"]
    operator, delegator = cast["operator"], cast["delegator"]
    fund(operator, 10_000)
    fund(delegator, 1_000)
    fund(cast["creator"], 5_000)
    fund(cast["validator"], 1_000)
    token.approve(staking, 2_600 * WAD, sender=operator)
    staking.open_pool(1_000, 2_600 * WAD, sender=operator)
    token.approve(staking, 400 * WAD, sender=delegator)
    staking.invoke_transaction("delegate", operator, 400 * WAD, sender=delegator)
    return cast


def run(*args):
    return cli_run(*args)


def ok(*args):
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


def refused(*args) -> str:
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ")
    return result.output


def test_open_pool_and_stake(protocol, funded, fund):
    staking, token = protocol["Staking"], protocol["ArenaToken"]
    newcomer = funded["newcomer"]
    fund(newcomer, 3_000)

    out = ok("pool", "open", "--commission", "1000", "--stake", "2000", "--account", "TEST::5")
    assert "Approved the staking contract to take 2,000 ARENA." in out
    assert f"Opened the pool of {newcomer.address}." in out
    assert "commission   10% (1000 bps)" in out
    assert "own stake    2,000 ARENA" in out
    assert staking.pools(newcomer).opened
    assert staking.own_stake(newcomer) == 2_000 * WAD
    assert token.allowance(newcomer, staking) == 0

    out = ok("stake", "500.5", "--account", "TEST::5")
    assert "Approved the staking contract to take 500.5 ARENA." in out
    assert f"Staked 500.5 ARENA in the pool of {newcomer.address}" in out
    assert "your own stake is now 2,500.5 ARENA" in out
    assert staking.own_stake(newcomer) == 25_005 * WAD // 10

    # An allowance already large enough is used as it is.
    token.approve(staking, 100 * WAD, sender=newcomer)
    out = ok("stake", "99.5", "--account", "TEST::5")
    assert "Approved" not in out
    assert staking.own_stake(newcomer) == 2_600 * WAD
    assert staking.votes(newcomer) == 2_600 * WAD


def test_pool_and_amount_refusals(protocol, funded):
    assert "already has a pool; add stake with `ape arena stake AMOUNT`" in refused(
        "pool", "open", "--commission", "100", "--account", "TEST::3"
    )
    assert "A commission of 3001 bps is above the maximum of 3000 bps (30%); pick 3000" in (
        refused("pool", "open", "--commission", "3001", "--account", "TEST::5")
    )
    assert "holds 0 ARENA, not enough to open the pool with 10; get ARENA first." in refused(
        "pool", "open", "--commission", "100", "--stake", "10", "--account", "TEST::5"
    )
    assert "has no pool yet; open one with `ape arena pool open --commission BPS`." in refused(
        "stake", "10", "--account", "TEST::5"
    )
    assert "Cannot read 'lots' as an amount of ARENA; give a number such as 1000 or 2.5." in (
        refused("stake", "lots", "--account", "TEST::3")
    )
    assert "The amount must be more than 0 ARENA, not 0" in refused(
        "stake", "0", "--account", "TEST::3"
    )
    assert "The amount must be more than 0 ARENA, not -5" in refused(
        "pool", "open", "--commission", "100", "--stake", "-5", "--account", "TEST::5"
    )
    assert "ARENA has 18 decimals" in refused(
        "stake", "0.0000000000000000001", "--account", "TEST::3"
    )
    assert "holds 7,400 ARENA, not enough to stake 1,000,000; get more ARENA" in refused(
        "stake", "1000000", "--account", "TEST::3"
    )
    assert "is neither an address nor an account alias" in refused(
        "delegate", "nobody", "1", "--account", "TEST::4"
    )
    # A refusal sends nothing.
    assert not protocol["Staking"].pools(funded["newcomer"]).opened


def test_delegate_undelegate_withdraw(protocol, funded, chain):
    staking, token = protocol["Staking"], protocol["ArenaToken"]
    delegator = funded["delegator"]
    op = funded["operator"].address

    out = ok("delegate", op, "100", "--account", "TEST::4")
    assert "Approved the staking contract to take 100 ARENA." in out
    assert f"Delegated 100 ARENA to {op}; your stake in that pool is now 500 ARENA." in out
    assert staking.assets_of(op, delegator) == 500 * WAD
    assert staking.votes(delegator) == 500 * WAD

    bystander = funded["bystander"].address
    assert f"{bystander} has no staking pool; check the address" in refused(
        "delegate", bystander, "1", "--account", "TEST::4"
    )
    assert f"{funded['newcomer'].address} has no stake in {op}'s pool" in refused(
        "undelegate", op, "1", "--account", "TEST::5"
    )
    assert f"has 500 ARENA in {op}'s pool, less than 600; ask for at most 500." in refused(
        "undelegate", op, "600", "--account", "TEST::4"
    )
    nothing = refused("withdraw", op, "--account", "TEST::4")
    assert f"Nothing of {delegator.address} is unbonding from {op}'s pool" in nothing
    assert f"`ape arena undelegate {op} AMOUNT`" in nothing

    out = ok("undelegate", op, "100", "--account", "TEST::4")
    amount, unlock_at = staking.unbonding_of(delegator, op)
    assert amount == 100 * WAD
    assert f"Unbonding 100 ARENA from {op}'s pool (100 ARENA in all)" in out
    assert f"withdraw it from {_when(unlock_at)} with `ape arena withdraw {op}`." in out
    assert staking.votes(delegator) == 400 * WAD

    early = refused("withdraw", op, "--account", "TEST::4")
    assert f"The unbonding of 100 ARENA from {op}'s pool ends at {_when(unlock_at)}" in early
    assert "withdraw after that." in early

    chain.mine(timestamp=unlock_at)
    out = ok("withdraw", op, "--account", "TEST::4")
    assert f"Withdrew 100 ARENA from {op}'s pool; the wallet holds 600 ARENA." in out
    assert token.balanceOf(delegator) == 600 * WAD
    assert staking.unbonding_of(delegator, op) == (0, 0)
    assert "Nothing of" in refused("withdraw", op, "--account", "TEST::4")

    # The operator asks back from its own pool the same way.
    out = ok("undelegate", op, "600", "--account", "TEST::3")
    assert "Unbonding 600 ARENA from its own pool (600 ARENA in all)" in out
    assert staking.own_stake(op) == 2_000 * WAD


def test_commission_set_and_refusals(protocol, funded):
    staking = protocol["Staking"]
    op = funded["operator"].address

    out = ok("commission", "500", "--account", "TEST::3")
    assert "Commission set to 5% (500 bps); it applies now (it was 10% (1000 bps))." in out
    assert staking.commission_of(op) == 500

    out = ok("commission", "2000", "--account", "TEST::3")
    pool = staking.pools(op)
    assert pool.pending_commission_bps == 2_000
    assert (
        f"Commission raise to 20% (2000 bps) scheduled; it applies from "
        f"{_when(pool.pending_commission_at)}, after the notice (until then 5% (500 bps))."
    ) in out
    assert staking.commission_of(op) == 500

    assert "above the maximum of 3000 bps" in refused("commission", "4000", "--account", "TEST::3")
    assert "has no pool yet" in refused("commission", "100", "--account", "TEST::5")
    assert "has no commission to claim yet" in refused(
        "commission", "--claim", "--account", "TEST::3"
    )
    assert "Give either a commission in bps" in refused("commission", "--account", "TEST::3")
    assert "Give either a commission in bps" in refused(
        "commission", "100", "--claim", "--account", "TEST::3"
    )


def test_claim_task_locked_stake_and_commission(protocol, funded, chain):
    staking, tasks, token = protocol["Staking"], protocol["TaskManager"], protocol["ArenaToken"]
    operator, validator, creator = funded["operator"], funded["validator"], funded["creator"]
    op = operator.address

    assert "There is no task 1 on this chain (no task exists yet); check the task id" in refused(
        "claim", "1", "--account", "TEST::3"
    )

    # A tiny task, played through the contracts: the operator trains, the
    # validator scores.
    token.approve(staking, 500 * WAD, sender=validator)
    staking.open_pool(1_000, 500 * WAD, sender=validator)
    eval_hash, eval_salt = keccak(text="eval set"), keccak(text="eval salt")
    terms = (
        b"lm".ljust(32, b"\0"), keccak(text="spec"), "file:///spec",
        keccak(encode(["bytes32", "bytes32"], [eval_hash, eval_salt])),
        1_000 * WAD, 10 * WAD, 100 * WAD, 100 * WAD, 4, 4,
        3_600, 3_600, 3_600, 3_600, 3_600, 100,
    )  # fmt: skip
    token.approve(tasks, 1_010 * WAD, sender=creator)
    tasks.create_task(terms, sender=creator)
    task_id = tasks.task_count()
    tasks.join(task_id, ROLE_TRAINER, 500 * WAD, sender=operator)
    tasks.join(task_id, ROLE_VALIDATOR, 400 * WAD, sender=validator)

    # While the task runs, the stake it locked cannot be asked back.
    unlocked = staking.unlocked_stake(op)
    assert unlocked == staking.pools(op).total_assets - 500 * WAD
    locked = refused("undelegate", op, "2550", "--account", "TEST::3")
    assert f"Only {_arena(unlocked)} ARENA of its own pool can leave now, the rest is locked" in (
        locked
    )
    assert "wait until those tasks are claimed" in locked

    early = refused("claim", str(task_id), "--account", "TEST::3")
    assert f"Task {task_id} is still in its submit phase; claim after scoring ends at" in early
    assert f"`ape arena finalize {task_id}`" in early

    model, model_salt = keccak(text="model"), keccak(text="model salt")
    commitment = keccak(encode(["bytes32", "address", "bytes32"], [model, op, model_salt]))
    tasks.commit_model(task_id, commitment, sender=operator)
    deadlines = tasks.tasks(task_id)
    chain.mine(timestamp=deadlines.submit_end)
    tasks.reveal_model(task_id, model, "file:///model", model_salt, sender=operator)
    chain.mine(timestamp=deadlines.reveal_end)
    tasks.reveal_eval(task_id, eval_hash, "file:///eval", eval_salt, sender=creator)
    scores, score_salt = [100], keccak(text="score salt")
    tasks.commit_scores(
        task_id,
        keccak(
            encode(["uint256[]", "address", "bytes32"], [scores, validator.address, score_salt])
        ),
        sender=validator,
    )
    chain.mine(timestamp=deadlines.score_commit_end)
    tasks.reveal_scores(task_id, scores, score_salt, sender=validator)
    chain.mine(timestamp=deadlines.score_reveal_end)

    unfinalized = refused("claim", str(task_id), "--account", "TEST::3")
    assert (
        f"Task {task_id} is scored but not finalized yet; finalize it first with "
        f"`ape arena finalize {task_id}`, then claim."
    ) in unfinalized

    for _ in range(10):
        tasks.finalize(task_id, sender=creator)
        if tasks.phase(task_id) == 7:
            break
    assert tasks.phase(task_id) == 7

    bystander = funded["bystander"].address
    assert f"{bystander} did not join task {task_id} as a trainer or a validator" in refused(
        "claim", str(task_id), "--account", "TEST::8"
    )
    assert (
        "There is no task 99 on this chain (tasks run from 1 to 1); check the task id"
        in refused("claim", "99", "--account", "TEST::3")
    )

    expected = tasks.claimable(task_id, op)
    assert expected > 0
    out = ok("claim", str(task_id), "--account", "TEST::3")
    assert f"Claimed the trainer part of {op} in task {task_id} (finalized)." in out
    assert f"{_arena(expected, 6)} ARENA, paid into {op}'s pool" in out
    assert "slashed              0 ARENA" in out
    assert "stake unlocked       500 ARENA" in out
    assert staking.pools(op).locked == 0
    assert tasks.participant(task_id, op).claimed

    # Anyone may claim for a participant.
    expected = tasks.claimable(task_id, validator.address)
    out = ok("claim", str(task_id), "--for", validator.address, "--account", "TEST::8")
    assert f"Claimed the validator part of {validator.address} in task {task_id}" in out
    assert f"{_arena(expected, 6)} ARENA, paid into" in out

    assert f"{op}'s part in task {task_id} is already claimed" in refused(
        "claim", str(task_id), "--account", "TEST::3"
    )

    # The trainer's reward left commission in the operator's pool.
    owed = staking.pools(op).commission_owed
    assert owed > 0
    before = token.balanceOf(op)
    out = ok("commission", "--claim", "--account", "TEST::3")
    assert f"Claimed {_arena(owed, 6)} ARENA of commission to {op}." in out
    assert token.balanceOf(op) == before + owed
    assert staking.pools(op).commission_owed == 0


def test_position(protocol, funded):
    staking = protocol["Staking"]
    operator, delegator = funded["operator"], funded["delegator"]
    op = operator.address
    staking.request_withdraw(op, 150 * WAD, sender=delegator)
    staking.set_commission(2_000, sender=operator)

    out = ok("position", "--account", "TEST::4")
    assert f"address       {delegator.address}" in out
    assert "wallet        600 ARENA" in out
    assert "voting power  250 ARENA" in out  # 400 staked, 150 asked back
    assert "own pool  not open (`ape arena pool open --commission BPS`)" in out
    assert "Stakes in other pools" in out
    _, unlock_at = staking.unbonding_of(delegator, op)
    (row,) = [line for line in out.splitlines() if op in line]
    # pool, stake, of it waiting, of it reserved, unbonding, unlocks at
    cells = [cell.strip() for cell in row.split("│")[1:7]]
    assert cells == [op, "250", "0", "0", "150", _when(unlock_at)], row

    out = ok("position", op)
    pool = staking.pools(op)
    # The pool block is aligned on its longest key: compare with single spaces.
    lines = {" ".join(line.split()) for line in out.splitlines()}
    assert f"address       {op}" in out
    assert "wallet 7,400 ARENA" in lines
    assert "voting power 2,600 ARENA" in lines
    assert "own pool open" in lines
    assert "commission now 10% (1000 bps)" in lines
    assert f"commission pending 20% (2000 bps) from {_when(pool.pending_commission_at)}" in lines
    assert "own stake 2,600 ARENA" in lines
    assert "delegated stake 250 ARENA" in lines
    assert "total assets 2,850 ARENA" in lines
    assert "locked in tasks 0 ARENA" in lines
    assert "waiting stake 0 ARENA" in lines
    assert "reserved for withdrawals 0 ARENA" in lines
    assert "unlocked 2,850 ARENA" in lines
    assert "commission owed 0 ARENA" in lines
    assert "No stake in other pools." in out

    # An alias works as the address too, and no account is needed.
    assert f"address       {op}" in ok("position", "TEST::3")
    assert "Give the address to show" in refused("position")


def test_pause_refuses_new_stakes(protocol, funded, accounts):
    """Only governance can lift a pause; Ape's revert after the test does here."""
    staking = protocol["Staking"]
    op = funded["operator"].address
    staking.pause(sender=accounts[0])
    paused = "New stakes are paused by the guardian; withdrawals and claims still work"
    assert paused in refused("stake", "1", "--account", "TEST::3")
    assert paused in refused("delegate", op, "1", "--account", "TEST::4")
    assert paused in refused("pool", "open", "--commission", "100", "--account", "TEST::5")
    # Asking stake back still works while paused.
    assert "Unbonding 1 ARENA" in ok("undelegate", op, "1", "--account", "TEST::4")


def _when(timestamp: int) -> str:
    from ape_arena.chain.staking import when

    return when(timestamp)


def _arena(wei: int, places: int | None = None) -> str:
    """As the CLI prints it, in errors, tables and results alike (`units.format_arena`)."""
    from ape_arena.units import format_arena

    return format_arena(wei)
