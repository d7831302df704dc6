"""Governor.propose: who may propose, what a proposal may call, and what it
records (snapshot, deadline, quorum, the hash of its actions)."""

import boa
import pytest
from eth_abi import encode
from eth_utils import keccak

from support.constants import DAY, WAD, ZERO_ADDRESS
from support.dao import (
    FOR,
    PROPOSAL_THRESHOLD,
    QUORUM_BPS,
    STATE_ACTIVE,
    VOTING_PERIOD,
    Action,
    calldata,
)


def block_number() -> int:
    return boa.env.evm.patch.block_number


def test_propose_records_the_proposal(dao, governor, proposer, voter, action):
    total = dao.staking.total_votes()
    proposal_id = dao.propose(proposer, [action], "raise the unbonding delay")

    assert proposal_id == 1
    assert governor.proposal_count() == 1
    p = governor.proposals(proposal_id)
    assert p.proposer == proposer
    assert p.snapshot == block_number() - 1
    assert p.vote_end == dao.now() + VOTING_PERIOD
    assert p.eta == 0
    assert (p.for_votes, p.against_votes, p.abstain_votes) == (0, 0, 0)
    assert p.quorum == -(-total * QUORUM_BPS // 10_000)
    assert p.actions_hash == keccak(
        encode(["address[]", "bytes[]"], [[action.target], [action.data]])
    )
    assert not p.canceled and not p.executed
    assert governor.state(proposal_id) == STATE_ACTIVE


def test_proposal_ids_count_from_one(dao, governor, proposer, voter, make_staker, action):
    assert governor.proposal_count() == 0
    third = make_staker("third proposer", 10_000 * WAD)
    assert [dao.propose(who, [action]) for who in (proposer, voter, third)] == [1, 2, 3]
    assert governor.proposal_count() == 3


def test_propose_emits_the_actions_and_description(dao, governor, proposer, action, events):
    second = Action(dao.tasks.address, calldata("set_protocol_fee_bps(uint256)", 300))
    proposal_id = dao.propose(proposer, [action, second], "two changes")

    (log,) = events(governor, "ProposalCreated")
    p = governor.proposals(proposal_id)
    assert log.proposal_id == proposal_id
    assert log.proposer == proposer
    assert log.targets == [action.target, second.target]
    assert log.calldatas == [action.data, second.data]
    assert log.description == "two changes"
    assert (log.snapshot, log.vote_end, log.quorum) == (p.snapshot, p.vote_end, p.quorum)


def test_quorum_is_rounded_up(dao, governor, make_staker, action):
    # 10% of 12,345 ARENA + 3 wei is 1,234.5 ARENA + 0.3 wei: the quorum is
    # that rounded up to the next wei.
    proposer = make_staker("proposer", 12_345 * WAD + 3)
    proposal_id = dao.propose(proposer, [action])
    assert governor.proposals(proposal_id).quorum == 1_234_500_000_000_000_000_001


def test_quorum_is_exact_when_it_divides(dao, governor, make_staker, action):
    proposer = make_staker("proposer", 12_340 * WAD)
    proposal_id = dao.propose(proposer, [action])
    assert governor.proposals(proposal_id).quorum == 1_234 * WAD


def test_propose_without_actions_reverts(dao, proposer):
    with boa.reverts("gov: no actions"):
        dao.propose(proposer, [])


@pytest.mark.parametrize("n_calldatas", [0, 1, 3])
def test_propose_needs_one_calldata_per_target(dao, governor, proposer, action, n_calldatas):
    targets = [action.target, action.target]
    with boa.reverts("gov: one calldata per target"), boa.env.prank(proposer):
        governor.propose(targets, [action.data] * n_calldatas, "mismatch")


@pytest.mark.parametrize("outsider", ["proposer", "guardian", "bank", "zero"])
def test_propose_to_a_contract_outside_the_protocol_reverts(
    dao, governor, proposer, action, outsider
):
    target = {
        "proposer": proposer,
        "guardian": dao.guardian,
        "bank": dao.bank,
        "zero": ZERO_ADDRESS,
    }[outsider]
    assert not governor.is_protocol_contract(target)
    with boa.reverts("gov: target is not a protocol contract"):
        dao.propose(proposer, [action, Action(target, action.data)])
    assert governor.proposal_count() == 0


def test_every_protocol_contract_is_a_target(dao, governor, proposer):
    contracts = [dao.token, dao.staking, dao.tasks, dao.emission, governor]
    assert all(governor.is_protocol_contract(c.address) for c in contracts)
    actions = [Action(c.address, b"") for c in contracts]
    proposal_id = dao.propose(proposer, actions)
    assert governor.state(proposal_id) == STATE_ACTIVE


def test_propose_at_the_threshold(dao, governor, make_staker, action):
    proposer = make_staker("proposer", PROPOSAL_THRESHOLD)
    assert dao.propose(proposer, [action]) == 1


def test_propose_below_the_threshold_reverts(dao, make_staker, action):
    proposer = make_staker("proposer", PROPOSAL_THRESHOLD - 1)
    with boa.reverts("gov: voting power below the proposal threshold"):
        dao.propose(proposer, [action])


def test_propose_without_stake_reverts(dao, non_staker, voter, action):
    with boa.reverts("gov: voting power below the proposal threshold"):
        dao.propose(non_staker, [action])


def test_propose_with_no_power_reverts_even_with_a_zero_threshold(
    dao, governor, proposer, non_staker, action
):
    dao.pass_and_execute(
        [dao.set_param(governor, "set_proposal_threshold(uint256)", 0)], [proposer]
    )
    assert governor.proposal_threshold() == 0
    boa.env.time_travel(blocks=1)
    with boa.reverts("gov: voting power below the proposal threshold"):
        dao.propose(non_staker, [action])
    # Any power at all is then enough.
    staker = dao.staker("small_staker", 1)
    assert dao.propose(staker, [action]) == 2


def test_stake_made_in_the_proposal_block_gives_no_power(dao, action, voter):
    # Power is read at the end of the previous block: a flash stake made in
    # the same block as the proposal does not count.
    late = dao.operator("late_staker", 50_000 * WAD)
    assert dao.staking.votes(late) == 50_000 * WAD
    with boa.reverts("gov: voting power below the proposal threshold"):
        dao.propose(late, [action])
    boa.env.time_travel(blocks=1)
    assert dao.propose(late, [action]) == 1


def test_stake_withdrawn_in_the_proposal_block_still_counts(dao, governor, proposer, action):
    with boa.env.prank(proposer):
        dao.staking.request_withdraw(proposer, dao.staking.votes(proposer))
    assert dao.staking.votes(proposer) == 0
    proposal_id = dao.propose(proposer, [action])
    assert governor.proposals(proposal_id).proposer == proposer


def test_up_to_max_actions(dao, governor, proposer, action):
    assert governor.MAX_ACTIONS() == 8
    proposal_id = dao.propose(proposer, [action] * 8)
    assert governor.state(proposal_id) == STATE_ACTIVE


def test_more_than_max_actions_reverts(dao, governor, proposer, action):
    with boa.reverts():
        dao.propose(proposer, [action] * 9)
    assert governor.proposal_count() == 0


def test_description_up_to_its_maximum(dao, governor, proposer, action, events):
    text = "d" * governor.MAX_DESCRIPTION()
    dao.propose(proposer, [action], text)
    (log,) = events(governor, "ProposalCreated")
    assert log.description == text


def test_new_voting_period_applies_to_later_proposals(dao, governor, proposer, voter, action):
    first = dao.propose(voter, [action])
    first_end = governor.proposals(first).vote_end
    assert first_end == dao.now() + VOTING_PERIOD
    dao.pass_and_execute(
        [dao.set_param(governor, "set_voting_period(uint256)", 5 * DAY)], [proposer]
    )
    second = dao.propose(proposer, [action])
    assert governor.voting_period() == 5 * DAY
    assert governor.proposals(second).vote_end == dao.now() + 5 * DAY
    # The earlier proposal keeps the deadline it was made with.
    assert governor.proposals(first).vote_end == first_end


def test_a_proposer_has_one_live_proposal_at_a_time(dao, governor, proposer, voter, action):
    """A proposer cannot flood the governor: while its last proposal is
    active, succeeded or queued, it may not propose again."""
    first = dao.propose(proposer, [action])
    assert governor.latest_proposal(proposer) == first
    with boa.reverts("gov: the proposer has a live proposal"):
        dao.propose(proposer, [action])
    # Others still may.
    dao.propose(voter, [action])
    # Passed and queued: still live.
    dao.vote(first, voter, FOR)
    dao.end_vote(first)
    with boa.reverts("gov: the proposer has a live proposal"):
        dao.propose(proposer, [action])
    eta = dao.queue(first)
    with boa.reverts("gov: the proposer has a live proposal"):
        dao.propose(proposer, [action])
    # Executed: the proposer may propose again.
    dao.warp_to(eta)
    dao.execute(first, [action])
    assert dao.propose(proposer, [action]) == governor.latest_proposal(proposer)
