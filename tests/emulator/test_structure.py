"""The emulator's own structure: no import cycle between its modules, no function over
cyclomatic complexity 15, and no import tucked inside a function."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "zoho_crm_emulator"


def module_imports() -> dict[str, set[str]]:
    """Each module's module-level imports of sibling modules (TYPE_CHECKING blocks aside)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        deps: set[str] = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE.name):
                parts = (node.module or "").split(".")
                deps |= {a.name for a in node.names} if len(parts) == 1 else {parts[1]}
        graph[path.stem] = deps
    return graph


def test_no_import_cycle():
    graph = module_imports()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, f"import cycle: {' -> '.join([*path, name])}"
        for dep in graph.get(name, ()):
            visit(dep, [*path, name])

    for name in graph:
        visit(name, [])


def test_no_import_inside_a_function():
    lazy = []
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        lazy.append(f"{path.name}:{node.name}")
    # __init__'s __getattr__ imports EmulatorProcess lazily, so that importing the package
    # does not load subprocess machinery; it breaks no cycle.
    assert lazy == ["__init__.py:__getattr__"]


def test_every_function_under_complexity_15():
    ruff = Path(sys.executable).with_name("ruff")
    command = [str(ruff) if ruff.exists() else "ruff", "check", "--no-cache", "--select", "C901"]
    command += ["--config", "lint.mccabe.max-complexity=15", str(PACKAGE)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
