"""A multilayer perceptron classifier: Linear -> GELU -> Dropout, repeated, then a linear head."""

from __future__ import annotations

from dataclasses import dataclass, fields
from itertools import pairwise
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ape_arena.ml.fields import ConfigError, check_keys, get_float, get_int, get_int_list

MAX_DIM = 1 << 16
MAX_HIDDEN_LAYERS = 64
MAX_CLASSES = 1 << 16


@dataclass(frozen=True)
class MLPConfig:
    """Shape of an MLP classifier: `in_dim` features in, `n_classes` logits out."""

    ARCH: ClassVar[str] = "mlp"

    in_dim: int
    n_classes: int
    hidden: tuple[int, ...] = (64,)
    dropout: float = 0.0

    def __post_init__(self) -> None:
        # Accept a list for `hidden` and normalise it, then apply the JSON bounds.
        object.__setattr__(self, "hidden", tuple(self.hidden))
        MLPConfig._check(
            {
                "in_dim": self.in_dim,
                "n_classes": self.n_classes,
                "hidden": list(self.hidden),
                "dropout": self.dropout,
            }
        )

    @staticmethod
    def _check(data: dict[str, Any]) -> dict[str, Any]:
        return {
            "in_dim": get_int(data, "in_dim", None, 1, MAX_DIM),
            "n_classes": get_int(data, "n_classes", None, 2, MAX_CLASSES),
            "hidden": get_int_list(data, "hidden", (64,), 1, MAX_DIM, MAX_HIDDEN_LAYERS),
            "dropout": get_float(data, "dropout", 0.0, 0.0, 0.9),
        }

    @classmethod
    def from_dict(cls, data: Any) -> MLPConfig:
        """Read a config dict (as in config.json); raise `ConfigError` on anything off."""
        known = {"arch", *(field.name for field in fields(cls))}
        data = check_keys(data, known, "mlp config")
        if data.get("arch", cls.ARCH) != cls.ARCH:
            raise ConfigError(f"arch must be {cls.ARCH!r}, not {data.get('arch')!r}")
        return cls(**cls._check(dict(data)))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, with its "arch" tag."""
        return {
            "arch": self.ARCH,
            "in_dim": self.in_dim,
            "n_classes": self.n_classes,
            "hidden": list(self.hidden),
            "dropout": self.dropout,
        }

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
