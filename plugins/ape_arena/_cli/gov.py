"""`ape arena gov`: proposals, votes, the timelock and execution."""

import click
from ape.cli import account_option, ape_cli_context

from ape_arena._cli._common import ArenaCommand, json_option, load_protocol_for, print_document
from ape_arena.units import when

# The choices of a vote (chain/governance.py maps them to the Governor's numbers).
SUPPORT = ("against", "for", "abstain")


@click.group(short_help="Governance: propose, vote, queue, execute, show, list")
def gov():
    """Stake-weighted governance. Anyone with enough staked tokens proposes
    changes (parameters, tasks verified for emission, treasury payments, the
    guardian); stakers vote with the stake they had when the proposal was
    made; a passed proposal is queued, waits out the timelock, then anyone
    executes it."""


def _protocol(cli_ctx, provider):
    return load_protocol_for(cli_ctx, provider)


def _client(cli_ctx, provider, account):
    from ape_arena.chain.governance import GovernanceClient

    return GovernanceClient(_protocol(cli_ctx, provider), account)


def _on_proposal(short_help: str):
    """A `gov` command that acts on one proposal (PROPOSAL_ID) from an account."""

    def wrap(command):
        command = click.argument("proposal_id", type=int)(command)
        command = account_option()(command)
        command = ape_cli_context()(command)
        return gov.command(cls=ArenaCommand, short_help=short_help)(command)

    return wrap


@gov.command(cls=ArenaCommand, short_help="Propose changes to the protocol")
@ape_cli_context()
@account_option()
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="CONTRACT.NAME=VALUE",
    help="Set a parameter (see `ape arena params`), e.g. tasks.q_wad=0.9.",
)
@click.option("--verify-task", multiple=True, type=int, help="Let a task receive emission.")
@click.option("--unverify-task", multiple=True, type=int, help="Stop a task's emission.")
@click.option(
    "--pay",
    nargs=2,
    multiple=True,
    metavar="ADDRESS AMOUNT",
    help="Pay AMOUNT ARENA from the treasury to ADDRESS.",
)
@click.option("--grant-guardian", multiple=True, metavar="ADDRESS", help="Make ADDRESS a guardian.")
@click.option("--revoke-guardian", multiple=True, metavar="ADDRESS", help="Remove a guardian.")
@click.option("-d", "--description", required=True, help="What the proposal does and why.")
def propose(
    cli_ctx,
    provider,
    account,
    sets,
    verify_task,
    unverify_task,
    pay,
    grant_guardian,
    revoke_guardian,
    description,
):
    """Propose one or more actions; voting opens at once."""
    from ape_arena.chain.governance import build_actions
    from ape_arena.report.text import kv

    protocol = _protocol(cli_ctx, provider)
    actions = build_actions(
        protocol,
        sets=sets,
        verify=verify_task,
        unverify=unverify_task,
        pay=pay,
        grant_guardian=grant_guardian,
        revoke_guardian=revoke_guardian,
    )
    from ape_arena.chain.governance import GovernanceClient

    proposal_id, receipt = GovernanceClient(protocol, account).propose(
        actions, description, provider
    )
    proposal = protocol.governor.proposals(proposal_id)
    kv(
        [
            ("proposal", proposal_id),
            ("actions", "; ".join(a.summary for a in actions)),
            ("snapshot block", proposal.snapshot),
            ("voting ends", when(proposal.vote_end)),
            ("transaction", receipt.txn_hash),
        ]
    )


@_on_proposal("Vote for, against or abstain")
@click.argument("support", type=click.Choice(list(SUPPORT), case_sensitive=False))
def vote(cli_ctx, provider, account, proposal_id, support):
    """Vote on an open proposal with your voting power at its snapshot."""
    from ape_arena.units import format_arena as arena

    weight = _client(cli_ctx, provider, account).vote(proposal_id, support)
    click.echo(f"Voted {support.lower()} on proposal {proposal_id} with {arena(weight)} ARENA.")


@_on_proposal("Start the timelock of a passed proposal")
def queue(cli_ctx, provider, account, proposal_id):
    """Queue a proposal that passed; it can run once the timelock is over."""
    eta = _client(cli_ctx, provider, account).queue(proposal_id)
    click.echo(f"Proposal {proposal_id} queued; it can be executed from {when(eta)}.")


@_on_proposal("Run a queued proposal after its timelock")
def execute(cli_ctx, provider, account, proposal_id):
    """Execute a queued proposal whose timelock is over (anyone may)."""
    now = int(provider.get_block("latest").timestamp)
    _client(cli_ctx, provider, account).execute(proposal_id, now)
    click.echo(f"Proposal {proposal_id} executed.")


@gov.command(cls=ArenaCommand, short_help="Show one proposal: state, votes, actions")
@ape_cli_context()
@click.argument("proposal_id", type=int)
@json_option
def show(cli_ctx, provider, proposal_id, as_json):
    """Everything about one proposal."""
    from ape_arena.chain.governance import read_proposal
    from ape_arena.report import documents
    from ape_arena.report.text import kv, table
    from ape_arena.units import format_arena as arena

    p = read_proposal(_protocol(cli_ctx, provider), proposal_id)
    if as_json:
        print_document(documents.proposal(p))
        return
    kv(
        [
            ("proposal", proposal_id),
            ("state", p.state),
            ("proposer", p.proposer),
            ("description", p.description),
            ("snapshot block", p.snapshot),
            ("voting ends", when(p.vote_end)),
            ("executable from", when(p.eta) if p.eta else "-"),
            ("for", arena(p.for_votes)),
            ("against", arena(p.against_votes)),
            ("abstain", arena(p.abstain_votes)),
            ("quorum (for + abstain)", arena(p.quorum)),
        ]
    )
    table("Actions", ["#", "call"], [(i + 1, a.call) for i, a in enumerate(p.actions)])


@gov.command(name="list", cls=ArenaCommand, short_help="List every proposal")
@ape_cli_context()
@json_option
def list_(cli_ctx, provider, as_json):
    """Every proposal with its state and tally."""
    from ape_arena.chain.governance import read_proposals
    from ape_arena.report import documents
    from ape_arena.report.text import table
    from ape_arena.units import format_arena as arena

    proposals = read_proposals(_protocol(cli_ctx, provider))
    if as_json:
        print_document(documents.proposal_list(proposals))
        return
    if not proposals:
        click.echo("No proposals yet; make one with `ape arena gov propose`.")
        return
    rows = [
        (
            p.proposal_id,
            p.state,
            arena(p.for_votes),
            arena(p.against_votes),
            arena(p.abstain_votes),
            arena(p.quorum),
            p.title[:60],
        )
        for p in proposals
    ]
    table(
        "Proposals",
        [
            "id",
            "state",
            "for votes",
            "against votes",
            "abstain votes",
            "quorum votes",
            "description",
        ],
        rows,
    )
