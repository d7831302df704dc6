"""Hugging Face causal language models with LoRA adapters, for the chat-lora kind.

Three kinds of folder meet here, each checked before a byte of it is loaded:

- a *base model*: ``config.json`` (a `model_type` the task allows, no
  ``auto_map``: remote code is never run), the weights as safetensors
  (``model.safetensors``, or shards named in ``model.safetensors.index.json``)
  and a fast tokenizer (``tokenizer.json`` + ``tokenizer_config.json``, whose
  ``chat_template`` formats conversations). The task pins it by its artifact
  hash, tokenizer included, so every trainer and validator tokenises alike;
- a *LoRA adapter*, what a trainer submits: ``adapter_config.json`` and
  ``adapter_model.safetensors`` (optionally README.md, metadata.json and the
  manifest) and nothing else: a submission that ships a tokenizer, full
  weights, or an adapter that touches the embeddings or the output head
  (``modules_to_save``, tensors other than ``lora_A``/``lora_B``) is refused;
- chat data: conversations rendered with the base's chat template, the loss
  taken on the assistant turns only.

Training goes through peft (`make_lora_model`); scoring applies the adapter's
low-rank update to the base with forward hooks (`applied_adapter`), so one
base in memory scores every submission, and the update is exactly peft's:
``W x + (alpha / r) B A x`` (``alpha / sqrt(r)`` with rsLoRA).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ape_arena.model_rules import MAX_JSON_FILE_BYTES, MAX_README_BYTES, METADATA_NAME, README_NAME

BASE_CONFIG = "config.json"
BASE_WEIGHTS = "model.safetensors"
BASE_INDEX = "model.safetensors.index.json"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"
# transformers 4.43+ saves the chat template beside tokenizer_config.json; Jinja
# templates are rendered in transformers' sandbox, never as Python.
CHAT_TEMPLATE = "chat_template.jinja"
BASE_OPTIONAL = frozenset(
    {
        "generation_config.json",
        "special_tokens_map.json",
        "added_tokens.json",
        CHAT_TEMPLATE,
        README_NAME,
        "LICENSE",
        "manifest.json",
    }
)
_SHARD = re.compile(r"model-\d{5}-of-\d{5}\.safetensors")

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_FILES = frozenset({ADAPTER_CONFIG, ADAPTER_WEIGHTS})
ADAPTER_OPTIONAL = frozenset({README_NAME, METADATA_NAME, "manifest.json"})
# Files that mean the submission brings its own tokenizer or full weights.
_FOREIGN = {
    TOKENIZER_FILE: "its own tokenizer",
    TOKENIZER_CONFIG: "its own tokenizer",
    "tokenizer.model": "its own tokenizer",
    "vocab.json": "its own tokenizer",
    "merges.txt": "its own tokenizer",
    "special_tokens_map.json": "its own tokenizer",
    "added_tokens.json": "its own tokenizer",
    CHAT_TEMPLATE: "its own chat template",
    BASE_WEIGHTS: "full model weights",
    BASE_CONFIG: "full model weights",
}
# The model types a task may allow: decoder-only families whose attention and
# MLP projections are plain nn.Linear layers (what the LoRA hooks patch).
KNOWN_MODEL_TYPES = ("llama", "qwen2", "qwen3", "gemma", "gemma2", "mistral", "phi3")
# Projection names of those families; a task allows a subset as LoRA targets.
KNOWN_TARGETS = (
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
    "qkv_proj",
    "gate_up_proj",
)
# LoRA config keys a submission may set, and the values the hooks support.
_ADAPTER_KEYS = {
    "peft_type",
    "task_type",
    "r",
    "lora_alpha",
    "lora_dropout",
    "target_modules",
    "bias",
    "fan_in_fan_out",
    "use_rslora",
    "use_dora",
    "modules_to_save",
    "rank_pattern",
    "alpha_pattern",
    "layers_to_transform",
    "layers_pattern",
    "init_lora_weights",
    "inference_mode",
    "base_model_name_or_path",
    "revision",
    "auto_mapping",
    "exclude_modules",
    "lora_bias",
    "layer_replication",
    "megatron_config",
    "megatron_core",
    "loftq_config",
    "eva_config",
    "corda_config",
    "trainable_token_indices",
    "qalora_group_size",
    "use_qalora",
    "target_parameters",
}
_LORA_TENSOR = re.compile(
    r"base_model\.model\.(?P<module>[A-Za-z0-9_.]+)\.(?P<which>lora_A|lora_B)\.weight"
)
IGNORE = -100


class HFModelError(ValueError):
    """A base model or an adapter folder is not what the task accepts; the message says why."""


@dataclass(frozen=True)
class AdapterSpec:
    """A checked adapter: its rank, scaling and the tensors it holds per module."""

    rank: int
    alpha: float
    use_rslora: bool
    modules: tuple[str, ...]
    """Dotted paths of the base modules it adapts (e.g. model.layers.0.self_attn.q_proj)."""

    @property
    def scaling(self) -> float:
        """peft's scale of the low-rank update."""
        return self.alpha / (math.sqrt(self.rank) if self.use_rslora else self.rank)


# ---------------------------------------------------------------------------
# Folders
# ---------------------------------------------------------------------------


def base_folder_problem(sizes: Mapping[str, int], max_bytes: int) -> str | None:
    """What is wrong with a base model artifact's file list (manifest sizes), or None."""
    names = set(sizes)
    missing = sorted({BASE_CONFIG, TOKENIZER_FILE, TOKENIZER_CONFIG} - names)
    if missing:
        return (
            f"it lacks {', '.join(missing)}; a base model holds config.json, the weights as "
            "safetensors and a fast tokenizer (tokenizer.json)"
        )
    shards = {name for name in names if _SHARD.fullmatch(name)}
    if BASE_WEIGHTS not in names and not (shards and BASE_INDEX in names):
        return "it holds no model.safetensors (nor shards with model.safetensors.index.json)"
    allowed = {BASE_CONFIG, TOKENIZER_FILE, TOKENIZER_CONFIG, BASE_WEIGHTS, BASE_INDEX}
    extra = sorted(names - allowed - BASE_OPTIONAL - shards)
    if extra:
        return (
            f"it holds files a base model may not ({', '.join(extra[:3])}); weights are "
            "safetensors only and no code is ever run"
        )
    total = sum(sizes.values())
    if total > max_bytes:
        return f"it is {total:,} bytes, over the {max_bytes:,} allowed"
    return None


def adapter_folder_problem(sizes: Mapping[str, int], max_adapter_bytes: int) -> str | None:
    """What is wrong with a submitted adapter's file list (manifest or disk sizes), or None."""
    names = set(sizes)
    foreign = sorted(name for name in names if name in _FOREIGN)
    if foreign:
        return (
            f"it ships {_FOREIGN[foreign[0]]} ({foreign[0]}); a chat-lora submission is a LoRA "
            "adapter on the task's base model and its tokenizer"
        )
    missing = sorted(ADAPTER_FILES - names)
    if missing:
        return (
            f"it lacks {', '.join(missing)}; a submission holds {ADAPTER_CONFIG} and "
            f"{ADAPTER_WEIGHTS} (peft's save_pretrained with safetensors)"
        )
    extra = sorted(names - ADAPTER_FILES - ADAPTER_OPTIONAL)
    if extra:
        return f"it holds unexpected files ({', '.join(extra[:3])}); an adapter holds only " + (
            f"{ADAPTER_CONFIG}, {ADAPTER_WEIGHTS}, {README_NAME} and {METADATA_NAME}"
        )
    if sizes[ADAPTER_WEIGHTS] > max_adapter_bytes:
        return (
            f"{ADAPTER_WEIGHTS} is {sizes[ADAPTER_WEIGHTS]:,} bytes, over the task's "
            f"max_adapter_bytes of {max_adapter_bytes:,}"
        )
    limits = {ADAPTER_CONFIG: MAX_JSON_FILE_BYTES, METADATA_NAME: MAX_JSON_FILE_BYTES}
    limits[README_NAME] = MAX_README_BYTES
    for name, limit in limits.items():
        if sizes.get(name, 0) > limit:
            return f"{name} is {sizes[name]:,} bytes, over its limit of {limit:,}"
    return None


def max_adapter_folder_bytes(max_adapter_bytes: int) -> int:
    """The largest adapter folder a validator downloads for one submission."""
    return max_adapter_bytes + 2 * MAX_JSON_FILE_BYTES + MAX_README_BYTES


def folder_sizes(folder: Path) -> dict[str, int]:
    """Plain files of a flat folder and their sizes; a subfolder or a link is refused."""
    import os
    import stat

    sizes: dict[str, int] = {}
    with os.scandir(folder) as scan:
        for child in scan:
            info = child.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                raise HFModelError(
                    f"{child.name[:60]} is not a plain file; the folder must be flat"
                )
            sizes[child.name] = info.st_size
    return sizes


def check_base_dir(folder: Path, model_types: Sequence[str], max_bytes: int) -> dict[str, Any]:
    """Check a base model folder on disk; return its config.json.

    Raises:
        HFModelError: a file it may not hold, remote code, a model type the task
            does not allow, or weights that are not safetensors.
    """
    from ape_arena.artifacts import ArtifactError, check_weights_file
    from ape_arena.artifacts.safety import read_json_file

    folder = Path(folder)
    problem = base_folder_problem(folder_sizes(folder), max_bytes)
    if problem:
        raise HFModelError(f"the base model is refused: {problem}")
    try:
        config = read_json_file(folder / BASE_CONFIG)
        tokenizer_config = read_json_file(folder / TOKENIZER_CONFIG)
        weights = (
            [folder / BASE_WEIGHTS]
            if (folder / BASE_WEIGHTS).is_file()
            else sorted(folder.glob("model-*-of-*.safetensors"))
        )
        for path in weights:
            check_weights_file(path)
    except ArtifactError as error:
        raise HFModelError(f"the base model is refused: {error}") from None
    if not isinstance(config, dict) or not isinstance(tokenizer_config, dict):
        raise HFModelError("the base model's config.json and tokenizer_config.json must be objects")
    if "auto_map" in config or "auto_map" in tokenizer_config:
        raise HFModelError(
            "the base model asks for remote code (auto_map); only models transformers "
            "implements itself are accepted"
        )
    model_type = config.get("model_type")
    if model_type not in model_types:
        raise HFModelError(
            f"the base model's model_type is {str(model_type)[:40]!r}; the task allows "
            f"{', '.join(model_types)}"
        )
    if not (
        isinstance(tokenizer_config.get("chat_template"), str) or (folder / CHAT_TEMPLATE).is_file()
    ):
        raise HFModelError(
            "the base model's tokenizer_config.json has no chat_template; the chat-lora kind "
            "formats conversations with it"
        )
    return config


def load_tokenizer(folder: Path) -> Any:
    """The base's fast tokenizer (tokenizer.json), never a slow or remote-code one."""
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast.from_pretrained(
        str(folder), local_files_only=True, trust_remote_code=False
    )
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_base(folder: Path, dtype: Any = None) -> Any:
    """The base causal LM from a checked folder: safetensors only, no remote code, eval mode."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(
        str(folder),
        local_files_only=True,
        trust_remote_code=False,
        use_safetensors=True,
        dtype=dtype or torch.float32,
        attn_implementation="eager",
    )
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


# ---------------------------------------------------------------------------
# Chat data
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One tokenised conversation: ids, which positions are targets, and their bytes."""

    ids: tuple[int, ...]
    targets: tuple[bool, ...]
    """targets[t]: token t is predicted and scored (it lies in an assistant turn)."""
    target_bytes: int
    """UTF-8 bytes of the text the target tokens encode (the bits-per-byte divisor)."""


def render_spans(
    tokenizer: Any, messages: Sequence[Mapping[str, Any]], tools: Any = None
) -> tuple[str, list[tuple[int, int]]]:
    """The conversation as the chat template writes it, and the character spans
    of its assistant turns (each turn's text and end-of-turn marker).

    A span is what the template adds for an assistant message after the
    prompt that asks for it, so the template must render conversations
    prefix by prefix (ChatML, Llama 3, Gemma and Qwen templates do).

    Raises:
        ValueError: the template does not render the conversation that way.
    """

    def render(part: Sequence[Mapping[str, Any]], prompt: bool) -> str:
        return tokenizer.apply_chat_template(
            list(part), tools=tools, tokenize=False, add_generation_prompt=prompt
        )

    text = render(messages, False)
    spans = []
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = render(messages[:index], True)
        after = render(messages[: index + 1], False)
        if not (after.startswith(before) and text.startswith(after)):
            raise ValueError(
                "the base model's chat template does not render conversations turn by turn, "
                "so the assistant turns cannot be found"
            )
        spans.append((len(before), len(after)))
    return text, spans


def encode_text(
    tokenizer: Any, text: str, spans: Sequence[tuple[int, int]], context: int
) -> Example:
    """Tokenise `text`, keep its first `context` tokens, and mark as targets the
    tokens that start inside a span (never the first token: nothing predicts it)."""
    encoding = tokenizer(
        text, add_special_tokens=False, return_offsets_mapping=True, truncation=False
    )
    ids = list(encoding["input_ids"])[:context]
    offsets = list(encoding["offset_mapping"])[: len(ids)]
    cut = offsets[-1][1] if offsets else 0  # characters the kept tokens cover
    targets = []
    for position, (start, _end) in enumerate(offsets):
        inside = any(low <= start < high for low, high in spans)
        targets.append(position > 0 and inside)
    covered = 0
    for low, high in spans:
        high = min(high, cut)
        if high > low:
            covered += len(text[low:high].encode("utf-8"))
    if not any(targets):
        covered = 0
    return Example(ids=tuple(ids), targets=tuple(targets), target_bytes=covered)


def encode_conversation(tokenizer: Any, record: Mapping[str, Any], context: int) -> Example:
    """A conversation record (`messages`, optional `tools`) or a plain `text` record."""
    if "text" in record:
        text = record["text"]
        return encode_text(tokenizer, text, [(0, len(text))], context)
    text, spans = render_spans(tokenizer, record["messages"], record.get("tools"))
    return encode_text(tokenizer, text, spans, context)


def pad_batch(examples: Sequence[Example], length: int, pad_id: int) -> tuple[Any, Any, Any]:
    """(input_ids, labels, attention_mask) of `length` columns, right-padded.

    labels[t] is ids[t] where token t is a target, else IGNORE; the model's
    logits at t - 1 predict it.
    """
    import torch

    rows = len(examples)
    ids = torch.full((rows, length), pad_id, dtype=torch.long)
    labels = torch.full((rows, length), IGNORE, dtype=torch.long)
    mask = torch.zeros((rows, length), dtype=torch.long)
    for row, example in enumerate(examples):
        n = min(len(example.ids), length)
        ids[row, :n] = torch.tensor(example.ids[:n])
        mask[row, :n] = 1
        chosen = torch.tensor(example.targets[:n], dtype=torch.bool)
        labels[row, :n] = torch.where(chosen, ids[row, :n], torch.full_like(ids[row, :n], IGNORE))
    return ids, labels, mask


def lm_loss_sum(logits: Any, labels: Any) -> tuple[Any, int]:
    """Summed next-token cross-entropy of the target positions, in fp32 (or the logits'
    wider dtype), and how many there were."""
    import torch.nn.functional as F

    shifted = logits[:, :-1].float() if logits.dtype != _float64() else logits[:, :-1]
    wanted = labels[:, 1:]
    loss = F.cross_entropy(
        shifted.reshape(-1, shifted.shape[-1]),
        wanted.reshape(-1),
        ignore_index=IGNORE,
        reduction="sum",
    )
    return loss, int((wanted != IGNORE).sum())


def _float64() -> Any:
    import torch

    return torch.float64


# ---------------------------------------------------------------------------
# LoRA: training through peft, scoring through hooks
# ---------------------------------------------------------------------------


def make_lora_model(
    base: Any, rank: int, alpha: float, dropout: float, targets: Sequence[str]
) -> Any:
    """The base wrapped by peft with fresh LoRA adapters on `targets` (the only
    trainable parameters)."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=rank,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=list(targets),
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(base, config)


def adapter_state(peft_model: Any) -> dict[str, Any]:
    """The adapter's tensors under peft's saved names (base_model.model.<module>.lora_X.weight)."""
    from peft import get_peft_model_state_dict

    return {k: v.detach().contiguous() for k, v in get_peft_model_state_dict(peft_model).items()}


def save_adapter(peft_model: Any, out_dir: Path, base_hash: str) -> Path:
    """Write adapter_config.json and adapter_model.safetensors into `out_dir`, each atomically,
    with the base named by its artifact hash (no local path leaks into the artifact)."""
    import torch
    from safetensors.torch import save

    from ape_arena.files import write_bytes_atomically

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = peft_model.peft_config["default"].to_dict()
    config["base_model_name_or_path"] = base_hash
    config["target_modules"] = sorted(config["target_modules"])
    config = {k: v for k, v in config.items() if k in _ADAPTER_KEYS}
    state = {k: v.to(torch.float32).cpu() for k, v in adapter_state(peft_model).items()}
    write_bytes_atomically(
        out_dir / ADAPTER_CONFIG,
        (json.dumps(config, indent=2, sort_keys=True, default=_json_default) + "\n").encode(),
    )
    write_bytes_atomically(out_dir / ADAPTER_WEIGHTS, save(dict(sorted(state.items()))))
    return out_dir


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def check_adapter(
    folder: Path,
    base_modules: Mapping[str, tuple[int, int]],
    max_rank: int,
    allowed_targets: Sequence[str],
    max_adapter_bytes: int,
) -> AdapterSpec:
    """Validate a submitted adapter before any tensor is loaded.

    `base_modules` maps each adaptable module of the base (dotted path) to its
    (in_features, out_features).

    Raises:
        HFModelError: the reason the submission is INVALID.
    """
    from ape_arena.artifacts import ArtifactError, check_weights_file
    from ape_arena.artifacts.safety import read_json_file

    folder = Path(folder)
    problem = adapter_folder_problem(folder_sizes(folder), max_adapter_bytes)
    if problem:
        raise HFModelError(f"the adapter is refused: {problem}")
    try:
        config = read_json_file(folder / ADAPTER_CONFIG)
        weights = check_weights_file(folder / ADAPTER_WEIGHTS)
    except ArtifactError as error:
        raise HFModelError(f"the adapter is refused: {error}") from None
    if not isinstance(config, dict):
        raise HFModelError(f"{ADAPTER_CONFIG} is not a JSON object")
    unknown = sorted(set(config) - _ADAPTER_KEYS)
    if unknown:
        raise HFModelError(f"{ADAPTER_CONFIG} has keys this arena does not know: {unknown[:3]}")
    if config.get("peft_type", "LORA") != "LORA":
        raise HFModelError(f"the adapter is {str(config.get('peft_type'))[:20]}, not LoRA")
    rank = config.get("r")
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= max_rank:
        raise HFModelError(f"the adapter's rank r={str(rank)[:20]} is not within 1..{max_rank}")
    alpha = config.get("lora_alpha", 8)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha <= 4096:
        raise HFModelError(f"lora_alpha={str(alpha)[:20]} is not a number in (0, 4096]")
    for key, allowed in (
        ("modules_to_save", (None, [])),
        ("rank_pattern", (None, {})),
        ("alpha_pattern", (None, {})),
        ("use_dora", (None, False)),
        ("fan_in_fan_out", (None, False)),
        ("bias", (None, "none")),
        ("lora_bias", (None, False)),
        ("layer_replication", (None,)),
        ("trainable_token_indices", (None,)),
        ("target_parameters", (None, [])),
        ("use_qalora", (None, False)),
    ):
        if config.get(key) not in allowed:
            what = "changes the embeddings or the head" if key == "modules_to_save" else "is set"
            raise HFModelError(
                f"the adapter's {key} {what}; only plain LoRA on the task's targets is scored"
            )
    use_rslora = config.get("use_rslora") or False
    if not isinstance(use_rslora, bool):
        raise HFModelError("use_rslora must be true or false")

    found: dict[str, dict[str, tuple[int, ...]]] = {}
    for name, info in weights.tensors.items():
        match = _LORA_TENSOR.fullmatch(name)
        if match is None:
            raise HFModelError(
                f"the adapter holds tensor {name[:80]!r}, which is not a LoRA matrix; embeddings, "
                "heads and other weights (a changed vocabulary) are not accepted"
            )
        module = match["module"]
        if module.rsplit(".", 1)[-1] not in allowed_targets:
            raise HFModelError(
                f"the adapter adapts {module[:80]}, not one of the task's targets "
                f"({', '.join(allowed_targets)})"
            )
        if module not in base_modules:
            raise HFModelError(f"the base model has no module {module[:80]}")
        found.setdefault(module, {})[match["which"]] = info.shape
    for module, pair in sorted(found.items()):
        if set(pair) != {"lora_A", "lora_B"}:
            raise HFModelError(f"{module[:80]} has only one of lora_A and lora_B")
        fan_in, fan_out = base_modules[module]
        if pair["lora_A"] != (rank, fan_in) or pair["lora_B"] != (fan_out, rank):
            raise HFModelError(
                f"{module[:80]}: lora_A is {pair['lora_A']} and lora_B {pair['lora_B']}, not "
                f"({rank}, {fan_in}) and ({fan_out}, {rank}) for rank {rank}"
            )
    if not found:
        raise HFModelError("the adapter holds no LoRA matrices")
    return AdapterSpec(
        rank=rank, alpha=float(alpha), use_rslora=use_rslora, modules=tuple(sorted(found))
    )


def linear_modules(model: Any, targets: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Every nn.Linear of `model` whose last name is in `targets`: path -> (in, out)."""
    from torch import nn

    return {
        name: (module.in_features, module.out_features)
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and name.rsplit(".", 1)[-1] in targets
    }


def load_adapter_tensors(folder: Path, spec: AdapterSpec) -> dict[str, tuple[Any, Any]]:
    """module path -> (A, B) in float32, from a checked adapter."""
    import torch
    from safetensors.torch import load_file

    tensors = load_file(str(Path(folder) / ADAPTER_WEIGHTS))
    prefix = "base_model.model."
    return {
        module: (
            tensors[f"{prefix}{module}.lora_A.weight"].to(torch.float32),
            tensors[f"{prefix}{module}.lora_B.weight"].to(torch.float32),
        )
        for module in spec.modules
    }


@contextlib.contextmanager
def applied_adapter(
    model: Any, tensors: Mapping[str, tuple[Any, Any]], scaling: float
) -> Iterator[Any]:
    """The base `model` with the adapter's update added to each adapted layer's
    output (``scaling * B A x``), for as long as the context lasts."""
    modules = dict(model.named_modules())
    handles = []
    try:
        for name, (a, b) in tensors.items():
            layer = modules[name]
            weight = layer.weight
            down = a.to(weight.device, weight.dtype)
            up = (b * scaling).to(weight.device, weight.dtype)

            def hook(_module, inputs, output, down=down, up=up):
                x = inputs[0]
                if x.dtype != down.dtype:  # the model was cast (fp64 reference) after entry
                    down, up = down.to(x.dtype), up.to(x.dtype)
                return output + (x @ down.T) @ up.T

            handles.append(layer.register_forward_hook(hook))
        yield model
    finally:
        for handle in handles:
            handle.remove()


def delta_similarity(
    first: Mapping[str, tuple[Any, Any]],
    second: Mapping[str, tuple[Any, Any]],
    first_scale: float = 1.0,
    second_scale: float = 1.0,
) -> float:
    """Cosine similarity of two adapters' weight updates, all layers as one vector.

    With dW = s B A per module, <dW1, dW2> = s1 s2 trace((B1^T B2)(A2 A1^T)): r x r
    products only, never a full d x d matrix. Modules only one adapter touches
    count in its norm (they lower the similarity).
    """
    import torch

    def inner(x: tuple[Any, Any], y: tuple[Any, Any]) -> float:
        (a1, b1), (a2, b2) = x, y
        return float(torch.trace((b1.double().T @ b2.double()) @ (a2.double() @ a1.double().T)))

    dot = sum(inner(first[name], second[name]) for name in sorted(set(first) & set(second))) * (
        first_scale * second_scale
    )
    norm1 = sum(inner(pair, pair) for pair in first.values()) * first_scale**2
    norm2 = sum(inner(pair, pair) for pair in second.values()) * second_scale**2
    if norm1 <= 0 or norm2 <= 0:
        return 0.0
    return dot / math.sqrt(norm1 * norm2)
