"""The governor's own parameters: set only by an executed proposal, always
within their bounds (the constructor goes through the same checks)."""

import boa
import pytest

from support.arena import partial
from support.constants import DAY, WAD, ZERO_ADDRESS
from support.dao import (
    PROPOSAL_THRESHOLD,
    QUORUM_BPS,
    STATE_QUEUED,
    TIMELOCK_DELAY,
    VOTING_PERIOD,
    Action,
    calldata,
)

# setter: (lowest allowed, highest allowed, revert reason out of bounds)
BOUNDS = {
    "voting_period": (60, 30 * DAY, "gov: voting period out of bounds"),
    "timelock_delay": (60, 30 * DAY, "gov: timelock delay out of bounds"),
    "quorum_bps": (100, 5_000, "gov: quorum out of bounds"),
    "proposal_threshold": (0, 10**25, "gov: proposal threshold out of bounds"),
}
OUT_OF_BOUNDS = [
    (name, value, reason)
    for name, (low, high, reason) in BOUNDS.items()
    for value in ([low - 1] if low else []) + [high + 1, 2**256 - 1]
]
IN_BOUNDS = [(name, value) for name, (low, high, _) in BOUNDS.items() for value in (low, high)]


def setter(governor, name: str, value: int) -> Action:
    return Action(governor.address, calldata(f"set_{name}(uint256)", value))


def to_execution(dao, proposer: str, voter: str, actions: list[Action]) -> int:
    """Propose, pass and queue `actions`, and wait out the timelock."""
    proposal_id = dao.propose(proposer, actions)
    dao.vote(proposal_id, voter)
    dao.end_vote(proposal_id)
    dao.warp_to(dao.queue(proposal_id))
    return proposal_id


def test_bounds_are_public(governor):
    assert (governor.MIN_VOTING_PERIOD(), governor.MAX_VOTING_PERIOD()) == BOUNDS["voting_period"][
        :2
    ]
    assert (governor.MIN_TIMELOCK_DELAY(), governor.MAX_TIMELOCK_DELAY()) == BOUNDS[
        "timelock_delay"
    ][:2]
    assert (governor.MIN_QUORUM_BPS(), governor.MAX_QUORUM_BPS()) == BOUNDS["quorum_bps"][:2]
    assert governor.MAX_PROPOSAL_THRESHOLD() == BOUNDS["proposal_threshold"][1]
    assert governor.GRACE_PERIOD() == 14 * DAY
    assert (governor.MAX_ACTIONS(), governor.MAX_CALLDATA(), governor.MAX_DESCRIPTION()) == (
        8,
        1_024,
        2_048,
    )


def test_deployed_parameters(dao, governor):
    assert governor.voting_period() == VOTING_PERIOD
    assert governor.timelock_delay() == TIMELOCK_DELAY
    assert governor.quorum_bps() == QUORUM_BPS
    assert governor.proposal_threshold() == PROPOSAL_THRESHOLD
    assert governor.token() == dao.token.address
    assert governor.staking() == dao.staking.address
    assert governor.task_manager() == dao.tasks.address
    assert governor.emission() == dao.emission.address


@pytest.mark.parametrize("name", list(BOUNDS))
@pytest.mark.parametrize("caller", ["proposer", "deployer", "guardian", "non_staker"])
def test_setters_only_through_a_proposal(
    dao, governor, proposer, deployer, non_staker, name, caller
):
    account = {
        "proposer": proposer,
        "deployer": deployer,
        "guardian": dao.guardian,
        "non_staker": non_staker,
    }[caller]
    low, _, _ = BOUNDS[name]
    before = getattr(governor, name)()
    with boa.reverts("gov: only through a proposal"), boa.env.prank(account):
        getattr(governor, f"set_{name}")(low)
    assert getattr(governor, name)() == before


@pytest.mark.parametrize(("name", "value"), IN_BOUNDS)
def test_setter_through_a_proposal_within_bounds(dao, governor, proposer, voter, name, value):
    action = setter(governor, name, value)
    proposal_id = to_execution(dao, proposer, voter, [action])
    dao.execute(proposal_id, [action])
    (log,) = [e for e in governor.get_logs() if type(e).__name__ == "ParameterUpdated"]
    assert (log.name, log.value) == (name, value)
    assert getattr(governor, name)() == value


@pytest.mark.parametrize(("name", "value", "reason"), OUT_OF_BOUNDS)
def test_setter_through_a_proposal_out_of_bounds_reverts(
    dao, governor, proposer, voter, revert_reason, name, value, reason
):
    before = getattr(governor, name)()
    action = setter(governor, name, value)
    proposal_id = to_execution(dao, proposer, voter, [action])
    assert revert_reason(dao.execute, proposal_id, [action]) == reason
    assert getattr(governor, name)() == before
    assert governor.state(proposal_id) == STATE_QUEUED


def test_a_proposal_can_set_every_parameter_at_once(dao, governor, proposer, voter):
    values = {
        "voting_period": 2 * DAY,
        "timelock_delay": 3 * DAY,
        "quorum_bps": 2_500,
        "proposal_threshold": 5 * WAD,
    }
    dao.pass_and_execute([setter(governor, n, v) for n, v in values.items()], [proposer, voter])
    assert {n: getattr(governor, n)() for n in values} == values


# --- constructor -------------------------------------------------------------------


def deploy(dao, **overrides):
    args = {
        "token": dao.token.address,
        "staking": dao.staking.address,
        "task_manager": dao.tasks.address,
        "emission": dao.emission.address,
        "voting_period": VOTING_PERIOD,
        "timelock_delay": TIMELOCK_DELAY,
        "quorum_bps": QUORUM_BPS,
        "proposal_threshold": PROPOSAL_THRESHOLD,
    } | overrides
    return partial("Governor").deploy(*args.values())


def test_constructor_sets_the_parameters_and_logs_them(dao):
    governor = deploy(
        dao, voting_period=61, timelock_delay=62, quorum_bps=101, proposal_threshold=7
    )
    logs = [
        (e.name, e.value) for e in governor.get_logs() if type(e).__name__ == "ParameterUpdated"
    ]
    assert (governor.voting_period(), governor.timelock_delay(), governor.quorum_bps()) == (
        61,
        62,
        101,
    )
    assert governor.proposal_threshold() == 7
    assert logs == [
        ("voting_period", 61),
        ("timelock_delay", 62),
        ("quorum_bps", 101),
        ("proposal_threshold", 7),
    ]


@pytest.mark.parametrize(("name", "value", "reason"), OUT_OF_BOUNDS)
def test_constructor_checks_the_bounds(dao, name, value, reason):
    with boa.reverts(reason):
        deploy(dao, **{name: value})


@pytest.mark.parametrize("contract", ["token", "staking", "task_manager", "emission"])
def test_constructor_rejects_the_zero_address(dao, contract):
    with boa.reverts("gov: zero address"):
        deploy(dao, **{contract: ZERO_ADDRESS})
