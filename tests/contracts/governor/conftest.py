"""Fixtures of the Governor unit tests.

Each module deploys the whole protocol once (`GovernedArena`: governance
holds every admin role and is the treasury); the boa pytest plugin runs every
test and fixture inside its own snapshot, so each test starts from that fresh
deployment. Stakers are operators whose own stake is their voting power,
made in a block that is already past, so that a proposal made now sees it.
"""

from collections.abc import Callable

import boa
import pytest
from eth_abi import decode

from support.constants import DAY, WAD
from support.dao import Action, GovernedArena, calldata

PROPOSER_STAKE = 10_000 * WAD
VOTER_STAKE = 20_000 * WAD
OTHER_VOTER_STAKE = 5_000 * WAD

# Error(string) selector: what `assert cond, "reason"` reverts with.
ERROR_SELECTOR = bytes.fromhex("08c379a0")


@pytest.fixture(scope="module")
def dao() -> GovernedArena:
    return GovernedArena()


@pytest.fixture(scope="module")
def governor(dao):
    return dao.governor


@pytest.fixture
def deployer(dao) -> str:
    """The account that deployed and wired everything, then stepped down."""
    return dao.admin


@pytest.fixture
def make_staker(dao) -> Callable[[str, int], str]:
    """`make_staker(name, power)`: an operator with `power` of voting power,
    staked in a past block."""
    return dao.staker


@pytest.fixture
def proposer(dao) -> str:
    return dao.staker("proposer", PROPOSER_STAKE)


@pytest.fixture
def voter(dao) -> str:
    return dao.staker("voter", VOTER_STAKE)


@pytest.fixture
def other_voter(dao) -> str:
    return dao.staker("other_voter", OTHER_VOTER_STAKE)


@pytest.fixture
def non_staker() -> str:
    return boa.env.generate_address("non_staker")


@pytest.fixture
def action(dao) -> Action:
    """A harmless change: staking's unbonding delay to 10 days."""
    return Action(dao.staking.address, calldata("set_unbonding_delay(uint256)", 10 * DAY))


@pytest.fixture
def proposal(dao, proposer, voter, other_voter, action) -> int:
    """An open proposal of `action` by `proposer`; voter and other_voter had
    stake at its snapshot."""
    return dao.propose(proposer, [action], "raise the unbonding delay")


@pytest.fixture
def passed(dao, proposal, voter) -> int:
    """`proposal` after its vote: the voter (most of the power) voted for."""
    dao.vote(proposal, voter)
    dao.end_vote(proposal)
    return proposal


@pytest.fixture
def queued(dao, passed) -> int:
    """`passed`, queued; the chain is still at the queue time."""
    dao.queue(passed)
    return passed


@pytest.fixture
def events() -> Callable:
    """`events(contract, "Name")`: the events of that name in the contract's
    last call (events of the contracts it called included)."""

    def named(contract, name: str) -> list:
        return [e for e in contract.get_logs() if type(e).__name__ == name]

    return named


@pytest.fixture
def revert_reason() -> Callable:
    """`revert_reason(fn, *args)`: the Error(string) reason the outermost
    call reverts with (not a reason found deeper in the call trace)."""

    def reason(fn, *args) -> str:
        try:
            fn(*args)
        except boa.BoaError as error:
            output = bytes(error.call_trace.computation.output)
            assert output[:4] == ERROR_SELECTOR, output
            return decode(["string"], output[4:])[0]
        raise AssertionError("the call did not revert")

    return reason
