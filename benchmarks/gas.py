"""Gas benchmark of every state-changing function, measured on anvil through Ape.

Run from the repository root with `make bench-gas` (or `python -m benchmarks.gas`
with the venv active). Each scenario deploys its contracts on a fresh anvil,
builds a warm, realistic state (pools already open, delegators already holding
shares, recipients already holding tokens, infinite allowances in place) and
records `receipt.gas_used` of one transaction per figure: the whole
transaction's gas, the 21,000 base and calldata included, after refunds.
The figures go to benchmarks/results/gas.json as a flat, key-sorted object
{"Contract.function[.situation]": gas}; docs/benchmarks.md explains each one.

A later contract adds its own scenario: a function taking the `Bench` and
returning its figures, appended to `SCENARIOS`, with its targets (if any) in
`TARGETS`. The task manager's scenario, thousands of transactions, sends them
straight to anvil from impersonated accounts (`Node`); the gas is still each
receipt's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Ape's `project` is the project of the working directory.
os.chdir(ROOT)

from ape import accounts, chain, networks, project  # noqa: E402
from ape.logging import logger  # noqa: E402
from eth_abi import encode  # noqa: E402
from eth_utils import keccak, to_checksum_address  # noqa: E402

from ape_arena.chain.permit import sign_permit  # noqa: E402
from ape_arena.chain.tasks import (  # noqa: E402
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    model_commitment,
    score_commitment,
)
from ape_arena.files import write_json_atomically  # noqa: E402
from ape_arena.units import DAY, WAD  # noqa: E402

# The staking parameters every scenario deploys with (the test suite's own).
GENESIS_SUPPLY = 100_000_000 * WAD
UNBONDING_DELAY = 7 * DAY
COMMISSION_NOTICE = 7 * DAY
MAX_COMMISSION_BPS = 3_000
MAX_SLASH_BPS = 5_000
DELEGATION_WEIGHT_BPS = 10_000

NETWORK = "ethereum:local:foundry"
RESULTS = ROOT / "benchmarks" / "results" / "gas.json"
MAX_UINT256 = 2**256 - 1
# A fixed permit deadline keeps the signature, hence the calldata gas, the
# same from run to run.
PERMIT_DEADLINE = 4_000_000_000

# Base (like every chain since Osaka, EIP-7825) caps one transaction at 2**24 gas.
TX_GAS_CAP = 2**24
# The task sizes of the whole-task figures, (trainers, validators): a small
# task, a large one, and the caps (MAX_TRAINERS, MAX_VALIDATORS).
TASK_SIZES = [(8, 4), (64, 16), (128, 64)]


def _reveal_scores_target(trainers: int) -> int:
    return 25_000 + 6_000 * trainers


# Targets from the staking and task manager issues: figure name -> most gas
# allowed. A target on a function applies to each of its variants.
TARGETS: dict[str, int] = {
    "Staking.delegate": 100_000,
    "Staking.request_withdraw": 80_000,
    "Staking.withdraw": 70_000,
    "Staking.pay_reward": 60_000,
    "TaskManager.commit_model": 60_000,
    "TaskManager.commit_model.recommit": 60_000,
    "TaskManager.reveal_model": 80_000,
    "TaskManager.reveal_model.duplicate": 80_000,
    **{f"TaskManager.reveal_scores.{n}_trainers": _reveal_scores_target(n) for n, _ in TASK_SIZES},
    # The slope of reveal_scores from the smallest to the largest task.
    "TaskManager.reveal_scores.per_trainer": 6_000,
    **{
        f"TaskManager.claim.{case}": 80_000
        for case in (
            "trainer",
            "validator",
            "plagiarist",
            "validator.no_reveal",
            "last",
            "cancelled",
        )
    },
    # Governance: the reference for a vote (OpenZeppelin Governor's
    # castVote is commonly 50-90k gas).
    "Governor.vote": 70_000,
    "Governor.vote.first": 70_000,
    # The heaviest transaction of a whole task must fit in one transaction.
    **{f"TaskManager.task.{t}x{v}.heaviest_tx": TX_GAS_CAP - 1 for t, v in TASK_SIZES},
}


@dataclass
class Bench:
    """What a scenario gets: named, funded accounts of the running anvil."""

    deployer: object
    admin: object
    treasury: object

    def account(self):
        """A fresh account with 100 ETH for gas and no token or role."""
        account = accounts.test_accounts.generate_test_account()
        account.balance = 100 * WAD
        return account


Figures = dict[str, int]
Scenario = Callable[[Bench], Figures]


def gas(receipt) -> int:
    """Whole-transaction gas of a mined, successful transaction."""
    assert not receipt.failed, receipt.txn_hash
    return int(receipt.gas_used)


def _deploy_token(bench: Bench):
    """A fresh ArenaToken: the genesis supply with the treasury, its roles with the admin."""
    return project.ArenaToken.deploy(
        bench.admin, bench.treasury, GENESIS_SUPPLY, sender=bench.deployer
    )


def _deploy_staking(bench: Bench) -> tuple:
    """A fresh token and a Staking contract on it with the benchmark's parameters."""
    token = _deploy_token(bench)
    staking = project.Staking.deploy(
        token,
        bench.admin,
        bench.treasury,
        UNBONDING_DELAY,
        COMMISSION_NOTICE,
        MAX_COMMISSION_BPS,
        MAX_SLASH_BPS,
        DELEGATION_WEIGHT_BPS,
        sender=bench.deployer,
    )
    return token, staking


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------


def arena_token(bench: Bench) -> Figures:
    """ArenaToken: transfers, allowances, permit and mint between accounts
    that already hold tokens (every balance changes nonzero -> nonzero)."""
    token = _deploy_token(bench)
    alice, bob, carol, minter = (bench.account() for _ in range(4))
    for holder in (alice, bob, carol):
        token.transfer(holder, 1_000 * WAD, sender=bench.treasury)
    token.grantRole(token.MINTER_ROLE(), minter, sender=bench.admin)
    # Alice has used permit once before: her nonce is already nonzero.
    _permit(token, alice, carol, 1 * WAD)
    token.approve(carol, MAX_UINT256, sender=bob)

    figures = {
        "ArenaToken.transfer": gas(token.transfer(bob, 10 * WAD, sender=alice)),
        # A new allowance (zero -> nonzero), the usual first step of a deposit.
        "ArenaToken.approve": gas(token.approve(bob, 100 * WAD, sender=alice)),
        # A finite allowance that stays nonzero after the spend.
        "ArenaToken.transferFrom": gas(token.transferFrom(alice, carol, 10 * WAD, sender=bob)),
        # An infinite allowance is left untouched (what staking deposits see).
        "ArenaToken.transferFrom.infinite_allowance": gas(
            token.transferFrom(bob, alice, 10 * WAD, sender=carol)
        ),
        # Nonce nonzero -> nonzero, allowance for a new spender zero -> nonzero.
        "ArenaToken.permit": _permit(token, alice, minter, 50 * WAD),
        "ArenaToken.mint": gas(token.mint(carol, 10 * WAD, sender=minter)),
    }
    return figures


def _permit(token, owner, spender, value: int) -> int:
    sig = sign_permit(
        bytes.fromhex(owner.private_key[2:]),
        name=token.name(),
        version="1",
        chain_id=chain.chain_id,
        token=token.address,
        spender=spender.address,
        value=value,
        nonce=token.nonces(owner),
        deadline=PERMIT_DEADLINE,
    )
    # The spender submits the owner's signature and pays the gas.
    receipt = token.permit(
        owner, spender, value, PERMIT_DEADLINE, sig.v, sig.r, sig.s, sender=spender
    )
    return gas(receipt)


def staking(bench: Bench) -> Figures:
    """Staking: one pool with several delegators, a protocol contract (the task
    manager's stand-in) with an infinite allowance, every figure measured on a
    state where the slots it writes are already nonzero unless its name says
    otherwise (`.new_delegator`, `.first_lock`, `.first_slash`,
    `.commission_claimed`) or it creates a record (`open_pool`, `grantRole`, a
    new withdrawal request, a scheduled commission raise)."""
    token, staking = _deploy_staking(bench)
    protocol_role = staking.PROTOCOL_ROLE()
    figures: Figures = {}
    # A new role member (zero -> nonzero): how the task manager gets its role.
    protocol = bench.account()
    figures["Staking.grantRole"] = gas(
        staking.grantRole(protocol_role, protocol, sender=bench.admin)
    )

    operator, other_operator, idle_operator = (bench.account() for _ in range(3))
    delegators = [bench.account() for _ in range(4)]
    delegator, newcomer = delegators[0], delegators[-1]
    for account in (protocol, operator, other_operator, idle_operator, *delegators):
        token.transfer(account, 100_000 * WAD, sender=bench.treasury)
        token.approve(staking, MAX_UINT256, sender=account)

    # The pool and its first delegators (not measured).
    staking.open_pool(1_000, 10_000 * WAD, sender=operator)
    for holder in delegators[:-1]:
        _delegate(staking, operator, 5_000 * WAD, holder)

    # --- operators and delegators --------------------------------------------
    figures["Staking.delegate"] = gas(_delegate(staking, operator, 1_000 * WAD, delegator))
    figures["Staking.delegate.new_delegator"] = gas(
        _delegate(staking, operator, 1_000 * WAD, newcomer)
    )
    figures["Staking.open_pool"] = gas(
        staking.open_pool(1_000, 10_000 * WAD, sender=other_operator)
    )
    figures["Staking.open_pool.no_stake"] = gas(staking.open_pool(1_000, 0, sender=idle_operator))

    # --- protocol: allocate, reward, release -----------------------------------
    figures["Staking.allocate.first_lock"] = gas(
        staking.allocate(operator, 2_000 * WAD, sender=protocol)
    )
    figures["Staking.allocate"] = gas(staking.allocate(operator, 2_000 * WAD, sender=protocol))
    # Stake arriving while the pool is locked waits; the next allocation
    # activates it.
    figures["Staking.delegate.waiting"] = gas(
        _delegate(staking, operator, 1_000 * WAD, delegators[1])
    )
    figures["Staking.allocate.activates"] = gas(
        staking.allocate(operator, 100 * WAD, sender=protocol)
    )
    # The operator has not claimed the earlier reward's commission:
    # commission_owed is nonzero, as between two claims.
    staking.pay_reward(operator, 500 * WAD, sender=protocol)
    figures["Staking.pay_reward"] = gas(staking.pay_reward(operator, 500 * WAD, sender=protocol))
    figures["Staking.claim_commission"] = gas(staking.claim_commission(sender=operator))
    figures["Staking.pay_reward.commission_claimed"] = gas(
        staking.pay_reward(operator, 500 * WAD, sender=protocol)
    )
    # Releases leave part of the allocation locked (another task still runs).
    figures["Staking.release.slash.first_slash"] = gas(
        staking.release(operator, 500 * WAD, 1_000, sender=protocol)
    )
    figures["Staking.release.slash"] = gas(
        staking.release(operator, 500 * WAD, 1_000, sender=protocol)
    )
    figures["Staking.release"] = gas(staking.release(operator, 500 * WAD, 0, sender=protocol))
    figures["Staking.sweep_to_treasury"] = gas(staking.sweep_to_treasury(sender=newcomer))

    # --- commission ------------------------------------------------------------
    figures["Staking.set_commission.cut"] = gas(staking.set_commission(800, sender=operator))
    # A raise only while nothing of the pool is locked: the other pool's.
    figures["Staking.set_commission.raise"] = gas(
        staking.set_commission(1_500, sender=other_operator)
    )

    # --- withdrawal ------------------------------------------------------------
    # Another delegator's request is pending, so total_unbonding is nonzero
    # before and after the measured calls.
    staking.request_withdraw(operator, 100 * WAD, sender=delegators[1])
    figures["Staking.request_withdraw"] = gas(
        staking.request_withdraw(operator, 1_000 * WAD, sender=delegator)
    )
    figures["Staking.request_withdraw.top_up"] = gas(
        staking.request_withdraw(operator, 1_000 * WAD, sender=delegator)
    )
    chain.pending_timestamp += UNBONDING_DELAY
    figures["Staking.withdraw"] = gas(staking.withdraw(operator, sender=delegator))

    # --- admin: parameters and roles (every value nonzero -> nonzero) ---------
    admin = bench.admin
    figures["Staking.set_unbonding_delay"] = gas(
        staking.set_unbonding_delay(14 * DAY, sender=admin)
    )
    figures["Staking.set_commission_notice"] = gas(
        staking.set_commission_notice(14 * DAY, sender=admin)
    )
    figures["Staking.set_max_commission_bps"] = gas(
        staking.set_max_commission_bps(2_500, sender=admin)
    )
    figures["Staking.set_max_slash_bps"] = gas(staking.set_max_slash_bps(4_000, sender=admin))
    figures["Staking.set_delegation_weight_bps"] = gas(
        staking.set_delegation_weight_bps(5_000, sender=admin)
    )
    figures["Staking.set_min_self_stake_bps"] = gas(
        staking.set_min_self_stake_bps(2_000, sender=admin)
    )
    figures["Staking.set_treasury"] = gas(staking.set_treasury(bench.account(), sender=admin))
    retired = bench.account()
    staking.grantRole(protocol_role, retired, sender=admin)
    figures["Staking.revokeRole"] = gas(staking.revokeRole(protocol_role, protocol, sender=admin))
    figures["Staking.renounceRole"] = gas(
        staking.renounceRole(protocol_role, retired, sender=retired)
    )
    # PROTOCOL_ROLE's admin role goes from DEFAULT_ADMIN_ROLE (zero) to another.
    figures["Staking.set_role_admin"] = gas(
        staking.set_role_admin(protocol_role, b"\x01" * 32, sender=admin)
    )
    return figures


def _delegate(staking, operator, amount: int, holder):
    # Ape's `BaseAddress.delegate` (EIP-7702) hides the contract's `delegate`
    # method on the instance, so it is called by name.
    return staking.invoke_transaction("delegate", operator, amount, sender=holder)


# ---------------------------------------------------------------------------
# TaskManager
# ---------------------------------------------------------------------------

# Per-task terms of every benchmarked task (docs/tasks.md): hour-long phases,
# 1,000 ARENA reward, 10 ARENA bond, 1% score tolerance.
PHASE = 3_600
TASK_REWARD = 1_000 * WAD
TASK_BOND = 10 * WAD
POOL_STAKE = 10_000 * WAD
POOL_DELEGATED = 5_000 * WAD
TASK_STAKE = 500 * WAD
BACKGROUND_STAKE = 100 * WAD
# Content addresses as a client would post them (their length is calldata).
SPEC_URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/spec.json"
MODEL_URI = "ipfs://bafybeihkoviema7g3gxyt6la7vd5ho32ictqbilu3wnlo3rs7ewhnp7lly/model.safetensors"
EVAL_URI = "ipfs://bafybeib3bzmjyxq5wkmmhbfkhzztwfu5t5jg4drzfzfdjt4h5gg6pchxqa/eval.jsonl"
# TaskManager's finalize stages, by their number in `Task.stage` (4: done).
FINALIZE_STAGES = ("consensus", "rank", "trust", "settle")
# Which call was the heaviest of each whole task, and how many transactions
# the task took: filled by `task_manager`, printed by `main`.
HEAVIEST: dict[str, tuple[str, int]] = {}


def _hash(label: str) -> bytes:
    return keccak(text=label)


def _task_params(label: str, trainers: int, validators: int, submit: int = PHASE) -> tuple:
    """TaskParams (contracts/TaskManager.vy) as the tuple the ABI expects."""
    eval_commitment = keccak(encode(["bytes32", "bytes32"], [_hash(label), _hash(label + " salt")]))
    return (
        b"lm".ljust(32, b"\0"),
        _hash(label + " spec"),
        SPEC_URI,
        eval_commitment,
        TASK_REWARD,
        TASK_BOND,
        100 * WAD,
        100 * WAD,
        trainers,
        validators,
        submit,
        PHASE,
        PHASE,
        PHASE,
        PHASE,
        100,
    )


def _scores(trainers: int, validators: int) -> list[list[int]]:
    """scores[v][t]: every validator within 0.01% of the others (full trust),
    in the order that costs most: a later trainer scores better (each
    insertion of the ranking moves every earlier key) and a later validator
    scores lower (likewise for the weighted median's insertion sort)."""
    return [
        [1_000_000 - 1_000 * t + (validators - v) for t in range(trainers)]
        for v in range(validators)
    ]


@dataclass
class Tx:
    label: str
    sender: str
    gas: int


class Node:
    """Quick transactions on anvil: unsigned `eth_sendTransaction` from
    impersonated accounts, each mined on arrival (anvil's automine) and its
    receipt read back. About 10 ms a transaction where Ape's account flow
    takes about 40: the task manager scenario sends some 3,000. The gas is the
    receipt's, as for the other scenarios."""

    def __init__(self, provider):
        self.provider = provider
        self.web3 = provider.web3
        provider.make_request("anvil_autoImpersonateAccount", [True])
        self._abi: dict[str, object] = {}
        self._accounts = 0

    def account(self) -> str:
        """A fresh address with 100 ETH (no key: anvil impersonates it)."""
        self._accounts += 1
        address = to_checksum_address(keccak(text=f"bench account {self._accounts}")[12:])
        self.provider.make_request("anvil_setBalance", [address, hex(100 * WAD)])
        return address

    def send(self, contract, method: str, *args, sender) -> int:
        """Send `contract.method(*args)` from `sender`; return its gas."""
        address = contract.address
        if address not in self._abi:
            abi = contract.contract_type.model_dump(mode="json", by_alias=True)["abi"]
            self._abi[address] = self.web3.eth.contract(address=address, abi=abi)
        data = self._abi[address].encode_abi(method, args=list(args))
        tx = {"from": str(sender), "to": address, "data": data, "gas": TX_GAS_CAP}
        receipt = self.web3.eth.wait_for_transaction_receipt(
            self.web3.eth.send_transaction(tx), poll_latency=0.002
        )
        if receipt["status"] != 1:
            # Replay it as a call on the state before it, for the reason.
            self.web3.eth.call(tx, block_identifier=receipt["blockNumber"] - 1)
            raise AssertionError(f"{method}{args} reverted ({receipt['gasUsed']} gas)")
        return int(receipt["gasUsed"])

    def warp(self, timestamp: int) -> None:
        """Mine a block at `timestamp`: later transactions come after it."""
        self.provider.make_request("evm_mine", [timestamp])


@dataclass
class Deployment:
    token: object
    staking: object
    tasks: object
    admin: str
    treasury: str
    trainers: list[str]
    validators: list[str]


def _deadlines(tasks, task_id: int) -> dict[str, int]:
    task = tasks.tasks(task_id)
    return {
        "reveal": task.submit_end,
        "eval": task.reveal_end,
        "cancel": task.eval_end,
        "score_reveal": task.score_commit_end,
        "finalize": task.score_reveal_end,
    }


def run_task(
    node: Node,
    d: Deployment,
    label: str,
    trainers: list[str],
    validators: list[str],
    *,
    creator: str,
    recommit: str | None = None,
    plagiarist: str | None = None,
    silent: str | None = None,
    eval_revealed: bool = True,
) -> list[Tx]:
    """A whole task, every transaction recorded: create, join, commit and
    reveal models, reveal the eval set, commit and reveal scores, finalize,
    claim. Options: `recommit` commits twice, `plagiarist` reveals the first
    trainer's model (committed after it), `silent` never reveals its scores
    (both claim first), `eval_revealed=False` lets the task be cancelled.
    Each participant claims for itself."""
    tasks = d.tasks
    log: list[Tx] = []

    def send(tx_label, sender, method, *args):
        log.append(Tx(tx_label, sender, node.send(tasks, method, *args, sender=sender)))

    send("create_task", creator, "create_task", _task_params(label, len(trainers), len(validators)))
    task_id = tasks.task_count()
    for trainer in trainers:
        send("join.trainer", trainer, "join", task_id, ROLE_TRAINER, TASK_STAKE)
    for validator in validators:
        send("join.validator", validator, "join", task_id, ROLE_VALIDATOR, TASK_STAKE)

    models = {t: _hash(f"{label} model {t}") for t in trainers}
    if plagiarist is not None:
        models[plagiarist] = models[trainers[0]]
    salts = {a: _hash(f"{label} salt {a}") for a in (*trainers, *validators)}
    for trainer in trainers:
        if trainer == recommit:
            junk = model_commitment(_hash("draft"), trainer, salts[trainer])
            send("commit_model", trainer, "commit_model", task_id, junk)
        commitment = model_commitment(models[trainer], trainer, salts[trainer])
        kind = "commit_model.recommit" if trainer == recommit else "commit_model"
        send(kind, trainer, "commit_model", task_id, commitment)

    times = _deadlines(tasks, task_id)
    node.warp(times["reveal"])
    for trainer in trainers:
        kind = "reveal_model.duplicate" if trainer == plagiarist else "reveal_model"
        send(kind, trainer, "reveal_model", task_id, models[trainer], MODEL_URI, salts[trainer])

    node.warp(times["eval"])
    if not eval_revealed:
        node.warp(times["cancel"])
        send("cancel", creator, "cancel", task_id)
        for participant in (*trainers, *validators):
            send("claim.cancelled", participant, "claim", task_id, participant)
        return log

    send(
        "reveal_eval",
        creator,
        "reveal_eval",
        task_id,
        _hash(label),
        EVAL_URI,
        _hash(label + " salt"),
    )
    scores = dict(zip(validators, _scores(len(trainers), len(validators)), strict=True))
    for validator in validators:
        commitment = score_commitment(scores[validator], validator, salts[validator])
        send("commit_scores", validator, "commit_scores", task_id, commitment)
    node.warp(times["score_reveal"])
    for validator in validators:
        if validator != silent:
            send(
                "reveal_scores",
                validator,
                "reveal_scores",
                task_id,
                scores[validator],
                salts[validator],
            )

    node.warp(times["finalize"])
    # Each step labelled by the stage it runs (the task's `stage` before it),
    # so the batch sizes may change without touching this.
    finisher = validators[0]
    for _ in range(len(trainers) + len(validators) + 2):
        stage = tasks.tasks(task_id).stage
        if stage == len(FINALIZE_STAGES):
            break
        send(f"finalize.{FINALIZE_STAGES[stage]}", finisher, "finalize", task_id)
    assert tasks.phase(task_id) == 7, f"{label}: not finalized"

    first = [a for a in (silent, plagiarist) if a is not None]
    order = first + [a for a in (*trainers, *validators) if a not in first]
    for participant in order:
        kind = (
            "claim.validator.no_reveal"
            if participant == silent
            else "claim.plagiarist"
            if participant == plagiarist
            else "claim.trainer"
            if participant in trainers
            else "claim.validator"
        )
        send(kind, participant, "claim", task_id, participant)
    log[-1].label = "claim.last"
    assert tasks.tasks(task_id).balance == 0
    return log


def _deploy_task_manager(bench: Bench, node: Node) -> Deployment:
    """Token, staking and task manager wired; 128 trainer and 64 validator
    operators (the caps), each with a pool holding 10,000 ARENA of its own
    and 5,000 delegated."""
    token, staking = _deploy_staking(bench)
    tasks = project.TaskManager.deploy(
        token, staking, bench.admin, bench.treasury, sender=bench.deployer
    )
    staking.grantRole(staking.PROTOCOL_ROLE(), tasks, sender=bench.admin)
    treasury = bench.treasury.address

    delegator = node.account()
    node.send(token, "transfer", delegator, 200 * POOL_DELEGATED, sender=treasury)
    node.send(token, "approve", staking.address, MAX_UINT256, sender=delegator)
    operators = []
    for _ in range(128 + 64):
        operator = node.account()
        node.send(token, "transfer", operator, POOL_STAKE + 1_000 * WAD, sender=treasury)
        node.send(token, "approve", staking.address, MAX_UINT256, sender=operator)
        node.send(staking, "open_pool", 1_000, POOL_STAKE, sender=operator)
        node.send(staking, "delegate", operator, POOL_DELEGATED, sender=delegator)
        operators.append(operator)
    return Deployment(
        token=token,
        staking=staking,
        tasks=tasks,
        admin=bench.admin.address,
        treasury=treasury,
        trainers=operators[:128],
        validators=operators[128:],
    )


def _creator(node: Node, d: Deployment) -> str:
    creator = node.account()
    node.send(d.token, "transfer", creator, 100 * TASK_REWARD, sender=d.treasury)
    node.send(d.token, "approve", d.tasks.address, MAX_UINT256, sender=creator)
    return creator


def task_manager(bench: Bench) -> Figures:
    """TaskManager: every state-changing function, and whole tasks at three
    sizes up to the caps.

    State: 192 operator pools (10,000 ARENA own stake, 5,000 delegated, 10%
    commission). Every operator has stake locked in a background task that
    stays in its submit phase, and has already taken part in one whole task
    at the caps (its pool holds a reward and unclaimed commission; that task
    had a plagiarist and a validator that did not reveal, so slashes wait to
    be swept to the treasury). The creator, the treasury and the task manager
    already hold ARENA. Then whole tasks at (8, 4), (64, 16) and (128, 64)
    (trainers, validators), then a task of 8 and 4 with a re-commit, a
    plagiarist and a silent validator for the named figures, a cancelled
    task, and the admin setters."""
    node = Node(networks.provider)
    d = _deploy_task_manager(bench, node)
    creator = _creator(node, d)
    figures: Figures = {}

    # A spare operator that has never had stake locked (`join.trainer.first_lock`).
    spare = node.account()
    node.send(d.token, "transfer", spare, POOL_STAKE, sender=d.treasury)
    node.send(d.token, "approve", d.staking.address, MAX_UINT256, sender=spare)
    node.send(d.staking, "open_pool", 1_000, POOL_STAKE, sender=spare)

    # --- history: the background task and one earlier task at the caps -------
    node.send(d.tasks, "create_task", _task_params("background", 128, 64, 30 * DAY), sender=creator)
    background = d.tasks.task_count()
    for role, group in ((ROLE_TRAINER, d.trainers), (ROLE_VALIDATOR, d.validators)):
        for operator in group:
            node.send(d.tasks, "join", background, role, BACKGROUND_STAKE, sender=operator)
    run_task(
        node,
        d,
        "history",
        d.trainers,
        d.validators,
        creator=creator,
        plagiarist=d.trainers[-1],
        silent=d.validators[-1],
    )

    # --- whole tasks ------------------------------------------------------------
    for n_trainers, n_validators in TASK_SIZES:
        size = f"{n_trainers}x{n_validators}"
        log = run_task(
            node,
            d,
            f"task {size}",
            d.trainers[:n_trainers],
            d.validators[:n_validators],
            creator=creator,
        )
        heaviest = max(log, key=lambda tx: tx.gas)
        figures[f"TaskManager.task.{size}.total"] = sum(tx.gas for tx in log)
        figures[f"TaskManager.task.{size}.heaviest_tx"] = heaviest.gas
        HEAVIEST[size] = (heaviest.label, len(log))
        for stage in ("consensus", "rank", "trust", "settle"):
            figures[f"TaskManager.finalize.{stage}.{size}"] = max(
                tx.gas for tx in log if tx.label == f"finalize.{stage}"
            )
        figures[f"TaskManager.reveal_scores.{n_trainers}_trainers"] = max(
            tx.gas for tx in log if tx.label == "reveal_scores"
        )
    small, large = TASK_SIZES[0][0], TASK_SIZES[-1][0]
    figures["TaskManager.reveal_scores.per_trainer"] = round(
        (
            figures[f"TaskManager.reveal_scores.{large}_trainers"]
            - figures[f"TaskManager.reveal_scores.{small}_trainers"]
        )
        / (large - small)
    )

    # --- one task of 8 and 4 for the named figures --------------------------------
    trainers = [*d.trainers[:7], spare]
    validators = d.validators[:4]
    log = run_task(
        node,
        d,
        "named",
        trainers,
        validators,
        creator=creator,
        recommit=trainers[2],
        plagiarist=trainers[3],
        silent=validators[3],
    )

    def pick(label: str, sender: str | None = None) -> int:
        (gas,) = [tx.gas for tx in log if tx.label == label and sender in (None, tx.sender)]
        return gas

    figures["TaskManager.create_task"] = pick("create_task")
    # The second to join: the task's counters and sums are already nonzero.
    figures["TaskManager.join.trainer"] = pick("join.trainer", trainers[1])
    figures["TaskManager.join.trainer.first_lock"] = pick("join.trainer", spare)
    figures["TaskManager.join.validator"] = pick("join.validator", validators[1])
    figures["TaskManager.commit_model"] = pick("commit_model", trainers[1])
    figures["TaskManager.commit_model.recommit"] = pick("commit_model.recommit")
    figures["TaskManager.reveal_model"] = pick("reveal_model", trainers[1])
    figures["TaskManager.reveal_model.duplicate"] = pick("reveal_model.duplicate")
    figures["TaskManager.reveal_eval"] = pick("reveal_eval")
    figures["TaskManager.commit_scores"] = pick("commit_scores", validators[1])
    figures["TaskManager.claim.validator.no_reveal"] = pick("claim.validator.no_reveal")
    figures["TaskManager.claim.plagiarist"] = pick("claim.plagiarist")
    figures["TaskManager.claim.trainer"] = pick("claim.trainer", trainers[1])
    figures["TaskManager.claim.validator"] = pick("claim.validator", validators[1])
    figures["TaskManager.claim.last"] = pick("claim.last")

    # --- a cancelled task ----------------------------------------------------------
    log = run_task(
        node,
        d,
        "cancelled",
        d.trainers[:8],
        d.validators[:4],
        creator=creator,
        eval_revealed=False,
    )
    figures["TaskManager.cancel"] = pick("cancel")
    figures["TaskManager.claim.cancelled"] = pick("claim.cancelled", d.trainers[1])

    # --- admin: parameters (every value nonzero -> nonzero) ------------------------
    for setter, value in (
        ("set_gamma_wad", 25 * 10**16),
        ("set_q_wad", 80 * 10**16),
        ("set_protocol_fee_bps", 400),
        ("set_plagiarism_slash_bps", 2_000),
        ("set_nonreveal_slash_bps", 1_000),
        ("set_min_creator_bond", 2 * WAD),
        ("set_treasury", node.account()),
    ):
        figures[f"TaskManager.{setter}"] = node.send(d.tasks, setter, value, sender=d.admin)
    figures["TaskManager.set_floors"] = node.send(
        d.tasks, "set_floors", 4, 2_000, 200, 200, sender=d.admin
    )
    return figures


# Run in this order, each on its own fresh anvil.
def governance(bench: Bench) -> Figures:
    """Governance and emission on the protocol as deploy wires it: a proposal
    with one parameter change through propose, vote, queue and execute; then
    emission checkpoints a day after tasks were verified, with 1 and with 8
    verified tasks (each task has one trainer, which committed a model, and one
    validator joined)."""
    from ape_arena.chain.deploy import DeployParams, deploy_protocol

    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"aiarena-bench-{os.getpid()}"
    deployed = deploy_protocol(
        project,
        networks.provider,
        bench.deployer,
        folder,
        DeployParams.for_local_chain(),
        log=lambda _line: None,
    ).contracts
    shutil.rmtree(folder, ignore_errors=True)  # only the record; the chain is thrown away
    token, staking, tasks = deployed["ArenaToken"], deployed["Staking"], deployed["TaskManager"]
    emission, governor = deployed["Emission"], deployed["Governor"]
    voters = [bench.account() for _ in range(3)]
    for voter in voters:
        token.transfer(voter, 200_000 * WAD, sender=bench.deployer)
        token.approve(staking, MAX_UINT256, sender=voter)
        token.approve(tasks, MAX_UINT256, sender=voter)
        staking.open_pool(1_000, 50_000 * WAD, sender=voter)
    chain.mine()
    figures: Figures = {}

    def passed(actions: list[tuple[object, bytes]], label: str | None = None) -> None:
        targets = [str(c.address) for c, _ in actions]
        datas = [d for _, d in actions]
        receipt = governor.propose(targets, datas, "benchmark", sender=voters[0])
        pid = governor.proposal_count()
        first = governor.vote(pid, 1, sender=voters[0])
        second = governor.vote(pid, 1, sender=voters[1])
        chain.mine(timestamp=governor.proposals(pid).vote_end)
        queued = governor.queue(pid, sender=voters[2])
        chain.mine(timestamp=governor.proposals(pid).eta)
        executed = governor.execute(pid, targets, datas, sender=voters[2])
        if label is None:
            figures["Governor.propose"] = gas(receipt)
            figures["Governor.vote.first"] = gas(first)
            figures["Governor.vote"] = gas(second)
            figures["Governor.queue"] = gas(queued)
            figures["Governor.execute.set_parameter"] = gas(executed)
        else:
            figures[f"Governor.execute.{label}"] = gas(executed)

    passed([(tasks, tasks.set_q_wad.encode_input(9 * 10**17))])

    def running_task(index: int) -> int:
        tasks.create_task(
            _task_params(f"bench task {index}", 8, 4, submit=30 * DAY), sender=voters[2]
        )
        task_id = tasks.task_count()
        tasks.join(task_id, 1, 1_000 * WAD, sender=voters[0])
        tasks.join(task_id, 2, 1_000 * WAD, sender=voters[1])
        # A task weighs in the emission split once someone has committed.
        tasks.commit_model(task_id, _hash(f"bench task {index} model"), sender=voters[0])
        return task_id

    first_task = running_task(0)
    passed([(emission, emission.verify_task.encode_input(first_task))], "verify_task")
    chain.mine(timestamp=chain.pending_timestamp + DAY)
    figures["Emission.checkpoint.1_task"] = gas(emission.checkpoint(sender=voters[2]))
    more = [running_task(i) for i in range(1, 8)]
    passed([(emission, emission.verify_task.encode_input(t)) for t in more], "verify_7_tasks")
    chain.mine(timestamp=chain.pending_timestamp + DAY)
    figures["Emission.checkpoint.8_tasks"] = gas(emission.checkpoint(sender=voters[2]))
    figures["Staking.pause"] = gas(staking.pause(sender=bench.deployer))
    return figures


SCENARIOS: list[Scenario] = [arena_token, staking, task_manager, governance]


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def _without_steps_tracing() -> None:
    """Start anvil without `--steps-tracing`, which ape-foundry always passes.

    It makes anvil record every EVM step of every transaction, for Ape's
    traces; the benchmark reads receipts only, and with it anvil takes some
    40 s to execute one multi-million-gas call of the task manager (with
    copies of large memory at every step), against 30 ms without. Gas used is
    the same either way."""
    from ape_foundry.provider import FoundryProvider

    build = FoundryProvider.build_command
    if getattr(build, "without_steps_tracing", False):
        return

    def build_command(self) -> list[str]:
        return [arg for arg in build(self) if arg != "--steps-tracing"]

    build_command.without_steps_tracing = True
    FoundryProvider.build_command = build_command


def run_scenarios(scenarios: list[Scenario]) -> Figures:
    _without_steps_tracing()
    figures: Figures = {}
    for index, scenario in enumerate(scenarios):
        with networks.parse_network_choice(NETWORK) as provider:
            if index == 0:
                client = provider.make_request("web3_clientVersion", [])
                hardfork = provider.make_request("anvil_nodeInfo", [])["hardFork"]
                print(f"{client}, hardfork {hardfork}\n")
            test_accounts = accounts.test_accounts
            bench = Bench(
                deployer=test_accounts[0], admin=test_accounts[1], treasury=test_accounts[2]
            )
            measured = scenario(bench)
        overlap = figures.keys() & measured.keys()
        assert not overlap, f"{scenario.__name__} measures {sorted(overlap)} again"
        figures.update(measured)
    return figures


def report(figures: Figures) -> list[str]:
    """Print the table; return the names of the figures over their target."""
    missed = []
    width = max(map(len, figures))
    for name in sorted(figures):
        line = f"{name:<{width}}  {figures[name]:>9,}"
        target = TARGETS.get(name)
        if target is not None:
            status = "pass" if figures[name] <= target else "MISS"
            line += f"  target {target:>9,}  {status}"
            if status == "MISS":
                missed.append(name)
        print(line)
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON file to write")
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a target is missed"
    )
    args = parser.parse_args(argv)

    logger.set_level("WARNING")
    started = time.monotonic()
    figures = run_scenarios(SCENARIOS)
    write_json_atomically(args.output, figures)
    missed = report(figures)
    print(
        f"\n{len(figures)} figures written to {args.output} in {time.monotonic() - started:.1f} s"
    )
    for size, (label, count) in HEAVIEST.items():
        print(f"task {size}: {count} transactions, the heaviest a {label}")
    if missed:
        print(f"over target: {', '.join(missed)}")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
