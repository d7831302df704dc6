# pragma version ~=0.4.3
"""
@title AIArena emission: new tokens streamed to DAO-verified tasks
@notice New ARENA is released by a schedule and split across the running
        tasks that governance has verified, in proportion to their total
        effective stake. Anyone may call `checkpoint`: it mints what the
        schedule released since the last call (never more than the token's
        cap allows) and adds each verified task's share to that task's
        reward, where it follows the same split as the escrowed reward. What
        no task can take (no verified task with stake, rounding dust) goes to
        the treasury.
@dev The schedule: `daily_emission` tokens per day, released per second,
     cut by `decay_bps` every DECAY_PERIOD (a year). From the start time t0
     with D0 tokens a day and d = decay_bps / 10_000, the tokens released by
     time t are
         E(t) = sum over years k of D0 (1 - d)^k x days of year k before t,
     so that E never exceeds 365 D0 / d (D0 x days elapsed when d = 0); the
     token's MAX_SUPPLY caps it in any case. Each checkpoint floors every
     piece, so minted <= E(t) and the shortfall is at most a few wei per
     checkpoint. Changing a parameter, verifying or unverifying a task
     first checkpoints at the old values until the schedule is released up
     to now.
     Between two checkpoints the amount released is split by the weights
     the tasks have at the second one.
@custom:security Only MINTER_ROLE in the token lets this contract mint, and
     only EMISSION_ROLE in the task manager lets it fund. Every loop is
     bounded: MAX_VERIFIED_TASKS tasks, MAX_DECAYS_PER_CHECKPOINT yearly cuts.
"""

from snekmate.auth import access_control

from .interfaces import IArenaMinter
from .interfaces import ITaskFunding
from .modules import constants
from .modules import governed

initializes: governed
# Exported below (access_control is initialized by governed).
uses: access_control

exports: (
    # All of access_control: DEFAULT_ADMIN_ROLE (governance) verifies tasks
    # and sets the parameters.
    access_control.__interface__,
    # The treasury (receiver of what no task can take) and its setter.
    governed.treasury,
    governed.set_treasury,
)


# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

# @notice Most tasks that may be verified for emission at once; a checkpoint
#         visits each of them once.
MAX_VERIFIED_TASKS: public(constant(uint256)) = 32

# @notice Seconds between two cuts of the daily emission.
DECAY_PERIOD: public(constant(uint256)) = 365 * 86_400

# @notice Yearly cuts one checkpoint applies at most; after years without a
#         checkpoint the next calls catch up, this many years each.
MAX_DECAYS_PER_CHECKPOINT: constant(uint256) = 16
# Checkpoints an admin call makes at most to catch up before its change:
# 8 x 16 = 128 years without any checkpoint.
MAX_CATCH_UP_CHECKPOINTS: constant(uint256) = 8

# Bounds of the parameters, checked by every setter.
# @notice Highest daily emission: 0.1% of the token's cap a day.
MAX_DAILY_EMISSION: public(constant(uint256)) = constants.MAX_SUPPLY // 1_000
# @notice Highest yearly cut of the daily emission.
MAX_DECAY_BPS: public(constant(uint256)) = 9_000

_DAY: constant(uint256) = 86_400


# ---------------------------------------------------------------------------
# Immutables
# ---------------------------------------------------------------------------

# @notice The token this contract mints.
token: public(immutable(IArenaMinter))

# @notice The task manager whose tasks receive emission.
tasks: public(immutable(ITaskFunding))


# ---------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------

# @notice Tokens released per day now (before the next yearly cut).
daily_emission: public(uint256)
# @notice Yearly cut of the daily emission, in bps.
decay_bps: public(uint256)
# @notice When the next yearly cut applies.
next_decay_at: public(uint256)
# @notice Time up to which the schedule has been released.
last_checkpoint: public(uint256)
# @notice Tokens minted by this contract so far.
emitted: public(uint256)
# The receiver of what no task can take is `treasury`, in
# modules/governed.vy.

# @notice The verified tasks still running, in no particular order.
verified_tasks: public(DynArray[uint256, MAX_VERIFIED_TASKS])
# @notice True for a task in `verified_tasks`.
is_verified: public(HashMap[uint256, bool])
# @notice Emission each task has received.
emission_of: public(HashMap[uint256, uint256])


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------

event Checkpointed:
    released: uint256
    to_tasks: uint256
    to_treasury: uint256
    until: uint256

event TaskEmission:
    task_id: indexed(uint256)
    amount: uint256
    weight: uint256

event TaskVerified:
    task_id: indexed(uint256)

event TaskUnverified:
    task_id: indexed(uint256)
    # True when the task left because it stopped running.
    finished: bool

# ParameterUpdated and TreasuryUpdated are modules/governed.vy's.


# ---------------------------------------------------------------------------
# Constructor
# ---------------------------------------------------------------------------


@deploy
def __init__(
    token_: IArenaMinter,
    tasks_: ITaskFunding,
    admin: address,
    treasury_: address,
    daily_emission_: uint256,
    decay_bps_: uint256,
):
    """
    @notice Deploy the emission contract; the schedule starts now.
    @dev Needs MINTER_ROLE in the token and EMISSION_ROLE in the task manager.
    @param token_ The token to mint.
    @param tasks_ The task manager.
    @param admin The administrator (governance).
    @param treasury_ Receiver of what no task can take.
    @param daily_emission_ Tokens released per day in the first year, in wei.
    @param decay_bps_ Yearly cut of the daily emission, in bps.
    """
    assert token_.address != empty(address), "emission: token is the zero address"
    assert tasks_.address != empty(address), "emission: task manager is the zero address"
    token = token_
    tasks = tasks_
    governed.__init__("emission", admin, treasury_)
    self._set_daily_emission(daily_emission_)
    self._set_decay_bps(decay_bps_)
    self.last_checkpoint = block.timestamp
    self.next_decay_at = block.timestamp + DECAY_PERIOD
    # The task manager pulls each task's share with transferFrom.
    assert extcall token_.approve(tasks_.address, max_value(uint256)), "emission: approve failed"


# ---------------------------------------------------------------------------
# Permissionless
# ---------------------------------------------------------------------------


@external
def checkpoint() -> uint256:
    """
    @notice Release the emission due since the last checkpoint: mint it and
            add each verified running task's share to its reward; drop the
            verified tasks that stopped running.
    @dev Gas grows with the number of verified tasks, at most
         MAX_VERIFIED_TASKS.
    @return The tokens minted.
    """
    return self._checkpoint()


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------


@external
@view
def pending() -> uint256:
    """
    @notice Tokens the next checkpoint would mint now (within the cap).
    @return The amount, in wei.
    """
    due: uint256 = 0
    until: uint256 = 0
    rate: uint256 = 0
    next_decay: uint256 = 0
    due, until, rate, next_decay = self._due()
    return min(due, staticcall token.mintable())


@external
@view
def verified_count() -> uint256:
    """
    @notice How many tasks are verified for emission now.
    @return The count, at most MAX_VERIFIED_TASKS.
    """
    return len(self.verified_tasks)


# ---------------------------------------------------------------------------
# Admin (DEFAULT_ADMIN_ROLE: governance)
# ---------------------------------------------------------------------------


@external
def verify_task(task_id: uint256):
    """
    @notice Let a running task receive emission from the next checkpoint on.
    @dev Checkpoints first, so the task receives nothing for earlier time.
    @param task_id The task, running (submit phase to score reveal).
    """
    governed._check_admin()
    assert not self.is_verified[task_id], "emission: task already verified"
    assert staticcall tasks.is_running(task_id), "emission: task is not running"
    self._catch_up()
    assert len(self.verified_tasks) < MAX_VERIFIED_TASKS, "emission: too many verified tasks"
    self.verified_tasks.append(task_id)
    self.is_verified[task_id] = True
    log TaskVerified(task_id=task_id)


@external
def unverify_task(task_id: uint256):
    """
    @notice Stop a task's emission; what it received so far stays its own.
    @dev Checkpoints first, so the task keeps its share up to now.
    @param task_id The task.
    """
    governed._check_admin()
    assert self.is_verified[task_id], "emission: task not verified"
    self._catch_up()
    # The checkpoint may have dropped the task already.
    if self.is_verified[task_id]:
        for i: uint256 in range(MAX_VERIFIED_TASKS):
            if self.verified_tasks[i] == task_id:
                self._remove_at(i, False)
                break


@external
def set_daily_emission(new_value: uint256):
    """
    @notice Set the tokens released per day from now on (later yearly cuts
            apply to it).
    @dev Checkpoints first, at the old rate.
    @param new_value Wei per day, at most MAX_DAILY_EMISSION.
    """
    governed._check_admin()
    self._catch_up()
    self._set_daily_emission(new_value)


@external
def set_decay_bps(new_value: uint256):
    """
    @notice Set the yearly cut of the daily emission.
    @dev Checkpoints first.
    @param new_value Bps, at most MAX_DECAY_BPS.
    """
    governed._check_admin()
    self._catch_up()
    self._set_decay_bps(new_value)


# ---------------------------------------------------------------------------
# Internal
# ---------------------------------------------------------------------------


@internal
@view
def _due() -> (uint256, uint256, uint256, uint256):
    # (tokens released since the last checkpoint, time released up to,
    #  daily emission then, next cut then). Each piece of the schedule is
    # floored, in the protocol's favour.
    now: uint256 = block.timestamp
    t: uint256 = self.last_checkpoint
    rate: uint256 = self.daily_emission
    next_decay: uint256 = self.next_decay_at
    decay: uint256 = self.decay_bps
    due: uint256 = 0
    for _cut: uint256 in range(MAX_DECAYS_PER_CHECKPOINT):
        if next_decay > now:
            break
        # rate <= MAX_DAILY_EMISSION and a year of seconds: no overflow.
        due += rate * (next_decay - t) // _DAY
        t = next_decay
        rate = rate * (constants.BPS - decay) // constants.BPS
        next_decay += DECAY_PERIOD
    if next_decay > now:
        due += rate * (now - t) // _DAY
        t = now
    # Otherwise the loop stopped at its bound: t is the last cut applied and
    # the next checkpoint goes on from there.
    return due, t, rate, next_decay


@internal
def _checkpoint() -> uint256:
    due: uint256 = 0
    until: uint256 = 0
    rate: uint256 = 0
    next_decay: uint256 = 0
    due, until, rate, next_decay = self._due()
    self.last_checkpoint = until
    self.daily_emission = rate
    self.next_decay_at = next_decay
    due = min(due, staticcall token.mintable())

    # The weights of the verified tasks; those that stopped running leave.
    weights: DynArray[uint256, MAX_VERIFIED_TASKS] = []
    total: uint256 = 0
    i: uint256 = 0
    for _visit: uint256 in range(MAX_VERIFIED_TASKS):
        if i >= len(self.verified_tasks):
            break
        task_id: uint256 = self.verified_tasks[i]
        weight: uint256 = staticcall tasks.emission_weight(task_id)
        # A running task may weigh nothing yet (nobody joined); only a task
        # that stopped running leaves.
        if weight == 0 and not staticcall tasks.is_running(task_id):
            # Swapped with the last one, which this loop visits next.
            self._remove_at(i, True)
            continue
        weights.append(weight)
        # Effective stakes are bounded by the token's supply cap.
        total += weight
        i += 1

    if due == 0:
        return 0
    extcall token.mint(self, due)
    self.emitted += due
    to_tasks: uint256 = 0
    if total != 0:
        for k: uint256 in range(MAX_VERIFIED_TASKS):
            if k >= len(weights):
                break
            share: uint256 = due * weights[k] // total
            if share == 0:
                continue
            task_id: uint256 = self.verified_tasks[k]
            extcall tasks.fund(task_id, share)
            self.emission_of[task_id] += share
            to_tasks += share
            log TaskEmission(task_id=task_id, amount=share, weight=weights[k])
    # to_tasks <= due: each share is floored and the weights sum to total.
    to_treasury: uint256 = unsafe_sub(due, to_tasks)
    if to_treasury != 0:
        assert extcall token.transfer(governed.treasury, to_treasury), "emission: transfer failed"
    log Checkpointed(released=due, to_tasks=to_tasks, to_treasury=to_treasury, until=until)
    return due


@internal
def _catch_up():
    # Release the schedule up to now at the current values, however many
    # checkpoints that takes, so a change that follows applies from now on
    # and never to past years.
    for _call: uint256 in range(MAX_CATCH_UP_CHECKPOINTS):
        self._checkpoint()
        if self.last_checkpoint == block.timestamp:
            return
    assert self.last_checkpoint == block.timestamp, "emission: call checkpoint() to catch up first"


@internal
def _remove_at(i: uint256, finished: bool):
    task_id: uint256 = self.verified_tasks[i]
    last: uint256 = self.verified_tasks.pop()
    if last != task_id:
        self.verified_tasks[i] = last
    self.is_verified[task_id] = False
    log TaskUnverified(task_id=task_id, finished=finished)


@internal
def _set_daily_emission(new_value: uint256):
    assert new_value <= MAX_DAILY_EMISSION, "emission: daily emission out of bounds"
    self.daily_emission = new_value
    governed._updated("daily_emission", new_value)


@internal
def _set_decay_bps(new_value: uint256):
    assert new_value <= MAX_DECAY_BPS, "emission: decay out of bounds"
    self.decay_bps = new_value
    governed._updated("decay_bps", new_value)
