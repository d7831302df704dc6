"""The whole protocol on titanoboa as deployment wires it: governance holds
every admin role and is the treasury, emission mints and funds tasks, the
guardian may pause new stakes, and the deployer keeps nothing.

`GovernedArena` extends `Arena` (which plays tasks) with the emission and
governance contracts and with helpers that carry a proposal through its
whole lifecycle.
"""

from dataclasses import dataclass

import boa
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector

from support.arena import Arena, partial
from support.constants import DAY, WAD

# Defaults the tests deploy governance and emission with.
VOTING_PERIOD = 3 * DAY
TIMELOCK_DELAY = 2 * DAY
QUORUM_BPS = 1_000
PROPOSAL_THRESHOLD = 1_000 * WAD
DAILY_EMISSION = 100_000 * WAD
DECAY_BPS = 2_000

STATE_NONE = 0
STATE_ACTIVE = 1
STATE_DEFEATED = 2
STATE_SUCCEEDED = 3
STATE_QUEUED = 4
STATE_EXPIRED = 5
STATE_EXECUTED = 6
STATE_CANCELED = 7

AGAINST, FOR, ABSTAIN = 0, 1, 2

DEFAULT_ADMIN_ROLE = b"\0" * 32


def calldata(signature: str, *args) -> bytes:
    """ABI-encoded call: `calldata("set_q_wad(uint256)", 9 * 10**17)`."""
    types = signature[signature.index("(") + 1 : -1]
    arg_types = [t for t in types.split(",") if t]
    return function_signature_to_4byte_selector(signature) + encode(arg_types, list(args))


@dataclass
class Action:
    """One call of a proposal."""

    target: str
    data: bytes


class GovernedArena(Arena):
    """Arena + emission + governor; governance owns everything."""

    def __init__(
        self,
        genesis: int = 100_000_000 * WAD,
        daily_emission: int = DAILY_EMISSION,
        decay_bps: int = DECAY_BPS,
        voting_period: int = VOTING_PERIOD,
        timelock_delay: int = TIMELOCK_DELAY,
        quorum_bps: int = QUORUM_BPS,
        proposal_threshold: int = PROPOSAL_THRESHOLD,
    ):
        super().__init__(genesis)
        self.guardian = boa.env.generate_address("guardian")
        deployer = self.admin
        with boa.env.prank(deployer):
            self.emission = partial("Emission").deploy(
                self.token.address,
                self.tasks.address,
                deployer,
                self.treasury,
                daily_emission,
                decay_bps,
            )
            self.governor = partial("Governor").deploy(
                self.token.address,
                self.staking.address,
                self.tasks.address,
                self.emission.address,
                voting_period,
                timelock_delay,
                quorum_bps,
                proposal_threshold,
            )
            gov = self.governor.address
            self.token.grantRole(self.token.MINTER_ROLE(), self.emission.address)
            self.tasks.grantRole(self.tasks.EMISSION_ROLE(), self.emission.address)
            self.staking.grantRole(self.staking.GUARDIAN_ROLE(), self.guardian)
            # Governance is the treasury of every contract.
            self.staking.set_treasury(gov)
            self.tasks.set_treasury(gov)
            self.emission.set_treasury(gov)
            for contract in (self.token, self.staking, self.tasks, self.emission):
                contract.grantRole(DEFAULT_ADMIN_ROLE, gov)
                contract.renounceRole(DEFAULT_ADMIN_ROLE, deployer)
        self.treasury = gov

    # --- proposals ------------------------------------------------------------

    def set_param(self, contract, signature: str, value) -> Action:
        """An action calling a one-argument setter."""
        return Action(contract.address, calldata(signature, value))

    def propose(self, proposer: str, actions: list[Action], description: str = "") -> int:
        targets = [a.target for a in actions]
        datas = [a.data for a in actions]
        with boa.env.prank(proposer):
            return self.governor.propose(targets, datas, description or "proposal")

    def vote(self, proposal_id: int, voter: str, support: int = FOR) -> int:
        with boa.env.prank(voter):
            return self.governor.vote(proposal_id, support)

    def end_vote(self, proposal_id: int) -> None:
        self.warp_to(self.governor.proposals(proposal_id).vote_end)

    def queue(self, proposal_id: int) -> int:
        return self.governor.queue(proposal_id)

    def execute(self, proposal_id: int, actions: list[Action]) -> None:
        self.governor.execute(proposal_id, [a.target for a in actions], [a.data for a in actions])

    def pass_and_execute(self, actions: list[Action], voters: list[str]) -> int:
        """Carry `actions` through propose, vote (all FOR), queue, timelock
        and execute; the first voter proposes."""
        boa.env.time_travel(blocks=1)
        proposal_id = self.propose(voters[0], actions)
        for voter in voters:
            self.vote(proposal_id, voter, FOR)
        self.end_vote(proposal_id)
        eta = self.queue(proposal_id)
        self.warp_to(eta)
        self.execute(proposal_id, actions)
        return proposal_id

    def staker(self, name: str, stake: int) -> str:
        """An operator whose own stake gives it `stake` of voting power, in a
        block that is already past."""
        account = self.operator(name, stake)
        boa.env.time_travel(blocks=1)
        return account
