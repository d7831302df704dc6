"""`ape arena pool|stake|delegate|undelegate|withdraw|commission|claim|position`:
staking pools, delegation, unbonding, commission and task claims.

Amounts are ARENA as decimals (1000, 2.5). A command that moves tokens into
staking approves the staking contract for exactly the amount first when the
allowance is short.
"""

import click
from ape.cli import account_option, ape_cli_context

from ape_arena._cli._common import ArenaCommand, load_protocol_for


def _protocol(cli_ctx, provider):
    return load_protocol_for(cli_ctx, provider)


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
    from ape_arena.chain import staking
    from ape_arena.report.text import kv
    from ape_arena.units import format_arena as arena

    wei = staking.parse_amount(amount) if amount is not None else 0
    protocol = _protocol(cli_ctx, provider)
    sent = staking.open_pool(protocol, account, commission_bps, wei)
    _approved(sent)
    click.echo(f"Opened the pool of {account.address}.")
    kv(
        [
            ("commission", _pct(commission_bps)),
            ("own stake", f"{arena(protocol.staking.own_stake(account.address))} ARENA"),
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
    from ape_arena.chain import staking
    from ape_arena.units import format_arena as arena

    wei = staking.parse_amount(amount)
    protocol = _protocol(cli_ctx, provider)
    staking.check_own_pool(protocol, str(account.address))
    sent = staking.delegate(protocol, account, str(account.address), wei)
    _approved(sent)
    own = protocol.staking.own_stake(account.address)
    click.echo(
        f"Staked {arena(wei)} ARENA in the pool of {account.address}; "
        f"your own stake is now {arena(own)} ARENA."
    )


@click.command(cls=ArenaCommand, short_help="Stake in someone's pool")
@ape_cli_context()
@account_option()
@click.argument("operator")
@click.argument("amount")
def delegate(cli_ctx, provider, account, operator, amount):
    """Stake AMOUNT ARENA in OPERATOR's pool (an address or account alias):
    your share grows with the pool's rewards after its commission, and
    shrinks if the operator is slashed."""
    from ape_arena.chain import staking
    from ape_arena.units import format_arena as arena

    wei = staking.parse_amount(amount)
    operator = staking.resolve_address(operator)
    protocol = _protocol(cli_ctx, provider)
    sent = staking.delegate(protocol, account, operator, wei)
    _approved(sent)
    held = protocol.staking.assets_of(operator, account.address)
    click.echo(
        f"Delegated {arena(wei)} ARENA to {operator}; your stake in that pool is now "
        f"{arena(held)} ARENA."
    )


@click.command(cls=ArenaCommand, short_help="Ask stake back from a pool (starts unbonding)")
@ape_cli_context()
@account_option()
@click.argument("operator")
@click.argument("amount")
def undelegate(cli_ctx, provider, account, operator, amount):
    """Ask AMOUNT ARENA of your stake back from OPERATOR's pool (your own
    pool included). It stops earning at once and can be withdrawn with
    `ape arena withdraw OPERATOR` after the unbonding delay; a new request
    adds to a pending one and restarts the delay for the whole sum."""
    from ape_arena.chain import staking
    from ape_arena.units import format_arena as arena

    wei = staking.parse_amount(amount)
    operator = staking.resolve_address(operator)
    protocol = _protocol(cli_ctx, provider)
    result = staking.undelegate(protocol, account, operator, wei)
    click.echo(
        f"Unbonding {arena(result.amount)} ARENA from "
        f"{staking.pool_words(operator, str(account.address))} "
        f"({arena(result.pending)} ARENA in all); withdraw it from "
        f"{staking.when(result.unlock_at)} with `ape arena withdraw {operator}`."
    )


@click.command(cls=ArenaCommand, short_help="Withdraw stake whose unbonding is over")
@ape_cli_context()
@account_option()
@click.argument("operator")
def withdraw(cli_ctx, provider, account, operator):
    """Send your unbonded stake from OPERATOR's pool back to your wallet,
    once the unbonding delay of `ape arena undelegate` is over."""
    from ape_arena.chain import staking
    from ape_arena.units import format_arena as arena

    operator = staking.resolve_address(operator)
    protocol = _protocol(cli_ctx, provider)
    sent = staking.withdraw(protocol, account, operator)
    wallet = protocol.token.balanceOf(account.address)
    click.echo(
        f"Withdrew {arena(sent.amount)} ARENA from "
        f"{staking.pool_words(operator, str(account.address))}; the wallet holds "
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
    from ape_arena.chain import staking
    from ape_arena.chain.staking import StakingError
    from ape_arena.units import format_arena as arena

    if (bps is None) == (not claim):
        raise StakingError(
            "Give either a commission in bps (`ape arena commission 500`) or --claim, not both "
            "or neither."
        )
    protocol = _protocol(cli_ctx, provider)
    if claim:
        sent = staking.claim_commission(protocol, account)
        click.echo(f"Claimed {arena(sent.amount)} ARENA of commission to {account.address}.")
        return
    change = staking.set_commission(protocol, account, bps)
    if change.effective_at is None:
        click.echo(
            f"Commission set to {_pct(bps)}; it applies now (it was {_pct(change.previous_bps)})."
        )
    else:
        click.echo(
            f"Commission raise to {_pct(bps)} scheduled; it applies from "
            f"{staking.when(change.effective_at)}, after the notice (until then "
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
    from ape_arena.chain import staking
    from ape_arena.report.text import kv
    from ape_arena.units import format_arena as arena

    who = staking.resolve_address(participant) if participant else str(account.address)
    protocol = _protocol(cli_ctx, provider)
    from ape_arena.chain.tasks import TaskClient

    client = TaskClient(
        protocol,
        send=lambda contract, method, *args: contract.invoke_transaction(
            method, *args, sender=account
        ),
    )
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
def position(cli_ctx, provider, account, address):
    """Show what ADDRESS (an address or account alias; default: --account)
    has: its own pool, its stakes in other pools with what is unbonding and
    when it can be withdrawn, its wallet's ARENA and its voting power."""
    from ape_arena.chain import staking
    from ape_arena.chain.staking import StakingError
    from ape_arena.report.text import kv, table
    from ape_arena.units import format_arena as arena

    if address is None and account is None:
        raise StakingError(
            "Give the address to show (`ape arena position ADDRESS`) or an account with --account."
        )
    who = staking.resolve_address(address) if address else str(account.address)
    protocol = _protocol(cli_ctx, provider)
    p = staking.position(protocol, who)

    def unlock(view) -> str:
        if not view.unbonding:
            return "-"
        if view.unlock_at <= p.now:
            return "now"
        return staking.when(view.unlock_at)

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
            pending = f"{_pct(pool.pending_bps)} from {staking.when(pool.pending_at)}"
        rows = [
            ("own pool", "open"),
            ("commission now", _pct(pool.commission_bps)),
            ("commission pending", pending),
            ("own stake", f"{arena(pool.own_stake)} ARENA"),
            ("delegated stake", f"{arena(pool.delegated_stake)} ARENA"),
            ("total assets", f"{arena(pool.total_assets)} ARENA"),
            ("locked in tasks", f"{arena(pool.locked)} ARENA"),
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
        ["operator", "stake ARENA", "unbonding ARENA", "withdrawable from"],
        [(s.operator, arena(s.assets), arena(s.unbonding), unlock(s)) for s in p.stakes],
    )
