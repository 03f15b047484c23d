"""Running the target in tests: Singer input in, results, STATE and stderr out.

Two ways, one result type (`TargetRun`):

- `run_target`: the real console script in a process of its own (for what is a property of the
  process: exit codes seen by a shell, signals, what reaches stderr, tracebacks);
- `run_target_in_process`: `TargetZohoTerritories` invoked in this process through the same CLI
  command (`--config` file, `--input` file), against the emulator over loopback. About 50 times
  faster than a process start, so the target tier runs in `make test-fast`.

Both check what the run printed and wrote for secrets.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from target_zoho_territories.target import TargetZohoTerritories
from tests.support.env import DEBUG_ENV, clean_env, fresh_cache_home
from tests.support.org import Pair
from tests.support.secrets_check import SECRETS, check_run, read_text
from tests.support.secrets_check import assert_no_secrets as _assert_no_secrets

BIN = Path(sys.executable).parent
TARGET = str(BIN / "target-zoho-territories")
# Fixed inputs, one `.singer` file a case, written for the sample org (`--org sample`).
INPUT_CASES = Path(__file__).resolve().parents[1] / "data" / "input"
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
    env: dict[str, str] | None = None,
) -> TargetRun:
    """Run the console script with `messages` on stdin and a results file.

    Its stdout (STATE), stderr (logged at DEBUG unless `env` says otherwise) and results file
    are checked for secrets and for the access tokens the emulator issued.
    """
    config = {"results_path": str(tmp_path / "results.jsonl"), **config}
    path = write_config(config, tmp_path)
    done = subprocess.run(
        [TARGET, "--config", str(path)],
        input=to_lines(messages),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(**(env or {})),
        check=False,
    )
    check_target_run(config, done.stdout, done.stderr)
    return TargetRun(done.returncode, done.stdout, done.stderr, read_results(config))


def write_input(messages: Iterable[dict[str, Any] | str], directory: Path) -> Path:
    """Write Singer input to a new `.singer` file in `directory`."""
    path = Path(tempfile.mkstemp(suffix=".singer", dir=directory)[1])
    path.write_text(to_lines(messages))
    return path


@contextlib.contextmanager
def _process_globals_restored() -> Iterator[None]:
    """Undo what a plugin run changes in this process, and give the run an empty token cache.

    The SDK installs SIGINT/SIGTERM handlers when a plugin is made, and its CLI command sets
    `sys.excepthook` and routes warnings to logging; the root logger's level is set per run.
    """
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    hook = sys.excepthook
    root = logging.getLogger()
    level = root.level
    cache = os.environ.get("XDG_CACHE_HOME")
    # A token cache of its own, as each console-script run gets (tests/support/env.py).
    os.environ["XDG_CACHE_HOME"] = fresh_cache_home()
    try:
        yield
    finally:
        if cache is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = cache
        for number, handler in handlers.items():
            signal.signal(number, handler)
        sys.excepthook = hook
        logging.captureWarnings(capture=False)
        root.setLevel(level)


def run_target_in_process(
    config: dict[str, Any],
    messages: Iterable[dict[str, Any] | str] | Path,
    tmp_path: Path,
) -> TargetRun:
    """Invoke the target's CLI command here, with a config file and an input file.

    `messages` is Singer input, or the path of a `.singer` file. Logs (at DEBUG, as the
    console-script runs log) and stderr end up in `TargetRun.stderr`, STATE in `stdout`; the
    exit code is the one the command exits with (0 when it returns).
    """
    config = {"results_path": str(tmp_path / "results.jsonl"), **config}
    source = messages if isinstance(messages, Path) else write_input(messages, tmp_path)
    args = ["--config", str(write_config(config, tmp_path)), "--input", str(source)]
    stdout, stderr = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(stderr)
    handler.setLevel(DEBUG_ENV["LOGLEVEL"])
    root = logging.getLogger()
    returncode = 0
    with _process_globals_restored():
        root.setLevel(DEBUG_ENV["LOGLEVEL"])
        root.addHandler(handler)
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                command = TargetZohoTerritories.get_singer_command()
                # Not standalone, click returns the code of a `ctx.exit(code)` (config errors).
                exited = command.main(args, prog_name=Path(TARGET).name, standalone_mode=False)
                returncode = exited if isinstance(exited, int) else 0
        except SystemExit as exc:
            returncode = exc.code if isinstance(exc.code, int) else 1
        finally:
            root.removeHandler(handler)
    check_target_run(config, stdout.getvalue(), stderr.getvalue())
    return TargetRun(returncode, stdout.getvalue(), stderr.getvalue(), read_results(config))


def read_results_tolerant(path: Path) -> list[dict[str, Any]]:
    """Result lines of a killed run: each complete line parses; only the last may be cut."""
    if not path.is_file():
        return []
    lines = path.read_text().split("\n")
    complete, tail = lines[:-1], lines[-1]
    if tail:  # a line cut by the kill
        try:
            json.loads(tail)
        except ValueError:
            pass
        else:
            msg = f"the last line of {path} is complete but has no newline: {tail!r}"
            raise AssertionError(msg)
    return [json.loads(line) for line in complete if line]


@dataclass
class TargetProcess:
    """A running target console script; its stdout and stderr go to files."""

    proc: subprocess.Popen[bytes]
    config: dict[str, Any]
    out: Path
    err: Path

    def states(self) -> list[Any]:
        """STATE values printed so far."""
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]

    def results(self) -> list[dict[str, Any]]:
        """The results file's complete lines so far."""
        return read_results_tolerant(Path(self.config["results_path"]))

    @property
    def stderr(self) -> str:
        """What it printed on stderr so far."""
        return self.err.read_text()

    def check_secrets(self) -> None:
        """No secret in its STATE, logs or results file."""
        check_target_run(self.config, self.out.read_text(), self.stderr)


def start_target(
    config: dict[str, Any],
    messages: Iterable[dict[str, Any] | str],
    tmp_path: Path,
    name: str = "run",
    *,
    keep_open: bool = False,
) -> TargetProcess:
    """Start the console script on `messages`; with `keep_open` stdin stays open after them.

    Output goes to files (DEBUG logs must never fill a pipe and block the process).
    """
    config = {"results_path": str(tmp_path / f"{name}.jsonl"), **config}
    source = tmp_path / f"{name}.singer"
    source.write_text(to_lines(messages))
    out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    command = [TARGET, "--config", str(write_config(config, tmp_path))]
    with source.open("rb") as stdin, out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if keep_open else stdin,
            stdout=stdout,
            stderr=stderr,
            env=clean_env(),
        )
    if keep_open:
        assert proc.stdin is not None
        proc.stdin.write(source.read_bytes())
        proc.stdin.flush()
    return TargetProcess(proc, config, out, err)


def wait_until(predicate: Callable[[], bool], proc: subprocess.Popen[bytes], what: str) -> bool:
    """Poll until `predicate` holds (True) or the process has exited (False)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc.poll() is not None:
            return predicate()
        time.sleep(0.005)
    msg = f"the target neither got to {what} nor exited within 120 s"
    raise AssertionError(msg)


def check_target_run(config: dict[str, Any], stdout: str, stderr: str) -> None:
    """No secret in a target run's STATE, logs or results file."""
    results = read_text(config.get("results_path"))
    check_run(config, stdout, stderr, results, where="a target run's stdout, stderr or results")


def read_results(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The results file's lines (none without a results_path)."""
    if not config.get("results_path"):
        return []
    path = Path(config["results_path"])
    if not path.is_file():  # none, or a device such as /dev/full
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def assert_no_secrets(*texts: str) -> None:
    """None of the sample credentials, and nothing shaped like an access token, appears."""
    _assert_no_secrets(*texts)


__all__ = ["SECRETS", "assert_no_secrets", "check_target_run", "run_target_in_process"]
