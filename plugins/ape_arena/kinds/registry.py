"""Finding task kinds: installed packages register them under the entry-point group
`ape_arena.kinds`, e.g. in pyproject.toml::

    [project.entry-points."ape_arena.kinds"]
    lm = "ape_arena.kinds.lm:LMKind"

A third-party kind is a `TaskKind` subclass registered the same way.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from ape_arena.kinds.base import KindError, TaskKind, UnknownKindError

GROUP = "ape_arena.kinds"


def _entry_points() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=GROUP):
        # The same distribution seen twice (e.g. on two path entries) is harmless;
        # two different targets for one name are not.
        other = found.get(point.name)
        if other is not None and other.value != point.value:
            raise KindError(
                f"task kind {point.name!r} is registered twice ({other.value} and "
                f"{point.value}); uninstall one of the packages"
            )
        found[point.name] = point
    return found


def kind_names() -> list[str]:
    """Names of the installed task kinds, sorted."""
    return sorted(_entry_points())


@cache
def get_kind(name: str) -> TaskKind:
    """The task kind called `name` (one shared instance per name).

    Raises:
        UnknownKindError: no installed kind has that name (the message lists them).
        KindError: the entry point does not load, or is not a `TaskKind`.
    """
    points = _entry_points()
    point = points.get(name)
    if point is None:
        known = ", ".join(sorted(points)) or "none (is ape-arena installed?)"
        raise UnknownKindError(f"unknown task kind {name!r}; known kinds: {known}")
    try:
        target = point.load()
    except Exception as error:  # a broken third-party package
        raise KindError(f"task kind {name!r} ({point.value}) failed to load: {error}") from error
    if not (isinstance(target, type) and issubclass(target, TaskKind)):
        raise KindError(f"task kind {name!r} ({point.value}) is not a TaskKind subclass")
    if target.name != name:
        raise KindError(
            f"task kind {name!r} ({point.value}) calls itself {target.name!r}; "
            "the entry point and the class must agree"
        )
    return target()
