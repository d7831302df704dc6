"""A multilayer perceptron classifier: Linear -> GELU -> Dropout, repeated, then a linear head."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ape_arena.ml.fields import ArchConfig, integer, integers, number

MAX_DIM = 1 << 16
MAX_HIDDEN_LAYERS = 64
MAX_CLASSES = 1 << 16


@dataclass(frozen=True)
class MLPConfig(ArchConfig):
    """Shape of an MLP classifier: `in_dim` features in, `n_classes` logits out."""

    ARCH: ClassVar[str] = "mlp"

    in_dim: int = integer(1, MAX_DIM)
    n_classes: int = integer(2, MAX_CLASSES)
    hidden: tuple[int, ...] = integers(1, MAX_DIM, MAX_HIDDEN_LAYERS, (64,))
    """The hidden layers' widths (a list is accepted and kept as a tuple)."""
    dropout: float = number(0.0, 0.9, 0.0)

    def num_params(self) -> int:
        """Parameter count (weights and biases of each linear layer), from the shape alone."""
        widths = [self.in_dim, *self.hidden, self.n_classes]
        return sum(a * b + b for a, b in pairwise(widths))

    def build(self) -> MLPClassifier:
        """A freshly initialised model of this shape (uses torch's global RNG)."""
        return MLPClassifier(self)


class MLPClassifier(nn.Module):
    """`forward(x)` maps (B, in_dim) float features to (B, n_classes) logits."""

    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        self.config = config
        widths = [config.in_dim, *config.hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in pairwise(widths))
        self.head = nn.Linear(widths[-1], config.n_classes)
        self.drop = nn.Dropout(config.dropout)

    def num_params(self) -> int:
        """Parameters actually held."""
        return sum(p.numel() for p in self.parameters())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.hidden:
            x = self.drop(F.gelu(layer(x)))
        return self.head(x)
