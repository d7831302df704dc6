"""Governor.queue and Governor.execute: the timelock, its grace period, the
actions check, and all-or-nothing execution."""

import boa
import pytest

from support.constants import DAY, UNBONDING_DELAY
from support.dao import (
    AGAINST,
    STATE_DEFEATED,
    STATE_EXECUTED,
    STATE_EXPIRED,
    STATE_QUEUED,
    STATE_SUCCEEDED,
    TIMELOCK_DELAY,
    Action,
    calldata,
)

GRACE_PERIOD = 14 * DAY


def unbonding_delay_action(dao, value: int) -> Action:
    return Action(dao.staking.address, calldata("set_unbonding_delay(uint256)", value))


# --- queue ------------------------------------------------------------------


def test_queue_starts_the_timelock(dao, governor, passed, events):
    eta = dao.queue(passed)
    (log,) = events(governor, "ProposalQueued")

    assert eta == dao.now() + TIMELOCK_DELAY
    assert (log.proposal_id, log.eta) == (passed, eta)
    assert governor.proposals(passed).eta == eta
    assert governor.state(passed) == STATE_QUEUED


def test_anyone_may_queue(dao, governor, passed, non_staker):
    with boa.env.prank(non_staker):
        governor.queue(passed)
    assert governor.state(passed) == STATE_QUEUED


def test_queue_while_the_vote_is_open_reverts(dao, governor, proposal, voter):
    dao.vote(proposal, voter)
    dao.warp_to(governor.proposals(proposal).vote_end - 1)
    with boa.reverts("gov: proposal has not passed"):
        dao.queue(proposal)
    boa.env.time_travel(seconds=1)
    dao.queue(proposal)
    assert governor.state(proposal) == STATE_QUEUED


def test_queue_a_defeated_proposal_reverts(dao, governor, proposal, voter):
    dao.vote(proposal, voter, AGAINST)
    dao.end_vote(proposal)
    assert governor.state(proposal) == STATE_DEFEATED
    with boa.reverts("gov: proposal has not passed"):
        dao.queue(proposal)


def test_queue_twice_reverts(dao, governor, queued):
    eta = governor.proposals(queued).eta
    boa.env.time_travel(seconds=100)
    with boa.reverts("gov: proposal has not passed"):
        dao.queue(queued)
    assert governor.proposals(queued).eta == eta


@pytest.mark.parametrize("proposal_id", [0, 2])
def test_queue_a_proposal_that_does_not_exist_reverts(dao, passed, proposal_id):
    with boa.reverts("gov: proposal has not passed"):
        dao.queue(proposal_id)


def test_new_timelock_delay_applies_to_later_queues(dao, governor, proposer, voter, action):
    dao.pass_and_execute(
        [dao.set_param(governor, "set_timelock_delay(uint256)", 5 * DAY)], [proposer, voter]
    )
    boa.env.time_travel(blocks=1)
    proposal_id = dao.propose(proposer, [action])
    dao.vote(proposal_id, voter)
    dao.end_vote(proposal_id)
    assert dao.queue(proposal_id) == dao.now() + 5 * DAY


# --- execute: timing -------------------------------------------------------------


def test_execute_one_second_before_the_eta_reverts(dao, governor, queued, action):
    dao.warp_to(governor.proposals(queued).eta - 1)
    with boa.reverts("gov: timelock not over"):
        dao.execute(queued, [action])
    assert dao.staking.unbonding_delay() == UNBONDING_DELAY


def test_execute_right_after_queue_reverts(dao, queued, action):
    with boa.reverts("gov: timelock not over"):
        dao.execute(queued, [action])


@pytest.mark.parametrize("after_eta", [0, 1, GRACE_PERIOD - 1])
def test_execute_from_the_eta_until_the_grace_period_ends(
    dao, governor, queued, action, after_eta, events
):
    dao.warp_to(governor.proposals(queued).eta + after_eta)
    dao.execute(queued, [action])
    (log,) = events(governor, "ProposalExecuted")

    assert log.proposal_id == queued
    assert dao.staking.unbonding_delay() == 10 * DAY
    p = governor.proposals(queued)
    assert p.executed
    assert governor.state(queued) == STATE_EXECUTED


@pytest.mark.parametrize("after_grace", [0, 1])
def test_execute_after_the_grace_period_reverts(dao, governor, queued, action, after_grace):
    dao.warp_to(governor.proposals(queued).eta + GRACE_PERIOD + after_grace)
    assert governor.state(queued) == STATE_EXPIRED
    with boa.reverts("gov: proposal is not queued"):
        dao.execute(queued, [action])
    assert dao.staking.unbonding_delay() == UNBONDING_DELAY


def test_execute_before_queue_reverts(dao, governor, passed, action):
    assert governor.state(passed) == STATE_SUCCEEDED
    dao.warp_to(dao.now() + TIMELOCK_DELAY)
    with boa.reverts("gov: proposal is not queued"):
        dao.execute(passed, [action])


def test_execute_during_the_vote_reverts(dao, proposal, voter, action):
    dao.vote(proposal, voter)
    with boa.reverts("gov: proposal is not queued"):
        dao.execute(proposal, [action])


def test_execute_twice_reverts(dao, governor, queued, action):
    dao.warp_to(governor.proposals(queued).eta)
    dao.execute(queued, [action])
    with boa.reverts("gov: proposal is not queued"):
        dao.execute(queued, [action])


@pytest.mark.parametrize("proposal_id", [0, 2])
def test_execute_a_proposal_that_does_not_exist_reverts(dao, queued, action, proposal_id):
    dao.warp_to(dao.governor.proposals(queued).eta)
    with boa.reverts("gov: proposal is not queued"):
        dao.execute(proposal_id, [action])


def test_anyone_may_execute(dao, governor, queued, action, non_staker):
    dao.warp_to(governor.proposals(queued).eta)
    with boa.env.prank(non_staker):
        governor.execute(queued, [action.target], [action.data])
    assert governor.state(queued) == STATE_EXECUTED


# --- execute: the actions ------------------------------------------------------------


@pytest.mark.parametrize("change", ["calldata", "target", "extra", "missing"])
def test_execute_with_other_actions_reverts(dao, governor, queued, action, change):
    other = {
        "calldata": [unbonding_delay_action(dao, 11 * DAY)],
        "target": [Action(dao.tasks.address, action.data)],
        "extra": [action, action],
        "missing": [],
    }[change]
    dao.warp_to(governor.proposals(queued).eta)
    with boa.reverts("gov: actions do not match the proposal"):
        dao.execute(queued, other)
    assert governor.state(queued) == STATE_QUEUED
    # The right actions still run.
    dao.execute(queued, [action])
    assert dao.staking.unbonding_delay() == 10 * DAY


def test_execute_with_reordered_actions_reverts(dao, governor, proposer, voter):
    first = unbonding_delay_action(dao, 9 * DAY)
    second = unbonding_delay_action(dao, 12 * DAY)
    proposal_id = dao.propose(proposer, [first, second])
    dao.vote(proposal_id, voter)
    dao.end_vote(proposal_id)
    dao.warp_to(dao.queue(proposal_id))
    with boa.reverts("gov: actions do not match the proposal"):
        dao.execute(proposal_id, [second, first])
    dao.execute(proposal_id, [first, second])
    # In order: the last write wins.
    assert dao.staking.unbonding_delay() == 12 * DAY


def test_actions_run_in_order_and_all_together(dao, governor, proposer, voter):
    actions = [
        unbonding_delay_action(dao, 9 * DAY),
        Action(dao.tasks.address, calldata("set_protocol_fee_bps(uint256)", 300)),
        Action(governor.address, calldata("set_quorum_bps(uint256)", 2_000)),
    ]
    proposal_id = dao.pass_and_execute(actions, [proposer, voter])
    names = [type(e).__name__ for e in governor.get_logs()]
    assert names == ["ParameterUpdated"] * 3 + ["ProposalExecuted"]
    assert governor.state(proposal_id) == STATE_EXECUTED
    assert dao.staking.unbonding_delay() == 9 * DAY
    assert dao.tasks.protocol_fee_bps() == 300
    assert governor.quorum_bps() == 2_000


def test_failing_action_reverts_the_whole_execution(dao, governor, proposer, voter, revert_reason):
    good = unbonding_delay_action(dao, 9 * DAY)
    bad = unbonding_delay_action(dao, 1)  # below the one-hour minimum
    proposal_id = dao.propose(proposer, [good, bad])
    dao.vote(proposal_id, voter)
    dao.end_vote(proposal_id)
    dao.warp_to(dao.queue(proposal_id))

    # The callee's reason comes back as the execution's own revert reason.
    reason = revert_reason(dao.execute, proposal_id, [good, bad])
    assert reason == "staking: unbonding delay out of bounds"
    # Nothing happened: the first action is undone and the proposal stays
    # queued (not marked executed).
    assert dao.staking.unbonding_delay() == UNBONDING_DELAY
    assert not governor.proposals(proposal_id).executed
    assert governor.state(proposal_id) == STATE_QUEUED


def test_failing_action_of_another_contract_bubbles_its_reason(
    dao, governor, proposer, voter, revert_reason
):
    # The governor holds no tokens: a treasury transfer fails in the token.
    recipient = boa.env.generate_address("grantee")
    transfer = Action(dao.token.address, calldata("transfer(address,uint256)", recipient, 1))
    proposal_id = dao.propose(proposer, [transfer])
    dao.vote(proposal_id, voter)
    dao.end_vote(proposal_id)
    dao.warp_to(dao.queue(proposal_id))
    assert (
        revert_reason(dao.execute, proposal_id, [transfer])
        == "erc20: transfer amount exceeds balance"
    )
    assert governor.state(proposal_id) == STATE_QUEUED
