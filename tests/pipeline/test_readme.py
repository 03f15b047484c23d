"""The README's settings tables are what the plugins' --about says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_settings_tables_match_about() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "about_tables.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_readme_shows_the_test_command() -> None:
    assert "make test" in (ROOT / "README.md").read_text()
