"""A minimal GPT: pre-LayerNorm transformer blocks over bytes, tied embeddings.

The shape follows GPT-2 (and nanoGPT's reading of it): token and learned
position embeddings, `n_layer` blocks of causal self-attention and a GELU MLP
each behind a LayerNorm, a final LayerNorm, and an output projection that
reuses the token embedding matrix. The output projection is a plain
`F.linear` with that matrix rather than a second `nn.Linear` sharing it, so
the state dict holds each tensor once and saves to safetensors as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ape_arena.ml.fields import ArchConfig, ConfigError, flag, integer, number

# Bounds a config.json must respect. They keep a hostile config from asking for
# absurd allocations; the task's max_params is the real limit. A trainer's
# choices of shape are held to the same bounds (the lm kind declares them `like` these).
MAX_VOCAB = 1 << 17
MAX_LAYERS = 256
MAX_HEADS = 256
MAX_EMBD = 1 << 15
MAX_BLOCK = 1 << 16


@dataclass(frozen=True)
class GPTConfig(ArchConfig):
    """Shape of a GPT. `vocab_size` is 256 for byte-level language modelling.

    The four shape fields have no default: a config.json names them, and a
    trainer's defaults are its kind's (the lm kind's `LMTrainParams`).
    """

    ARCH: ClassVar[str] = "gpt"

    n_layer: int = integer(1, MAX_LAYERS)
    n_head: int = integer(1, MAX_HEADS)
    n_embd: int = integer(1, MAX_EMBD)
    block_size: int = integer(1, MAX_BLOCK)
    vocab_size: int = integer(2, MAX_VOCAB, 256)
    bias: bool = flag(False)
    dropout: float = number(0.0, 0.9, 0.0)

    def check(self) -> None:
        """Heads split the width evenly."""
        if self.n_embd % self.n_head:
            raise ConfigError(
                f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})"
            )

    def num_params(self) -> int:
        """Parameter count, computed from the shape alone (nothing is allocated).

        Per block: LayerNorms 2d (+2d biases), attention 4d^2 (+4d), MLP 8d^2 (+5d).
        """
        d = self.n_embd
        per_block = 12 * d * d + 2 * d + (11 * d if self.bias else 0)
        final_norm = d + (d if self.bias else 0)
        embeddings = self.vocab_size * d + self.block_size * d
        return embeddings + self.n_layer * per_block + final_norm

    def build(self) -> GPT:
        """A freshly initialised model of this shape (uses torch's global RNG)."""
        return GPT(self)


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention through `F.scaled_dot_product_attention`."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head = config.n_head
        self.dropout = config.dropout
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.proj.residual_projection = True  # type: ignore[assignment]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        # (B, T, 3C) -> three (B, H, T, C/H) tensors.
        q, k, v = (
            part.view(batch, length, self.n_head, width // self.n_head).transpose(1, 2)
            for part in self.qkv(x).split(width, dim=2)
        )
        dropout = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(batch, length, width))


class MLP(nn.Module):
    """The position-wise feed-forward layer: d -> 4d -> GELU -> d."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.up = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.down = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.down.residual_projection = True  # type: ignore[assignment]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.gelu(self.up(x)))


class Block(nn.Module):
    """One pre-LN transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_attn = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_mlp = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(self.ln_attn(x)))
        return x + self.drop(self.mlp(self.ln_mlp(x)))


class GPT(nn.Module):
    """Byte-level GPT. `forward(idx)` maps (B, T) token ids to (B, T, vocab) logits."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_out = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GPT-2 initialisation: N(0, 0.02) weights, zero biases, unit LayerNorms,
        and residual output projections scaled down by sqrt(2 x n_layer) so the
        residual stream's variance does not grow with depth."""
        residual_std = 0.02 / math.sqrt(2 * self.config.n_layer)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                std = residual_std if getattr(module, "residual_projection", False) else 0.02
                nn.init.normal_(module.weight, mean=0.0, std=std)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def num_params(self) -> int:
        """Parameters actually held (the tied output projection counted once)."""
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        length = idx.shape[1]
        if length > self.config.block_size:
            raise ValueError(
                f"sequence of {length} tokens exceeds block_size {self.config.block_size}"
            )
        positions = torch.arange(length, device=idx.device)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(positions))
        for block in self.blocks:
            x = block(x)
        # Tied output projection: logits = ln(x) @ tok_emb^T.
        return F.linear(self.ln_out(x), self.tok_emb.weight)
