"""Deploy AIArena to the network Ape connects to, once.

    ape run deploy --network ethereum:local:foundry --account TEST::0
    ape run deploy --network base:sepolia:node --account <alias>

The script prints what it will deploy (network, chain id, deployer and its
ETH, guardian, every parameter), asks before broadcasting on a live network
(`--yes` skips the question, for automation), then deploys and wires the five
contracts with `ape_arena.chain.deploy.deploy_protocol`, which writes
deployments/<ecosystem>-<network>.json. Where that record's contracts all have
code, a run prints them and changes nothing. docs/deploy.md is the guide.
"""

from decimal import Decimal

import click
from ape.cli import ConnectedProviderCommand, account_option, ape_cli_context, network_option

from ape_arena.chain.connection import connection_hint
from ape_arena.units import format_arena, format_duration

LOCAL_CHAIN_IDS = (1337, 31337)
BASE_SEPOLIA_CHAIN_ID = 84532

# Gas of a whole deployment (5 contracts, 16 wiring calls), measured on anvil
# with vyper 0.4.3 and rounded up; tests/integration/test_deploy_anvil.py
# fails if a deployment ever needs more. Only used to estimate the cost.
DEPLOY_GAS = 17_000_000

# How each DeployParams field is shown; anything missing here is shown raw.
UNITS = {
    "genesis_supply": "ARENA",
    "daily_emission": "ARENA",
    "proposal_threshold": "ARENA",
    "unbonding_delay": "seconds",
    "commission_notice": "seconds",
    "voting_period": "seconds",
    "timelock_delay": "seconds",
    "max_commission_bps": "bps",
    "max_slash_bps": "bps",
    "delegation_weight_bps": "bps",
    "decay_bps": "bps",
    "quorum_bps": "bps",
}


class DeployCommand(ConnectedProviderCommand):
    """Connects to --network; a failure to connect, or an unreadable record,
    becomes one sentence instead of a traceback. The command body turns every
    deployment failure into a sentence itself."""

    def invoke(self, ctx: click.Context):
        from ape.cli.options import NETWORK_META_KEY
        from ape.exceptions import ApeException

        from ape_arena.exceptions import ArenaError

        try:
            return super().invoke(ctx)
        except ArenaError as err:
            raise click.ClickException(str(err)) from err
        except (ApeException, ConnectionError, OSError) as err:
            provider = ctx.meta.get(NETWORK_META_KEY, {}).get("provider")
            chosen = "the chosen network"
            if provider is not None:
                network = provider.network
                chosen = f"{network.ecosystem.name}:{network.name}:{provider.name}"
            raise click.ClickException(connection_hint(chosen, err)) from err


def _guardian(ctx, param, value: str | None) -> str | None:
    if value is None:
        return None
    from eth_utils import is_address, to_checksum_address

    if not is_address(value) or int(value, 16) == 0:
        raise click.BadParameter("give a non-zero address (0x followed by 40 hex digits)")
    return to_checksum_address(value)


@click.command(cls=DeployCommand, short_help="Deploy AIArena (once) to the chosen network")
@ape_cli_context()
@network_option()
@account_option(prompt=False)
@click.option(
    "--guardian",
    metavar="ADDRESS",
    callback=_guardian,
    help="May pause new stakes and tasks; governance can replace it. Default: the deployer.",
)
@click.option("--yes", is_flag=True, help="Deploy without asking, also on a live network.")
@click.option(
    "--local-params/--default-params",
    "local_params",
    default=None,
    help="Short unbonding and governance times (default on a local chain), or the "
    "documented defaults of docs/governance.md (default elsewhere).",
)
def cli(cli_ctx, account, guardian, yes, local_params):
    """Deploy the AIArena token, staking, task manager, emission and governor
    to the network, wire their roles (governance ends up holding every admin
    role, the deployer none) and record the addresses in
    deployments/<ecosystem>-<network>.json. Running it again where the
    recorded contracts exist changes nothing."""
    from ape_arena.chain.deploy import DeployParams, existing_deployment
    from ape_arena.chain.deployments import load_deployment, record_name
    from ape_arena.chain.protocol import deployments_folder
    from ape_arena.report.text import kv

    # The connected provider. (Not a `provider` argument: when the network was
    # already connected, as in a test session, that argument is a second,
    # disconnected instance of it.)
    provider = cli_ctx.provider
    network = provider.network
    ecosystem_name, network_name = network.ecosystem.name, network.name
    where = f"{ecosystem_name}:{network_name}"
    chain_id = provider.chain_id
    local = network_name == "local" or chain_id in LOCAL_CHAIN_IDS
    project = cli_ctx.local_project
    folder = deployments_folder(project, cli_ctx.config_manager)
    record = folder / record_name(ecosystem_name, network_name)

    if existing_deployment(folder, provider) is not None:
        click.echo(
            f"AIArena is already deployed on {where} (chain id {chain_id}, recorded in "
            f"{_shown(record, project)}); nothing to do."
        )
        deployment = load_deployment(folder, ecosystem_name, network_name)
        if deployment.chain_id not in (None, chain_id):
            click.echo(
                f"warning: the record is for chain id {deployment.chain_id}, but the connected "
                f"chain is {chain_id}; check --network."
            )
        _addresses(deployment, where)
        return
    if record.is_file():
        if not local:
            cli_ctx.abort(
                f"The record {_shown(record, project)} lists contracts that have no code on "
                f"{where} (chain id {chain_id}); if that chain was reset, move the record "
                "away and run again."
            )
        click.echo(
            f"note: {_shown(record, project)} lists contracts with no code on this chain "
            "(a restarted node?); deploying again replaces it."
        )

    if account is None:
        account = _choose_account(cli_ctx, local)
    use_local = local if local_params is None else local_params
    params = DeployParams.for_local_chain() if use_local else DeployParams()
    guardian = guardian or str(account.address)
    balance = provider.get_balance(account.address)
    gas_price = provider.gas_price
    cost = DEPLOY_GAS * gas_price

    rows = [
        ("network", f"{where}:{provider.name}"),
        ("chain id", chain_id),
        ("deployer", _who(account)),
        ("balance", f"{_eth(balance)} ETH"),
        ("guardian", guardian + (" (the deployer)" if guardian == account.address else "")),
        ("cost", f"about {_eth(cost)} ETH ({DEPLOY_GAS:,} gas at {_gwei(gas_price)} gwei)"),
        ("record", _shown(record, project)),
    ]
    click.echo(f"Deploying AIArena to {where}:")
    kv(rows)
    which = (
        "local-chain values: short unbonding and governance times"
        if use_local
        else "the documented defaults, docs/governance.md"
    )
    click.echo(f"parameters ({which}):")
    kv([(f"  {name}", _value(name, value)) for name, value in _fields(params)])
    if getattr(provider, "process", None) is not None or provider.name == "test":
        click.echo(
            "note: Ape started this chain and stops it when it exits, deployment included; "
            "start `anvil` yourself first to keep it (docs/deploy.md)."
        )
    if use_local and not local:
        click.echo("note: local-chain parameters on a live network: governance acts in minutes.")

    if balance == 0:
        cli_ctx.abort(_no_eth(account, where, chain_id))
    if balance < cost:
        cli_ctx.abort(
            f"The deployer {account.address} holds {_eth(balance)} ETH but the deployment "
            f"costs about {_eth(cost)} ETH; {_fund_hint(chain_id)} and run again."
        )
    if not local and not yes:
        click.confirm(
            f"Deploy AIArena to {where} (chain id {chain_id}) from {account.address}?",
            default=False,
            abort=True,
        )

    result = _deploy(cli_ctx, project, provider, account, folder, params, guardian, where)
    if result.created:
        click.echo(f"AIArena is deployed on {where} and recorded in {_shown(record, project)}.")
    else:  # someone else finished a deployment meanwhile
        click.echo(f"AIArena is already deployed on {where}; nothing to do.")
    _addresses(load_deployment(folder, ecosystem_name, network_name), where)


def _deploy(cli_ctx, project, provider, account, folder, params, guardian, where):
    """deploy_protocol, with every failure turned into one sentence."""
    from ape.exceptions import AccountsError, ContractLogicError, TransactionError

    from ape_arena.chain.deploy import deploy_protocol
    from ape_arena.exceptions import ArenaError

    keyfile = _unlock(cli_ctx, account)
    try:
        return deploy_protocol(
            project, provider, account, folder, params, guardian=guardian, log=click.echo
        )
    except (ArenaError, click.ClickException, click.exceptions.Abort):
        raise  # already a sentence (DeployCommand prints it) or the user's choice
    except Exception as err:  # every other failure becomes one sentence
        detail = str(getattr(err, "revert_message", None) or err).strip().rstrip(".")
        detail = detail or type(err).__name__
        short_of_eth = "insufficient funds" in detail.lower() or (
            isinstance(err, AccountsError) and "balance" in detail.lower()
        )
        if short_of_eth:
            cli_ctx.abort(
                f"The deployer {account.address} ran out of ETH on {where} ({detail}); "
                f"{_fund_hint(provider.chain_id)} and run again (nothing was recorded, so the "
                "next run deploys afresh)."
            )
        what = (
            "The chain refused a deployment transaction"
            if isinstance(err, (ContractLogicError, TransactionError))
            else "The deployment stopped"
        )
        cli_ctx.abort(
            f"{what} ({detail}); nothing was recorded, so fix the cause and run again "
            "(contracts deployed before the failure are abandoned)."
        )
    finally:
        if keyfile:
            account.set_autosign(False)


def _choose_account(cli_ctx, local: bool):
    """Ape's account menu when a person is at the terminal, else a sentence."""
    import sys

    from ape.cli.choices import AccountAliasPromptChoice
    from ape.exceptions import AccountsError

    hint = (
        "choose the deploying account with --account <alias> (`ape accounts list` shows "
        "yours, `ape accounts import <alias>` adds one"
        + ("; TEST::0 is anvil's first funded account)" if local else ")")
    )
    if not sys.stdin.isatty():
        cli_ctx.abort(f"No deploying account was given; {hint}.")
    try:
        return AccountAliasPromptChoice().select_account()
    except AccountsError as err:
        cli_ctx.abort(f"No account to deploy with ({err}); {hint}.")


def _unlock(cli_ctx, account) -> bool:
    """Unlock a keyfile account once, so its 21 transactions need no prompt each.

    The passphrase is asked once, or read from APE_ACCOUNTS_<alias>_PASSPHRASE.
    """
    from ape.exceptions import AccountsError
    from ape_accounts import KeyfileAccount

    if not isinstance(account, KeyfileAccount):
        return False
    try:
        account.set_autosign(True)
    except (AccountsError, ValueError) as err:
        cli_ctx.abort(
            f"Cannot unlock the account {account.alias} ({err}); check its passphrase "
            f"(or APE_ACCOUNTS_{account.alias}_PASSPHRASE) and run again."
        )
    return True


def _addresses(deployment, where: str) -> None:
    from ape_arena.chain.protocol import CONTRACTS
    from ape_arena.report.text import table

    order = {name: i for i, (name, _) in enumerate(CONTRACTS)}
    names = dict(CONTRACTS)
    contracts = sorted(deployment.contracts, key=lambda c: order.get(c.name, len(order)))
    rows = [
        (f"{c.name} ({names.get(c.name, '?')})", c.address, "" if c.block is None else c.block)
        for c in contracts
    ]
    table(f"AIArena on {where}", ("contract", "address", "block"), rows)


def _no_eth(account, where: str, chain_id: int) -> str:
    return (
        f"The deployer {account.address} has no ETH on {where}; "
        f"{_fund_hint(chain_id)} and run again."
    )


def _fund_hint(chain_id: int) -> str:
    if chain_id == BASE_SEPOLIA_CHAIN_ID:
        return "fund it with Base Sepolia ETH from a faucet (docs/deploy.md lists some)"
    if chain_id in LOCAL_CHAIN_IDS:
        return "send it ETH from a test account, or deploy with --account TEST::0"
    return "fund it with ETH on this network"


def _who(account) -> str:
    alias = getattr(account, "alias", None)
    return f"{account.address} ({alias})" if alias else str(account.address)


def _shown(path, project) -> str:
    """`path` relative to the project when it is inside it."""
    from pathlib import Path

    try:
        return str(Path(path).relative_to(project.path))
    except ValueError:
        return str(path)


def _fields(params) -> list[tuple[str, int]]:
    from dataclasses import fields

    return [(f.name, getattr(params, f.name)) for f in fields(params)]


def _value(name: str, value: int) -> str:
    unit = UNITS.get(name)
    if unit == "ARENA":
        return format_arena(value, unit=True)
    if unit == "seconds":
        return f"{format_duration(value)} ({value:,} s)"
    if unit == "bps":
        return f"{Decimal(value) / 100:f}% ({value:,} bps)"
    return str(value)


def _eth(wei: int) -> str:
    return _decimal(wei, 18)


def _gwei(wei: int) -> str:
    return _decimal(wei, 9)


def _decimal(amount: int, decimals: int) -> str:
    text = f"{Decimal(int(amount)) / 10**decimals:,.9f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
