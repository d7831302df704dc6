"""`ape run demo --network ethereum:local:foundry` (what `make demo` runs):
a whole arena on a local chain with the real node code, explained.

See plugins/ape_arena/demo.py for the scenario.
"""

from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand


def _num(value, places: int = 4) -> str:
    return "-" if value is None else f"{value:,.{places}f}"


def _arena(wei) -> str:
    from ape_arena.units import format_arena

    return "-" if wei is None else format_arena(wei)


def print_summary(report: dict, echo=click.echo) -> None:
    from ape_arena.report.text import table

    task = report["task"]
    echo("")
    echo(
        f"Task {task['id']} ({task['kind']}): reward {_arena(task['reward'])} ARENA; "
        f"trainers' share {_arena(task['train_reward'])}, validators' share "
        f"{_arena(task['validator_reward'])}, protocol fee {_arena(task['fee'])}. "
        f"Scores are {task['metric']} on the hidden eval set: lower is better."
    )
    validators = [v["label"] for v in report["validators"]]
    table(
        "Leaderboard",
        ["rank", "trainer", "params", "consensus bpb", "status", *validators, "reward ARENA"],
        [
            (
                s["rank"] or "-",
                s["label"],
                f"{s['params']:,}" if s["params"] else "-",
                _num(s["consensus"]),
                s["status"],
                *[_num(s["scores"].get(v)) for v in validators],
                _arena(s["reward"]),
            )
            for s in report["submissions"]
        ],
    )
    table(
        "Validators",
        ["validator", "how it scores", "revealed", "trust", "reward ARENA"],
        [
            (
                v["label"],
                v["note"],
                "yes" if v["revealed"] else "no",
                _num(v["trust"], 2),
                _arena(v["reward"]),
            )
            for v in report["validators"]
        ],
    )
    table(
        "Where each reward went",
        [
            "pool",
            "reward ARENA",
            "commission",
            "to the pool's shares",
            "operator's share",
            "delegators' shares",
            "slashed",
        ],
        [
            (
                p["label"],
                _arena(p["reward"]),
                _arena(p["commission"]),
                _arena(p["to_pool"]),
                _arena(p["operator_share"]),
                ", ".join(f"{d['label']} {_arena(d['share'])}" for d in p["delegators"]) or "-",
                _arena(p["slashed"]),
            )
            for p in report["payouts"]
        ],
    )
    chat = report.get("chat_task")
    if chat:
        table(
            f"Task {chat['task_id']} ({chat['kind']}): LoRA adapters on a tiny Llama base",
            ["trainer", "bits per byte", "status", "reward ARENA"],
            [
                (
                    t["label"],
                    "-" if t["bits_per_byte"] is None else f"{t['bits_per_byte']:.4f}",
                    t["status"],
                    _arena(t["reward"]),
                )
                for t in chat["trainers"]
            ],
        )
    echo("What happened:")
    for line in report["story"]:
        echo(f"  - {line}")
    c = report["conservation"]
    table(
        "Every token accounted for",
        ["holder", "ARENA"],
        [(r["holder"], _arena(r["amount"])) for r in c["rows"]],
    )
    verdict = "balanced" if c["ok"] else "MISMATCH"
    echo(
        f"Conservation: {verdict}: the holders above hold {_arena(c['total'])} ARENA, the "
        f"supply is {_arena(c['supply'])} (difference {_arena(c['difference'])}); staking and "
        "the task manager each hold exactly what their books owe."
        if c["ok"]
        else f"Conservation: {verdict}: difference {_arena(c['difference'])} ARENA."
    )


@click.command(cls=ConnectedProviderCommand, short_help="Play a whole task on a local chain")
@click.option("--size", type=click.Choice(["full", "small"]), default="full", show_default=True)
@click.option(
    "--device", default="auto", show_default=True, help="Torch device for training and scoring."
)
@click.option("--open", "open_browser", is_flag=True, help="Open the HTML report in a browser.")
@click.option(
    "--serve",
    is_flag=True,
    help="Keep the chain up afterwards and serve the explorer on it until Ctrl-C.",
)
@click.option("--port", default=8000, show_default=True, help="The explorer's port with --serve.")
def cli(provider, size, device, open_browser, serve, port):
    """Deploy AIArena on the local chain and play one task through every
    phase with the real node code: four trainers (one a plagiarist), three
    validators (one lazy), two delegators; then show who got what and why."""
    from ape import accounts, project
    from ape.logging import logger

    from ape_arena.demo import run_demo

    # One line per step of the story, not one per transaction.
    logger.set_level("WARNING")

    if provider.network.name != "local":
        raise click.ClickException(
            "The demo plays with test accounts and moves the chain's clock; run it on a local "
            "network: `ape run demo --network ethereum:local:foundry` (or `make demo`)."
        )
    test_accounts = accounts.test_accounts

    def make_account():
        account = test_accounts.generate_test_account()
        account.balance = 100 * 10**18  # 100 ETH of gas money
        return account

    folder = Path(project.path) / ".arena" / "demo"
    result = run_demo(
        project, provider, test_accounts[0], make_account, folder, size, device, click.echo
    )
    print_summary(result.report)
    click.echo(f"\nThe report with charts: {result.report_path}")
    click.echo(f"Done in {result.report['elapsed_seconds']} s.")
    if open_browser:
        import webbrowser

        webbrowser.open(result.report_path.as_uri())
    if serve:
        import uvicorn

        from ape_arena.chain.protocol import load_protocol
        from ape_arena.explorer.app import create_app
        from ape_arena.explorer.data import ExplorerData

        protocol = load_protocol(project, provider, folder / "deployments")
        click.echo(f"\nThe explorer of this chain: http://127.0.0.1:{port}/ (Ctrl-C stops it)")
        uvicorn.run(
            create_app(ExplorerData(protocol)), host="127.0.0.1", port=port, log_level="warning"
        )
