"""Helpers for the target tests: Singer input, running the real console script, the org.

No tests here; the test_target_* modules import these.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.secrets_check import SECRETS, check_run, read_text
from tests.secrets_check import assert_no_secrets as _assert_no_secrets
from zoho_crm_emulator.process import EmulatorProcess

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
# Every target run refreshes a token once; Zoho's 10 per 10 minutes would throttle a suite.
MANY_REFRESHES = ("--refresh-limit", "10000")
GENERATED = ("--org", "generated", "--territories", "30", "--users", "300", "--groups", "5")
WRITES = (
    "PUT /users/{id}/territories",
    "DELETE /users/{id}/territories",
    "PUT /settings/territories/{id}/users",
    "DELETE /settings/territories/{id}/users",
)

Pair = tuple[str, str]


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


def clean_env() -> dict[str, str]:
    """The environment without settings a developer may have exported; logs at DEBUG."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TAP_ZOHO", "TARGET_ZOHO", "MELTANO_"))
    }
    env["LOGLEVEL"] = "DEBUG"  # the secrets check sees the most a run can say
    return env


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


class Org:
    """Reads and resets one emulator's org and call counts."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.start = self.state()

    def state(self) -> dict[str, Any]:
        """The emulator's state dump."""
        return self.emulator.state()

    def reset(self) -> None:
        """The org as it was at start, and zero counts."""
        self.emulator.reset_org()
        self.emulator.reset_stats()

    def config(self, **overrides: Any) -> dict[str, Any]:
        """Target settings for this emulator."""
        return self.emulator.config_for_tap(**overrides)

    def assignments(self) -> set[Pair]:
        """`(user_id, territory_id)` pairs as the org holds them now."""
        return {(a["user_id"], a["territory_id"]) for a in self.state()["assignments"]}

    def calls(self) -> dict[str, int]:
        """API calls per endpoint since the last reset (the token endpoint excluded)."""
        requests = self.emulator.stats()["requests"]
        return {k: n for k, n in requests.items() if not k.startswith("POST /oauth")}

    def writes(self) -> dict[str, int]:
        """Write calls per endpoint."""
        return {k: n for k, n in self.calls().items() if k in WRITES}

    @property
    def me(self) -> str:
        """The user who owns the token (Zoho refuses to change their own territories)."""
        return str(self.start["current_user_id"])

    @property
    def root(self) -> str:
        """The organisation territory."""
        return str(self.start["root_territory_id"])

    def active_users(self) -> list[str]:
        """Active users other than the token's user, in id order."""
        return sorted(
            u["id"] for u in self.start["users"] if u["status"] == "active" and u["id"] != self.me
        )

    def users_with(self, status: str) -> list[str]:
        """Users with a status (active, inactive, deleted)."""
        return sorted(u["id"] for u in self.start["users"] if u["status"] == status)

    def territories(self) -> list[str]:
        """Territories other than the organisation territory, in id order."""
        return sorted(t["id"] for t in self.start["territories"] if t["id"] != self.root)

    def manager_of(self, territory: str) -> str | None:
        """The manager of a territory."""
        for row in self.start["territories"]:
            if row["id"] == territory:
                return (row.get("manager") or {}).get("id")
        return None

    def managed(self) -> list[Pair]:
        """(manager, territory) pairs the org holds at start, root excluded."""
        held = {(a["user_id"], a["territory_id"]) for a in self.start["assignments"]}
        out = []
        for row in self.start["territories"]:
            manager = (row.get("manager") or {}).get("id")
            if manager and row["id"] != self.root and (manager, row["id"]) in held:
                out.append((manager, row["id"]))
        return sorted(out)

    def not_assigned(self, territory: str, users: Iterable[str]) -> list[str]:
        """Users (of `users`) not in `territory` at start."""
        held = {(a["user_id"], a["territory_id"]) for a in self.start["assignments"]}
        return [u for u in users if (u, territory) not in held]


def emulator_org(*args: str) -> Iterator[Org]:
    """Start an emulator and yield its Org (for module-scoped fixtures)."""
    with EmulatorProcess(*args, *MANY_REFRESHES) as emulator:
        yield Org(emulator)


@pytest.fixture(scope="module")
def generated_org() -> Iterator[Org]:
    """A generated org (30 territories, 300 users) for one test module."""
    yield from emulator_org(*GENERATED, "--seed", "3")


@pytest.fixture
def org(generated_org: Org) -> Org:
    """The generated org, reset before each test."""
    generated_org.reset()
    return generated_org


def assert_no_secrets(*texts: str) -> None:
    """None of the sample credentials, and nothing shaped like an access token, appears."""
    _assert_no_secrets(*texts)


__all__ = ["SECRETS", "assert_no_secrets", "check_target_run", "generated_org", "org"]
