# pragma version ~=0.4.3
"""
@title AIArena governance: stake-weighted proposals with a timelock
@notice Stakers propose changes to the protocol, vote with the stake they
        had when the proposal was made, and a passed proposal runs after a
        timelock. This contract holds the admin role of the token, staking,
        task manager and emission contracts and is the protocol's treasury,
        so a proposal can set any parameter, verify tasks for emission, move
        treasury funds and hand roles over. It can call nothing but those
        contracts and itself.
@dev Voting power is staking's `votes_at(voter, snapshot)`: the tokens a
     voter has staked (own pool or delegated) and not asked back, at the
     end of the block before the proposal. Each voter votes with its own
     tokens: delegating gives the operator no power over them.
     Lifecycle: propose -> Active until `vote_end` -> Defeated, or
     Succeeded when for > against and for + abstain >= quorum -> queue ->
     Queued, executable from `eta` = queue time + timelock_delay until
     `eta` + GRACE_PERIOD -> Executed (or Expired). The proposer may cancel
     while voting is open. The quorum is `quorum_bps` of staking's total
     voting power at the snapshot.
     A proposal stores only the hash of its actions; `execute` is given the
     actions again (they are in the ProposalCreated event).
@custom:security Targets are checked against the protocol's contracts at
     proposal time; `execute` marks the proposal executed before any call,
     and a failing call reverts the whole execution.
"""

from snekmate.utils import math

from .interfaces import IVotes
from .modules import constants
from .modules import governed

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

# @notice Most calls in one proposal.
MAX_ACTIONS: public(constant(uint256)) = 8
# @notice Longest calldata of one call.
MAX_CALLDATA: public(constant(uint256)) = 1_024
# @notice Longest description.
MAX_DESCRIPTION: public(constant(uint256)) = 2_048
# @notice How long a queued proposal stays executable after its eta.
GRACE_PERIOD: public(constant(uint256)) = 14 * 86_400

# Bounds of the parameters, checked by every setter.
MIN_VOTING_PERIOD: public(constant(uint256)) = 60
MAX_VOTING_PERIOD: public(constant(uint256)) = 30 * 86_400
MIN_TIMELOCK_DELAY: public(constant(uint256)) = 60
MAX_TIMELOCK_DELAY: public(constant(uint256)) = 30 * 86_400
MIN_QUORUM_BPS: public(constant(uint256)) = 100
MAX_QUORUM_BPS: public(constant(uint256)) = 5_000
# 1% of the token's cap: a threshold no staker could reach would lock
# governance (and with it every parameter and the treasury) for good.
MAX_PROPOSAL_THRESHOLD: public(constant(uint256)) = constants.MAX_SUPPLY // 100

# Proposal states, as returned by state().
STATE_NONE: constant(uint256) = 0
STATE_ACTIVE: constant(uint256) = 1
STATE_DEFEATED: constant(uint256) = 2
STATE_SUCCEEDED: constant(uint256) = 3
STATE_QUEUED: constant(uint256) = 4
STATE_EXPIRED: constant(uint256) = 5
STATE_EXECUTED: constant(uint256) = 6
STATE_CANCELED: constant(uint256) = 7

_LOW_128: constant(uint256) = 2**128 - 1
_LOW_64: constant(uint256) = 2**64 - 1
_CANCELED: constant(uint256) = 1 << 224
_EXECUTED: constant(uint256) = 1 << 225

# Vote choices.
VOTE_AGAINST: constant(uint256) = 0
VOTE_FOR: constant(uint256) = 1
VOTE_ABSTAIN: constant(uint256) = 2


# ---------------------------------------------------------------------------
# Immutables
# ---------------------------------------------------------------------------

# @notice The protocol's contracts: the only targets a proposal may call
#         (besides this contract).
token: public(immutable(address))
staking: public(immutable(IVotes))
task_manager: public(immutable(address))
emission: public(immutable(address))


# ---------------------------------------------------------------------------
# Structs
# ---------------------------------------------------------------------------

struct Proposal:
    proposer: address
    # Voting power is read at the end of this block.
    snapshot: uint256
    vote_end: uint256
    # 0 until queued; then the time from which it may execute.
    eta: uint256
    for_votes: uint256
    against_votes: uint256
    abstain_votes: uint256
    # for + abstain must reach it.
    quorum: uint256
    actions_hash: bytes32
    canceled: bool
    executed: bool


# ---------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------

# @notice Number of proposals; ids run from 1.
proposal_count: public(uint256)

# A proposal in four packed words and its actions' hash (`proposals()`
# unpacks them). Each tally shares its word with a value that is nonzero
# from creation, so the first vote of each kind updates a word instead of
# creating one (5,000 gas instead of 22,100):
#   _head[id]    = proposer | eta << 160 | canceled << 224 | executed << 225
#   _for[id]     = for_votes | quorum << 128
#   _against[id] = against_votes | vote_end << 128
#   _abstain[id] = abstain_votes | snapshot << 128
# Tallies and the quorum are at most the token's cap, constants.MAX_SUPPLY
# (1e27 < 2**128); timestamps and blocks fit in 64 bits.
_head: HashMap[uint256, uint256]
_for: HashMap[uint256, uint256]
_against: HashMap[uint256, uint256]
_abstain: HashMap[uint256, uint256]
_actions: HashMap[uint256, bytes32]
# @notice receipts[id][voter]: 0 = did not vote, else 1 + choice.
receipts: public(HashMap[uint256, HashMap[address, uint256]])

# @notice latest_proposal[proposer]: the id of its last proposal (0: none).
#         A proposer has one live proposal at a time.
latest_proposal: public(HashMap[address, uint256])

# @notice Seconds a proposal is open for votes.
voting_period: public(uint256)
# @notice Seconds between queueing a passed proposal and executing it.
timelock_delay: public(uint256)
# @notice Share of the total voting power that must vote for or abstain.
quorum_bps: public(uint256)
# @notice Voting power needed to propose.
proposal_threshold: public(uint256)


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------

event ProposalCreated:
    proposal_id: indexed(uint256)
    proposer: indexed(address)
    targets: DynArray[address, MAX_ACTIONS]
    calldatas: DynArray[Bytes[MAX_CALLDATA], MAX_ACTIONS]
    description: String[MAX_DESCRIPTION]
    snapshot: uint256
    vote_end: uint256
    quorum: uint256

event VoteCast:
    proposal_id: indexed(uint256)
    voter: indexed(address)
    support: uint256
    weight: uint256

event ProposalQueued:
    proposal_id: indexed(uint256)
    eta: uint256

event ProposalExecuted:
    proposal_id: indexed(uint256)

event ProposalCanceled:
    proposal_id: indexed(uint256)

# ParameterUpdated is modules/governed.vy's, the event of every protocol
# setter. Governance is not itself `governed` (it holds no admin role and
# no treasury: only its own proposals change it), so it imports the module
# for the event and `_updated`, which logs it and touches no state, and
# initializes none of its state.


# ---------------------------------------------------------------------------
# Constructor
# ---------------------------------------------------------------------------


@deploy
def __init__(
    token_: address,
    staking_: IVotes,
    task_manager_: address,
    emission_: address,
    voting_period_: uint256,
    timelock_delay_: uint256,
    quorum_bps_: uint256,
    proposal_threshold_: uint256,
):
    """
    @notice Deploy governance over the protocol's four contracts.
    @dev Then grant this contract DEFAULT_ADMIN_ROLE in each of them and
         make it their treasury; the deployer renounces its roles.
    @param token_ The token.
    @param staking_ The staking contract (the source of voting power).
    @param task_manager_ The task manager.
    @param emission_ The emission contract.
    @param voting_period_ Seconds a proposal is open for votes.
    @param timelock_delay_ Seconds between queue and execution.
    @param quorum_bps_ Share of the total voting power needed, in bps.
    @param proposal_threshold_ Voting power needed to propose, in wei.
    """
    assert token_ != empty(address) and staking_.address != empty(address), "gov: zero address"
    assert task_manager_ != empty(address) and emission_ != empty(address), "gov: zero address"
    token = token_
    staking = staking_
    task_manager = task_manager_
    emission = emission_
    self._set_voting_period(voting_period_)
    self._set_timelock_delay(timelock_delay_)
    self._set_quorum_bps(quorum_bps_)
    self._set_proposal_threshold(proposal_threshold_)


# ---------------------------------------------------------------------------
# Permissionless: the proposal lifecycle
# ---------------------------------------------------------------------------


@external
def propose(
    targets: DynArray[address, MAX_ACTIONS],
    calldatas: DynArray[Bytes[MAX_CALLDATA], MAX_ACTIONS],
    description: String[MAX_DESCRIPTION],
) -> uint256:
    """
    @notice Propose calls to the protocol's contracts; voting opens at once.
            A proposer may not propose again while its last proposal is
            active, succeeded or queued.
    @dev Voting power is read at the end of the previous block, so stake
         added in this block or later gives no power on this proposal.
    @param targets The contract each call goes to: the token, staking, the
           task manager, emission or this contract.
    @param calldatas The calldata of each call (selector and arguments).
    @param description What the proposal does and why.
    @return The proposal's id.
    """
    n: uint256 = len(targets)
    assert n != 0, "gov: no actions"
    assert n == len(calldatas), "gov: one calldata per target"
    for target: address in targets:
        assert self._is_protocol(target), "gov: target is not a protocol contract"
    last: uint256 = self.latest_proposal[msg.sender]
    if last != 0:
        state: uint256 = self._state(last)
        assert state != STATE_ACTIVE and state != STATE_SUCCEEDED and state != STATE_QUEUED, "gov: the proposer has a live proposal"
    snapshot: uint256 = block.number - 1
    power: uint256 = staticcall staking.votes_at(msg.sender, snapshot)
    assert power >= self.proposal_threshold and power != 0, "gov: voting power below the proposal threshold"

    proposal_id: uint256 = self.proposal_count + 1
    self.proposal_count = proposal_id
    self.latest_proposal[msg.sender] = proposal_id
    vote_end: uint256 = block.timestamp + self.voting_period
    # Rounded up: the quorum is never below its share of the total voting
    # power at the snapshot (stake asked back in this block does not lower
    # it). total <= the token's cap, so the product fits.
    total: uint256 = staticcall staking.total_votes_at(snapshot)
    quorum: uint256 = math._ceil_div(total * self.quorum_bps, constants.BPS)
    self._head[proposal_id] = convert(msg.sender, uint256)
    self._for[proposal_id] = quorum << 128
    self._against[proposal_id] = vote_end << 128
    self._abstain[proposal_id] = snapshot << 128
    self._actions[proposal_id] = keccak256(abi_encode(targets, calldatas))
    log ProposalCreated(
        proposal_id=proposal_id,
        proposer=msg.sender,
        targets=targets,
        calldatas=calldatas,
        description=description,
        snapshot=snapshot,
        vote_end=vote_end,
        quorum=quorum,
    )
    return proposal_id


@external
def vote(proposal_id: uint256, support: uint256) -> uint256:
    """
    @notice Vote on an open proposal with the caller's voting power at its
            snapshot; once per voter.
    @param proposal_id The proposal.
    @param support 0 against, 1 for, 2 abstain.
    @return The weight counted.
    """
    assert self._state(proposal_id) == STATE_ACTIVE, "gov: voting is closed"
    assert support <= VOTE_ABSTAIN, "gov: support is 0 (against), 1 (for) or 2 (abstain)"
    assert self.receipts[proposal_id][msg.sender] == 0, "gov: already voted"
    weight: uint256 = staticcall staking.votes_at(msg.sender, self._abstain[proposal_id] >> 128)
    assert weight != 0, "gov: no voting power at the snapshot"
    self.receipts[proposal_id][msg.sender] = support + 1
    # Each tally stays below 2**128: weights sum to at most the staked supply.
    if support == VOTE_FOR:
        self._for[proposal_id] += weight
    elif support == VOTE_AGAINST:
        self._against[proposal_id] += weight
    else:
        self._abstain[proposal_id] += weight
    log VoteCast(proposal_id=proposal_id, voter=msg.sender, support=support, weight=weight)
    return weight


@external
def queue(proposal_id: uint256) -> uint256:
    """
    @notice Start the timelock of a proposal that passed.
    @param proposal_id The proposal.
    @return The time from which it may be executed.
    """
    assert self._state(proposal_id) == STATE_SUCCEEDED, "gov: proposal has not passed"
    eta: uint256 = block.timestamp + self.timelock_delay
    self._head[proposal_id] |= eta << 160
    log ProposalQueued(proposal_id=proposal_id, eta=eta)
    return eta


@external
def execute(
    proposal_id: uint256,
    targets: DynArray[address, MAX_ACTIONS],
    calldatas: DynArray[Bytes[MAX_CALLDATA], MAX_ACTIONS],
):
    """
    @notice Run a queued proposal's calls once its timelock is over.
    @dev Anyone may call it, with the actions of ProposalCreated. A failing
         call reverts the whole execution with that call's revert data.
    @param proposal_id The proposal.
    @param targets The proposal's targets.
    @param calldatas The proposal's calldatas.
    """
    assert self._state(proposal_id) == STATE_QUEUED, "gov: proposal is not queued"
    head: uint256 = self._head[proposal_id]
    assert block.timestamp >= (head >> 160) & _LOW_64, "gov: timelock not over"
    assert keccak256(abi_encode(targets, calldatas)) == self._actions[proposal_id], "gov: actions do not match the proposal"
    self._head[proposal_id] = head | _EXECUTED
    for i: uint256 in range(MAX_ACTIONS):
        if i >= len(targets):
            break
        raw_call(targets[i], calldatas[i])
    log ProposalExecuted(proposal_id=proposal_id)


@external
def cancel(proposal_id: uint256):
    """
    @notice Withdraw a proposal while its vote is open.
    @param proposal_id The proposal; the caller must be its proposer.
    """
    head: uint256 = self._head[proposal_id]
    assert convert(head & convert(max_value(uint160), uint256), address) == msg.sender, "gov: caller is not the proposer"
    assert self._state(proposal_id) == STATE_ACTIVE, "gov: voting is closed"
    self._head[proposal_id] = head | _CANCELED
    log ProposalCanceled(proposal_id=proposal_id)


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------


@external
@view
def proposals(proposal_id: uint256) -> Proposal:
    """
    @notice Everything stored about a proposal (all zero for an unknown id).
    @param proposal_id The proposal.
    @return The proposal, unpacked.
    """
    return self._proposal(proposal_id)


@external
@view
def state(proposal_id: uint256) -> uint256:
    """
    @notice A proposal's state: 0 none, 1 active, 2 defeated, 3 succeeded,
            4 queued, 5 expired, 6 executed, 7 canceled.
    @param proposal_id The proposal.
    @return The state.
    """
    return self._state(proposal_id)


@external
@view
def is_protocol_contract(target: address) -> bool:
    """
    @notice Whether a proposal may call `target`.
    @param target The address.
    @return True for the token, staking, the task manager, emission and
            this contract.
    """
    return self._is_protocol(target)


# ---------------------------------------------------------------------------
# Governance itself (only through an executed proposal)
# ---------------------------------------------------------------------------


@external
def set_voting_period(new_value: uint256):
    """
    @notice Set how long proposals made from now on stay open.
    @param new_value Seconds, within [MIN_VOTING_PERIOD, MAX_VOTING_PERIOD].
    """
    self._check_self()
    self._set_voting_period(new_value)


@external
def set_timelock_delay(new_value: uint256):
    """
    @notice Set the delay between queueing and executing.
    @param new_value Seconds, within [MIN_TIMELOCK_DELAY, MAX_TIMELOCK_DELAY].
    """
    self._check_self()
    self._set_timelock_delay(new_value)


@external
def set_quorum_bps(new_value: uint256):
    """
    @notice Set the quorum of proposals made from now on.
    @param new_value Bps of the total voting power, within
           [MIN_QUORUM_BPS, MAX_QUORUM_BPS].
    """
    self._check_self()
    self._set_quorum_bps(new_value)


@external
def set_proposal_threshold(new_value: uint256):
    """
    @notice Set the voting power needed to propose.
    @param new_value Wei of stake, at most MAX_PROPOSAL_THRESHOLD.
    """
    self._check_self()
    self._set_proposal_threshold(new_value)


# ---------------------------------------------------------------------------
# Internal
# ---------------------------------------------------------------------------


@internal
@view
def _proposal(proposal_id: uint256) -> Proposal:
    head: uint256 = self._head[proposal_id]
    for_word: uint256 = self._for[proposal_id]
    against_word: uint256 = self._against[proposal_id]
    abstain_word: uint256 = self._abstain[proposal_id]
    return Proposal(
        proposer=convert(head & convert(max_value(uint160), uint256), address),
        snapshot=abstain_word >> 128,
        vote_end=against_word >> 128,
        eta=(head >> 160) & _LOW_64,
        for_votes=for_word & _LOW_128,
        against_votes=against_word & _LOW_128,
        abstain_votes=abstain_word & _LOW_128,
        quorum=for_word >> 128,
        actions_hash=self._actions[proposal_id],
        canceled=head & _CANCELED != 0,
        executed=head & _EXECUTED != 0,
    )


@internal
@view
def _state(proposal_id: uint256) -> uint256:
    if proposal_id == 0 or proposal_id > self.proposal_count:
        return STATE_NONE
    head: uint256 = self._head[proposal_id]
    if head & _CANCELED != 0:
        return STATE_CANCELED
    if head & _EXECUTED != 0:
        return STATE_EXECUTED
    against_word: uint256 = self._against[proposal_id]
    if block.timestamp < against_word >> 128:
        return STATE_ACTIVE
    for_word: uint256 = self._for[proposal_id]
    for_votes: uint256 = for_word & _LOW_128
    if for_votes <= against_word & _LOW_128 or for_votes + (self._abstain[proposal_id] & _LOW_128) < for_word >> 128:
        return STATE_DEFEATED
    eta: uint256 = (head >> 160) & _LOW_64
    if eta == 0:
        return STATE_SUCCEEDED
    if block.timestamp >= eta + GRACE_PERIOD:
        return STATE_EXPIRED
    return STATE_QUEUED


@internal
@view
def _is_protocol(target: address) -> bool:
    return target == token or target == staking.address or target == task_manager or target == emission or target == self


@internal
@view
def _check_self():
    assert msg.sender == self, "gov: only through a proposal"


@internal
def _set_voting_period(new_value: uint256):
    assert new_value >= MIN_VOTING_PERIOD and new_value <= MAX_VOTING_PERIOD, "gov: voting period out of bounds"
    self.voting_period = new_value
    governed._updated("voting_period", new_value)


@internal
def _set_timelock_delay(new_value: uint256):
    assert new_value >= MIN_TIMELOCK_DELAY and new_value <= MAX_TIMELOCK_DELAY, "gov: timelock delay out of bounds"
    self.timelock_delay = new_value
    governed._updated("timelock_delay", new_value)


@internal
def _set_quorum_bps(new_value: uint256):
    assert new_value >= MIN_QUORUM_BPS and new_value <= MAX_QUORUM_BPS, "gov: quorum out of bounds"
    self.quorum_bps = new_value
    governed._updated("quorum_bps", new_value)


@internal
def _set_proposal_threshold(new_value: uint256):
    assert new_value <= MAX_PROPOSAL_THRESHOLD, "gov: proposal threshold out of bounds"
    self.proposal_threshold = new_value
    governed._updated("proposal_threshold", new_value)
