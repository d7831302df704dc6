"""Staking on the connected chain: pools, delegation, unbonding, commission
and task claims, each checked before it is sent so that a doomed transaction
becomes a sentence that says what to do.

Amounts are wei everywhere here; `parse_amount` turns what a user typed
("1000", "2.5") into wei. Every action that moves tokens into staking first
approves the staking contract for exactly the amount when the allowance is
short.
"""

from dataclasses import dataclass
from typing import Any

from ape_arena.chain.errors import send_checked
from ape_arena.chain.events import receipt_event
from ape_arena.exceptions import ArenaError
from ape_arena.units import (
    UnitError,
    format_arena,
    format_bps,
    format_duration,
    parse_arena,
    when,
)


class StakingError(ArenaError):
    """A staking action or claim that cannot succeed as asked."""


# ---------------------------------------------------------------------------
# Reading user input
# ---------------------------------------------------------------------------


def parse_amount(text: str) -> int:
    """A positive number of ARENA ("1000", "2.5", "1_000") -> wei (`units.parse_arena`)."""
    try:
        return parse_arena(text)
    except UnitError as err:
        raise StakingError(str(err)) from None


def resolve_address(text: str) -> str:
    """A checksummed address from an address or an Ape account alias."""
    from eth_utils import is_address, to_checksum_address

    value = str(text).strip()
    if is_address(value):
        return to_checksum_address(value)
    from ape.utils.basemodel import ManagerAccessMixin

    accounts = ManagerAccessMixin.account_manager
    if value.upper().startswith("TEST::") and value[6:].isdigit():
        index = int(value[6:])
        if index < len(accounts.test_accounts):
            return str(accounts.test_accounts[index].address)
    elif value in accounts.aliases:
        return str(accounts.load(value).address)
    raise StakingError(
        f"{value!r} is neither an address nor an account alias; give 0x followed by "
        "40 hex digits, or an alias from `ape accounts list`."
    )


def check_bps(bps: int) -> None:
    if bps < 0:
        raise StakingError(f"A commission cannot be negative ({bps}); give 0 to 10000 bps.")


# ---------------------------------------------------------------------------
# Results the commands print
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """A staking transaction and what it moved."""

    amount: int
    receipt: Any
    approved: int = 0  # allowance granted first, 0 when none was needed


@dataclass(frozen=True)
class Unbonding:
    amount: int  # asked back by this request
    pending: int  # everything now unbonding from the pool, this request included
    unlock_at: int
    receipt: Any


@dataclass(frozen=True)
class CommissionChange:
    bps: int
    previous_bps: int
    effective_at: int | None  # None: applies at once
    receipt: Any


@dataclass(frozen=True)
class PoolView:
    opened: bool
    commission_bps: int
    pending_bps: int | None
    pending_at: int | None
    own_stake: int
    delegated_stake: int
    total_assets: int
    locked: int
    unlocked: int
    commission_owed: int


@dataclass(frozen=True)
class StakeView:
    operator: str
    assets: int
    unbonding: int
    unlock_at: int


@dataclass(frozen=True)
class Position:
    address: str
    now: int
    wallet: int
    votes: int
    pool: PoolView
    own_unbonding: StakeView
    stakes: tuple[StakeView, ...]


# ---------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------


def open_pool(protocol, account, commission_bps: int, amount: int) -> Sent:
    """Open `account`'s pool with a commission, staking `amount` (may be 0)."""
    staking = protocol.staking
    me = str(account.address)
    check_bps(commission_bps)
    check_not_paused(protocol)
    if staking.pools(me).opened:
        raise StakingError(
            f"{me} already has a pool; add stake with `ape arena stake AMOUNT` or change its "
            "commission with `ape arena commission BPS`."
        )
    check_commission_cap(protocol, commission_bps)
    approved = _fund(protocol, account, amount, "open the pool with") if amount else 0
    receipt = _send("opening the pool", staking.open_pool, commission_bps, amount, sender=account)
    return Sent(amount, receipt, approved)


def delegate(protocol, account, operator: str, amount: int) -> Sent:
    """Stake `amount` in `operator`'s pool (one's own pool included)."""
    staking = protocol.staking
    check_not_paused(protocol)
    check_pool_open(protocol, operator, str(account.address))
    approved = _fund(protocol, account, amount, "stake")
    # Ape's account objects have an EIP-7702 `delegate` that hides the
    # contract's method on the instance, so it is called by name.
    receipt = _send(
        "the stake", staking.invoke_transaction, "delegate", operator, amount, sender=account
    )
    return Sent(amount, receipt, approved)


def undelegate(protocol, account, operator: str, amount: int) -> Unbonding:
    """Ask back `amount` of `account`'s stake in `operator`'s pool."""
    staking = protocol.staking
    me = str(account.address)
    held = staking.assets_of(operator, me)
    pool = pool_words(operator, me)
    if held == 0:
        raise StakingError(
            f"{me} has no stake in {pool}; see what it has with `ape arena position {me}`."
        )
    if amount > held:
        raise StakingError(
            f"{me} has {_arena(held)} ARENA in {pool}, less than {_arena(amount)}; ask for at "
            f"most {_arena(held)}."
        )
    unlocked = staking.unlocked_stake(operator)
    if amount > unlocked:
        raise StakingError(
            f"Only {_arena(unlocked)} ARENA of {pool} is unlocked, the rest is locked in "
            f"running tasks; ask for at most {_arena(unlocked)} or wait until those tasks are "
            "claimed."
        )
    receipt = _send(
        "the withdrawal request", staking.request_withdraw, operator, amount, sender=account
    )
    log = receipt_event(receipt, "WithdrawRequested")
    pending, unlock_at = staking.unbonding_of(me, operator)
    return Unbonding(amount, pending, log.unlock_at if log is not None else unlock_at, receipt)


def withdraw(protocol, account, operator: str) -> Sent:
    """Take back what finished unbonding from `operator`'s pool."""
    staking = protocol.staking
    me = str(account.address)
    amount, unlock_at = staking.unbonding_of(me, operator)
    pool = pool_words(operator, me)
    if amount == 0:
        raise StakingError(
            f"Nothing of {me} is unbonding from {pool}; ask for stake back first with "
            f"`ape arena undelegate {operator} AMOUNT`."
        )
    now = latest_timestamp(staking)
    if now < unlock_at:
        raise StakingError(
            f"The unbonding of {_arena(amount)} ARENA from {pool} ends at {when(unlock_at)} "
            f"({_in(unlock_at - now)}); withdraw after that."
        )
    receipt = _send("the withdrawal", staking.withdraw, operator, sender=account)
    return Sent(amount, receipt)


def set_commission(protocol, account, bps: int) -> CommissionChange:
    """Change `account`'s pool commission: a cut at once, a raise after the notice."""
    staking = protocol.staking
    me = str(account.address)
    check_bps(bps)
    check_own_pool(protocol, me)
    check_commission_cap(protocol, bps)
    current = staking.commission_of(me)
    receipt = _send("the commission change", staking.set_commission, bps, sender=account)
    scheduled = receipt_event(receipt, "CommissionScheduled")
    effective_at = int(scheduled.effective_at) if scheduled is not None else None
    return CommissionChange(bps, current, effective_at, receipt)


def claim_commission(protocol, account) -> Sent:
    """Send `account` the commission its pool has earned."""
    staking = protocol.staking
    me = str(account.address)
    check_own_pool(protocol, me)
    owed = staking.pools(me).commission_owed
    if owed == 0:
        raise StakingError(
            f"{me}'s pool has no commission to claim yet; it earns commission when tasks pay "
            "rewards into the pool."
        )
    receipt = _send("the commission claim", staking.claim_commission, sender=account)
    return Sent(owed, receipt)


def position(protocol, address: str) -> Position:
    """Everything `address` has in staking, with its wallet and voting power."""
    staking = protocol.staking
    now = latest_timestamp(staking)
    p = staking.pools(address)
    pending_at = int(p.pending_commission_at)
    pending = pending_at != 0 and now < pending_at
    pool = PoolView(
        opened=bool(p.opened),
        commission_bps=int(staking.commission_of(address)),
        pending_bps=int(p.pending_commission_bps) if pending else None,
        pending_at=pending_at if pending else None,
        own_stake=int(staking.own_stake(address)),
        delegated_stake=int(staking.delegated_stake(address)),
        total_assets=int(p.total_assets),
        locked=int(p.locked),
        unlocked=int(staking.unlocked_stake(address)),
        commission_owed=int(p.commission_owed),
    )
    stakes = []
    for operator in delegated_operators(protocol, address):
        if operator.lower() == address.lower():
            continue
        view = _stake_view(staking, address, operator)
        if view.assets or view.unbonding:
            stakes.append(view)
    return Position(
        address=address,
        now=now,
        wallet=int(protocol.token.balanceOf(address)),
        votes=int(staking.votes(address)),
        pool=pool,
        own_unbonding=_stake_view(staking, address, address),
        stakes=tuple(stakes),
    )


def delegated_operators(protocol, holder: str) -> list[str]:
    """Every operator `holder` ever staked with, in order of first stake,
    from the staking contract's Delegated events."""
    from ape.types import LogFilter

    staking = protocol.staking
    provider = staking.provider
    log_filter = LogFilter.from_event(
        event=staking.Delegated,
        search_topics={"holder": holder},
        addresses=[staking.address],
        start_block=protocol.start_block,
        stop_block=provider.get_block("latest").number,
    )
    seen: dict[str, None] = {}
    for log in provider.get_contract_logs(log_filter):
        seen.setdefault(str(log.operator), None)
    return list(seen)


def _stake_view(staking, holder: str, operator: str) -> StakeView:
    unbonding, unlock_at = staking.unbonding_of(holder, operator)
    return StakeView(
        operator=operator,
        assets=int(staking.assets_of(operator, holder)),
        unbonding=int(unbonding),
        unlock_at=int(unlock_at),
    )


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def check_not_paused(protocol) -> None:
    if protocol.staking.paused():
        raise StakingError(
            "New stakes are paused by the guardian; withdrawals and claims still work, and "
            "staking reopens when governance lifts the pause (`ape arena gov propose`)."
        )


def check_commission_cap(protocol, bps: int) -> None:
    cap = protocol.staking.max_commission_bps()
    if bps > cap:
        raise StakingError(
            f"A commission of {bps} bps is above the maximum of {cap} bps "
            f"({format_bps(cap).split(' ', 2)[2].strip('()')}); pick {cap} or less."
        )


def check_own_pool(protocol, address: str) -> None:
    if not protocol.staking.pools(address).opened:
        raise StakingError(
            f"{address} has no pool yet; open one with `ape arena pool open --commission BPS`."
        )


def check_pool_open(protocol, operator: str, caller: str) -> None:
    if protocol.staking.pools(operator).opened:
        return
    if operator.lower() == caller.lower():
        check_own_pool(protocol, operator)
    raise StakingError(
        f"{operator} has no staking pool; check the address, or ask its owner to open one "
        "with `ape arena pool open`."
    )


def _fund(protocol, account, amount: int, verb: str) -> int:
    """Check the wallet holds `amount` and approve staking for it when the
    allowance is short; the allowance granted (0 when none was needed)."""
    token, staking = protocol.token, protocol.staking
    me = str(account.address)
    balance = token.balanceOf(me)
    if balance < amount:
        fix = f"get more ARENA or use at most {_arena(balance)}" if balance else "get ARENA first"
        raise StakingError(
            f"{me} holds {_arena(balance)} ARENA, not enough to {verb} {_arena(amount)}; {fix}."
        )
    if token.allowance(me, staking.address) >= amount:
        return 0
    _send("the approval", token.approve, staking.address, amount, sender=account)
    return amount


def _send(what: str, method, *args, **kwargs):
    """Send a transaction; a revert the checks did not foresee becomes a sentence."""
    hint = "check the state with `ape arena position` and try again"
    return send_checked(what, hint, StakingError, method, *args, **kwargs)


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def latest_timestamp(contract) -> int:
    return int(contract.provider.get_block("latest").timestamp)


def _in(seconds: int) -> str:
    return "in " + format_duration(seconds)


_arena = format_arena


def pool_words(operator: str, holder: str) -> str:
    return "its own pool" if operator.lower() == holder.lower() else f"{operator}'s pool"
