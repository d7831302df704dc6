"""A tiny Hugging Face base model built offline, for demos and tests of the chat-lora kind.

`build_tiny_base` trains a byte-level BPE tokenizer with the `tokenizers`
library on a corpus, gives it a ChatML chat template, builds a Llama (or
Qwen2) config of about a million parameters from scratch, pre-trains it
briefly on the corpus, and saves the folder a base model artifact holds
(config.json, model.safetensors, tokenizer files). Deterministic for a given
corpus, seed and shape; no network.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")


def train_tokenizer(texts: Sequence[str], vocab_size: int) -> object:
    """A byte-level BPE tokenizer trained on `texts`, as transformers' fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    # Untrimmed offsets: each token's span covers every character it encodes.
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=CHATML,
    )


def build_tiny_base(
    out_dir: Path,
    corpus: Sequence[str],
    *,
    model_type: str = "llama",
    vocab_size: int = 1024,
    hidden_size: int = 96,
    layers: int = 2,
    heads: int = 4,
    kv_heads: int | None = None,
    intermediate_size: int | None = None,
    context: int = 256,
    pretrain_steps: int = 150,
    pretrain_context: int = 128,
    batch_size: int = 8,
    seed: int = 0,
) -> Path:
    """Write a pre-trained tiny base model into `out_dir` (replaced atomically) and return it."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(seed)
    tokenizer = train_tokenizer(corpus, vocab_size)
    config = AutoConfig.for_model(
        model_type,
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size or hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads or max(1, heads // 2),
        max_position_embeddings=context,
        tie_word_embeddings=False,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager")
    ids = torch.tensor(
        tokenizer("\n".join(corpus), add_special_tokens=False)["input_ids"], dtype=torch.long
    )
    if ids.numel() > pretrain_context + 1 and pretrain_steps > 0:
        generator = torch.Generator().manual_seed(seed)
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
        model.train()
        for _step in range(pretrain_steps):
            starts = torch.randint(
                0, ids.numel() - pretrain_context - 1, (batch_size,), generator=generator
            )
            batch = torch.stack([ids[s : s + pretrain_context] for s in starts.tolist()])
            loss = model(input_ids=batch, labels=batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        model.eval()
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".base-", dir=out_dir.parent))
    try:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir
