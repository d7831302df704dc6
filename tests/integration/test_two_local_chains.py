"""Two runs on one machine each get their own local chain: the port the Makefile
gives every `make test`, `make demo` and `make bench-gas` (tools/local_chain.py)
is one nobody listens on, so two concurrent runs never share an anvil."""

import os
import subprocess
import sys

from support.paths import ROOT

MINE = """
import sys, time
from ape import chain, networks
blocks = int(sys.argv[1])
with networks.parse_network_choice("ethereum:local:foundry"):
    start = chain.blocks.height
    chain.mine(blocks)
    time.sleep(6)  # the other run mines meanwhile, on its own chain
    print("mined", chain.blocks.height - start, flush=True)
"""


def local_chain(env: dict) -> str:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "local_chain.py")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_two_concurrent_runs_have_separate_chains():
    env = {k: v for k, v in os.environ.items() if k != "APE_FOUNDRY_HOST"}
    hosts = [local_chain(env), local_chain(env)]
    assert all(h.startswith("http://127.0.0.1:") for h in hosts)
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", MINE, str(blocks)],
            cwd=ROOT,
            env={**env, "APE_FOUNDRY_HOST": host},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for host, blocks in zip(hosts, (3, 7), strict=True)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err[-2000:]
    # Each saw only its own blocks: a shared chain would show 10 to the later one.
    mined = [line for out, _ in outputs for line in out.splitlines() if line.startswith("mined")]
    assert mined == ["mined 3", "mined 7"]


def test_a_set_host_is_kept():
    env = {**os.environ, "APE_FOUNDRY_HOST": "http://127.0.0.1:18999"}
    assert local_chain(env) == "http://127.0.0.1:18999"
