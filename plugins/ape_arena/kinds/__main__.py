"""Train a task kind's model outside the node, e.g. on several GPUs:

    ape arena task fetch 3                      # prints the task's verified folder
    torchrun --nproc-per-node 8 -m ape_arena.kinds train \\
        --task-dir <that folder> --out model/ --param n_layer=12 --param steps=5000
    ape arena train 3 --model-dir model/        # publish and commit it

Under torchrun every rank trains its share of each batch (DDP) and rank 0
writes the model. Needs no chain and no Ape.
"""

import argparse
import sys
from pathlib import Path

import yaml

from ape_arena.kinds.base import KindError
from ape_arena.kinds.registry import get_kind
from ape_arena.untrusted import UntrustedJSONError, parse_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ape_arena.kinds", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train a model for a fetched task")
    train.add_argument("--task-dir", type=Path, required=True, help="a fetched task folder")
    train.add_argument("--out", type=Path, required=True, help="where to write the model")
    train.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    train.add_argument("--device", default="auto")
    args = parser.parse_args(argv)

    try:
        document = parse_json((args.task_dir / "task.json").read_bytes())
        if not isinstance(document, dict) or "kind" not in document:
            raise UntrustedJSONError("it is not a task document")
    except (OSError, UntrustedJSONError) as err:
        print(f"error: {args.task_dir} has no readable task.json ({err}); "
              "fetch the task with `ape arena task fetch ID`.", file=sys.stderr)  # fmt: skip
        return 2
    params = {}
    for pair in args.param:
        key, _, value = pair.partition("=")
        params[key] = yaml.safe_load(value)
    kind = get_kind(document["kind"])
    try:
        result = kind.train(
            args.task_dir / "train",
            args.out,
            params,
            args.device,
            checkpoint_dir=args.out.with_name(args.out.name + ".ckpt"),
            kind_params=document["kind_params"],
            on_log=lambda step: print(_progress(step), flush=True),
        )
    except KindError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"trained {result.steps} steps; model in {args.out}")
    return 0


def _progress(step) -> str:
    rate = f", {step.tokens_per_s:,.0f} tokens/s" if step.tokens_per_s else ""
    return f"step {step.step}: loss {step.loss:.4f}{rate}"


if __name__ == "__main__":
    sys.exit(main())
