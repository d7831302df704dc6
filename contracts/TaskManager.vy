# pragma version ~=0.4.3
# pragma optimize codesize
"""
@title AIArena task manager: task lifecycle, score consensus and rewards
@notice A creator posts a training task with a reward in escrow, a bond and
        a commitment to a hidden eval set. Trainers and validators join with
        stake locked from their staking pools. Trainers commit to a model,
        then reveal it; the creator reveals the eval set; validators commit to
        their scores, then reveal them. Anyone then finalizes the task in
        bounded steps: the consensus score of each submission is the
        stake-weighted median of the validators' scores, submissions are
        ranked by consensus, each validator's trust is its agreement with the
        consensus, and the reward is split by the formulas in
        modules/rewards.vy. Each participant then claims once: its stake is
        released (slashed if it plagiarised or did not reveal) and
        its reward is paid into its staking pool.
@dev Phases are deadlines stored per task; `phase()` derives the current one,
     so phases only move forward. Every loop is bounded by a constant of
     modules/limits.vy or by a per-call batch size, so no call's gas grows
     past the 2**24 per-transaction cap of Base (docs/benchmarks.md).
     Token accounting: balanceOf(this) == the sum of task.balance over the
     tasks not yet settled, and staking.prepaid(this) == the sum over the
     settled and cancelled ones (a task's balance moves into staking, in
     one transfer, when it is settled or cancelled; claims are paid from
     there).
     Checks go through `_require` to keep the bytecode under EIP-170's
     24,576 bytes, and the contract is compiled for code size (the pragma
     above): the `tasks` view unpacks the packed task record, 374 bytes
     more than the getter Vyper writes for a plain struct, and with it the
     contract would be 224 bytes over the limit in the gas mode. The
     figures in docs/benchmarks.md are measured as compiled here.
@custom:security Commit-reveal: a model commitment is
     keccak256(abi_encode(model_hash, trainer, salt)) and a score commitment
     keccak256(abi_encode(scores, validator, salt)): binding the committer's
     address means a copied commitment cannot be revealed by the copier, and
     nothing revealed can be copied before the commit phase it belongs to
     has closed.
"""

from ethereum.ercs import IERC20

from snekmate.auth import access_control
from snekmate.utils import math

from .interfaces import IStaking
from .modules import constants
from .modules import governed
from .modules import limits
from .modules import rewards
from .modules import weighted_median

initializes: governed
# Read directly: EMISSION_ROLE (access_control is initialized by governed).
uses: access_control

exports: (
    # All of access_control: DEFAULT_ADMIN_ROLE (governance) sets parameters.
    access_control.__interface__,
    # The treasury (receiver of protocol fees, unpaid emission and forfeited
    # bonds) and its setter.
    governed.treasury,
    governed.set_treasury,
)


# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

# @notice Re-exported task limits (see modules/limits.vy).
MAX_TRAINERS: public(constant(uint256)) = limits.MAX_TRAINERS
MAX_VALIDATORS: public(constant(uint256)) = limits.MAX_VALIDATORS
INVALID_SCORE: public(constant(uint256)) = limits.INVALID_SCORE

# @notice Role of the emission contract: it may add newly minted tokens to
#         a running task's reward (`fund`).
EMISSION_ROLE: public(constant(bytes32)) = keccak256("EMISSION_ROLE")

# @notice Submissions whose consensus one finalize call computes at most.
CONSENSUS_BATCH: constant(uint256) = 8
# @notice Validators whose trust one finalize call computes at most.
TRUST_BATCH: constant(uint256) = 32

# Bounds of the per-task phase durations and parameters.
MIN_PHASE_DURATION: constant(uint256) = 60
MAX_PHASE_DURATION: constant(uint256) = 30 * 86_400
# A validator scoring nonsense must not agree with every consensus.
MAX_TOLERANCE_BPS: constant(uint256) = 1_000
MAX_GAMMA_WAD: constant(uint256) = constants.WAD // 2
MAX_PROTOCOL_FEE_BPS: constant(uint256) = 2_000
# Floors at deployment: 3 validator slots, a validator stake of 10% of the
# reward, a bond of 1% of it and a trainer stake of 1% of it.
DEFAULT_MIN_VALIDATOR_SLOTS: constant(uint256) = 3
DEFAULT_MIN_VALIDATOR_STAKE_BPS: constant(uint256) = 1_000
DEFAULT_MIN_BOND_BPS: constant(uint256) = 100
DEFAULT_MIN_TRAINER_STAKE_BPS: constant(uint256) = 100
MAX_URI_LENGTH: constant(uint256) = 256

# Phases, as returned by phase().
PHASE_NONE: constant(uint256) = 0
PHASE_SUBMIT: constant(uint256) = 1
PHASE_MODEL_REVEAL: constant(uint256) = 2
PHASE_EVAL_REVEAL: constant(uint256) = 3
PHASE_SCORE_COMMIT: constant(uint256) = 4
PHASE_SCORE_REVEAL: constant(uint256) = 5
PHASE_FINALIZE: constant(uint256) = 6
PHASE_FINALIZED: constant(uint256) = 7
PHASE_CANCELLED: constant(uint256) = 8

# Roles of a participant.
ROLE_NONE: constant(uint256) = 0
ROLE_TRAINER: constant(uint256) = 1
ROLE_VALIDATOR: constant(uint256) = 2

# Finalize stages.
_STAGE_CONSENSUS: constant(uint256) = 0
_STAGE_RANK: constant(uint256) = 1
_STAGE_TRUST: constant(uint256) = 2
_STAGE_SETTLE: constant(uint256) = 3
_STAGE_DONE: constant(uint256) = 4
# A cancelled task's stage (with `cancelled` set), so that `_phase` reads one
# word for both ends of a task.
_STAGE_CANCELLED: constant(uint256) = 5

# Layout of a participant's packed record (`_meta`):
#   bits 0-7 role | 8-23 index in its role's list | 24-87 commit block
#   | 88-103 rank + 1 (trainers, 0 = unranked) | 128-131 flags
#   | 160-255 reward weight, written at finalize: q^rank * weight
#   (trainers), trust * weight (validators). A weight is at most the stake,
#   at most staking's MAX_AMOUNT (constants.MAX_SUPPLY, 1e27 < 2**90), so 96
#   bits hold it, and the claim reads it with the flags.
_INDEX_SHIFT: constant(uint256) = 8
_BLOCK_SHIFT: constant(uint256) = 24
_RANK_SHIFT: constant(uint256) = 88
_REWARD_SHIFT: constant(uint256) = 160
_MASK_8: constant(uint256) = 2**8 - 1
_MASK_16: constant(uint256) = 2**16 - 1
_MASK_64: constant(uint256) = 2**64 - 1
_COMMITTED: constant(uint256) = 1 << 128
_REVEALED: constant(uint256) = 1 << 129
_DISQUALIFIED: constant(uint256) = 1 << 130
_CLAIMED: constant(uint256) = 1 << 131

# Layout of a participant's packed stake (`_stake`): stake << 128 | weight.
_LOW_128: constant(uint256) = 2**128 - 1
_HIGH_SHIFT: constant(uint256) = 128

# Layout of a task's phase word (`TaskRecord.clock`), all `_phase` reads:
#   bits 0-39 submit_end | 40-79 reveal_end | 80-119 eval_end
#   | 120-159 score_commit_end | 160-199 score_reveal_end | 200-207 stage
#   | 208-215 n_trainers | 216-223 n_validators | 224 eval_revealed
#   | 225 cancelled.
# A deadline is a timestamp plus at most five MAX_PHASE_DURATION, below
# 2**40 until the year 36812; the counts are at most MAX_TRAINERS (128) and
# MAX_VALIDATORS (64), the stage at most 5. A task that exists has a
# nonzero word (its submit_end), so a zero word is a task never created.
_DEADLINE_BITS: constant(uint256) = 40
_DEADLINE_MASK: constant(uint256) = 2**40 - 1
_STAGE_SHIFT: constant(uint256) = 200
_N_TRAINERS_SHIFT: constant(uint256) = 208
_N_VALIDATORS_SHIFT: constant(uint256) = 216
_EVAL_REVEALED: constant(uint256) = 1 << 224
_CANCELLED: constant(uint256) = 1 << 225
# The three words a claim reads, each two 128-bit halves (amounts are at
# most the token's cap, 1e27; a weight sum at most 128 weights of at most
# 1e27 each; the count of participants at most 192):
#   train = train_reward << 128 | train_weight_sum
#   validation = validator_reward << 128 | validator_weight_sum
#   escrow = unclaimed << 128 | balance


# ---------------------------------------------------------------------------
# Immutables
# ---------------------------------------------------------------------------

# @notice The reward token (ARENA).
token: public(immutable(IERC20))

# @notice The staking contract holding the participants' pools.
staking: public(immutable(IStaking))


# ---------------------------------------------------------------------------
# Structs
# ---------------------------------------------------------------------------

struct TaskParams:
    kind: bytes32
    spec_hash: bytes32
    spec_uri: String[MAX_URI_LENGTH]
    eval_commitment: bytes32
    reward: uint256
    bond: uint256
    min_trainer_stake: uint256
    min_validator_stake: uint256
    max_trainers: uint256
    max_validators: uint256
    submit_duration: uint256
    reveal_duration: uint256
    eval_duration: uint256
    score_commit_duration: uint256
    score_reveal_duration: uint256
    tolerance_bps: uint256


struct Task:
    creator: address
    kind: bytes32
    spec_hash: bytes32
    eval_commitment: bytes32
    eval_hash: bytes32
    reward: uint256
    bond: uint256
    min_trainer_stake: uint256
    min_validator_stake: uint256
    max_trainers: uint256
    max_validators: uint256
    tolerance_bps: uint256
    # Deadlines (timestamps).
    submit_end: uint256
    reveal_end: uint256
    eval_end: uint256
    score_commit_end: uint256
    score_reveal_end: uint256
    # Reward terms, fixed when the task is created.
    gamma_wad: uint256
    q_wad: uint256
    protocol_fee_bps: uint256
    plagiarism_slash_bps: uint256
    nonreveal_slash_bps: uint256
    # Participation.
    n_trainers: uint256
    n_validators: uint256
    trainer_weight: uint256
    validator_weight: uint256
    # Status. stage: the finalize stage (0 consensus, 1 rank, 2 trust,
    # 3 settle, 4 done), or 5 once cancelled.
    eval_revealed: bool
    cancelled: bool
    stage: uint256
    cursor: uint256
    # Settlement.
    train_reward: uint256
    validator_reward: uint256
    train_weight_sum: uint256
    validator_weight_sum: uint256
    # Tokens held for this task, and participants yet to claim.
    balance: uint256
    unclaimed: uint256
    # Emission added to the reward by the emission contract.
    emission: uint256


# How a task is stored: Task's fields, the phase's and the claim's packed
# (see the layouts by the constants).
struct TaskRecord:
    creator: address
    kind: bytes32
    spec_hash: bytes32
    eval_commitment: bytes32
    eval_hash: bytes32
    reward: uint256
    bond: uint256
    min_trainer_stake: uint256
    min_validator_stake: uint256
    max_trainers: uint256
    max_validators: uint256
    tolerance_bps: uint256
    clock: uint256
    gamma_wad: uint256
    q_wad: uint256
    protocol_fee_bps: uint256
    plagiarism_slash_bps: uint256
    nonreveal_slash_bps: uint256
    trainer_weight: uint256
    validator_weight: uint256
    cursor: uint256
    train: uint256
    validation: uint256
    escrow: uint256
    emission: uint256


struct Participant:
    role: uint256
    index: uint256
    stake: uint256
    weight: uint256
    commitment: bytes32
    commit_block: uint256
    committed: bool
    revealed: bool
    disqualified: bool
    claimed: bool
    rank: uint256
    reward_weight: uint256


# ---------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------

# @notice Number of tasks created; task ids run from 1 to task_count.
task_count: public(uint256)

# Every task by id (tasks() unpacks a record into a Task).
_tasks: HashMap[uint256, TaskRecord]

# @notice trainers[task][i]: the i-th trainer to join.
trainers: public(HashMap[uint256, HashMap[uint256, address]])

# @notice validators[task][i]: the i-th validator to join.
validators: public(HashMap[uint256, HashMap[uint256, address]])

# @notice model_owner[task][model_hash]: the trainer that holds a model hash.
model_owner: public(HashMap[uint256, HashMap[bytes32, address]])

_meta: HashMap[uint256, HashMap[address, uint256]]
_stake: HashMap[uint256, HashMap[address, uint256]]
# Model commitment, replaced by the model hash on reveal (trainers); score
# commitment (validators).
_commitment: HashMap[uint256, HashMap[address, bytes32]]
# _scores[task][validator][slot]: 8 packed uint32 scores, by trainer index.
_scores: HashMap[uint256, HashMap[address, HashMap[uint256, uint256]]]
# _consensus[task][slot]: 8 packed uint32 consensus scores, by trainer index.
_consensus: HashMap[uint256, HashMap[uint256, uint256]]
# @notice trust[task][validator]: agreement with the consensus, in WAD.
trust: public(HashMap[uint256, HashMap[address, uint256]])

# Parameters (DAO-governed), copied into each task when it is created.
# @notice Share of the reward guaranteed to each side (gamma), in WAD.
gamma_wad: public(uint256)
# @notice Per-rank decay of trainer rewards (q), in WAD.
q_wad: public(uint256)
# @notice Protocol fee on a task's reward, in bps, to the treasury.
protocol_fee_bps: public(uint256)
# @notice Slash of a plagiarist's stake, in bps (capped by staking).
plagiarism_slash_bps: public(uint256)
# @notice Slash of a validator that did not reveal scores, in bps.
nonreveal_slash_bps: public(uint256)
# @notice Smallest creator bond a task may have.
min_creator_bond: public(uint256)
# @notice Floors a creator cannot go below, so that it cannot be the whole
#         validator set of its own task, nor squat its trainer slots for
#         nothing: the fewest validator slots a task offers, and the least
#         validator stake as a fraction of its reward (bps), and the least
#         bond and trainer stake, likewise.
min_validator_slots: public(uint256)
min_validator_stake_bps: public(uint256)
min_bond_bps: public(uint256)
min_trainer_stake_bps: public(uint256)
# The receiver of protocol fees, unpaid emission and forfeited bonds is
# `treasury`, in modules/governed.vy.


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------

event TaskCreated:
    task_id: indexed(uint256)
    creator: indexed(address)
    kind: bytes32
    spec_hash: bytes32
    spec_uri: String[MAX_URI_LENGTH]
    eval_commitment: bytes32
    reward: uint256
    bond: uint256
    submit_end: uint256
    reveal_end: uint256
    eval_end: uint256
    score_commit_end: uint256
    score_reveal_end: uint256

event Joined:
    task_id: indexed(uint256)
    participant: indexed(address)
    role: uint256
    index: uint256
    stake: uint256
    weight: uint256

event ModelCommitted:
    task_id: indexed(uint256)
    trainer: indexed(address)
    commitment: bytes32
    commit_block: uint256

event ModelRevealed:
    task_id: indexed(uint256)
    trainer: indexed(address)
    model_hash: bytes32
    model_uri: String[MAX_URI_LENGTH]

event Disqualified:
    task_id: indexed(uint256)
    trainer: indexed(address)
    model_hash: bytes32
    original: address

event EvalRevealed:
    task_id: indexed(uint256)
    eval_hash: bytes32
    eval_uri: String[MAX_URI_LENGTH]

event ScoresCommitted:
    task_id: indexed(uint256)
    validator: indexed(address)
    commitment: bytes32

event ScoresRevealed:
    task_id: indexed(uint256)
    validator: indexed(address)
    scores: DynArray[uint256, limits.MAX_TRAINERS]

event ConsensusReached:
    task_id: indexed(uint256)
    trainer: indexed(address)
    consensus: uint256

event Ranked:
    task_id: indexed(uint256)
    trainer: indexed(address)
    rank: uint256
    reward_weight: uint256

event TrustComputed:
    task_id: indexed(uint256)
    validator: indexed(address)
    trust: uint256
    reward_weight: uint256

event TaskFinalized:
    task_id: indexed(uint256)
    train_reward: uint256
    validator_reward: uint256
    protocol_fee: uint256
    refunded: uint256

# TaskCancelled: `refunded` goes back to the creator; the trainers who
# revealed a model of their own share `trainer_share` (the bond and gamma of
# the reward) with their claims.
event TaskCancelled:
    task_id: indexed(uint256)
    refunded: uint256
    trainer_share: uint256

event RewardClaimed:
    task_id: indexed(uint256)
    participant: indexed(address)
    reward: uint256
    slashed: uint256

# The floors of new tasks' terms (set_floors); other parameters log
# ParameterUpdated.
event FloorsUpdated:
    validator_slots: uint256
    validator_stake_bps: uint256
    bond_bps: uint256
    trainer_stake_bps: uint256

# The payouts of a task's escrow, one event per transfer:
# BondReturned: the bond, to the creator that revealed its eval set.
event BondReturned:
    task_id: indexed(uint256)
    receiver: indexed(address)
    amount: uint256

# FeePaid: the protocol fee, to the treasury, at settlement.
event FeePaid:
    task_id: indexed(uint256)
    receiver: indexed(address)
    amount: uint256

# Refunded: reward nobody earned, to the treasury at settlement; the escrow
# back to the creator (the emission to the treasury) when nobody joined, or
# what the trainers do not take of it when the task was cancelled.
event Refunded:
    task_id: indexed(uint256)
    receiver: indexed(address)
    amount: uint256

# BondForfeited: the bond of a cancelled task in which no trainer revealed a
# model of its own, to the treasury.
event BondForfeited:
    task_id: indexed(uint256)
    receiver: indexed(address)
    amount: uint256

# DustReturned: rounding dust, at the last claim, to the creator (to the
# treasury for a cancelled task).
event DustReturned:
    task_id: indexed(uint256)
    receiver: indexed(address)
    amount: uint256

event EmissionFunded:
    task_id: indexed(uint256)
    amount: uint256
    total: uint256

# ParameterUpdated and TreasuryUpdated are modules/governed.vy's.


# ---------------------------------------------------------------------------
# Constructor
# ---------------------------------------------------------------------------


@deploy
def __init__(token_: IERC20, staking_: IStaking, admin: address, treasury_: address):
    """
    @notice Deploy the task manager with the default reward parameters.
    @dev The task manager must then be granted PROTOCOL_ROLE in staking.
         Defaults: gamma 0.2, q 0.85, fee 5%, plagiarism slash 10%,
         non-reveal slash 5%, minimum bond 1 token (docs/tasks.md).
    @param token_ The reward token, the same one staking holds.
    @param staking_ The staking contract.
    @param admin The parameter administrator (later: governance).
    @param treasury_ Receiver of protocol fees.
    """
    self._require(token_.address != empty(address), "task: token is the zero address")
    self._require(staking_.address != empty(address), "task: staking is the zero address")
    token = token_
    staking = staking_
    governed.__init__("task", admin, treasury_)
    self._set_gamma_wad(2 * 10**17)
    self._set_q_wad(85 * 10**16)
    self._set_protocol_fee_bps(500)
    self._set_plagiarism_slash_bps(1_000)
    self._set_nonreveal_slash_bps(500)
    self._set_min_creator_bond(constants.WAD)
    self._set_floors(DEFAULT_MIN_VALIDATOR_SLOTS, DEFAULT_MIN_VALIDATOR_STAKE_BPS, DEFAULT_MIN_BOND_BPS, DEFAULT_MIN_TRAINER_STAKE_BPS)
    # A settled task's rewards move into staking with staking.prepay, which
    # pulls them.
    self._require(extcall token_.approve(staking_.address, max_value(uint256), default_return_value=True), "task: approve failed")


# ---------------------------------------------------------------------------
# Creator
# ---------------------------------------------------------------------------


@external
def create_task(p: TaskParams) -> uint256:
    """
    @notice Post a task: escrow `p.reward` + `p.bond` and commit to the
            hidden eval set with keccak256(abi_encode(eval_hash, salt)).
    @dev Needs an allowance of reward + bond. Phases follow each other:
         submit (join + commit), model reveal, eval reveal, score commit,
         score reveal, then finalize.
    @param p The task's terms (see TaskParams and docs/tasks.md).
    @return The new task's id.
    """
    self._require(not staticcall staking.paused(), "task: new tasks are paused")
    self._require(p.reward != 0, "task: reward is zero")
    # First, so that the floors' products below cannot overflow.
    self._require(p.reward <= constants.MAX_SUPPLY and p.bond <= constants.MAX_SUPPLY, "task: amount above the token supply cap")
    self._require(p.bond >= max(self.min_creator_bond, p.reward * self.min_bond_bps // constants.BPS), "task: bond below minimum")
    self._require(p.spec_hash != empty(bytes32), "task: spec hash is empty")
    self._require(p.eval_commitment != empty(bytes32), "task: eval commitment is empty")
    self._require(p.min_trainer_stake != 0 and p.min_validator_stake != 0, "task: minimum stake is zero")
    self._require(p.max_trainers != 0 and p.max_trainers <= limits.MAX_TRAINERS, "task: trainer cap out of bounds")
    self._require(p.max_validators >= max(self.min_validator_slots, 1) and p.max_validators <= limits.MAX_VALIDATORS, "task: validator cap out of bounds")
    self._require(p.min_validator_stake >= p.reward * self.min_validator_stake_bps // constants.BPS, "task: validator stake too low")
    self._require(p.min_trainer_stake >= p.reward * self.min_trainer_stake_bps // constants.BPS, "task: trainer stake too low")
    self._require(p.tolerance_bps <= MAX_TOLERANCE_BPS, "task: tolerance out of bounds")
    for d: uint256 in [p.submit_duration, p.reveal_duration, p.eval_duration, p.score_commit_duration, p.score_reveal_duration]:
        self._require(d >= MIN_PHASE_DURATION and d <= MAX_PHASE_DURATION, "task: phase duration out of bounds")

    task_id: uint256 = self.task_count + 1
    self.task_count = task_id
    submit_end: uint256 = block.timestamp + p.submit_duration
    reveal_end: uint256 = submit_end + p.reveal_duration
    eval_end: uint256 = reveal_end + p.eval_duration
    score_commit_end: uint256 = eval_end + p.score_commit_duration
    score_reveal_end: uint256 = score_commit_end + p.score_reveal_duration
    # Each deadline fits its 40 bits (see the phase word's layout).
    clock: uint256 = submit_end | (reveal_end << _DEADLINE_BITS) | (eval_end << (2 * _DEADLINE_BITS)) | (score_commit_end << (3 * _DEADLINE_BITS)) | (score_reveal_end << (4 * _DEADLINE_BITS))
    self._tasks[task_id] = TaskRecord(
        creator=msg.sender,
        kind=p.kind,
        spec_hash=p.spec_hash,
        eval_commitment=p.eval_commitment,
        eval_hash=empty(bytes32),
        reward=p.reward,
        bond=p.bond,
        min_trainer_stake=p.min_trainer_stake,
        min_validator_stake=p.min_validator_stake,
        max_trainers=p.max_trainers,
        max_validators=p.max_validators,
        tolerance_bps=p.tolerance_bps,
        clock=clock,
        gamma_wad=self.gamma_wad,
        q_wad=self.q_wad,
        protocol_fee_bps=self.protocol_fee_bps,
        plagiarism_slash_bps=self.plagiarism_slash_bps,
        nonreveal_slash_bps=self.nonreveal_slash_bps,
        trainer_weight=0,
        validator_weight=0,
        cursor=0,
        train=0,
        validation=0,
        escrow=p.reward + p.bond,
        emission=0,
    )
    self._pull(p.reward + p.bond)
    log TaskCreated(
        task_id=task_id,
        creator=msg.sender,
        kind=p.kind,
        spec_hash=p.spec_hash,
        spec_uri=p.spec_uri,
        eval_commitment=p.eval_commitment,
        reward=p.reward,
        bond=p.bond,
        submit_end=submit_end,
        reveal_end=reveal_end,
        eval_end=eval_end,
        score_commit_end=score_commit_end,
        score_reveal_end=score_reveal_end,
    )
    return task_id


@external
def reveal_eval(task_id: uint256, eval_hash: bytes32, eval_uri: String[MAX_URI_LENGTH], salt: bytes32):
    """
    @notice Reveal the eval set committed at creation; the bond goes back to
            the creator.
    @dev Only during the eval reveal phase, after every model is revealed.
    @param task_id The task.
    @param eval_hash The eval set's content hash.
    @param eval_uri Where validators fetch the eval set.
    @param salt The salt of the commitment.
    """
    self._require(self._tasks[task_id].creator == msg.sender, "task: caller is not the creator")
    self._require(self._phase(task_id) == PHASE_EVAL_REVEAL, "task: not in the eval reveal phase")
    self._require(keccak256(abi_encode(eval_hash, salt)) == self._tasks[task_id].eval_commitment, "task: eval reveal does not match commitment")
    self._tasks[task_id].eval_hash = eval_hash
    self._tasks[task_id].clock |= _EVAL_REVEALED
    log EvalRevealed(task_id=task_id, eval_hash=eval_hash, eval_uri=eval_uri)
    bond: uint256 = self._tasks[task_id].bond
    if self._pay_out(task_id, msg.sender, bond):
        log BondReturned(task_id=task_id, receiver=msg.sender, amount=bond)


# ---------------------------------------------------------------------------
# Trainers and validators
# ---------------------------------------------------------------------------


@external
def join(task_id: uint256, role: uint256, amount: uint256):
    """
    @notice Join a task as a trainer or a validator, locking `amount` of the
            caller's staking pool for the task.
    @dev Only during the submit phase; one role per address per task; the
         creator cannot join its own task.
    @param task_id The task.
    @param role ROLE_TRAINER (1) or ROLE_VALIDATOR (2).
    @param amount Stake to lock, at least the task's minimum for the role.
    """
    self._require(self._phase(task_id) == PHASE_SUBMIT, "task: not in the submit phase")
    self._require(role == ROLE_TRAINER or role == ROLE_VALIDATOR, "task: unknown role")
    self._require(self._meta[task_id][msg.sender] == 0, "task: already joined")
    self._require(msg.sender != self._tasks[task_id].creator, "task: the creator cannot join")
    index: uint256 = 0
    clock: uint256 = self._tasks[task_id].clock
    # Each count stays below its cap, so adding one never carries out of
    # its 8 bits.
    if role == ROLE_TRAINER:
        self._require(amount >= self._tasks[task_id].min_trainer_stake, "task: stake below the minimum")
        index = (clock >> _N_TRAINERS_SHIFT) & _MASK_8
        self._require(index < self._tasks[task_id].max_trainers, "task: trainer slots are full")
        self.trainers[task_id][index] = msg.sender
        self._tasks[task_id].clock = clock + (1 << _N_TRAINERS_SHIFT)
    else:
        self._require(amount >= self._tasks[task_id].min_validator_stake, "task: stake below the minimum")
        index = (clock >> _N_VALIDATORS_SHIFT) & _MASK_8
        self._require(index < self._tasks[task_id].max_validators, "task: validator slots are full")
        self.validators[task_id][index] = msg.sender
        self._tasks[task_id].clock = clock + (1 << _N_VALIDATORS_SHIFT)
    extcall staking.allocate(msg.sender, amount)
    weight: uint256 = staticcall staking.stake_weight(msg.sender, amount)
    # The weight counts in the task (emission, split) only once committed.
    self._meta[task_id][msg.sender] = role | (index << _INDEX_SHIFT)
    # amount <= staking's MAX_AMOUNT (constants.MAX_SUPPLY, 1e27 < 2**128),
    # weight <= amount.
    self._stake[task_id][msg.sender] = (amount << 128) | weight
    # unclaimed + 1, in the high half of the escrow word.
    self._tasks[task_id].escrow += 1 << _HIGH_SHIFT
    log Joined(task_id=task_id, participant=msg.sender, role=role, index=index, stake=amount, weight=weight)


@external
def commit_model(task_id: uint256, commitment: bytes32):
    """
    @notice Commit to a model: keccak256(abi_encode(model_hash, trainer, salt)).
    @dev During the submit phase; a new commitment replaces the old one and
         its block becomes the commit block (ties in ranking go to the
         earlier block); committing the same value again keeps the block.
    @param task_id The task.
    @param commitment The commitment.
    """
    self._require(self._phase(task_id) == PHASE_SUBMIT, "task: not in the submit phase")
    meta: uint256 = self._member(task_id, ROLE_TRAINER)
    self._require(commitment != empty(bytes32), "task: commitment is empty")
    if self._commitment[task_id][msg.sender] == commitment:
        return
    self._commitment[task_id][msg.sender] = commitment
    if meta & _COMMITTED == 0:
        self._tasks[task_id].trainer_weight += self._stake[task_id][msg.sender] & _LOW_128
    meta = (meta & ~(_MASK_64 << _BLOCK_SHIFT)) | (block.number << _BLOCK_SHIFT) | _COMMITTED
    self._meta[task_id][msg.sender] = meta
    log ModelCommitted(task_id=task_id, trainer=msg.sender, commitment=commitment, commit_block=block.number)


@external
def reveal_model(task_id: uint256, model_hash: bytes32, model_uri: String[MAX_URI_LENGTH], salt: bytes32):
    """
    @notice Reveal the committed model's content hash and where to fetch it.
    @dev During the model reveal phase. When two trainers reveal the same
         hash, the earlier commit (block, then join order) keeps it and the
         other is disqualified: it earns nothing and is slashed on claim.
    @param task_id The task.
    @param model_hash The model artifact's content hash.
    @param model_uri Where validators fetch the artifact.
    @param salt The salt of the commitment.
    """
    self._require(self._phase(task_id) == PHASE_MODEL_REVEAL, "task: not in the model reveal phase")
    meta: uint256 = self._revealer(task_id, ROLE_TRAINER)
    self._require(model_hash != empty(bytes32), "task: model hash is empty")
    self._require(keccak256(abi_encode(model_hash, msg.sender, salt)) == self._commitment[task_id][msg.sender], "task: reveal does not match commitment")
    meta |= _REVEALED
    # The commitment is spent: the slot now holds the model hash.
    self._commitment[task_id][msg.sender] = model_hash
    log ModelRevealed(task_id=task_id, trainer=msg.sender, model_hash=model_hash, model_uri=model_uri)

    # train_weight_sum counts the weight of the trainers who revealed a
    # model of their own until the ranking (T, and the cancellation split).
    weight: uint256 = self._stake[task_id][msg.sender] & _LOW_128
    holder: address = self.model_owner[task_id][model_hash]
    if holder == empty(address):
        self.model_owner[task_id][model_hash] = msg.sender
        # train_weight_sum, the low half of `train` (train_reward is 0 until
        # settlement).
        self._tasks[task_id].train += weight
    else:
        holder_meta: uint256 = self._meta[task_id][holder]
        if self._order_key(meta) < self._order_key(holder_meta):
            # The caller committed first: the holder copied it.
            self._meta[task_id][holder] = holder_meta | _DISQUALIFIED
            self.model_owner[task_id][model_hash] = msg.sender
            self._tasks[task_id].train = self._tasks[task_id].train + weight - (self._stake[task_id][holder] & _LOW_128)
            log Disqualified(task_id=task_id, trainer=holder, model_hash=model_hash, original=msg.sender)
        else:
            meta |= _DISQUALIFIED
            log Disqualified(task_id=task_id, trainer=msg.sender, model_hash=model_hash, original=holder)
    self._meta[task_id][msg.sender] = meta


@external
def commit_scores(task_id: uint256, commitment: bytes32):
    """
    @notice Commit to scores: keccak256(abi_encode(scores, validator, salt)),
            `scores` being one uint256 per trainer in join order.
    @dev From the eval reveal until the score commit deadline; a new
         commitment replaces the old one.
    @param task_id The task.
    @param commitment The commitment.
    """
    self._require(self._phase(task_id) == PHASE_SCORE_COMMIT, "task: not in the score commit phase")
    meta: uint256 = self._member(task_id, ROLE_VALIDATOR)
    self._require(commitment != empty(bytes32), "task: commitment is empty")
    self._commitment[task_id][msg.sender] = commitment
    if meta & _COMMITTED == 0:
        self._tasks[task_id].validator_weight += self._stake[task_id][msg.sender] & _LOW_128
    self._meta[task_id][msg.sender] = meta | _COMMITTED
    log ScoresCommitted(task_id=task_id, validator=msg.sender, commitment=commitment)


@external
def reveal_scores(task_id: uint256, scores: DynArray[uint256, limits.MAX_TRAINERS], salt: bytes32):
    """
    @notice Reveal the committed scores: one per trainer, in join order,
            lower is better, INVALID_SCORE for an invalid model. Entries of
            trainers that revealed no valid model are ignored.
    @param task_id The task.
    @param scores The scores, each at most INVALID_SCORE (2**32 - 1).
    @param salt The salt of the commitment.
    """
    self._require(self._phase(task_id) == PHASE_SCORE_REVEAL, "task: not in the score reveal phase")
    meta: uint256 = self._revealer(task_id, ROLE_VALIDATOR)
    n: uint256 = len(scores)
    self._require(n == (self._tasks[task_id].clock >> _N_TRAINERS_SHIFT) & _MASK_8, "task: one score per trainer expected")
    self._require(keccak256(abi_encode(scores, msg.sender, salt)) == self._commitment[task_id][msg.sender], "task: reveal does not match commitment")
    packed: uint256 = 0
    for i: uint256 in range(limits.MAX_TRAINERS):
        if i >= n:
            break
        score: uint256 = scores[i]
        self._require(score <= limits.INVALID_SCORE, "task: score out of range")
        packed |= score << (32 * (i % limits.SCORES_PER_SLOT))
        if i % limits.SCORES_PER_SLOT == limits.SCORES_PER_SLOT - 1 or i == n - 1:
            self._scores[task_id][msg.sender][i // limits.SCORES_PER_SLOT] = packed
            packed = 0
    self._meta[task_id][msg.sender] = meta | _REVEALED
    log ScoresRevealed(task_id=task_id, validator=msg.sender, scores=scores)


# ---------------------------------------------------------------------------
# Permissionless: finalize, cancel, claim
# ---------------------------------------------------------------------------


@external
def finalize(task_id: uint256) -> bool:
    """
    @notice Advance the task's settlement by one bounded step; call until it
            returns True. Steps: consensus of CONSENSUS_BATCH submissions at
            a time, then the ranking, then the trust of TRUST_BATCH
            validators at a time, then the reward split.
    @param task_id The task.
    @return True once the task is finalized.
    """
    phase: uint256 = self._phase(task_id)
    self._require(phase != PHASE_FINALIZED, "task: already finalized")
    self._require(phase == PHASE_FINALIZE, "task: scoring is not over")
    stage: uint256 = self._stage(task_id)
    if stage == _STAGE_CONSENSUS:
        self._consensus_step(task_id)
    elif stage == _STAGE_RANK:
        self._rank_step(task_id)
    elif stage == _STAGE_TRUST:
        self._trust_step(task_id)
    else:
        self._settle(task_id)
    return self._stage(task_id) == _STAGE_DONE


@external
def cancel(task_id: uint256):
    """
    @notice Cancel a task whose eval set was not revealed in time: the bond
            and gamma of the reward go to the trainers who revealed a model
            of their own, by stake weight (paid with their claims), the rest
            of the reward back to the creator; stakes are released on claim.
    @dev Claims cancel the task by themselves; this call only makes the
         refund happen without waiting for one.
    @param task_id The task.
    """
    self._require(self._phase(task_id) == PHASE_CANCELLED, "task: not cancellable")
    self._require(self._tasks[task_id].clock & _CANCELLED == 0, "task: already cancelled")
    self._cancel(task_id)


@external
def fund(task_id: uint256, amount: uint256):
    """
    @notice Add newly minted tokens to a running task's reward; they follow
            the same split as the escrowed reward, and go to the treasury
            (not to the creator) when they cannot be paid.
    @dev EMISSION_ROLE only; pulls `amount` from the caller. Until the score
         reveal ends.
    @param task_id The task.
    @param amount Tokens to add, in wei.
    """
    self._require(access_control.hasRole[EMISSION_ROLE][msg.sender], "task: caller is not the emission contract")
    self._require(self._is_running(task_id), "task: not running")
    self._require(amount != 0, "task: zero amount")
    total: uint256 = self._tasks[task_id].emission + amount
    self._tasks[task_id].emission = total
    # The balance, the low half of the escrow word, stays below the cap.
    self._tasks[task_id].escrow += amount
    self._pull(amount)
    log EmissionFunded(task_id=task_id, amount=amount, total=total)


@external
def claim(task_id: uint256, participant: address) -> uint256:
    """
    @notice Settle `participant`'s part in a finalized or cancelled task:
            release its stake (slashing a plagiarist, or anyone that did not
            reveal) and pay its reward into its staking pool. Anyone may
            call it, once per participant; O(1) gas.
    @param task_id The task.
    @param participant The trainer or validator.
    @return The reward paid.
    """
    phase: uint256 = self._phase(task_id)
    self._require(phase == PHASE_FINALIZED or phase == PHASE_CANCELLED, "task: not settled yet")
    meta: uint256 = self._meta[task_id][participant]
    role: uint256 = meta & _MASK_8
    self._require(role != ROLE_NONE, "task: not a participant")
    self._require(meta & _CLAIMED == 0, "task: already claimed")
    self._meta[task_id][participant] = meta | _CLAIMED
    if phase == PHASE_CANCELLED and self._tasks[task_id].clock & _CANCELLED == 0:
        self._cancel(task_id)

    stake: uint256 = self._stake[task_id][participant] >> 128
    reward: uint256 = 0
    slash_bps: uint256 = 0
    reward, slash_bps = self._entitlement(task_id, participant, meta, phase)
    # The reward comes out of the task's balance (it is at most that) and
    # the participant out of those yet to claim (it had not claimed).
    escrow: uint256 = self._tasks[task_id].escrow - reward - (1 << _HIGH_SHIFT)
    self._tasks[task_id].escrow = escrow
    # Release (staking caps the slash at its maximum) and pay, from the
    # rewards this contract prepaid at settlement, in one call.
    slashed: uint256 = extcall staking.settle(participant, stake, slash_bps, reward)
    log RewardClaimed(task_id=task_id, participant=participant, reward=reward, slashed=slashed)

    if escrow >> _HIGH_SHIFT == 0:
        # Rounding dust (a few wei): back to the creator, or to the treasury
        # for a cancelled task (the creator forfeited its bond). A settled
        # task's balance is all prepaid in staking.
        receiver: address = self._tasks[task_id].creator
        if phase == PHASE_CANCELLED:
            receiver = governed.treasury
        if escrow != 0:
            self._tasks[task_id].escrow = 0
            extcall staking.return_prepaid(receiver, escrow)
            log DustReturned(task_id=task_id, receiver=receiver, amount=escrow)
    return reward


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------


@external
@view
def tasks(task_id: uint256) -> Task:
    """
    @notice Everything the task manager keeps about a task.
    @dev The record with its packed words unpacked.
    @param task_id The task.
    @return The task (all zero for an id never created).
    """
    t: TaskRecord = self._tasks[task_id]
    clock: uint256 = t.clock
    return Task(
        creator=t.creator,
        kind=t.kind,
        spec_hash=t.spec_hash,
        eval_commitment=t.eval_commitment,
        eval_hash=t.eval_hash,
        reward=t.reward,
        bond=t.bond,
        min_trainer_stake=t.min_trainer_stake,
        min_validator_stake=t.min_validator_stake,
        max_trainers=t.max_trainers,
        max_validators=t.max_validators,
        tolerance_bps=t.tolerance_bps,
        submit_end=clock & _DEADLINE_MASK,
        reveal_end=(clock >> _DEADLINE_BITS) & _DEADLINE_MASK,
        eval_end=(clock >> (2 * _DEADLINE_BITS)) & _DEADLINE_MASK,
        score_commit_end=(clock >> (3 * _DEADLINE_BITS)) & _DEADLINE_MASK,
        score_reveal_end=(clock >> (4 * _DEADLINE_BITS)) & _DEADLINE_MASK,
        gamma_wad=t.gamma_wad,
        q_wad=t.q_wad,
        protocol_fee_bps=t.protocol_fee_bps,
        plagiarism_slash_bps=t.plagiarism_slash_bps,
        nonreveal_slash_bps=t.nonreveal_slash_bps,
        n_trainers=(clock >> _N_TRAINERS_SHIFT) & _MASK_8,
        n_validators=(clock >> _N_VALIDATORS_SHIFT) & _MASK_8,
        trainer_weight=t.trainer_weight,
        validator_weight=t.validator_weight,
        eval_revealed=clock & _EVAL_REVEALED != 0,
        cancelled=clock & _CANCELLED != 0,
        stage=(clock >> _STAGE_SHIFT) & _MASK_8,
        cursor=t.cursor,
        train_reward=t.train >> _HIGH_SHIFT,
        validator_reward=t.validation >> _HIGH_SHIFT,
        train_weight_sum=t.train & _LOW_128,
        validator_weight_sum=t.validation & _LOW_128,
        balance=t.escrow & _LOW_128,
        unclaimed=t.escrow >> _HIGH_SHIFT,
        emission=t.emission,
    )


@external
@view
def phase(task_id: uint256) -> uint256:
    """
    @notice The task's current phase (PHASE_* constants).
    @param task_id The task.
    @return The phase.
    """
    return self._phase(task_id)


@external
@view
def participant(task_id: uint256, account: address) -> Participant:
    """
    @notice Everything the task knows about `account`.
    @dev For a trainer that revealed, `commitment` holds the model hash.
    @param task_id The task.
    @param account The participant.
    @return The unpacked record (role 0 when `account` did not join).
    """
    meta: uint256 = self._meta[task_id][account]
    packed_stake: uint256 = self._stake[task_id][account]
    rank_plus_one: uint256 = (meta >> _RANK_SHIFT) & _MASK_16
    return Participant(
        role=meta & _MASK_8,
        index=(meta >> _INDEX_SHIFT) & _MASK_16,
        stake=packed_stake >> 128,
        weight=packed_stake & _LOW_128,
        commitment=self._commitment[task_id][account],
        commit_block=(meta >> _BLOCK_SHIFT) & _MASK_64,
        committed=meta & _COMMITTED != 0,
        revealed=meta & _REVEALED != 0,
        disqualified=meta & _DISQUALIFIED != 0,
        claimed=meta & _CLAIMED != 0,
        rank=max_value(uint256) if rank_plus_one == 0 else rank_plus_one - 1,
        reward_weight=meta >> _REWARD_SHIFT,
    )


@external
@view
def consensus_of(task_id: uint256, trainer: address) -> uint256:
    """
    @notice The consensus score of a trainer's submission.
    @param task_id The task.
    @param trainer The trainer.
    @return The consensus (INVALID_SCORE for an invalid, disqualified or
            unrevealed submission, and before consensus is computed).
    """
    meta: uint256 = self._meta[task_id][trainer]
    if meta & _MASK_8 != ROLE_TRAINER:
        return limits.INVALID_SCORE
    index: uint256 = (meta >> _INDEX_SHIFT) & _MASK_16
    if self._stage(task_id) == _STAGE_CONSENSUS and index >= self._tasks[task_id].cursor:
        return limits.INVALID_SCORE
    return self._consensus_at(task_id, index)


@external
@view
def emission_weight(task_id: uint256) -> uint256:
    """
    @notice The task's weight in the emission split: the stake weight of
            everyone who has committed (a model or scores), while the task
            runs (0 once scoring is over or the task is cancelled).
    @param task_id The task.
    @return The weight, in wei of effective stake.
    """
    if not self._is_running(task_id):
        return 0
    return self._tasks[task_id].trainer_weight + self._tasks[task_id].validator_weight


@external
@view
def is_running(task_id: uint256) -> bool:
    """
    @notice Whether the task is running: from its submit phase to the end of
            its score reveal, the time it may receive emission.
    @param task_id The task.
    @return True in PHASE_SUBMIT to PHASE_SCORE_REVEAL, False otherwise
            (unknown, finished or cancelled tasks).
    """
    return self._is_running(task_id)


@external
@view
def claimable(task_id: uint256, account: address) -> uint256:
    """
    @notice The reward `account` would receive by claiming now.
    @param task_id The task.
    @param account The participant.
    @return The reward in wei (0 before settlement or after the claim).
    """
    meta: uint256 = self._meta[task_id][account]
    phase: uint256 = self._phase(task_id)
    if meta & _MASK_8 == ROLE_NONE or meta & _CLAIMED != 0:
        return 0
    if phase != PHASE_FINALIZED and phase != PHASE_CANCELLED:
        return 0
    reward: uint256 = 0
    slash_bps: uint256 = 0
    reward, slash_bps = self._entitlement(task_id, account, meta, phase)
    return reward


# ---------------------------------------------------------------------------
# Admin (DEFAULT_ADMIN_ROLE: governance)
# ---------------------------------------------------------------------------


@external
def set_gamma_wad(new_value: uint256):
    """
    @notice Set gamma, the share of the reward guaranteed to each side.
    @param new_value WAD, at most 0.5e18.
    """
    governed._check_admin()
    self._set_gamma_wad(new_value)


@external
def set_q_wad(new_value: uint256):
    """
    @notice Set q, the per-rank decay of trainer rewards.
    @param new_value WAD, at most 1e18.
    """
    governed._check_admin()
    self._set_q_wad(new_value)


@external
def set_protocol_fee_bps(new_value: uint256):
    """
    @notice Set the protocol fee on task rewards.
    @param new_value Bps, at most MAX_PROTOCOL_FEE_BPS.
    """
    governed._check_admin()
    self._set_protocol_fee_bps(new_value)


@external
def set_plagiarism_slash_bps(new_value: uint256):
    """
    @notice Set the slash of a plagiarist's stake (staking's maximum still
            caps it at claim time).
    @param new_value Bps, at most 10_000.
    """
    governed._check_admin()
    self._set_plagiarism_slash_bps(new_value)


@external
def set_nonreveal_slash_bps(new_value: uint256):
    """
    @notice Set the slash of a validator that does not reveal its scores.
    @param new_value Bps, at most 10_000.
    """
    governed._check_admin()
    self._set_nonreveal_slash_bps(new_value)


@external
def set_floors(validator_slots: uint256, validator_stake_bps: uint256, bond_bps: uint256, trainer_stake_bps: uint256):
    """
    @notice Set the floors of new tasks' terms: the fewest validator slots,
            and the least validator stake, bond and trainer stake as
            fractions of the reward.
    @param validator_slots At most MAX_VALIDATORS.
    @param validator_stake_bps Bps of the reward, at most 10_000.
    @param bond_bps Bps of the reward, at most 10_000.
    @param trainer_stake_bps Bps of the reward, at most 10_000.
    """
    governed._check_admin()
    self._set_floors(validator_slots, validator_stake_bps, bond_bps, trainer_stake_bps)


@external
def set_min_creator_bond(new_value: uint256):
    """
    @notice Set the smallest bond a creator must post.
    @param new_value Wei, at most the token's cap (constants.MAX_SUPPLY).
    """
    governed._check_admin()
    self._set_min_creator_bond(new_value)


# ---------------------------------------------------------------------------
# Internal: checks, phases and packing
# ---------------------------------------------------------------------------


@internal
@pure
def _require(ok: bool, reason: String[64]):
    # `assert ok, reason`, written once: every inline assert repeats the
    # code that ABI-encodes its reason, and sharing it saves about 2.8 kB of
    # bytecode, which keeps the contract under the EIP-170 limit. The revert
    # data is the same Error(string) an assert produces.
    if not ok:
        raw_revert(abi_encode(reason, method_id=method_id("Error(string)")))


@internal
@view
def _member(task_id: uint256, role: uint256) -> uint256:
    # The caller's participant word, checked to be of `role`.
    meta: uint256 = self._meta[task_id][msg.sender]
    if role == ROLE_TRAINER:
        self._require(meta & _MASK_8 == role, "task: caller is not a trainer")
    else:
        self._require(meta & _MASK_8 == role, "task: caller is not a validator")
    return meta


@internal
@view
def _revealer(task_id: uint256, role: uint256) -> uint256:
    # The caller's participant word, checked to have committed and not yet
    # revealed in `role`.
    meta: uint256 = self._member(task_id, role)
    self._require(meta & _COMMITTED != 0, "task: nothing committed")
    self._require(meta & _REVEALED == 0, "task: already revealed")
    return meta


@internal
@view
def _phase(task_id: uint256) -> uint256:
    # One storage read: the phase word holds the deadlines, the stage and
    # the eval reveal (see its layout).
    clock: uint256 = self._tasks[task_id].clock
    if clock == 0:
        return PHASE_NONE
    # Both ends first.
    stage: uint256 = (clock >> _STAGE_SHIFT) & _MASK_8
    if stage == _STAGE_DONE:
        return PHASE_FINALIZED
    if stage == _STAGE_CANCELLED:
        return PHASE_CANCELLED
    if block.timestamp < clock & _DEADLINE_MASK:
        return PHASE_SUBMIT
    if block.timestamp < (clock >> _DEADLINE_BITS) & _DEADLINE_MASK:
        return PHASE_MODEL_REVEAL
    if clock & _EVAL_REVEALED == 0:
        if block.timestamp < (clock >> (2 * _DEADLINE_BITS)) & _DEADLINE_MASK:
            return PHASE_EVAL_REVEAL
        return PHASE_CANCELLED
    if block.timestamp < (clock >> (3 * _DEADLINE_BITS)) & _DEADLINE_MASK:
        return PHASE_SCORE_COMMIT
    if block.timestamp < (clock >> (4 * _DEADLINE_BITS)) & _DEADLINE_MASK:
        return PHASE_SCORE_REVEAL
    return PHASE_FINALIZE


@internal
@view
def _stage(task_id: uint256) -> uint256:
    return (self._tasks[task_id].clock >> _STAGE_SHIFT) & _MASK_8


@internal
def _next_stage(task_id: uint256):
    # Each finalize stage leads to the next (consensus, rank, trust,
    # settle, done): the stage field goes up by one, at most to 4.
    self._tasks[task_id].clock += 1 << _STAGE_SHIFT


@internal
@view
def _count(task_id: uint256, field: uint256) -> uint256:
    # n_trainers (_N_TRAINERS_SHIFT) or n_validators (_N_VALIDATORS_SHIFT).
    return (self._tasks[task_id].clock >> field) & _MASK_8


@internal
@view
def _is_running(task_id: uint256) -> bool:
    # Submit phase to score reveal: joined stake is at work and emission
    # may be added to the reward.
    phase: uint256 = self._phase(task_id)
    return phase >= PHASE_SUBMIT and phase <= PHASE_SCORE_REVEAL


@internal
@view
def _entitlement(task_id: uint256, account: address, meta: uint256, phase: uint256) -> (uint256, uint256):
    # (reward, slash in bps) of a participant of a settled task.
    if meta & _DISQUALIFIED != 0:
        # A plagiarist earns nothing, cancelled task or not.
        return 0, self._tasks[task_id].plagiarism_slash_bps
    role: uint256 = meta & _MASK_8
    if phase == PHASE_CANCELLED and role == ROLE_VALIDATOR:
        # The eval set never came: validators had nothing to score.
        return 0, 0
    # Anyone who did not reveal (a trainer that never committed or kept its
    # model back, a validator that kept its scores) is slashed.
    if meta & _REVEALED == 0:
        return 0, self._tasks[task_id].nonreveal_slash_bps
    if phase == PHASE_CANCELLED:
        # A trainer that revealed a model of its own: its part of the bond
        # and of the trainers' guaranteed share, by stake weight.
        share: uint256 = 0
        total: uint256 = 0
        share, total = self._cancel_terms(task_id)
        return rewards._share(share, self._stake[task_id][account] & _LOW_128, total), 0
    weight: uint256 = meta >> _REWARD_SHIFT
    # One word: the side's reward and its weight sum.
    payout: uint256 = self._tasks[task_id].validation
    if role == ROLE_TRAINER:
        payout = self._tasks[task_id].train
    return rewards._share(payout >> _HIGH_SHIFT, weight, payout & _LOW_128), 0


@internal
@view
def _cancel_terms(task_id: uint256) -> (uint256, uint256):
    # (what the trainers who revealed a model of their own share, their
    # total stake weight) of a cancelled task: the bond and gamma of the
    # escrowed reward, nothing when no such trainer is left. Stored by
    # `_cancel`; computed here before it runs (for `claimable`). Until the
    # ranking, train_weight_sum is the weight of the trainers who revealed a
    # model of their own (kept by `reveal_model`).
    train: uint256 = self._tasks[task_id].train
    total: uint256 = train & _LOW_128
    if self._tasks[task_id].clock & _CANCELLED != 0:
        return train >> _HIGH_SHIFT, total
    if total == 0:
        return 0, 0
    return self._tasks[task_id].bond + self._tasks[task_id].reward * self._tasks[task_id].gamma_wad // constants.WAD, total


@internal
@pure
def _order_key(meta: uint256) -> uint256:
    # Commit block first, then join order: the earlier commit keeps a model
    # hash, and sorts first among equal consensus.
    return (((meta >> _BLOCK_SHIFT) & _MASK_64) << 16) | ((meta >> _INDEX_SHIFT) & _MASK_16)


@internal
@view
def _score(task_id: uint256, validator: address, index: uint256) -> uint256:
    word: uint256 = self._scores[task_id][validator][index // limits.SCORES_PER_SLOT]
    return (word >> (32 * (index % limits.SCORES_PER_SLOT))) & limits.INVALID_SCORE


@internal
@view
def _consensus_at(task_id: uint256, index: uint256) -> uint256:
    word: uint256 = self._consensus[task_id][index // limits.SCORES_PER_SLOT]
    return (word >> (32 * (index % limits.SCORES_PER_SLOT))) & limits.INVALID_SCORE


@internal
@view
def _eligible(meta: uint256) -> bool:
    # A submission validators score: revealed and not disqualified.
    return meta & _REVEALED != 0 and meta & _DISQUALIFIED == 0


# ---------------------------------------------------------------------------
# Internal: finalize stages
# ---------------------------------------------------------------------------


@internal
def _consensus_step(task_id: uint256):
    n_trainers: uint256 = self._count(task_id, _N_TRAINERS_SHIFT)
    n_validators: uint256 = self._count(task_id, _N_VALIDATORS_SHIFT)
    start: uint256 = self._tasks[task_id].cursor
    end: uint256 = min(start + CONSENSUS_BATCH, n_trainers)

    # The revealed validators and their weights, once per call.
    revealed: DynArray[address, limits.MAX_VALIDATORS] = []
    weights: DynArray[uint256, limits.MAX_VALIDATORS] = []
    revealed_weight: uint256 = 0
    for j: uint256 in range(limits.MAX_VALIDATORS):
        if j >= n_validators:
            break
        validator: address = self.validators[task_id][j]
        if self._meta[task_id][validator] & _REVEALED != 0:
            revealed.append(validator)
            w: uint256 = self._stake[task_id][validator] & _LOW_128
            weights.append(w)
            revealed_weight += w
    # For the split, S is the weight of the validators who revealed.
    self._tasks[task_id].validator_weight = revealed_weight

    for i: uint256 in range(start, start + CONSENSUS_BATCH, bound=limits.MAX_TRAINERS):
        if i >= end:
            break
        trainer: address = self.trainers[task_id][i]
        value: uint256 = limits.INVALID_SCORE
        if self._eligible(self._meta[task_id][trainer]) and len(revealed) != 0:
            values: DynArray[uint256, limits.MAX_VALIDATORS] = []
            for validator: address in revealed:
                values.append(self._score(task_id, validator, i))
            value = weighted_median._weighted_median(values, weights)
        slot: uint256 = i // limits.SCORES_PER_SLOT
        self._consensus[task_id][slot] |= value << (32 * (i % limits.SCORES_PER_SLOT))
        log ConsensusReached(task_id=task_id, trainer=trainer, consensus=value)

    if end == n_trainers:
        self._next_stage(task_id)
        self._tasks[task_id].cursor = 0
    else:
        self._tasks[task_id].cursor = end


@internal
def _rank_step(task_id: uint256):
    n_trainers: uint256 = self._count(task_id, _N_TRAINERS_SHIFT)
    # Sort keys: consensus << 112 | commit order key (80 bits: block << 16 | index).
    keys: DynArray[uint256, limits.MAX_TRAINERS] = []
    for i: uint256 in range(limits.MAX_TRAINERS):
        if i >= n_trainers:
            break
        trainer: address = self.trainers[task_id][i]
        meta: uint256 = self._meta[task_id][trainer]
        value: uint256 = self._consensus_at(task_id, i)
        if value != limits.INVALID_SCORE and self._eligible(meta):
            key: uint256 = (value << 112) | self._order_key(meta)
            # Insertion into the sorted keys: at most MAX_TRAINERS moves.
            keys.append(key)
            j: uint256 = len(keys) - 1
            for _k: uint256 in range(limits.MAX_TRAINERS):
                if j == 0 or keys[j - 1] <= key:
                    break
                keys[j] = keys[j - 1]
                j -= 1
            keys[j] = key

    # Ranks are dense and shared within the tolerance: a submission whose
    # consensus is within tolerance of the best of its rank group takes the
    # same rank (the same q^rank), so splitting one model's stake over
    # near-copies earns no more than staking it at one address.
    q: uint256 = self._tasks[task_id].q_wad
    tolerance: uint256 = self._tasks[task_id].tolerance_bps
    factor: uint256 = constants.WAD
    total: uint256 = 0
    rank: uint256 = 0
    leader: uint256 = 0
    if len(keys) != 0:
        leader = keys[0] >> 112
    for key: uint256 in keys:
        if not self._agrees(key >> 112, leader, tolerance):
            leader = key >> 112
            factor = factor * q // constants.WAD
            rank += 1
        index: uint256 = key & _MASK_16
        trainer: address = self.trainers[task_id][index]
        weight: uint256 = factor * (self._stake[task_id][trainer] & _LOW_128) // constants.WAD
        self._meta[task_id][trainer] |= ((rank + 1) << _RANK_SHIFT) | (weight << _REWARD_SHIFT)
        total += weight
        log Ranked(task_id=task_id, trainer=trainer, rank=rank, reward_weight=weight)
    # For the split, T is the weight of the trainers who revealed a model of
    # their own (kept by `reveal_model` until now).
    self._tasks[task_id].trainer_weight = self._tasks[task_id].train & _LOW_128
    # train_weight_sum from now on; train_reward is still 0 (settlement
    # sets it).
    self._tasks[task_id].train = total
    self._next_stage(task_id)


@internal
def _trust_step(task_id: uint256):
    n_trainers: uint256 = self._count(task_id, _N_TRAINERS_SHIFT)
    n_validators: uint256 = self._count(task_id, _N_VALIDATORS_SHIFT)
    tolerance: uint256 = self._tasks[task_id].tolerance_bps
    start: uint256 = self._tasks[task_id].cursor
    end: uint256 = min(start + TRUST_BATCH, n_validators)

    # The eligible submissions and their consensus, once per call.
    indices: DynArray[uint256, limits.MAX_TRAINERS] = []
    consensus: DynArray[uint256, limits.MAX_TRAINERS] = []
    for i: uint256 in range(limits.MAX_TRAINERS):
        if i >= n_trainers:
            break
        if self._eligible(self._meta[task_id][self.trainers[task_id][i]]):
            indices.append(i)
            consensus.append(self._consensus_at(task_id, i))

    # validator_weight_sum, the low half (validator_reward is 0 until
    # settlement).
    total: uint256 = self._tasks[task_id].validation
    for j: uint256 in range(start, start + TRUST_BATCH, bound=limits.MAX_VALIDATORS):
        if j >= end:
            break
        validator: address = self.validators[task_id][j]
        if self._meta[task_id][validator] & _REVEALED == 0 or len(indices) == 0:
            continue
        agreed: uint256 = 0
        for k: uint256 in range(limits.MAX_TRAINERS):
            if k >= len(indices):
                break
            if self._agrees(self._score(task_id, validator, indices[k]), consensus[k], tolerance):
                agreed += 1
        trust_wad: uint256 = agreed * constants.WAD // len(indices)
        weight: uint256 = trust_wad * (self._stake[task_id][validator] & _LOW_128) // constants.WAD
        self.trust[task_id][validator] = trust_wad
        self._meta[task_id][validator] |= weight << _REWARD_SHIFT
        total += weight
        log TrustComputed(task_id=task_id, validator=validator, trust=trust_wad, reward_weight=weight)

    self._tasks[task_id].validation = total
    if end == n_validators:
        self._next_stage(task_id)
        self._tasks[task_id].cursor = 0
    else:
        self._tasks[task_id].cursor = end


@internal
@pure
def _agrees(score: uint256, consensus: uint256, tolerance_bps: uint256) -> bool:
    # Both invalid, or both valid and |score - consensus| <= tolerance x consensus.
    if score == limits.INVALID_SCORE or consensus == limits.INVALID_SCORE:
        return score == consensus
    diff: uint256 = score - consensus if score >= consensus else consensus - score
    return diff * constants.BPS <= tolerance_bps * consensus


@internal
def _settle(task_id: uint256):
    emission: uint256 = self._tasks[task_id].emission
    reward: uint256 = self._tasks[task_id].reward + emission
    train_sum: uint256 = self._tasks[task_id].train
    validator_sum: uint256 = self._tasks[task_id].validation
    fee: uint256 = 0
    refund: uint256 = reward
    train_reward: uint256 = 0
    validator_reward: uint256 = 0
    if train_sum != 0 or validator_sum != 0:
        fee = reward * self._tasks[task_id].protocol_fee_bps // constants.BPS
        # fee <= reward since the fee is at most MAX_PROTOCOL_FEE_BPS.
        distributable: uint256 = unsafe_sub(reward, fee)
        train_reward = rewards._train_share(
            distributable,
            self._tasks[task_id].gamma_wad,
            self._tasks[task_id].trainer_weight,
            self._tasks[task_id].validator_weight,
        )
        validator_reward = distributable - train_reward
        if train_sum == 0:
            train_reward = 0
        if validator_sum == 0:
            validator_reward = 0
        refund = distributable - train_reward - validator_reward
    # Each reward is at most the task's reward: it fits its 128 bits.
    self._tasks[task_id].train = (train_reward << _HIGH_SHIFT) | train_sum
    self._tasks[task_id].validation = (validator_reward << _HIGH_SHIFT) | validator_sum
    self._next_stage(task_id)
    log TaskFinalized(task_id=task_id, train_reward=train_reward, validator_reward=validator_reward, protocol_fee=fee, refunded=refund)
    treasury: address = governed.treasury
    if self._pay_out(task_id, treasury, fee):
        log FeePaid(task_id=task_id, receiver=treasury, amount=fee)
    if self._tasks[task_id].escrow >> _HIGH_SHIFT == 0:
        # Nobody joined: the escrow goes back to the creator, the emission
        # to the treasury.
        self._refund(task_id, treasury, emission)
        self._refund(task_id, self._tasks[task_id].creator, self._tasks[task_id].escrow & _LOW_128)
    else:
        # What nobody earned goes to the treasury, never back to the
        # creator: a creator whose own validators void every model gets
        # nothing back for it.
        self._refund(task_id, treasury, refund)
    self._prepay(task_id)


@internal
def _cancel(task_id: uint256):
    # The creator kept the eval set back after seeing every model: the
    # trainers who revealed one of their own take the bond and gamma of the
    # escrowed reward, by stake weight (paid with their claims); the rest of
    # the reward goes back to the creator, the emission to the treasury.
    share: uint256 = 0
    total: uint256 = 0
    share, total = self._cancel_terms(task_id)
    clock: uint256 = self._tasks[task_id].clock
    self._tasks[task_id].clock = (clock & ~(_MASK_8 << _STAGE_SHIFT)) | (_STAGE_CANCELLED << _STAGE_SHIFT) | _CANCELLED
    # share <= reward + bond, below 2**128.
    self._tasks[task_id].train = (share << _HIGH_SHIFT) | total
    bond: uint256 = self._tasks[task_id].bond
    # share is 0 or bond + part of the reward, part <= reward / 2.
    refunded: uint256 = self._tasks[task_id].reward + bond - share if share != 0 else self._tasks[task_id].reward
    log TaskCancelled(task_id=task_id, refunded=refunded, trainer_share=share)
    treasury: address = governed.treasury
    self._refund(task_id, self._tasks[task_id].creator, refunded)
    self._refund(task_id, treasury, self._tasks[task_id].emission)
    if share == 0:
        # No trainer revealed a model of its own: the forfeited bond goes to
        # the treasury.
        if self._pay_out(task_id, treasury, bond):
            log BondForfeited(task_id=task_id, receiver=treasury, amount=bond)
    self._prepay(task_id)


@internal
def _prepay(task_id: uint256):
    # What a settled (or cancelled) task still holds is what its claims pay
    # (the rewards, or the trainers' share) and their rounding dust: it
    # moves into staking in one transfer, and each claim's reward is paid
    # from there (staking.settle), the dust sent back from there at the
    # last claim. From now on the task's balance is all in staking.
    left: uint256 = self._tasks[task_id].escrow & _LOW_128
    if left != 0:
        extcall staking.prepay(left)


@internal
def _refund(task_id: uint256, receiver: address, amount: uint256):
    # Reward nobody earned, back to where it came from.
    if self._pay_out(task_id, receiver, amount):
        log Refunded(task_id=task_id, receiver=receiver, amount=amount)


@internal
def _pull(amount: uint256):
    # Take `amount` of the caller's tokens into the task escrow.
    self._require(extcall token.transferFrom(msg.sender, self, amount, default_return_value=True), "task: transfer failed")


@internal
def _pay_out(task_id: uint256, receiver: address, amount: uint256) -> bool:
    # Send `amount` of the task's tokens to `receiver`; False, and nothing
    # sent, for zero. The caller logs what the payment was.
    if amount == 0:
        return False
    # The balance is the low half of the escrow word: no borrow past it.
    self._tasks[task_id].escrow -= amount
    self._require(extcall token.transfer(receiver, amount, default_return_value=True), "task: transfer failed")
    return True


# ---------------------------------------------------------------------------
# Internal: admin
# ---------------------------------------------------------------------------


@internal
def _set_gamma_wad(new_value: uint256):
    self._require(new_value <= MAX_GAMMA_WAD, "task: gamma out of bounds")
    self.gamma_wad = new_value
    governed._updated("gamma_wad", new_value)


@internal
def _set_q_wad(new_value: uint256):
    self._require(new_value <= constants.WAD, "task: q out of bounds")
    self.q_wad = new_value
    governed._updated("q_wad", new_value)


@internal
def _set_protocol_fee_bps(new_value: uint256):
    self._require(new_value <= MAX_PROTOCOL_FEE_BPS, "task: protocol fee out of bounds")
    self.protocol_fee_bps = new_value
    governed._updated("protocol_fee_bps", new_value)


@internal
def _set_plagiarism_slash_bps(new_value: uint256):
    self._require(new_value <= constants.BPS, "task: plagiarism slash out of bounds")
    self.plagiarism_slash_bps = new_value
    governed._updated("plagiarism_slash_bps", new_value)


@internal
def _set_nonreveal_slash_bps(new_value: uint256):
    self._require(new_value <= constants.BPS, "task: non-reveal slash out of bounds")
    self.nonreveal_slash_bps = new_value
    governed._updated("nonreveal_slash_bps", new_value)


@internal
def _set_min_creator_bond(new_value: uint256):
    self._require(new_value <= constants.MAX_SUPPLY, "task: minimum bond out of bounds")
    self.min_creator_bond = new_value
    governed._updated("min_creator_bond", new_value)


@internal
def _set_floors(validator_slots: uint256, validator_stake_bps: uint256, bond_bps: uint256, trainer_stake_bps: uint256):
    self._require(validator_slots <= limits.MAX_VALIDATORS and validator_stake_bps <= constants.BPS and bond_bps <= constants.BPS and trainer_stake_bps <= constants.BPS, "task: floor out of bounds")
    self.min_validator_slots = validator_slots
    self.min_validator_stake_bps = validator_stake_bps
    self.min_bond_bps = bond_bps
    self.min_trainer_stake_bps = trainer_stake_bps
    log FloorsUpdated(validator_slots=validator_slots, validator_stake_bps=validator_stake_bps, bond_bps=bond_bps, trainer_stake_bps=trainer_stake_bps)
