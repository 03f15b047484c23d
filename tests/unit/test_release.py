"""Release hygiene: one version everywhere, a changelog entry for it, typed packages."""

from __future__ import annotations

import os
import re
from importlib.metadata import version
from pathlib import Path

import yaml

import zoho_crm_emulator
from tap_zoho_territories.tap import TapZohoTerritories
from target_zoho_territories.target import TargetZohoTerritories
from tests.support.distribution import DISTRIBUTION, ROOT, pyproject_version, wheel_packages

PACKAGES = wheel_packages()


def test_one_version_source() -> None:
    # The installed metadata is pyproject's (make install reinstalls when pyproject changes).
    assert version(DISTRIBUTION) == pyproject_version()
    assert zoho_crm_emulator.__version__ == pyproject_version()
    assert TapZohoTerritories.plugin_version == pyproject_version()
    assert TargetZohoTerritories.plugin_version == pyproject_version()
    # No package spells a version of its own.
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            assert not re.search(r"^__version__ = \"", path.read_text(), re.MULTILINE), path


def test_the_changelog_has_unreleased_and_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.MULTILINE)
    assert headings[0] == ("Unreleased", "")
    newest, date = headings[1]
    assert newest == pyproject_version()
    assert date, "a release heading carries its date: ## [X.Y.Z] - YYYY-MM-DD"


def test_every_package_is_typed() -> None:
    for package in PACKAGES:
        assert (ROOT / package / "py.typed").is_file(), package


def test_the_hub_files_install_the_distribution() -> None:
    for path in sorted((ROOT / "hub").glob("*/*.yml")):
        plugin = yaml.safe_load(path.read_text())
        assert plugin["pip_url"] == DISTRIBUTION, path


def test_every_owner_placeholder_is_listed_in_the_hub_readme() -> None:
    skip = {".git", "dist", "build", "output", "tests", "__pycache__"}
    suffixes = {".md", ".yml", ".yaml", ".toml", ".py", ".txt", ".cfg"}
    holders = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip and not d.startswith((".venv", ".meltano"))]
        for name in files:
            path = Path(folder, name)
            text = path.read_text(errors="replace") if path.suffix in suffixes else ""
            if re.search(r"OWNER/|: OWNER$", text, re.MULTILINE):  # a URL or a YAML value
                holders.append(path.relative_to(ROOT).as_posix())
    assert holders, "no OWNER placeholder left: remove this test and hub/README.md's table"
    listed = (ROOT / "hub" / "README.md").read_text()
    assert [p for p in holders if p != "hub/README.md" and f"`{p}`" not in listed] == []
