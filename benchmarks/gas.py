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
`TARGETS`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Ape's `project` is the project of the working directory, and the benchmark
# reuses the test suite's parameters and permit signer (tests/support).
os.chdir(ROOT)
sys.path.insert(0, str(ROOT / "tests"))

from ape import accounts, chain, networks, project  # noqa: E402
from ape.logging import logger  # noqa: E402

from support.constants import (  # noqa: E402
    COMMISSION_NOTICE,
    DAY,
    DELEGATION_WEIGHT_BPS,
    GENESIS_SUPPLY,
    MAX_COMMISSION_BPS,
    MAX_SLASH_BPS,
    UNBONDING_DELAY,
    WAD,
)
from support.permit import sign_permit  # noqa: E402

NETWORK = "ethereum:local:foundry"
RESULTS = ROOT / "benchmarks" / "results" / "gas.json"
MAX_UINT256 = 2**256 - 1
# A fixed permit deadline keeps the signature, hence the calldata gas, the
# same from run to run.
PERMIT_DEADLINE = 4_000_000_000

# Targets from the staking issue: figure name -> most gas allowed.
TARGETS: dict[str, int] = {
    "Staking.delegate": 100_000,
    "Staking.request_withdraw": 80_000,
    "Staking.withdraw": 70_000,
    "Staking.pay_reward": 60_000,
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


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------


def arena_token(bench: Bench) -> Figures:
    """ArenaToken: transfers, allowances, permit and mint between accounts
    that already hold tokens (every balance changes nonzero -> nonzero)."""
    token = project.ArenaToken.deploy(
        bench.admin, bench.treasury, GENESIS_SUPPLY, sender=bench.deployer
    )
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
    token = project.ArenaToken.deploy(
        bench.admin, bench.treasury, GENESIS_SUPPLY, sender=bench.deployer
    )
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
    figures["Staking.set_commission.raise"] = gas(staking.set_commission(1_500, sender=operator))

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


# Run in this order, each on its own fresh anvil.
SCENARIOS: list[Scenario] = [arena_token, staking]


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def run_scenarios(scenarios: list[Scenario]) -> Figures:
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


def write_atomically(path: Path, figures: Figures) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


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
    write_atomically(args.output, figures)
    missed = report(figures)
    print(
        f"\n{len(figures)} figures written to {args.output} in {time.monotonic() - started:.1f} s"
    )
    if missed:
        print(f"over target: {', '.join(missed)}")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
