"""Governor.cancel: the proposer withdraws its proposal while the vote is
open, and nothing can be done with it afterwards."""

import boa
import pytest

from support.dao import FOR, STATE_ACTIVE, STATE_CANCELED, STATE_QUEUED, STATE_SUCCEEDED


def cancel(governor, caller: str, proposal_id: int) -> None:
    with boa.env.prank(caller):
        governor.cancel(proposal_id)


def test_proposer_cancels_an_open_proposal(dao, governor, proposal, proposer, events):
    cancel(governor, proposer, proposal)
    (log,) = events(governor, "ProposalCanceled")

    assert log.proposal_id == proposal
    assert governor.proposals(proposal).canceled
    assert governor.state(proposal) == STATE_CANCELED


def test_proposer_cancels_after_votes_were_cast(dao, governor, proposal, proposer, voter):
    dao.vote(proposal, voter, FOR)
    dao.warp_to(governor.proposals(proposal).vote_end - 1)
    cancel(governor, proposer, proposal)
    # Past the vote, a proposal that would have passed stays canceled.
    dao.end_vote(proposal)
    assert governor.state(proposal) == STATE_CANCELED


@pytest.mark.parametrize("caller", ["voter", "non_staker", "governor", "deployer"])
def test_only_the_proposer_may_cancel(dao, governor, proposal, voter, non_staker, deployer, caller):
    account = {
        "voter": voter,
        "non_staker": non_staker,
        "governor": governor.address,
        "deployer": deployer,
    }[caller]
    with boa.reverts("gov: caller is not the proposer"):
        cancel(governor, account, proposal)
    assert governor.state(proposal) == STATE_ACTIVE


@pytest.mark.parametrize("proposal_id", [0, 2])
def test_cancel_a_proposal_that_does_not_exist_reverts(governor, proposal, proposer, proposal_id):
    with boa.reverts("gov: caller is not the proposer"):
        cancel(governor, proposer, proposal_id)


@pytest.mark.parametrize("after", [0, 1])
def test_cancel_after_the_vote_reverts(dao, governor, passed, proposer, after):
    dao.warp_to(governor.proposals(passed).vote_end + after)
    with boa.reverts("gov: voting is closed"):
        cancel(governor, proposer, passed)
    assert governor.state(passed) == STATE_SUCCEEDED


def test_cancel_a_queued_proposal_reverts(governor, queued, proposer):
    with boa.reverts("gov: voting is closed"):
        cancel(governor, proposer, queued)
    assert governor.state(queued) == STATE_QUEUED


def test_cancel_twice_reverts(governor, proposal, proposer):
    cancel(governor, proposer, proposal)
    with boa.reverts("gov: voting is closed"):
        cancel(governor, proposer, proposal)


def test_a_canceled_proposal_cannot_be_voted_queued_or_executed(
    dao, governor, proposal, proposer, voter, action
):
    dao.vote(proposal, voter, FOR)
    cancel(governor, proposer, proposal)
    with boa.reverts("gov: voting is closed"):
        dao.vote(proposal, proposer, FOR)
    dao.end_vote(proposal)
    with boa.reverts("gov: proposal has not passed"):
        dao.queue(proposal)
    with boa.reverts("gov: proposal is not queued"):
        dao.execute(proposal, [action])
    assert governor.state(proposal) == STATE_CANCELED


def test_cancel_leaves_other_proposals_alone(dao, governor, proposal, proposer, voter, action):
    other = dao.propose(voter, [action])
    cancel(governor, proposer, proposal)
    assert governor.state(other) == STATE_ACTIVE
