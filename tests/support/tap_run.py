"""Running the real console scripts in tests and reading their Singer output."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.env import clean_env
from tests.support.secrets_check import SECRETS, check_run

BIN = Path(sys.executable).parent

__all__ = [
    "SECRETS",
    "TapRun",
    "clean_env",
    "discover",
    "run_ok",
    "run_tap",
    "select",
    "write_json",
]


@dataclass
class TapRun:
    """What one tap run printed."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def records(self) -> dict[str, list[dict[str, Any]]]:
        """Records per stream."""
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in self.messages:
            if message["type"] == "RECORD":
                out[message["stream"]].append(message["record"])
        return out

    @property
    def states(self) -> list[dict[str, Any]]:
        """Every STATE value, in order."""
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def schemas(self) -> dict[str, dict[str, Any]]:
        """The SCHEMA message per stream (the last one)."""
        return {m["stream"]: m for m in self.messages if m["type"] == "SCHEMA"}


def write_json(data: Any) -> str:
    """Write `data` to a temporary JSON file and return its path."""
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)  # noqa: SIM115
    with handle:
        json.dump(data, handle)
    return handle.name


def run_tap(
    config: dict[str, Any],
    *args: str,
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> TapRun:
    """Run `tap-zoho-territories` with a config (and optional state/catalog) files.

    It logs at DEBUG (unless `env` says otherwise); its stdout (records and STATE) and stderr
    are checked for secrets and for the access tokens the emulator issued.
    """
    command = [str(BIN / "tap-zoho-territories"), "--config", write_json(config), *args]
    if state is not None:
        command += ["--state", write_json(state)]
    if catalog is not None:
        command += ["--catalog", write_json(catalog)]
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(**(env or {})),
        check=False,
    )
    check_run(config, proc.stdout, proc.stderr, where="a tap run's stdout or stderr")
    messages = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith('{"type"')]
    return TapRun(proc.returncode, proc.stdout, proc.stderr, messages)


def run_ok(config: dict[str, Any], *args: str, **options: Any) -> TapRun:
    """`run_tap` that must succeed (the end of stderr is shown when it does not)."""
    run = run_tap(config, *args, **options)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


# `2026-01-01 10:00:00,000 | LEVEL    | logger | message`: the SDK's console format.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \| (\w+)\s*\| ")
# What a user gets by default (the runs above log at DEBUG otherwise).
INFO = {"LOGLEVEL": "INFO"}


def log_levels(stderr: str) -> Counter[str]:
    """Log lines per level."""
    return Counter(m.group(1) for m in map(LOG_LINE.match, stderr.splitlines()) if m)


def connection_table(run: TapRun) -> dict[str, list[str]]:
    """`--test`'s table by stream: the cells after the stream's name (selected, readable, ...)."""
    lines = run.stderr.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("stream "))
    out = {}
    for line in lines[header + 1 :]:
        if LOG_LINE.match(line):  # the next log line ends the table
            break
        cells = re.split(r"\s{2,}", line.strip())
        out[cells[0]] = cells[1:]
    return out


def discover(config: dict[str, Any]) -> dict[str, Any]:
    """The tap's catalog."""
    run = run_tap(config, "--discover")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def select(catalog: dict[str, Any], *streams: str) -> dict[str, Any]:
    """Mark exactly `streams` selected in a catalog."""
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog
