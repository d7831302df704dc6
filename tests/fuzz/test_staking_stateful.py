"""Stateful fuzz of Staking against a Python ghost ledger.

The ghost mirrors every pool (assets A, shares S, locked stake and who locked
it, commission and a pending raise, commission owed, pending stake and the
activation epoch, what each activation minted, the stake reserved for
withdrawals and the withdrawal queue), every holder's shares, its packed
deposit entry waiting for an activation (settled lazily into shares), its
packed unbonding entry (with its reserved amount) and queue position, each
holder's voting power, total_unbonding, treasury_owed and the admin's
parameters, with the share maths of modules/pool_shares.vy in exact
integers. After every step the pool records, the storage of shares,
locked_by, deposit entries and activations, unbonding entries, queues and
queue positions and the totals on chain must equal the ghost's, word for
word, and so must the views (pools, shares, assets_of, pending_of,
reserved_of, commission_of, pool_share_value, locked_by, unlocked_stake, the
stakes, stake_weight) of every pool whose ghost state changed. Every rule
also expects the exact revert reason when the ghost says a call must fail (a
commission raise while stake is locked, an allocation while a raise waits or
into a pool below min_pool_stake, a lock or a withdrawal the operator's own
stake cannot cover, the operator
asking back locked stake, an honour before the reserved stake is free or by
someone else while the holder unbonds, a parameter past its bound,
governance naming a protocol contract), and the exact return value, events
and token movements when it must succeed. Rules request locked stake (so it
is reserved) and honour reservations, by the holder or a keeper. On top of
that model, invariants that need no model (those over every holder of a pool
are asserted on the ghost's stakes, which the invariants then hold to the
views):

1. Token conservation, exact: balanceOf(staking) == sum(A) + sum(pending)
   + total_unbonding + treasury_owed + sum(commission_owed).
2. A pool's share price (A + 1) / (S + 1e6) never falls except by a slash its
   operator's own stake could not cover (compared as a fraction); deposits,
   activations and withdrawal requests move it only up, by rounding. A
   deposit into an idle pool moves the caller's stake by the amount within
   one share's value; one made while stake is locked mints nothing, leaves A
   and S alone and adds exactly the amount to the pool's pending stake and
   the caller's pending_of. A withdrawal request takes the caller's waiting
   stake first, wei for wei, and moves its stake by the amount within one
   share's value (plus an activation's rounding when the request activated
   the pool's pending stake).
3. No withdrawal before the unbonding delay: an early withdraw reverts, and a
   successful one comes at least unbonding_delay after its last request and
   pays exactly the pending amount.
4. A slash is amount * slash_bps // 10_000 <= amount * max_slash_bps // 10_000
   <= half the amount, and the operator's own shares pay first. With P the
   price before, f = min(slashed, the operator's stake) and s the slash:
   P * (A + 1 - s) / (A + 1 - f) <= P' < P * (A + 1 - s) / (A + 1 - f - P),
   so a slash its operator covers (f == s) leaves the price unchanged or
   raises it by less than P / (S' + 1e6), one share's value spread over the
   shares left, and only one it cannot cover lowers the price; the
   operator's stake falls by s within a share's value (or, uncovered, keeps
   less than one old share's worth), every other holder keeps
   fair = had * (A - s) // (A - f) <= has <= fair + 2 + ceil(P) (only its
   proportional part of what the operator could not cover), and stake
   waiting for activation is untouched.
5. locked <= A, locked == sum of locked_by over protocols, unlocked_stake ==
   A - locked; while anything is locked no commission raise waits out its
   notice; after each allocation (and each withdrawal of the operator's own
   shares) the operator's stake is at least min_self_stake_bps of the locked
   stake.
6. The holders' activated stakes sum to at most A, and A minus that sum is at
   most the value of the virtual shares and of the shares no holder can
   claim (an activation's rounding: fewer than its depositors) plus one wei
   per holder; the holders' pending_of sum to the pool's pending stake.
7. effective_stake == own + delegated * delegation_weight_bps // 10_000 and
   stake_weight(x) == x * effective // A, with own the operator's activated
   stake; own_stake == assets_of(operator, operator) and delegated_stake ==
   A + pending - own_stake.
8. An activation turns the pending stake into floor(pending / P) shares and
   moves each holder's stake by its rounding only: a waiting holder loses at
   most two shares' value and a wei, nobody gains a share's value and a wei.
   A reward paid while stake waits leaves every pending_of unchanged.
9. Voting power counts at deposit (waiting or not) and falls by what is asked
   back (to zero at most; the operator's by its principal in its own pool at
   most); a slash takes the operator's power down with its own stake (its
   principal keeps (own - taken) / own of itself) and leaves every other
   holder's; total_votes is the sum of everyone's, and total_votes_at of the
   previous block is the value that block ended with.
10. A request unbonds what the free stake covers (all of an idle pool, else
   A - locked - reserved) and reserves the rest, which stays the holder's
   stake; reserved == the sum of the holders' reservations; no allocation
   leaves A - locked below reserved; every honoured reservation lay before
   the queue's finalized position, and what is finalized but not honoured is
   covered by A - locked while some stake is locked; an honour takes its
   amount (at most the holder's stake) out within a share's value and never
   lowers the price.
11. An allocation succeeds only in a pool holding min_pool_stake at least
   (after its activation), whatever the parameter was set to.

Teardown (liveness): every allocation is released without a slash, every
reservation is honoured (by a keeper, or by the holder when it unbonds
already), every holder unbonds all its stake, waiting stake included (a withdrawal one second
before the delay is over reverts, one at the end of it pays), every commission
is claimed and the treasury swept; then the contract holds exactly sum(A), no
stake waits, each pool's A is no more than the value of the virtual and the
unclaimable shares plus a wei per holder (a few wei, unless a reward went into
a nearly empty pool: most of it then stays with the virtual shares for good),
and every account holds what the ghost says.
"""

import copy
from dataclasses import dataclass, field
from fractions import Fraction

import boa
from eth_utils import keccak
from hypothesis import event, note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from support.constants import (
    COMMISSION_NOTICE,
    DELEGATION_WEIGHT_BPS,
    MAX_COMMISSION_BPS,
    MAX_SLASH_BPS,
    UNBONDING_DELAY,
    WAD,
)
from support.paths import contract_path

TOKEN = boa.load_partial(contract_path("ArenaToken"))
STAKING = boa.load_partial(contract_path("Staking"))
# Storage slots of the maps the ghost reads directly (private ones included).
SLOTS = {
    name: spec["slot"]
    for name, spec in STAKING.compiler_data.storage_layout["storage_layout"].items()
    if isinstance(spec, dict) and "slot" in spec
}
# The total voting power's two checkpoints, packed in one word of
# modules/checkpoints.vy: before << 128 | latest, each block << 96 | value.
TOTAL_SLOT = STAKING.compiler_data.storage_layout["storage_layout"]["checkpoints"]["_total"]["slot"]
TOTAL_MASK = 2**96 - 1
# The unbonding delay and total_unbonding, packed in one word:
# unbonding_delay << 128 | total_unbonding.
DELAY_SHIFT = 128
# Fields of the Pool struct that pools() returns, in its order.
POOL_FIELDS = (
    "opened",
    "commission_bps",
    "pending_commission_bps",
    "pending_commission_at",
    "total_shares",
    "total_assets",
    "locked",
    "commission_owed",
    "pending",
    "epoch",
    "reserved",
    "own_principal",
)

# How a pool's fields are packed in its four storage words (Staking's
# storage): word name -> (field, shift, bits) for each field it holds.
POOL_WORDS = {
    "_value": (("total_assets", 0, 96), ("total_shares", 96, 160)),
    "_stake": (("epoch", 0, 64), ("reserved", 64, 96), ("locked", 160, 96)),
    "_terms": (
        ("opened", 0, 8),
        ("commission_bps", 8, 16),
        ("pending_commission_bps", 32, 16),
        ("pending_commission_at", 64, 64),
        ("pending", 160, 96),
    ),
    "_owner": (("own_principal", 0, 96), ("commission_owed", 128, 96)),
}

MAX_UINT = 2**256 - 1
BPS = 10_000
VIRTUAL_SHARES = 10**6
VIRTUAL_ASSETS = 1
MAX_AMOUNT = 10**27
MAX_TOTAL_SHARES = 10**48
MAX_SLASH_CEILING_BPS = 5_000
DEFAULT_MIN_SELF_STAKE_BPS = 1_000
DEFAULT_MIN_POOL_STAKE = WAD
MAX_MIN_POOL_STAKE = 1_000_000 * WAD
# A deposit entry is packed as amount << 64 | epoch; an unbonding entry as
# amount << 160 | reserved << 64 | unlock_at; a pool's withdrawal queue as
# tail << 128 | finalized position.
EPOCH_BITS = 64
EPOCH_MASK = (1 << EPOCH_BITS) - 1
UNBONDING_SHIFT = 160
QUEUE_SHIFT = 128

N_OPERATORS = 3
N_DELEGATORS = 3
N_PROTOCOLS = 2
GENESIS = 100_000_000 * WAD
FUNDING = 10_000_000 * WAD

# --- strategies --------------------------------------------------------------

operator_index = st.integers(min_value=0, max_value=N_OPERATORS - 1)
# Holders are the operators (own stake, or stake in another pool) then the delegators.
holder_index = st.integers(min_value=0, max_value=N_OPERATORS + N_DELEGATORS - 1)
protocol_index = st.integers(min_value=0, max_value=N_PROTOCOLS - 1)
# From dust to thousands of tokens; 0 is a valid reward and an invalid deposit.
amount = st.one_of(
    st.integers(min_value=0, max_value=1_000),
    st.integers(min_value=1_000, max_value=5_000 * WAD),
)
commission_bps = st.integers(min_value=0, max_value=MAX_COMMISSION_BPS + 1_000)


def up_to(limit: int, overshoot: int) -> st.SearchStrategy[int]:
    """An amount within [0, limit] (any, a fraction of it, all of it) or past it."""
    limit = max(limit, 0)
    return st.one_of(
        st.integers(min_value=0, max_value=limit),
        st.integers(min_value=1, max_value=BPS).map(lambda bps: limit * bps // BPS),
        st.just(limit),
        st.integers(min_value=limit + 1, max_value=limit + overshoot),
    )


def bps_up_to(limit: int) -> st.SearchStrategy[int]:
    """A rate in bps within [0, limit], at it, or past it (up to 100%)."""
    return st.one_of(
        st.integers(min_value=0, max_value=limit),
        st.just(limit),
        st.integers(min_value=limit + 1, max_value=max(limit + 1, BPS)),
    )


# --- the share maths of modules/pool_shares.vy --------------------------------


def to_shares_down(assets: int, total_assets: int, total_shares: int) -> int:
    return assets * (total_shares + VIRTUAL_SHARES) // (total_assets + VIRTUAL_ASSETS)


def to_shares_up(assets: int, total_assets: int, total_shares: int) -> int:
    return -(-assets * (total_shares + VIRTUAL_SHARES) // (total_assets + VIRTUAL_ASSETS))


def to_assets_down(shares: int, total_assets: int, total_shares: int) -> int:
    return shares * (total_assets + VIRTUAL_ASSETS) // (total_shares + VIRTUAL_SHARES)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def ceil(x: Fraction) -> int:
    return ceil_div(x.numerator, x.denominator)


class Revert(Exception):
    """The ghost's verdict that a call must fail, with the contract's reason."""


@dataclass
class GhostPool:
    """One pool as Staking stores it, and the operations that change it.

    Each operation either raises Revert with the reason the contract gives
    (the caller runs it on a copy, so nothing of a failed call remains) or
    applies the call and returns what the caller checks against the chain.
    """

    operator: str
    opened: bool = False
    commission_bps: int = 0
    pending_commission_bps: int = 0
    pending_commission_at: int = 0
    total_shares: int = 0
    total_assets: int = 0
    locked: int = 0
    commission_owed: int = 0
    pending: int = 0
    epoch: int = 0
    # Stake asked back while locked and not yet honoured: the sum of `booked`.
    reserved: int = 0
    # The operator's principal here: its voting power from its own pool.
    own_principal: int = 0
    locked_by: dict[str, int] = field(default_factory=dict)
    # The withdrawal queue: its tail and finalized position, each holder's
    # reserved amount (part of its unbonding entry) and queue position.
    queue_tail: int = 0
    queue_done: int = 0
    booked: dict[str, int] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)
    # Settled shares, and the packed deposit entries exactly as stored.
    shares: dict[str, int] = field(default_factory=dict)
    deposits: dict[str, int] = field(default_factory=dict)
    # activations[epoch] = (assets, shares) of that activation.
    activations: dict[int, tuple[int, int]] = field(default_factory=dict)
    # Most shares of the activations that no holder can claim: the sum over
    # activations of (depositors - 1), each depositor rounding down once.
    unclaimable: int = 0

    # --- reads (the contract's views) ---

    def effective_commission(self, now: int) -> int:
        if self.pending_commission_at != 0 and now >= self.pending_commission_at:
            return self.pending_commission_bps
        return self.commission_bps

    def price(self) -> Fraction:
        """Value of one share in wei, virtual shares and assets included."""
        return Fraction(self.total_assets + VIRTUAL_ASSETS, self.total_shares + VIRTUAL_SHARES)

    def dust_value(self) -> int:
        """Upper bound (rounded up) of what the virtual and unclaimed shares are worth."""
        return ceil(self.price() * (VIRTUAL_SHARES + self.unclaimed()))

    def activated(self, holder: str) -> bool:
        entry = self.deposits.get(holder, 0)
        return entry != 0 and entry & EPOCH_MASK < self.epoch

    def activated_shares(self, holder: str) -> int:
        if not self.activated(holder):
            return 0
        entry = self.deposits[holder]
        assets, shares = self.activations[entry & EPOCH_MASK]
        return (entry >> EPOCH_BITS) * shares // assets

    def waiting(self, holder: str) -> int:
        if self.activated(holder):
            return 0
        return self.deposits.get(holder, 0) >> EPOCH_BITS

    def value(self, holder: str) -> int:
        """What the holder's shares (an activated deposit's included) are worth."""
        held = self.shares.get(holder, 0) + self.activated_shares(holder)
        return to_assets_down(held, self.total_assets, self.total_shares)

    def stake(self, holder: str) -> int:
        """assets_of: the activated stake plus the stake still waiting."""
        return self.value(holder) + self.waiting(holder)

    def unclaimed(self) -> int:
        """Shares of activations that no holder's entry converts into."""
        claimed = sum(self.shares.values())
        claimed += sum(self.activated_shares(h) for h in self.deposits)
        return self.total_shares - claimed

    def min_self_stake_met(self, locked: int, min_self_stake_bps: int) -> bool:
        return self.value(self.operator) * BPS >= locked * min_self_stake_bps

    def free(self) -> int:
        """unlocked_stake: neither locked nor reserved, 0 at least."""
        return max(self.total_assets - self.locked - self.reserved, 0)

    def finalized(self) -> int:
        """The queue position up to which reservations can be honoured now."""
        if self.locked == 0:
            return self.queue_tail
        covered = self.queue_done + self.reserved - self.queue_tail
        unlocked = self.total_assets - self.locked
        if unlocked <= covered:
            return self.queue_done
        return min(self.queue_tail, self.queue_done + unlocked - covered)

    def honourable(self, holder: str) -> bool:
        return bool(self.booked.get(holder)) and self.positions[holder] <= self.finalized()

    # --- internal steps of the contract ---

    def activate(self) -> tuple[int, int, int] | None:
        """_activate: the pending stake becomes shares; (epoch, assets, shares)."""
        if self.pending == 0:
            return None
        minted = to_shares_down(self.pending, self.total_assets, self.total_shares)
        depositors = sum(
            1
            for entry in self.deposits.values()
            if entry >> EPOCH_BITS and entry & EPOCH_MASK == self.epoch
        )
        # The pending stake is the sum of the entries of this epoch.
        assert depositors >= 1
        record = (self.epoch, self.pending, minted)
        self.activations[self.epoch] = (self.pending, minted)
        self.unclaimable += depositors - 1
        self.total_assets += self.pending
        self.total_shares += minted
        self.pending = 0
        self.epoch += 1
        return record

    def activate_if_idle(self) -> tuple[int, int, int] | None:
        return self.activate() if self.locked == 0 else None

    def settle(self, holder: str) -> None:
        if self.activated(holder):
            self.shares[holder] = self.shares.get(holder, 0) + self.activated_shares(holder)
            self.deposits[holder] = 0

    # --- calls ---

    def deposit(self, holder: str, value: int) -> tuple[int, tuple | None]:
        """_deposit: (shares minted, the activation it made if any)."""
        if value == 0:
            raise Revert("staking: zero amount")
        if value > MAX_AMOUNT:
            raise Revert("staking: amount above the token supply cap")
        activation = self.activate_if_idle()
        self.settle(holder)
        assets, shares = self.total_assets, self.total_shares
        minted = to_shares_down(value, assets, shares)
        if minted == 0:
            raise Revert("staking: amount too small")
        if shares + to_shares_down(self.pending + value, assets, shares) > MAX_TOTAL_SHARES:
            raise Revert("staking: pool shares exhausted, delegate to another pool")
        if holder == self.operator:
            self.own_principal += value
        if self.locked == 0:
            self.total_assets += value
            self.total_shares += minted
            self.shares[holder] = self.shares.get(holder, 0) + minted
            return minted, activation
        self.pending += value
        waiting = (self.deposits.get(holder, 0) >> EPOCH_BITS) + value
        self.deposits[holder] = waiting << EPOCH_BITS | self.epoch
        return 0, activation

    def request(self, holder: str, value: int, min_self_stake_bps: int) -> tuple:
        """request_withdraw: (shares burnt, taken from waiting stake, activation,
        unbonded now from shares, reserved, voting power to take off (before
        the cap at the holder's power))."""
        if value == 0:
            raise Revert("staking: zero amount")
        self.settle(holder)
        waiting = self.deposits.get(holder, 0) >> EPOCH_BITS
        from_waiting = min(value, waiting)
        rest = value - from_waiting
        booked = self.booked.get(holder, 0)
        burnt, activation, now, later = 0, None, 0, 0
        if from_waiting:
            self.deposits[holder] = (waiting - from_waiting) << EPOCH_BITS | self.epoch
            self.pending -= from_waiting
        if rest:
            activation = self.activate_if_idle()
            self.settle(holder)
            assets, shares = self.total_assets, self.total_shares
            held = self.shares.get(holder, 0)
            worth = to_assets_down(held, assets, shares)
            if rest > worth - min(booked, worth):
                raise Revert("staking: amount exceeds stake")
            now = min(rest, self.free()) if self.locked else rest
            later = rest - now
            if later:
                if holder == self.operator:
                    raise Revert("staking: amount exceeds unlocked stake")
                self.queue_tail += later
                self.positions[holder] = self.queue_tail
                self.reserved += later
                self.booked[holder] = booked + later
            if now:
                burnt = to_shares_up(now, assets, shares)
                assert burnt <= held
                self.shares[holder] = held - burnt
                self.total_shares -= burnt
                self.total_assets -= now
                if holder == self.operator and not self.min_self_stake_met(
                    self.locked, min_self_stake_bps
                ):
                    raise Revert("staking: operator's own stake must cover its locked share")
        lost = value
        if holder == self.operator:
            lost = min(value, self.own_principal)
            self.own_principal -= lost
        return burnt, from_waiting, activation, now, later, lost

    def honour(self, caller: str, holder: str, unbonding: int) -> tuple[int, int, int]:
        """honour_withdrawal: (the reservation, what starts unbonding, shares burnt)."""
        booked = self.booked.get(holder, 0)
        if booked == 0:
            raise Revert("staking: nothing reserved")
        if caller != holder and unbonding:
            raise Revert("staking: the holder is unbonding, only it may honour")
        done = self.finalized()
        if self.positions[holder] > done:
            raise Revert("staking: reserved stake still locked")
        self.queue_done = done
        del self.positions[holder]
        self.booked[holder] = 0
        self.reserved -= booked
        self.settle(holder)
        amount = min(booked, self.value(holder))
        burnt = 0
        if amount:
            burnt = to_shares_up(amount, self.total_assets, self.total_shares)
            assert burnt <= self.shares.get(holder, 0)
            self.shares[holder] -= burnt
            self.total_shares -= burnt
            self.total_assets -= amount
            # The queue's cover: the honour never takes locked stake.
            assert self.total_assets >= self.locked
        return booked, amount, burnt

    def set_commission(self, bps: int, now: int, max_commission_bps: int) -> str:
        if not self.opened:
            raise Revert("staking: no such pool")
        if bps > max_commission_bps:
            raise Revert("staking: commission above maximum")
        current = self.effective_commission(now)
        outcome = "cut"
        if self.pending_commission_at and now >= self.pending_commission_at:
            outcome = "cut after a matured raise"
            self.commission_bps = current
            self.pending_commission_bps = self.pending_commission_at = 0
        if bps <= current:
            self.commission_bps = bps
            self.pending_commission_bps = self.pending_commission_at = 0
            return outcome
        if self.locked != 0:
            raise Revert("staking: no commission raise while stake is locked")
        self.pending_commission_bps = bps
        self.pending_commission_at = now + COMMISSION_NOTICE
        return "raise"

    def allocate(
        self, caller: str, value: int, now: int, min_self_stake_bps: int, min_pool_stake: int
    ) -> tuple | None:
        """allocate: the activation it made, if any."""
        if not self.opened:
            raise Revert("staking: no such pool")
        if value == 0:
            raise Revert("staking: zero amount")
        if self.pending_commission_at != 0 and now < self.pending_commission_at:
            raise Revert("staking: a commission raise is pending")
        activation = self.activate()
        if self.total_assets < min_pool_stake:
            raise Revert("staking: pool stake below the minimum")
        if value > self.free():
            raise Revert("staking: not enough unlocked stake")
        if not self.min_self_stake_met(self.locked + value, min_self_stake_bps):
            raise Revert("staking: operator's own stake too low for this lock")
        self.locked += value
        self.locked_by[caller] = self.locked_by.get(caller, 0) + value
        return activation

    def release(self, caller: str, value: int, bps: int, max_slash_bps: int) -> tuple:
        """release: (slashed, taken from the operator's stake, its shares burnt,
        the operator's voting power to take off: None when the slash took
        nothing of its stake, 0 when that leaves its principal whole, and
        then its power and the total are not written)."""
        mine = self.locked_by.get(caller, 0)
        if value > mine:
            raise Revert("staking: release exceeds allocation")
        if bps > max_slash_bps:
            raise Revert("staking: slash above maximum")
        slashed = value * bps // BPS
        self.locked_by[caller] = mine - value
        self.locked -= value
        from_own = burnt = 0
        cut = None
        if slashed:
            op = self.operator
            self.settle(op)
            assets, shares = self.total_assets, self.total_shares
            own = self.shares.get(op, 0)
            worth = to_assets_down(own, assets, shares)
            from_own = min(slashed, worth)
            if from_own:
                burnt = min(to_shares_up(from_own, assets, shares), own)
                self.shares[op] = own - burnt
                self.total_shares -= burnt
                # The principal falls with the own stake, waiting stake included.
                stake = worth + self.waiting(op)
                kept = self.own_principal * (stake - from_own) // stake
                cut = self.own_principal - kept
                self.own_principal = kept
            self.total_assets -= slashed
        return slashed, from_own, burnt, cut

    def pay_reward(self, value: int, now: int) -> int:
        if not self.opened:
            raise Revert("staking: no such pool")
        commission = value
        if self.total_shares != 0:
            commission = value * self.effective_commission(now) // BPS
            self.total_assets += value - commission
        self.commission_owed += commission
        return commission


@dataclass
class Unbonding:
    amount: int = 0
    unlock_at: int = 0
    requested_at: int = 0


def now() -> int:
    return boa.env.evm.patch.timestamp


def slot(base: int, *keys) -> int:
    """Storage slot of map[key0][key1]... in Vyper's layout."""
    for key in keys:
        raw = int(key, 16) if isinstance(key, str) else key
        base = int.from_bytes(keccak(base.to_bytes(32, "big") + raw.to_bytes(32, "big")), "big")
    return base


class StakingLedger(RuleBasedStateMachine):
    @initialize(
        bps0=st.integers(min_value=0, max_value=MAX_COMMISSION_BPS),
        bps1=st.integers(min_value=0, max_value=MAX_COMMISSION_BPS),
        stake0=st.integers(min_value=WAD, max_value=5_000 * WAD),
        stake1=amount,
        # Delegated stake in operator0's pool, in bps of its own: up to 9x, as
        # much as the default min_self_stake_bps lets a pool lock.
        delegated_bps=st.one_of(
            st.just(0), st.integers(min_value=1, max_value=9 * BPS), st.just(9 * BPS)
        ),
        lock_bps=st.one_of(st.integers(min_value=1, max_value=BPS), st.just(BPS)),
        waiting0=st.one_of(st.just(0), amount),
    )
    def deploy(self, bps0, bps1, stake0, stake1, delegated_bps, lock_bps, waiting0):
        self.admin = boa.env.generate_address("admin")
        self.governance = boa.env.generate_address("governance")
        self.token_treasury = boa.env.generate_address("token_treasury")
        self.slash_treasury = boa.env.generate_address("slash_treasury")
        self.operators = [boa.env.generate_address(f"operator{i}") for i in range(N_OPERATORS)]
        self.delegators = [boa.env.generate_address(f"delegator{i}") for i in range(N_DELEGATORS)]
        self.protocols = [boa.env.generate_address(f"protocol{i}") for i in range(N_PROTOCOLS)]
        self.outsider = boa.env.generate_address("outsider")
        self.holders = self.operators + self.delegators
        self.names = {
            self.outsider: "outsider",
            self.slash_treasury: "slash_treasury",
            self.admin: "admin",
            self.governance: "governance",
        }
        for role, group in (
            ("operator", self.operators),
            ("delegator", self.delegators),
            ("protocol", self.protocols),
        ):
            self.names.update({a: f"{role}{i}" for i, a in enumerate(group)})

        with boa.env.prank(self.admin):
            self.token = TOKEN.deploy(self.admin, self.token_treasury, GENESIS)
            self.staking = STAKING.deploy(
                self.token,
                self.admin,
                self.slash_treasury,
                UNBONDING_DELAY,
                COMMISSION_NOTICE,
                MAX_COMMISSION_BPS,
                MAX_SLASH_BPS,
                DELEGATION_WEIGHT_BPS,
            )
            self.protocol_role = self.staking.PROTOCOL_ROLE()
            protocol_admin = self.staking.PROTOCOL_ADMIN_ROLE()
            for p in self.protocols:
                self.staking.grantRole(self.protocol_role, p)
            # Governance holds DEFAULT_ADMIN_ROLE only: it may set parameters,
            # never name a protocol contract.
            self.staking.grantRole(self.staking.DEFAULT_ADMIN_ROLE(), self.governance)
        assert self.staking.getRoleAdmin(self.protocol_role) == protocol_admin
        assert self.staking.getRoleAdmin(protocol_admin) == protocol_admin
        assert self.staking.hasRole(protocol_admin, self.admin)
        assert not self.staking.hasRole(protocol_admin, self.governance)
        assert self.staking.MAX_SLASH_CEILING_BPS() == MAX_SLASH_CEILING_BPS
        assert self.staking.min_self_stake_bps() == DEFAULT_MIN_SELF_STAKE_BPS
        assert self.staking.min_pool_stake() == DEFAULT_MIN_POOL_STAKE

        # Token balances of everyone who deals with the staking contract.
        self.wallet = dict.fromkeys(self.names, 0)
        for a in self.holders + self.protocols:
            with boa.env.prank(self.token_treasury):
                self.token.transfer(a, FUNDING)
            with boa.env.prank(a):
                self.token.approve(self.staking, MAX_UINT)
            self.wallet[a] = FUNDING

        self.pools = {op: GhostPool(op) for op in self.operators}
        self.unbonding: dict[tuple[str, str], Unbonding] = {}  # (holder, operator)
        self.votes = dict.fromkeys(self.holders, 0)
        # The total's two checkpoints (block, value): the latest, the one before.
        self.total_latest = self.total_before = (0, 0)
        self.total_unbonding = 0
        self.treasury_owed = 0
        self.max_slash_bps = MAX_SLASH_BPS
        self.min_self_stake_bps = DEFAULT_MIN_SELF_STAKE_BPS
        self.min_pool_stake = DEFAULT_MIN_POOL_STAKE
        # Share price of each pool after the previous step, and the pools a
        # slash beyond the operator's stake hit during the current step (2).
        self.last_price = {op: pool.price() for op, pool in self.pools.items()}
        self.slashed_pools: set[str] = set()
        # The ghost state of each pool when its views were last checked.
        self.verified: dict[str, tuple] = {}
        self.slots: dict[tuple, int] = {}
        # False from the start of a step until the invariants have passed:
        # teardown only runs from a state the invariants accepted.
        self.clean = False
        note("deployed ArenaToken and Staking; funded operators, delegators, protocols")
        # operator0 starts with a sizeable pool, maybe with delegated stake,
        # part of it locked by protocol0, up to what its own stake allows (so
        # that a slash, even one beyond the operator's stake, is never far
        # away), and maybe stake of delegator1 waiting for activation;
        # operator1 with an empty, dust or sizeable pool; operator2 has none
        # until the open_pool rule opens it.
        op0 = self.operators[0]
        delegated0 = stake0 * delegated_bps // BPS
        self._open_pool(0, bps0, stake0)
        if delegated0:
            self._deposit(
                op0, self.delegators[0], delegated0, lambda: self.staking.delegate(op0, delegated0)
            )
        pool0 = self.pools[op0]
        cap = min(pool0.total_assets, pool0.value(op0) * BPS // DEFAULT_MIN_SELF_STAKE_BPS)
        self._allocate(self.protocols[0], op0, max(1, cap * lock_bps // BPS))
        if waiting0:
            d1 = self.delegators[1]
            self._deposit(op0, d1, waiting0, lambda: self.staking.delegate(op0, waiting0))
        self._open_pool(1, bps1, stake1)

    # --- helpers -------------------------------------------------------------

    def _story(self, line: str) -> None:
        self.clean = False
        note(line)

    def _reverts(self, reason: str, sender: str, fn, *args) -> None:
        event(reason)
        note(f"  -> reverts: {reason}")
        with boa.reverts(reason), boa.env.prank(sender):
            fn(*args)

    def _trial(self, op: str, method: str, *args):
        """Run a pool operation on a copy of the ghost pool: (copy, result) or (None, reason)."""
        trial = copy.deepcopy(self.pools[op])
        try:
            return trial, getattr(trial, method)(*args)
        except Revert as reason:
            return None, str(reason)

    def _logs(self, name: str) -> list:
        return [e for e in self.staking.get_logs() if type(e).__name__ == name]

    def _check_activation(self, op: str, activation: tuple | None, old_price: Fraction) -> None:
        """The StakeActivated event of the call is the ghost's, at the price before it."""
        logs = self._logs("StakeActivated")
        if activation is None:
            assert logs == []
            return
        (log,) = logs
        epoch, assets, shares = activation
        assert (log.operator, log.epoch, log.assets, log.shares) == (op, epoch, assets, shares)
        # 8: the pending stake bought shares at the pool's price, rounded down.
        assert shares == assets * old_price.denominator // old_price.numerator
        note(f"  -> activation {epoch}: {assets} pending became {shares} shares")

    def _draw_operator(self, data, preferred: list[str] | None = None) -> str:
        """An operator: a preferred one or one with an open pool mostly, any sometimes."""
        anyone = st.sampled_from(self.operators)
        opened = [op for op, pool in self.pools.items() if pool.opened]
        if opened:
            anyone = st.one_of(st.sampled_from(opened), st.sampled_from(opened), anyone)
        if preferred:
            anyone = st.one_of(st.sampled_from(preferred), anyone)
        return data.draw(anyone, label="operator")

    def _draw_pair(self, data, candidates: list[tuple[str, str]]) -> tuple[str, str]:
        """A (holder, operator) pair: one of `candidates` mostly, any pair sometimes."""
        anyone = st.tuples(st.sampled_from(self.holders), st.sampled_from(self.operators))
        if candidates:
            anyone = st.one_of(st.sampled_from(candidates), st.sampled_from(candidates), anyone)
        return data.draw(anyone, label="holder, operator")

    def _check_wallet(self, *addresses: str) -> None:
        for a in addresses:
            assert self.token.balanceOf(a) == self.wallet[a], self.names[a]

    def _in_pool(self, op: str) -> list[str]:
        """Holders with shares or a deposit entry in op's pool."""
        pool = self.pools[op]
        return [h for h in self.holders if pool.shares.get(h, 0) or pool.deposits.get(h, 0)]

    def _activated(self, op: str, holders=None) -> dict[str, tuple[int, int]]:
        """The ghost's (activated, waiting) stake of each holder in op's pool (by
        default of each one with shares or a deposit entry there)."""
        pool = self.pools[op]
        holders = self._in_pool(op) if holders is None else holders
        return {h: (pool.value(h), pool.waiting(h)) for h in holders}

    def _total_written(self) -> None:
        """What checkpoints._write_total does with the ghost's new total."""
        block = boa.env.evm.patch.block_number
        if self.total_latest[0] != block:
            self.total_before = self.total_latest
        self.total_latest = (block, sum(self.votes.values()))

    def _pool_fields(self, op: str) -> dict[str, int]:
        """A pool's fields, unpacked from its four storage words; every bit
        outside the fields must be zero."""
        fields = {}
        for word_name, layout in POOL_WORDS.items():
            word = self._storage(word_name, op)
            for name, shift, bits in layout:
                fields[name] = (word >> shift) & ((1 << bits) - 1)
                word ^= fields[name] << shift
            assert word == 0, (self.names[op], word_name, hex(word))
        return fields

    def _word(self, name: str) -> int:
        """A storage variable that is not a map, e.g. _word("treasury_owed")."""
        return boa.env.evm.get_storage(self.staking.address, SLOTS[name])

    def _storage(self, *path, field: int = 0) -> int:
        """A raw storage word, e.g. _storage("shares", op, holder); `field`: a
        struct's field number."""
        if path not in self.slots:
            name, *keys = path
            self.slots[path] = slot(SLOTS[name], *keys)
        return boa.env.evm.get_storage(self.staking.address, self.slots[path] + field)

    # --- operators and delegators --------------------------------------------

    @rule(who=operator_index, bps=commission_bps, value=amount)
    def open_pool(self, who, bps, value):
        self._open_pool(who, bps, value)

    def _open_pool(self, who: int, bps: int, value: int) -> None:
        op = self.operators[who]
        pool = self.pools[op]
        self._story(f"operator{who} opens its pool at {bps} bps, staking {value}")
        if pool.opened:
            reason = "staking: pool already open"
        elif bps > MAX_COMMISSION_BPS:
            reason = "staking: commission above maximum"
        elif value:
            trial, result = self._trial(op, "deposit", op, value)
            reason = result if trial is None else None
        else:
            reason = None
        if reason:
            self._reverts(reason, op, self.staking.open_pool, bps, value)
            return
        pool.opened = True
        pool.commission_bps = bps
        if value:
            self._deposit(op, op, value, lambda: self.staking.open_pool(bps, value))
        else:
            with boa.env.prank(op):
                self.staking.open_pool(bps, value)

    @rule(who=holder_index, value=amount, data=st.data())
    def delegate(self, who, value, data):
        holder = self.holders[who]
        locked = [op for op, pool in self.pools.items() if pool.opened and pool.locked]
        op = self._draw_operator(data, locked)
        pool = self.pools[op]
        self._story(
            f"{self.names[holder]} delegates {value} to {self.names[op]} (locked {pool.locked})"
        )
        if not pool.opened:
            self._reverts("staking: no such pool", holder, self.staking.delegate, op, value)
            return
        self._deposit(op, holder, value, lambda: self.staking.delegate(op, value))

    def _deposit(self, op: str, holder: str, value: int, send) -> None:
        """Make a deposit with `send()` (open_pool or delegate), as the ghost says."""
        trial, result = self._trial(op, "deposit", holder, value)
        if trial is None:
            self._reverts(result, holder, send)
            return
        minted, activation = result
        pool = self.pools[op]
        waits = pool.locked != 0
        # The ghost's stakes are the views' (checked after the previous step).
        before, waiting_before = pool.stake(holder), pool.waiting(holder)
        old_price = pool.price()
        with boa.env.prank(holder):
            returned = send()
        assert returned in (minted, None)  # open_pool returns nothing
        self._check_activation(op, activation, old_price)
        (log,) = self._logs("Delegated")
        assert (log.operator, log.holder, log.assets, log.shares) == (op, holder, value, minted)
        self.pools[op] = pool = trial
        self.wallet[holder] -= value
        self._check_wallet(holder)
        self.votes[holder] += value
        self._total_written()
        assert self.staking.votes(holder) == self.votes[holder]
        gained = self.staking.assets_of(op, holder) - before
        if waits:
            # 2: the stake waits, wei for wei; no shares, no price change.
            event("a deposit waits for activation")
            assert minted == 0 and activation is None
            assert gained == value
            assert self.staking.pending_of(op, holder) == waiting_before + value
            assert pool.price() == old_price
            note(f"  -> waits ({pool.pending} pending in the pool)")
            return
        # 2: the depositor's stake grows by the amount, less under one share's
        # value (and an activation's rounding, when one came first).
        assert minted > 0
        slack = 0
        if activation:
            event("a deposit into an idle pool activates its pending stake")
            slack = 2 * ceil(pool.price()) + 2
        least = value - ceil(old_price) - 1 - slack
        assert least <= gained <= value + slack, (gained, value, slack)
        note(f"  -> minted {minted} shares")

    @rule(data=st.data())
    def request_withdraw(self, data):
        candidates = [(h, op) for op in self.operators for h in self._in_pool(op)]
        holder, op = self._draw_pair(data, candidates)
        pool = self.pools[op]
        stake, waiting = pool.stake(holder), pool.waiting(holder)
        free = pool.free() if pool.locked else pool.total_assets
        amounts = [
            up_to(min(stake, waiting + free), 1_000),
            up_to(stake, 1_000 * WAD),
            up_to(waiting, 1_000),
        ]
        if holder == op:
            # About the most the operator may take back with its locks covered.
            keep = ceil_div(pool.locked * self.min_self_stake_bps, BPS)
            amounts.append(up_to(waiting + pool.value(op) - keep, 1_000))
        value = data.draw(st.one_of(amounts), label="amount")
        self._request_withdraw(holder, op, value)

    def _request_withdraw(self, holder: str, op: str, value: int) -> bool:
        pool = self.pools[op]
        stake, waiting = pool.stake(holder), pool.waiting(holder)
        free = pool.free() if pool.locked else pool.total_assets
        self._story(
            f"{self.names[holder]} requests {value} from {self.names[op]} (stake {stake}, "
            f"{waiting} of it waiting, {pool.booked.get(holder, 0)} reserved, free {free})"
        )
        trial, result = self._trial(op, "request", holder, value, self.min_self_stake_bps)
        if trial is None:
            self._reverts(result, holder, self.staking.request_withdraw, op, value)
            return False
        burnt, from_waiting, activation, now_part, later, lost_principal = result
        unbonded = from_waiting + now_part

        old_price = pool.price()
        before, waiting_before = stake, waiting
        with boa.env.prank(holder):
            unlock_at = self.staking.request_withdraw(op, value)
        self._check_activation(op, activation, old_price)
        requested = self._logs("WithdrawRequested")
        if unbonded:
            assert unlock_at == now() + UNBONDING_DELAY
            (log,) = requested
            assert (log.operator, log.holder, log.assets) == (op, holder, unbonded)
            assert (log.shares, log.unlock_at) == (burnt, unlock_at)
            entry = self.unbonding.setdefault((holder, op), Unbonding())
            entry.amount += unbonded
            entry.unlock_at = unlock_at
            entry.requested_at = now()
            self.total_unbonding += unbonded
        else:
            assert unlock_at == 0 and requested == []
        reserved = self._logs("WithdrawReserved")
        if later:
            # 10: what the free stake cannot cover is reserved, at the tail.
            (log,) = reserved
            assert (log.operator, log.holder, log.assets) == (op, holder, later)
            assert log.position == trial.queue_tail == trial.positions[holder]
            event("a request reserves locked stake")
            if unbonded:
                event("a request unbonds part and reserves the rest")
        else:
            assert reserved == []
        self.pools[op] = pool = trial
        # 9: power falls by the amount (the operator's by its principal in its
        # own pool at most), down to zero at most.
        lost_votes = min(lost_principal, self.votes[holder])
        self.votes[holder] -= lost_votes
        self._total_written()
        assert self.staking.votes(holder) == self.votes[holder]
        # 2: waiting stake goes first, wei for wei...
        assert from_waiting == min(value, waiting_before)
        assert self.staking.pending_of(op, holder) == waiting_before - from_waiting
        if from_waiting:
            event("a request takes waiting stake")
        # ...then the caller's stake falls by what unbonds now, plus under one
        # share's value (and an activation's rounding, when one came first);
        # reserved stake stays the caller's.
        lost = before - self.staking.assets_of(op, holder)
        slack = 0
        if activation:
            event("a request from an idle pool activates its pending stake")
            slack = 2 * ceil(pool.price()) + 2
        if burnt:
            assert unbonded - slack <= lost <= unbonded + ceil(old_price) + slack, (lost, slack)
        else:
            assert lost == unbonded and activation is None
        if holder == op and burnt:
            # 5: the operator keeps its share of what is locked.
            own = self.staking.assets_of(op, op) - self.staking.pending_of(op, op)
            assert own * BPS >= pool.locked * self.min_self_stake_bps
            assert own == pool.value(op)
            if pool.locked:
                event("an operator takes back own stake while some is locked")
        note(f"  -> burnt {burnt} shares, unbonding {unbonded}, reserved {later}")
        return True

    @rule(data=st.data())
    def request_locked_stake(self, data):
        """A holder (not the operator, which reserves nothing) of a pool with
        stake locked asks back more than the pool's free stake (often all it
        has): the rest is reserved."""
        candidates = [
            (h, op)
            for op, pool in self.pools.items()
            if pool.locked
            for h in self._in_pool(op)
            if h != op and pool.value(h) > pool.booked.get(h, 0)
        ]
        if not candidates:
            return
        holder, op = data.draw(st.sampled_from(candidates), label="holder, operator")
        pool = self.pools[op]
        waiting = pool.waiting(holder)
        room = waiting + pool.value(holder) - pool.booked.get(holder, 0)
        least = min(room, waiting + pool.free() + 1)
        value = data.draw(
            st.one_of(st.just(room), st.integers(min_value=least, max_value=room)),
            label="amount",
        )
        self._request_withdraw(holder, op, value)

    @rule(data=st.data(), by=st.sampled_from(["holder", "keeper"]))
    def honour_withdrawal(self, data, by):
        booked = [(h, op) for op, pool in self.pools.items() for h, b in pool.booked.items() if b]
        holder, op = self._draw_pair(data, booked)
        self._honour(self.outsider if by == "keeper" else holder, holder, op)

    def _honour(self, caller: str, holder: str, op: str) -> bool:
        pool = self.pools[op]
        entry = self.unbonding.get((holder, op), Unbonding())
        self._story(
            f"{self.names[caller]} honours {self.names[holder]}'s reservation of "
            f"{pool.booked.get(holder, 0)} in {self.names[op]} (position "
            f"{pool.positions.get(holder)}, finalized {pool.finalized()} of {pool.queue_tail})"
        )
        assert self.staking.reserved_of(op, holder) == (
            pool.booked.get(holder, 0),
            pool.honourable(holder),
        )
        trial, result = self._trial(op, "honour", caller, holder, entry.amount)
        if trial is None:
            unlocked = pool.total_assets - pool.locked
            if result == "staking: reserved stake still locked" and unlocked >= pool.booked[holder]:
                event("a reservation waits behind earlier ones")
            self._reverts(result, caller, self.staking.honour_withdrawal, op, holder)
            return False
        booked, amount, burnt = result
        old_price, stake = pool.price(), pool.stake(holder)
        with boa.env.prank(caller):
            assert self.staking.honour_withdrawal(op, holder) == amount
        (log,) = self._logs("WithdrawHonoured")
        assert (log.operator, log.holder, log.reserved, log.assets, log.shares) == (
            op,
            holder,
            booked,
            amount,
            burnt,
        )
        self.pools[op] = pool = trial
        if amount:
            entry = self.unbonding.setdefault((holder, op), Unbonding())
            entry.amount += amount
            entry.unlock_at = now() + UNBONDING_DELAY
            entry.requested_at = now()
            self.total_unbonding += amount
        assert log.unlock_at == entry.unlock_at
        event("a reservation honoured" if amount == booked else "a slashed reservation honoured")
        # 10: the stake falls by the amount, within a share's value; the price
        # does not fall.
        lost = stake - pool.stake(holder)
        assert amount <= lost <= amount + ceil(old_price)
        assert pool.price() >= old_price
        note(f"  -> {amount} of {booked} reserved starts unbonding")
        return True

    @rule(data=st.data())
    def withdraw(self, data):
        holder, op = self._draw_pair(data, list(self.unbonding))
        self._withdraw(holder, op)

    def _withdraw(self, holder: str, op: str) -> bool:
        entry = self.unbonding.get((holder, op), Unbonding())
        self._story(
            f"{self.names[holder]} withdraws from {self.names[op]} "
            f"(pending {entry.amount}, unlocks in {entry.unlock_at - now()}s)"
        )
        if entry.amount == 0:
            self._reverts("staking: nothing to withdraw", holder, self.staking.withdraw, op)
            return False
        if now() < entry.unlock_at:
            self._reverts("staking: unbonding not over", holder, self.staking.withdraw, op)
            return False
        # Invariant 3: a full delay has passed since the last request.
        assert now() >= entry.requested_at + UNBONDING_DELAY
        with boa.env.prank(holder):
            paid = self.staking.withdraw(op)
        assert paid == entry.amount
        event("withdrawn")
        self.wallet[holder] += paid
        self._check_wallet(holder)
        self.total_unbonding -= paid
        del self.unbonding[(holder, op)]
        return True

    @rule(bps=commission_bps, data=st.data())
    def set_commission(self, bps, data):
        op = self._draw_operator(data)
        pool = self.pools[op]
        self._story(
            f"{self.names[op]} sets its commission to {bps} bps "
            f"(now {pool.effective_commission(now())}, locked {pool.locked})"
        )
        trial, result = self._trial(op, "set_commission", bps, now(), MAX_COMMISSION_BPS)
        if trial is None:
            self._reverts(result, op, self.staking.set_commission, bps)
            return
        with boa.env.prank(op):
            self.staking.set_commission(bps)
        self.pools[op] = trial
        event(f"commission: {result}")
        if result == "raise":
            note(f"  -> a raise: applies in {COMMISSION_NOTICE}s")
        else:
            note("  -> a cut (or no change): applies now")

    @rule(data=st.data())
    def claim_commission(self, data):
        self._claim_commission(self._draw_operator(data))

    def _claim_commission(self, op: str) -> bool:
        pool = self.pools[op]
        self._story(f"{self.names[op]} claims its commission of {pool.commission_owed}")
        if pool.commission_owed == 0:
            self._reverts("staking: nothing to claim", op, self.staking.claim_commission)
            return False
        with boa.env.prank(op):
            paid = self.staking.claim_commission()
        assert paid == pool.commission_owed
        self.wallet[op] += paid
        pool.commission_owed = 0
        self._check_wallet(op)
        return True

    @rule(who=holder_index)
    def sweep_to_treasury(self, who):
        self._sweep(self.holders[who])

    def _sweep(self, caller: str) -> bool:
        self._story(f"{self.names[caller]} sweeps {self.treasury_owed} to the treasury")
        if self.treasury_owed == 0:
            self._reverts("staking: nothing to sweep", caller, self.staking.sweep_to_treasury)
            return False
        with boa.env.prank(caller):
            paid = self.staking.sweep_to_treasury()
        assert paid == self.treasury_owed
        self.wallet[self.slash_treasury] += paid
        self.treasury_owed = 0
        self._check_wallet(self.slash_treasury, caller)
        return True

    # --- protocol contracts --------------------------------------------------

    @rule(by=protocol_index, data=st.data())
    def allocate(self, by, data):
        caller = self.protocols[by]
        # Pools with stake waiting, so that allocations activate it, or
        # reserved, so that they lock beside it.
        waiting = [
            op for op, pool in self.pools.items() if pool.opened and (pool.pending or pool.reserved)
        ]
        op = self._draw_operator(data, waiting)
        pool = self.pools[op]
        # What the pool will have after the allocation activates its pending stake.
        after = copy.deepcopy(pool)
        after.activate()
        unlocked = after.free()
        # Most the operator's own stake lets the pool lock.
        own_cap = (
            after.value(op) * BPS // self.min_self_stake_bps - after.locked
            if self.min_self_stake_bps
            else unlocked
        )
        value = data.draw(
            st.one_of(up_to(min(unlocked, own_cap), 1_000), up_to(unlocked, 1_000 * WAD)),
            label="amount",
        )
        self._allocate(caller, op, value)

    def _allocate(self, caller: str, op: str, value: int) -> None:
        pool = self.pools[op]
        self._story(
            f"{self.names[caller]} allocates {value} of {self.names[op]} (free "
            f"{pool.free()}, pending {pool.pending}, own {pool.value(op)})"
        )
        trial, result = self._trial(
            op, "allocate", caller, value, now(), self.min_self_stake_bps, self.min_pool_stake
        )
        if trial is None:
            self._reverts(result, caller, self.staking.allocate, op, value)
            return
        activation = result
        old_price = pool.price()
        before = {h: pool.stake(h) for h in self._in_pool(op)}
        with boa.env.prank(caller):
            self.staking.allocate(op, value)
        self._check_activation(op, activation, old_price)
        self.pools[op] = pool = trial
        event("allocated")
        # 8: the activation moves every holder's stake by its rounding only
        # (bounds over all holders are asserted on the ghost's stakes, which
        # the invariants then hold to the views).
        new_price = pool.price()
        for holder, had in before.items():
            moved = pool.stake(holder) - had
            if activation is None:
                assert moved == 0, self.names[holder]
            else:
                assert -2 * old_price - 1 <= moved < new_price + 1, (self.names[holder], moved)
                assert pool.waiting(holder) == 0
        if activation:
            event("an allocation activates pending stake")
        # 11: only a pool holding min_pool_stake is locked.
        assert pool.total_assets >= self.min_pool_stake
        # 10: no allocation locks reserved stake.
        assert pool.total_assets - pool.locked >= pool.reserved
        if pool.reserved:
            event("an allocation beside reserved stake")
        # 5: the operator's stake covers its share of what is now locked.
        own = self.staking.assets_of(op, op) - self.staking.pending_of(op, op)
        assert own * BPS >= pool.locked * self.min_self_stake_bps
        assert own == pool.value(op)

    @rule(data=st.data())
    def release(self, data):
        anyone = st.tuples(st.sampled_from(self.protocols), st.sampled_from(self.operators))
        holding = [
            (p, op) for op, pool in self.pools.items() for p, v in pool.locked_by.items() if v
        ]
        if holding:
            anyone = st.one_of(st.sampled_from(holding), st.sampled_from(holding), anyone)
        caller, op = data.draw(anyone, label="protocol, operator")
        mine = self.pools[op].locked_by.get(caller, 0)
        value = data.draw(up_to(mine, 1_000 * WAD), label="amount")
        bps = data.draw(bps_up_to(self.max_slash_bps), label="slash bps")
        self._release(caller, op, value, bps)

    @rule(
        data=st.data(),
        share_bps=st.one_of(st.just(BPS), st.integers(min_value=1, max_value=BPS)),
    )
    def task_ends_in_a_slash(self, data, share_bps):
        """A protocol releases part or all of one of its allocations, slashing
        it by up to the maximum (often all of it)."""
        holding = [
            (p, op) for op, pool in self.pools.items() for p, v in pool.locked_by.items() if v
        ]
        if not holding:
            return
        caller, op = data.draw(st.sampled_from(holding), label="protocol, operator")
        mine = self.pools[op].locked_by[caller]
        top = self.max_slash_bps
        bps = data.draw(
            st.one_of(st.just(top), st.integers(min_value=0, max_value=top)), label="slash bps"
        )
        self._release(caller, op, max(1, mine * share_bps // BPS), bps)

    def _release(self, caller: str, op: str, value: int, bps: int) -> bool:
        pool = self.pools[op]
        mine = pool.locked_by.get(caller, 0)
        self._story(
            f"{self.names[caller]} releases {value} of {self.names[op]} (locked {mine}), "
            f"slashing {bps} bps"
        )
        trial, result = self._trial(op, "release", caller, value, bps, self.max_slash_bps)
        if trial is None:
            self._reverts(result, caller, self.staking.release, op, value, bps)
            return False

        assets, old_price = pool.total_assets, pool.price()
        before, pending = self._activated(op), pool.pending
        own_before = pool.stake(op)
        with boa.env.prank(caller):
            slashed = self.staking.release(op, value, bps)
        self.pools[op] = pool = trial
        # Bounds over all holders are asserted on the ghost's stakes, which the
        # invariants then hold to the views.
        after = self._activated(op, before)
        # Invariant 4: the slash is the stated fraction, within its bounds...
        assert slashed == result[0]
        assert slashed == value * bps // BPS <= value * self.max_slash_bps // BPS <= value // 2
        self.treasury_owed += slashed
        if slashed == 0:
            return True
        _, from_own, burnt, cut = result
        if cut:
            # 9: the operator's power falls with its own stake: its principal
            # in the pool keeps (own - taken) / own of itself, rounded down.
            had_votes = self.votes[op]
            self.votes[op] -= min(cut, had_votes)
            self._total_written()
            assert self.staking.votes(op) == self.votes[op]
            principal = pool.own_principal + cut
            assert pool.own_principal == principal * (own_before - from_own) // own_before
            if had_votes > self.votes[op]:
                event("a slash lowers the operator's voting power")
        # ...the operator's stake pays first, as much of it as there is...
        had_own, has_own = before.get(op, (0, 0))[0], after.get(op, (0, 0))[0]
        assert from_own == min(slashed, had_own)
        covered = from_own == slashed
        uncovered = slashed - from_own
        note(f"  -> slashed {slashed} of {assets}: {from_own} from the operator's stake")
        event("slash covered by the operator" if covered else "slash beyond the operator's stake")
        if not covered:
            self.slashed_pools.add(op)
        # ...the price moves to the remaining assets' over the remaining shares...
        price = pool.price()
        a1, f = assets + VIRTUAL_ASSETS, from_own
        assert old_price * (a1 - slashed) / (a1 - f) <= price
        assert price * (a1 - f - old_price) < old_price * (a1 - slashed)
        if covered:
            assert price >= old_price
        # ...the operator loses the slash, or all but dust when it could not cover it...
        if covered:
            assert had_own - slashed - old_price - 1 < has_own < had_own - slashed + 1 + old_price
        else:
            assert has_own * old_price < price
        # ...every other holder loses its proportional part of the rest only...
        for holder, (had, _) in before.items():
            if holder == op:
                continue
            has = after[holder][0]
            fair = had * (assets - slashed) // (assets - from_own)
            assert fair <= has <= fair + 2 + ceil(old_price), (self.names[holder], had, has)
            if uncovered and has < had:
                event("a delegator bears what the operator could not cover")
        # ...and stake waiting for activation is never slashed.
        assert pool.pending == pending
        assert all(after[h][1] == waiting for h, (_, waiting) in before.items())
        note(f"  -> burnt {burnt} of the operator's shares")
        return True

    @rule(by=protocol_index, value=amount, data=st.data())
    def pay_reward(self, by, value, data):
        waiting = [op for op, pool in self.pools.items() if pool.opened and pool.pending]
        caller, op = self.protocols[by], self._draw_operator(data, waiting)
        pool = self.pools[op]
        self._story(f"{self.names[caller]} pays a reward of {value} to {self.names[op]}")
        trial, result = self._trial(op, "pay_reward", value, now())
        if trial is None:
            self._reverts(result, caller, self.staking.pay_reward, op, value)
            return
        before = self._activated(op)
        with boa.env.prank(caller):
            commission = self.staking.pay_reward(op, value)
        if pool.total_shares == 0:
            event("reward to a pool without shares")
        elif pool.effective_commission(now()) != pool.commission_bps:
            event("reward at a matured raise")
        assert commission == result
        self.pools[op] = pool = trial
        self.wallet[caller] -= value
        self._check_wallet(caller)
        # No holder loses; together they gain at most the reward net of the
        # commission, give or take each one's rounding of its stake; stake
        # still waiting earns nothing (on the ghost's stakes, which the
        # invariants then hold to the views).
        after = self._activated(op, before)
        assert all(after[h][0] >= had for h, (had, _) in before.items())
        gain = sum(a for a, _ in after.values()) - sum(a for a, _ in before.values())
        assert gain <= value - commission + max(len(after) - 1, 0)
        assert all(after[h][1] == waiting for h, (_, waiting) in before.items())
        if value and pool.pending:
            event("a reward while stake waits")
        note(f"  -> commission {commission}")

    @rule(
        call=st.sampled_from(["allocate", "release", "pay_reward"]),
        to=operator_index,
        value=amount,
    )
    def outsider_is_refused(self, call, to, value):
        op = self.operators[to]
        self._story(f"outsider (no PROTOCOL_ROLE) calls {call} on {self.names[op]} with {value}")
        args = (op, value, 0) if call == "release" else (op, value)
        reason = "staking: caller is not a protocol contract"
        self._reverts(reason, self.outsider, getattr(self.staking, call), *args)

    # --- admin ---------------------------------------------------------------

    @rule(
        name=st.sampled_from(["min_self_stake_bps", "max_slash_bps"]),
        value=st.one_of(
            st.just(0),
            st.just(DEFAULT_MIN_SELF_STAKE_BPS),
            st.integers(min_value=0, max_value=BPS),
            st.integers(min_value=BPS + 1, max_value=2 * BPS),
        ),
        by=st.sampled_from(["admin", "governance", "outsider"]),
    )
    def set_parameter(self, name, value, by):
        caller = {"admin": self.admin, "governance": self.governance}.get(by, self.outsider)
        setter = getattr(self.staking, f"set_{name}")
        self._story(f"{by} sets {name} to {value}")
        bound = BPS if name == "min_self_stake_bps" else MAX_SLASH_CEILING_BPS
        if caller == self.outsider:
            reason = "staking: caller is not the admin"
        elif value > bound:
            reason = (
                "staking: min self stake out of bounds"
                if name == "min_self_stake_bps"
                else "staking: max slash out of bounds"
            )
        else:
            reason = None
        if reason:
            self._reverts(reason, caller, setter, value)
            return
        with boa.env.prank(caller):
            setter(value)
        setattr(self, name, value)
        assert getattr(self.staking, name)() == value

    @rule(
        value=st.one_of(
            st.just(0),
            st.just(DEFAULT_MIN_POOL_STAKE),
            st.integers(min_value=0, max_value=10_000 * WAD),
            st.just(MAX_MIN_POOL_STAKE),
            st.integers(min_value=MAX_MIN_POOL_STAKE + 1, max_value=2 * MAX_MIN_POOL_STAKE),
        ),
        by=st.sampled_from(["admin", "governance", "outsider"]),
    )
    def set_min_pool_stake(self, value, by):
        """The least total assets a pool needs to be locked (0 lets dust pools in)."""
        caller = {"admin": self.admin, "governance": self.governance}.get(by, self.outsider)
        self._story(f"{by} sets min_pool_stake to {value}")
        if caller == self.outsider:
            reason = "staking: caller is not the admin"
        elif value > MAX_MIN_POOL_STAKE:
            reason = "staking: min pool stake out of bounds"
        else:
            reason = None
        if reason:
            self._reverts(reason, caller, self.staking.set_min_pool_stake, value)
            return
        with boa.env.prank(caller):
            self.staking.set_min_pool_stake(value)
        (log,) = self._logs("ParameterUpdated")
        assert (log.name, log.value) == ("min_pool_stake", value)
        self.min_pool_stake = value
        assert self.staking.min_pool_stake() == value

    @rule(
        role=st.sampled_from(["PROTOCOL_ROLE", "PROTOCOL_ADMIN_ROLE"]),
        by=st.sampled_from(["governance", "outsider"]),
    )
    def protocol_role_is_closed(self, role, by):
        """Only PROTOCOL_ADMIN_ROLE names protocol contracts: not governance."""
        caller = self.governance if by == "governance" else self.outsider
        self._story(f"{by} grants itself {role}")
        role_id = getattr(self.staking, role)()
        reason = "access_control: account is missing role"
        self._reverts(reason, caller, self.staking.grantRole, role_id, caller)

    # --- time ----------------------------------------------------------------

    @rule(seconds=st.integers(min_value=1, max_value=2 * UNBONDING_DELAY))
    def time_passes(self, seconds):
        self._story(f"{seconds}s pass")
        boa.env.time_travel(seconds=seconds)

    @rule(data=st.data(), offset=st.integers(min_value=-1, max_value=1))
    def warp_to_deadline(self, data, offset):
        """Jump to just before, at or just after an unlock or a commission raise."""
        deadlines = sorted(
            {e.unlock_at for e in self.unbonding.values()}
            | {p.pending_commission_at for p in self.pools.values() if p.pending_commission_at}
        )
        if not deadlines:
            return
        target = data.draw(st.sampled_from(deadlines), label="deadline") + offset
        self._story(f"time jumps to {target - now()}s from now (a deadline {offset:+d}s)")
        if target > now():
            boa.env.time_travel(seconds=target - now())

    # --- invariants ----------------------------------------------------------

    @invariant()
    def check(self):
        # The pool records, word for word from storage (the pools() getter is
        # checked below whenever a pool changes).
        onchain = {op: self._pool_fields(op) for op in self.operators}
        self._check_ledger(onchain)
        self._check_storage()
        self._check_conservation(onchain)  # 1
        self._check_share_price()  # 2
        changed = False
        for op, pool in self.pools.items():
            # 5: stake is never locked while a commission raise waits out its notice.
            got = onchain[op]
            assert got["locked"] == 0 or not now() < got["pending_commission_at"]
            # The views below are functions of storage (checked above, every
            # step) and of the time only through the commission: a pool whose
            # ghost state has not changed since they passed needs no new look.
            key = (repr(pool), pool.effective_commission(now()))
            if pool.opened and self.verified.get(op) != key:
                assert self.staking.pools(op)._asdict() == {
                    name: int(v) if name != "opened" else bool(v) for name, v in got.items()
                }
                self._check_locks(op)  # 5
                self._check_holders_and_stakes(op)  # 6, 7
                self.verified[op] = key
                changed = True
        if changed:
            assert self.staking.total_unbonding() == self.total_unbonding
            assert self.staking.treasury_owed() == self.treasury_owed
            assert self.staking.total_votes() == sum(self.votes.values())
        self.clean = True

    def _check_ledger(self, onchain: dict) -> None:
        """Every field on chain equals the ghost's."""
        for op, pool in self.pools.items():
            got = onchain[op]
            for name in POOL_FIELDS:
                assert got[name] == getattr(pool, name), (self.names[op], name)
        for (holder, op), entry in self.unbonding.items():
            assert self.staking.unbonding_of(holder, op) == (entry.amount, entry.unlock_at)
            # Invariant 3, on the ghost side: the unlock time is a full delay away.
            assert entry.unlock_at == entry.requested_at + UNBONDING_DELAY
        for op, pool in self.pools.items():
            # The unbonding entries, reservations and queue, word for word.
            for h in self.holders:
                entry = self.unbonding.get((h, op), Unbonding())
                word = entry.amount << UNBONDING_SHIFT
                word |= pool.booked.get(h, 0) << EPOCH_BITS | entry.unlock_at
                assert self._storage("_unbonding", h, op) == word, self.names[h]
                assert self._storage("_reservations", op, h) == pool.positions.get(h, 0)
            queue = pool.queue_tail << QUEUE_SHIFT | pool.queue_done
            assert self._storage("_queue", op) == queue, self.names[op]
        totals = UNBONDING_DELAY << DELAY_SHIFT | self.total_unbonding
        assert self._word("_unbonding_totals") == totals
        assert self._word("treasury_owed") == self.treasury_owed
        # 9: total_votes is everyone's voting power together, and its two
        # checkpoints are the ghost's, word for word; the block before this
        # one reads back the value it ended with.
        (block, value), (before_block, before) = self.total_latest, self.total_before
        word = (before_block << 96 | before) << 128 | block << 96 | value
        assert boa.env.evm.get_storage(self.staking.address, TOTAL_SLOT) == word
        assert value == sum(self.votes.values()) <= TOTAL_MASK
        past = boa.env.evm.patch.block_number - 1
        assert past >= before_block
        assert self.staking.total_votes_at(past) == (value if past >= block else before)

    def _check_storage(self) -> None:
        """Shares, locks, deposit entries and activations, word for word."""
        for op, pool in self.pools.items():
            for h in self.holders:
                assert self._storage("shares", op, h) == pool.shares.get(h, 0), self.names[h]
                assert self._storage("_deposits", op, h) == pool.deposits.get(h, 0)
            for p in self.protocols:
                assert self._storage("locked_by", op, p) == pool.locked_by.get(p, 0)
            # Activation records (assets, shares) up to the next one, still empty.
            for epoch in range(pool.epoch + 1):
                got = tuple(self._storage("_activations", op, epoch, field=i) for i in (0, 1))
                assert got == pool.activations.get(epoch, (0, 0)), (self.names[op], epoch)

    def _check_conservation(self, onchain: dict) -> None:
        """1: the contract's balance is exactly what it owes, read from the chain."""
        owed = self._word("_unbonding_totals") % 2**DELAY_SHIFT + self._word("treasury_owed")
        # Nothing here prepays (only the task manager does: the task
        # lifecycle fuzz checks that term), but the term is part of the sum.
        owed += sum(self.staking.prepaid(p) for p in self.protocols)
        owed += sum(
            p["total_assets"] + p["pending"] + p["commission_owed"] for p in onchain.values()
        )
        assert self.token.balanceOf(self.staking) == owed

    def _check_share_price(self) -> None:
        """2: the price never falls, except in a pool a slash beyond its operator's
        stake hit this step."""
        for op, pool in self.pools.items():
            price, last = pool.price(), self.last_price[op]
            if op not in self.slashed_pools:
                # Cross-multiplied: (A + 1) * (S0 + VS) >= (A0 + 1) * (S + VS).
                assert price.numerator * last.denominator >= last.numerator * price.denominator
            self.last_price[op] = price
        self.slashed_pools.clear()

    def _check_locks(self, op: str) -> None:
        """5: locked <= A, locked is the sum of locked_by, unlocked_stake ==
        A - locked - reserved (0 at least); 10: the withdrawal queue."""
        pool = self.pools[op]
        by = [self.staking.locked_by(op, p) for p in self.protocols]
        assert by == [pool.locked_by.get(p, 0) for p in self.protocols]
        assert sum(by) == pool.locked <= pool.total_assets
        assert self.staking.unlocked_stake(op) == pool.free()
        # 10: reserved is the holders' reservations together; every honoured
        # one lay before the finalized position, and what is finalized but not
        # honoured is covered by the unlocked stake while some is locked.
        assert pool.reserved == sum(pool.booked.values())
        head = pool.queue_tail - pool.reserved
        assert head <= pool.queue_done <= pool.queue_tail
        if pool.locked:
            assert pool.total_assets - pool.locked >= pool.queue_done - head
        for holder, booked in pool.booked.items():
            assert self.staking.reserved_of(op, holder) == (booked, pool.honourable(holder))

    def _check_holders_and_stakes(self, op: str) -> None:
        """The views; 6: holders' stakes within dust of A; 7: the stakes and weights."""
        pool = self.pools[op]
        assert self.staking.commission_of(op) == pool.effective_commission(now())
        # The value of the shares one token bought in a fresh pool (1e18 at first).
        price = pool.price()
        share_value = WAD * VIRTUAL_SHARES * price.numerator // price.denominator
        assert self.staking.pool_share_value(op) == share_value
        held, waiting = {}, {}
        for holder in self._in_pool(op):
            assert self.staking.shares(op, holder) == pool.shares.get(holder, 0)
            waiting[holder] = self.staking.pending_of(op, holder)
            assert waiting[holder] == pool.waiting(holder), self.names[holder]
            held[holder] = self.staking.assets_of(op, holder) - waiting[holder]
            assert held[holder] == pool.value(holder), self.names[holder]
        assert sum(waiting.values()) == pool.pending
        unclaimed = pool.unclaimed()
        assert 0 <= unclaimed <= pool.unclaimable
        assert sum(held.values()) <= pool.total_assets
        assert pool.total_assets - sum(held.values()) <= pool.dust_value() + len(held)

        own = held.get(op, 0)
        own_stake = own + waiting.get(op, 0)
        assert self.staking.own_stake(op) == own_stake
        assert self.staking.delegated_stake(op) == pool.total_assets + pool.pending - own_stake
        effective = own + (pool.total_assets - own) * DELEGATION_WEIGHT_BPS // BPS
        assert self.staking.effective_stake(op) == effective
        unlocked = pool.total_assets - pool.locked
        weight = unlocked * effective // pool.total_assets if pool.total_assets else 0
        assert self.staking.stake_weight(op, unlocked) == weight

    # --- liveness ------------------------------------------------------------

    def teardown(self):
        """Everyone gets out: the contract keeps only the pools' dust."""
        if not getattr(self, "clean", False):
            return  # a step failed: hypothesis reports that failure
        note("teardown: release everything, unbond everything, withdraw, claim, sweep")
        for op, pool in self.pools.items():
            for p, locked in list(pool.locked_by.items()):
                if locked:
                    assert self._release(p, op, locked, 0)
        # With nothing locked, every reservation can be honoured, by anyone
        # (the holder, when part of its stake is already unbonding).
        for op, pool in self.pools.items():
            for holder, booked in list(pool.booked.items()):
                if booked:
                    caller = holder if (holder, op) in self.unbonding else self.outsider
                    assert self._honour(caller, holder, op)
        # A request's rounding (or the activation it makes) can leave the rest
        # of a holder's shares worth a wei again (the price rises), hence the loop.
        for _ in range(5):
            staked = [
                (h, op) for op, pool in self.pools.items() for h in self.holders if pool.stake(h)
            ]
            if not staked:
                break
            for holder, op in staked:
                # An earlier request may have activated the pool's waiting
                # stake, and a waiting wei can round to no share's worth.
                if self.pools[op].stake(holder):
                    assert self._request_withdraw(holder, op, self.pools[op].stake(holder))
        else:
            raise AssertionError("holders keep a stake after five full withdrawals")
        # One second early, the last requests are still unbonding...
        boa.env.time_travel(seconds=UNBONDING_DELAY - 1)
        for holder, op in list(self.unbonding):
            self._withdraw(holder, op)
        # ...one second later, everything can leave.
        boa.env.time_travel(seconds=1)
        for holder, op in list(self.unbonding):
            assert self._withdraw(holder, op)
        for op, pool in self.pools.items():
            if pool.commission_owed:
                assert self._claim_commission(op)
        if self.treasury_owed:
            assert self._sweep(self.delegators[0])
        self.check()

        left = 0
        for op, pool in self.pools.items():
            # Holders whose shares (settled or not) are worth less than a wei each.
            holders = sum(
                1 for h in self.holders if pool.shares.get(h, 0) + pool.activated_shares(h)
            )
            assert pool.pending == 0
            assert all(self.staking.pending_of(op, h) == 0 for h in self.holders)
            assert pool.total_assets <= pool.dust_value() + holders, self.names[op]
            assert pool.locked == pool.commission_owed == 0
            left += pool.total_assets
        assert self.total_unbonding == self.treasury_owed == 0
        assert self.token.balanceOf(self.staking) == left
        # Every account holds what the ghost says, and no token was made or lost.
        self._check_wallet(*self.wallet)
        everyone = [self.token_treasury, *self.wallet]
        assert sum(self.token.balanceOf(a) for a in everyone) + left == GENESIS
        note(f"teardown: {left} wei left as dust in the pools")


TestStakingLedger = StakingLedger.TestCase
