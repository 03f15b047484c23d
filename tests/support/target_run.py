"""Running the real target console script in tests: Singer input in, results and STATE out."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.env import clean_env
from tests.support.org import Pair
from tests.support.secrets_check import SECRETS, check_run, read_text
from tests.support.secrets_check import assert_no_secrets as _assert_no_secrets

BIN = Path(sys.executable).parent
TARGET = str(BIN / "target-zoho-territories")
STREAM = "assignments"
SCHEMA = {
    "type": "SCHEMA",
    "stream": STREAM,
    "schema": {
        "type": "object",
        "properties": {
            "user_id": {"type": "string"},
            "territory_id": {"type": "string"},
            "action": {"type": ["string", "null"]},
        },
    },
    "key_properties": ["user_id", "territory_id"],
}


def record(user: str, territory: str, action: str | None = None, **extra: Any) -> dict[str, Any]:
    """A RECORD message of the assignments stream."""
    body: dict[str, Any] = {"user_id": user, "territory_id": territory, **extra}
    if action is not None:
        body["action"] = action
    return {"type": "RECORD", "stream": STREAM, "record": body}


def records(pairs: Iterable[Pair], action: str | None = None) -> list[dict[str, Any]]:
    """RECORD messages for pairs."""
    return [record(u, t, action) for u, t in pairs]


def state(value: Any) -> dict[str, Any]:
    """A STATE message."""
    return {"type": "STATE", "value": value}


@dataclass
class TargetRun:
    """What one run of target-zoho-territories did."""

    returncode: int
    stdout: str
    stderr: str
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def states(self) -> list[Any]:
        """STATE values printed on stdout, in order."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def outcomes(self) -> Counter[str]:
        """Outcomes of input records (mirror's own lines excluded)."""
        return Counter(r["outcome"] for r in self.results if r["record"] is not None)

    def by_line(self) -> dict[int, dict[str, Any]]:
        """Results of input records by input line number."""
        return {r["line"]: r for r in self.results if r["record"] is not None}

    @property
    def last_error_line(self) -> str:
        """The last line on stderr (the one-line reason of a non-zero exit)."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


def to_lines(messages: Iterable[dict[str, Any] | str]) -> str:
    """Singer input text; strings are written as they are (for blank or broken lines)."""
    return "".join((m if isinstance(m, str) else json.dumps(m)) + "\n" for m in messages)


def write_config(config: dict[str, Any], directory: Path) -> Path:
    """Write a config file."""
    path = Path(tempfile.mkstemp(suffix=".json", dir=directory)[1])
    path.write_text(json.dumps(config))
    return path


def run_target(
    config: dict[str, Any],
    messages: Iterable[dict[str, Any] | str],
    tmp_path: Path,
    *,
    timeout: float = 120,
) -> TargetRun:
    """Run the console script with `messages` on stdin and a results file.

    Its stdout (STATE), stderr (logged at DEBUG) and results file are checked for secrets
    and for the access tokens the emulator issued.
    """
    config = {"results_path": str(tmp_path / "results.jsonl"), **config}
    path = write_config(config, tmp_path)
    done = subprocess.run(
        [TARGET, "--config", str(path)],
        input=to_lines(messages),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
        check=False,
    )
    check_target_run(config, done.stdout, done.stderr)
    return TargetRun(done.returncode, done.stdout, done.stderr, read_results(config))


def check_target_run(config: dict[str, Any], stdout: str, stderr: str) -> None:
    """No secret in a target run's STATE, logs or results file."""
    results = read_text(config.get("results_path"))
    check_run(config, stdout, stderr, results, where="a target run's stdout, stderr or results")


def read_results(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The results file's lines."""
    path = Path(config["results_path"])
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def assert_no_secrets(*texts: str) -> None:
    """None of the sample credentials, and nothing shaped like an access token, appears."""
    _assert_no_secrets(*texts)


__all__ = ["SECRETS", "assert_no_secrets", "check_target_run"]
