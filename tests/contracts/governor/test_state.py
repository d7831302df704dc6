"""Governor.state: every state and the moment each transition happens, and
how a vote's outcome is decided (majority, quorum, abstentions)."""

import boa
import pytest

from support.constants import DAY, WAD
from support.dao import (
    ABSTAIN,
    AGAINST,
    FOR,
    PROPOSAL_THRESHOLD,
    STATE_ACTIVE,
    STATE_CANCELED,
    STATE_DEFEATED,
    STATE_EXECUTED,
    STATE_EXPIRED,
    STATE_NONE,
    STATE_QUEUED,
    STATE_SUCCEEDED,
)

GRACE_PERIOD = 14 * DAY


def vote_and_close(dao, proposal_id: int, votes: list[tuple[str, int]]) -> int:
    for voter, support in votes:
        dao.vote(proposal_id, voter, support)
    dao.end_vote(proposal_id)
    return dao.governor.state(proposal_id)


# --- the lifecycle -----------------------------------------------------------------


@pytest.mark.parametrize("proposal_id", [0, 1, 2**256 - 1])
def test_no_proposal_is_none(governor, proposal_id):
    assert governor.state(proposal_id) == STATE_NONE


def test_the_next_id_is_none_until_proposed(governor, proposal):
    assert governor.state(proposal) == STATE_ACTIVE
    assert governor.state(proposal + 1) == STATE_NONE


def test_active_until_the_vote_ends(dao, governor, proposal, voter):
    dao.vote(proposal, voter, FOR)
    vote_end = governor.proposals(proposal).vote_end
    dao.warp_to(vote_end - 1)
    assert governor.state(proposal) == STATE_ACTIVE
    boa.env.time_travel(seconds=1)
    assert dao.now() == vote_end
    assert governor.state(proposal) == STATE_SUCCEEDED
    boa.env.time_travel(seconds=1)
    assert governor.state(proposal) == STATE_SUCCEEDED


def test_defeated_when_the_vote_ends(dao, governor, proposal, voter):
    dao.vote(proposal, voter, AGAINST)
    dao.warp_to(governor.proposals(proposal).vote_end - 1)
    assert governor.state(proposal) == STATE_ACTIVE
    boa.env.time_travel(seconds=1)
    assert governor.state(proposal) == STATE_DEFEATED
    # Defeated for good.
    boa.env.time_travel(seconds=365 * DAY)
    assert governor.state(proposal) == STATE_DEFEATED


def test_nobody_voting_is_a_defeat(dao, governor, proposal):
    dao.end_vote(proposal)
    assert governor.state(proposal) == STATE_DEFEATED


def test_queued_until_the_grace_period_ends(dao, governor, queued):
    eta = governor.proposals(queued).eta
    assert governor.state(queued) == STATE_QUEUED
    dao.warp_to(eta)
    assert governor.state(queued) == STATE_QUEUED
    dao.warp_to(eta + GRACE_PERIOD - 1)
    assert governor.state(queued) == STATE_QUEUED
    boa.env.time_travel(seconds=1)
    assert governor.state(queued) == STATE_EXPIRED


def test_executed(dao, governor, queued, action):
    dao.warp_to(governor.proposals(queued).eta)
    dao.execute(queued, [action])
    assert governor.state(queued) == STATE_EXECUTED
    # Executed is final: the grace period no longer matters.
    dao.warp_to(governor.proposals(queued).eta + GRACE_PERIOD)
    assert governor.state(queued) == STATE_EXECUTED


def test_canceled(dao, governor, proposal, proposer):
    with boa.env.prank(proposer):
        governor.cancel(proposal)
    assert governor.state(proposal) == STATE_CANCELED
    dao.end_vote(proposal)
    assert governor.state(proposal) == STATE_CANCELED


# --- majority ------------------------------------------------------------------------


def test_for_equal_to_against_is_defeated(dao, governor, make_staker, proposer, action):
    supporter = make_staker("supporter", 7_000 * WAD)
    opponent = make_staker("opponent", 7_000 * WAD)
    proposal_id = dao.propose(proposer, [action])
    assert (
        vote_and_close(dao, proposal_id, [(supporter, FOR), (opponent, AGAINST)]) == STATE_DEFEATED
    )


def test_for_one_wei_above_against_succeeds(dao, governor, make_staker, proposer, action):
    supporter = make_staker("supporter", 7_000 * WAD + 1)
    opponent = make_staker("opponent", 7_000 * WAD)
    proposal_id = dao.propose(proposer, [action])
    assert (
        vote_and_close(dao, proposal_id, [(supporter, FOR), (opponent, AGAINST)]) == STATE_SUCCEEDED
    )


def test_abstentions_do_not_break_a_tie(dao, governor, make_staker, proposer, action):
    supporter = make_staker("supporter", 7_000 * WAD)
    opponent = make_staker("opponent", 7_000 * WAD)
    abstainer = make_staker("abstainer", 50_000 * WAD)
    proposal_id = dao.propose(proposer, [action])
    votes = [(supporter, FOR), (opponent, AGAINST), (abstainer, ABSTAIN)]
    assert vote_and_close(dao, proposal_id, votes) == STATE_DEFEATED


def test_abstentions_alone_are_a_defeat(dao, governor, proposal, voter):
    assert vote_and_close(dao, proposal, [(voter, ABSTAIN)]) == STATE_DEFEATED


# --- quorum --------------------------------------------------------------------------
#
# With a 10% quorum, silent stake of 9q - 3 - (the proposer's) and for +
# abstain votes of q make a total of 10q - 3: the quorum is ceil(q - 0.3) = q.
# One wei less of abstention makes it 10q - 4, still a quorum of q, and the
# votes q - 1 fall short (a quorum rounded down, q - 1, would let them pass).

QUORUM = 2_000 * WAD + 1
SUPPORT = 600 * WAD


def quorum_setup(
    dao, make_staker, action, supporter_power: int, other_power: int = 0, other: str = "abstainer"
):
    """A proposal whose total power is 9q - 3 + supporter_power + other_power;
    returns it, the supporter and the other voter (None without power)."""
    proposer = make_staker("proposer", PROPOSAL_THRESHOLD)
    make_staker("silent_holder", 9 * QUORUM - 3 - PROPOSAL_THRESHOLD)
    supporter = make_staker("supporter", supporter_power)
    other_voter = make_staker(other, other_power) if other_power else None
    proposal_id = dao.propose(proposer, [action])
    return proposal_id, supporter, other_voter


def test_for_and_abstain_exactly_at_quorum_pass(dao, governor, make_staker, action):
    proposal_id, supporter, abstainer = quorum_setup(
        dao, make_staker, action, SUPPORT, QUORUM - SUPPORT
    )
    assert governor.proposals(proposal_id).quorum == QUORUM
    votes = [(supporter, FOR), (abstainer, ABSTAIN)]
    assert vote_and_close(dao, proposal_id, votes) == STATE_SUCCEEDED


def test_for_and_abstain_one_wei_below_quorum_fail(dao, governor, make_staker, action):
    proposal_id, supporter, abstainer = quorum_setup(
        dao, make_staker, action, SUPPORT, QUORUM - SUPPORT - 1
    )
    assert governor.proposals(proposal_id).quorum == QUORUM
    votes = [(supporter, FOR), (abstainer, ABSTAIN)]
    assert vote_and_close(dao, proposal_id, votes) == STATE_DEFEATED


def test_for_alone_exactly_at_quorum_passes(dao, governor, make_staker, action):
    proposal_id, supporter, _ = quorum_setup(dao, make_staker, action, QUORUM)
    assert governor.proposals(proposal_id).quorum == QUORUM
    assert vote_and_close(dao, proposal_id, [(supporter, FOR)]) == STATE_SUCCEEDED


def test_for_alone_one_wei_below_quorum_fails(dao, governor, make_staker, action):
    proposal_id, supporter, _ = quorum_setup(dao, make_staker, action, QUORUM - 1)
    assert governor.proposals(proposal_id).quorum == QUORUM
    assert vote_and_close(dao, proposal_id, [(supporter, FOR)]) == STATE_DEFEATED


def test_abstentions_count_toward_the_quorum(dao, governor, make_staker, action):
    # The supporter alone is far below the quorum; the abstainer makes it.
    proposal_id, supporter, abstainer = quorum_setup(dao, make_staker, action, SUPPORT, QUORUM)
    assert (
        vote_and_close(dao, proposal_id, [(supporter, FOR), (abstainer, ABSTAIN)])
        == STATE_SUCCEEDED
    )


def test_without_the_abstentions_the_quorum_is_missed(dao, governor, make_staker, action):
    proposal_id, supporter, _ = quorum_setup(dao, make_staker, action, SUPPORT, QUORUM)
    assert vote_and_close(dao, proposal_id, [(supporter, FOR)]) == STATE_DEFEATED


def test_against_votes_do_not_count_toward_the_quorum(dao, governor, make_staker, action):
    proposal_id, supporter, opponent = quorum_setup(
        dao, make_staker, action, QUORUM - 1, 1, "opponent"
    )
    # for + against reach the quorum, for + abstain do not.
    assert (
        vote_and_close(dao, proposal_id, [(supporter, FOR), (opponent, AGAINST)]) == STATE_DEFEATED
    )


def test_the_quorum_is_fixed_when_proposed(dao, governor, proposal, voter):
    quorum = governor.proposals(proposal).quorum
    whale = dao.staker("whale", 10_000_000 * WAD)
    dao.vote(proposal, voter, FOR)
    dao.end_vote(proposal)
    assert dao.staking.votes(whale) > 0
    assert governor.proposals(proposal).quorum == quorum
    assert governor.state(proposal) == STATE_SUCCEEDED


def test_new_quorum_applies_to_later_proposals(dao, governor, proposal, proposer, voter, action):
    old = governor.proposals(proposal).quorum
    total = dao.staking.total_votes()
    dao.pass_and_execute(
        [dao.set_param(governor, "set_quorum_bps(uint256)", 4_000)], [voter, proposer]
    )
    assert governor.proposals(proposal).quorum == old
    later = dao.propose(proposer, [action])
    assert governor.proposals(later).quorum == total * 4_000 // 10_000


def test_the_quorum_base_is_the_total_power_at_the_snapshot(
    dao, governor, proposer, voter, other_voter, action
):
    """The quorum's base and the votes are both read at the snapshot, the
    block before the proposal's: stake asked back in the proposal's block
    lowers neither (docs/governance.md)."""
    snapshot_total = dao.staking.total_votes()
    # In the proposal's block, before it: the voter asks its stake back.
    with boa.env.prank(voter):
        dao.staking.request_withdraw(voter, dao.staking.votes(voter))
    assert dao.staking.total_votes() == snapshot_total - 20_000 * WAD
    proposal_id = dao.propose(proposer, [action])
    # The voter still votes with all of it...
    boa.env.time_travel(blocks=1)
    assert dao.vote(proposal_id, voter, FOR) == 20_000 * WAD
    # ...and the quorum counts it too, as staked at the snapshot.
    assert governor.proposals(proposal_id).quorum == -(-snapshot_total * 1_000 // 10_000)
