"""The README's Quick start, run as written in a fresh copy of the repository.

The first bash block under "## Quick start" is run with bash, line by line as a user pastes it
(stopping at the first failure), in a copy of the repository's files with no virtual environment
active: it installs the project into a new venv, starts the emulator on port 8642, runs the tap
into a file and into target-jsonl, and writes assignments back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.env import clean_env
from tests.support.secrets_check import assert_no_secrets

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PORT = 8642


def quick_start_block() -> str:
    """The first ```bash block of the README's Quick start section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "the Quick start has no bash block"
    return match.group(1)


def repository_copy(destination: Path) -> Path:
    """The repository's files (tracked, and new ones git does not ignore), without venvs."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_block_is_what_the_test_expects() -> None:
    block = quick_start_block()
    # The commands this test checks the effects of; if the README changes them, so must this.
    assert "pip install -e ." in block
    assert "zoho-crm-emulator --org sample &" in block
    assert "examples/assignments.singer" in block
    assert "kill %1" in block


def test_quick_start_runs_as_written(tmp_path: Path) -> None:
    if not port_is_free(SAMPLE_PORT):
        pytest.fail(f"port {SAMPLE_PORT} is in use; the Quick start's emulator needs it")
    work = repository_copy(tmp_path / "repo")
    env = clean_env()
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(name, None)
    # The python3 a user has: the interpreter running the tests, not this venv's activation.
    base = Path(getattr(sys, "_base_executable", sys.executable)).resolve().parent
    path_dirs = [d for d in env["PATH"].split(os.pathsep) if ".venv" not in d]
    env["PATH"] = os.pathsep.join([str(base), *path_dirs])
    done = subprocess.run(
        ["bash", "-e", "-c", quick_start_block()],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert_no_secrets(done.stdout, done.stderr, where="the Quick start's output")

    singer = (work / "output" / "territory_data.singer").read_text().splitlines()
    streams = {json.loads(line)["stream"] for line in singer if '"type":"RECORD"' in line}
    assert {"territories", "territory_users", "users", "user_groups"} <= streams
    written = sorted(path.name.split("-")[0] for path in (work / "output").glob("*.jsonl"))
    assert "territories" in written
    assert "users" in written
    # Dry run, apply, remove: each target run's summary says what happened.
    assert "planned 2" in done.stderr
    assert "added 2" in done.stderr
    assert "removed 1" in done.stderr
    assert port_is_free(SAMPLE_PORT), "the emulator was left running"
