"""The artifacts package stands alone: no Ape, no chain code, no torch, no pickle."""

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import ape_arena.artifacts

PACKAGE = Path(ape_arena.artifacts.__file__).parent
FORBIDDEN = ("ape", "ape_arena.chain", "ape_arena.exceptions", "ape_arena._cli", "torch", "pickle")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_forbidden_imports():
    sources = sorted(PACKAGE.glob("*.py"))
    assert {path.name for path in sources} >= {
        "__init__.py",
        "errors.py",
        "manifest.py",
        "safety.py",
        "stores.py",
    }
    for path in sources:
        for name in imported_modules(path):
            for forbidden in FORBIDDEN:
                assert name != forbidden and not name.startswith(forbidden + "."), (
                    f"{path.name} imports {name}"
                )


def test_importable_and_usable_without_ape_or_torch(tmp_path):
    script = textwrap.dedent(
        f"""
        import json, struct, sys, types
        from pathlib import Path

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("ape", "torch") or name.startswith("ape_arena.chain"):
                    raise ImportError(f"blocked {{name}}")
                return None

        sys.meta_path.insert(0, Block())
        # Skip ape_arena/__init__.py, which registers the Ape plugin.
        package = types.ModuleType("ape_arena")
        package.__path__ = [{str(PACKAGE.parent)!r}]
        sys.modules["ape_arena"] = package

        from ape_arena.artifacts import LocalStore, check_model_dir

        root = Path({str(tmp_path)!r})
        model = root / "model"
        model.mkdir()
        header = json.dumps({{"w": {{"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}}})
        (model / "model.safetensors").write_bytes(
            struct.pack("<Q", len(header)) + header.encode() + bytes(8)
        )
        (model / "config.json").write_text("{{}}")
        store = LocalStore(root / "store")
        artifact_hash, uri = store.put(model)
        fetched = store.fetch(uri, artifact_hash, root / "downloads", 1_000)
        print(check_model_dir(fetched, 1_000).weights.num_params)
        print(sorted(name for name in sys.modules if name.split(".")[0] in ("ape", "torch")))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["2", "[]"]
