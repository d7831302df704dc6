"""`ape arena task`: creators post tasks and reveal their eval sets; anyone
lists and inspects tasks."""

import click
from ape.cli import account_option, ape_cli_context

from ape_arena._cli._common import (
    ArenaCommand,
    json_option,
    load_protocol_for,
    node_context,
    print_document,
)


@click.group(short_help="Tasks: create, reveal-eval, list, show")
def task():
    """Post training tasks and follow them. A creator writes a spec (see
    docs/creator.md), creates the task (which escrows the reward and commits
    to the hidden eval set), then reveals the eval set after the models are
    revealed."""


@task.command(cls=ArenaCommand, short_help="Post a task from a spec file")
@ape_cli_context()
@account_option()
@click.argument("spec_file", type=click.Path(dir_okay=False, path_type=str))
def create(cli_ctx, provider, account, spec_file):
    """Pack and hash the training data and the hidden eval set, publish the
    public part, commit to the eval set and escrow the reward. The eval set
    and its salt stay in the node's state folder until `task reveal-eval`."""
    from pathlib import Path

    from ape_arena.chain.tasks import TaskClient
    from ape_arena.node.creator import Creator
    from ape_arena.node.spec import load_spec
    from ape_arena.report.text import kv
    from ape_arena.units import format_arena as arena
    from ape_arena.units import when

    spec = load_spec(Path(spec_file))
    ctx = node_context(cli_ctx, provider, account)
    task_id = Creator(ctx).create(spec, Path(spec_file))
    client = TaskClient(ctx.protocol)
    info = client.info(task_id)
    d = info.deadlines
    kv(
        [
            ("task", task_id),
            ("kind", info.kind),
            ("reward", f"{arena(info.reward)} ARENA (bond {arena(info.bond)})"),
            ("spec", client.spec_uri(task_id)),
            ("join and submit until", when(d.submit_end)),
            ("models revealed until", when(d.reveal_end)),
            ("reveal the eval set until", when(d.eval_end)),
            ("eval salt kept in", str(ctx.state.folder)),
        ]
    )
    click.echo(
        f"Reveal the eval set after {when(d.reveal_end)} with "
        f"`ape arena task reveal-eval {task_id}`."
    )


@task.command(name="reveal-eval", cls=ArenaCommand, short_help="Reveal a task's eval set")
@ape_cli_context()
@account_option()
@click.argument("task_id", type=int)
def reveal_eval(cli_ctx, provider, account, task_id):
    """Publish the eval set committed at creation and reveal it on chain; the
    bond comes back. Only in the eval reveal phase."""
    from ape_arena.chain.tasks import PHASE_EVAL_REVEAL, TaskClient
    from ape_arena.node.creator import Creator

    ctx = node_context(cli_ctx, provider, account)
    TaskClient(ctx.protocol).expect_phase(task_id, {PHASE_EVAL_REVEAL}, "reveal the eval set")
    outcome = Creator(ctx).advance(task_id)
    for line in outcome.did:
        click.echo(line)


@task.command(cls=ArenaCommand, short_help="Download and verify a task's public data")
@ape_cli_context()
@click.argument("task_id", type=int)
def fetch(cli_ctx, provider, task_id):
    """Fetch the task's public artifact (task.json and the training data),
    check every file against the hash on chain, and print its folder: for
    training outside the node (`python -m ape_arena.kinds train`)."""
    from ape_arena.chain.tasks import TaskClient
    from ape_arena.node.context import fetch_public

    ctx = node_context(cli_ctx, provider, None)
    info = TaskClient(ctx.protocol).info(task_id)
    folder, document = fetch_public(ctx, info)
    click.echo(f"Task {task_id} ({document['kind']}) verified in {folder}")


@task.command(name="list", cls=ArenaCommand, short_help="List every task")
@ape_cli_context()
@json_option
def list_(cli_ctx, provider, as_json):
    """Every task on this chain: kind, phase, reward, participants."""
    from ape_arena.chain.tasks import TaskClient
    from ape_arena.report import documents
    from ape_arena.report.text import table
    from ape_arena.units import format_arena as arena

    infos = TaskClient(load_protocol_for(cli_ctx, provider)).infos()
    if as_json:
        print_document(documents.task_list(infos))
        return
    if not infos:
        click.echo("No tasks yet; post one with `ape arena task create SPEC.yaml`.")
        return
    rows = [
        (
            info.task_id,
            info.kind,
            info.phase_name,
            arena(info.reward + info.emission),
            f"{info.n_trainers}/{info.max_trainers}",
            f"{info.n_validators}/{info.max_validators}",
            info.creator,
        )
        for info in infos
    ]
    table(
        "Tasks",
        ["id", "kind", "phase", "reward ARENA", "trainers", "validators", "creator"],
        rows,
    )


@task.command(cls=ArenaCommand, short_help="Show one task")
@ape_cli_context()
@click.argument("task_id", type=int)
@json_option
def show(cli_ctx, provider, task_id, as_json):
    """A task's terms, deadlines and participants."""
    from ape_arena.chain.tasks import TaskClient
    from ape_arena.report import documents
    from ape_arena.report.text import kv, table
    from ape_arena.units import format_arena as arena
    from ape_arena.units import when

    client = TaskClient(load_protocol_for(cli_ctx, provider))
    info = client.info(task_id)
    spec_uri = client.spec_uri(task_id)
    participants = client.participants(task_id)
    if as_json:
        print_document(documents.task(info, spec_uri, participants))
        return
    d = info.deadlines
    kv(
        [
            ("task", task_id),
            ("kind", info.kind),
            ("phase", info.phase_name),
            ("creator", info.creator),
            ("reward", f"{arena(info.reward)} ARENA escrowed + {arena(info.emission)} emission"),
            ("bond", f"{arena(info.bond)} ARENA"),
            (
                "minimum stake",
                f"trainer {arena(info.min_trainer_stake)}, "
                f"validator {arena(info.min_validator_stake)}",
            ),
            ("tolerance", f"{info.tolerance_bps} bps"),
            (
                "gamma / q / fee",
                f"{info.gamma_wad / 1e18:g} / {info.q_wad / 1e18:g} / {info.protocol_fee_bps} bps",
            ),
            ("spec", f"{spec_uri} (0x{info.spec_hash.hex()[:16]}...)"),
            ("submit until", when(d.submit_end)),
            ("model reveal until", when(d.reveal_end)),
            ("eval reveal until", when(d.eval_end)),
            ("score commit until", when(d.score_commit_end)),
            ("score reveal until", when(d.score_reveal_end)),
        ]
    )
    rows = [(p.address, p.role, arena(p.stake), p.status) for p in participants]
    if rows:
        table("Participants", ["address", "role", "stake ARENA", "status"], rows)
    else:
        click.echo("Nobody has joined yet.")
