"""What the node tests on anvil share: a small classify task and a node context."""

from ape_arena.node.context import NodeContext
from ape_arena.node.state import StateStore

# Seed and size vary per file only where two files must not share a spec hash.
SPEC = """
kind: classify
kind_params: {{max_params: 20000, in_dim: 8, n_classes: 3, eval_batch_size: 64}}
data:
  demo: {{seed: {seed}, size: 600}}
reward: 500
durations:
  {{submit: 30m, model_reveal: 30m, eval_reveal: 30m, score_commit: 30m, score_reveal: 30m}}
"""
PARAMS = {"steps": 3, "batch_size": 16, "hidden": [16]}


def context(protocol, account, folders, log):
    """A CPU node for `account` with its state, store and work folders under `folders`."""
    return NodeContext(
        protocol=protocol,
        account=account,
        state=StateStore(folders / "state"),
        store_url=str(folders / "store"),
        work=folders / "work",
        device="cpu",
        log=log.append,
    )
