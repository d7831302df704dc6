"""Trainers and validators: `train`, `reveal`, `validate`; anyone:
`finalize`, `leaderboard`; and `node`, the long-running agent."""

import time
from pathlib import Path

import click
from ape.cli import account_option, ape_cli_context

from ape_arena._cli._common import (
    ArenaCommand,
    json_option,
    load_protocol_for,
    node_context,
    print_document,
)


def _parse_params(pairs: tuple[str, ...], params_file: str | None) -> dict:
    """Training choices from --params FILE (YAML/JSON) and --param KEY=VALUE."""
    import yaml

    params: dict = {}
    if params_file:
        try:
            loaded = yaml.safe_load(Path(params_file).read_text()) or {}
        except (OSError, yaml.YAMLError) as err:
            raise click.ClickException(f"Cannot read {params_file} ({err}); fix the file.") from err
        if not isinstance(loaded, dict):
            raise click.ClickException(f"{params_file} must hold a mapping of training parameters.")
        params.update(loaded)
    for pair in pairs:
        if "=" not in pair:
            raise click.ClickException(f"--param takes KEY=VALUE (e.g. n_layer=4), not {pair!r}.")
        key, value = pair.split("=", 1)
        params[key.strip()] = yaml.safe_load(value)
    return params


def _joining_command(short_help: str):
    """A command that joins TASK_ID from an account, locking --stake from its pool."""

    def wrap(command):
        command = click.option(
            "--stake",
            help="ARENA to lock from your pool when joining (default: the task's minimum).",
        )(command)
        command = click.argument("task_id", type=int)(command)
        command = account_option()(command)
        command = ape_cli_context()(command)
        return click.command(cls=ArenaCommand, short_help=short_help)(command)

    return wrap


def _training_options(command):
    """--param, --params and --device, shared by `train` and `node`."""
    options = [
        click.option(
            "--param",
            "param_pairs",
            multiple=True,
            metavar="KEY=VALUE",
            help="A training choice, e.g. n_layer=4 (trainers).",
        ),
        click.option(
            "--params",
            "params_file",
            type=click.Path(dir_okay=False),
            help="Training choices from a YAML or JSON file (trainers).",
        ),
        click.option("--device", help="Torch device (default: the config's, auto)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _stake_wei(stake: str | None) -> int | None:
    if stake is None:
        return None
    from ape_arena.chain.staking import parse_amount

    return parse_amount(stake)


def _report(outcome) -> None:
    from ape_arena.chain.tasks import when

    for line in outcome.did:
        click.echo(line)
    if outcome.finished:
        click.echo("Nothing left to do for this task.")
    elif outcome.next_at:
        click.echo(f"Next: {outcome.next_step}, from {when(outcome.next_at)}.")


def _drive(role, task_id: int, done, wait: bool, poll: float = 2.0):
    """Advance `role` on the task until `done(outcome)`; with `wait`, sleep
    until the next step is due instead of returning."""
    from ape_arena.chain.tasks import TaskClient

    client = TaskClient(role.ctx.protocol)
    while True:
        outcome = role.advance(task_id)
        _report(outcome)
        if done(outcome) or outcome.finished or not wait:
            return outcome
        if outcome.next_at:
            delay = max(0.0, min(poll, outcome.next_at - client.now()))
            time.sleep(delay if delay else poll / 4)


@_joining_command("Train a model for a task and commit it")
@_training_options
@click.option(
    "--model-dir",
    type=click.Path(file_okay=False, exists=True),
    help="Publish and commit a model trained elsewhere (e.g. under torchrun) instead of training.",
)
def train(cli_ctx, provider, account, task_id, stake, param_pairs, params_file, device, model_dir):
    """Join the task as a trainer (if not yet), fetch and verify its data,
    train a model of your chosen shape within the task's max_params, publish
    the model artifact and commit to it. Reveal it later with `reveal`."""
    from ape_arena.chain.tasks import PHASE_SUBMIT, TaskClient
    from ape_arena.node.trainer import Trainer

    ctx = node_context(cli_ctx, provider, account, device)
    TaskClient(ctx.protocol).expect_phase(task_id, {PHASE_SUBMIT}, "train and commit a model")
    trainer = Trainer(
        ctx,
        _parse_params(param_pairs, params_file),
        _stake_wei(stake),
        Path(model_dir) if model_dir else None,
    )
    _report(trainer.advance(task_id))


@click.command(cls=ArenaCommand, short_help="Reveal your committed model")
@ape_cli_context()
@account_option()
@click.argument("task_id", type=int)
def reveal(cli_ctx, provider, account, task_id):
    """Reveal the model committed with `train` (model reveal phase)."""
    from ape_arena.chain.tasks import PHASE_MODEL_REVEAL, ROLE_TRAINER, TaskClient
    from ape_arena.node.trainer import Trainer

    ctx = node_context(cli_ctx, provider, account)
    client = TaskClient(ctx.protocol)
    client.expect_joined(task_id, ctx.address, ROLE_TRAINER, "reveal a model")
    client.expect_phase(task_id, {PHASE_MODEL_REVEAL}, "reveal a model")
    _report(Trainer(ctx).advance(task_id))


@_joining_command("Join, score every model, commit and reveal")
@click.option("--device", help="Torch device (default: the config's, auto).")
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Wait through the phases until the scores are revealed.",
)
def validate(cli_ctx, provider, account, task_id, stake, device, wait):
    """As a validator: join during the submit phase, wait for the eval set,
    fetch and verify every revealed model, score each one deterministically,
    commit the scores, then reveal them in the score reveal phase."""
    from ape_arena.chain.tasks import PHASE_SCORE_REVEAL, TaskClient
    from ape_arena.node.validator import Validator

    ctx = node_context(cli_ctx, provider, account, device)
    validator = Validator(ctx, _stake_wei(stake))
    client = TaskClient(ctx.protocol)

    def done(_outcome) -> bool:
        return client.phase(task_id) >= PHASE_SCORE_REVEAL and bool(
            client.participant(task_id, ctx.address).revealed
        )

    _drive(validator, task_id, done, wait)


@click.command(cls=ArenaCommand, short_help="Compute consensus, ranks, trust and rewards")
@ape_cli_context()
@account_option()
@click.argument("task_id", type=int)
def finalize(cli_ctx, provider, account, task_id):
    """Run the task's settlement in bounded steps until it is done (anyone
    may, once the score reveal is over)."""
    from ape_arena.chain.tasks import PHASE_FINALIZE, PHASE_FINALIZED, TaskClient

    protocol = load_protocol_for(cli_ctx, provider)
    client = TaskClient(protocol, account=account)
    info = client.info(task_id)
    if info.phase == PHASE_FINALIZED:
        click.echo(f"Task {task_id} is already finalized; see `ape arena leaderboard {task_id}`.")
        return
    client.expect_phase(task_id, {PHASE_FINALIZE}, "finalize it")
    steps = client.finalize_steps(info)
    with click.progressbar(length=max(steps, 1), label=f"finalizing task {task_id}") as bar:
        client.finalize(task_id, on_step=lambda: bar.update(1))
    click.echo(f"Task {task_id} finalized; see `ape arena leaderboard {task_id}`.")


@click.command(cls=ArenaCommand, short_help="Consensus, ranks, scores, trust and rewards of a task")
@ape_cli_context()
@click.argument("task_id", type=int)
@json_option
def leaderboard(cli_ctx, provider, task_id, as_json):
    """The task's submissions by rank with their consensus and every
    validator's score, then each validator's trust, then rewards."""
    from ape_arena.chain.outcome import read_outcome
    from ape_arena.report import documents
    from ape_arena.report.leaderboard import leaderboard as render
    from ape_arena.report.text import table

    outcome = read_outcome(load_protocol_for(cli_ctx, provider), task_id)
    if as_json:
        print_document(documents.leaderboard(outcome))
        return
    board = render(outcome)
    click.echo(board.headline)
    table("Submissions", board.submission_columns, board.submissions)
    table("Validators", board.validator_columns, board.validators)


@click.command(name="node", cls=ArenaCommand, short_help="Run a trainer or validator agent")
@ape_cli_context()
@account_option()
@click.option("--role", type=click.Choice(["trainer", "validator"]), required=True)
@click.option(
    "--task", "task_ids", type=int, multiple=True, help="A task to take part in (repeatable)."
)
@click.option(
    "--join-new", is_flag=True, help="Also join every new task of a kind this node knows."
)
@click.option("--stake", help="ARENA to lock per task (default: each task's minimum).")
@_training_options
@click.option("--poll", default=5.0, show_default=True, help="Seconds between looks at the chain.")
@click.option("--once", is_flag=True, help="Do what is due now, then exit.")
def node(
    cli_ctx,
    provider,
    account,
    role,
    task_ids,
    join_new,
    stake,
    param_pairs,
    params_file,
    device,
    poll,
    once,
):
    """Follow the chain and do each step of each task at the right phase:
    join, train and commit or score and commit, reveal, finalize, claim. Its
    state is on disk: stop it at any moment and start it again, it goes on
    where it was without doing anything twice."""
    from ape_arena.node.agent import Agent
    from ape_arena.node.trainer import Trainer
    from ape_arena.node.validator import Validator

    ctx = node_context(cli_ctx, provider, account, device)
    if role == "trainer":
        worker = Trainer(ctx, _parse_params(param_pairs, params_file), _stake_wei(stake))
    else:
        worker = Validator(ctx, _stake_wei(stake))
    agent = Agent(worker, list(task_ids), join_new=join_new)
    if not agent.task_ids and not join_new:
        raise click.ClickException("This node has no task to follow; pass --task ID or --join-new.")
    agent.run(poll=poll, once=once, echo=click.echo)
