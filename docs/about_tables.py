"""Refresh the README's settings tables from the plugins' `--about --format=markdown`.

Usage: python docs/about_tables.py [--check]
With --check, exit 1 (and say which) when the README is out of date instead of rewriting it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PLUGINS = ("tap-zoho-territories", "target-zoho-territories")


def settings_table(plugin: str) -> str:
    """The `## Settings` table that `<plugin> --about --format=markdown` prints."""
    about = subprocess.run(
        [str(Path(sys.executable).parent / plugin), "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    table = about.split("## Settings", 1)[1].split("A full list of supported settings", 1)[0]
    return table.strip()


def refreshed(text: str) -> str:
    """README text with each plugin's block between its markers replaced."""
    for plugin in PLUGINS:
        start, end = f"<!-- {plugin} settings: start -->", f"<!-- {plugin} settings: end -->"
        block = f"{start}\n{settings_table(plugin)}\n{end}"
        pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
        if not pattern.search(text):
            msg = f"README.md has no '{start}' ... '{end}' markers"
            raise SystemExit(msg)
        text = pattern.sub(lambda _, block=block: block, text)
    return text


def main() -> None:
    """Rewrite the README's tables, or with --check only compare them."""
    current = README.read_text()
    new = refreshed(current)
    if "--check" in sys.argv:
        if new != current:
            print("README.md settings tables differ from --about; run: make docs")
            raise SystemExit(1)
        return
    README.write_text(new)


if __name__ == "__main__":
    main()
