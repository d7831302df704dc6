"""Choosing the torch device."""

from __future__ import annotations

import torch


def pick_device(device: str | torch.device | None = "auto") -> torch.device:
    """`"auto"` (or None) picks CUDA when available, else CPU; anything else is parsed as is.

    Raises:
        ValueError: the name is not a torch device, or CUDA was asked for and is missing.
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        parsed = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"unknown device {device!r}: {error}") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but this machine has no usable CUDA GPU")
    return parsed
