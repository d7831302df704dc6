"""Governance on the connected chain: proposal actions, checks that turn a
doomed transaction into a sentence, and reading proposals back: the
`ProposalView` read model joins the Governor's record of a proposal with the
actions and description of its ProposalCreated event."""

from dataclasses import dataclass, replace

from ape_arena.chain import params as registry
from ape_arena.chain.errors import send_checked
from ape_arena.chain.events import logs
from ape_arena.chain.staking import parse_amount
from ape_arena.exceptions import ArenaError
from ape_arena.units import format_arena, when

STATE_NAMES = {
    0: "unknown",
    1: "active",
    2: "defeated",
    3: "succeeded",
    4: "queued",
    5: "expired",
    6: "executed",
    7: "canceled",
}
STATE_ACTIVE, STATE_SUCCEEDED, STATE_QUEUED = 1, 3, 4


class GovernanceError(ArenaError):
    """A governance action that cannot succeed as asked."""


@dataclass(frozen=True)
class ProposalAction:
    target: str
    data: bytes
    summary: str


def build_actions(
    protocol, sets=(), verify=(), unverify=(), pay=(), grant_guardian=(), revoke_guardian=()
) -> list[ProposalAction]:
    """The calls a proposal makes, from the `gov propose` options."""
    actions: list[ProposalAction] = []
    # Parameters one setter sets together become one call at the place of the
    # first: the values given, and the others' current values read from the chain.
    grouped: dict[tuple[str, str], tuple[int, dict[str, int]]] = {}
    for item in sets:
        if "=" not in item:
            raise GovernanceError(
                f"--set takes CONTRACT.NAME=VALUE (e.g. tasks.q_wad=0.9), not {item!r}."
            )
        key, text = item.split("=", 1)
        param = registry.find(key.strip())
        value = registry.parse_value(param, text)
        contract = protocol.by_key(param.contract)
        summary = f"{param.key} = {registry.format_value(param, value)}"
        if not param.together:
            data = getattr(contract, param.setter).encode_input(value)
            actions.append(ProposalAction(str(contract.address), bytes(data), summary))
            continue
        group = (param.contract, param.setter)
        if group not in grouped:
            grouped[group] = (len(actions), {})
            actions.append(ProposalAction(str(contract.address), b"", summary))
        else:
            index = grouped[group][0]
            actions[index] = replace(actions[index], summary=f"{actions[index].summary}; {summary}")
        grouped[group][1][param.name] = value
    for (contract_key, setter), (index, values) in grouped.items():
        contract = protocol.by_key(contract_key)
        names = next(p.together for p in registry.PARAMETERS if p.setter == setter)
        args = [values[n] if n in values else int(getattr(contract, n)()) for n in names]
        data = getattr(contract, setter).encode_input(*args)
        actions[index] = replace(actions[index], data=bytes(data))
    for task_id in verify:
        data = protocol.emission.verify_task.encode_input(task_id)
        actions.append(
            ProposalAction(
                str(protocol.emission.address), bytes(data), f"verify task {task_id} for emission"
            )
        )
    for task_id in unverify:
        data = protocol.emission.unverify_task.encode_input(task_id)
        actions.append(
            ProposalAction(
                str(protocol.emission.address), bytes(data), f"stop emission to task {task_id}"
            )
        )
    for address, amount in pay:
        wei = parse_amount(amount)
        data = protocol.token.transfer.encode_input(address, wei)
        actions.append(
            ProposalAction(
                str(protocol.token.address),
                bytes(data),
                f"pay {amount} ARENA from the treasury to {address}",
            )
        )
    role = protocol.staking.GUARDIAN_ROLE()
    for address in grant_guardian:
        data = protocol.staking.grantRole.encode_input(role, address)
        actions.append(
            ProposalAction(str(protocol.staking.address), bytes(data), f"make {address} a guardian")
        )
    for address in revoke_guardian:
        data = protocol.staking.revokeRole.encode_input(role, address)
        actions.append(
            ProposalAction(str(protocol.staking.address), bytes(data), f"remove guardian {address}")
        )
    if not actions:
        raise GovernanceError(
            "A proposal needs at least one action; add --set, --verify-task, --unverify-task, "
            "--pay, --grant-guardian or --revoke-guardian."
        )
    if len(actions) > protocol.governor.MAX_ACTIONS():
        raise GovernanceError(
            f"A proposal holds at most {protocol.governor.MAX_ACTIONS()} actions; split it in two."
        )
    return actions


def check_can_propose(protocol, proposer: str, provider) -> None:
    block = provider.get_block("latest").number
    power = protocol.staking.votes_at(proposer, block - 1) if block > 0 else 0
    threshold = protocol.governor.proposal_threshold()
    if power == 0 or power < threshold:
        raise GovernanceError(
            f"{proposer} has {format_arena(power)} ARENA of voting power but proposing needs "
            f"{format_arena(max(threshold, 1))}; stake more (`ape arena stake`) and try again "
            "in a later block."
        )
    last = int(protocol.governor.latest_proposal(proposer))
    if last and int(protocol.governor.state(last)) in (STATE_ACTIVE, STATE_SUCCEEDED, STATE_QUEUED):
        state = STATE_NAMES[int(protocol.governor.state(last))]
        raise GovernanceError(
            f"{proposer} already has a live proposal ({last}, {state}); a proposer has one at "
            f"a time, so wait until it is executed, defeated or expired (`ape arena gov show "
            f"{last}`)."
        )


def expect_exists(protocol, proposal_id: int) -> int:
    state = protocol.governor.state(proposal_id)
    if state == 0:
        count = protocol.governor.proposal_count()
        raise GovernanceError(
            f"There is no proposal {proposal_id} (proposals run from 1 to {count}); "
            "see `ape arena gov list`."
        )
    return state


def expect_state(protocol, proposal_id: int, wanted: int, verb: str) -> None:
    state = expect_exists(protocol, proposal_id)
    if state != wanted:
        hint = {
            1: "wait until voting ends",
            2: "it did not pass (majority or quorum missing)",
            3: "queue it first with `ape arena gov queue`",
            4: "it is already queued; execute it after the timelock",
            5: "its execution window has passed; propose it again",
            6: "it has already run",
            7: "its proposer canceled it",
        }[state]
        raise GovernanceError(
            f"Cannot {verb} proposal {proposal_id}: it is {STATE_NAMES[state]}; {hint}."
        )


def check_vote(protocol, proposal_id: int, voter: str) -> int:
    expect_exists(protocol, proposal_id)
    state = protocol.governor.state(proposal_id)
    if state != STATE_ACTIVE:
        raise GovernanceError(
            f"Voting on proposal {proposal_id} is closed (it is {STATE_NAMES[state]})."
        )
    if protocol.governor.receipts(proposal_id, voter) != 0:
        raise GovernanceError(f"{voter} has already voted on proposal {proposal_id}.")
    snapshot = protocol.governor.proposals(proposal_id).snapshot
    weight = protocol.staking.votes_at(voter, snapshot)
    if weight == 0:
        raise GovernanceError(
            f"{voter} had no staked tokens at proposal {proposal_id}'s snapshot (block "
            f"{snapshot}), so it has no vote on it; stake to vote on later proposals."
        )
    return weight


SUPPORT = {"against": 0, "for": 1, "abstain": 2}


class GovernanceClient:
    """The Governor's gateway: each write checked first, sent from the caller's account,
    and a revert nobody foresaw turned into a sentence."""

    def __init__(self, protocol, account):
        self.protocol = protocol
        self.governor = protocol.governor
        self.account = account

    def _send(self, what: str, method: str, *args):
        hint = "check the proposal with `ape arena gov show ID`"
        send = self.governor.invoke_transaction
        return send_checked(what, hint, GovernanceError, send, method, *args, sender=self.account)

    def propose(self, actions: list[ProposalAction], description: str, provider) -> tuple:
        """Open a proposal of `actions`; returns (proposal id, receipt)."""
        check_can_propose(self.protocol, self.account.address, provider)
        receipt = self._send(
            "the proposal", "propose", [a.target for a in actions], [a.data for a in actions],
            description,
        )  # fmt: skip
        return int(self.governor.proposal_count()), receipt

    def vote(self, proposal_id: int, support: str) -> int:
        """Vote for, against or abstain; returns the voting power used."""
        weight = check_vote(self.protocol, proposal_id, self.account.address)
        self._send("the vote", "vote", proposal_id, SUPPORT[support.lower()])
        return weight

    def queue(self, proposal_id: int) -> int:
        """Start the timelock of a passed proposal; returns when it can run."""
        expect_state(self.protocol, proposal_id, STATE_SUCCEEDED, "queue")
        self._send("the queueing", "queue", proposal_id)
        return int(self.governor.proposals(proposal_id).eta)

    def execute(self, proposal_id: int, now: int) -> None:
        """Run a queued proposal whose timelock is over."""
        expect_state(self.protocol, proposal_id, STATE_QUEUED, "execute")
        eta = int(self.governor.proposals(proposal_id).eta)
        if now < eta:
            raise GovernanceError(
                f"Proposal {proposal_id}'s timelock runs until {when(eta)}; execute it after that."
            )
        targets, datas, _ = proposal_actions(self.protocol, proposal_id)
        self._send("the execution", "execute", proposal_id, targets, datas)


def _created_logs(protocol, proposal_id: int | None = None):
    topics = {"proposal_id": proposal_id} if proposal_id is not None else {}
    return logs(protocol.governor, "ProposalCreated", protocol.start_block, **topics)


def _created(log) -> tuple[list[str], list[bytes], str]:
    """(targets, calldatas, description) of a ProposalCreated event."""
    return [str(t) for t in log.targets], [bytes(d) for d in log.calldatas], str(log.description)


def proposal_actions(protocol, proposal_id: int) -> tuple[list[str], list[bytes], str]:
    """(targets, calldatas, description) from the ProposalCreated event."""
    for log in _created_logs(protocol, proposal_id):
        return _created(log)
    raise GovernanceError(
        f"Cannot find the event of proposal {proposal_id} on this chain; check the network."
    )


@dataclass(frozen=True)
class ActionView:
    """One call a proposal makes."""

    target: str
    data: bytes
    call: str  # in words, see `describe_action`


@dataclass(frozen=True)
class ProposalView:
    """A proposal as the Governor holds it now. Votes and quorum are wei of
    voting power; `eta` is 0 until the proposal is queued."""

    proposal_id: int
    state: str  # a name of STATE_NAMES
    proposer: str
    description: str
    snapshot: int
    vote_end: int
    eta: int
    for_votes: int
    against_votes: int
    abstain_votes: int
    quorum: int
    actions: tuple[ActionView, ...]

    @property
    def title(self) -> str:
        """The description's first line."""
        return self.description.splitlines()[0] if self.description else ""


def _view(protocol, proposal_id: int, created) -> ProposalView:
    governor = protocol.governor
    p = governor.proposals(proposal_id)
    targets, datas, description = created
    return ProposalView(
        proposal_id=proposal_id,
        state=STATE_NAMES[int(governor.state(proposal_id))],
        proposer=str(p.proposer),
        description=description,
        snapshot=int(p.snapshot),
        vote_end=int(p.vote_end),
        eta=int(p.eta),
        for_votes=int(p.for_votes),
        against_votes=int(p.against_votes),
        abstain_votes=int(p.abstain_votes),
        quorum=int(p.quorum),
        actions=tuple(
            ActionView(t, d, describe_action(protocol, t, d))
            for t, d in zip(targets, datas, strict=True)
        ),
    )


def read_proposal(protocol, proposal_id: int) -> ProposalView:
    """One proposal, checked to exist first."""
    expect_exists(protocol, proposal_id)
    return _view(protocol, proposal_id, proposal_actions(protocol, proposal_id))


def read_proposals(protocol) -> list[ProposalView]:
    """Every proposal, oldest first, with one scan of the ProposalCreated events."""
    created = {int(log.proposal_id): _created(log) for log in _created_logs(protocol)}
    count = int(protocol.governor.proposal_count())
    return [_view(protocol, pid, created.get(pid, ([], [], ""))) for pid in range(1, count + 1)]


def describe_action(protocol, target: str, data: bytes) -> str:
    """A call in words: `tasks.set_q_wad(new_value=900000000000000000)`."""
    names = {
        str(protocol.token.address).lower(): ("token", protocol.token),
        str(protocol.staking.address).lower(): ("staking", protocol.staking),
        str(protocol.tasks.address).lower(): ("tasks", protocol.tasks),
        str(protocol.emission.address).lower(): ("emission", protocol.emission),
        str(protocol.governor.address).lower(): ("governor", protocol.governor),
    }
    name, contract = names.get(str(target).lower(), (str(target), None))
    if contract is None:
        return f"{target}: 0x{bytes(data).hex()}"
    try:
        selector, args = contract.decode_input(data)
    except Exception:  # not one of the contract's functions
        return f"{name}: 0x{bytes(data).hex()}"
    method = str(selector).split("(")[0]
    shown = ", ".join(f"{k}={v}" for k, v in args.items())
    return f"{name}.{method}({shown})"
