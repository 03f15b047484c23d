"""The package layout's rules: the API layer knows no Singer, the target knows no tap."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# package -> top-level modules it must never import
FORBIDDEN = {
    "zoho_crm_api": {"singer_sdk", "click", "tap_zoho_territories", "target_zoho_territories"},
    "zoho_crm_singer": {"tap_zoho_territories", "target_zoho_territories"},
    "target_zoho_territories": {"tap_zoho_territories"},
    "tap_zoho_territories": {"target_zoho_territories"},
    "zoho_crm_emulator": {"singer_sdk", "tap_zoho_territories", "target_zoho_territories"},
}


def imported_packages(path: Path) -> set[str]:
    """Top-level names of every module a file imports (at any depth of the file)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_the_layout_allows(package: str) -> None:
    files = sorted((ROOT / package).glob("*.py"))
    assert files
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in files
    }
    assert {name: bad for name, bad in wrong.items() if bad} == {}


def test_the_check_sees_imports() -> None:
    # The rule above would pass on a parser that saw nothing.
    assert "singer_sdk" in imported_packages(ROOT / "zoho_crm_singer" / "plugin.py")
    assert "zoho_crm_api" in imported_packages(ROOT / "target_zoho_territories" / "writer.py")
