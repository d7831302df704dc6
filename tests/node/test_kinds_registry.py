"""Finding task kinds through the `ape_arena.kinds` entry points."""

from importlib.metadata import EntryPoint

import pytest

from ape_arena.kinds import registry
from ape_arena.kinds.base import KindError, TaskKind, UnknownKindError
from ape_arena.kinds.classify import ClassifyKind
from ape_arena.kinds.lm import LMKind


def test_both_builtin_kinds_are_registered():
    assert {"classify", "lm"} <= set(registry.kind_names())
    assert isinstance(registry.get_kind("lm"), LMKind)
    assert isinstance(registry.get_kind("classify"), ClassifyKind)
    assert registry.get_kind("lm") is registry.get_kind("lm")


def test_unknown_kind_lists_the_known_ones():
    with pytest.raises(
        UnknownKindError, match=r"unknown task kind 'vision'; known kinds: .*classify, lm"
    ):
        registry.get_kind("vision")


def _registered(monkeypatch, *points):
    monkeypatch.setattr(registry, "entry_points", lambda group: list(points))
    registry.get_kind.cache_clear()


@pytest.fixture
def fresh_cache():
    registry.get_kind.cache_clear()
    yield
    registry.get_kind.cache_clear()


def test_entry_point_must_be_a_task_kind(monkeypatch, fresh_cache):
    _registered(monkeypatch, EntryPoint("bad", "json:loads", registry.GROUP))
    with pytest.raises(KindError, match="not a TaskKind subclass"):
        registry.get_kind("bad")


def test_entry_point_name_must_match_the_class(monkeypatch, fresh_cache):
    _registered(monkeypatch, EntryPoint("text", "ape_arena.kinds.lm:LMKind", registry.GROUP))
    with pytest.raises(KindError, match="calls itself 'lm'"):
        registry.get_kind("text")


def test_conflicting_registrations_are_refused(monkeypatch, fresh_cache):
    _registered(
        monkeypatch,
        EntryPoint("lm", "ape_arena.kinds.lm:LMKind", registry.GROUP),
        EntryPoint("lm", "elsewhere:LMKind", registry.GROUP),
    )
    with pytest.raises(KindError, match="registered twice"):
        registry.get_kind("lm")


def test_kinds_implement_the_interface():
    for name in ("lm", "classify"):
        kind = registry.get_kind(name)
        assert isinstance(kind, TaskKind)
        assert kind.name == name
        assert kind.validate_params({})["tolerance_bps"] >= 0
