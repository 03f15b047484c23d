"""One org's `meltano run`: a subprocess, its output streamed to the step's log, bounded.

No Dagster here either: `run_org` returns an `OrgRun` or raises `MeltanoFailed` with the exit
code and the end of Meltano's output (secrets removed), which the Dagster op turns into a
step failure. `migrate_system_database` runs once per Dagster run, before the orgs: on a new
system database, Meltano processes started together would each try to create its tables.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from zoho_orgs.orgs import (
    PLUGIN_DIRS,
    Fleet,
    Org,
    base_environment,
    meltano_command,
    org_sys_dir,
    run_environment,
    secret_values,
    shared_sys_dir,
)

TAIL_LINES = 40
STOP_GRACE_SECONDS = 30.0


@dataclass(frozen=True)
class OrgRun:
    """A finished, successful run of one org's pipeline."""

    org: str
    state_id: str
    seconds: float
    command: str


class MeltanoFailed(RuntimeError):
    """A Meltano command failed, timed out or was stopped."""

    def __init__(self, message: str, tail: str) -> None:
        super().__init__(message)
        self.tail = tail


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return text


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM Meltano (it cancels the job and lets its plugins stop), then SIGKILL."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def migrate_system_database(fleet: Fleet, environ: Mapping[str, str] = os.environ) -> None:
    """`meltano upgrade database`: create or migrate the system database, once."""
    done = subprocess.run(
        [fleet.executable, "upgrade", "database"],
        cwd=fleet.project_dir,
        env=base_environment(fleet, environ),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        secrets = list(secret_values(fleet, environ))
        tail = "".join((done.stdout + done.stderr).splitlines(keepends=True)[-TAIL_LINES:])
        raise MeltanoFailed(
            f"meltano upgrade database exited {done.returncode} in {fleet.project_dir}",
            _redact(tail, secrets),
        )


def link_plugins(fleet: Fleet, org: Org, environ: Mapping[str, str]) -> None:
    """Make the org's system directory, its plugin folders links to the installed plugins."""
    shared = shared_sys_dir(fleet, environ)
    own = org_sys_dir(fleet, org, environ)
    own.mkdir(parents=True, exist_ok=True)
    for kind in PLUGIN_DIRS:
        link = own / kind
        if (shared / kind).is_dir() and not link.is_symlink():
            link.symlink_to(shared / kind, target_is_directory=True)


def run_org(fleet: Fleet, org: Org, environ: Mapping[str, str] = os.environ) -> OrgRun:
    """Run the org's pipeline; every line Meltano prints goes to stderr as it comes."""
    env = run_environment(fleet, org, environ)
    link_plugins(fleet, org, environ)
    secrets = list(secret_values(fleet, environ))
    command = meltano_command(fleet, org)
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    proc = subprocess.Popen(
        command,
        cwd=fleet.project_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    timed_out = threading.Event()

    def on_timeout() -> None:
        timed_out.set()
        _stop(proc)

    watchdog = threading.Timer(fleet.timeout_seconds, on_timeout)
    watchdog.daemon = True
    watchdog.start()
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = _redact(raw, secrets)
            tail.append(line)
            sys.stderr.write(line)
        returncode = proc.wait()
    except BaseException:  # the step is being stopped (Dagster's termination, SIGTERM, ^C)
        _stop(proc)
        raise
    finally:
        watchdog.cancel()
        if proc.stdout is not None:
            proc.stdout.close()
    seconds = time.monotonic() - started
    shown = " ".join(command[1:])
    if timed_out.is_set():
        raise MeltanoFailed(
            f"org {org.name}: meltano {shown} was stopped after {fleet.timeout_seconds:.0f} s "
            "(meltano.timeout_seconds); its state holds what it finished",
            "".join(tail),
        )
    if returncode != 0:
        raise MeltanoFailed(
            f"org {org.name}: meltano {shown} exited {returncode}; its state holds what it "
            "finished, so materialising this partition again resumes",
            "".join(tail),
        )
    return OrgRun(org.name, fleet.state_id(org), round(seconds, 1), f"meltano {shown}")
