# pragma version ~=0.4.3
"""
@title AIArena staking: operator pools with delegation
@notice An operator (a would-be trainer or validator) opens a pool with a
        commission rate and stakes into it; anyone delegates to the pool and
        receives pool shares. Authorised protocol contracts (the task manager)
        lock part of a pool's stake for a task, release it when the task ends
        (slashing a bounded fraction when the operator misbehaved), and pay
        rewards into the pool: the commission goes to the operator, the rest
        raises the value of every share. Withdrawals go through an unbonding
        delay. Every action costs O(1) gas whatever the number of delegators.
@dev Accounting is internal: tokens sent to this contract outside its
     functions are not counted anywhere. With `A` = pool.total_assets:
         balanceOf(this) == sum(A) + sum(pool.pending) + total_unbonding
                            + treasury_owed + sum(pool.commission_owed)
                            + sum(prepaid)
     holds exactly after every call (tests/fuzz checks it). Share maths is in
     modules/pool_shares.vy and rounds in the pool's favour.
@custom:security Withdrawal rule: a withdrawal request is always taken.
     What the pool's free stake covers (all of it when nothing is locked,
     else A - pool.locked - pool.reserved) starts unbonding at once; the
     rest is reserved: it stays shares, at risk in the tasks that lock it,
     no allocation may lock it again (`allocate` takes only free stake),
     and `honour_withdrawal` starts its unbonding once the unlocked stake
     covers it, reservations in the order they were made. Stake locked in
     a running task never leaves the pool, so a slash always finds its
     tokens, and an operator that re-locks its pool in the transaction
     that releases it cannot keep a delegator in.
     Activation rule: stake deposited while part of the pool is locked in a
     task waits in `pool.pending` and becomes pool shares only at the pool's
     next allocation, or at the first deposit or withdrawal request made
     when nothing is locked. A task pays its reward (and takes its slash) in
     the same claim that releases its stake, so stake that arrives after an
     allocation is never paid for a task it was not at risk in: a deposit
     made just before a claim earns nothing from it.
"""

from ethereum.ercs import IERC20

from snekmate.auth import access_control

from .modules import checkpoints
from .modules import constants
from .modules import governed
from .modules import pool_shares

initializes: checkpoints
initializes: governed
# Read directly: PROTOCOL_ROLE and GUARDIAN_ROLE (access_control is
# initialized by governed).
uses: access_control

exports: (
    # All of access_control: roles are granted by DEFAULT_ADMIN_ROLE
    # (governance) and PROTOCOL_ROLE marks the task manager.
    access_control.__interface__,
    # The treasury (receiver of slashed tokens) and its setter.
    governed.treasury,
    governed.set_treasury,
)


# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

# @notice Role of the protocol contracts that may allocate, release, slash
#         and pay rewards. Its admin is PROTOCOL_ADMIN_ROLE, not governance.
PROTOCOL_ROLE: public(constant(bytes32)) = keccak256("PROTOCOL_ROLE")

# @notice Admin of PROTOCOL_ROLE and of itself: the admin named at deploy
#         holds it to name the task manager and renounces it before handing
#         DEFAULT_ADMIN_ROLE to governance, after which the protocol
#         contracts are fixed for good (no proposal can add one).
PROTOCOL_ADMIN_ROLE: public(constant(bytes32)) = keccak256("PROTOCOL_ADMIN_ROLE")

# @notice Role of the emergency guardian: it may pause new stakes (and with
#         them new tasks), nothing else. Governance grants and revokes it.
GUARDIAN_ROLE: public(constant(bytes32)) = keccak256("GUARDIAN_ROLE")

# Bounds of the parameters, checked by every setter (governance included).
MIN_UNBONDING_DELAY: public(constant(uint256)) = 3_600  # 1 hour
MAX_UNBONDING_DELAY: public(constant(uint256)) = 60 * 86_400  # 60 days
MAX_COMMISSION_NOTICE: public(constant(uint256)) = 30 * 86_400  # 30 days
MAX_COMMISSION_CEILING_BPS: public(constant(uint256)) = 5_000  # 50%
MAX_SLASH_CEILING_BPS: public(constant(uint256)) = 5_000  # 50%
# An operator keeps at least 10% of what its pool has locked, at first.
DEFAULT_MIN_SELF_STAKE_BPS: constant(uint256) = 1_000
# Highest minimum pool stake: 1,000,000 ARENA (0.1% of the token's cap).
MAX_MIN_POOL_STAKE: public(constant(uint256)) = 1_000_000 * constants.WAD
# A pool is locked for a task only with 1 ARENA at least, at first: its
# 10^24 shares then leave the virtual shares 10^-18 of each reward.
DEFAULT_MIN_POOL_STAKE: constant(uint256) = constants.WAD

# Largest amount one call accepts: the token's supply cap. With it and
# MAX_TOTAL_SHARES every product in modules/pool_shares.vy fits in 256 bits.
MAX_AMOUNT: public(constant(uint256)) = constants.MAX_SUPPLY
# Most shares a pool may have outstanding (reached only by a pool whose share
# price was slashed down by many orders of magnitude).
MAX_TOTAL_SHARES: public(constant(uint256)) = 10**48

# Layout of a packed deposit entry: amount << 64 | epoch, and of a packed
# unbonding entry: unbonding amount << 160 | reserved amount << 64 |
# unlock_at. Amounts are below the token's cap (1e27 < 2**90), so each fits
# its 96 bits.
_UNLOCK_BITS: constant(uint256) = 64
_UNLOCK_MASK: constant(uint256) = (1 << 64) - 1
_UNBONDING_SHIFT: constant(uint256) = 160
_RESERVED_MASK: constant(uint256) = (1 << 96) - 1
# Layout of a pool's words (see the storage below).
_AMOUNT_MASK: constant(uint256) = (1 << 96) - 1
_SHARES_SHIFT: constant(uint256) = 96
_LOCKED_SHIFT: constant(uint256) = 160
_RESERVED_SHIFT: constant(uint256) = 64
_EPOCH_MASK: constant(uint256) = (1 << 64) - 1
_OPENED: constant(uint256) = 1
_COMMISSION_SHIFT: constant(uint256) = 8
_PENDING_BPS_SHIFT: constant(uint256) = 32
_PENDING_AT_SHIFT: constant(uint256) = 64
_BPS_MASK: constant(uint256) = (1 << 16) - 1
_PENDING_SHIFT: constant(uint256) = 160
# The commission fields of `_terms` (bits 8-127), and the pending raise's.
_COMMISSION_FIELDS: constant(uint256) = ((1 << 128) - 1) ^ ((1 << 8) - 1)
_PENDING_FIELDS: constant(uint256) = ((1 << 128) - 1) ^ ((1 << 32) - 1)
_OWED_SHIFT: constant(uint256) = 128
# Layout of a pool's withdrawal queue: tail << 128 | finalized position.
# Layout of `_unbonding_totals`: unbonding_delay << 128 | total_unbonding.
_QUEUE_SHIFT: constant(uint256) = 128
_QUEUE_MASK: constant(uint256) = (1 << 128) - 1
_DELAY_SHIFT: constant(uint256) = 128
_TOTAL_UNBONDING_MASK: constant(uint256) = (1 << 128) - 1


# ---------------------------------------------------------------------------
# Immutables
# ---------------------------------------------------------------------------

# @notice The staked token (ARENA).
token: public(immutable(IERC20))


# ---------------------------------------------------------------------------
# Structs
# ---------------------------------------------------------------------------

struct Pool:
    # What pools() returns: a pool's fields, unpacked from the four words
    # of its storage (see `_value`, `_stake`, `_terms` and `_owner`).
    opened: bool
    # Commission in bps; a raise waits in `pending_commission_bps` until
    # `pending_commission_at` (0 = nothing pending).
    commission_bps: uint256
    pending_commission_bps: uint256
    pending_commission_at: uint256
    # Shares outstanding and the assets they represent (locked included).
    total_shares: uint256
    total_assets: uint256
    # Part of total_assets allocated to running tasks: not withdrawable.
    locked: uint256
    # Commission earned and not yet claimed by the operator (outside A).
    commission_owed: uint256
    # Stake deposited while some of the pool was locked, not yet shares
    # (outside A), and the number of activations so far.
    pending: uint256
    epoch: uint256
    # Stake asked back while locked, not yet honoured (part of
    # total_assets, still shares): no allocation may lock it.
    reserved: uint256
    # The operator's principal here: the tokens it staked in its own pool
    # and has not asked back, less what slashes took from them (its voting
    # power from this pool).
    own_principal: uint256


struct Activation:
    # Pending stake that became shares at one activation, and those shares.
    assets: uint256
    shares: uint256


# ---------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------

# A pool's fields, packed in four words by how the calls use them, so that
# a call reads few cold slots (pools() unpacks them). Amounts are tokens of
# this contract, at most its balance and so below the token's cap (1e27 <
# 2**90): 96 bits hold each. Shares stay at most MAX_TOTAL_SHARES (1e48 <
# 2**160). Timestamps and activation numbers fit 64 bits, commissions (at
# most BPS) 16.
#   _value[op] = total_shares << 96 | total_assets
#       (every share conversion reads both)
#   _stake[op] = locked << 160 | reserved << 64 | epoch
#       (what a withdrawal, an allocation and a release check)
#   _terms[op] = pending << 160 | pending_commission_at << 64
#                | pending_commission_bps << 32 | commission_bps << 8 | opened
#       (a deposit checks `opened` and adds to `pending`; a reward reads the
#       commission)
#   _owner[op] = commission_owed << 128 | own_principal
#       (the operator's own: the commission it is owed and its principal)
_value: HashMap[address, uint256]
_stake: HashMap[address, uint256]
_terms: HashMap[address, uint256]
_owner: HashMap[address, uint256]

# @notice shares[operator][holder]: pool shares held.
shares: public(HashMap[address, HashMap[address, uint256]])

# @notice locked_by[operator][protocol contract]: stake that contract locked.
locked_by: public(HashMap[address, HashMap[address, uint256]])

# _deposits[operator][holder]: packed (amount << 64 | epoch) of the holder's
# stake waiting for the pool's activation number `epoch`.
_deposits: HashMap[address, HashMap[address, uint256]]

# _activations[operator][epoch]: what that activation turned into shares.
_activations: HashMap[address, HashMap[uint256, Activation]]

# _unbonding[holder][operator]: packed (amount << 160 | reserved << 64 |
# unlock_at). One entry per holder and pool: a new request adds its amount
# and restarts the delay; `reserved` is what the holder asked back while it
# was locked and waits to be honoured.
_unbonding: HashMap[address, HashMap[address, uint256]]

# The withdrawal queue of each pool. Every reservation takes the next
# `amount` positions: its holder's position is the queue's tail after it.
#     _queue[operator] = tail << 128 | finalized
# Reservations at positions up to `finalized` can be honoured now; the
# tokens they reserve that are not yet honoured,
#     finalized - (tail - pool.reserved),
# are covered by the pool's unlocked stake (A - locked), which neither an
# allocation nor a request can take (both draw only on free stake). Each
# honour first moves `finalized` on by the unlocked stake beyond that cover
# (to the tail when nothing is locked), so reservations are honoured in the
# order they were made. Positions count every token ever reserved in the
# pool: far below 2**128 over any chain's life.
_queue: HashMap[address, uint256]
# _reservations[operator][holder]: the position of the holder's reservation
# (that of its last request, when it made several).
_reservations: HashMap[address, HashMap[address, uint256]]

# Voting power (modules/checkpoints.vy holds each account's history, and
# the total's last two checkpoints): the tokens an account has staked, in
# any pool, and not asked back. Rewards that raise a pool's share value do
# not change it. A slash lowers the operator's: its principal in its own
# pool (pool.own_principal) falls in proportion to what the slash took of
# its own stake there,
#     own_principal' = floor(own_principal * (own - taken) / own),
# own = the operator's stake in its pool (waiting stake included) before the
# slash, taken = the part of the slash its shares paid; its voting power and
# the total fall by the difference. What a slash takes beyond the
# operator's stake lowers the delegators' shares but not their power.

# @notice True while the guardian or governance has paused new stakes: no
#         pool opens and nobody delegates; the task manager then refuses new
#         tasks. Withdrawals, claims and running tasks go on.
paused: public(bool)

# The tokens waiting out their unbonding delay, all pools together
# (`total_unbonding()`), and the delay itself (`unbonding_delay()`, a
# parameter), in one word since every withdrawal request reads both:
#     _unbonding_totals = unbonding_delay << 128 | total_unbonding
# The total is at most this contract's balance, below the token's cap
# (1e27 < 2**128), so adding to it never carries into the delay; the delay
# is at most MAX_UNBONDING_DELAY (under 2**23).
_unbonding_totals: uint256

# @notice Slashed tokens not yet swept to the treasury.
treasury_owed: public(uint256)

# @notice prepaid[protocol contract]: tokens a protocol contract moved in
#         beforehand (`prepay`) to pay rewards with (`settle`), not yet paid:
#         the task manager moves a task's rewards in once, at settlement,
#         rather than once per claim.
prepaid: public(HashMap[address, uint256])

# Parameters (DAO-governed). The unbonding delay is in `_unbonding_totals`.
# @notice Seconds before a commission raise takes effect.
commission_notice: public(uint256)
# @notice Highest commission an operator may set, in bps.
max_commission_bps: public(uint256)
# @notice Highest fraction of a released allocation a slash may take, in bps.
max_slash_bps: public(uint256)
# @notice Weight of delegated stake in the effective stake (epsilon), in bps.
delegation_weight_bps: public(uint256)
# @notice Least own stake an operator keeps, as a fraction of what its pool
#         has locked, in bps: checked when stake is locked and when the
#         operator asks its own stake back.
min_self_stake_bps: public(uint256)
# @notice Least total assets a pool must hold to be locked for a task (where
#         rewards are paid): the virtual shares take VS / (S + VS) of every
#         reward, half of it in a one-wei pool.
min_pool_stake: public(uint256)
# The receiver of slashed tokens is `treasury`, in modules/governed.vy.


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------

event PoolOpened:
    operator: indexed(address)
    commission_bps: uint256

event Delegated:
    operator: indexed(address)
    holder: indexed(address)
    assets: uint256
    shares: uint256

event StakeActivated:
    operator: indexed(address)
    epoch: uint256
    assets: uint256
    shares: uint256

event WithdrawRequested:
    operator: indexed(address)
    holder: indexed(address)
    assets: uint256
    shares: uint256
    unlock_at: uint256

event WithdrawReserved:
    operator: indexed(address)
    holder: indexed(address)
    assets: uint256
    position: uint256

event WithdrawHonoured:
    operator: indexed(address)
    holder: indexed(address)
    reserved: uint256
    assets: uint256
    shares: uint256
    unlock_at: uint256

event Withdrawn:
    operator: indexed(address)
    holder: indexed(address)
    assets: uint256

event CommissionScheduled:
    operator: indexed(address)
    commission_bps: uint256
    effective_at: uint256

event CommissionChanged:
    operator: indexed(address)
    commission_bps: uint256

event CommissionClaimed:
    operator: indexed(address)
    amount: uint256

event StakeAllocated:
    operator: indexed(address)
    protocol: indexed(address)
    amount: uint256

event StakeReleased:
    operator: indexed(address)
    protocol: indexed(address)
    amount: uint256
    slashed: uint256

event RewardPaid:
    operator: indexed(address)
    payer: indexed(address)
    amount: uint256
    commission: uint256

event Prepaid:
    protocol: indexed(address)
    amount: uint256

event PrepaidReturned:
    protocol: indexed(address)
    receiver: indexed(address)
    amount: uint256

event TreasurySwept:
    treasury: indexed(address)
    amount: uint256

# ParameterUpdated and TreasuryUpdated are modules/governed.vy's.

event PauseChanged:
    paused: bool
    caller: indexed(address)


# ---------------------------------------------------------------------------
# Constructor
# ---------------------------------------------------------------------------


@deploy
def __init__(
    token_: IERC20,
    admin: address,
    treasury_: address,
    unbonding_delay_: uint256,
    commission_notice_: uint256,
    max_commission_bps_: uint256,
    max_slash_bps_: uint256,
    delegation_weight_bps_: uint256,
):
    """
    @notice Deploy the staking contract with its parameters.
    @dev The deployer gives up DEFAULT_ADMIN_ROLE when `admin` is another
         address; every parameter goes through its bounded setter. `admin`
         also holds PROTOCOL_ADMIN_ROLE until it renounces it.
    @param token_ The staked token.
    @param admin The parameter and role administrator (later: governance).
    @param treasury_ Receiver of slashed tokens.
    @param unbonding_delay_ Seconds from withdrawal request to withdrawal.
    @param commission_notice_ Seconds before a commission raise applies.
    @param max_commission_bps_ Highest commission an operator may set.
    @param max_slash_bps_ Highest slash, as a fraction of a released allocation.
    @param delegation_weight_bps_ Weight of delegated stake (epsilon).
    """
    self._require(token_.address != empty(address), "staking: token is the zero address")
    token = token_
    governed.__init__("staking", admin, treasury_)
    access_control._set_role_admin(PROTOCOL_ROLE, PROTOCOL_ADMIN_ROLE)
    access_control._set_role_admin(PROTOCOL_ADMIN_ROLE, PROTOCOL_ADMIN_ROLE)
    access_control._grant_role(PROTOCOL_ADMIN_ROLE, admin)
    self._set_unbonding_delay(unbonding_delay_)
    self._set_commission_notice(commission_notice_)
    self._set_max_commission_bps(max_commission_bps_)
    self._set_max_slash_bps(max_slash_bps_)
    self._set_delegation_weight_bps(delegation_weight_bps_)
    self._set_min_self_stake_bps(DEFAULT_MIN_SELF_STAKE_BPS)
    self._set_min_pool_stake(DEFAULT_MIN_POOL_STAKE)


# ---------------------------------------------------------------------------
# Permissionless: operators and delegators
# ---------------------------------------------------------------------------


@external
def open_pool(commission_bps: uint256, amount: uint256):
    """
    @notice Open the caller's pool with a commission rate, staking `amount`.
    @dev `amount` may be zero; the operator can stake later with `delegate`
         to its own pool. Needs an allowance of `amount` for this contract.
    @param commission_bps The operator's cut of rewards, at most max_commission_bps.
    @param amount Tokens the operator stakes now, in wei.
    """
    self._require(not self.paused, "staking: new stakes are paused")
    terms: uint256 = self._terms[msg.sender]
    self._require(terms & _OPENED == 0, "staking: pool already open")
    self._require(commission_bps <= self.max_commission_bps, "staking: commission above maximum")
    # commission_bps <= MAX_COMMISSION_CEILING_BPS fits its 16 bits.
    self._terms[msg.sender] = terms | (commission_bps << _COMMISSION_SHIFT) | _OPENED
    log PoolOpened(operator=msg.sender, commission_bps=commission_bps)
    if amount != 0:
        self._deposit(msg.sender, msg.sender, amount)


@external
def delegate(operator: address, amount: uint256) -> uint256:
    """
    @notice Stake `amount` in `operator`'s pool and receive pool shares; an
            operator stakes more by delegating to its own pool.
    @dev Needs an allowance of `amount` for this contract. O(1) gas. While
         part of the pool is locked the stake waits for activation (see the
         activation rule) and no shares are minted yet.
    @param operator The pool's operator.
    @param amount Tokens to stake, in wei.
    @return The shares minted (0 while the stake waits).
    """
    assert not self.paused, "staking: new stakes are paused"
    assert self._terms[operator] & _OPENED != 0, "staking: no such pool"
    return self._deposit(operator, msg.sender, amount)


@external
def request_withdraw(operator: address, amount: uint256) -> uint256:
    """
    @notice Ask back `amount` tokens of the caller's stake in `operator`'s
            pool. What the pool's free stake covers starts unbonding at once
            (it stops earning, and can be withdrawn after
            `unbonding_delay`); the rest, stake locked in running tasks, is
            reserved: it stays shares, at risk and earning in those tasks,
            no allocation may lock it again, and `honour_withdrawal` starts
            its unbonding once the tasks release it.
    @dev Draws first on the caller's stake not yet activated, then burns
         ceil(part * (S + VS) / (A + VA)) shares for the part the free stake
         covers (all of the pool when nothing is locked, else
         A - locked - reserved); the rest joins the pool's withdrawal queue.
         A new unbonding adds to a pending one and restarts the delay for
         the whole sum. The operator reserves nothing: it asks back only
         free stake.
    @param operator The pool's operator.
    @param amount Tokens to ask back, in wei.
    @return The time at which the part unbonding now can be withdrawn (0
            when all of it was reserved).
    """
    assert amount != 0, "staking: zero amount"
    # Every path reads the pool's stake word: once, here.
    stake: uint256 = self._stake[operator]
    waiting: uint256 = self._settle(operator, msg.sender, stake) >> _UNLOCK_BITS
    from_waiting: uint256 = min(amount, waiting)
    rest: uint256 = amount - from_waiting
    burnt: uint256 = 0
    entry: uint256 = self._unbonding[msg.sender][operator]
    booked: uint256 = (entry >> _UNLOCK_BITS) & _RESERVED_MASK
    unbonded: uint256 = from_waiting
    if from_waiting != 0:
        # The entry's epoch is the pool's current one (it was just settled).
        self._deposits[operator][msg.sender] = ((waiting - from_waiting) << _UNLOCK_BITS) | (stake & _EPOCH_MASK)
        # from_waiting <= waiting <= pool.pending: the field does not borrow.
        self._terms[operator] -= from_waiting << _PENDING_SHIFT
    if rest != 0:
        locked: uint256 = stake >> _LOCKED_SHIFT
        if locked == 0:
            # Waiting stake first, whole; then shares, once what waits in an
            # idle pool has become shares. (The activation moves only the
            # epoch of `stake`, which is not read again.)
            self._activate(operator)
            self._settle(operator, msg.sender, self._stake[operator])
        value_word: uint256 = self._value[operator]
        total_assets: uint256 = value_word & _AMOUNT_MASK
        total_shares: uint256 = value_word >> _SHARES_SHIFT
        held: uint256 = self.shares[operator][msg.sender]
        value: uint256 = pool_shares._to_assets_down(held, total_assets, total_shares)
        # Checked before the share maths: rest <= total_assets <= MAX_AMOUNT.
        # Stake already reserved cannot be asked for twice.
        assert rest <= value - min(booked, value), "staking: amount exceeds stake"
        at_once: uint256 = rest
        if locked != 0:
            # The free stake (see _free_stake), from the words read above:
            # nothing wrote them since.
            free: uint256 = unsafe_sub(total_assets, locked)
            at_once = min(rest, free - min(free, (stake >> _RESERVED_SHIFT) & _AMOUNT_MASK))
        later: uint256 = rest - at_once
        if later != 0:
            assert msg.sender != operator, "staking: amount exceeds unlocked stake"
            queue: uint256 = self._queue[operator]
            tail: uint256 = (queue >> _QUEUE_SHIFT) + later
            self._queue[operator] = (tail << _QUEUE_SHIFT) | (queue & _QUEUE_MASK)
            self._reservations[operator][msg.sender] = tail
            # pool.reserved sums what holders booked, each at most its
            # stake: below the token's cap, so the field does not carry.
            self._stake[operator] = stake + (later << _RESERVED_SHIFT)
            # later <= value - booked: the sum stays below the token's cap.
            booked += later
            log WithdrawReserved(operator=operator, holder=msg.sender, assets=later, position=tail)
        if at_once != 0:
            # at_once <= total_assets - locked (the free stake, or all of an
            # idle pool).
            burnt = self._burn(operator, msg.sender, at_once, total_assets, total_shares, held)
            unbonded += at_once
            if msg.sender == operator:
                assert self._assets_of(operator, operator) * constants.BPS >= locked * self.min_self_stake_bps, "staking: operator's own stake must cover its locked share"

    # Voting power falls by the amount, reserved or not, down to zero at
    # most (stake grown by rewards can be asked back beyond what was put
    # in); the operator's, by its principal in its own pool at most.
    lost: uint256 = amount
    if msg.sender == operator:
        owner: uint256 = self._owner[operator]
        lost = min(amount, owner & _AMOUNT_MASK)
        # lost <= own_principal, the word's low field: no borrow.
        self._owner[operator] = unsafe_sub(owner, lost)
    # Off the holder's voting power, down to zero at most, and the total.
    checkpoints._sub(msg.sender, lost)
    unlock_at: uint256 = self._unbond(msg.sender, operator, entry, unbonded, booked)
    if unbonded == 0:
        return 0
    log WithdrawRequested(operator=operator, holder=msg.sender, assets=unbonded, shares=burnt, unlock_at=unlock_at)
    return unlock_at


@external
def honour_withdrawal(operator: address, holder: address) -> uint256:
    """
    @notice Start the unbonding of `holder`'s reserved withdrawal from
            `operator`'s pool, once the stake it waits for is free: when
            nothing of the pool is locked, or when the pool's unlocked stake
            covers every reservation made before it and its own. Anyone may
            call it, except while part of the holder's stake in the pool is
            already unbonding: the call restarts that delay, so only the
            holder may then.
    @dev Reservations are honoured in the order they were made (see the
         withdrawal queue, `_queue`). The reserved amount is paid from the
         holder's shares at their value now: a slash may have left them
         worth less, and then all of them go.
    @param operator The pool's operator.
    @param holder The account whose reservation it is.
    @return The tokens that started unbonding.
    """
    entry: uint256 = self._unbonding[holder][operator]
    booked: uint256 = (entry >> _UNLOCK_BITS) & _RESERVED_MASK
    self._require(booked != 0, "staking: nothing reserved")
    self._require(msg.sender == holder or entry >> _UNBONDING_SHIFT == 0, "staking: the holder is unbonding, only it may honour")
    queue: uint256 = self._queue[operator]
    done: uint256 = self._finalized(operator, queue)
    self._require(self._reservations[operator][holder] <= done, "staking: reserved stake still locked")
    self._queue[operator] = (queue >> _QUEUE_SHIFT << _QUEUE_SHIFT) | done
    self._reservations[operator][holder] = 0
    # booked is part of pool.reserved: the field does not borrow.
    self._stake[operator] -= booked << _RESERVED_SHIFT

    self._settle(operator, holder, self._stake[operator])
    value_word: uint256 = self._value[operator]
    total_assets: uint256 = value_word & _AMOUNT_MASK
    total_shares: uint256 = value_word >> _SHARES_SHIFT
    held: uint256 = self.shares[operator][holder]
    amount: uint256 = min(booked, pool_shares._to_assets_down(held, total_assets, total_shares))
    burnt: uint256 = 0
    if amount != 0:
        # amount <= A - locked: the queue's cover while stake is locked, the
        # holder's own stake when none is.
        burnt = self._burn(operator, holder, amount, total_assets, total_shares, held)
    unlock_at: uint256 = self._unbond(holder, operator, entry, amount, 0)
    log WithdrawHonoured(operator=operator, holder=holder, reserved=booked, assets=amount, shares=burnt, unlock_at=unlock_at)
    return amount


@external
def withdraw(operator: address) -> uint256:
    """
    @notice Withdraw the caller's unbonded tokens from `operator`'s pool once
            the unbonding delay is over.
    @param operator The pool's operator.
    @return The tokens sent to the caller.
    """
    entry: uint256 = self._unbonding[msg.sender][operator]
    amount: uint256 = entry >> _UNBONDING_SHIFT
    assert amount != 0, "staking: nothing to withdraw"
    assert block.timestamp >= entry & _UNLOCK_MASK, "staking: unbonding not over"
    # A reservation still waiting stays.
    self._unbonding[msg.sender][operator] = entry & (_RESERVED_MASK << _UNLOCK_BITS)
    # amount is part of total_unbonding, the word's low field: no borrow.
    self._unbonding_totals = unsafe_sub(self._unbonding_totals, amount)
    assert extcall token.transfer(msg.sender, amount, default_return_value=True), "staking: transfer failed"
    log Withdrawn(operator=operator, holder=msg.sender, assets=amount)
    return amount


@external
def set_commission(commission_bps: uint256):
    """
    @notice Change the caller's pool commission. A cut takes effect at once
            (and cancels a pending raise); a raise takes effect after
            `commission_notice` seconds, may only be made while nothing of
            the pool is locked, and no stake is locked until it applies.
    @param commission_bps The new commission, at most max_commission_bps.
    """
    terms: uint256 = self._terms[msg.sender]
    self._require(terms & _OPENED != 0, "staking: no such pool")
    self._require(commission_bps <= self.max_commission_bps, "staking: commission above maximum")
    current: uint256 = (terms >> _COMMISSION_SHIFT) & _BPS_MASK
    pending_at: uint256 = (terms >> _PENDING_AT_SHIFT) & _EPOCH_MASK
    if pending_at != 0 and block.timestamp >= pending_at:
        # A raise that has matured applies first.
        current = (terms >> _PENDING_BPS_SHIFT) & _BPS_MASK
        terms = (terms & ~_COMMISSION_FIELDS) | (current << _COMMISSION_SHIFT)
        log CommissionChanged(operator=msg.sender, commission_bps=current)
    if commission_bps <= current:
        # A cut, or the same rate: at once, and no raise stays pending.
        terms = (terms & ~_COMMISSION_FIELDS) | (commission_bps << _COMMISSION_SHIFT)
        log CommissionChanged(operator=msg.sender, commission_bps=commission_bps)
    else:
        # Delegators see a raise coming with all their stake unlocked: none
        # is locked now, and allocate() locks none until the raise applies.
        self._require(self._stake[msg.sender] >> _LOCKED_SHIFT == 0, "staking: no commission raise while stake is locked")
        # A timestamp plus at most MAX_COMMISSION_NOTICE fits 64 bits.
        effective_at: uint256 = block.timestamp + self.commission_notice
        terms = (terms & ~(_PENDING_FIELDS)) | (commission_bps << _PENDING_BPS_SHIFT) | (effective_at << _PENDING_AT_SHIFT)
        log CommissionScheduled(operator=msg.sender, commission_bps=commission_bps, effective_at=effective_at)
    self._terms[msg.sender] = terms


@external
def claim_commission() -> uint256:
    """
    @notice Send the caller the commission its pool has earned.
    @return The tokens sent.
    """
    owner: uint256 = self._owner[msg.sender]
    amount: uint256 = owner >> _OWED_SHIFT
    self._require(amount != 0, "staking: nothing to claim")
    self._owner[msg.sender] = owner & _AMOUNT_MASK
    self._require(extcall token.transfer(msg.sender, amount, default_return_value=True), "staking: transfer failed")
    log CommissionClaimed(operator=msg.sender, amount=amount)
    return amount


@external
def sweep_to_treasury() -> uint256:
    """
    @notice Send the slashed tokens collected so far to the treasury. Anyone
            may call it.
    @return The tokens sent.
    """
    amount: uint256 = self.treasury_owed
    self._require(amount != 0, "staking: nothing to sweep")
    self.treasury_owed = 0
    receiver: address = governed.treasury
    self._require(extcall token.transfer(receiver, amount, default_return_value=True), "staking: transfer failed")
    log TreasurySwept(treasury=receiver, amount=amount)
    return amount


# ---------------------------------------------------------------------------
# Protocol contracts (PROTOCOL_ROLE)
# ---------------------------------------------------------------------------


@external
def allocate(operator: address, amount: uint256):
    """
    @notice Lock `amount` of `operator`'s pool stake for the caller (a task).
    @dev PROTOCOL_ROLE only. Activates the pool's pending stake first; the
         pool must then hold min_pool_stake at least. The stake keeps earning
         and can be slashed, but cannot be withdrawn until the caller
         releases it. Stake reserved for withdrawal is never locked again.
    @param operator The pool's operator.
    @param amount Tokens to lock, at most the pool's free stake
           (A - locked - reserved).
    """
    self._check_protocol()
    terms: uint256 = self._terms[operator]
    assert terms & _OPENED != 0, "staking: no such pool"
    assert amount != 0, "staking: zero amount"
    pending_at: uint256 = (terms >> _PENDING_AT_SHIFT) & _EPOCH_MASK
    assert pending_at == 0 or block.timestamp >= pending_at, "staking: a commission raise is pending"
    # Stake that waited for this allocation joins the pool and is at risk
    # in the task from now on.
    self._activate(operator)
    assert self._value[operator] & _AMOUNT_MASK >= self.min_pool_stake, "staking: pool stake below the minimum"
    assert amount <= self._free_stake(operator), "staking: not enough unlocked stake"
    stake: uint256 = self._stake[operator]
    assert self._assets_of(operator, operator) * constants.BPS >= ((stake >> _LOCKED_SHIFT) + amount) * self.min_self_stake_bps, "staking: operator's own stake too low for this lock"
    # locked + amount <= total_assets (the free stake covers it): the field
    # does not carry.
    self._stake[operator] = stake + (amount << _LOCKED_SHIFT)
    self.locked_by[operator][msg.sender] += amount
    log StakeAllocated(operator=operator, protocol=msg.sender, amount=amount)


@external
def release(operator: address, amount: uint256, slash_bps: uint256) -> uint256:
    """
    @notice Unlock `amount` of the stake the caller locked in `operator`'s
            pool, slashing `slash_bps` of it to the treasury.
    @dev PROTOCOL_ROLE only. The slash, floor(amount * slash_bps / BPS), is
         taken from the operator's own stake first (its shares are burnt);
         only what that cannot cover lowers every share by the same
         fraction. It never exceeds max_slash_bps of the released amount.
    @param operator The pool's operator.
    @param amount Tokens to unlock, at most what the caller locked.
    @param slash_bps Fraction of `amount` to slash, at most max_slash_bps.
    @return The tokens slashed.
    """
    self._check_protocol()
    return self._release(operator, amount, slash_bps)


@external
def pay_reward(operator: address, amount: uint256) -> uint256:
    """
    @notice Pay `amount` tokens from the caller into `operator`'s pool: the
            operator's commission is set aside for it to claim and the rest
            raises the value of every share, the operator's own included.
    @dev PROTOCOL_ROLE only; needs an allowance of `amount`. A pool without
         shares gives the whole amount to its operator.
    @param operator The pool's operator.
    @param amount Tokens paid, in wei.
    @return The operator's commission.
    """
    self._check_protocol()
    return self._pay(operator, amount, True)


@external
def prepay(amount: uint256):
    """
    @notice Move `amount` of the caller's tokens in, to pay rewards with
            later through `settle`: one transfer for many rewards.
    @dev PROTOCOL_ROLE only; needs an allowance of `amount`. The tokens are
         the caller's `prepaid` balance until paid or returned.
    @param amount Tokens moved in, in wei.
    """
    self._check_protocol()
    self._require(amount != 0, "staking: zero amount")
    self._require(extcall token.transferFrom(msg.sender, self, amount, default_return_value=True), "staking: transfer failed")
    # At most every token there is: below the token's cap.
    self.prepaid[msg.sender] += amount
    log Prepaid(protocol=msg.sender, amount=amount)


@external
def settle(operator: address, amount: uint256, slash_bps: uint256, reward: uint256) -> uint256:
    """
    @notice What `release` then `pay_reward` do, in one call and with the
            reward taken from the caller's prepaid balance: unlock `amount`
            of the stake the caller locked in `operator`'s pool, slashing
            `slash_bps` of it (capped at max_slash_bps), then pay `reward`
            into the pool.
    @dev PROTOCOL_ROLE only. The task manager settles each claim with it.
         The slash rule is release's, the reward rule pay_reward's; a
         reward of 0 pays nothing and logs no RewardPaid.
    @param operator The pool's operator.
    @param amount Tokens to unlock, at most what the caller locked.
    @param slash_bps Fraction of `amount` to slash; above max_slash_bps it
           is lowered to it.
    @param reward Tokens to pay into the pool, at most the caller's
           prepaid balance.
    @return The tokens slashed.
    """
    self._check_protocol()
    capped: uint256 = slash_bps
    if slash_bps != 0:
        capped = min(slash_bps, self.max_slash_bps)
    slashed: uint256 = self._release(operator, amount, capped)
    if reward != 0:
        prepaid: uint256 = self.prepaid[msg.sender]
        assert reward <= prepaid, "staking: reward exceeds the prepaid balance"
        self.prepaid[msg.sender] = unsafe_sub(prepaid, reward)
        self._pay(operator, reward, False)
    return slashed


@external
def return_prepaid(receiver: address, amount: uint256):
    """
    @notice Send `amount` of the caller's prepaid balance, unspent, to
            `receiver`.
    @dev PROTOCOL_ROLE only. The task manager returns a task's rounding
         dust to its creator with it.
    @param receiver Who receives the tokens.
    @param amount Tokens sent, at most the caller's prepaid balance.
    """
    self._check_protocol()
    prepaid: uint256 = self.prepaid[msg.sender]
    self._require(amount <= prepaid, "staking: amount exceeds the prepaid balance")
    self.prepaid[msg.sender] = unsafe_sub(prepaid, amount)
    self._require(extcall token.transfer(receiver, amount, default_return_value=True), "staking: transfer failed")
    log PrepaidReturned(protocol=msg.sender, receiver=receiver, amount=amount)


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------


@external
@view
def pools(operator: address) -> Pool:
    """
    @notice Everything staking keeps about `operator`'s pool.
    @dev The fields unpacked from the pool's four storage words.
    @param operator The pool's operator.
    @return The pool's record (all zero for a pool never opened).
    """
    value_word: uint256 = self._value[operator]
    stake: uint256 = self._stake[operator]
    terms: uint256 = self._terms[operator]
    owner: uint256 = self._owner[operator]
    return Pool(
        opened=terms & _OPENED != 0,
        commission_bps=(terms >> _COMMISSION_SHIFT) & _BPS_MASK,
        pending_commission_bps=(terms >> _PENDING_BPS_SHIFT) & _BPS_MASK,
        pending_commission_at=(terms >> _PENDING_AT_SHIFT) & _EPOCH_MASK,
        total_shares=value_word >> _SHARES_SHIFT,
        total_assets=value_word & _AMOUNT_MASK,
        locked=stake >> _LOCKED_SHIFT,
        commission_owed=owner >> _OWED_SHIFT,
        pending=terms >> _PENDING_SHIFT,
        epoch=stake & _EPOCH_MASK,
        reserved=(stake >> _RESERVED_SHIFT) & _AMOUNT_MASK,
        own_principal=owner & _AMOUNT_MASK,
    )


@external
@view
def assets_of(operator: address, holder: address) -> uint256:
    """
    @notice Tokens `holder` has in `operator`'s pool now: what its shares
            are worth plus its stake still waiting for activation.
    @param operator The pool's operator.
    @param holder The share holder.
    @return The value in wei, rounded down.
    """
    return self._assets_of(operator, holder) + self._waiting(operator, holder)


@external
@view
def pending_of(operator: address, holder: address) -> uint256:
    """
    @notice `holder`'s stake in `operator`'s pool that waits for activation
            (at the pool's next allocation, or its next deposit or withdrawal
            request while nothing is locked): it earns nothing and is never
            slashed until then.
    @param operator The pool's operator.
    @param holder The depositor.
    @return The amount, in wei.
    """
    return self._waiting(operator, holder)


@external
@view
def pool_share_value(operator: address) -> uint256:
    """
    @notice Value, in wei, of the shares that one token bought in a fresh
            pool: 1e18 at the start, up with every reward, down with a slash.
    @param operator The pool's operator.
    @return floor(1e18 * VS * (A + VA) / (S + VS)).
    """
    value_word: uint256 = self._value[operator]
    return pool_shares._to_assets_down(constants.WAD * pool_shares.VIRTUAL_SHARES, value_word & _AMOUNT_MASK, value_word >> _SHARES_SHIFT)


@external
@view
def unlocked_stake(operator: address) -> uint256:
    """
    @notice Stake of `operator`'s pool that is neither locked in a task nor
            reserved for a withdrawal: what a new lock may take.
    @param operator The pool's operator.
    @return total_assets - locked - reserved, 0 at least.
    """
    return self._free_stake(operator)


@external
@view
def reserved_of(operator: address, holder: address) -> (uint256, bool):
    """
    @notice Stake `holder` asked back from `operator`'s pool while it was
            locked and that is not yet honoured, and whether
            `honour_withdrawal` can start its unbonding now.
    @param operator The pool's operator.
    @param holder The account that asked.
    @return The reserved amount in wei, and true when it can be honoured.
    """
    booked: uint256 = (self._unbonding[holder][operator] >> _UNLOCK_BITS) & _RESERVED_MASK
    return booked, booked != 0 and self._reservations[operator][holder] <= self._finalized(operator, self._queue[operator])


@external
@view
def own_stake(operator: address) -> uint256:
    """
    @notice The operator's own stake in its pool, activated or waiting.
    @param operator The pool's operator.
    @return The value of the operator's shares in its own pool plus its
            stake waiting for activation.
    """
    return self._assets_of(operator, operator) + self._waiting(operator, operator)


@external
@view
def delegated_stake(operator: address) -> uint256:
    """
    @notice Stake delegated to `operator`'s pool by others, activated or
            waiting.
    @param operator The pool's operator.
    @return Pool assets and pending stake minus the operator's own stake.
    """
    own: uint256 = self._assets_of(operator, operator) + self._waiting(operator, operator)
    return (self._value[operator] & _AMOUNT_MASK) + (self._terms[operator] >> _PENDING_SHIFT) - own


@external
@view
def effective_stake(operator: address) -> uint256:
    """
    @notice The operator's weight in a task: own + epsilon x delegated, of
            the activated stake.
    @param operator The pool's operator.
    @return own + delegated * delegation_weight_bps / BPS, rounded down.
    """
    own: uint256 = self._assets_of(operator, operator)
    delegated: uint256 = (self._value[operator] & _AMOUNT_MASK) - own
    return own + delegated * self.delegation_weight_bps // constants.BPS


@external
@view
def stake_weight(operator: address, amount: uint256) -> uint256:
    """
    @notice Weight of `amount` of `operator`'s pool stake: the amount scaled
            by the pool's effective stake over its assets (own stake counts
            fully, delegated stake by epsilon).
    @param operator The pool's operator.
    @param amount Tokens of the pool's stake, e.g. an allocation.
    @return amount * effective_stake / total_assets, rounded down (0 for an
            empty pool).
    """
    total_assets: uint256 = self._value[operator] & _AMOUNT_MASK
    if total_assets == 0:
        return 0
    own: uint256 = self._assets_of(operator, operator)
    # own <= total_assets: rounding of _assets_of favours the pool.
    effective: uint256 = own + unsafe_sub(total_assets, own) * self.delegation_weight_bps // constants.BPS
    return amount * effective // total_assets


@external
@view
def commission_of(operator: address) -> uint256:
    """
    @notice The commission that applies to `operator`'s rewards now.
    @param operator The pool's operator.
    @return The commission in bps, a matured raise included.
    """
    return self._commission(self._terms[operator])


@external
@view
def unbonding_of(holder: address, operator: address) -> (uint256, uint256):
    """
    @notice `holder`'s pending unbonding from `operator`'s pool.
    @param holder The account that requested the withdrawal.
    @param operator The pool's operator.
    @return The amount and the time it can be withdrawn (0, 0 when none).
    """
    entry: uint256 = self._unbonding[holder][operator]
    return entry >> _UNBONDING_SHIFT, entry & _UNLOCK_MASK


@external
@view
def total_unbonding() -> uint256:
    """
    @notice Tokens waiting out their unbonding delay, all pools together.
    @return The total, in wei.
    """
    return self._unbonding_totals & _TOTAL_UNBONDING_MASK


@external
@view
def unbonding_delay() -> uint256:
    """
    @notice Seconds between a withdrawal request and the withdrawal.
    @return The delay, in seconds.
    """
    return self._unbonding_totals >> _DELAY_SHIFT


@external
@view
def votes(account: address) -> uint256:
    """
    @notice `account`'s voting power now: the tokens it has staked, in its
            own pool or delegated to others, and not asked back, less what
            slashes took of its own pool's stake.
    @param account The voter.
    @return The voting power, in wei of staked tokens.
    """
    return checkpoints._latest(account)


@external
@view
def total_votes() -> uint256:
    """
    @notice The sum of every account's voting power now.
    @return The total, in wei of staked tokens.
    """
    return checkpoints._latest_total()


@external
@view
def total_votes_at(block_number: uint256) -> uint256:
    """
    @notice The sum of every account's voting power at the end of a past
            block.
    @dev Governance reads it at a proposal's snapshot block, the one before
         the proposal's. Only the total's last two checkpoints are kept: any
         block since the one before its last change is answered, an older
         one reverts.
    @param block_number A block before the current one.
    @return The total then.
    """
    self._require(block_number < block.number, "staking: block not yet mined")
    return checkpoints._total_at(block_number)


@external
@view
def votes_at(account: address, block_number: uint256) -> uint256:
    """
    @notice `account`'s voting power at the end of a past block.
    @dev Governance reads it at a proposal's snapshot block.
    @param account The voter.
    @param block_number A block before the current one.
    @return The voting power then.
    """
    self._require(block_number < block.number, "staking: block not yet mined")
    return checkpoints._at(account, block_number)


# ---------------------------------------------------------------------------
# Guardian (GUARDIAN_ROLE) and admin
# ---------------------------------------------------------------------------


@external
def pause():
    """
    @notice Pause new stakes: no pool opens and nobody delegates, and the
            task manager accepts no new task. Nothing else stops and no funds
            move.
    @dev GUARDIAN_ROLE or DEFAULT_ADMIN_ROLE.
    """
    self._require(access_control.hasRole[GUARDIAN_ROLE][msg.sender] or access_control.hasRole[access_control.DEFAULT_ADMIN_ROLE][msg.sender], "staking: caller is not the guardian")
    self.paused = True
    log PauseChanged(paused=True, caller=msg.sender)


@external
def unpause():
    """
    @notice Lift a pause.
    @dev DEFAULT_ADMIN_ROLE (governance) only: the guardian can stop, not
         restart.
    """
    governed._check_admin()
    self.paused = False
    log PauseChanged(paused=False, caller=msg.sender)


# ---------------------------------------------------------------------------
# Admin (DEFAULT_ADMIN_ROLE: governance)
# ---------------------------------------------------------------------------


@external
def set_unbonding_delay(new_value: uint256):
    """
    @notice Set the unbonding delay; applies to requests made from now on.
    @param new_value Seconds, within [MIN_UNBONDING_DELAY, MAX_UNBONDING_DELAY].
    """
    governed._check_admin()
    self._set_unbonding_delay(new_value)


@external
def set_commission_notice(new_value: uint256):
    """
    @notice Set the notice before a commission raise applies.
    @param new_value Seconds, at most MAX_COMMISSION_NOTICE.
    """
    governed._check_admin()
    self._set_commission_notice(new_value)


@external
def set_max_commission_bps(new_value: uint256):
    """
    @notice Set the highest commission operators may choose from now on.
    @dev Existing commissions above it stay until their operator changes them.
    @param new_value Bps, at most MAX_COMMISSION_CEILING_BPS.
    """
    governed._check_admin()
    self._set_max_commission_bps(new_value)


@external
def set_max_slash_bps(new_value: uint256):
    """
    @notice Set the highest slash as a fraction of a released allocation.
    @param new_value Bps, at most MAX_SLASH_CEILING_BPS.
    """
    governed._check_admin()
    self._set_max_slash_bps(new_value)


@external
def set_min_self_stake_bps(new_value: uint256):
    """
    @notice Set the least own stake an operator keeps against its locks.
    @param new_value Bps of the pool's locked stake, at most 10_000.
    """
    governed._check_admin()
    self._set_min_self_stake_bps(new_value)


@external
def set_min_pool_stake(new_value: uint256):
    """
    @notice Set the least total assets a pool needs to be locked for a task.
    @dev Pools already locked keep their locks; it applies from their next
         allocation.
    @param new_value Wei, at most MAX_MIN_POOL_STAKE.
    """
    governed._check_admin()
    self._set_min_pool_stake(new_value)


@external
def set_delegation_weight_bps(new_value: uint256):
    """
    @notice Set epsilon, the weight of delegated stake in the effective stake.
    @param new_value Bps, at most 10_000 (epsilon = 1).
    """
    governed._check_admin()
    self._set_delegation_weight_bps(new_value)


# ---------------------------------------------------------------------------
# Internal
# ---------------------------------------------------------------------------


@internal
def _deposit(operator: address, holder: address, amount: uint256) -> uint256:
    # Shares at once while nothing of the pool is locked; otherwise the stake
    # waits for the pool's next activation (see the activation rule).
    assert amount != 0, "staking: zero amount"
    assert amount <= MAX_AMOUNT, "staking: amount above the token supply cap"
    self._activate_if_idle(operator)
    self._settle(operator, holder, self._stake[operator])
    value_word: uint256 = self._value[operator]
    total_assets: uint256 = value_word & _AMOUNT_MASK
    total_shares: uint256 = value_word >> _SHARES_SHIFT
    terms: uint256 = self._terms[operator]
    pending: uint256 = (terms >> _PENDING_SHIFT) + amount
    # At today's price: every activation happens at a price no lower than
    # the pool's least since, and the pool's shares stay within the bound.
    minted: uint256 = pool_shares._to_shares_down(amount, total_assets, total_shares)
    assert minted != 0, "staking: amount too small"
    assert total_shares + pool_shares._to_shares_down(pending, total_assets, total_shares) <= MAX_TOTAL_SHARES, "staking: pool shares exhausted, delegate to another pool"
    assert extcall token.transferFrom(holder, self, amount, default_return_value=True), "staking: transfer failed"
    stake: uint256 = self._stake[operator]
    if stake >> _LOCKED_SHIFT == 0:
        # Both fields stay within their bounds (see the storage): no carry.
        self._value[operator] = ((total_shares + minted) << _SHARES_SHIFT) | (total_assets + amount)
        self.shares[operator][holder] += minted
    else:
        minted = 0
        # pending is below the token's cap: it fits its top 96 bits.
        self._terms[operator] = (terms & ((1 << _PENDING_SHIFT) - 1)) | (pending << _PENDING_SHIFT)
        # The holder's entry was settled: it waits for the current epoch.
        waiting: uint256 = (self._deposits[operator][holder] >> _UNLOCK_BITS) + amount
        self._deposits[operator][holder] = (waiting << _UNLOCK_BITS) | (stake & _EPOCH_MASK)
    # Voting power: checkpoints keeps each value under the total's bound.
    if holder == operator:
        # own_principal is at most the operator's stake in its pool (up to
        # rounding dust), below the token's cap: the low field does not
        # carry into commission_owed.
        self._owner[operator] += amount
    checkpoints._add(holder, amount)
    log Delegated(operator=operator, holder=holder, assets=amount, shares=minted)
    return minted


@internal
def _activate(operator: address):
    # The pool's pending stake becomes shares at today's price.
    terms: uint256 = self._terms[operator]
    amount: uint256 = terms >> _PENDING_SHIFT
    if amount == 0:
        return
    value_word: uint256 = self._value[operator]
    total_assets: uint256 = value_word & _AMOUNT_MASK
    total_shares: uint256 = value_word >> _SHARES_SHIFT
    minted: uint256 = pool_shares._to_shares_down(amount, total_assets, total_shares)
    stake: uint256 = self._stake[operator]
    epoch: uint256 = stake & _EPOCH_MASK
    self._activations[operator][epoch] = Activation(assets=amount, shares=minted)
    self._value[operator] = ((total_shares + minted) << _SHARES_SHIFT) | (total_assets + amount)
    self._terms[operator] = terms & ((1 << _PENDING_SHIFT) - 1)
    # One activation per allocation or deposit at most: far below 2**64.
    self._stake[operator] = stake + 1
    log StakeActivated(operator=operator, epoch=epoch, assets=amount, shares=minted)


@internal
def _release(operator: address, amount: uint256, slash_bps: uint256) -> uint256:
    # release(): unlock `amount` of the caller's lock, slashing `slash_bps`.
    mine: uint256 = self.locked_by[operator][msg.sender]
    assert amount <= mine, "staking: release exceeds allocation"
    assert slash_bps == 0 or slash_bps <= self.max_slash_bps, "staking: slash above maximum"
    slashed: uint256 = amount * slash_bps // constants.BPS
    # amount <= mine <= pool.locked <= pool.total_assets and slashed <= amount.
    self.locked_by[operator][msg.sender] = unsafe_sub(mine, amount)
    self._stake[operator] = unsafe_sub(self._stake[operator], amount << _LOCKED_SHIFT)
    if slashed != 0:
        # The operator's own stake pays first: its shares worth the slash
        # (at most all of them) are burnt; the rest lowers every share.
        waiting: uint256 = self._settle(operator, operator, self._stake[operator]) >> _UNLOCK_BITS
        value_word: uint256 = self._value[operator]
        total_assets: uint256 = value_word & _AMOUNT_MASK
        total_shares: uint256 = value_word >> _SHARES_SHIFT
        own_shares: uint256 = self.shares[operator][operator]
        own: uint256 = pool_shares._to_assets_down(own_shares, total_assets, total_shares)
        from_own: uint256 = min(slashed, own)
        if from_own != 0:
            burnt: uint256 = min(pool_shares._to_shares_up(from_own, total_assets, total_shares), own_shares)
            self.shares[operator][operator] = unsafe_sub(own_shares, burnt)
            total_shares = unsafe_sub(total_shares, burnt)
            # The operator's voting power falls with its own stake (see the
            # formula by the storage); own + waiting > 0 and its principal
            # is below the token's cap, so the product fits.
            own += waiting
            owner: uint256 = self._owner[operator]
            principal: uint256 = owner & _AMOUNT_MASK
            kept: uint256 = principal * unsafe_sub(own, from_own) // own
            if kept != principal:
                # kept < principal: the low field only goes down.
                self._owner[operator] = unsafe_sub(owner, unsafe_sub(principal, kept))
                checkpoints._sub(operator, unsafe_sub(principal, kept))
        self._value[operator] = (total_shares << _SHARES_SHIFT) | unsafe_sub(total_assets, slashed)
        self.treasury_owed += slashed
    log StakeReleased(operator=operator, protocol=msg.sender, amount=amount, slashed=slashed)
    return slashed


@internal
def _pay(operator: address, amount: uint256, pull: bool) -> uint256:
    # pay_reward(): `amount` into the pool, pulled from the caller when
    # `pull` (settle() takes it from the caller's prepaid balance instead).
    terms: uint256 = self._terms[operator]
    assert terms & _OPENED != 0, "staking: no such pool"
    if pull:
        assert extcall token.transferFrom(msg.sender, self, amount, default_return_value=True), "staking: transfer failed"
    commission: uint256 = amount
    value_word: uint256 = self._value[operator]
    if value_word >> _SHARES_SHIFT != 0:
        commission = amount * self._commission(terms) // constants.BPS
        # commission <= amount since the commission is at most 100%; the
        # assets stay below the token's cap, so the low field does not carry.
        self._value[operator] = value_word + unsafe_sub(amount, commission)
    if commission != 0:
        # commission_owed is below the token's cap: it fits its 96 bits.
        self._owner[operator] += commission << _OWED_SHIFT
    log RewardPaid(operator=operator, payer=msg.sender, amount=amount, commission=commission)
    return commission


@internal
def _burn(operator: address, holder: address, amount: uint256, total_assets: uint256, total_shares: uint256, held: uint256) -> uint256:
    # Burn the holder's shares worth `amount`, rounded up (in the pool's
    # favour), and take `amount` out of the pool's assets (the pool's and
    # the holder's values now are passed in). Callers check that the
    # shares are worth it (so burnt <= held <= total_shares) and that
    # amount <= total_assets - locked.
    burnt: uint256 = pool_shares._to_shares_up(amount, total_assets, total_shares)
    self.shares[operator][holder] = unsafe_sub(held, burnt)
    self._value[operator] = (unsafe_sub(total_shares, burnt) << _SHARES_SHIFT) | unsafe_sub(total_assets, amount)
    return burnt


@internal
def _unbond(holder: address, operator: address, entry: uint256, amount: uint256, booked: uint256) -> uint256:
    # Write the holder's unbonding entry: `amount` more unbonding (the delay
    # restarts for the whole sum; none: the time stays) and `booked`
    # reserved. Returns the unlock time.
    unlock_at: uint256 = entry & _UNLOCK_MASK
    if amount != 0:
        totals: uint256 = self._unbonding_totals
        unlock_at = block.timestamp + (totals >> _DELAY_SHIFT)
        # total_unbonding stays below the token's cap: the low field does
        # not carry into the delay.
        self._unbonding_totals = totals + amount
    pending: uint256 = (entry >> _UNBONDING_SHIFT) + amount
    self._unbonding[holder][operator] = (pending << _UNBONDING_SHIFT) | (booked << _UNLOCK_BITS) | unlock_at
    return unlock_at


@internal
@view
def _free_stake(operator: address) -> uint256:
    # Stake neither locked nor reserved: what an allocation, or a request
    # while stake is locked, may take. locked <= total_assets is an
    # invariant of this contract; reserved may exceed the rest (a slash
    # lowered the assets), and then nothing is free.
    stake: uint256 = self._stake[operator]
    free: uint256 = unsafe_sub(self._value[operator] & _AMOUNT_MASK, stake >> _LOCKED_SHIFT)
    return free - min(free, (stake >> _RESERVED_SHIFT) & _AMOUNT_MASK)


@internal
@view
def _finalized(operator: address, queue: uint256) -> uint256:
    # The queue position up to which reservations can be honoured now: the
    # finalized one, moved on by the unlocked stake beyond what it already
    # covers, or the tail when nothing is locked.
    tail: uint256 = queue >> _QUEUE_SHIFT
    done: uint256 = queue & _QUEUE_MASK
    stake: uint256 = self._stake[operator]
    locked: uint256 = stake >> _LOCKED_SHIFT
    if locked == 0:
        return tail
    # Honoured reservations all lay before `done`: tail - reserved <= done.
    covered: uint256 = done + ((stake >> _RESERVED_SHIFT) & _AMOUNT_MASK) - tail
    unlocked: uint256 = unsafe_sub(self._value[operator] & _AMOUNT_MASK, locked)
    if unlocked <= covered:
        return done
    return min(tail, done + unsafe_sub(unlocked, covered))


@internal
def _activate_if_idle(operator: address):
    if self._stake[operator] >> _LOCKED_SHIFT == 0:
        self._activate(operator)


@internal
def _settle(operator: address, holder: address, stake: uint256) -> uint256:
    # Turn the holder's activated deposit into its shares (`stake`: the
    # pool's `_stake` word now). Returns the holder's deposit entry after:
    # 0, or one still waiting for the pool's activation.
    entry: uint256 = self._deposits[operator][holder]
    if entry == 0 or entry & _UNLOCK_MASK >= stake & _EPOCH_MASK:
        return entry
    batch: Activation = self._activations[operator][entry & _UNLOCK_MASK]
    # batch.assets >= the entry's amount > 0 (see _activated_shares).
    self.shares[operator][holder] += (entry >> _UNLOCK_BITS) * batch.shares // batch.assets
    self._deposits[operator][holder] = 0
    return 0


@internal
@view
def _activated(operator: address, holder: address) -> bool:
    entry: uint256 = self._deposits[operator][holder]
    return entry != 0 and entry & _UNLOCK_MASK < self._stake[operator] & _EPOCH_MASK


@internal
@view
def _activated_shares(operator: address, holder: address) -> uint256:
    # Shares the holder's activated deposit is owed: its part of the
    # activation's shares, rounded down (in the pool's favour).
    if not self._activated(operator, holder):
        return 0
    entry: uint256 = self._deposits[operator][holder]
    batch: Activation = self._activations[operator][entry & _UNLOCK_MASK]
    # batch.assets >= the entry's amount > 0.
    return (entry >> _UNLOCK_BITS) * batch.shares // batch.assets


@internal
@view
def _waiting(operator: address, holder: address) -> uint256:
    # The holder's deposit not yet activated.
    if self._activated(operator, holder):
        return 0
    return self._deposits[operator][holder] >> _UNLOCK_BITS


@internal
@view
def _assets_of(operator: address, holder: address) -> uint256:
    # What the holder's shares (an activated deposit's included) are worth.
    held: uint256 = self.shares[operator][holder] + self._activated_shares(operator, holder)
    value_word: uint256 = self._value[operator]
    return pool_shares._to_assets_down(held, value_word & _AMOUNT_MASK, value_word >> _SHARES_SHIFT)


@internal
@view
def _commission(terms: uint256) -> uint256:
    # The commission that applies now, from a pool's `_terms` word: a raise
    # whose notice is over included.
    pending_at: uint256 = (terms >> _PENDING_AT_SHIFT) & _EPOCH_MASK
    if pending_at != 0 and block.timestamp >= pending_at:
        return (terms >> _PENDING_BPS_SHIFT) & _BPS_MASK
    return (terms >> _COMMISSION_SHIFT) & _BPS_MASK


@internal
@pure
def _require(ok: bool, reason: String[64]):
    # `assert ok, reason`, written once for the calls off the hot paths:
    # every inline assert repeats the code that ABI-encodes its reason, and
    # sharing it keeps the contract under the EIP-170 limit. The revert
    # data is the same Error(string) an assert produces.
    if not ok:
        raw_revert(abi_encode(reason, method_id=method_id("Error(string)")))


@internal
@view
def _check_protocol():
    assert access_control.hasRole[PROTOCOL_ROLE][msg.sender], "staking: caller is not a protocol contract"


@internal
def _set_unbonding_delay(new_value: uint256):
    self._require(new_value >= MIN_UNBONDING_DELAY and new_value <= MAX_UNBONDING_DELAY, "staking: unbonding delay out of bounds")
    self._unbonding_totals = (new_value << _DELAY_SHIFT) | (self._unbonding_totals & _TOTAL_UNBONDING_MASK)
    governed._updated("unbonding_delay", new_value)


@internal
def _set_commission_notice(new_value: uint256):
    self._require(new_value <= MAX_COMMISSION_NOTICE, "staking: commission notice out of bounds")
    self.commission_notice = new_value
    governed._updated("commission_notice", new_value)


@internal
def _set_max_commission_bps(new_value: uint256):
    self._require(new_value <= MAX_COMMISSION_CEILING_BPS, "staking: max commission out of bounds")
    self.max_commission_bps = new_value
    governed._updated("max_commission_bps", new_value)


@internal
def _set_max_slash_bps(new_value: uint256):
    self._require(new_value <= MAX_SLASH_CEILING_BPS, "staking: max slash out of bounds")
    self.max_slash_bps = new_value
    governed._updated("max_slash_bps", new_value)


@internal
def _set_delegation_weight_bps(new_value: uint256):
    self._require(new_value <= constants.BPS, "staking: delegation weight out of bounds")
    self.delegation_weight_bps = new_value
    governed._updated("delegation_weight_bps", new_value)


@internal
def _set_min_self_stake_bps(new_value: uint256):
    self._require(new_value <= constants.BPS, "staking: min self stake out of bounds")
    self.min_self_stake_bps = new_value
    governed._updated("min_self_stake_bps", new_value)


@internal
def _set_min_pool_stake(new_value: uint256):
    self._require(new_value <= MAX_MIN_POOL_STAKE, "staking: min pool stake out of bounds")
    self.min_pool_stake = new_value
    governed._updated("min_pool_stake", new_value)
