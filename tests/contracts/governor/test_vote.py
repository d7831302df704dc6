"""Governor.vote: one vote per voter, with the power it had at the
proposal's snapshot, while the vote is open."""

import boa
import pytest

from support.constants import WAD
from support.dao import ABSTAIN, AGAINST, FOR, STATE_ACTIVE


def tallies(governor, proposal_id) -> tuple[int, int, int]:
    p = governor.proposals(proposal_id)
    return p.for_votes, p.against_votes, p.abstain_votes


# The stakes of the conftest's stakers.
PROPOSER_STAKE = 10_000 * WAD
VOTER_STAKE = 20_000 * WAD
OTHER_VOTER_STAKE = 5_000 * WAD


@pytest.mark.parametrize(
    ("support", "expected"),
    [
        (FOR, (VOTER_STAKE, 0, 0)),
        (AGAINST, (0, VOTER_STAKE, 0)),
        (ABSTAIN, (0, 0, VOTER_STAKE)),
    ],
)
def test_vote_counts_the_snapshot_power(dao, governor, proposal, voter, events, support, expected):
    assert dao.staking.votes_at(voter, governor.proposals(proposal).snapshot) == VOTER_STAKE
    weight = dao.vote(proposal, voter, support)
    (log,) = events(governor, "VoteCast")

    assert (log.proposal_id, log.voter, log.support, log.weight) == (
        proposal,
        voter,
        support,
        VOTER_STAKE,
    )
    assert weight == VOTER_STAKE
    assert tallies(governor, proposal) == expected
    assert governor.receipts(proposal, voter) == support + 1


def test_votes_add_up(dao, governor, proposal, proposer, voter, other_voter):
    dao.vote(proposal, voter, FOR)
    dao.vote(proposal, other_voter, FOR)
    dao.vote(proposal, proposer, AGAINST)
    assert tallies(governor, proposal) == (VOTER_STAKE + OTHER_VOTER_STAKE, PROPOSER_STAKE, 0)


def test_a_voter_who_did_not_vote_has_no_receipt(governor, proposal, voter):
    assert governor.receipts(proposal, voter) == 0


@pytest.mark.parametrize("second", [FOR, AGAINST, ABSTAIN])
def test_second_vote_reverts(dao, governor, proposal, voter, second):
    dao.vote(proposal, voter, FOR)
    before = tallies(governor, proposal)
    with boa.reverts("gov: already voted"):
        dao.vote(proposal, voter, second)
    assert tallies(governor, proposal) == before
    assert governor.receipts(proposal, voter) == FOR + 1


def test_vote_again_after_withdrawing_and_restaking_reverts(dao, governor, proposal, voter):
    dao.vote(proposal, voter, AGAINST)
    with boa.env.prank(voter):
        dao.staking.request_withdraw(voter, VOTER_STAKE)
        dao.staking.delegate(voter, 500 * WAD)
    boa.env.time_travel(blocks=1)
    with boa.reverts("gov: already voted"):
        dao.vote(proposal, voter, FOR)
    assert tallies(governor, proposal) == (0, VOTER_STAKE, 0)


def test_one_vote_counts_on_each_proposal(
    dao, governor, proposal, proposer, voter, other_voter, action
):
    other = dao.propose(other_voter, [action])
    dao.vote(proposal, voter, FOR)
    assert dao.vote(other, voter, AGAINST) == VOTER_STAKE
    assert tallies(governor, proposal) == (VOTER_STAKE, 0, 0)
    assert tallies(governor, other) == (0, VOTER_STAKE, 0)


@pytest.mark.parametrize("support", [3, 4, 2**256 - 1])
def test_unknown_support_reverts(dao, proposal, voter, support):
    with boa.reverts("gov: support is 0 (against), 1 (for) or 2 (abstain)"):
        dao.vote(proposal, voter, support)


def test_vote_without_power_reverts(dao, governor, proposal, non_staker):
    with boa.reverts("gov: no voting power at the snapshot"):
        dao.vote(proposal, non_staker, FOR)
    assert governor.receipts(proposal, non_staker) == 0


def test_stake_added_after_the_proposal_gives_nothing(dao, governor, proposal):
    late = dao.staker("late_staker", 50_000 * WAD)
    assert dao.staking.votes(late) == 50_000 * WAD
    with boa.reverts("gov: no voting power at the snapshot"):
        dao.vote(proposal, late, FOR)


def test_stake_added_in_the_proposal_block_gives_nothing(dao, governor, voter, proposer, action):
    # Staked in the proposal's block, before the proposal: after its snapshot.
    early_in_block = dao.operator("same_block_staker", 50_000 * WAD)
    proposal_id = dao.propose(proposer, [action])
    boa.env.time_travel(blocks=1)
    with boa.reverts("gov: no voting power at the snapshot"):
        dao.vote(proposal_id, early_in_block, FOR)


def test_more_stake_after_the_proposal_does_not_raise_the_weight(dao, governor, proposal, voter):
    with boa.env.prank(voter):
        dao.staking.delegate(voter, 1_000 * WAD)
    boa.env.time_travel(blocks=1)
    assert dao.vote(proposal, voter, FOR) == VOTER_STAKE
    assert tallies(governor, proposal) == (VOTER_STAKE, 0, 0)


def test_stake_withdrawn_after_the_proposal_keeps_its_weight(dao, governor, proposal, voter):
    with boa.env.prank(voter):
        dao.staking.request_withdraw(voter, VOTER_STAKE)
    boa.env.time_travel(blocks=1)
    assert dao.staking.votes(voter) == 0
    assert dao.vote(proposal, voter, FOR) == VOTER_STAKE


def test_a_delegator_votes_with_its_delegated_tokens(dao, governor, voter, proposer, action):
    delegator = dao.actor("delegator")
    with boa.env.prank(delegator):
        dao.staking.delegate(voter, 3_000 * WAD)
    boa.env.time_travel(blocks=1)
    proposal_id = dao.propose(proposer, [action])
    # The operator's power is its own stake only: delegating gives it none.
    assert dao.vote(proposal_id, voter, FOR) == VOTER_STAKE
    assert dao.vote(proposal_id, delegator, AGAINST) == 3_000 * WAD


def test_vote_one_second_before_the_end(dao, governor, proposal, voter):
    dao.warp_to(governor.proposals(proposal).vote_end - 1)
    assert governor.state(proposal) == STATE_ACTIVE
    assert dao.vote(proposal, voter, FOR) == VOTER_STAKE


@pytest.mark.parametrize("after", [0, 1])
def test_vote_at_or_after_the_end_reverts(dao, governor, proposal, voter, after):
    dao.warp_to(governor.proposals(proposal).vote_end + after)
    with boa.reverts("gov: voting is closed"):
        dao.vote(proposal, voter, FOR)


@pytest.mark.parametrize("proposal_id", [0, 2, 2**256 - 1])
def test_vote_on_a_proposal_that_does_not_exist_reverts(dao, proposal, voter, proposal_id):
    with boa.reverts("gov: voting is closed"):
        dao.vote(proposal_id, voter, FOR)


def test_vote_on_a_canceled_proposal_reverts(dao, governor, proposal, proposer, voter):
    with boa.env.prank(proposer):
        governor.cancel(proposal)
    with boa.reverts("gov: voting is closed"):
        dao.vote(proposal, voter, FOR)
