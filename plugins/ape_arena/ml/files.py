"""Atomic file writes for the ML code (see `ape_arena.files`)."""

from ape_arena.files import atomic_path, write_bytes_atomically

__all__ = ["atomic_path", "write_bytes_atomically"]
