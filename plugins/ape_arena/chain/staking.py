"""Staking on the connected chain: `StakingClient` owns every read and write
of pools, delegation, unbonding and commission, each checked before it is sent
so that a doomed transaction becomes a sentence that says what to do.

Amounts are wei everywhere here; `parse_amount` turns what a user typed
("1000", "2.5") into wei. Every action that moves tokens into staking first
approves the staking contract for exactly the amount when the allowance is
short.
"""

from dataclasses import dataclass
from typing import Any

from ape_arena.chain.errors import send_checked
from ape_arena.chain.events import logs, receipt_event
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
    amount: int  # asked back by this request (or honoured)
    pending: int  # everything now unbonding from the pool, this request included
    unlock_at: int  # 0 when nothing of it unbonds yet
    receipt: Any
    # Part of the request that was locked in running tasks: reserved, to be
    # honoured (`honour`) once those tasks release it.
    reserved: int = 0


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
    unlocked: int  # neither locked nor reserved: what a new lock may take
    commission_owed: int
    # Stake deposited while some of the pool was locked, not yet shares.
    waiting: int = 0
    # Stake its holders asked back while it was locked, not yet honoured.
    reserved: int = 0


@dataclass(frozen=True)
class StakeView:
    operator: str
    assets: int  # shares' value plus stake waiting for activation
    unbonding: int
    unlock_at: int
    waiting: int = 0
    reserved: int = 0  # asked back while locked, waiting to be honoured


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
# The gateway
# ---------------------------------------------------------------------------


class StakingClient:
    """The staking contract's gateway: every read and write of pools,
    delegation, unbonding and commission, each write checked first and sent
    from `account`, and a revert nobody foresaw turned into a sentence.

    Without an account the client only reads.
    """

    def __init__(self, protocol, account=None):
        self.protocol = protocol
        self.staking = protocol.staking
        self.token = protocol.token
        self.account = account

    # --- writing ----------------------------------------------------------

    @property
    def me(self) -> str:
        if self.account is None:
            raise StakingError("This staking client only reads; sending needs an account.")
        return str(self.account.address)

    def _send(self, what: str, method: str, *args):
        hint = "check the state with `ape arena position` and try again"
        # Ape's account objects have an EIP-7702 `delegate` that hides the
        # contract's method on the instance, so every method is called by name.
        send = self.staking.invoke_transaction
        return send_checked(what, hint, StakingError, send, method, *args, sender=self.account)

    def open_pool(self, commission_bps: int, amount: int) -> Sent:
        """Open the account's pool with a commission, staking `amount` (may be 0)."""
        me = self.me
        check_bps(commission_bps)
        self.check_not_paused()
        if self.staking.pools(me).opened:
            raise StakingError(
                f"{me} already has a pool; add stake with `ape arena stake AMOUNT` or change its "
                "commission with `ape arena commission BPS`."
            )
        self.check_commission_cap(commission_bps)
        approved = self._fund(amount, "open the pool with") if amount else 0
        receipt = self._send("opening the pool", "open_pool", commission_bps, amount)
        return Sent(amount, receipt, approved)

    def delegate(self, operator: str, amount: int) -> Sent:
        """Stake `amount` in `operator`'s pool (one's own pool included)."""
        self.check_not_paused()
        self.check_pool_open(operator, self.me)
        approved = self._fund(amount, "stake")
        receipt = self._send("the stake", "delegate", operator, amount)
        return Sent(amount, receipt, approved)

    def undelegate(self, operator: str, amount: int) -> Unbonding:
        """Ask back `amount` of the account's stake in `operator`'s pool."""
        staking, me = self.staking, self.me
        held = staking.assets_of(operator, me)
        pool = pool_words(operator, me)
        if held == 0:
            raise StakingError(
                f"{me} has no stake in {pool}; see what it has with `ape arena position {me}`."
            )
        if amount > held:
            raise StakingError(
                f"{me} has {_arena(held)} ARENA in {pool}, less than {_arena(amount)}; ask for "
                f"at most {_arena(held)}."
            )
        # Stake still waiting for activation comes back first, locked or not;
        # then the pool's free stake (all of it when nothing is locked).
        # Others' requests for more reserve the rest; the operator's cannot.
        booked = int(staking.reserved_of(operator, me)[0])
        if amount > held - booked:
            raise StakingError(
                f"{me} has {_arena(held)} ARENA in {pool}, {_arena(booked)} of it already "
                f"asked back; ask for at most {_arena(held - booked)}."
            )
        waiting = int(staking.pending_of(operator, me))
        record = staking.pools(operator)
        free = int(record.total_assets)
        if int(record.locked):
            free = int(staking.unlocked_stake(operator))
        reserved = max(amount - waiting - free, 0)
        if reserved and operator.lower() == me.lower():
            raise StakingError(
                f"Only {_arena(waiting + free)} ARENA of {pool} can leave now, the rest is "
                f"locked in running tasks; ask for at most {_arena(waiting + free)} or wait "
                "until those tasks are claimed."
            )
        receipt = self._send("the withdrawal request", "request_withdraw", operator, amount)
        log = receipt_event(receipt, "WithdrawRequested")
        pending, unlock_at = staking.unbonding_of(me, operator)
        unlock_at = int(log.unlock_at) if log is not None else 0
        return Unbonding(amount, int(pending), unlock_at, receipt, reserved)

    def honour(self, operator: str, holder: str | None = None) -> Unbonding:
        """Start the unbonding of `holder`'s (by default the account's)
        reserved withdrawal from `operator`'s pool, once its stake is free."""
        staking, me = self.staking, self.me
        holder = holder or me
        booked, ready = staking.reserved_of(operator, holder)
        pool = pool_words(operator, holder)
        if not int(booked):
            raise StakingError(
                f"{holder} has no reserved withdrawal from {pool}; a request for locked stake "
                f"reserves it (`ape arena undelegate {operator} AMOUNT`)."
            )
        if not ready:
            raise StakingError(
                f"The {_arena(int(booked))} ARENA {holder} reserved in {pool} are still locked "
                "in running tasks (or wait behind earlier reservations); honour them once those "
                "tasks are claimed."
            )
        if holder.lower() != me.lower() and staking.unbonding_of(holder, operator)[0]:
            raise StakingError(
                f"{holder} has stake unbonding from {pool}; honouring restarts its delay, so "
                "only the holder may do it now."
            )
        receipt = self._send("the honour", "honour_withdrawal", operator, holder)
        log = receipt_event(receipt, "WithdrawHonoured")
        pending, unlock_at = staking.unbonding_of(holder, operator)
        amount = int(log.assets) if log is not None else int(booked)
        return Unbonding(amount, int(pending), int(unlock_at), receipt)

    def withdraw(self, operator: str) -> Sent:
        """Take back what finished unbonding from `operator`'s pool."""
        me = self.me
        amount, unlock_at = self.staking.unbonding_of(me, operator)
        pool = pool_words(operator, me)
        if amount == 0:
            raise StakingError(
                f"Nothing of {me} is unbonding from {pool}; ask for stake back first with "
                f"`ape arena undelegate {operator} AMOUNT`."
            )
        now = self.now()
        if now < unlock_at:
            raise StakingError(
                f"The unbonding of {_arena(amount)} ARENA from {pool} ends at {when(unlock_at)} "
                f"({_in(unlock_at - now)}); withdraw after that."
            )
        receipt = self._send("the withdrawal", "withdraw", operator)
        return Sent(amount, receipt)

    def set_commission(self, bps: int) -> CommissionChange:
        """Change the account's pool commission: a cut at once, a raise after the notice."""
        me = self.me
        check_bps(bps)
        self.check_own_pool(me)
        self.check_commission_cap(bps)
        current = self.staking.commission_of(me)
        locked = int(self.staking.pools(me).locked)
        if bps > current and locked:
            raise StakingError(
                f"{me}'s pool has {_arena(locked)} ARENA locked in tasks; a commission raise "
                "can only be made while nothing is locked, so claim those tasks first (a cut "
                "applies at any time)."
            )
        receipt = self._send("the commission change", "set_commission", bps)
        scheduled = receipt_event(receipt, "CommissionScheduled")
        effective_at = int(scheduled.effective_at) if scheduled is not None else None
        return CommissionChange(bps, current, effective_at, receipt)

    def claim_commission(self) -> Sent:
        """Send the account the commission its pool has earned."""
        me = self.me
        self.check_own_pool(me)
        owed = self.staking.pools(me).commission_owed
        if owed == 0:
            raise StakingError(
                f"{me}'s pool has no commission to claim yet; it earns commission when tasks "
                "pay rewards into the pool."
            )
        receipt = self._send("the commission claim", "claim_commission")
        return Sent(owed, receipt)

    def _fund(self, amount: int, verb: str) -> int:
        """Check the wallet holds `amount` and approve staking for it when the
        allowance is short; the allowance granted (0 when none was needed)."""
        token, me = self.token, self.me
        balance = token.balanceOf(me)
        if balance < amount:
            fix = (
                f"get more ARENA or use at most {_arena(balance)}" if balance else "get ARENA first"
            )
            raise StakingError(
                f"{me} holds {_arena(balance)} ARENA, not enough to {verb} {_arena(amount)}; {fix}."
            )
        if token.allowance(me, self.staking.address) >= amount:
            return 0
        hint = "check the wallet with `ape arena position` and try again"
        send_checked(
            "the approval", hint, StakingError, token.approve, self.staking.address, amount,
            sender=self.account,
        )  # fmt: skip
        return amount

    # --- reading ----------------------------------------------------------

    def now(self) -> int:
        return latest_timestamp(self.staking)

    def position(self, address: str) -> Position:
        """Everything `address` has in staking, with its wallet and voting power."""
        staking = self.staking
        now = self.now()
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
            waiting=int(p.pending),
            reserved=int(p.reserved),
        )
        stakes = []
        for operator in self.delegated_operators(address):
            if operator.lower() == address.lower():
                continue
            view = self._stake_view(address, operator)
            if view.assets or view.unbonding:
                stakes.append(view)
        return Position(
            address=address,
            now=now,
            wallet=int(self.token.balanceOf(address)),
            votes=int(staking.votes(address)),
            pool=pool,
            own_unbonding=self._stake_view(address, address),
            stakes=tuple(stakes),
        )

    def delegated_operators(self, holder: str) -> list[str]:
        """Every operator `holder` ever staked with, in order of first stake,
        from the staking contract's Delegated events."""
        seen: dict[str, None] = {}
        for log in logs(self.staking, "Delegated", self.protocol.start_block, holder=holder):
            seen.setdefault(str(log.operator), None)
        return list(seen)

    def _stake_view(self, holder: str, operator: str) -> StakeView:
        unbonding, unlock_at = self.staking.unbonding_of(holder, operator)
        return StakeView(
            operator=operator,
            assets=int(self.staking.assets_of(operator, holder)),
            unbonding=int(unbonding),
            unlock_at=int(unlock_at),
            waiting=int(self.staking.pending_of(operator, holder)),
            reserved=int(self.staking.reserved_of(operator, holder)[0]),
        )

    # --- checks -----------------------------------------------------------

    def check_not_paused(self) -> None:
        if self.staking.paused():
            raise StakingError(
                "New stakes are paused by the guardian; withdrawals and claims still work, and "
                "staking reopens when governance lifts the pause (`ape arena gov propose`)."
            )

    def check_commission_cap(self, bps: int) -> None:
        cap = self.staking.max_commission_bps()
        if bps > cap:
            raise StakingError(
                f"A commission of {bps} bps is above the maximum of {cap} bps "
                f"({format_bps(cap).split(' ', 2)[2].strip('()')}); pick {cap} or less."
            )

    def check_own_pool(self, address: str) -> None:
        if not self.staking.pools(address).opened:
            raise StakingError(
                f"{address} has no pool yet; open one with `ape arena pool open --commission BPS`."
            )

    def check_pool_open(self, operator: str, caller: str) -> None:
        if self.staking.pools(operator).opened:
            return
        if operator.lower() == caller.lower():
            self.check_own_pool(operator)
        raise StakingError(
            f"{operator} has no staking pool; check the address, or ask its owner to open one "
            "with `ape arena pool open`."
        )


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
