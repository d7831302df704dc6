"""The layering rules of docs/architecture.md, checked on every import statement.

_cli -> node / report -> chain + kinds -> artifacts + ml, with the shared
standard-library modules (units, untrusted, model_rules, files) under all of
them: nothing imports _cli, scripts go through the plugin's layers, and the
chain layer never imports torch; the benchmarks use the plugin, never tests/.
"""

import ast
from pathlib import Path

import pytest

from support.paths import ROOT

PLUGIN = ROOT / "plugins" / "ape_arena"
STDLIB_ONLY = ("units.py", "untrusted.py", "model_rules.py", "files.py")


def imports(path: Path) -> set[str]:
    """Every module an `import` or `from ... import` in the file names (absolute)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def under(names: set[str], root: str) -> set[str]:
    return {name for name in names if name == root or name.startswith(root + ".")}


def python_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def label(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize(
    "path",
    [p for p in python_files(PLUGIN) if "_cli" not in p.parts] + python_files(ROOT / "scripts"),
    ids=label,
)
def test_nothing_but_the_cli_imports_the_cli(path):
    assert not under(imports(path), "ape_arena._cli"), f"{label(path)} imports ape_arena._cli"


@pytest.mark.parametrize("path", python_files(PLUGIN / "chain"), ids=label)
def test_the_chain_layer_never_imports_torch_or_the_node(path):
    names = imports(path)
    assert not under(names, "torch"), f"{label(path)} imports torch"
    assert not under(names, "ape_arena.node"), f"{label(path)} imports the node"
    assert not under(names, "ape_arena.kinds.lm") and not under(names, "ape_arena.ml")


@pytest.mark.parametrize("name", STDLIB_ONLY)
def test_shared_modules_need_only_the_standard_library(name):
    import sys

    names = {n.split(".")[0] for n in imports(PLUGIN / name)}
    outside = {n for n in names if n not in sys.stdlib_module_names and n != "__future__"}
    assert not outside, f"{name} imports {sorted(outside)}"


@pytest.mark.parametrize("path", python_files(PLUGIN / "report"), ids=label)
def test_reports_render_data_and_never_reach_the_chain(path):
    names = imports(path)
    for layer in ("ape", "ape_arena.chain", "ape_arena.node", "torch"):
        assert not under(names, layer), f"{label(path)} imports {layer}"


@pytest.mark.parametrize("path", python_files(ROOT / "benchmarks"), ids=label)
def test_benchmarks_use_the_plugin_never_the_tests(path):
    names = imports(path)
    assert not under(names, "support") and not under(names, "tests"), f"{label(path)} imports tests"
    assert "sys.path" not in path.read_text(), f"{label(path)} edits sys.path"


@pytest.mark.parametrize("path", python_files(PLUGIN / "explorer"), ids=label)
def test_the_explorer_reads_through_the_chain_layer_and_renders_apart(path):
    names = imports(path)
    assert not under(names, "torch") and not under(names, "ape_arena.node"), label(path)
    if path.name == "pages.py":
        for layer in ("ape", "ape_arena.chain"):
            assert not under(names, layer), f"{label(path)} imports {layer}"
