"""`ape arena pool|stake|delegate|undelegate|honour|withdraw|commission|claim|position`:
staking pools, delegation, unbonding, commission and task claims.

Amounts are ARENA as decimals (1000, 2.5). A command that moves tokens into
staking approves the staking contract for exactly the amount first when the
allowance is short.
"""

import click
from ape.cli import account_option, ape_cli_context

from ape_arena._cli._common import ArenaCommand, json_option, load_protocol_for, print_document


def _client(cli_ctx, provider, account=None):
    """The staking gateway of the connected network's deployment, sending from `account`."""
    from ape_arena.chain.staking import StakingClient

    return StakingClient(load_protocol_for(cli_ctx, provider), account)


def _pool_amount_command(short_help: str):
    """A command that moves AMOUNT ARENA into or out of OPERATOR's pool from an account."""

    def wrap(command):
        command = click.argument("amount")(command)
        command = click.argument("operator")(command)
        command = account_option()(command)
        command = ape_cli_context()(command)
        return click.command(cls=ArenaCommand, short_help=short_help)(command)

    return wrap


def _amount_to(operator: str, amount: str) -> tuple[str, int]:
    """What a delegate/undelegate command was given: the pool's address and the wei."""
    from ape_arena.chain.staking import parse_amount, resolve_address

    return resolve_address(operator), parse_amount(amount)


def _approved(sent) -> None:
    from ape_arena.units import format_arena as arena

    if sent.approved:
        click.echo(f"Approved the staking contract to take {arena(sent.approved)} ARENA.")


def _pct(bps: int) -> str:
    from decimal import Decimal

    return f"{Decimal(int(bps)) / 100:f}% ({int(bps)} bps)"


@click.group(short_help="Your staking pool: open")
def pool():
    """An operator's staking pool: trainers and validators stake into their
    own pool, others delegate to it, and tasks lock part of it. See what a
    pool holds with `ape arena position`."""


@pool.command(name="open", cls=ArenaCommand, short_help="Open your pool with a commission")
@ape_cli_context()
@account_option()
@click.option(
    "--commission",
    "commission_bps",
    required=True,
    type=click.IntRange(min=0),
    metavar="BPS",
    help="Your cut of the pool's rewards in basis points (1000 = 10%).",
)
@click.option("--stake", "amount", metavar="AMOUNT", help="ARENA to stake now (e.g. 1000).")
def open_(cli_ctx, provider, account, commission_bps, amount):
    """Open the account's staking pool with a commission, optionally staking
    AMOUNT ARENA of its own at once (add more later with `ape arena stake`)."""
    from ape_arena.chain.staking import parse_amount
    from ape_arena.report.text import kv
    from ape_arena.units import format_arena as arena

    wei = parse_amount(amount) if amount is not None else 0
    client = _client(cli_ctx, provider, account)
    sent = client.open_pool(commission_bps, wei)
    _approved(sent)
    click.echo(f"Opened the pool of {account.address}.")
    kv(
        [
            ("commission", _pct(commission_bps)),
            ("own stake", f"{arena(client.staking.own_stake(account.address))} ARENA"),
            ("transaction", sent.receipt.txn_hash),
        ]
    )


@click.command(cls=ArenaCommand, short_help="Add stake to your own pool")
@ape_cli_context()
@account_option()
@click.argument("amount")
def stake(cli_ctx, provider, account, amount):
    """Stake AMOUNT more ARENA of your own in your pool (open it first with
    `ape arena pool open`)."""
    from ape_arena.chain.staking import parse_amount
    from ape_arena.units import format_arena as arena

    wei = parse_amount(amount)
    client = _client(cli_ctx, provider, account)
    client.check_own_pool(str(account.address))
    sent = client.delegate(str(account.address), wei)
    _approved(sent)
    own = client.staking.own_stake(account.address)
    click.echo(
        f"Staked {arena(wei)} ARENA in the pool of {account.address}; "
        f"your own stake is now {arena(own)} ARENA."
    )


@_pool_amount_command("Stake in someone's pool")
def delegate(cli_ctx, provider, account, operator, amount):
    """Stake AMOUNT ARENA in OPERATOR's pool (an address or account alias):
    your share grows with the pool's rewards after its commission, and
    shrinks if the operator is slashed."""
    from ape_arena.units import format_arena as arena

    operator, wei = _amount_to(operator, amount)
    client = _client(cli_ctx, provider, account)
    sent = client.delegate(operator, wei)
    _approved(sent)
    held = client.staking.assets_of(operator, account.address)
    click.echo(
        f"Delegated {arena(wei)} ARENA to {operator}; your stake in that pool is now "
        f"{arena(held)} ARENA."
    )


@_pool_amount_command("Ask stake back from a pool (starts unbonding)")
def undelegate(cli_ctx, provider, account, operator, amount):
    """Ask AMOUNT ARENA of your stake back from OPERATOR's pool (your own
    pool included). It stops earning at once and can be withdrawn with
    `ape arena withdraw OPERATOR` after the unbonding delay; a new request
    adds to a pending one and restarts the delay for the whole sum. Stake
    of someone else's pool that is locked in running tasks is reserved:
    no task can lock it again, and `ape arena honour OPERATOR` starts its
    unbonding once those tasks are claimed."""
    from ape_arena.chain.staking import pool_words
    from ape_arena.units import format_arena as arena
    from ape_arena.units import when

    operator, wei = _amount_to(operator, amount)
    result = _client(cli_ctx, provider, account).undelegate(operator, wei)
    where = pool_words(operator, str(account.address))
    unbonding = wei - result.reserved
    if unbonding:
        click.echo(
            f"Unbonding {arena(unbonding)} ARENA from {where} "
            f"({arena(result.pending)} ARENA in all); withdraw it from "
            f"{when(result.unlock_at)} with `ape arena withdraw {operator}`."
        )
    if result.reserved:
        click.echo(
            f"Reserved {arena(result.reserved)} ARENA of {where} that running tasks lock: no "
            f"task can lock it again; start its unbonding with `ape arena honour {operator}` "
            "once those tasks are claimed."
        )


@click.command(cls=ArenaCommand, short_help="Start the unbonding of a reserved withdrawal")
@ape_cli_context()
@account_option()
@click.argument("operator")
@click.argument("holder", required=False)
def honour(cli_ctx, provider, account, operator, holder):
    """Start the unbonding of HOLDER's (default: your) reserved withdrawal
    from OPERATOR's pool, once the tasks that locked it are claimed. Anyone
    may, unless HOLDER already has stake unbonding from that pool."""
    from ape_arena.chain.staking import pool_words, resolve_address
    from ape_arena.units import format_arena as arena
    from ape_arena.units import when

    operator = resolve_address(operator)
    holder = resolve_address(holder) if holder else str(account.address)
    result = _client(cli_ctx, provider, account).honour(operator, holder)
    click.echo(
        f"Unbonding {arena(result.amount)} ARENA of {holder} from "
        f"{pool_words(operator, holder)} ({arena(result.pending)} ARENA in all); "
        f"withdraw it from {when(result.unlock_at)} with `ape arena withdraw {operator}`."
    )


@click.command(cls=ArenaCommand, short_help="Withdraw stake whose unbonding is over")
@ape_cli_context()
@account_option()
@click.argument("operator")
def withdraw(cli_ctx, provider, account, operator):
    """Send your unbonded stake from OPERATOR's pool back to your wallet,
    once the unbonding delay of `ape arena undelegate` is over."""
    from ape_arena.chain.staking import pool_words, resolve_address
    from ape_arena.units import format_arena as arena

    operator = resolve_address(operator)
    client = _client(cli_ctx, provider, account)
    sent = client.withdraw(operator)
    wallet = client.token.balanceOf(account.address)
    click.echo(
        f"Withdrew {arena(sent.amount)} ARENA from "
        f"{pool_words(operator, str(account.address))}; the wallet holds "
        f"{arena(wallet)} ARENA."
    )


@click.command(cls=ArenaCommand, short_help="Set your pool's commission, or claim what it earned")
@ape_cli_context()
@account_option()
@click.argument("bps", type=click.IntRange(min=0), required=False)
@click.option("--claim", is_flag=True, help="Claim the commission your pool has earned.")
def commission(cli_ctx, provider, account, bps, claim):
    """Set your pool's commission to BPS basis points (1000 = 10%): a cut
    applies at once, a raise after the commission notice. With --claim
    instead, send the commission your pool has earned to your wallet."""
    from ape_arena.chain.staking import StakingError
    from ape_arena.units import format_arena as arena
    from ape_arena.units import when

    if (bps is None) == (not claim):
        raise StakingError(
            "Give either a commission in bps (`ape arena commission 500`) or --claim, not both "
            "or neither."
        )
    client = _client(cli_ctx, provider, account)
    if claim:
        sent = client.claim_commission()
        click.echo(f"Claimed {arena(sent.amount)} ARENA of commission to {account.address}.")
        return
    change = client.set_commission(bps)
    if change.effective_at is None:
        click.echo(
            f"Commission set to {_pct(bps)}; it applies now (it was {_pct(change.previous_bps)})."
        )
    else:
        click.echo(
            f"Commission raise to {_pct(bps)} scheduled; it applies from "
            f"{when(change.effective_at)}, after the notice (until then "
            f"{_pct(change.previous_bps)})."
        )


@click.command(cls=ArenaCommand, short_help="Claim a settled task's reward and stake")
@ape_cli_context()
@account_option()
@click.argument("task_id", type=int)
@click.option(
    "--for",
    "participant",
    metavar="ADDRESS",
    help="Claim for this participant instead of the account (anyone may).",
)
def claim(cli_ctx, provider, account, task_id, participant):
    """Settle a trainer's or validator's part in a finalized or cancelled
    task: its stake is unlocked (minus any slash) and its reward is paid into
    its staking pool."""
    from ape_arena.chain.staking import resolve_address
    from ape_arena.chain.tasks import TaskClient
    from ape_arena.report.text import kv
    from ape_arena.units import format_arena as arena

    who = resolve_address(participant) if participant else str(account.address)
    client = TaskClient(load_protocol_for(cli_ctx, provider), account=account)
    result = client.claim_part(task_id, who)
    click.echo(f"Claimed the {result.role} part of {who} in task {task_id} ({result.phase}).")
    kv(
        [
            ("reward", f"{arena(result.reward)} ARENA, paid into {who}'s pool"),
            ("operator commission", f"{arena(result.commission)} ARENA of it"),
            ("slashed", f"{arena(result.slashed)} ARENA"),
            ("stake unlocked", f"{arena(result.stake - result.slashed)} ARENA"),
            ("transaction", result.receipt.txn_hash),
        ]
    )


@click.command(cls=ArenaCommand, short_help="Show an address's pool, stakes, wallet and votes")
@ape_cli_context()
@account_option(prompt=False)
@click.argument("address", required=False)
@json_option
def position(cli_ctx, provider, account, address, as_json):
    """Show what ADDRESS (an address or account alias; default: --account)
    has: its own pool, its stakes in other pools with what is unbonding and
    when it can be withdrawn, its wallet's ARENA and its voting power."""
    from ape_arena.chain.staking import StakingError, resolve_address
    from ape_arena.report import documents
    from ape_arena.report.text import kv, table
    from ape_arena.units import format_arena as arena
    from ape_arena.units import when

    if address is None and account is None:
        raise StakingError(
            "Give the address to show (`ape arena position ADDRESS`) or an account with --account."
        )
    who = resolve_address(address) if address else str(account.address)
    p = _client(cli_ctx, provider).position(who)
    if as_json:
        print_document(documents.position(p))
        return

    def unlock(view) -> str:
        if not view.unbonding:
            return "-"
        if view.unlock_at <= p.now:
            return "now"
        return when(view.unlock_at)

    kv(
        [
            ("address", who),
            ("wallet", f"{arena(p.wallet)} ARENA"),
            ("voting power", f"{arena(p.votes)} ARENA"),
        ]
    )
    click.echo("")
    pool = p.pool
    if pool.opened:
        pending = "-"
        if pool.pending_bps is not None:
            pending = f"{_pct(pool.pending_bps)} from {when(pool.pending_at)}"
        rows = [
            ("own pool", "open"),
            ("commission now", _pct(pool.commission_bps)),
            ("commission pending", pending),
            ("own stake", f"{arena(pool.own_stake)} ARENA"),
            ("delegated stake", f"{arena(pool.delegated_stake)} ARENA"),
            ("total assets", f"{arena(pool.total_assets)} ARENA"),
            ("locked in tasks", f"{arena(pool.locked)} ARENA"),
            ("waiting stake", f"{arena(pool.waiting)} ARENA"),
            ("reserved for withdrawals", f"{arena(pool.reserved)} ARENA"),
            ("unlocked", f"{arena(pool.unlocked)} ARENA"),
            ("commission owed", f"{arena(pool.commission_owed)} ARENA"),
        ]
    else:
        rows = [("own pool", "not open (`ape arena pool open --commission BPS`)")]
    if p.own_unbonding.unbonding:
        rows.append(
            (
                "own unbonding",
                f"{arena(p.own_unbonding.unbonding)} ARENA, withdrawable {unlock(p.own_unbonding)}",
            )
        )
    kv(rows)
    click.echo("")
    if not p.stakes:
        click.echo("No stake in other pools.")
        return
    table(
        "Stakes in other pools",
        [
            "operator",
            "stake ARENA",
            "of it waiting",
            "of it reserved",
            "unbonding ARENA",
            "withdrawable from",
        ],
        [
            (
                s.operator,
                arena(s.assets),
                arena(s.waiting),
                arena(s.reserved),
                arena(s.unbonding),
                unlock(s),
            )
            for s in p.stakes
        ],
    )
