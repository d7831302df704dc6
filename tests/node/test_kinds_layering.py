"""Layering: `ml` and `kinds` stay usable without Ape or a chain (static import scan)."""

import ast
import subprocess
import sys

import pytest

from support.paths import ROOT

PACKAGES = ("ml", "kinds")
FORBIDDEN = ("ape", "ape_arena.chain", "ape_arena._cli", "ape_arena.node", "boa")
FILES = sorted(
    path
    for package in PACKAGES
    for path in (ROOT / "plugins" / "ape_arena" / package).rglob("*.py")
)


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_ape_or_chain_imports(path):
    bad = [
        name
        for name in _imports(path)
        if any(name == root or name.startswith(root + ".") for root in FORBIDDEN)
    ]
    assert not bad, f"{path.name} imports {bad}"


def test_ml_does_not_import_kinds():
    for path in FILES:
        if path.parent.name == "ml":
            assert not any(name.startswith("ape_arena.kinds") for name in _imports(path)), path


def test_scores_and_registry_do_not_need_torch():
    """The chain side converts and compares scores without importing torch."""
    code = (
        "import sys\n"
        "from ape_arena.kinds import registry, scores\n"
        "from ape_arena.kinds.base import ScoreResult\n"
        "assert scores.to_score(ScoreResult.ok(1.0)) == 1_000_000\n"
        "assert 'lm' in registry.kind_names()\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
