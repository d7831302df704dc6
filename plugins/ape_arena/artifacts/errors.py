"""The one error the artifacts package raises on purpose.

`ape_arena.exceptions.ArenaError` subclasses Ape's `ApeException`, so importing
it imports `ape`. This package must stay importable without Ape (the trainer
and scorer use it in plain Python processes), so `ArtifactError` derives from
`Exception` directly. The CLI catches it next to `ArenaError`.
"""


class ArtifactError(Exception):
    """An artifact, a store URL or a weights file is unusable.

    The message is one sentence: what is wrong and what to do about it.
    """
