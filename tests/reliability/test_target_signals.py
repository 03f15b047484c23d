"""SIGTERM and SIGINT stop the target within 5 s in every state, and every record is answered.

The states: a write call whose answer is dripped a few bytes a second (the emulator's `slow`
fault: the write was applied, its answer never ends), a backoff between retries of a call that
keeps failing, the token throttle of the accounts server (Access Denied), and mirror mode's
reads. In each: exit code 2, one line saying so, every record read has its result line
(`INTERRUPTED` for a call in flight: it may or may not have been applied; `NOT_SENT` for the
rest), STATE only for what was answered before the signal, and no result contradicting the org.
"""

from __future__ import annotations

import re
import signal
import subprocess
from typing import Any

import pytest

from tests.support.org import Org
from tests.support.target_run import (
    SCHEMA,
    TargetProcess,
    records,
    start_target,
    state,
    wait_until,
)
from tests.support.zoho_model import check_results

# SIGTERM to exit: the promise (docs/guarantees.md).
STOP_WITHIN_S = 5
WAITING = re.compile(r"retry \d+ of \d+ in (\d+\.\d) s")


def changes(org: Org, count: int = 6) -> list[dict[str, Any]]:
    """SCHEMA, a STATE nothing waits for, `count` adds, then a STATE."""
    territory = org.territories()[4]
    users = org.not_assigned(territory, org.active_users())[:count]
    return [SCHEMA, state({"n": 0}), *records((u, territory) for u in users), state({"n": 1})]


def stop(run: TargetProcess, signum: int = signal.SIGTERM) -> None:
    """Send the signal; the target must exit within STOP_WITHIN_S."""
    run.proc.send_signal(signum)
    try:
        run.proc.wait(timeout=STOP_WITHIN_S)
    except subprocess.TimeoutExpired:
        run.proc.kill()
        run.proc.wait()
        pytest.fail(f"still running {STOP_WITHIN_S} s after {signal.Signals(signum).name}")


def assert_stopped_cleanly(
    run: TargetProcess, org: Org, signum: int, records_read: int, states: list[Any]
) -> None:
    """Exit 2, one line naming the signal, every record answered, STATE only before, truthful."""
    run.check_secrets()
    name = signal.Signals(signum).name
    last = run.stderr.splitlines()[-1]
    assert run.proc.returncode == 2, run.stderr[-2000:]
    assert f"interrupted by {name}" in last, last
    assert "Traceback" not in run.stderr
    results = run.results()
    assert len(results) == records_read
    assert {r["outcome"] for r in results} == {"failed"}
    assert {r["code"] for r in results} <= {"INTERRUPTED", "NOT_SENT"}
    assert all(name in r["message"] for r in results), results
    assert run.states() == states
    check_results(results, org.assignments(), run.proc.returncode)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stop_while_a_call_waits_for_its_answer(org: Org, tmp_path, signum: int) -> None:
    org.emulator.config(fault_rate=1.0, faults=["slow"], slow_drip_seconds=1.0)
    run = start_target(org.config(write_via="user", max_concurrency=2), changes(org), tmp_path)
    wait_until(lambda: sum(org.writes().values()) >= 2, run.proc, "two write calls in flight")

    stop(run, signum)

    assert_stopped_cleanly(run, org, signum, 6, [{"n": 0}])
    assert {r["code"] for r in run.results()} == {"INTERRUPTED", "NOT_SENT"}
    assert sum(org.writes().values()) == 2  # nothing sent after the signal


def test_stop_during_a_backoff(org: Org, tmp_path) -> None:
    org.emulator.config(fault_rate=1.0, faults=["500"])
    run = start_target(org.config(max_retries=10), changes(org), tmp_path)

    def long_wait() -> bool:
        return any(float(w) >= 3 for w in WAITING.findall(run.stderr))

    wait_until(long_wait, run.proc, "a backoff of 3 s or more")

    stop(run)

    assert_stopped_cleanly(run, org, signal.SIGTERM, 6, [{"n": 0}])


def test_stop_while_the_token_is_throttled(org: Org, tmp_path) -> None:
    org.emulator.config(refresh_limit=0)
    run = start_target(org.config(), changes(org), tmp_path)
    wait_until(lambda: "Access Denied" in run.stderr, run.proc, "the token throttle")

    stop(run)

    assert_stopped_cleanly(run, org, signal.SIGTERM, 6, [{"n": 0}])
    assert org.writes() == {}


def test_mirror_stops_during_its_reads_and_writes_nothing(org: Org, tmp_path) -> None:
    before = org.assignments()
    org.emulator.config(fault_rate=1.0, faults=["slow"], slow_drip_seconds=1.0)
    run = start_target(org.config(mode="mirror"), changes(org), tmp_path)
    # Six named users: mirror lists the territories (E1) to choose E10 per user or E5 each.
    reads = ("GET /settings/territories", "GET /users/{id}/territories")
    wait_until(lambda: any(read in org.calls() for read in reads), run.proc, "the reads")

    stop(run)

    assert_stopped_cleanly(run, org, signal.SIGTERM, 6, [])  # mirror: no STATE for a cut run
    assert org.writes() == {}
    assert org.assignments() == before
