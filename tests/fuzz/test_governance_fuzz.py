"""Stateful fuzz of governance (Governor + Staking's voting power) against a
Python ghost.

The ghost keeps every account's voting power and its history by block
(what staking must checkpoint), each operator's principal in its own pool,
and every proposal: its snapshot, deadline, quorum, timelock and each vote
cast. Rules stake, ask stake back, slash an operator (a task that locks part
of its pool and releases it with a slash), move the clock and the block
number (to any deadline of a proposal, one second either side included),
propose a harmless change (staking's unbonding delay), vote, flash-stake and
vote in the same or the next block, queue, execute (sometimes with tampered
actions) and cancel; each rule expects the exact revert reason whenever the
ghost says the call must fail.

Every run starts with two proposals: one already some way through its
lifecycle (queued at its eta in the simplest run) and one just made, so that
whatever rules a run enables there is something to vote on and to execute.
A proposer with a live proposal (active, succeeded or queued) is refused
with "gov: the proposer has a live proposal".

Invariants:

1. No double vote: a second vote reverts "gov: already voted" and leaves the
   tallies as they were (checked in the vote rules).
2. Every counted weight == staking.votes_at(voter, snapshot) == the ghost's
   power at the snapshot block, when the vote is cast and again after every
   later change of the voter's power (past checkpoints are immutable); a
   flash stake made after the snapshot adds nothing.
3. After every step, each proposal's tallies == the sum of the ghost's votes
   and its state == the ghost's state (a proposal in a final state once the
   chain agreed, then again in teardown).
4. A proposal executes only when it was Queued and now >= eta (checked in the
   execute rule, before the call and from the chain's own state).
5. After every step total_votes == the sum of the ghost's powers; votes(a)
   matches the ghost after every change, and votes_at(a, block - 1) for
   every account, and total_votes_at(block - 1) for their sum, each time a
   block has been mined. An operator's power falls by at most its principal
   in its own pool when it asks its own stake back, and a slash lowers it
   in proportion to what the slash took of its own stake.
6. A proposal's quorum is ceil(quorum_bps x the total power at its
   snapshot / 10_000): stake asked back in the proposal's block moves
   neither the votes nor the quorum.

Bounds that need no model: the tallies of a proposal never exceed the sum of
everyone's votes_at at its snapshot, its quorum is at least
quorum_bps / 10_000 of total_votes_at(snapshot), and a slash never raises
anyone's power.
"""

from dataclasses import dataclass, field

import boa
from hypothesis import Phase, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from support.constants import DAY, MAX_SLASH_BPS, WAD
from support.dao import (
    ABSTAIN,
    AGAINST,
    FOR,
    PROPOSAL_THRESHOLD,
    QUORUM_BPS,
    STATE_ACTIVE,
    STATE_CANCELED,
    STATE_DEFEATED,
    STATE_EXECUTED,
    STATE_EXPIRED,
    STATE_NONE,
    STATE_QUEUED,
    STATE_SUCCEEDED,
    TIMELOCK_DELAY,
    VOTING_PERIOD,
    Action,
    GovernedArena,
    calldata,
)

BPS = 10_000
GRACE_PERIOD = 14 * DAY
MIN_UNBONDING_DELAY = 3_600
MAX_UNBONDING_DELAY = 60 * DAY
N_OPERATORS = 3
N_DELEGATORS = 2
STATE_NAMES = [
    "none",
    "active",
    "defeated",
    "succeeded",
    "queued",
    "expired",
    "executed",
    "canceled",
]

amounts = st.one_of(
    st.integers(min_value=1, max_value=3_000 * WAD),
    st.integers(min_value=1, max_value=3_000).map(lambda n: n * WAD),
)
# Mostly for, so that proposals pass often enough to be queued and executed.
supports = st.sampled_from([FOR, FOR, FOR, AGAINST, ABSTAIN, 3])
# Which proposal a rule acts on: mostly the latest (0-5), an earlier one
# (6-8), or one that does not exist (9).
picks = st.integers(min_value=0, max_value=9)


def now() -> int:
    return boa.env.evm.patch.timestamp


def block_number() -> int:
    return boa.env.evm.patch.block_number


@dataclass
class GhostProposal:
    proposer: str
    snapshot: int
    vote_end: int
    quorum: int
    value: int
    eta: int = 0
    canceled: bool = False
    executed: bool = False
    # voter -> (support, weight)
    votes: dict[str, tuple[int, int]] = field(default_factory=dict)

    def tally(self, support: int) -> int:
        return sum(w for s, w in self.votes.values() if s == support)

    def state(self, t: int) -> int:
        if self.canceled:
            return STATE_CANCELED
        if self.executed:
            return STATE_EXECUTED
        if t < self.vote_end:
            return STATE_ACTIVE
        for_votes = self.tally(FOR)
        if for_votes <= self.tally(AGAINST) or for_votes + self.tally(ABSTAIN) < self.quorum:
            return STATE_DEFEATED
        if self.eta == 0:
            return STATE_SUCCEEDED
        if t >= self.eta + GRACE_PERIOD:
            return STATE_EXPIRED
        return STATE_QUEUED


class GovernanceMachine(RuleBasedStateMachine):
    @initialize(
        stakes=st.lists(
            st.integers(min_value=1_000, max_value=4_000),
            min_size=N_OPERATORS,
            max_size=N_OPERATORS,
        ),
        delegations=st.lists(
            st.integers(min_value=0, max_value=2_000), min_size=N_DELEGATORS, max_size=N_DELEGATORS
        ),
        first_value=st.integers(MIN_UNBONDING_DELAY, MAX_UNBONDING_DELAY),
        # Stages of the first proposal's lifecycle played at the start; the
        # simplest draw (0) is the most useful: queued, at its eta.
        first_stages=st.integers(min_value=0, max_value=5).map(lambda k: 4 - k if k < 5 else 5),
    )
    def deploy(self, stakes, delegations, first_value, first_stages):
        self.dao = GovernedArena()
        self.staking = self.dao.staking
        self.governor = self.dao.governor
        # Ghost: power now, and its history as (block, power at the end of it).
        self.power: dict[str, int] = {}
        self.history: dict[str, list[tuple[int, int]]] = {}
        # Each operator's principal in its own pool (staking's own_principal).
        self.principal: dict[str, int] = {}
        # A protocol contract that locks and slashes, named by the deployer
        # (which still holds PROTOCOL_ADMIN_ROLE in this deployment).
        self.slasher = boa.env.generate_address("slasher")
        with boa.env.prank(self.dao.admin):
            self.staking.grantRole(self.staking.PROTOCOL_ROLE(), self.slasher)
        self.names: dict[str, str] = {}
        self.proposals: dict[int, GhostProposal] = {}
        self.checked_block = -1
        # Proposals in a final state the chain agreed with.
        self.settled: set[int] = set()

        self.operators = []
        for i, stake in enumerate(stakes):
            account = self.dao.operator(f"operator{i}", stake * WAD)
            self.dao.fund(account, 1_000_000 * WAD)
            self._track(account, f"operator{i}", stake * WAD)
            self.principal[account] = stake * WAD
            self.operators.append(account)
        self.delegators = []
        for i, delegation in enumerate(delegations):
            account = self.dao.actor(f"delegator{i}", 1_000_000 * WAD)
            self._track(account, f"delegator{i}", 0)
            self.delegators.append(account)
            if delegation:
                self._stake(account, self.operators[i % N_OPERATORS], delegation * WAD)
        self.accounts = self.operators + self.delegators
        boa.env.time_travel(blocks=1)
        note(f"operators stake {stakes}, delegators {delegations} ARENA")
        # Every run starts with two proposals, whatever rules it enables: the
        # first at any point of its lifecycle, the second just made.
        self.propose(0, first_value)
        self._drive(1, first_stages, 0)
        boa.env.time_travel(blocks=1)
        self.propose(1, MIN_UNBONDING_DELAY)

    # --- the ghost -----------------------------------------------------------------

    def _track(self, account: str, name: str, power: int) -> None:
        self.names[account] = name
        self.power[account] = 0
        self.history[account] = []
        if power:
            self._set_power(account, power)

    def _set_power(self, account: str, power: int) -> None:
        """Record a change the chain just made, and check it."""
        assert self.staking.votes(account) == power, self.names[account]
        self.power[account] = power
        entries = self.history[account]
        block = block_number()
        if entries and entries[-1][0] == block:
            entries[-1] = (block, power)
        else:
            entries.append((block, power))
        if hasattr(self, "accounts"):
            self._check_counted_weights(account)

    def power_at(self, account: str, block: int) -> int:
        for b, p in reversed(self.history[account]):
            if b <= block:
                return p
        return 0

    def _pick(self, pick: int) -> int:
        count = len(self.proposals)
        if count == 0 or pick == 9:
            return count + 1
        return max(count - max(pick - 5, 0), 1)

    def _state(self, proposal_id: int) -> int:
        p = self.proposals.get(proposal_id)
        return p.state(now()) if p else STATE_NONE

    # --- stake -------------------------------------------------------------------------

    def _stake(self, holder: str, operator: str, amount: int) -> None:
        with boa.env.prank(holder):
            self.staking.delegate(operator, amount)
        if holder == operator:
            self.principal[operator] += amount
        self._set_power(holder, self.power[holder] + amount)

    @rule(
        who=st.integers(min_value=0, max_value=N_OPERATORS + N_DELEGATORS - 1),
        pool=st.integers(0, 2),
        amount=amounts,
    )
    def stake(self, who, pool, amount):
        holder, operator = self.accounts[who], self.operators[pool]
        name = self.names[holder]
        note(f"{name} stakes {amount} with {self.names[operator]}, block {block_number()}")
        self._stake(holder, operator, amount)

    @rule(
        who=st.integers(min_value=0, max_value=N_OPERATORS + N_DELEGATORS - 1),
        pool=st.integers(0, 2),
        bps=st.integers(min_value=1, max_value=BPS),
    )
    def request_withdraw(self, who, pool, bps):
        holder, operator = self.accounts[who], self.operators[pool]
        amount = self.staking.assets_of(operator, holder) * bps // BPS
        if amount == 0:
            return
        name = self.names[holder]
        note(f"{name} asks {amount} back from {self.names[operator]}, block {block_number()}")
        with boa.env.prank(holder):
            self.staking.request_withdraw(operator, amount)
        lost = amount
        if holder == operator:
            # From its own pool, at most the principal it put there.
            lost = min(amount, self.principal[operator])
            self.principal[operator] -= lost
            if lost < amount:
                event("an operator asks back more than its principal")
        self._set_power(holder, self.power[holder] - min(lost, self.power[holder]))

    @rule(
        pool=st.integers(0, 2),
        lock_bps=st.integers(min_value=1, max_value=BPS),
        slash_bps=st.one_of(
            st.just(MAX_SLASH_BPS), st.integers(min_value=0, max_value=MAX_SLASH_BPS)
        ),
    )
    def slash(self, pool, lock_bps, slash_bps):
        """A task locks part of an operator's pool and ends in a slash: the
        operator's own stake pays first, and its power falls with it."""
        operator = self.operators[pool]
        own = self.staking.assets_of(operator, operator)
        waiting = self.staking.pending_of(operator, operator)
        activated = own - waiting
        # Most the pool may lock: its free stake, within its own stake's cover.
        cover = activated * BPS // self.staking.min_self_stake_bps()
        amount = min(self.staking.unlocked_stake(operator), cover) * lock_bps // BPS
        if amount == 0:
            return
        record = self.staking.pools(operator)
        if record.total_assets + record.pending < self.staking.min_pool_stake():
            # Asked back below staking's minimum pool stake: no task locks it.
            with boa.reverts("staking: pool stake below the minimum"), boa.env.prank(self.slasher):
                self.staking.allocate(operator, amount)
            return
        powers = dict(self.power)
        with boa.env.prank(self.slasher):
            self.staking.allocate(operator, amount)
            slashed = self.staking.release(operator, amount, slash_bps)
        name = self.names[operator]
        note(f"{name} is slashed {slashed} of a {amount} lock, block {block_number()}")
        assert slashed == amount * slash_bps // BPS
        taken = min(slashed, activated)
        if taken:
            event("a slash lowers an operator's power")
            principal = self.principal[operator]
            kept = principal * (own - taken) // own
            self.principal[operator] = kept
            cut = min(principal - kept, self.power[operator])
            self._set_power(operator, self.power[operator] - cut)
        # No model: a slash raises nobody's power.
        assert all(self.staking.votes(a) <= powers[a] for a in self.accounts)

    # --- time --------------------------------------------------------------------------

    @rule(
        blocks=st.integers(min_value=0, max_value=3),
        seconds=st.sampled_from([0, 1, 12, 3_600, DAY, 3 * DAY]),
    )
    def advance(self, blocks, seconds):
        if blocks:
            boa.env.time_travel(blocks=blocks)
        if seconds:
            boa.env.time_travel(seconds=seconds)
        note(f"now {now()}, block {block_number()}")

    @rule(
        pick=picks,
        edge=st.sampled_from(["vote_end", "eta", "expiry"]),
        offset=st.sampled_from([-1, 0, 1]),
    )
    def warp_to_deadline(self, pick, edge, offset):
        p = self.proposals.get(self._pick(pick))
        if p is None or (edge != "vote_end" and p.eta == 0):
            return
        target = {"vote_end": p.vote_end, "eta": p.eta, "expiry": p.eta + GRACE_PERIOD}[
            edge
        ] + offset
        if target > now():
            self.dao.warp_to(target)
            note(f"warp to {edge} {offset:+d}: now {now()}, block {block_number()}")

    @rule(
        pick=picks,
        stages=st.integers(min_value=1, max_value=5),
        offset=st.sampled_from([-1, 0, 0, 1]),
    )
    def next_steps(self, pick, stages, offset):
        """Drive a proposal on by up to `stages` steps (see _drive)."""
        self._drive(self._pick(pick), stages, offset)

    def _drive(self, proposal_id: int, stages: int, offset: int) -> None:
        """Its proposer votes for it, the vote ends, it is queued, its eta
        comes, it is executed: one step per stage, so that whole lifecycles
        happen in short runs. A warp lands `offset` seconds from the
        deadline."""
        p = self.proposals.get(proposal_id)
        if p is None:
            return
        for _ in range(stages):
            state = p.state(now())
            note(f"next step of {proposal_id} ({STATE_NAMES[state]}) at {now()}")
            if state == STATE_ACTIVE and p.proposer not in p.votes:
                self._vote(p.proposer, proposal_id, FOR)
            elif state == STATE_ACTIVE:
                self.dao.warp_to(p.vote_end + offset)
            elif state == STATE_SUCCEEDED:
                self._queue(proposal_id)
            elif state == STATE_QUEUED and now() < p.eta:
                self.dao.warp_to(p.eta + offset)
            elif state == STATE_QUEUED:
                self._execute(proposal_id, tamper=False)
            else:
                return

    # --- proposals ---------------------------------------------------------------------

    @rule(
        who=st.integers(min_value=0, max_value=N_OPERATORS + N_DELEGATORS - 1),
        value=st.integers(MIN_UNBONDING_DELAY, MAX_UNBONDING_DELAY),
    )
    def propose(self, who, value):
        proposer = self.accounts[who]
        snapshot = block_number() - 1
        power = self.power_at(proposer, snapshot)
        action = self._action(value)
        name = self.names[proposer]
        note(f"{name} (power {power} at block {snapshot}) proposes unbonding delay {value}")
        # One live proposal per proposer: its last one must be final.
        last = max((i for i, g in self.proposals.items() if g.proposer == proposer), default=0)
        if last and self._state(last) in (STATE_ACTIVE, STATE_SUCCEEDED, STATE_QUEUED):
            with boa.reverts("gov: the proposer has a live proposal"):
                self.dao.propose(proposer, [action])
            return
        if power < PROPOSAL_THRESHOLD or power == 0:
            with boa.reverts("gov: voting power below the proposal threshold"):
                self.dao.propose(proposer, [action])
            return
        # Invariant 6: the quorum's base is the total at the snapshot.
        total = sum(self.power_at(a, snapshot) for a in self.accounts)
        proposal_id = self.dao.propose(proposer, [action])
        assert proposal_id == len(self.proposals) + 1
        ghost = GhostProposal(
            proposer=proposer,
            snapshot=snapshot,
            vote_end=now() + VOTING_PERIOD,
            quorum=-(-total * QUORUM_BPS // BPS),
            value=value,
        )
        self.proposals[proposal_id] = ghost
        p = self.governor.proposals(proposal_id)
        assert (p.proposer, p.snapshot, p.vote_end, p.quorum) == (
            proposer,
            snapshot,
            ghost.vote_end,
            ghost.quorum,
        )
        # No model: the quorum is at least its share of the total power then.
        assert p.quorum * BPS >= self.staking.total_votes_at(snapshot) * QUORUM_BPS

    def _action(self, value: int) -> Action:
        return Action(self.staking.address, calldata("set_unbonding_delay(uint256)", value))

    def _vote(self, voter: str, proposal_id: int, support: int) -> None:
        """Vote and check the outcome against the ghost."""
        p = self.proposals.get(proposal_id)
        state = self._state(proposal_id)
        before = self._tallies(proposal_id)
        if state != STATE_ACTIVE:
            expected = "gov: voting is closed"
        elif support > ABSTAIN:
            expected = "gov: support is 0 (against), 1 (for) or 2 (abstain)"
        elif voter in p.votes:
            expected = "gov: already voted"
        elif self.power_at(voter, p.snapshot) == 0:
            expected = "gov: no voting power at the snapshot"
        else:
            expected = None
        name, state_name = self.names[voter], STATE_NAMES[state]
        note(
            f"{name} votes {support} on {proposal_id} ({state_name}): expects {expected or 'count'}"
        )
        event(f"vote: {expected or 'counted'}")
        if expected:
            with boa.reverts(expected):
                self.dao.vote(proposal_id, voter, support)
            # Invariant 1: a refused vote (a second one included) changes nothing.
            assert self._tallies(proposal_id) == before
            return
        weight = self.dao.vote(proposal_id, voter, support)
        # Invariant 2: the weight is the power at the snapshot.
        assert (
            weight == self.power_at(voter, p.snapshot) == self.staking.votes_at(voter, p.snapshot)
        )
        p.votes[voter] = (support, weight)
        assert self.governor.receipts(proposal_id, voter) == support + 1
        # No model: nobody counts more than everyone had at the snapshot.
        everyone = sum(self.staking.votes_at(a, p.snapshot) for a in self.accounts)
        assert sum(self._tallies(proposal_id)) <= everyone

    def _tallies(self, proposal_id: int) -> tuple[int, int, int]:
        p = self.governor.proposals(proposal_id)
        return p.for_votes, p.against_votes, p.abstain_votes

    @rule(
        who=st.integers(min_value=0, max_value=N_OPERATORS + N_DELEGATORS - 1),
        pick=picks,
        support=supports,
        again=st.sampled_from([None, FOR, AGAINST, ABSTAIN]),
    )
    def vote(self, who, pick, support, again):
        """Vote, and maybe try to vote again at once (invariant 1)."""
        voter, proposal_id = self.accounts[who], self._pick(pick)
        self._vote(voter, proposal_id, support)
        if again is not None:
            self._vote(voter, proposal_id, again)

    @rule(
        who=st.integers(min_value=0, max_value=N_OPERATORS + N_DELEGATORS - 1),
        pick=picks,
        pool=st.integers(0, 2),
        amount=amounts,
        next_block=st.booleans(),
    )
    def flash_stake(self, who, pick, pool, amount, next_block):
        """Stake during a vote, then vote on a proposal already open: only
        the power at its snapshot counts."""
        voter, proposal_id = self.accounts[who], self._pick(pick)
        p = self.proposals.get(proposal_id)
        if p is None or p.state(now()) != STATE_ACTIVE:
            # None open there: the strongest operator opens one.
            proposer = max(self.operators, key=lambda a: self.power_at(a, block_number() - 1))
            if self.power_at(proposer, block_number() - 1) < PROPOSAL_THRESHOLD:
                return
            count = len(self.proposals)
            self.propose(self.accounts.index(proposer), MIN_UNBONDING_DELAY)
            if len(self.proposals) == count:
                return  # its last proposal is still live
            proposal_id = len(self.proposals)
            p = self.proposals[proposal_id]
        snapshot_power = self.power_at(voter, p.snapshot)
        note(f"{self.names[voter]} flash-stakes {amount} (power at snapshot {snapshot_power})")
        event("flash stake during a vote")
        self._stake(voter, self.operators[pool], amount)
        if next_block:
            boa.env.time_travel(blocks=1)
        assert self.staking.votes_at(voter, p.snapshot) == snapshot_power
        self._vote(voter, proposal_id, FOR)

    @rule(pick=picks)
    def queue(self, pick):
        self._queue(self._pick(pick))

    def _queue(self, proposal_id: int) -> None:
        state = self._state(proposal_id)
        note(f"queue {proposal_id} ({STATE_NAMES[state]})")
        if state != STATE_SUCCEEDED:
            with boa.reverts("gov: proposal has not passed"):
                self.dao.queue(proposal_id)
            return
        eta = self.dao.queue(proposal_id)
        event("queued")
        assert eta == now() + TIMELOCK_DELAY
        self.proposals[proposal_id].eta = eta

    @rule(pick=picks, tamper=st.booleans())
    def execute(self, pick, tamper):
        self._execute(self._pick(pick), tamper)

    def _execute(self, proposal_id: int, tamper: bool) -> None:
        p = self.proposals.get(proposal_id)
        state = self._state(proposal_id)
        value = p.value if p else MIN_UNBONDING_DELAY
        actions = [self._action(value + 1 if tamper else value)]
        if state != STATE_QUEUED:
            expected = "gov: proposal is not queued"
        elif now() < p.eta:
            expected = "gov: timelock not over"
        elif tamper:
            expected = "gov: actions do not match the proposal"
        else:
            expected = None
        state_name = STATE_NAMES[state]
        note(
            f"execute {proposal_id} ({state_name}, tamper={tamper}): expects {expected or 'a run'}"
        )
        event(f"execute: {expected or 'runs'}")
        if expected:
            with boa.reverts(expected):
                self.dao.execute(proposal_id, actions)
            return
        # Invariant 4, from the chain's own view before the call.
        chain_eta = self.governor.proposals(proposal_id).eta
        assert self.governor.state(proposal_id) == STATE_QUEUED
        assert chain_eta != 0 and now() >= chain_eta
        self.dao.execute(proposal_id, actions)
        event("executed")
        p.executed = True
        assert self.staking.unbonding_delay() == value

    @rule(who=st.integers(min_value=-1, max_value=N_OPERATORS + N_DELEGATORS - 1), pick=picks)
    def cancel(self, who, pick):
        """`who` -1: the proposal's own proposer."""
        proposal_id = self._pick(pick)
        p = self.proposals.get(proposal_id)
        caller = p.proposer if who == -1 and p else self.accounts[who]
        state = self._state(proposal_id)
        if p is None or p.proposer != caller:
            expected = "gov: caller is not the proposer"
        elif state != STATE_ACTIVE:
            expected = "gov: voting is closed"
        else:
            expected = None
        name, state_name = self.names[caller], STATE_NAMES[state]
        note(f"{name} cancels {proposal_id} ({state_name}): expects {expected or 'a cancel'}")
        if expected:
            with boa.reverts(expected), boa.env.prank(caller):
                self.governor.cancel(proposal_id)
            return
        with boa.env.prank(caller):
            self.governor.cancel(proposal_id)
        event("canceled")
        p.canceled = True

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def proposals_match_the_ghost(self):
        if not hasattr(self, "dao"):
            return
        t = now()
        for proposal_id, p in self.proposals.items():
            if proposal_id in self.settled:
                continue
            assert self._tallies(proposal_id) == (
                p.tally(FOR),
                p.tally(AGAINST),
                p.tally(ABSTAIN),
            ), proposal_id
            state = p.state(t)
            assert self.governor.state(proposal_id) == state, proposal_id
            if state in (STATE_DEFEATED, STATE_EXPIRED, STATE_EXECUTED, STATE_CANCELED):
                # Final: checked again in teardown only.
                self.settled.add(proposal_id)
        assert self.governor.state(len(self.proposals) + 1) == STATE_NONE

    def _check_counted_weights(self, voter: str) -> None:
        """Invariant 2 after a change of the voter's power: every weight it
        was counted with is still its power at that snapshot."""
        for p in self.proposals.values():
            if voter in p.votes:
                weight = p.votes[voter][1]
                assert (
                    self.staking.votes_at(voter, p.snapshot)
                    == weight
                    == self.power_at(voter, p.snapshot)
                )

    @invariant()
    def voting_power_matches_the_ghost(self):
        if not hasattr(self, "dao"):
            return
        # votes(account) is checked at every change (_set_power).
        assert self.staking.total_votes() == sum(self.power.values())
        # The history, each time a block has been mined since the last check.
        last = block_number() - 1
        if last != self.checked_block:
            self.checked_block = last
            for account in self.accounts:
                assert self.staking.votes_at(account, last) == self.power_at(account, last), (
                    self.names[account]
                )
            total = sum(self.power_at(a, last) for a in self.accounts)
            assert self.staking.total_votes_at(last) == total

    def teardown(self):
        if hasattr(self, "dao"):
            # The settled proposals and every counted weight, once more.
            self.settled.clear()
            self.proposals_match_the_ghost()
            for voter in self.accounts:
                self._check_counted_weights(voter)
            made = len(self.proposals)
            event(f"proposals made: {made}" if made < 4 else "proposals made: 4+")


TestGovernance = GovernanceMachine.TestCase
# The explain phase replays every step of a failure many times: too slow
# for deployments of five contracts; the note() trace tells the story.
TestGovernance.settings = settings(
    settings(), phases=[p for p in settings().phases if p is not Phase.explain]
)
