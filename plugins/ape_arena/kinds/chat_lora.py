"""`chat-lora`: LoRA fine-tuning of a Hugging Face causal LM on chat data, scored in bits per byte.

The task names a base model (a Llama, Qwen2, Gemma... folder: config.json,
safetensors weights and a fast tokenizer with a chat template) by its
artifact hash; trainers submit LoRA adapters for it; validators score base +
adapter on the revealed eval conversations.

Kind parameters (`ChatLoRAKindParams`; defaults and bounds in the declarations):
    base_model         the base's artifact hash (0x + 64 hex); set by `ape arena
                       task create` from `base_path` when the spec names a folder
    base_uri           where the base artifact is stored (any store URL)
    base_path          a local base folder, published at creation (spec only)
    hf_id, hf_revision where else to get the base: a Hugging Face repo at a
                       pinned revision, checked against base_model on download
    model_types        the base model types accepted (llama, qwen2, gemma, ...)
    target_modules     projections an adapter may adapt (q_proj, v_proj, ...)
    max_rank           highest LoRA rank
    max_adapter_bytes  largest adapter_model.safetensors
    max_params         most adapter parameters
    context_length     tokens per conversation (longer ones are cut)
    data_format        chat (conversations) or text (plain documents)
    eval_batch_size    conversations per scoring batch, fixed so validators agree
    near_copy_similarity  an adapter whose weight update has at least this cosine
                       similarity with an earlier-committed one is INVALID
    tolerance_bps      agreement tolerance of validators' scores

Data: JSONL or Parquet records, either FLock's chat format
``{"system": ..., "conversations": [{"role": "user"|"assistant", "content": ...}],
"tools": [...]}`` (ShareGPT's ``from``/``value`` with human/gpt also read), a
``messages`` list, or plain ``{"text": ...}`` documents (.txt files too).
Conversations are rendered with the base model's chat template; the loss is
taken on the assistant turns only (each turn's text and end-of-turn marker).

Metric: bits per byte of base + adapter over the eval set's target tokens,

    bits_per_byte = sum of target-token cross-entropy (nats, fp32, summed in fp64)
                    / (ln 2 x UTF-8 bytes of the text those tokens encode),

in file order, `eval_batch_size` conversations per batch, each padded to
`context_length`. The tokenizer is the base's (pinned by its hash), and a
submission that ships a tokenizer, full weights, or touches the embeddings or
the head is INVALID, so the divisor is the same for every submission.
"""

from __future__ import annotations

import json
import math
import os
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ape_arena.kinds.base import (
    DataError,
    EvalSet,
    ScoreResult,
    SpecError,
    TaskKind,
    TrainParamsError,
)
from ape_arena.kinds.common import MAX_PARAMS_LIMIT, KindParams, TrainingData, TrainParams
from ape_arena.kinds.data import (
    JSONL,
    MAX_DATA_BYTES,
    MAX_EVAL_BYTES,
    PARQUET,
    TEXT,
    data_files,
    iter_jsonl,
    read_table,
)
from ape_arena.ml import hf
from ape_arena.ml.fields import ConfigError, choices, flag, integer, like, number, text

SUFFIXES = (TEXT, JSONL, PARQUET)
HASH = r"0x[0-9a-f]{64}"
# Largest base model a node downloads (a 7B model in bf16 is about 15 GB).
MAX_BASE_BYTES = 64 * 1024**3
DEFAULT_TARGETS = ("q_proj", "v_proj")
ROLES = {"user": "user", "human": "user", "assistant": "assistant", "gpt": "assistant"}
ROLES.update({"tool": "tool", "function": "tool", "observation": "tool", "system": "system"})
EVAL_FRACTION = 10
# The demo's base model: a tiny Llama pre-trained on the demo corpus.
DEMO_BASE = "base"
BASE_CACHE_ENV = "APE_ARENA_BASE_CACHE"


def base_cache_dir() -> Path:
    """Where fetched base models are kept, by hash: $APE_ARENA_BASE_CACHE, else
    ~/.cache/ape-arena/base-models."""
    configured = os.environ.get(BASE_CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "ape-arena" / "base-models"


@dataclass(frozen=True)
class ChatLoRAKindParams(KindParams):
    """A chat-lora task's parameters (see the module docstring)."""

    max_params: int = integer(1, MAX_PARAMS_LIMIT, 50_000_000)
    """Most adapter parameters (every lora_A and lora_B element)."""
    eval_batch_size: int = like(KindParams, "eval_batch_size", 8)
    base_model: str | None = text(HASH, 66, None)
    base_uri: str | None = text(r"\S+", 2_000, None)
    base_path: str | None = text(r".+", 1_000, None)
    hf_id: str | None = text(r"[A-Za-z0-9][\w.-]*/[\w.-]+", 200, None)
    hf_revision: str | None = text(r"[0-9a-f]{40}", 40, None)
    model_types: tuple[str, ...] = choices(hf.KNOWN_MODEL_TYPES, 8, ("llama", "qwen2", "gemma"))
    target_modules: tuple[str, ...] = choices(
        hf.KNOWN_TARGETS, len(hf.KNOWN_TARGETS), hf.KNOWN_TARGETS[:7]
    )
    max_rank: int = integer(1, 256, 64)
    max_adapter_bytes: int = integer(1, 8 * 1024**3, 512 * 1024**2)
    context_length: int = integer(8, 131_072, 1_024)
    data_format: str = text(r"chat|text", 4, "chat")
    near_copy_similarity: float = number(0.5, 1.0, 0.98)

    def check(self) -> None:
        if self.hf_revision is not None and self.hf_id is None:
            raise ConfigError("hf_revision needs hf_id")
        if self.hf_id is not None and self.hf_revision is None:
            raise ConfigError("hf_id needs hf_revision, a 40-hex commit, so the base is pinned")


@dataclass(frozen=True)
class ChatLoRATrainParams(TrainParams):
    """A chat-lora trainer's choices: the adapter's shape and the optimisation."""

    steps: int = like(TrainParams, "steps", 100)
    lr: float = like(TrainParams, "lr", 2e-4)
    warmup_steps: int = like(TrainParams, "warmup_steps", 10)
    weight_decay: float = like(TrainParams, "weight_decay", 0.0)
    batch_size: int = like(TrainParams, "batch_size", 8)
    checkpoint_every: int = like(TrainParams, "checkpoint_every", 50)
    compile: bool = like(TrainParams, "compile", False)
    rank: int = integer(1, 256, 8)
    alpha: float = number(1e-3, 4096.0, 16.0)
    lora_dropout: float = number(0.0, 0.9, 0.0)
    targets: tuple[str, ...] = choices(hf.KNOWN_TARGETS, len(hf.KNOWN_TARGETS), DEFAULT_TARGETS)
    grad_accum: int = integer(1, 1024, 1)
    """Micro-batches per optimizer step (batch_size must divide by it, per process)."""
    gradient_checkpointing: bool = flag(False)
    context_length: int | None = integer(8, 131_072, None)
    """Tokens per training conversation; None: the task's context_length."""

    def for_task(self, task: Mapping[str, Any]) -> ChatLoRATrainParams:
        if self.context_length is not None:
            return self
        return replace(self, context_length=task["context_length"])


@dataclass(frozen=True)
class LoRAChoice:
    """The adapter a trainer's choices build (what `check_model` compares with the task)."""

    rank: int
    targets: tuple[str, ...]


@dataclass(frozen=True)
class ChatEvalSet(EvalSet):
    """The eval conversations, tokenised once, with the base model loaded once."""

    model: Any = None
    modules: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    target_bytes: int = 0
    adapters: dict[str, Any] = field(default_factory=dict)
    """Checked adapters by folder, for the near-copy comparisons."""


class ChatLoRAKind(TaskKind):
    """LoRA fine-tuning of a Hugging Face chat model (metric: bits per byte, lower is better)."""

    name = "chat-lora"
    metric_name = "bits_per_byte"
    arch = "lora"
    demo_size = 1_200  # conversations
    kind_params_type = ChatLoRAKindParams
    train_params_type = ChatLoRATrainParams

    # --- the task and the trainer's choices ------------------------------------

    def model_config(self, params: ChatLoRATrainParams, task: Mapping[str, Any]) -> LoRAChoice:
        return LoRAChoice(rank=params.rank, targets=tuple(params.targets))

    def check_model(self, config: LoRAChoice, task: Mapping[str, Any]) -> None:
        self.check_fit(config, task)

    def check_fit(self, config: LoRAChoice, task: Mapping[str, Any]) -> None:
        from ape_arena.ml.models import InvalidModelError

        if config.rank > task["max_rank"]:
            raise InvalidModelError(
                f"rank {config.rank} is above the task's max_rank {task['max_rank']}"
            )
        outside = sorted(set(config.targets) - set(task["target_modules"]))
        if outside:
            raise InvalidModelError(
                f"targets {', '.join(outside)} are not among the task's target_modules "
                f"({', '.join(task['target_modules'])})"
            )

    def submission_problem(self, sizes: Mapping[str, int], task: Mapping[str, Any]) -> str | None:
        """A submission is a LoRA adapter folder (see `ape_arena.ml.hf`)."""
        return hf.adapter_folder_problem(sizes, task["max_adapter_bytes"])

    def max_submission_bytes(self, task: Mapping[str, Any]) -> int:
        return hf.max_adapter_folder_bytes(task["max_adapter_bytes"])

    def check_submission(self, folder: Path, task: Mapping[str, Any]) -> None:
        """The adapter folder's files, its JSON and its safetensors header."""
        from ape_arena.artifacts import ArtifactError, check_weights_file
        from ape_arena.artifacts.safety import read_json_file

        try:
            problem = hf.adapter_folder_problem(
                hf.folder_sizes(Path(folder)), task["max_adapter_bytes"]
            )
        except (hf.HFModelError, OSError) as error:
            raise ArtifactError(f"the adapter folder is refused: {error}") from None
        if problem:
            raise ArtifactError(f"the adapter folder is refused: {problem}")
        if not isinstance(read_json_file(Path(folder) / hf.ADAPTER_CONFIG), dict):
            raise ArtifactError(f"{hf.ADAPTER_CONFIG} is not a JSON object")
        check_weights_file(Path(folder) / hf.ADAPTER_WEIGHTS)

    def publish_assets(
        self,
        kind_params: Mapping[str, Any],
        built: Path | None,
        spec_dir: Path,
        put: Callable[[Path], tuple[bytes, str]] | None,
    ) -> dict[str, Any]:
        """Publish the base model the spec names by folder (or the demo's) and pin its hash."""
        from ape_arena.artifacts import build_manifest, hash_hex, manifest_hash

        task = dict(kind_params)
        source = None
        if task.get("base_path"):
            source = (spec_dir / str(task["base_path"])).expanduser()
        elif task.get("base_model") is None and built is not None and (built / DEMO_BASE).is_dir():
            source = built / DEMO_BASE
        if source is None:
            if task.get("base_model") is None:
                raise SpecError(
                    "task spec: the chat-lora kind needs kind_params.base_path (a base model "
                    "folder) or base_model with base_uri or hf_id"
                )
            if task.get("base_uri") is None and task.get("hf_id") is None:
                raise SpecError("task spec: base_model needs base_uri or hf_id to say where it is")
            return task
        try:
            hf.check_base_dir(source, task["model_types"], MAX_BASE_BYTES)
        except (hf.HFModelError, OSError) as error:
            raise SpecError(f"task spec: {source}: {error}") from None
        if put is None:
            digest = hash_hex(manifest_hash(build_manifest(source)))
            task.update(base_model=digest, base_path=None)
            return task
        base_hash, uri = put(source)
        task.update(base_model=hash_hex(base_hash), base_uri=uri, base_path=None)
        return task

    # --- data -------------------------------------------------------------------

    def write_demo_data(self, out_dir: Path, seed: int, size: int, task: Mapping[str, Any]) -> None:
        """`size` synthetic conversations (arithmetic, spelling, facts) in train/ and
        eval/ (a tenth held out), and a tiny Llama base pre-trained on plain text."""
        from ape_arena.kinds.lm import stdlib_sources
        from ape_arena.ml.tiny_base import build_tiny_base

        if size < 2 * EVAL_FRACTION:
            raise DataError(f"the chat demo needs at least {2 * EVAL_FRACTION} conversations")
        records = demo_conversations(size, seed)
        held = size // EVAL_FRACTION
        for split, part in (("eval", records[:held]), ("train", records[held:])):
            (out_dir / split).mkdir(parents=True, exist_ok=True)
            lines = "".join(json.dumps(r, sort_keys=True) + "\n" for r in part)
            (out_dir / split / "chat.jsonl").write_text(lines, encoding="utf-8")
        files = stdlib_sources()
        random.Random(seed).shuffle(files)
        corpus = [path.read_text(encoding="utf-8", errors="replace") for path in files[:40]]
        corpus += [_plain(record) for record in records[held:][:200]]
        build_tiny_base(out_dir / DEMO_BASE, corpus, seed=seed)

    def load_user_data(self, path: Path, max_bytes: int = MAX_DATA_BYTES) -> list[dict[str, Any]]:
        """The records of the data files: {"messages": [...], "tools": ...} or {"text": ...}."""
        records: list[dict[str, Any]] = []
        for file in data_files(path, SUFFIXES, max_bytes):
            suffix = file.suffix.lower()
            if suffix == TEXT:
                records.append({"text": file.read_text(encoding="utf-8", errors="replace")})
            elif suffix == JSONL:
                for line, record in iter_jsonl(file):
                    records.append(normalise_record(record, f"{file.name} line {line}"))
            else:
                table = read_table(file, max_bytes=max_bytes)
                for row, record in enumerate(table.to_dict(orient="records")):
                    records.append(
                        normalise_record(_plain_values(record), f"{file.name} row {row + 1}")
                    )
        if not records:
            raise DataError(f"{path} holds no conversations")
        return records

    def _base(self, task: Mapping[str, Any]) -> Path:
        if task.get("base_model") is None:
            raise SpecError(
                "task spec: the task names no base_model; it cannot be trained or scored"
            )
        try:
            return fetch_base(task)
        except hf.HFModelError as error:
            raise DataError(str(error)) from None

    def _examples(
        self,
        records: Sequence[Mapping[str, Any]],
        tokenizer: Any,
        context: int,
        fmt: str,
        where: str,
    ) -> list[hf.Example]:
        examples = []
        for index, record in enumerate(records):
            if ("messages" in record) != (fmt == "chat"):
                raise DataError(
                    f"{where}: record {index + 1} is not {fmt} data, the task's data_format"
                )
            try:
                example = hf.encode_conversation(tokenizer, record, context)
            except ValueError as error:
                raise DataError(f"{where}: record {index + 1}: {error}") from None
            except Exception as error:  # the template failing on a record's content
                raise DataError(
                    f"{where}: record {index + 1} cannot be formatted ({error})"
                ) from None
            if example.target_bytes:
                examples.append(example)
        if not examples:
            raise DataError(f"{where} holds no assistant turn within the context to learn or score")
        return examples

    # --- training ---------------------------------------------------------------

    def training_data(
        self, data_dir: Path, params: ChatLoRATrainParams, task: Mapping[str, Any] | None
    ) -> TrainingData:
        """The tokenised training conversations, and a batch function over them."""
        if task is None:
            raise TrainParamsError(
                "training parameters: a chat-lora run needs the task (its base model)"
            )
        base = self._base(task)
        tokenizer = hf.load_tokenizer(base)
        records = self.load_user_data(data_dir)
        examples = self._examples(
            records, tokenizer, params.context_length, task["data_format"], str(data_dir)
        )
        pad = tokenizer.pad_token_id
        data = json.dumps([list(e.ids) for e in examples]).encode()
        return TrainingData(
            config=self.model_config(params, task),
            batches=lambda: conversation_batches(examples, params.batch_size, params.seed, pad),
            data=data,
        )

    def train(
        self,
        data_dir: Path,
        out_dir: Path,
        params: Mapping[str, Any] | TrainParams,
        device: str = "auto",
        checkpoint_dir: Path | None = None,
        *,
        kind_params: Mapping[str, Any] | None = None,
        on_log: Callable[[Any], None] | None = None,
    ) -> Any:
        """Train a LoRA adapter on the task's base; write adapter_config.json and
        adapter_model.safetensors into `out_dir` (rank 0 under torchrun)."""
        import torch

        from ape_arena.kinds.common import run_identity
        from ape_arena.ml.device import pick_device
        from ape_arena.ml.fields import from_fields
        from ape_arena.ml.train import TrainConfig, dist_info, train

        if kind_params is None:
            raise TrainParamsError(
                "training parameters: a chat-lora run needs the task's kind_params"
            )
        choices_ = self.validate_train_params(params, kind_params)
        task = self.validate_params(kind_params)
        if choices_.batch_size % (choices_.grad_accum * dist_info().world_size):
            raise TrainParamsError(
                "training parameters: batch_size must divide by grad_accum times the processes"
            )
        training = self.training_data(Path(data_dir), choices_, task)
        base_dir = self._base(task)
        torch.manual_seed(choices_.seed)
        on_cuda = pick_device(device).type == "cuda"
        base = hf.load_base(base_dir, torch.bfloat16 if on_cuda else torch.float32)
        if choices_.gradient_checkpointing:
            base.gradient_checkpointing_enable(
                gradient_checkpointing_kwargs={"use_reentrant": False}
            )
            base.enable_input_require_grads()
        peft_model = hf.make_lora_model(
            base, choices_.rank, choices_.alpha, choices_.lora_dropout, choices_.targets
        )
        module = _make_trainable()(peft_model)
        tokens_per_step = choices_.batch_size * choices_.context_length

        def logged(step: Any) -> None:
            if on_log is not None:
                rate = step.step * tokens_per_step / step.seconds if step.seconds > 0 else None
                on_log(replace(step, tokens_per_s=rate))

        result = train(
            module,
            training.batches(),
            from_fields(TrainConfig, choices_),
            device,
            checkpoint_dir,
            loss_fn=lora_loss,
            run_info=run_identity(
                self.name,
                {"base": task["base_model"], **training.config.__dict__},
                choices_,
                training.data,
            ),
            on_log=logged,
        )
        if dist_info().is_main:
            hf.save_adapter(peft_model, Path(out_dir), task["base_model"])
        return result

    # --- scoring ----------------------------------------------------------------

    def prepare_eval(
        self, eval_dir: Path, kind_params: Mapping[str, Any], device: str = "auto"
    ) -> ChatEvalSet:
        """Fetch and load the base once, tokenise the eval conversations once."""
        import torch

        task = self.validate_params(kind_params)
        base_dir = self._base(task)
        tokenizer = hf.load_tokenizer(base_dir)
        records = self.load_user_data(eval_dir, MAX_EVAL_BYTES)
        examples = self._examples(
            records, tokenizer, task["context_length"], task["data_format"], str(eval_dir)
        )
        model = hf.load_base(base_dir, torch.float32)
        length = task["context_length"]
        size = task["eval_batch_size"]
        pad = tokenizer.pad_token_id

        def batches() -> Iterator[tuple[Any, Any, Any]]:
            for start in range(0, len(examples), size):
                yield hf.pad_batch(examples[start : start + size], length, pad)

        return ChatEvalSet(
            task=task,
            batches=batches,
            targets=sum(sum(e.targets) for e in examples),
            model=model,
            modules=hf.linear_modules(model, task["target_modules"]),
            target_bytes=sum(e.target_bytes for e in examples),
        )

    def _adapter(
        self, folder: Path, eval_set: ChatEvalSet
    ) -> tuple[hf.AdapterSpec, dict[str, Any]]:
        """A checked adapter and its tensors (kept for the near-copy comparisons)."""
        key = str(folder)
        if key not in eval_set.adapters:
            task = eval_set.task
            spec = hf.check_adapter(
                folder,
                eval_set.modules,
                task["max_rank"],
                task["target_modules"],
                task["max_adapter_bytes"],
            )
            params = sum(spec.rank * sum(eval_set.modules[m]) for m in spec.modules)
            if params > task["max_params"]:
                raise hf.HFModelError(
                    f"the adapter holds {params:,} parameters, over the task's max_params of "
                    f"{task['max_params']:,}"
                )
            eval_set.adapters[key] = (spec, hf.load_adapter_tensors(folder, spec))
        return eval_set.adapters[key]

    def score_model(
        self,
        model_dir: Path,
        eval_set: EvalSet,
        device: str = "auto",
        *,
        precision: str = "auto",
        timeout_s: float | None = None,
    ) -> ScoreResult:
        """Bits per byte of base + adapter; INVALID with the reason for a bad adapter."""
        from ape_arena.ml.evaluate import PRECISIONS, ScoringTimeout

        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        assert isinstance(eval_set, ChatEvalSet)
        try:
            spec, tensors = self._adapter(Path(model_dir), eval_set)
            with hf.applied_adapter(eval_set.model, tensors, spec.scaling) as model:
                loss_sum, tokens = evaluate_lm(
                    model, eval_set.batches(), device, precision, timeout_s
                )
        except (hf.HFModelError, ScoringTimeout) as error:
            return ScoreResult.invalid(str(error))
        except Exception as error:  # whatever else a hostile adapter makes go wrong
            return ScoreResult.invalid(
                f"the adapter could not be scored ({type(error).__name__}: {error})"
            )
        return bits_per_byte(loss_sum, tokens, eval_set.target_bytes, rank=spec.rank)

    def result(self, totals: Any, config: Any) -> ScoreResult:
        """Bits per byte from an evaluation's sums (`totals.count` is the target bytes here)."""
        return bits_per_byte(totals.loss_sum, totals.correct, totals.count)

    def copied_from(
        self, model_dir: Path, earlier: Sequence[tuple[str, Path]], eval_set: EvalSet
    ) -> str | None:
        """Why the adapter is a near-copy of an earlier-committed one, or None.

        The similarity is the cosine of the two adapters' weight updates (every
        adapted layer's scale x B A as one vector): an independent fine-tune
        lands near 0, a copy re-saved with noise near 1.
        """
        assert isinstance(eval_set, ChatEvalSet)
        limit = eval_set.task["near_copy_similarity"]
        try:
            spec, tensors = self._adapter(Path(model_dir), eval_set)
        except hf.HFModelError:
            return None  # scoring says why it is invalid
        for owner, folder in earlier:
            try:
                other_spec, other = self._adapter(Path(folder), eval_set)
            except hf.HFModelError:
                continue  # an invalid adapter earns nothing: copying it is no threat
            similarity = hf.delta_similarity(tensors, other, spec.scaling, other_spec.scaling)
            if similarity >= limit:
                return (
                    f"the adapter is a near-copy of {owner}'s, committed earlier (cosine "
                    f"similarity of the weight updates {similarity:.4f} >= {limit})"
                )
        return None


def _make_trainable() -> type:
    from torch import nn

    class _LoRATrainable(nn.Module):
        """A peft model as the training loop sees it: forward(ids, mask) -> logits, and a
        state dict of the adapter alone (checkpoints hold no copy of the base)."""

        def __init__(self, peft_model: Any) -> None:
            super().__init__()
            self.peft = peft_model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.peft(input_ids=input_ids, attention_mask=attention_mask).logits

        def state_dict(self, *args: Any, **kwargs: Any) -> Any:
            full = super().state_dict(*args, **kwargs)
            return type(full)((k, v) for k, v in full.items() if ".lora_" in k)

        def load_state_dict(
            self, state: Mapping[str, Any], strict: bool = True, assign: bool = False
        ) -> Any:
            expected = set(self.state_dict())
            if strict and set(state) != expected:
                raise RuntimeError("the checkpoint holds another adapter's tensors")
            return super().load_state_dict(state, strict=False, assign=assign)

    return _LoRATrainable


def lora_loss(model: Any, batch: tuple[Any, ...]) -> Any:
    """Mean cross-entropy per target token of one (ids, labels, mask) batch, in fp32."""
    ids, labels, mask = batch
    total, count = hf.lm_loss_sum(model(ids, mask), labels)
    return total / max(count, 1)


def conversation_batches(
    examples: Sequence[hf.Example], batch_size: int, seed: int, pad: int
) -> Callable[[int], tuple[Any, Any, Any]]:
    """step -> `batch_size` conversations drawn with a generator seeded by (seed, step),
    right-padded to the longest of them."""

    def batch(step: int) -> tuple[Any, Any, Any]:
        picks = random.Random(seed * 1_000_003 + step).choices(range(len(examples)), k=batch_size)
        chosen = [examples[i] for i in picks]
        return hf.pad_batch(chosen, max(len(e.ids) for e in chosen), pad)

    return batch


def evaluate_lm(
    model: Any,
    batches: Iterator[tuple[Any, Any, Any]],
    device: str = "cpu",
    precision: str = "auto",
    timeout_s: float | None = None,
) -> tuple[float, int]:
    """Summed cross-entropy (nats) of the target tokens and their count, deterministically:
    fixed batches, eval mode, deterministic kernels, fp32 loss summed in fp64."""
    import time

    import torch

    from ape_arena.ml.evaluate import ScoringTimeout, deterministic_kernels, prepare_model

    target, dtype, autocast = prepare_model(model, device, precision)
    end = None if timeout_s is None else time.monotonic() + timeout_s
    total = torch.zeros((), dtype=torch.float64, device=target)
    count = 0
    with torch.inference_mode(), deterministic_kernels():
        for ids, labels, mask in batches:
            if end is not None and time.monotonic() > end:
                raise ScoringTimeout(f"scoring took longer than {timeout_s:g} s")
            ids, labels, mask = (t.to(target) for t in (ids, labels, mask))
            with autocast:
                logits = model(input_ids=ids, attention_mask=mask).logits
            loss, n = hf.lm_loss_sum(logits.to(dtype), labels)
            total += loss.to(torch.float64)
            count += n
    if dtype != torch.float32:
        model.to(torch.float32)
    return float(total.item()), count


def bits_per_byte(loss_sum: float, tokens: int, target_bytes: int, **extras: Any) -> ScoreResult:
    """The metric from summed nats and the bytes the target tokens encode."""
    if target_bytes <= 0:
        return ScoreResult.invalid("the eval set holds no target bytes")
    return ScoreResult.ok(
        loss_sum / (math.log(2) * target_bytes),
        tokens=tokens,
        bytes=target_bytes,
        loss_nats=loss_sum / tokens if tokens else math.nan,
        **extras,
    )


def fetch_base(task: Mapping[str, Any]) -> Path:
    """The task's base model folder, from the cache by hash, else its store, else the Hub.

    Every route checks the folder against the task's base_model hash before it
    is used, and then against the model-type allowlist.

    Raises:
        hf.HFModelError: the base cannot be had, or is not what the task allows.
    """
    from ape_arena.artifacts import ArtifactError, fetch_artifact, parse_hash, verify_dir

    expected = parse_hash(task["base_model"])
    cache = base_cache_dir()
    folder = cache / expected.hex()
    try:
        if folder.is_dir():
            verify_dir(folder, expected)
        elif task.get("base_uri"):
            folder = fetch_artifact(
                task["base_uri"],
                expected,
                cache,
                MAX_BASE_BYTES,
                check=lambda manifest: _check_base_manifest(manifest),
            )
        elif task.get("hf_id"):
            from ape_arena.artifacts.hub import fetch_hub_snapshot

            folder = fetch_hub_snapshot(
                task["hf_id"], task["hf_revision"], expected, cache, MAX_BASE_BYTES
            )
        else:
            raise hf.HFModelError(
                "the task says neither base_uri nor hf_id: its base cannot be fetched"
            )
    except ArtifactError as error:
        raise hf.HFModelError(f"the task's base model cannot be fetched: {error}") from None
    hf.check_base_dir(folder, task["model_types"], MAX_BASE_BYTES)
    return folder


def _check_base_manifest(manifest: Any) -> None:
    from ape_arena.artifacts import ArtifactError

    problem = hf.base_folder_problem({e.path: e.size for e in manifest.files}, MAX_BASE_BYTES)
    if problem:
        raise ArtifactError(f"the base model artifact is refused: {problem}")


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------


def normalise_record(record: Mapping[str, Any], where: str) -> dict[str, Any]:
    """One record as {"messages": [{"role", "content"}...], "tools"?} or {"text"}.

    Raises:
        DataError: a record that is none of the formats the kind reads.
    """
    if "text" in record and "conversations" not in record and "messages" not in record:
        if not isinstance(record["text"], str):
            raise DataError(f'{where}: "text" is not a string')
        return {"text": record["text"]}
    turns = record.get("conversations", record.get("messages"))
    if not isinstance(turns, list) or not turns:
        raise DataError(f'{where}: needs "conversations" (a list of turns), "messages" or "text"')
    messages = []
    system = record.get("system")
    if system:
        if not isinstance(system, str):
            raise DataError(f'{where}: "system" is not a string')
        messages.append({"role": "system", "content": system})
    for position, turn in enumerate(turns, 1):
        if not isinstance(turn, Mapping):
            raise DataError(f"{where}: turn {position} is not an object")
        role = turn.get("role", turn.get("from"))
        content = turn.get("content", turn.get("value"))
        if role not in ROLES or not isinstance(content, str):
            raise DataError(
                f'{where}: turn {position} needs a "role" (user, assistant, tool, system) and a '
                'string "content"'
            )
        messages.append({"role": ROLES[role], "content": content})
    normal: dict[str, Any] = {"messages": messages}
    tools = record.get("tools")
    if tools:
        if isinstance(tools, str):
            try:
                tools = json.loads(tools)
            except ValueError:
                raise DataError(f'{where}: "tools" is not JSON') from None
        if not isinstance(tools, list):
            raise DataError(f'{where}: "tools" must be a list of tool definitions')
        normal["tools"] = tools
    return normal


def _plain_values(record: Mapping[str, Any]) -> dict[str, Any]:
    """A Parquet row with numpy arrays turned into lists (nested structs included)."""

    def plain(value: Any) -> Any:
        if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
            value = value.tolist()
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, Mapping):
            return {k: plain(v) for k, v in value.items()}
        return value

    return {k: plain(v) for k, v in record.items() if v is not None}


def _plain(record: Mapping[str, Any]) -> str:
    return "\n".join(message["content"] for message in record["conversations"])


_FACTS = [
    ("the sky", "blue"),
    ("grass", "green"),
    ("snow", "white"),
    ("coal", "black"),
    ("a banana", "yellow"),
    ("a tomato", "red"),
    ("an orange", "orange"),
    ("a plum", "purple"),
]
_SYSTEMS = ["You are a helpful assistant.", "Answer briefly.", "You are a careful tutor."]


def demo_conversations(count: int, seed: int) -> list[dict[str, Any]]:
    """`count` deterministic FLock-format conversations with answers a model can learn."""
    rng = random.Random(seed)
    records = []
    for _ in range(count):
        turns = []
        for _turn in range(rng.randint(1, 2)):
            task = rng.randrange(3)
            if task == 0:
                a, b = rng.randint(0, 50), rng.randint(0, 50)
                question, answer = f"What is {a} plus {b}?", f"{a} plus {b} is {a + b}."
            elif task == 1:
                word = "".join(
                    rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 6))
                )
                question, answer = f"Spell {word} backwards.", f"{word} backwards is {word[::-1]}."
            else:
                thing, colour = rng.choice(_FACTS)
                question, answer = f"What colour is {thing}?", f"The colour of {thing} is {colour}."
            turns += [
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer},
            ]
        records.append({"system": rng.choice(_SYSTEMS), "conversations": turns})
    return records
