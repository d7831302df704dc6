"""The chat-lora kind on CPU: a tiny Llama base built offline, LoRA adapters trained
through peft, scored in bits per byte, bad adapters INVALID with their reasons,
near-copies caught, the base pinned by hash from a store or a Hub snapshot."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from ape_arena.artifacts import (
    ArtifactError,
    LocalStore,
    build_manifest,
    manifest_hash,
    verify_dir,
)
from ape_arena.artifacts.hub import fetch_hub_snapshot
from ape_arena.kinds.base import DataError, SpecError, TrainParamsError
from ape_arena.kinds.chat_lora import (
    ChatLoRAKind,
    demo_conversations,
    evaluate_lm,
    normalise_record,
)
from ape_arena.ml import hf
from ape_arena.node.scoring import Submission, TaskScorer

ALL_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
TRAIN = {"steps": 12, "batch_size": 4, "lr": 5e-3, "log_every": 4, "targets": ALL_TARGETS}


@pytest.fixture(scope="module")
def kind():
    return ChatLoRAKind()


@pytest.fixture(scope="module")
def built(tmp_path_factory, kind):
    """Demo conversations and a tiny pre-trained base, published to a local store."""
    root = tmp_path_factory.mktemp("chat")
    cache = root / "cache"
    patch = pytest.MonkeyPatch()
    patch.setenv("APE_ARENA_BASE_CACHE", str(cache))
    task = kind.validate_params({"context_length": 96, "eval_batch_size": 4})
    data = kind.build_demo_data(root / "demo", seed=0, size=120, kind_params=task)
    store = LocalStore(root / "store")
    task = kind.publish_assets(task, data, root, store.put)
    yield {"root": root, "data": data, "task": task, "store": store, "cache": cache}
    patch.undo()


@pytest.fixture(scope="module")
def eval_set(kind, built):
    return kind.prepare_eval(built["data"] / "eval", built["task"], "cpu")


@pytest.fixture(scope="module")
def adapters(kind, built):
    """Two independent fine-tunes (different seeds and shapes)."""
    root = built["root"]
    first = root / "adapter-1"
    second = root / "adapter-2"
    kind.train(built["data"] / "train", first, TRAIN, "cpu", kind_params=built["task"])
    kind.train(
        built["data"] / "train",
        second,
        {**TRAIN, "seed": 7, "rank": 4, "targets": ["q_proj"]},
        "cpu",
        kind_params=built["task"],
    )
    return first, second


def edited_copy(source: Path, target: Path, config=None, tensors=None) -> Path:
    """A copy of an adapter with its config and tensors changed by the callables."""
    shutil.copytree(source, target)
    if config is not None:
        data = json.loads((target / hf.ADAPTER_CONFIG).read_text())
        config(data)
        (target / hf.ADAPTER_CONFIG).write_text(json.dumps(data))
    if tensors is not None:
        state = load_file(str(target / hf.ADAPTER_WEIGHTS))
        tensors(state)
        save_file(state, str(target / hf.ADAPTER_WEIGHTS))
    return target


# --- the base and its pinning ------------------------------------------------


def test_publish_pins_the_base_by_hash(built):
    task = built["task"]
    assert task["base_model"].startswith("0x") and task["base_path"] is None
    folder = built["store"].path_for(task["base_model"])
    verify_dir(folder, task["base_model"])  # the store's copy hashes to the pin
    assert (folder / "tokenizer.json").is_file() and (folder / "model.safetensors").is_file()


def test_a_spec_without_a_base_is_refused(kind):
    with pytest.raises(SpecError, match="base_path"):
        kind.publish_assets(kind.validate_params({}), None, Path("."), None)
    with pytest.raises(SpecError, match="hf_revision"):
        kind.validate_params({"hf_id": "Qwen/Qwen2.5-0.5B-Instruct"})


def test_base_with_remote_code_or_other_type_is_refused(built, tmp_path):
    base = built["store"].path_for(built["task"]["base_model"])
    copy = tmp_path / "base"
    shutil.copytree(base, copy)
    (copy / "manifest.json").unlink()
    config = json.loads((copy / "config.json").read_text())
    with pytest.raises(hf.HFModelError, match="model_type is 'llama'"):
        hf.check_base_dir(copy, ["qwen2"], 10**9)
    (copy / "config.json").write_text(json.dumps({**config, "auto_map": {"x": "y"}}))
    with pytest.raises(hf.HFModelError, match="remote code"):
        hf.check_base_dir(copy, ["llama"], 10**9)
    (copy / "config.json").write_text(json.dumps(config))
    (copy / "pytorch_model.bin").write_bytes(b"\x80\x04pickle")
    with pytest.raises(hf.HFModelError, match="safetensors only"):
        hf.check_base_dir(copy, ["llama"], 10**9)


def test_base_from_the_cache_is_verified(kind, built, eval_set):
    task = built["task"]
    cached = built["cache"] / task["base_model"][2:]
    assert cached.is_dir()  # fetched once from the store, then kept by hash
    victim = cached / "config.json"
    original = victim.read_bytes()
    victim.write_bytes(original.replace(b'"llama"', b'"LLAMA"'))
    try:
        with pytest.raises(DataError, match="cannot be fetched"):
            kind.prepare_eval(built["data"] / "eval", task, "cpu")
    finally:
        victim.write_bytes(original)


def test_hub_snapshot_is_checked_against_the_pinned_hash(built, tmp_path):
    base = built["store"].path_for(built["task"]["base_model"])
    calls = []

    def download(repo_id, revision, local_dir, allow_patterns):
        calls.append((repo_id, revision))
        for path in base.iterdir():
            if path.name != "manifest.json":
                shutil.copy(path, Path(local_dir) / path.name)
        (Path(local_dir) / ".cache").mkdir()  # huggingface_hub's bookkeeping, dropped

    revision = "a" * 40
    got = fetch_hub_snapshot(
        "org/tiny", revision, built["task"]["base_model"], tmp_path / "c", 10**9, download=download
    )
    assert calls == [("org/tiny", revision)]
    assert "0x" + manifest_hash(build_manifest(got)).hex() == built["task"]["base_model"]
    with pytest.raises(ArtifactError, match="not the base the task pinned"):
        fetch_hub_snapshot(
            "org/tiny", revision, "0x" + "11" * 32, tmp_path / "d", 10**9, download=download
        )
    assert not any((tmp_path / "d").iterdir())


# --- data --------------------------------------------------------------------


def test_flock_sharegpt_and_messages_records_read_alike():
    flock = {
        "system": "Be brief.",
        "conversations": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"},
        ],
    }
    sharegpt = {
        "system": "Be brief.",
        "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}],
    }
    messages = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"},
        ]
    }
    assert normalise_record(flock, "a") == normalise_record(sharegpt, "b")
    assert normalise_record(messages, "c") == normalise_record(flock, "a")
    with pytest.raises(DataError, match='needs a "role"'):
        normalise_record({"conversations": [{"role": "robot", "content": "x"}]}, "line 3")


def test_loss_only_on_assistant_turns(eval_set, built):
    tokenizer = hf.load_tokenizer(built["store"].path_for(built["task"]["base_model"]))
    record = normalise_record(demo_conversations(1, 3)[0], "x")
    text, spans = hf.render_spans(tokenizer, record["messages"])
    example = hf.encode_conversation(tokenizer, record, 512)
    answers = [m["content"] for m in record["messages"] if m["role"] == "assistant"]
    target_text = "".join(text[a:b] for a, b in spans)
    for answer in answers:
        assert answer in target_text
    assert record["messages"][1]["content"] not in target_text  # the user's question
    assert example.target_bytes == len(target_text.encode())
    decoded = tokenizer.decode([i for i, t in zip(example.ids, example.targets, strict=True) if t])
    assert decoded == target_text


def test_plain_text_data_is_refused_by_a_chat_task(kind, built, tmp_path):
    (tmp_path / "notes.jsonl").write_text(json.dumps({"text": "just text"}) + "\n")
    with pytest.raises(DataError, match="not chat data"):
        kind.prepare_eval(tmp_path, built["task"], "cpu")


# --- training and scoring ----------------------------------------------------


def test_adapters_are_what_peft_saves_and_nothing_else(adapters):
    first, _ = adapters
    assert sorted(p.name for p in first.iterdir()) == [hf.ADAPTER_CONFIG, hf.ADAPTER_WEIGHTS]
    config = json.loads((first / hf.ADAPTER_CONFIG).read_text())
    assert config["peft_type"] == "LORA" and config["r"] == 8
    assert config["base_model_name_or_path"].startswith("0x")


def test_fine_tuning_lowers_bits_per_byte(kind, eval_set, adapters, tmp_path):
    first, _ = adapters
    zero = edited_copy(first, tmp_path / "zero", tensors=lambda s: [v.zero_() for v in s.values()])
    tuned = kind.score_model(first, eval_set, "cpu")
    untouched = kind.score_model(zero, eval_set, "cpu")
    assert tuned.valid and untouched.valid
    assert tuned.metric < untouched.metric
    assert tuned.extras["bytes"] == eval_set.target_bytes


def test_bits_per_byte_is_summed_nats_over_bytes(kind, eval_set, adapters, tmp_path):
    first, _ = adapters
    zero = edited_copy(first, tmp_path / "zero", tensors=lambda s: [v.zero_() for v in s.values()])
    result = kind.score_model(zero, eval_set, "cpu")
    # The plain transformers loss of the base on the same batches, by hand.
    total, tokens = 0.0, 0
    with torch.no_grad():
        for ids, labels, mask in eval_set.batches():
            logits = eval_set.model(input_ids=ids, attention_mask=mask).logits.float()
            shifted = labels[:, 1:]
            losses = torch.nn.functional.cross_entropy(
                logits[:, :-1].transpose(1, 2), shifted, ignore_index=-100, reduction="none"
            )
            total += float(losses.sum())
            tokens += int((shifted != -100).sum())
    assert result.extras["tokens"] == tokens
    assert result.metric == pytest.approx(total / (math.log(2) * eval_set.target_bytes), rel=1e-6)


def test_hooks_apply_exactly_what_peft_computes(eval_set, adapters):
    from peft import PeftModel

    first, _ = adapters
    spec = hf.check_adapter(first, eval_set.modules, 64, ALL_TARGETS, 10**8)
    tensors = hf.load_adapter_tensors(first, spec)
    ids, _labels, mask = next(iter(eval_set.batches()))
    with torch.no_grad(), hf.applied_adapter(eval_set.model, tensors, spec.scaling) as model:
        hooked = model(input_ids=ids, attention_mask=mask).logits
    import copy

    reference = PeftModel.from_pretrained(copy.deepcopy(eval_set.model), str(first)).eval()
    with torch.no_grad():
        expected = reference(input_ids=ids, attention_mask=mask).logits
    assert torch.allclose(hooked, expected, atol=1e-5)
    with torch.no_grad():  # the hooks are gone afterwards
        plain = eval_set.model(input_ids=ids, attention_mask=mask).logits
    assert not torch.allclose(plain, expected, atol=1e-5)


def test_scoring_is_deterministic_and_fp32_is_within_tolerance_of_fp64(kind, eval_set, adapters):
    first, _ = adapters
    one = kind.score_model(first, eval_set, "cpu")
    two = kind.score_model(first, eval_set, "cpu")
    assert one.metric == two.metric
    tolerance = eval_set.task["tolerance_bps"] / 10_000
    reference = kind.score_model(first, eval_set, "cpu", precision="fp64").metric
    assert abs(one.metric - reference) / reference < tolerance / 100
    bf16 = kind.score_model(first, eval_set, "cpu", precision="bf16").metric
    assert abs(bf16 - one.metric) / one.metric < tolerance / 5
    loss, _ = evaluate_lm(eval_set.model, eval_set.batches(), "cpu", "fp32")
    assert eval_set.model.dtype == torch.float32 and loss > 0  # fp64 scoring casts back


def test_training_resumes_from_its_checkpoint(kind, built, tmp_path):
    params = {**TRAIN, "steps": 6, "checkpoint_every": 3, "log_every": 4}
    straight = tmp_path / "straight"
    kind.train(built["data"] / "train", straight, params, "cpu", kind_params=built["task"])

    class Stop(Exception):
        pass

    def crash(step):
        raise Stop  # the node stops at step 4, after the checkpoint of step 3

    resumed, checkpoints = tmp_path / "resumed", tmp_path / "ckpt"
    with pytest.raises(Stop):
        kind.train(
            built["data"] / "train",
            resumed,
            params,
            "cpu",
            checkpoints,
            kind_params=built["task"],
            on_log=crash,
        )
    saved = torch.load(checkpoints / "checkpoint.pt", weights_only=True)
    assert saved["step"] == 3
    assert all(".lora_" in name for name in saved["model"])  # no copy of the base
    result = kind.train(
        built["data"] / "train", resumed, params, "cpu", checkpoints, kind_params=built["task"]
    )
    assert result.start_step == 3 and result.steps == 6
    one, two = (
        load_file(str(straight / hf.ADAPTER_WEIGHTS)),
        load_file(str(resumed / hf.ADAPTER_WEIGHTS)),
    )
    assert one.keys() == two.keys()
    assert all(torch.equal(one[k], two[k]) for k in one)


def test_gradient_accumulation_needs_an_even_split(kind, built, tmp_path):
    with pytest.raises(TrainParamsError, match="grad_accum"):
        kind.train(
            built["data"] / "train",
            tmp_path / "x",
            {**TRAIN, "grad_accum": 3},
            "cpu",
            kind_params=built["task"],
        )
    result = kind.train(
        built["data"] / "train",
        tmp_path / "y",
        {**TRAIN, "steps": 2, "grad_accum": 2},
        "cpu",
        kind_params=built["task"],
    )
    assert result.steps == 2 and math.isfinite(result.final_loss)
    checkpointed = kind.train(
        built["data"] / "train",
        tmp_path / "z",
        {**TRAIN, "steps": 2, "gradient_checkpointing": True},
        "cpu",
        kind_params=built["task"],
    )
    assert math.isfinite(checkpointed.final_loss)
    assert (
        load_file(str(tmp_path / "z" / hf.ADAPTER_WEIGHTS)).keys()
        == load_file(str(tmp_path / "y" / hf.ADAPTER_WEIGHTS)).keys()
    )


def test_choices_outside_the_task_are_refused(kind, built):
    task = {**built["task"], "max_rank": 4, "target_modules": ["q_proj", "v_proj"]}
    with pytest.raises(TrainParamsError, match="max_rank"):
        kind.validate_train_params({"rank": 8}, task)
    with pytest.raises(TrainParamsError, match="up_proj"):
        kind.validate_train_params({"rank": 4, "targets": ["up_proj"]}, task)


# --- bad adapters --------------------------------------------------------------


def _bad_cases(first: Path, tmp: Path) -> dict[str, tuple[Path, str]]:
    embed = "base_model.model.model.embed_tokens.weight"
    cases = {
        "tokenizer": (edited_copy(first, tmp / "tok"), "its own tokenizer"),
        "modules_to_save": (
            edited_copy(first, tmp / "mts", config=lambda c: c.update(modules_to_save=["lm_head"])),
            "embeddings or the head",
        ),
        "rank": (
            edited_copy(first, tmp / "rank", config=lambda c: c.update(r=128)),
            "rank r=128 is not within",
        ),
        "dora": (
            edited_copy(first, tmp / "dora", config=lambda c: c.update(use_dora=True)),
            "use_dora is set",
        ),
        "vocab": (
            edited_copy(
                first, tmp / "vocab", tensors=lambda s: s.update({embed: torch.zeros(4, 4)})
            ),
            "not a LoRA matrix",
        ),
        "shape": (
            edited_copy(
                first,
                tmp / "shape",
                tensors=lambda s: s.update(
                    {k: torch.zeros(8, 3) for k in list(s) if "lora_A" in k}
                ),
            ),
            "not (8, ",
        ),
        "pickle": (edited_copy(first, tmp / "pickle"), "unexpected files"),
        "not safetensors": (edited_copy(first, tmp / "zip"), "not a safetensors file"),
    }
    shutil.copy(first / hf.ADAPTER_CONFIG, cases["tokenizer"][0] / "tokenizer.json")
    (cases["pickle"][0] / "adapter_model.bin").write_bytes(b"\x80\x04K\x01.")
    (cases["not safetensors"][0] / hf.ADAPTER_WEIGHTS).write_bytes(b"PK\x03\x04" + b"\0" * 64)
    return cases


def test_bad_adapters_are_invalid_with_their_reason(kind, eval_set, adapters, tmp_path):
    first, _ = adapters
    for name, (folder, reason) in _bad_cases(first, tmp_path).items():
        result = kind.score_model(folder, eval_set, "cpu")
        assert not result.valid, name
        assert reason in result.reason, (name, result.reason)


def test_a_validator_refuses_a_shipped_tokenizer_before_downloading(
    kind, built, adapters, tmp_path
):
    first, _ = adapters
    store = LocalStore(tmp_path / "subs")
    bad = edited_copy(first, tmp_path / "bad")
    shutil.copy(first / hf.ADAPTER_CONFIG, bad / "tokenizer.json")
    scorer = TaskScorer(kind, built["task"], built["data"] / "eval", tmp_path / "dl", "cpu")
    good_hash, good_uri = store.put(first)
    bad_hash, bad_uri = store.put(bad)
    refused = scorer.score(Submission("0xbad", bad_hash, bad_uri))
    assert not refused.valid and "its own tokenizer" in refused.reason
    assert not (tmp_path / "dl" / bad_hash.hex()).exists()
    assert scorer.score(Submission("0xgood", good_hash, good_uri)).valid


# --- near-copies -----------------------------------------------------------------


def test_a_perturbed_copy_is_caught_and_an_independent_tune_is_not(kind, built, adapters, tmp_path):
    first, second = adapters
    generator = torch.Generator().manual_seed(0)
    noisy = edited_copy(
        first,
        tmp_path / "noisy",
        tensors=lambda s: s.update(
            {
                k: (v + 0.01 * v.std() * torch.randn(v.shape, generator=generator)).to(
                    torch.bfloat16
                )
                for k, v in s.items()
            }
        ),
    )
    store = LocalStore(tmp_path / "subs")
    submissions = [
        Submission(owner, *store.put(folder))
        for owner, folder in (("0xfirst", first), ("0xsecond", second), ("0xcopier", noisy))
    ]
    scorer = TaskScorer(kind, built["task"], built["data"] / "eval", tmp_path / "dl", "cpu")
    assert scorer.score(submissions[0]).valid
    assert scorer.score(submissions[1], submissions[:1]).valid
    copied = scorer.score(submissions[2], submissions[:2])
    assert not copied.valid
    assert "near-copy of 0xfirst's" in copied.reason
    # Order matters: the original, scored after its copy, is the copy's "copy".
    assert kind.copied_from(first, [], scorer.eval_set) is None


# --- several processes -----------------------------------------------------------

TORCHRUN_SCRIPT = """
import json, sys
from pathlib import Path
from ape_arena.kinds.chat_lora import ChatLoRAKind
from ape_arena.ml.train import dist_info
data, out, task = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(Path(sys.argv[3]).read_text())
params = {"steps": 3, "batch_size": 4, "lr": 5e-3, "log_every": 1, "grad_accum": 2}
result = ChatLoRAKind().train(data, out, params, "cpu", kind_params=task)
print("rank", dist_info().rank, "of", result.world_size, "loss", result.final_loss)
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_torchrun_trains_one_adapter_over_two_processes(built, eval_set, kind, tmp_path):
    import os
    import subprocess
    import sys

    script, task_file = tmp_path / "run.py", tmp_path / "task.json"
    script.write_text(TORCHRUN_SCRIPT)
    task_file.write_text(json.dumps(built["task"]))
    out = tmp_path / "ddp-adapter"
    env = {**os.environ, "APE_ARENA_BASE_CACHE": str(built["cache"]), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node",
            "2",
            "--master-addr",
            "127.0.0.1",
            "--master-port",
            str(free_port()),
            str(script),
            str(built["data"] / "train"),
            str(out),
            str(task_file),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "rank 0 of 2" in done.stdout and "rank 1 of 2" in done.stdout
    assert sorted(p.name for p in out.iterdir()) == [hf.ADAPTER_CONFIG, hf.ADAPTER_WEIGHTS]
    result = kind.score_model(out, eval_set, "cpu")
    assert result.valid and math.isfinite(result.metric)


def test_parquet_chat_records_read_like_jsonl(kind, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = demo_conversations(5, 11)
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "chat.parquet")
    (tmp_path / "jsonl").mkdir()
    lines = "".join(json.dumps(r) + "\n" for r in records)
    (tmp_path / "jsonl" / "chat.jsonl").write_text(lines)
    from_parquet = kind.load_user_data(tmp_path / "chat.parquet")
    assert from_parquet == kind.load_user_data(tmp_path / "jsonl")
    assert from_parquet[0]["messages"][0]["role"] == "system"


def test_tools_reach_the_chat_template(built):
    tokenizer = hf.load_tokenizer(built["store"].path_for(built["task"]["base_model"]))
    record = normalise_record(
        {
            "conversations": [
                {"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": "Sunny."},
            ],
            "tools": json.dumps([{"type": "function", "function": {"name": "weather"}}]),
        },
        "line 1",
    )
    assert record["tools"][0]["function"]["name"] == "weather"
    example = hf.encode_conversation(tokenizer, record, 64)
    assert example.target_bytes == len(b"Sunny.<|im_end|>\n")
