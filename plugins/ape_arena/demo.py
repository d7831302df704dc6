"""The main job: a whole arena on a local chain, played with the real node
code, explained in tables and an HTML report.

A creator posts an `lm` task on a corpus built offline (Python's own
standard library sources). Four trainers take part: three train GPTs of
different sizes, the fourth copies the smallest one's model and commits
its hash later (a plagiarist). Three validators score them: two honestly,
one lazily with random scores. Two delegators back a trainer and a
validator. Every phase runs, the task is finalized, everyone claims, and
every token is accounted for.
"""

import random
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ape_arena.chain.emission import EmissionClient
from ape_arena.chain.governance import GovernanceClient, build_actions
from ape_arena.chain.staking import StakingClient
from ape_arena.chain.tasks import TaskClient
from ape_arena.kinds.scores import INVALID_SCORE, from_score
from ape_arena.node.context import NodeContext
from ape_arena.node.creator import Creator
from ape_arena.node.spec import load_spec
from ape_arena.node.state import StateStore
from ape_arena.node.trainer import Trainer
from ape_arena.node.validator import Validator
from ape_arena.units import WAD, format_arena


@dataclass(frozen=True)
class DemoSize:
    corpus_bytes: int
    block_size: int
    steps: int
    shapes: tuple[tuple[str, dict], ...]


SIZES = {
    "full": DemoSize(
        corpus_bytes=400_000,
        block_size=64,
        steps=120,
        shapes=(
            ("trainer-small", {"n_layer": 1, "n_head": 2, "n_embd": 32}),
            ("trainer-medium", {"n_layer": 2, "n_head": 4, "n_embd": 64}),
            ("trainer-large", {"n_layer": 3, "n_head": 4, "n_embd": 96}),
        ),
    ),
    "small": DemoSize(
        corpus_bytes=40_000,
        block_size=32,
        steps=6,
        shapes=(
            ("trainer-small", {"n_layer": 1, "n_head": 2, "n_embd": 16}),
            ("trainer-medium", {"n_layer": 1, "n_head": 2, "n_embd": 32}),
            ("trainer-large", {"n_layer": 2, "n_head": 2, "n_embd": 32}),
        ),
    ),
}

SPEC = """\
kind: lm
kind_params: {{max_params: 500000, block_size: {block}, eval_batch_size: 16}}
data:
  demo: {{seed: 7, size: {size}}}
reward: 10000
bond: 100
min_trainer_stake: 1000
min_validator_stake: 1000
max_trainers: 8
max_validators: 8
tolerance_bps: 50
durations: {{submit: 1h, model_reveal: 1h, eval_reveal: 1h, score_commit: 1h, score_reveal: 1h}}
"""


@dataclass
class Actor:
    label: str
    role: str
    account: Any
    commission_bps: int = 0
    stake: int = 0

    @property
    def address(self) -> str:
        return str(self.account.address)


@dataclass
class DemoResult:
    task_id: int
    report: dict
    report_path: Path
    actors: list[Actor] = field(default_factory=list)


def run_demo(
    project,
    provider,
    deployer,
    make_account,
    folder: Path,
    size: str = "full",
    device: str = "auto",
    echo=print,
) -> DemoResult:
    """Play the demo on the connected local chain; `make_account()` returns a
    new funded (ETH) account; `folder` receives the node data and report."""
    from ape import chain

    from ape_arena.chain.deploy import DeployParams, deploy_protocol
    from ape_arena.chain.protocol import load_protocol

    shape = SIZES[size]
    started = time.monotonic()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    deployments = folder / "deployments"

    echo("1. Deploying AIArena: token, staking, task manager, emission, governor")
    # Local-chain governance times; emission small enough to read beside the
    # reward (1,000 ARENA an hour); any staker with 1,000 ARENA may propose.
    params = replace(
        DeployParams.for_local_chain(),
        daily_emission=24_000 * WAD,
        proposal_threshold=1_000 * WAD,
    )
    deploy_protocol(project, provider, deployer, deployments, params, log=lambda _: None)
    protocol = load_protocol(project, provider, deployments)
    token, staking = protocol.token, protocol.staking

    creator = Actor("creator", "creator", make_account())
    trainers = [
        Actor(label, "trainer", make_account(), 1_000, 3_000 * WAD) for label, _ in shape.shapes
    ]
    copycat = Actor("trainer-copycat", "trainer", make_account(), 1_000, 3_000 * WAD)
    validators = [
        Actor("validator-1", "validator", make_account(), 500, 4_000 * WAD),
        Actor("validator-2", "validator", make_account(), 500, 4_000 * WAD),
        Actor("validator-lazy", "validator", make_account(), 500, 4_000 * WAD),
    ]
    delegators = [
        Actor("delegator-1", "delegator", make_account()),
        Actor("delegator-2", "delegator", make_account()),
    ]
    operators = [*trainers, copycat, *validators]
    everyone = [creator, *operators, *delegators]

    echo("2. Funding the participants and opening their staking pools")
    for actor in everyone:
        token.transfer(actor.account, 20_000 * WAD, sender=deployer)
    for actor in operators:
        StakingClient(protocol, actor.account).open_pool(actor.commission_bps, actor.stake)
    backed = {delegators[0].label: trainers[-1], delegators[1].label: validators[0]}
    for delegator in delegators:
        operator = backed[delegator.label]
        StakingClient(protocol, delegator.account).delegate(operator.address, 2_000 * WAD)
    chain.mine()

    def context(actor: Actor) -> NodeContext:
        return NodeContext(
            protocol=protocol,
            account=actor.account,
            state=StateStore(folder / "state"),
            store_url=str(folder / "store"),
            work=folder / "work",
            device=device,
            log=lambda line: echo(f"   {actor.label}: {line.strip()}"),
        )

    echo("3. The creator posts an lm task on a corpus built offline")
    spec_file = folder / "task.yaml"
    spec_file.write_text(SPEC.format(block=shape.block_size, size=shape.corpus_bytes))
    creator_node = Creator(context(creator))
    task_id = creator_node.create(load_spec(spec_file), spec_file)
    client = TaskClient(protocol)
    info = client.info(task_id)

    echo("   The DAO verifies the task for emission: propose, vote, timelock, execute")
    governor = protocol.governor
    actions = build_actions(protocol, verify=[task_id])
    proposal_id, _ = GovernanceClient(protocol, validators[0].account).propose(
        actions, f"Verify task {task_id}", provider
    )
    for v in validators:
        GovernanceClient(protocol, v.account).vote(proposal_id, "for")
    chain.mine(timestamp=int(governor.proposals(proposal_id).vote_end))
    eta = GovernanceClient(protocol, creator.account).queue(proposal_id)
    chain.mine(timestamp=eta)
    GovernanceClient(protocol, creator.account).execute(proposal_id, eta)
    echo(f"   proposal {proposal_id} executed: task {task_id} receives emission")

    echo("4. Submit phase: trainers train and commit, validators join")
    trainer_nodes = {}
    common = {"steps": shape.steps, "batch_size": 16, "warmup_steps": 2, "log_every": shape.steps}
    for actor, (_, choices) in zip(trainers, shape.shapes, strict=True):
        node = Trainer(context(actor), {**choices, **common})
        trainer_nodes[actor.label] = node
        _say(echo, actor, node.advance(task_id))
    # The copycat takes the small model from the public store and commits
    # its hash later than its author did.
    original = trainers[0]
    record = context(original).state.load(
        int(provider.chain_id), task_id, "trainer", original.address
    )
    copied = folder / "copied-model"
    shutil.copytree(Path(record["model_dir"]), copied)
    chain.mine()
    copy_node = Trainer(context(copycat), model_dir=copied)
    trainer_nodes[copycat.label] = copy_node
    _say(echo, copycat, copy_node.advance(task_id))
    rng = random.Random(1)

    def lazy_scores(_task_id, trainer_list, _models):
        return [rng.randrange(1_000_000, 8_000_000) for _ in trainer_list]

    validator_nodes = {
        v.label: Validator(context(v), scorer=lazy_scores if v.label == "validator-lazy" else None)
        for v in validators
    }
    for v in validators:
        _say(echo, v, validator_nodes[v.label].advance(task_id))

    def checkpoint() -> None:
        minted = EmissionClient(protocol, creator.account).checkpoint().released
        echo(
            f"   emission checkpoint: {format_arena(minted)} new ARENA, "
            "the task's share to its reward"
        )

    checkpoint()
    echo("5. Model reveal: every trainer reveals; of two equal hashes the later is disqualified")
    chain.mine(timestamp=info.deadlines.submit_end)
    for actor in [*trainers, copycat]:
        _say(echo, actor, trainer_nodes[actor.label].advance(task_id))

    checkpoint()
    echo("6. Eval reveal: the creator publishes the hidden eval set; validators score and commit")
    chain.mine(timestamp=info.deadlines.reveal_end)
    _say(echo, creator, creator_node.advance(task_id))
    for v in validators:
        _say(echo, v, validator_nodes[v.label].advance(task_id))

    echo("7. Score reveal phase: validators reveal their scores")
    chain.mine(timestamp=info.deadlines.score_commit_end)
    for v in validators:
        _say(echo, v, validator_nodes[v.label].advance(task_id))
    checkpoint()

    before = {
        a.address: int(staking.assets_of(backed[a.label].address, a.address)) for a in delegators
    }
    echo("8. Finalize (consensus, ranks, trust, split) and everyone claims")
    chain.mine(timestamp=info.deadlines.score_reveal_end)
    nodes = [*trainer_nodes.values(), *validator_nodes.values()]
    for node in nodes:
        node.advance(task_id)

    # The lm task's report is read before the second task pays into the same pools.
    report = build_report(protocol, task_id, creator, [*trainers, copycat], validators, delegators,
                          backed, before, provider, deployer)  # fmt: skip
    report["chat_task"] = run_chat_task(
        protocol, provider, context, creator, [trainers[0], trainers[-1]], copycat,
        validators[:2], folder, shape, echo,
    )  # fmt: skip
    # Every token accounted for once both tasks are settled.
    report["conservation"] = conservation(protocol, everyone, deployer)
    report["elapsed_seconds"] = round(time.monotonic() - started, 1)
    from ape_arena.report import write_report

    report_path = write_report(folder / "report.html", report)
    return DemoResult(task_id, report, report_path, everyone)


CHAT_SPEC = """\
kind: chat-lora
kind_params: {{context_length: 96, eval_batch_size: 8, max_rank: 16}}
data:
  demo: {{seed: 3, size: {size}}}
reward: 2000
bond: 100
min_trainer_stake: 1000
min_validator_stake: 1000
max_trainers: 4
max_validators: 4
tolerance_bps: 50
durations: {{submit: 1h, model_reveal: 1h, eval_reveal: 1h, score_commit: 1h, score_reveal: 1h}}
"""
ALL_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def run_chat_task(
    protocol, provider, context, creator, trainers, copier, validators, folder, shape, echo
) -> dict:
    """A second task, of the chat-lora kind: LoRA adapters on a tiny Llama base built
    offline, scored in bits per byte; the copier submits a perturbed copy of the
    first adapter, which validators find a near-copy. Returns its leaderboard."""
    import torch
    from ape import chain
    from safetensors.torch import load_file, save_file

    from ape_arena.chain.outcome import read_outcome

    echo("9. A chat-lora task: LoRA fine-tuning of a tiny Llama base on chat data")
    spec_file = folder / "chat-task.yaml"
    spec_file.write_text(CHAT_SPEC.format(size=300 if shape.steps > 10 else 80))
    creator_node = Creator(context(creator))
    task_id = creator_node.create(load_spec(spec_file), spec_file)
    info = TaskClient(protocol).info(task_id)
    steps = 40 if shape.steps > 10 else 4
    choices = [
        {"steps": steps, "batch_size": 8, "lr": 5e-3, "targets": ALL_TARGETS, "log_every": steps},
        {"steps": steps, "batch_size": 8, "lr": 2e-3, "rank": 4, "seed": 1, "log_every": steps},
    ]
    nodes = {}
    for actor, params in zip(trainers, choices, strict=True):
        nodes[actor.label] = Trainer(context(actor), params)
        _say(echo, actor, nodes[actor.label].advance(task_id))
    record = context(trainers[0]).state.load(
        int(provider.chain_id), task_id, "trainer", trainers[0].address
    )
    copy = folder / "copied-adapter"
    shutil.copytree(Path(record["model_dir"]), copy)
    weights = copy / "adapter_model.safetensors"
    generator = torch.Generator().manual_seed(0)
    state = load_file(str(weights))
    noisy = {
        name: (t + 0.01 * t.std() * torch.randn(t.shape, generator=generator)).to(torch.bfloat16)
        for name, t in state.items()
    }
    save_file(noisy, str(weights))
    echo(f"   {copier.label}: re-saves {trainers[0].label}'s adapter in bf16 with noise (new hash)")
    chain.mine()
    nodes[copier.label] = Trainer(context(copier), model_dir=copy)
    _say(echo, copier, nodes[copier.label].advance(task_id))
    for v in validators:
        nodes[v.label] = Validator(context(v))
        _say(echo, v, nodes[v.label].advance(task_id))
    for deadline in ("submit_end", "reveal_end", "score_commit_end", "score_reveal_end"):
        chain.mine(timestamp=getattr(info.deadlines, deadline))
        for node in [creator_node, *nodes.values()]:
            _say(
                echo, node_actor(node, creator, trainers, copier, validators), node.advance(task_id)
            )
    by_trainer = read_outcome(protocol, task_id).by_trainer()
    board = []
    for actor in [*trainers, copier]:
        s = by_trainer[actor.address]
        board.append(
            {
                "label": actor.label,
                "bits_per_byte": None if s.consensus == INVALID_SCORE else from_score(s.consensus),
                "status": s.status,
                "reward": s.reward,
            }
        )
    return {"task_id": task_id, "kind": "chat-lora", "trainers": board}


def node_actor(node, creator, trainers, copier, validators):
    """The actor a node speaks for (for the log lines)."""
    for actor in [creator, *trainers, copier, *validators]:
        if actor.address == node.ctx.address:
            return actor
    return creator


def _say(echo, actor: Actor, outcome) -> None:
    for line in outcome.did:
        echo(f"   {actor.label}: {line}")


def build_report(protocol, task_id, creator, trainers, validators, delegators, backed, before,
                 provider, deployer) -> dict:  # fmt: skip
    """Everything the demo shows, as the report's data (report/html.py); amounts of
    ARENA are integer wei, scores and trust are plain numbers."""
    from ape_arena.chain.events import logs
    from ape_arena.chain.outcome import read_outcome
    from ape_arena.kinds.scores import from_score

    client = TaskClient(protocol)
    tasks, staking = protocol.tasks, protocol.staking
    info = client.info(task_id)
    labels = {a.address: a.label for a in [creator, *trainers, *validators, *delegators]}
    paid = {}
    for log in logs(staking, "RewardPaid", protocol.start_block):
        if str(log.payer) == str(tasks.address):
            paid[str(log.operator)] = (int(log.amount), int(log.commission))

    def metric(score: int):
        return None if score == INVALID_SCORE else round(from_score(score), 4)

    outcome = read_outcome(protocol, task_id)
    by_trainer, by_validator = outcome.by_trainer(), outcome.by_validator()
    submissions = []
    for t in trainers:
        s = by_trainer[t.address]
        submissions.append({
            "label": t.label,
            "address": t.address,
            "params": _model_params(s.model_uri),
            "rank": s.rank,
            "consensus": metric(s.consensus),
            "status": s.status,
            "scores": {labels[v]: metric(score) for v, score in s.scores.items()},
            "reward": s.reward,
        })  # fmt: skip
    submissions.sort(key=lambda s: (s["rank"] is None, s["rank"] or 0))
    validator_rows = []
    for v in validators:
        o = by_validator[v.address]
        validator_rows.append({
            "label": v.label,
            "address": v.address,
            "trust": (o.trust_wad or 0) / WAD,  # a fraction, not an amount
            "revealed": o.revealed,
            "reward": o.reward,
            "note": "scores at random" if v.label == "validator-lazy" else "scores honestly",
        })  # fmt: skip
    payouts = []
    for actor in [*trainers, *validators]:
        reward, commission = paid.get(actor.address, (0, 0))
        delegator_rows = []
        delegated_share = 0
        for d in delegators:
            if backed[d.label].address == actor.address:
                gain = int(staking.assets_of(actor.address, d.address)) - before[d.address]
                delegated_share += max(gain, 0)
                delegator_rows.append({"label": d.label, "share": gain})
        part = by_trainer.get(actor.address) or by_validator[actor.address]
        slashed = part.slashed
        payouts.append({
            "label": actor.label,
            "role": actor.role,
            "reward": reward,
            "commission": commission,
            "to_pool": reward - commission,
            "operator_share": reward - commission - delegated_share,
            "delegators": delegator_rows,
            "slashed": slashed,
        })  # fmt: skip

    story = _story(submissions, validator_rows, payouts)
    if info.emission:
        story.insert(
            0,
            f"The DAO verified task {task_id} for emission by a proposal: "
            f"{format_arena(info.emission)} new ARENA streamed into its reward on top of the "
            f"{format_arena(info.reward)} the creator escrowed, split by the same formulas.",
        )
    fee = info.reward + info.emission - info.train_reward - info.validator_reward
    return {
        "title": f"AIArena demo: one {info.kind} task on a local chain",
        "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "network": f"{provider.network.ecosystem.name}:{provider.network.name}:{provider.name} "
        f"(chain id {provider.chain_id})",
        "task": {
            "id": task_id,
            "kind": info.kind,
            "metric": "bits per byte",
            "lower_is_better": True,
            "reward": info.reward,
            "emission": info.emission,
            "train_reward": info.train_reward,
            "validator_reward": info.validator_reward,
            "fee": fee,
        },
        "submissions": submissions,
        "validators": validator_rows,
        "payouts": payouts,
        "story": story,
        "conservation": conservation(
            protocol, [creator, *trainers, *validators, *delegators], deployer
        ),
    }


def _model_params(uri: str | None) -> int | None:
    """The parameter count of a revealed model in the demo's local store."""
    if not uri:
        return None
    from ape_arena.ml.models import InvalidModelError, read_config

    try:
        return read_config(Path(uri.removeprefix("file://"))).num_params()
    except InvalidModelError:
        return None


def _story(submissions, validators, payouts) -> list[str]:
    lines = []
    for s in submissions:
        if s["status"].startswith("disqualified"):
            slashed = next((p["slashed"] for p in payouts if p["label"] == s["label"]), 0)
            lines.append(
                f"{s['label']} revealed a model hash another trainer had committed first: it was "
                f"disqualified, earned nothing and lost {format_arena(slashed)} ARENA of its stake."
            )
    ranked = [s for s in submissions if s["rank"]]
    if ranked:
        best = ranked[0]
        lines.append(
            f"{best['label']} ranked first with {best['consensus']:.4f} bits per byte and earned "
            f"{format_arena(best['reward'])} ARENA; rewards fall by q per rank and grow with stake."
        )
    honest = [v for v in validators if v["note"] == "scores honestly"]
    for v in validators:
        if v["note"] != "scores honestly":
            lines.append(
                f"{v['label']} scored at random: its scores agreed with the consensus on "
                f"{v['trust']:.0%} of the submissions, so it earned "
                f"{format_arena(v['reward'])} ARENA against "
                f"{format_arena(honest[0]['reward'])} for an honest validator of the same stake."
            )
    return lines


def conservation(protocol, actors, deployer) -> dict:
    """Every ARENA in existence, by holder, read one balance at a time; the
    sum must equal the supply. Inside staking and the task manager, what
    each holds must equal what its own books say it owes."""
    token, staking, tasks = protocol.token, protocol.staking, protocol.tasks
    holders = [
        ("staking contract", staking.address),
        ("task manager", tasks.address),
        ("emission", protocol.emission.address),
        ("treasury (governor)", protocol.governor.address),
        ("deployer (genesis holder)", deployer.address),
        *[(a.label, a.address) for a in actors],
    ]
    rows = [{"holder": name, "amount": int(token.balanceOf(addr))} for name, addr in holders]
    balances = sum(int(token.balanceOf(addr)) for _, addr in holders)
    supply = int(token.totalSupply())

    operators = [a.address for a in actors if a.role in ("trainer", "validator")]
    staking_books = (
        sum(
            int(staking.pools(op).total_assets)
            + int(staking.pools(op).pending)
            + int(staking.pools(op).commission_owed)
            for op in operators
        )
        + int(staking.total_unbonding())
        + int(staking.treasury_owed())
        # Rewards a settled task has prepaid to staking and not yet paid out.
        + int(staking.prepaid(tasks.address))
    )
    staking_held = int(token.balanceOf(staking.address))
    task_books = sum(int(tasks.tasks(i).balance) for i in range(1, int(tasks.task_count()) + 1))
    task_held = int(token.balanceOf(tasks.address))
    checks = [
        {"holder": "staking: held vs pools + unbonding + commission + slashes + prepaid",
         "amount": staking_held - staking_books},
        {"holder": "task manager: held vs task balances", "amount": task_held - task_books},
    ]  # fmt: skip
    ok = balances == supply and staking_held == staking_books and task_held == task_books
    return {
        "ok": ok,
        "rows": rows + checks,
        "total": balances,
        "supply": supply,
        "difference": balances - supply,
    }
