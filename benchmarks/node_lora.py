"""ML throughput of the chat-lora kind: LoRA training and base + adapter scoring, tokens/s.

`python -m benchmarks.node` runs it after the lm figures and stores the record
under "chat_lora" in its device's entry of benchmarks/results/node.json;
`python -m benchmarks.node_lora` runs it alone (same file, same entry). Two
sides each, on the same model, data and batch:

- **ours**, the node's path: scoring is `ChatLoRAKind().score_model` on an
  eval set read once by `prepare_eval` (the base loaded once; the adapter
  checked, then applied with forward hooks; inference mode, deterministic
  kernels, the fp32 loss summed in fp64 on the device; "auto" precision:
  bf16 autocast on CUDA); training is `ChatLoRAKind().train` (peft LoRA,
  the project's loop: fused AdamW and bf16 autocast on CUDA, loss read every
  `log_every` steps), without a checkpoint folder, timed from its first loss
  read-back to its last (reading data and loading the base left out).
- **plain**: what a transformers user writes: `PeftModel.from_pretrained`
  on the base, and for each batch `model(input_ids, attention_mask,
  labels=labels).loss.item()` under `torch.no_grad()` (scoring), or
  forward, backward and `torch.optim.AdamW` steps with the loss read every
  step (training; the same steps timed), bf16 autocast on CUDA as ours.

Tokens are the real (unpadded) tokens of each batch. FLOPs per token: scoring
2N, training 6N with N the base's matmul parameters (embeddings left out,
the head counted), so MFU divides 6N x tokens/s by the device's dense bf16
peak (null on a CPU). On CUDA the model is a Qwen2 config with Qwen2.5-0.5B's
layer shapes, about 358M
parameters in its layers (random init); on a CPU a small Llama. Every figure is `repeats`
timed samples after a warm-up, min / median / max.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from ape_arena.artifacts import LocalStore
from ape_arena.files import write_json_atomically

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

SETTINGS: dict[str, dict[str, Any]] = {
    "cpu": {
        "model_type": "llama",
        "shape": {"hidden_size": 256, "layers": 4, "heads": 4, "vocab_size": 2048},
        "context_length": 256,
        "conversations": 160,
        "eval_batch_size": 8,
        "train": {"batch_size": 8, "steps": 6, "rank": 16, "log_every": 2},
        "repeats": 5,
    },
    "cuda": {
        "model_type": "qwen2",
        # Qwen2.5-0.5B's layers (896 wide, 24 layers, 14 heads, 2 KV heads, MLP 4,864:
        # 358M parameters); the BPE vocabulary is what the bench's conversations
        # train (about a thousand tokens, not Qwen's 151,936).
        "shape": {
            "hidden_size": 896,
            "layers": 24,
            "heads": 14,
            "kv_heads": 2,
            "intermediate_size": 4864,
            "vocab_size": 32_000,
        },
        "context_length": 1024,
        "conversations": 512,
        "eval_batch_size": 16,
        "train": {"batch_size": 16, "steps": 20, "rank": 16, "log_every": 10},
        "repeats": 5,
    },
}
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _summary(tokens: int, seconds: list[float], flops_per_token: float, peak: float | None):
    rates = sorted(tokens / s for s in seconds)
    out: dict[str, Any] = {
        "tokens_per_s": {
            "min": round(rates[0], 1),
            "median": round(statistics.median(rates), 1),
            "max": round(rates[-1], 1),
            "samples": [round(r, 1) for r in rates],
        },
        "tokens_per_repeat": tokens,
        "mfu": None,
    }
    if peak:
        out["mfu"] = {
            k: round(v * flops_per_token / peak, 4)
            for k, v in out["tokens_per_s"].items()
            if k != "samples"
        }
    return out


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run(device: torch.device, repeats: int | None = None) -> dict[str, Any]:
    """Measure chat-lora scoring and training on `device`; return the JSON record."""
    from peft import PeftModel

    from ape_arena.kinds.chat_lora import ChatLoRAKind, _plain, demo_conversations
    from ape_arena.ml import hf
    from ape_arena.ml.tiny_base import build_tiny_base
    from benchmarks.node import peak_flops

    settings = dict(SETTINGS["cuda" if device.type == "cuda" else "cpu"])
    if repeats is not None:
        settings["repeats"] = repeats
    kind = ChatLoRAKind()
    peak = peak_flops(device)
    on_cuda = device.type == "cuda"
    with tempfile.TemporaryDirectory(prefix="bench-lora-") as folder:
        work = Path(folder)
        os.environ["APE_ARENA_BASE_CACHE"] = str(work / "cache")
        records = demo_conversations(settings["conversations"], 0)
        for split in ("train", "eval"):
            (work / split).mkdir()
            lines = "".join(json.dumps(r) + "\n" for r in records)
            (work / split / "chat.jsonl").write_text(lines)
        shape = settings["shape"]
        build_tiny_base(
            work / "base",
            [_plain(r) for r in records],
            model_type=settings["model_type"],
            vocab_size=shape["vocab_size"],
            hidden_size=shape["hidden_size"],
            layers=shape["layers"],
            heads=shape["heads"],
            kv_heads=shape.get("kv_heads"),
            intermediate_size=shape.get("intermediate_size"),
            context=settings["context_length"],
            pretrain_steps=0,
        )
        task = kind.validate_params(
            {
                "context_length": settings["context_length"],
                "eval_batch_size": settings["eval_batch_size"],
                "model_types": [settings["model_type"]],
                "max_params": 10**9,
            }
        )
        task = kind.publish_assets(
            {**task, "base_path": str(work / "base")}, None, work, LocalStore(work / "store").put
        )
        train = {**settings["train"], "targets": TARGETS}
        adapter = work / "adapter"
        kind.train(work / "train", adapter, {**train, "steps": 1}, str(device), kind_params=task)
        eval_set = kind.prepare_eval(work / "eval", task, str(device))
        base = eval_set.model
        matmul = sum(
            p.numel()
            for n, p in base.named_parameters()
            if p.dim() == 2 and "embed_tokens" not in n
        )
        batches = list(eval_set.batches())
        tokens = int(sum(mask.sum() for _, _, mask in batches))
        print(
            f"{device}, {sum(p.numel() for p in base.parameters()):,}-parameter "
            f"{settings['model_type']}, {len(records)} conversations, {tokens:,} tokens per pass",
            flush=True,
        )

        # Scoring: ours and the plain loop in rounds.
        plain_model = (
            PeftModel.from_pretrained(
                hf.load_base(kind._base(task), torch.bfloat16 if on_cuda else torch.float32),
                str(adapter),
            )
            .to(device)
            .eval()
        )
        autocast = (
            torch.autocast("cuda", dtype=torch.bfloat16) if on_cuda else contextlib.nullcontext()
        )

        def ours_score() -> float:
            started = time.perf_counter()
            result = kind.score_model(adapter, eval_set, str(device))
            _sync(device)
            assert result.valid, result.reason
            return time.perf_counter() - started

        def plain_score() -> float:
            started = time.perf_counter()
            with torch.no_grad():
                for ids, labels, mask in batches:
                    with autocast:
                        loss = plain_model(
                            input_ids=ids.to(device),
                            attention_mask=mask.to(device),
                            labels=labels.to(device),
                        ).loss
                    loss.item()
            return time.perf_counter() - started

        ours_score(), plain_score()  # warm-up
        score_s: dict[str, list[float]] = {"ours": [], "plain": []}
        for _ in range(settings["repeats"]):
            score_s["ours"].append(ours_score())
            score_s["plain"].append(plain_score())

        # Training: ours (the kind's train) and a plain peft loop, alternating.
        from ape_arena.kinds.chat_lora import conversation_batches

        tokenizer = hf.load_tokenizer(kind._base(task))
        examples = kind._examples(
            kind.load_user_data(work / "train"),
            tokenizer,
            settings["context_length"],
            "chat",
            "train",
        )
        batch_fn = conversation_batches(examples, train["batch_size"], 0, tokenizer.pad_token_id)
        steps = train["steps"]
        first = train["log_every"]  # steps before the timed part (setup, warm-up)
        train_tokens = int(sum(batch_fn(s)[2].sum() for s in range(first, steps)))

        def ours_train() -> float:
            marks: list[float] = []

            def on_log(log: Any) -> None:  # the loss read-back has synchronised the device
                marks.append(log.seconds)

            kind.train(
                work / "train",
                work / "trained",
                train,
                str(device),
                kind_params=task,
                on_log=on_log,
            )
            return marks[-1] - marks[0]

        plain_base = hf.load_base(kind._base(task), torch.bfloat16 if on_cuda else torch.float32)
        plain_lora = hf.make_lora_model(plain_base, train["rank"], 16.0, 0.0, TARGETS).to(device)
        optimizer = torch.optim.AdamW(
            [p for p in plain_lora.parameters() if p.requires_grad], lr=2e-4
        )

        def plain_train() -> float:
            plain_lora.train()
            started = time.perf_counter()
            for step in range(steps):
                if step == first:
                    started = time.perf_counter()
                ids, labels, mask = (t.to(device) for t in batch_fn(step))
                with autocast:
                    loss = plain_lora(input_ids=ids, attention_mask=mask, labels=labels).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                loss.item()
            return time.perf_counter() - started

        ours_train(), plain_train()
        train_s: dict[str, list[float]] = {"ours": [], "plain": []}
        for _ in range(settings["repeats"]):
            train_s["ours"].append(ours_train())
            train_s["plain"].append(plain_train())

    def side(seconds, count, flops):
        return _summary(count, seconds, flops, peak)

    record: dict[str, Any] = {
        "settings": settings,
        "params": int(sum(p.numel() for p in base.parameters())),
        "matmul_params": int(matmul),
        "flops_per_token": {"score": 2 * matmul, "train": 6 * matmul},
        "peak_bf16_flops": peak,
        "score": {
            "ours": side(score_s["ours"], tokens, 2 * matmul),
            "plain": side(score_s["plain"], tokens, 2 * matmul),
        },
        "train": {
            "ours": side(train_s["ours"], train_tokens, 6 * matmul),
            "plain": side(train_s["plain"], train_tokens, 6 * matmul),
        },
    }
    for what in ("score", "train"):
        ours = statistics.median(record[what]["ours"]["tokens_per_s"]["samples"])
        plain = statistics.median(record[what]["plain"]["tokens_per_s"]["samples"])
        record[what]["speedup_vs_plain"] = round(ours / plain, 2)
    return record


def report(record: dict[str, Any]) -> None:
    for what in ("score", "train"):
        for name in ("ours", "plain"):
            fig = record[what][name]
            rate = fig["tokens_per_s"]
            mfu = "" if fig["mfu"] is None else f", MFU {fig['mfu']['median']:.1%}"
            print(
                f"chat-lora {what:<5} {name:<5} {rate['min']:>10,.0f} {rate['median']:>10,.0f} "
                f"{rate['max']:>10,.0f} tokens/s{mfu}"
            )
        print(f"chat-lora {what:<5} speed-up vs plain: {record[what]['speedup_vs_plain']}x")


def main(argv: list[str] | None = None) -> int:
    from ape_arena.ml.device import pick_device
    from benchmarks.node import device_name

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--output", type=Path, default=RESULTS / "node.json")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 5:
        parser.error("--repeats must be at least 5")
    device = pick_device(args.device)
    started = time.monotonic()
    record = run(device, args.repeats)
    record["device"] = device_name(device)
    record["wall_seconds"] = round(time.monotonic() - started, 1)
    results: dict[str, Any] = {}
    if args.output.is_file():
        with contextlib.suppress(json.JSONDecodeError):
            results = json.loads(args.output.read_text())
    results.setdefault(device.type, {})["chat_lora"] = record
    write_json_atomically(args.output, results)
    report(record)
    print(f"written to {args.output} in {record['wall_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
