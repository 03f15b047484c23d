"""What pyproject.toml says about the distribution: its name, version and wheel packages."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTION = "tap-zoho-territories"


def _pyproject() -> str:
    return (ROOT / "pyproject.toml").read_text()


def pyproject_version() -> str:
    """`[project] version` (the one version of the distribution and its programs)."""
    project = _pyproject().split("[project]", 1)[1].split("\n[", 1)[0]
    found = re.search(r'^version = "([^"]+)"$', project, re.MULTILINE)
    assert found, "pyproject.toml [project] has no static version"
    return found.group(1)


def wheel_packages() -> list[str]:
    """`[tool.hatch.build.targets.wheel] packages`: the top-level packages of the wheel."""
    section = _pyproject().split("[tool.hatch.build.targets.wheel]", 1)[1].split("\n[", 1)[0]
    found = re.search(r"^packages = \[([^\]]*)\]", section, re.MULTILINE)
    assert found, "pyproject.toml lists no wheel packages"
    return re.findall(r'"([^"]+)"', found.group(1))
