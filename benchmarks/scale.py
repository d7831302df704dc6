"""Scale benchmark: many concurrent tasks, a thousand operators and ten
thousand delegators on anvil, with the real contracts, to the last claim.

Run from the repository root with `make bench-scale` (or `python -m
benchmarks.scale` with the venv active); `--quick` is a smaller smoke run
that writes to a temporary folder unless told otherwise. docs/benchmarks.md
("Scale") explains the figures.

Every run starts its own anvil, through ape-foundry, on a free port chosen
here (never 8545, where other anvils may run): `APE_FOUNDRY_HOST` is set
before Ape is imported and again before each start, and the run refuses to go
on if Ape found a node it did not start. As in benchmarks/gas.py, anvil runs
without `--steps-tracing`.

What a run does, on a fresh chain: deploy the whole protocol
(`deploy_protocol`, local-chain parameters); fund every account (ETH by
`anvil_setBalance`, ARENA by transfers from the deployer, allowances: the
"funding", reported apart); then the counted part: every operator opens its
own pool, every delegator delegates to one pool, and the tasks run through
every phase at once (create, join, commit and reveal models, reveal the eval
set, commit and reveal scores, finalize, claim). The ML is replaced by given
scores: each trainer has a true quality and every validator is honest, within
0.4% of it (the tasks' tolerance is 1%).

Transactions go straight to anvil from impersonated accounts
(`eth_sendTransaction`, as `benchmarks.gas.Node` does) but in JSON-RPC
batches with automine off: a batch of up to `--chunk` transactions is
submitted with explicit nonces, mined into one block by `evm_mine`, and its
receipts read back in one more batch. Each transaction's gas is its receipt's
and does not depend on which block it is in (EIP-2929 access lists and
refunds are per transaction). A calibration at the end of the main run sends
delegations one by one with automine on, as `Node.send` does, to show the
round trip cost.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import platform
import random
import shutil
import socket
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


def _free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _own_anvil_host() -> str:
    """Point ape-foundry at a fresh free port: it starts anvil there."""
    host = f"http://127.0.0.1:{_free_port()}"
    os.environ["APE_FOUNDRY_HOST"] = host
    return host


# Before anything imports Ape (benchmarks.gas does).
_own_anvil_host()

import requests  # noqa: E402
from ape import accounts, networks, project  # noqa: E402
from ape.logging import logger  # noqa: E402
from eth_abi import encode  # noqa: E402
from eth_utils import keccak, to_checksum_address  # noqa: E402

from ape_arena.chain.tasks import (  # noqa: E402
    PHASE_FINALIZED,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    model_commitment,
    score_commitment,
)
from ape_arena.files import write_bytes_atomically, write_json_atomically  # noqa: E402
from ape_arena.report.charts import Plot, Series, Svg, heading, legend, nice_ticks  # noqa: E402
from ape_arena.units import WAD  # noqa: E402
from benchmarks.gas import (  # noqa: E402
    EVAL_URI,
    FINALIZE_STAGES,
    MAX_UINT256,
    MODEL_URI,
    NETWORK,
    POOL_STAKE,
    ROOT,
    TASK_BOND,
    TASK_REWARD,
    TASK_STAKE,
    TX_GAS_CAP,
    Node,
    _deadlines,
    _hash,
    _task_params,
    _without_steps_tracing,
)

RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
CHARTS = ROOT / "docs" / "img"
# Each delegator delegates this much; operators stake POOL_STAKE of their own
# and commit TASK_STAKE of their pool to the task (benchmarks/gas.py).
DELEGATION = 1_000 * WAD
COMMISSION_BPS = 1_000
# Honest validators: within +-HONEST_NOISE of the true quality, the task's
# tolerance being 1% (_task_params): every honest score agrees with consensus.
HONEST_NOISE = 0.004
# Cost figures: Base's minimum base fee and an ETH price.
BASE_FEE_GWEI = 0.005
ETH_USD = 3_000
TASK_FINISHED = 4  # Task.stage once settled

EVENT_TASK_CREATED = keccak(
    text="TaskCreated(uint256,address,bytes32,bytes32,string,bytes32,uint256,uint256,"
    "uint256,uint256,uint256,uint256,uint256)"
)
EVENT_JOINED = keccak(text="Joined(uint256,address,uint256,uint256,uint256,uint256)")
EVENT_TRUST = keccak(text="TrustComputed(uint256,address,uint256,uint256)")


@dataclass(frozen=True)
class Arena:
    """One run's size."""

    tasks: int
    trainers: int  # per task
    validators: int  # per task
    delegators: int  # in all, spread over every operator's pool

    @property
    def operators(self) -> int:
        return self.tasks * (self.trainers + self.validators)


# The main run: 16 x (40 + 23) = 1,008 operators, 10,000 delegators.
MAIN = Arena(tasks=16, trainers=40, validators=23, delegators=10_000)
QUICK = Arena(tasks=2, trainers=16, validators=9, delegators=200)
# Growth sweeps: one task, one dimension varied, the others fixed.
SWEEPS = {
    "trainers": ([8, 16, 32, 64, 128], lambda n: Arena(1, n, 16, 0)),
    "validators": ([4, 8, 16, 32, 64], lambda n: Arena(1, 32, n, 0)),
    "delegators": ([0, 100, 1_000], lambda n: Arena(1, 16, 8, n)),
}
QUICK_SWEEPS = {
    "trainers": ([8, 16], lambda n: Arena(1, n, 4, 0)),
    "validators": ([4, 8], lambda n: Arena(1, 8, n, 0)),
    "delegators": ([0, 100], lambda n: Arena(1, 8, 4, n)),
}


def say(line: str) -> None:
    print(line, flush=True)


# ---------------------------------------------------------------------------
# Batched transactions
# ---------------------------------------------------------------------------


def _abi_type(arg: dict) -> str:
    kind = arg["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in arg["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


class Encoder:
    """Calldata of one contract's functions, by name and argument count,
    with eth_abi directly (a tenth of web3's per-call cost)."""

    def __init__(self, contract):
        self.address = str(contract.address)
        abi = contract.contract_type.model_dump(mode="json", by_alias=True)["abi"]
        self.functions: dict[tuple[str, int], tuple[bytes, list[str]]] = {}
        for item in abi:
            if item.get("type") != "function":
                continue
            types = [_abi_type(a) for a in item["inputs"]]
            selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
            self.functions[(item["name"], len(types))] = (selector, types)

    def calldata(self, method: str, args: tuple) -> str:
        selector, types = self.functions[(method, len(args))]
        return "0x" + (selector + encode(types, list(args))).hex()


@dataclass
class Call:
    """One transaction to send: what it is (for the tables) and what it does."""

    function: str  # e.g. "TaskManager.join"
    role: str  # trainer, validator, delegator, creator, finalizer, funding
    sender: str
    contract: Encoder
    method: str
    args: tuple
    task: int | None = None


@dataclass
class Tx:
    function: str
    role: str
    sender: str
    gas: int
    calldata_bytes: int
    task: int | None
    logs: list


@dataclass
class Timing:
    encode_s: float = 0.0
    submit_s: float = 0.0
    mine_s: float = 0.0
    receipts_s: float = 0.0
    blocks: int = 0

    def as_dict(self) -> dict:
        return {
            "encode_s": round(self.encode_s, 2),
            "submit_s": round(self.submit_s, 2),
            "mine_s": round(self.mine_s, 2),
            "receipts_s": round(self.receipts_s, 2),
            "blocks": self.blocks,
        }


class BatchNode(Node):
    """benchmarks.gas.Node (impersonated `eth_sendTransaction`, receipts'
    gas) with batches: up to `chunk` transactions per JSON-RPC request, mined
    together by `evm_mine` with automine off, receipts read in one request."""

    def __init__(self, provider, chunk: int):
        super().__init__(provider)
        self.url = provider.uri
        self.session = requests.Session()
        self.chunk = chunk
        self.nonces: dict[str, int] = {}
        self.timing = Timing()
        # Every chunk fits one block, each transaction allowed the 2**24 cap.
        self.rpc("evm_setBlockGasLimit", [hex(TX_GAS_CAP * chunk)])
        self.rpc("evm_mine", [])
        self.rpc("evm_setAutomine", [False])

    def rpc(self, method: str, params: list):
        reply = self.session.post(
            self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        ).json()
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def rpc_batch(self, calls: list[tuple[str, list]]) -> list[dict]:
        body = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
            for i, (method, params) in enumerate(calls)
        ]
        replies = self.session.post(self.url, json=body).json()
        return sorted(replies, key=lambda r: r["id"])

    def new_accounts(self, kind: str, count: int) -> list[str]:
        """Fresh addresses (no key: anvil impersonates them) with 100 ETH."""
        addresses = [
            to_checksum_address(keccak(text=f"scale {kind} {i}")[12:]) for i in range(count)
        ]
        for start in range(0, count, 1_000):
            batch = addresses[start : start + 1_000]
            replies = self.rpc_batch([("anvil_setBalance", [a, hex(100 * WAD)]) for a in batch])
            errors = [r["error"] for r in replies if "error" in r]
            assert not errors, errors[:3]
        for address in addresses:
            self.nonces[address] = 0
        return addresses

    def _nonce(self, sender: str) -> int:
        if sender not in self.nonces:
            self.nonces[sender] = int(self.rpc("eth_getTransactionCount", [sender, "pending"]), 16)
        nonce = self.nonces[sender]
        self.nonces[sender] = nonce + 1
        return nonce

    def send_many(self, calls: list[Call]) -> list[Tx]:
        """Send, mine and check every call, `chunk` per block, in order."""
        done: list[Tx] = []
        for start in range(0, len(calls), self.chunk):
            done += self._send_chunk(calls[start : start + self.chunk])
        return done

    def _send_chunk(self, calls: list[Call]) -> list[Tx]:
        t0 = time.perf_counter()
        txs = [
            {
                "from": c.sender,
                "to": c.contract.address,
                "data": c.contract.calldata(c.method, c.args),
                "gas": hex(TX_GAS_CAP),
                "nonce": hex(self._nonce(c.sender)),
            }
            for c in calls
        ]
        t1 = time.perf_counter()
        replies = self.rpc_batch([("eth_sendTransaction", [tx]) for tx in txs])
        for call, reply in zip(calls, replies, strict=True):
            if "error" in reply:
                raise RuntimeError(f"{call.function} from {call.sender}: {reply['error']}")
        hashes = [r["result"] for r in replies]
        t2 = time.perf_counter()
        self.rpc("evm_mine", [])
        t3 = time.perf_counter()
        receipts = [
            r.get("result")
            for r in self.rpc_batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        ]
        t4 = time.perf_counter()
        self.timing.encode_s += t1 - t0
        self.timing.submit_s += t2 - t1
        self.timing.mine_s += t3 - t2
        self.timing.receipts_s += t4 - t3
        self.timing.blocks += 1

        done = []
        for call, tx, receipt in zip(calls, txs, receipts, strict=True):
            if receipt is None:
                raise RuntimeError(f"{call.function} from {call.sender} was not mined")
            if int(receipt["status"], 16) != 1:
                block = int(receipt["blockNumber"], 16)
                reason = self.session.post(
                    self.url,
                    json={
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "eth_call",
                        "params": [{k: tx[k] for k in ("from", "to", "data")}, hex(block - 1)],
                    },
                ).json()
                raise RuntimeError(f"{call.function}{call.args} reverted: {reason.get('error')}")
            done.append(
                Tx(
                    function=call.function,
                    role=call.role,
                    sender=call.sender,
                    gas=int(receipt["gasUsed"], 16),
                    calldata_bytes=(len(tx["data"]) - 2) // 2,
                    task=call.task,
                    logs=receipt["logs"],
                )
            )
        return done

    def warp(self, timestamp: int) -> None:
        """Mine an empty block at `timestamp`: later blocks come after it."""
        self.rpc("evm_mine", [timestamp])


# ---------------------------------------------------------------------------
# Anvil
# ---------------------------------------------------------------------------


class own_anvil:
    """A context: a fresh anvil on a free port, started by ape-foundry for
    this process only; the provider inside."""

    def __enter__(self):
        _without_steps_tracing()
        self.host = _own_anvil_host()
        self._context = networks.parse_network_choice(NETWORK)
        provider = self._context.__enter__()
        if getattr(provider, "process", None) is None or provider.uri != self.host:
            # Ape found a node it did not start: leave it alone, and stop.
            self._context.__exit__(None, None, None)
            raise RuntimeError(f"{self.host} was taken by a node this run did not start")
        return provider

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)


def _scores_for(seed: int, order: list[str], validators: list[str]) -> dict:
    """Each trainer's true quality (a loss, fixed point, lower is better), and
    every validator's honest scores, in the trainers' join order. Drawn per
    (trainer) and per (validator, trainer), so they do not depend on the
    order the transactions were mined in."""
    truth = {t: random.Random(f"{seed} {t}").randint(600_000, 1_400_000) for t in order}

    def score(v: str, t: str) -> int:
        noise = random.Random(f"{seed} {v} {t}").uniform(-HONEST_NOISE, HONEST_NOISE)
        return round(truth[t] * (1 + noise))

    return {v: [score(v, t) for t in order] for v in validators}


def _word(data: str, index: int) -> int:
    return int(data[2 + 64 * index : 2 + 64 * (index + 1)], 16)


def _topic_address(topic: str) -> str:
    return to_checksum_address("0x" + topic[-40:])


def _logs(txs: Iterable[Tx], event: bytes) -> list[dict]:
    topic = "0x" + event.hex()
    return [log for tx in txs for log in tx.logs if log["topics"][0] == topic]


# ---------------------------------------------------------------------------
# One run
# ---------------------------------------------------------------------------


@dataclass
class Run:
    arena: Arena
    counted: list[Tx] = field(default_factory=list)
    funding: list[Tx] = field(default_factory=list)
    phases: list[dict] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    timing: dict = field(default_factory=dict)
    checks: dict = field(default_factory=dict)
    calibration: dict | None = None
    empty_block_ms_after_deploy: float = 0.0
    client: str = ""
    hardfork: str = ""


def run_arena(
    arena: Arena, *, chunk: int, seed: int, tag: str, calibrate: int = 0, verbose: bool = True
) -> Run:
    """Deploy, fund and play `arena` to the last claim on a fresh anvil."""
    from ape_arena.chain.deploy import DeployParams, deploy_protocol

    run = Run(arena)

    def log(line: str) -> None:
        if verbose:
            say(f"[{tag}] {line}")

    started = time.perf_counter()
    with own_anvil() as provider:
        run.client = provider.make_request("web3_clientVersion", [])
        run.hardfork = provider.make_request("anvil_nodeInfo", [])["hardFork"]
        deployer = accounts.test_accounts[0]
        folder = Path(tempfile.mkdtemp(prefix="aiarena-scale-"))
        try:
            contracts = deploy_protocol(
                project,
                provider,
                deployer,
                folder,
                DeployParams.for_local_chain(),
                log=lambda _line: None,
            ).contracts
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # the record only
        token, staking = contracts["ArenaToken"], contracts["Staking"]
        tasks = contracts["TaskManager"]
        run.seconds["start_and_deploy"] = time.perf_counter() - started
        if verbose:
            log(f"anvil {provider.uri} ({run.client}), protocol deployed")

        node = BatchNode(provider, chunk)
        # Anvil's cost of one block on the young chain, against the same at
        # the end (calibration): it grows with the state.
        t = time.perf_counter()
        for _ in range(20):
            node.rpc("evm_mine", [])
        run.empty_block_ms_after_deploy = round(1_000 * (time.perf_counter() - t) / 20, 3)
        tok, stk, tm = Encoder(token), Encoder(staking), Encoder(tasks)
        deployer_address = str(deployer.address)

        # --- accounts and funding (not counted) ---------------------------
        t0 = time.perf_counter()
        trainers = [node.new_accounts(f"trainer {k}", arena.trainers) for k in range(arena.tasks)]
        validators = [
            node.new_accounts(f"validator {k}", arena.validators) for k in range(arena.tasks)
        ]
        creators = node.new_accounts("creator", arena.tasks)
        delegators = node.new_accounts("delegator", arena.delegators)
        operators = [a for k in range(arena.tasks) for a in (*trainers[k], *validators[k])]
        role_of = {a: "trainer" for group in trainers for a in group}
        role_of.update({a: "validator" for group in validators for a in group})

        def funding(to: str, amount: int, spender: Encoder) -> list[Call]:
            return [
                Call(
                    "ArenaToken.transfer",
                    "funding",
                    deployer_address,
                    tok,
                    "transfer",
                    (to, amount),
                ),
                Call(
                    "ArenaToken.approve",
                    "funding",
                    to,
                    tok,
                    "approve",
                    (spender.address, MAX_UINT256),
                ),
            ]

        calls = [c for a in operators for c in funding(a, POOL_STAKE, stk)]
        calls += [c for a in delegators for c in funding(a, DELEGATION, stk)]
        calls += [c for a in creators for c in funding(a, TASK_REWARD + TASK_BOND, tm)]
        run.funding = node.send_many(calls)
        run.seconds["funding"] = time.perf_counter() - t0
        log(
            f"funded {len(operators) + len(delegators) + len(creators):,} accounts: "
            f"{len(run.funding):,} transactions in {run.seconds['funding']:.1f} s"
        )

        # --- the counted part ----------------------------------------------
        node.timing = Timing()
        counted_start = time.perf_counter()

        def phase(name: str, calls: list[Call]) -> list[Tx]:
            t = time.perf_counter()
            txs = node.send_many(calls)
            wall = time.perf_counter() - t
            run.counted.extend(txs)
            run.phases.append(
                {
                    "phase": name,
                    "transactions": len(txs),
                    "gas": sum(tx.gas for tx in txs),
                    "wall_s": round(wall, 2),
                }
            )
            if verbose and txs:
                log(
                    f"{name}: {len(txs):,} transactions, {sum(tx.gas for tx in txs):,} gas, "
                    f"{wall:.1f} s ({len(txs) / max(wall, 1e-9):,.0f} tx/s)"
                )
            return txs

        phase(
            "open_pool",
            [
                Call(
                    "Staking.open_pool",
                    role_of[a],
                    a,
                    stk,
                    "open_pool",
                    (COMMISSION_BPS, POOL_STAKE),
                )
                for a in operators
            ],
        )
        phase(
            "delegate",
            [
                Call(
                    "Staking.delegate",
                    "delegator",
                    d,
                    stk,
                    "delegate",
                    (operators[i % len(operators)], DELEGATION),
                )
                for i, d in enumerate(delegators)
            ],
        )

        labels = [f"scale {tag} task {k}" for k in range(arena.tasks)]
        created = phase(
            "create_task",
            [
                Call(
                    "TaskManager.create_task",
                    "creator",
                    creators[k],
                    tm,
                    "create_task",
                    (_task_params(labels[k], arena.trainers, arena.validators),),
                    task=k,
                )
                for k in range(arena.tasks)
            ],
        )
        # Task ids as mined (the creators' transactions share a block).
        task_id = {}
        for entry in _logs(created, EVENT_TASK_CREATED):
            creator = _topic_address(entry["topics"][2])
            task_id[creators.index(creator)] = int(entry["topics"][1], 16)
        assert len(task_id) == arena.tasks

        def task_calls(function, role, members, method, make_args) -> list[Call]:
            return [
                Call(function, role, a, tm, method, make_args(k, a), task=k)
                for k in range(arena.tasks)
                for a in members[k]
            ]

        joined = phase(
            "join",
            task_calls(
                "TaskManager.join",
                "trainer",
                trainers,
                "join",
                lambda k, a: (task_id[k], ROLE_TRAINER, TASK_STAKE),
            )
            + task_calls(
                "TaskManager.join",
                "validator",
                validators,
                "join",
                lambda k, a: (task_id[k], ROLE_VALIDATOR, TASK_STAKE),
            ),
        )
        # The trainers' join order, which the scores follow.
        order: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for entry in _logs(joined, EVENT_JOINED):
            if _word(entry["data"], 0) == ROLE_TRAINER:
                key = int(entry["topics"][1], 16)
                order[key].append((_word(entry["data"], 1), _topic_address(entry["topics"][2])))
        join_order = {k: [a for _, a in sorted(order[task_id[k]])] for k in range(arena.tasks)}

        models = {
            a: _hash(f"{labels[k]} model {a}") for k in range(arena.tasks) for a in trainers[k]
        }
        salts = {a: _hash(f"salt {a}") for a in operators}
        phase(
            "commit_model",
            task_calls(
                "TaskManager.commit_model",
                "trainer",
                trainers,
                "commit_model",
                lambda k, a: (task_id[k], model_commitment(models[a], a, salts[a])),
            ),
        )
        # Every task was created in one block: the same deadlines.
        times = _deadlines(tasks, task_id[0])
        for k in range(arena.tasks):
            assert _deadlines(tasks, task_id[k]) == times
        node.warp(times["reveal"])
        phase(
            "reveal_model",
            task_calls(
                "TaskManager.reveal_model",
                "trainer",
                trainers,
                "reveal_model",
                lambda k, a: (task_id[k], models[a], MODEL_URI, salts[a]),
            ),
        )
        node.warp(times["eval"])
        phase(
            "reveal_eval",
            [
                Call(
                    "TaskManager.reveal_eval",
                    "creator",
                    creators[k],
                    tm,
                    "reveal_eval",
                    (task_id[k], _hash(labels[k]), EVAL_URI, _hash(labels[k] + " salt")),
                    task=k,
                )
                for k in range(arena.tasks)
            ],
        )
        scores = {}
        for k in range(arena.tasks):
            scores.update(_scores_for(seed, join_order[k], validators[k]))
        phase(
            "commit_scores",
            task_calls(
                "TaskManager.commit_scores",
                "validator",
                validators,
                "commit_scores",
                lambda k, a: (task_id[k], score_commitment(scores[a], a, salts[a])),
            ),
        )
        node.warp(times["score_reveal"])
        phase(
            "reveal_scores",
            task_calls(
                "TaskManager.reveal_scores",
                "validator",
                validators,
                "reveal_scores",
                lambda k, a: (task_id[k], scores[a], salts[a]),
            ),
        )
        node.warp(times["finalize"])
        # One finalize step per unsettled task per block, by its creator
        # (anyone may), labelled by the stage it runs.
        pending = set(range(arena.tasks))
        steps: list[Tx] = []
        t = time.perf_counter()
        for _ in range(arena.trainers + arena.validators + 4):
            stages = {k: tasks.tasks(task_id[k]).stage for k in pending}
            pending = {k for k in pending if stages[k] != TASK_FINISHED}
            if not pending:
                break
            calls = [
                Call(
                    f"TaskManager.finalize.{FINALIZE_STAGES[stages[k]]}",
                    "finalizer",
                    creators[k],
                    tm,
                    "finalize",
                    (task_id[k],),
                    task=k,
                )
                for k in sorted(pending)
            ]
            steps += node.send_many(calls)
        assert not pending, "finalize did not finish"
        run.counted.extend(steps)
        wall = time.perf_counter() - t
        run.phases.append(
            {
                "phase": "finalize",
                "transactions": len(steps),
                "gas": sum(tx.gas for tx in steps),
                "wall_s": round(wall, 2),
            }
        )
        if verbose:
            log(f"finalize: {len(steps)} steps, {sum(tx.gas for tx in steps):,} gas, {wall:.1f} s")
        trust = [_word(e["data"], 0) for e in _logs(steps, EVENT_TRUST)]
        phase(
            "claim",
            task_calls(
                "TaskManager.claim", "trainer", trainers, "claim", lambda k, a: (task_id[k], a)
            )
            + task_calls(
                "TaskManager.claim", "validator", validators, "claim", lambda k, a: (task_id[k], a)
            ),
        )
        run.seconds["counted"] = time.perf_counter() - counted_start
        run.timing = node.timing.as_dict()

        # --- checks ------------------------------------------------------------
        for k in range(arena.tasks):
            assert tasks.phase(task_id[k]) == PHASE_FINALIZED, f"task {k} not finalized"
            assert tasks.tasks(task_id[k]).balance == 0, f"task {k} keeps a balance"
        assert token.balanceOf(tasks) == 0
        run.checks = {
            "tasks_finalized": arena.tasks,
            "task_balances_zero": True,
            "validators_full_trust": sum(1 for w in trust if w == WAD),
            "validators": len(trust),
        }

        if calibrate:
            run.calibration = _calibrate(
                node, staking, stk, deployer_address, tok, operators, calibrate
            )
            log(
                f"calibration, delegations one by one: {run.calibration['node_send_ms_per_tx']} "
                f"ms each through Node.send, {run.calibration['raw_sequential_ms_per_tx']} ms "
                f"as bare JSON-RPC; a bare round trip {run.calibration['round_trip_ms']} ms, "
                f"an empty block {run.calibration['empty_block_ms']} ms"
            )
    run.seconds["total"] = time.perf_counter() - started
    return run


def _calibrate(node: BatchNode, staking, stk, deployer, tok, operators, count) -> dict:
    """Round trips, on the main run's chain after its last claim (not counted
    in its figures): 2 x `count` more delegations sent one at a time with
    automine on (a block per transaction), `count` through `Node.send` (web3,
    as benchmarks/gas.py sends) and `count` as two bare JSON-RPC requests
    each (send, then read the receipt); and a bare `eth_blockNumber` round
    trip, and the time anvil takes to mine an empty block (`evm_mine`)."""
    fresh = node.new_accounts("calibration", 2 * count)
    calls = [
        c
        for a in fresh
        for c in (
            Call("ArenaToken.transfer", "funding", deployer, tok, "transfer", (a, DELEGATION)),
            Call("ArenaToken.approve", "funding", a, tok, "approve", (stk.address, MAX_UINT256)),
        )
    ]
    node.send_many(calls)
    t = time.perf_counter()
    for _ in range(count):
        node.rpc("evm_mine", [])
    empty_block_s = time.perf_counter() - t
    node.rpc("evm_setAutomine", [True])
    t = time.perf_counter()
    gas = [
        node.send(staking, "delegate", operators[i % len(operators)], DELEGATION, sender=a)
        for i, a in enumerate(fresh[:count])
    ]
    web3_s = time.perf_counter() - t
    t = time.perf_counter()
    polls = 0
    for i, a in enumerate(fresh[count:]):
        data = stk.calldata("delegate", (operators[i % len(operators)], DELEGATION))
        tx = {"from": a, "to": stk.address, "data": data, "gas": hex(TX_GAS_CAP)}
        tx_hash = node.rpc("eth_sendTransaction", [tx])
        # Automine mines right after the reply: poll for the receipt.
        while (receipt := node.rpc("eth_getTransactionReceipt", [tx_hash])) is None:
            polls += 1
            time.sleep(0.002)  # Node.send's poll latency
        assert int(receipt["status"], 16) == 1
    raw_s = time.perf_counter() - t
    polls_per_tx = polls / count
    t = time.perf_counter()
    for _ in range(count):
        node.rpc("eth_blockNumber", [])
    bare_s = time.perf_counter() - t
    return {
        "transactions": 2 * count,
        "function": "Staking.delegate",
        "gas_mean": round(sum(gas) / count),
        "node_send_ms_per_tx": round(1_000 * web3_s / count, 2),
        "raw_sequential_ms_per_tx": round(1_000 * raw_s / count, 2),
        "raw_sequential_empty_receipt_polls_per_tx": round(polls_per_tx, 2),
        "round_trip_ms": round(1_000 * bare_s / count, 3),
        "empty_block_ms": round(1_000 * empty_block_s / count, 3),
    }


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def _stats(values: list[int]) -> dict:
    return {
        "count": len(values),
        "sum": sum(values),
        "mean": round(sum(values) / len(values)) if values else 0,
        "max": max(values, default=0),
    }


def _sums(txs: list[Tx]) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for tx in txs:
        sums[tx.function] += tx.gas
    return dict(sorted(sums.items()))


def cost_usd(gas: int) -> float:
    """L2 execution fee only: gas x base fee (gwei -> ETH) x ETH price."""
    return gas * BASE_FEE_GWEI * 1e-9 * ETH_USD


def main_figures(run: Run) -> dict:
    a = run.arena
    txs = run.counted
    total = sum(tx.gas for tx in txs)
    by_role: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for tx in txs:
        by_role[tx.role][tx.function].append(tx.gas)
    functions = {
        role: {fn: _stats(gas) for fn, gas in sorted(fns.items())}
        for role, fns in sorted(by_role.items())
    }
    own = defaultdict(int)
    for tx in txs:
        own[tx.role] += tx.gas
    participants = {
        "trainer": a.tasks * a.trainers,
        "validator": a.tasks * a.validators,
        "delegator": a.delegators,
    }
    per_participant = {
        role: {
            "count": n,
            "gas_sum": own[role],
            "gas_mean": round(own[role] / n) if n else 0,
            "usd_mean": round(cost_usd(own[role] / n), 6) if n else 0,
        }
        for role, n in participants.items()
    }
    shared = own["creator"] + own["finalizer"]
    heaviest = max(txs, key=lambda tx: tx.gas)
    wall = run.seconds["counted"]
    funding_gas = sum(tx.gas for tx in run.funding)
    return {
        "config": {
            "tasks": a.tasks,
            "trainers_per_task": a.trainers,
            "validators_per_task": a.validators,
            "operators": a.operators,
            "delegators": a.delegators,
            "delegation_arena": DELEGATION // WAD,
            "operator_own_stake_arena": POOL_STAKE // WAD,
            "task_stake_arena": TASK_STAKE // WAD,
            "honest_noise": HONEST_NOISE,
            "tolerance_bps": 100,
        },
        "counted": {
            "what": "every transaction from the first open_pool to the last claim: "
            "open_pool per operator, delegate per delegator, create_task, join, "
            "commit_model, reveal_model, reveal_eval, commit_scores, reveal_scores, "
            "every finalize step, claim per participant",
            "transactions": len(txs),
            "gas": total,
            "calldata_bytes": sum(tx.calldata_bytes for tx in txs),
        },
        "funding": {
            "what": "not counted: anvil_setBalance for every account (no transaction), "
            "an ARENA transfer from the deployer and an approve per account",
            "transactions": len(run.funding),
            "gas": funding_gas,
        },
        "phases": run.phases,
        "functions": functions,
        "per_participant": per_participant,
        "shared": {
            "what": "create_task, reveal_eval and the finalize steps, paid by "
            "creators and whoever finalizes",
            "gas": shared,
            "per_task": round(shared / a.tasks),
        },
        "gas_per_participant_all_in": round(total / (a.operators + a.delegators)),
        "heaviest": {
            "function": heaviest.function,
            "role": heaviest.role,
            "gas": heaviest.gas,
            "share_of_2_24": round(heaviest.gas / TX_GAS_CAP, 4),
            "headroom": TX_GAS_CAP - heaviest.gas,
        },
        "timing": {
            "total_wall_s": round(run.seconds["total"], 1),
            "start_and_deploy_s": round(run.seconds["start_and_deploy"], 1),
            "funding_s": round(run.seconds["funding"], 1),
            "counted_wall_s": round(wall, 1),
            "counted_tx_per_s": round(len(txs) / wall, 1),
            "counted_gas_per_s": round(total / wall),
            "split": run.timing,
            "anvil_mining_tx_per_s": round(len(txs) / run.timing["mine_s"], 1)
            if run.timing["mine_s"]
            else None,
            "anvil_mining_gas_per_s": round(total / run.timing["mine_s"])
            if run.timing["mine_s"]
            else None,
        },
        "calibration": run.calibration,
        "empty_block_ms_after_deploy": run.empty_block_ms_after_deploy,
        "checks": run.checks,
        "cost": {
            "formula": "usd = gas * base_fee_gwei * 1e-9 * eth_usd",
            "base_fee_gwei": BASE_FEE_GWEI,
            "eth_usd": ETH_USD,
            "excludes": "the L1 data fee (Base charges it on top, from the "
            "transaction's compressed size) and any priority fee",
            "total_eth": round(total * BASE_FEE_GWEI * 1e-9, 6),
            "total_usd": round(cost_usd(total), 2),
            "per_task_usd": round(cost_usd(total) / a.tasks, 4),
        },
    }


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares line: (slope, intercept)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return slope, my - slope * mx


def growth(sweeps: dict, *, chunk: int, seed: int) -> dict:
    result = {}
    for name, (values, make) in sweeps.items():
        points = []
        for n in values:
            arena = make(n)
            t = time.perf_counter()
            run = run_arena(arena, chunk=chunk, seed=seed, tag=f"{name} {n}", verbose=False)
            txs = run.counted
            task_gas = sum(tx.gas for tx in txs if tx.function.startswith("TaskManager."))
            heaviest = max(txs, key=lambda tx: tx.gas)
            point = {
                "n": n,
                "trainers": arena.trainers,
                "validators": arena.validators,
                "delegators": arena.delegators,
                "transactions": len(txs),
                "gas": sum(tx.gas for tx in txs),
                "task_gas": task_gas,
                "open_pool_gas": sum(tx.gas for tx in txs if tx.function == "Staking.open_pool"),
                "delegate_gas": sum(tx.gas for tx in txs if tx.function == "Staking.delegate"),
                "heaviest": {"function": heaviest.function, "gas": heaviest.gas},
                "functions": _sums(txs),
                "wall_s": round(time.perf_counter() - t, 1),
            }
            points.append(point)
            say(
                f"[growth] {name} = {n}: {point['transactions']:,} transactions, "
                f"{point['gas']:,} gas, heaviest {heaviest.function} {heaviest.gas:,}, "
                f"{point['wall_s']} s"
            )
        xs = [p["n"] for p in points]
        slope, intercept = _fit(xs, [p["gas"] for p in points])
        marginal = [
            {
                "from": a["n"],
                "to": b["n"],
                "gas_per_unit": round((b["gas"] - a["gas"]) / (b["n"] - a["n"])),
            }
            for a, b in itertools.pairwise(points)
        ]
        fixed = {
            k: v for k, v in points[0].items() if k in ("trainers", "validators", "delegators")
        }
        fixed.pop(name, None)
        result[name] = {
            "fixed": fixed,
            "points": points,
            "slope_gas_per_unit": round(slope),
            "intercept_gas": round(intercept),
            "task_slope_gas_per_unit": round(_fit(xs, [p["task_gas"] for p in points])[0]),
            # The slope of each function's total: where the growth goes.
            "slope_by_function": {
                fn: round(_fit(xs, [p["functions"].get(fn, 0) for p in points])[0])
                for fn in sorted({fn for p in points for fn in p["functions"]})
            },
            "marginal": marginal,
        }
    return result


# ---------------------------------------------------------------------------
# Charts (hand-written SVG)
# ---------------------------------------------------------------------------


def line_chart(
    path: Path, title: str, x_label: str, y_label: str, series: list[Series], note: str = ""
) -> None:
    """A self-contained SVG line chart of `series` (y in millions) from 0 to
    round maxima, written atomically to `path`."""
    width, height = 720, 420
    left, right, top, bottom = 84, 24, 56, 72
    xs = sorted({x for s in series for x, _ in s.points})
    y_ticks = nice_ticks(max(y for s in series for _, y in s.points))
    svg = Svg(width, height, title, font_size=12)
    box = (left, top, width - left - right, height - top - bottom)
    plot = Plot(svg, box, x=(0, max(xs)), y=(0, y_ticks.top))
    heading(svg, left, 28, title, note)
    plot.y_ticks(y_ticks.labelled(), grid={"stroke": "#e3e3e3"}, label={"fill": "#444"})
    x_ticks = [(x, f"{x:,}") for x in xs]
    plot.x_ticks(x_ticks, gap=18, grid={"stroke": "#f0f0f0"}, label={"fill": "#444"})
    plot.axes(stroke="#444")
    plot.x_title(x_label, height - 24)
    plot.y_title(y_label, 20)
    for s in series:
        plot.series(s, tooltip=lambda x, y, name=s.label: f"{name}: {x:,} -> {y:,.2f}")
    legend(svg, left + 12, top + 14, series, swatch=24, gap=4)
    write_bytes_atomically(path, svg.render().encode())


def write_charts(grown: dict, folder: Path) -> list[Path]:
    written = []
    titles = {
        "trainers": "Gas of one task by trainers",
        "validators": "Gas of one task by validators",
        "delegators": "Gas of one task with its operators' delegators",
    }
    for name, sweep in grown.items():
        fixed = ", ".join(f"{v} {k}" for k, v in sweep["fixed"].items())
        pts = sweep["points"]
        series = [
            Series("all counted transactions", "#1f6feb", [(p["n"], p["gas"] / 1e6) for p in pts]),
            Series(
                "task manager transactions only",
                "#d9480f",
                [(p["n"], p["task_gas"] / 1e6) for p in pts],
            ),
        ]
        if name == "delegators":
            delegate = [(p["n"], p["delegate_gas"] / 1e6) for p in pts]
            series.append(Series("delegate transactions", "#2b8a3e", delegate, dash="6 4"))
        path = folder / f"scale-{name}.svg"
        line_chart(
            path,
            titles[name],
            name,
            "million gas",
            series,
            note=f"fixed: {fixed}; least-squares slope {sweep['slope_gas_per_unit']:,} gas "
            f"per {name[:-1]}",
        )
        written.append(path)
    return written


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run ({QUICK.tasks} tasks, {QUICK.operators} operators, "
        f"{QUICK.delegators} delegators, short sweeps), written to a temporary folder",
    )
    parser.add_argument("--output", type=Path, help=f"JSON file (default {RESULTS})")
    parser.add_argument("--charts", type=Path, help=f"folder for the SVG charts (default {CHARTS})")
    parser.add_argument("--chunk", type=int, default=200, help="transactions per block")
    parser.add_argument("--seed", type=int, default=2412, help="seed of the scores")
    parser.add_argument("--no-growth", action="store_true", help="the main run only")
    args = parser.parse_args(argv)

    logger.set_level("WARNING")
    if args.quick:
        scratch = Path(tempfile.gettempdir()) / "aiarena-scale-quick"
        output = args.output or scratch / "scale.json"
        charts = args.charts or scratch
    else:
        output = args.output or RESULTS
        charts = args.charts or CHARTS
    arena = QUICK if args.quick else MAIN
    sweeps = QUICK_SWEEPS if args.quick else SWEEPS
    started = time.perf_counter()
    say(
        f"main run: {arena.tasks} tasks x ({arena.trainers} trainers + {arena.validators} "
        f"validators) = {arena.operators:,} operators, {arena.delegators:,} delegators"
    )
    run = run_arena(
        arena,
        chunk=args.chunk,
        seed=args.seed,
        tag="main",
        calibrate=20 if args.quick else 50,
    )
    figures = main_figures(run)
    figures["config"]["chunk"] = args.chunk
    say(
        f"[main] {figures['counted']['transactions']:,} counted transactions, "
        f"{figures['counted']['gas']:,} gas in {figures['timing']['counted_wall_s']} s "
        f"({figures['timing']['counted_tx_per_s']} tx/s); heaviest "
        f"{figures['heaviest']['function']} {figures['heaviest']['gas']:,} "
        f"({100 * figures['heaviest']['share_of_2_24']:.1f}% of 2^24); "
        f"${figures['cost']['total_usd']:,} at {BASE_FEE_GWEI} gwei"
    )
    result = {
        "date": datetime.date.today().isoformat(),
        "quick": args.quick,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "client": run.client,
            "hardfork": run.hardfork,
        },
        "method": {
            "anvil": "own anvil per run on a free port, without --steps-tracing, "
            "fresh chain and fresh deploy_protocol(DeployParams.for_local_chain())",
            "sending": f"impersonated eth_sendTransaction in JSON-RPC batches of up to "
            f"{args.chunk}, explicit nonces, automine off, one evm_mine per batch, "
            "receipts read in one batch; gas is each receipt's gasUsed",
            "scores": f"true quality per trainer uniform in [600000, 1400000]; honest "
            f"validators within +-{HONEST_NOISE:.1%} of it; tolerance 1%",
            "seed": args.seed,
        },
        "main": figures,
    }
    if not args.no_growth:
        say("growth sweeps, one task each, every point on a fresh anvil")
        result["growth"] = growth(sweeps, chunk=args.chunk, seed=args.seed)
        for path in write_charts(result["growth"], charts):
            say(f"chart {path}")
    result["wall_s"] = round(time.perf_counter() - started, 1)
    write_json_atomically(output, result)
    say(f"written {output} ({result['wall_s']} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
