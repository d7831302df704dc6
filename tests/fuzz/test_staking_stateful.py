"""Stateful fuzz of Staking against a Python ghost ledger.

The ghost mirrors every pool (assets A, shares S, locked stake and who locked
it, commission and a pending raise, commission owed), every holder's shares
and unbonding entry, total_unbonding and treasury_owed, with the share maths
of modules/pool_shares.vy in exact integers. After every step the pool records,
unbonding entries and totals on chain must equal the ghost's, and so must the
views (shares, assets_of, commission_of, pool_share_value, locked_by, the
stakes) of every pool whose ghost state changed. Every rule also expects the
exact revert reason when the ghost says a call must fail, and the exact return
value and token movements when it must succeed. On top of that model,
invariants that need no model:

1. Token conservation, exact: balanceOf(staking) == sum(A) + total_unbonding
   + treasury_owed + sum(commission_owed).
2. A pool's share price (A + 1) / (S + 1e6) never falls except by a slash
   (compared as a fraction); deposits and withdrawal requests move it only up,
   by rounding, and move the caller's own stake by the amount within one
   share's value.
3. No withdrawal before the unbonding delay: an early withdraw reverts, and a
   successful one comes at least unbonding_delay after its last request and
   pays exactly the pending amount.
4. A slash is amount * slash_bps // 10_000 <= amount * max_slash_bps // 10_000,
   cuts the share price by exactly slashed / (A + 1) (the virtual wei counts
   in A) and every holder's stake by its proportional part, within 2 wei.
5. locked <= A, locked == sum of locked_by over protocols, unlocked_stake ==
   A - locked.
6. The holders' assets_of sum to at most A, and A minus that sum is at most
   the value of the virtual shares plus one wei per holder.
7. effective_stake == own + delegated * delegation_weight_bps // 10_000, with
   own == assets_of(operator, operator) and delegated == A - own.

Teardown (liveness): every allocation is released without a slash, every
holder unbonds all its stake (a withdrawal one second before the delay is over
reverts, one at the end of it pays), every commission is claimed and the
treasury swept; then the contract holds exactly sum(A), each pool's A is no
more than the virtual shares' value plus a wei per holder (a few wei, unless a
reward went into a nearly empty pool: most of it then stays with the virtual
shares for good), and every account holds what the ghost says.
"""

from dataclasses import dataclass, field
from fractions import Fraction

import boa
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

MAX_UINT = 2**256 - 1
BPS = 10_000
VIRTUAL_SHARES = 10**6
VIRTUAL_ASSETS = 1
MAX_AMOUNT = 10**27
MAX_TOTAL_SHARES = 10**48

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
slash_bps = st.one_of(
    st.integers(min_value=0, max_value=MAX_SLASH_BPS),
    st.just(MAX_SLASH_BPS),
    st.integers(min_value=MAX_SLASH_BPS + 1, max_value=BPS),
)


def up_to(limit: int, overshoot: int) -> st.SearchStrategy[int]:
    """An amount within [0, limit] (any, a fraction of it, all of it) or past it."""
    return st.one_of(
        st.integers(min_value=0, max_value=limit),
        st.integers(min_value=1, max_value=BPS).map(lambda bps: limit * bps // BPS),
        st.just(limit),
        st.integers(min_value=limit + 1, max_value=limit + overshoot),
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


@dataclass
class GhostPool:
    opened: bool = False
    commission_bps: int = 0
    pending_commission_bps: int = 0
    pending_commission_at: int = 0
    total_shares: int = 0
    total_assets: int = 0
    locked: int = 0
    commission_owed: int = 0
    locked_by: dict[str, int] = field(default_factory=dict)

    def effective_commission(self, now: int) -> int:
        if self.pending_commission_at != 0 and now >= self.pending_commission_at:
            return self.pending_commission_bps
        return self.commission_bps

    def price(self) -> Fraction:
        """Value of one share in wei, virtual shares and assets included."""
        return Fraction(self.total_assets + VIRTUAL_ASSETS, self.total_shares + VIRTUAL_SHARES)

    def virtual_value(self) -> int:
        """Upper bound (rounded up) of what the virtual shares are worth."""
        return ceil_div(
            VIRTUAL_SHARES * (self.total_assets + VIRTUAL_ASSETS),
            self.total_shares + VIRTUAL_SHARES,
        )


@dataclass
class Unbonding:
    amount: int = 0
    unlock_at: int = 0
    requested_at: int = 0


def now() -> int:
    return boa.env.evm.patch.timestamp


class StakingLedger(RuleBasedStateMachine):
    @initialize(
        bps0=st.integers(min_value=0, max_value=MAX_COMMISSION_BPS),
        bps1=st.integers(min_value=0, max_value=MAX_COMMISSION_BPS),
        stake0=st.integers(min_value=WAD, max_value=5_000 * WAD),
        stake1=amount,
        lock_bps=st.integers(min_value=1, max_value=BPS),
    )
    def deploy(self, bps0, bps1, stake0, stake1, lock_bps):
        self.admin = boa.env.generate_address("admin")
        self.token_treasury = boa.env.generate_address("token_treasury")
        self.slash_treasury = boa.env.generate_address("slash_treasury")
        self.operators = [boa.env.generate_address(f"operator{i}") for i in range(N_OPERATORS)]
        self.delegators = [boa.env.generate_address(f"delegator{i}") for i in range(N_DELEGATORS)]
        self.protocols = [boa.env.generate_address(f"protocol{i}") for i in range(N_PROTOCOLS)]
        self.outsider = boa.env.generate_address("outsider")
        self.holders = self.operators + self.delegators
        self.names = {self.outsider: "outsider", self.slash_treasury: "slash_treasury"}
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
            role = self.staking.PROTOCOL_ROLE()
            for p in self.protocols:
                self.staking.grantRole(role, p)

        # Token balances of everyone who deals with the staking contract.
        self.wallet = dict.fromkeys(self.names, 0)
        for a in self.holders + self.protocols:
            with boa.env.prank(self.token_treasury):
                self.token.transfer(a, FUNDING)
            with boa.env.prank(a):
                self.token.approve(self.staking, MAX_UINT)
            self.wallet[a] = FUNDING

        self.pools = {op: GhostPool() for op in self.operators}
        self.shares: dict[tuple[str, str], int] = {}  # (holder, operator) -> shares
        self.unbonding: dict[tuple[str, str], Unbonding] = {}  # (holder, operator)
        self.total_unbonding = 0
        self.treasury_owed = 0
        # Share price of each pool after the previous step, and the pools a
        # slash hit during the current step (invariant 2).
        self.last_price = {op: pool.price() for op, pool in self.pools.items()}
        self.slashed_pools: set[str] = set()
        # The ghost state of each pool when its views were last checked.
        self.verified: dict[str, tuple] = {}
        # False from the start of a step until the invariants have passed:
        # teardown only runs from a state the invariants accepted.
        self.clean = False
        note("deployed ArenaToken and Staking; funded operators, delegators, protocols")
        # operator0 starts with a sizeable pool, part of it locked by protocol0
        # (so that a slash is never far away); operator1 with an empty, dust or
        # sizeable pool; operator2 has none until the open_pool rule opens it.
        self._open_pool(0, bps0, stake0)
        self._allocate(self.protocols[0], self.operators[0], stake0 * lock_bps // BPS)
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

    def _draw_operator(self, data) -> str:
        """An operator: one with an open pool mostly, any sometimes."""
        anyone = st.sampled_from(self.operators)
        opened = [op for op, pool in self.pools.items() if pool.opened]
        if opened:
            anyone = st.one_of(st.sampled_from(opened), st.sampled_from(opened), anyone)
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

    def _stake(self, holder: str, op: str) -> int:
        pool = self.pools[op]
        return to_assets_down(
            self.shares.get((holder, op), 0), pool.total_assets, pool.total_shares
        )

    def _holder_assets(self, op: str) -> dict[str, int]:
        """assets_of(op, holder) for every holder with shares in op's pool."""
        return {
            h: self.staking.assets_of(op, h) for h in self.holders if self.shares.get((h, op), 0)
        }

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
        else:
            reason = self._deposit_error(pool, value) if value else None
        if reason:
            self._reverts(reason, op, self.staking.open_pool, bps, value)
            return
        if value:
            self._deposit(op, op, value, lambda: self.staking.open_pool(bps, value))
        else:
            with boa.env.prank(op):
                self.staking.open_pool(bps, value)
        pool.opened = True
        pool.commission_bps = bps

    @rule(who=holder_index, value=amount, data=st.data())
    def delegate(self, who, value, data):
        holder, op = self.holders[who], self._draw_operator(data)
        pool = self.pools[op]
        self._story(f"{self.names[holder]} delegates {value} to {self.names[op]}")
        reason = "staking: no such pool" if not pool.opened else self._deposit_error(pool, value)
        if reason:
            self._reverts(reason, holder, self.staking.delegate, op, value)
            return
        self._deposit(op, holder, value, lambda: self.staking.delegate(op, value))

    def _deposit_error(self, pool: GhostPool, value: int) -> str | None:
        if value == 0:
            return "staking: zero amount"
        if value > MAX_AMOUNT:
            return "staking: amount above the token supply cap"
        minted = to_shares_down(value, pool.total_assets, pool.total_shares)
        if minted == 0:
            return "staking: amount too small"
        if pool.total_shares + minted > MAX_TOTAL_SHARES:
            return "staking: pool shares exhausted, delegate to another pool"
        return None

    def _deposit(self, op: str, holder: str, value: int, send) -> None:
        """Make a valid deposit with `send()`, apply it to the ghost and check it."""
        pool = self.pools[op]
        before = self.staking.assets_of(op, holder)
        old_price = pool.price()
        minted = to_shares_down(value, pool.total_assets, pool.total_shares)
        with boa.env.prank(holder):
            returned = send()
        assert returned in (minted, None)  # open_pool returns nothing
        pool.total_assets += value
        pool.total_shares += minted
        self.shares[(holder, op)] = self.shares.get((holder, op), 0) + minted
        self.wallet[holder] -= value
        self._check_wallet(holder)
        # The depositor's stake grows by the amount, less under one share's value.
        gained = self.staking.assets_of(op, holder) - before
        assert value - ceil_div(old_price.numerator, old_price.denominator) - 1 <= gained <= value
        note(f"  -> minted {minted} shares")

    @rule(data=st.data())
    def request_withdraw(self, data):
        holder, op = self._draw_pair(data, [k for k, v in self.shares.items() if v])
        pool = self.pools[op]
        stake, unlocked = self._stake(holder, op), pool.total_assets - pool.locked
        value = data.draw(
            st.one_of(up_to(min(stake, unlocked), 1_000), up_to(stake, 1_000 * WAD)),
            label="amount",
        )
        self._request_withdraw(holder, op, value)

    def _request_withdraw(self, holder: str, op: str, value: int) -> bool:
        pool = self.pools[op]
        held = self.shares.get((holder, op), 0)
        stake, unlocked = self._stake(holder, op), pool.total_assets - pool.locked
        self._story(
            f"{self.names[holder]} requests {value} from {self.names[op]} "
            f"(stake {stake}, unlocked {unlocked})"
        )
        if value == 0:
            reason = "staking: zero amount"
        elif value > stake:
            reason = "staking: amount exceeds stake"
        elif value > unlocked:
            reason = "staking: amount exceeds unlocked stake"
        else:
            reason = None
        if reason:
            self._reverts(reason, holder, self.staking.request_withdraw, op, value)
            return False

        old_price = pool.price()
        before = self.staking.assets_of(op, holder)
        with boa.env.prank(holder):
            unlock_at = self.staking.request_withdraw(op, value)
        assert unlock_at == now() + UNBONDING_DELAY
        burnt = to_shares_up(value, pool.total_assets, pool.total_shares)
        assert burnt <= held
        self.shares[(holder, op)] = held - burnt
        pool.total_shares -= burnt
        pool.total_assets -= value
        entry = self.unbonding.setdefault((holder, op), Unbonding())
        entry.amount += value
        entry.unlock_at = unlock_at
        entry.requested_at = now()
        self.total_unbonding += value
        # The caller's stake falls by the amount, plus under one share's value.
        lost = before - self.staking.assets_of(op, holder)
        assert value <= lost <= value + ceil_div(old_price.numerator, old_price.denominator)
        note(f"  -> burnt {burnt} shares; {entry.amount} pending, unlocks at {unlock_at}")
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
        self._story(f"{self.names[op]} sets its commission to {bps} bps")
        if not pool.opened:
            self._reverts("staking: no such pool", op, self.staking.set_commission, bps)
            return
        if bps > MAX_COMMISSION_BPS:
            self._reverts("staking: commission above maximum", op, self.staking.set_commission, bps)
            return
        with boa.env.prank(op):
            self.staking.set_commission(bps)
        current = pool.effective_commission(now())
        if pool.pending_commission_at and now() >= pool.pending_commission_at:
            event("matured raise applied")
            pool.commission_bps = current
            pool.pending_commission_bps = pool.pending_commission_at = 0
        if bps <= current:
            note("  -> a cut (or no change): applies now")
            pool.commission_bps = bps
            pool.pending_commission_bps = pool.pending_commission_at = 0
        else:
            note(f"  -> a raise: applies in {COMMISSION_NOTICE}s")
            pool.pending_commission_bps = bps
            pool.pending_commission_at = now() + COMMISSION_NOTICE

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
        caller, op = self.protocols[by], self._draw_operator(data)
        pool = self.pools[op]
        unlocked = pool.total_assets - pool.locked
        self._allocate(caller, op, data.draw(up_to(unlocked, 1_000 * WAD), label="amount"))

    def _allocate(self, caller: str, op: str, value: int) -> None:
        pool = self.pools[op]
        unlocked = pool.total_assets - pool.locked
        self._story(
            f"{self.names[caller]} allocates {value} of {self.names[op]} (unlocked {unlocked})"
        )
        if not pool.opened:
            reason = "staking: no such pool"
        elif value == 0:
            reason = "staking: zero amount"
        elif value > unlocked:
            reason = "staking: not enough unlocked stake"
        else:
            reason = None
        if reason:
            self._reverts(reason, caller, self.staking.allocate, op, value)
            return
        with boa.env.prank(caller):
            self.staking.allocate(op, value)
        pool.locked += value
        pool.locked_by[caller] = pool.locked_by.get(caller, 0) + value
        event("allocated")

    @rule(bps=slash_bps, data=st.data())
    def release(self, bps, data):
        anyone = st.tuples(st.sampled_from(self.protocols), st.sampled_from(self.operators))
        holding = [
            (p, op) for op, pool in self.pools.items() for p, v in pool.locked_by.items() if v
        ]
        if holding:
            anyone = st.one_of(st.sampled_from(holding), st.sampled_from(holding), anyone)
        caller, op = data.draw(anyone, label="protocol, operator")
        mine = self.pools[op].locked_by.get(caller, 0)
        self._release(caller, op, data.draw(up_to(mine, 1_000 * WAD), label="amount"), bps)

    def _release(self, caller: str, op: str, value: int, bps: int) -> bool:
        pool = self.pools[op]
        mine = pool.locked_by.get(caller, 0)
        self._story(
            f"{self.names[caller]} releases {value} of {self.names[op]} (locked {mine}), "
            f"slashing {bps} bps"
        )
        if value > mine:
            reason = "staking: release exceeds allocation"
        elif bps > MAX_SLASH_BPS:
            reason = "staking: slash above maximum"
        else:
            reason = None
        if reason:
            self._reverts(reason, caller, self.staking.release, op, value, bps)
            return False

        assets, old_price = pool.total_assets, pool.price()
        before = self._holder_assets(op)
        with boa.env.prank(caller):
            slashed = self.staking.release(op, value, bps)
        # Invariant 4: the slash is the stated fraction, within its bound...
        assert slashed == value * bps // BPS <= value * MAX_SLASH_BPS // BPS
        pool.locked_by[caller] = mine - value
        pool.locked -= value
        pool.total_assets -= slashed
        self.treasury_owed += slashed
        if slashed == 0:
            return True
        note(f"  -> slashed {slashed} of {assets}")
        event("slashed")
        self.slashed_pools.add(op)
        # ...the share price falls by exactly slashed / (A + VA)...
        assert pool.price() == old_price * (1 - Fraction(slashed, assets + VIRTUAL_ASSETS))
        # ...and every holder loses its proportional part of it, within rounding.
        for holder, had in before.items():
            has = self.staking.assets_of(op, holder)
            fair = had * (assets - slashed) // assets
            assert fair <= has <= fair + 2, self.names[holder]
        return True

    @rule(by=protocol_index, value=amount, data=st.data())
    def pay_reward(self, by, value, data):
        caller, op = self.protocols[by], self._draw_operator(data)
        pool = self.pools[op]
        self._story(f"{self.names[caller]} pays a reward of {value} to {self.names[op]}")
        if not pool.opened:
            self._reverts("staking: no such pool", caller, self.staking.pay_reward, op, value)
            return
        before = self._holder_assets(op)
        with boa.env.prank(caller):
            commission = self.staking.pay_reward(op, value)
        if pool.total_shares == 0:
            event("reward to a pool without shares")
            expected = value
        else:
            if pool.effective_commission(now()) != pool.commission_bps:
                event("reward at a matured raise")
            expected = value * pool.effective_commission(now()) // BPS
        assert commission == expected
        pool.commission_owed += commission
        pool.total_assets += value - commission
        self.wallet[caller] -= value
        self._check_wallet(caller)
        # No holder loses; together they gain at most the reward net of the
        # commission, give or take each one's rounding of its stake.
        after = self._holder_assets(op)
        assert all(after[h] >= had for h, had in before.items())
        gain = sum(after.values()) - sum(before.values())
        assert gain <= value - commission + max(len(after) - 1, 0)
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
        onchain = {op: self.staking.pools(op) for op in self.operators}
        self._check_ledger(onchain)
        self._check_conservation(onchain)  # 1
        self._check_share_price()  # 2
        for op, pool in self.pools.items():
            # The views below are functions of storage (checked above, every
            # step) and of the time only through the commission: a pool whose
            # ghost state has not changed since they passed needs no new look.
            key = (
                repr(pool),
                tuple(self.shares.get((h, op), 0) for h in self.holders),
                pool.effective_commission(now()),
            )
            if pool.opened and self.verified.get(op) != key:
                self._check_locks(op)  # 5
                self._check_holders_and_stakes(op)  # 6, 7
                self.verified[op] = key
        self.clean = True

    def _check_ledger(self, onchain: dict) -> None:
        """Every field on chain equals the ghost's."""
        for op, pool in self.pools.items():
            got = onchain[op]
            assert got.opened == pool.opened, self.names[op]
            assert got.commission_bps == pool.commission_bps
            assert got.pending_commission_bps == pool.pending_commission_bps
            assert got.pending_commission_at == pool.pending_commission_at
            assert got.total_shares == pool.total_shares
            assert got.total_assets == pool.total_assets
            assert got.locked == pool.locked
            assert got.commission_owed == pool.commission_owed
        for (holder, op), entry in self.unbonding.items():
            assert self.staking.unbonding_of(holder, op) == (entry.amount, entry.unlock_at)
            # Invariant 3, on the ghost side: the unlock time is a full delay away.
            assert entry.unlock_at == entry.requested_at + UNBONDING_DELAY
        assert self.staking.total_unbonding() == self.total_unbonding
        assert self.staking.treasury_owed() == self.treasury_owed

    def _check_conservation(self, onchain: dict) -> None:
        """1: the contract's balance is exactly what it owes, read from the chain."""
        owed = self.staking.total_unbonding() + self.staking.treasury_owed()
        owed += sum(p.total_assets + p.commission_owed for p in onchain.values())
        assert self.token.balanceOf(self.staking) == owed

    def _check_share_price(self) -> None:
        """2: the share price never falls, except in a pool slashed this step."""
        for op, pool in self.pools.items():
            price, last = pool.price(), self.last_price[op]
            if op not in self.slashed_pools:
                # Cross-multiplied: (A + 1) * (S0 + VS) >= (A0 + 1) * (S + VS).
                assert price.numerator * last.denominator >= last.numerator * price.denominator
            self.last_price[op] = price
        self.slashed_pools.clear()

    def _check_locks(self, op: str) -> None:
        """5: locked <= A, locked is the sum of locked_by, unlocked == A - locked."""
        pool = self.pools[op]
        by = [self.staking.locked_by(op, p) for p in self.protocols]
        assert by == [pool.locked_by.get(p, 0) for p in self.protocols]
        assert sum(by) == pool.locked <= pool.total_assets
        assert self.staking.unlocked_stake(op) == pool.total_assets - pool.locked

    def _check_holders_and_stakes(self, op: str) -> None:
        """Shares and the views; 6: holders' assets within dust of A; 7: effective stake."""
        pool = self.pools[op]
        assert self.staking.commission_of(op) == pool.effective_commission(now())
        # The value of the shares one token bought in a fresh pool (1e18 at first).
        price = pool.price()
        share_value = WAD * VIRTUAL_SHARES * price.numerator // price.denominator
        assert self.staking.pool_share_value(op) == share_value
        held = {}
        for holder in self.holders:
            shares = self.shares.get((holder, op), 0)
            assert self.staking.shares(op, holder) == shares, self.names[holder]
            if shares:
                held[holder] = self.staking.assets_of(op, holder)
                assert held[holder] == to_assets_down(shares, pool.total_assets, pool.total_shares)
        assert sum(held.values()) <= pool.total_assets
        assert pool.total_assets - sum(held.values()) <= pool.virtual_value() + len(held)

        own = held.get(op, 0)
        delegated = pool.total_assets - own
        assert self.staking.own_stake(op) == own
        assert self.staking.delegated_stake(op) == delegated
        effective = own + delegated * DELEGATION_WEIGHT_BPS // BPS
        assert self.staking.effective_stake(op) == effective

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
        # A request's rounding can leave the rest of a holder's shares worth a
        # wei again (the price rises), hence the loop.
        for _ in range(5):
            staked = [(h, op) for (h, op) in self.shares if self._stake(h, op)]
            if not staked:
                break
            for holder, op in staked:
                assert self._request_withdraw(holder, op, self._stake(holder, op))
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
            holders = sum(1 for (h, o), v in self.shares.items() if o == op and v)
            assert pool.total_assets <= pool.virtual_value() + holders, self.names[op]
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
