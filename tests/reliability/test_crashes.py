"""Crashes and signals while the target writes: nothing confirmed is lost, re-runs are safe.

- SIGKILL at seeded random points (several runs in a row, each resuming from the last STATE
  the previous one emitted, as Meltano would): every STATE a killed run emitted covers only
  records with their final answer, and the org ends exactly as wanted.
- SIGTERM mid-write: the calls in flight finish, no new call starts, every record read has a
  result line, the STATE emitted covers what is done, the exit code is 2; resuming from that
  STATE finishes the job.
- SIGTERM while records wait in a batch that is not full: they fail NOT_SENT, nothing is sent.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.env import clean_env
from tests.support.org import GENERATED, Org
from tests.support.target_run import (
    SCHEMA,
    TARGET,
    check_target_run,
    record,
    run_target,
    state,
    to_lines,
    write_config,
)

CHUNK = 20  # records between two STATE messages (and the batch size)
FINAL = {"outcome": ("added", "removed", "unchanged")}


ORG_ARGS = (*GENERATED, "--seed", "21")


@dataclass
class Change:
    """One input record, by its position in the whole input."""

    index: int
    user: str
    territory: str
    action: str

    @property
    def message(self) -> dict[str, Any]:
        return record(self.user, self.territory, self.action)


def change_set(org: Org, rng: random.Random, adds: int, removes: int) -> tuple[list[Change], set]:
    """Seeded adds (of active users) and removes (never a manager, the root or the token's user)."""
    held = org.assignments()
    territories = org.territories()
    users = org.active_users()
    candidates = [(u, t) for u in users for t in territories if (u, t) not in held]
    removable = sorted(
        (u, t) for u, t in held - set(org.managed()) if t != org.root and u != org.me
    )
    picked = [(*pair, "add") for pair in rng.sample(candidates, adds)]
    picked += [(*pair, "remove") for pair in rng.sample(removable, removes)]
    rng.shuffle(picked)
    changes = [Change(n, u, t, a) for n, (u, t, a) in enumerate(picked)]
    wanted = set(held)
    for change in changes:
        if change.action == "add":
            wanted.add((change.user, change.territory))
        else:
            wanted.discard((change.user, change.territory))
    return changes, wanted


def singer_input(changes: list[Change]) -> tuple[list[dict[str, Any]], dict[int, Change]]:
    """SCHEMA, records with a STATE {"done": n} after every CHUNK; records by input line."""
    messages: list[dict[str, Any]] = [SCHEMA]
    by_line: dict[int, Change] = {}
    for change in changes:
        messages.append(change.message)
        by_line[len(messages)] = change
        if (change.index + 1) % CHUNK == 0 or change is changes[-1]:
            messages.append(state({"done": change.index + 1}))
    return messages, by_line


def read_results_tolerant(path: Path) -> list[dict[str, Any]]:
    """Result lines of a killed run: each complete line parses; only the last may be cut."""
    if not path.exists():
        return []
    text = path.read_text()
    lines = text.split("\n")
    complete, tail = lines[:-1], lines[-1]
    if tail:  # a line cut by the kill
        with pytest.raises(ValueError):
            json.loads(tail)
    return [json.loads(line) for line in complete if line]


@dataclass
class Run:
    """A target process fed from a file, its output in files."""

    proc: subprocess.Popen[bytes]
    config: dict[str, Any]
    out: Path
    err: Path

    def states(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]

    def results(self) -> list[dict[str, Any]]:
        return read_results_tolerant(Path(self.config["results_path"]))

    def check_secrets(self) -> None:
        check_target_run(self.config, self.out.read_text(), self.err.read_text())


def start(org: Org, messages: list[dict[str, Any]], tmp_path: Path, name: str, **cfg: Any) -> Run:
    config = org.config(results_path=str(tmp_path / f"{name}.jsonl"), **cfg)
    source = tmp_path / f"{name}.singer"
    source.write_text(to_lines(messages))
    out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    with source.open("rb") as stdin, out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [TARGET, "--config", str(write_config(config, tmp_path))],
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=clean_env(),
        )
    return Run(proc, config, out, err)


def wait_for(predicate: Callable[[], bool], proc: subprocess.Popen[bytes]) -> bool:
    """Poll until `predicate` holds (True) or the process has exited (False)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc.poll() is not None:
            return predicate()
        time.sleep(0.005)
    pytest.fail("the target neither progressed nor exited within 120 s")


def total_writes(org: Org) -> int:
    return sum(org.writes().values())


def confirmed_by_states(run: Run, by_line: dict[int, Change]) -> set[int]:
    """Indexes of records that the run's emitted STATEs cover; each must have a final answer."""
    answered = {r["line"]: r for r in run.results()}
    states = run.states()
    if not states:
        return set()
    done = states[-1]["done"]
    covered = {line for line, change in by_line.items() if change.index < done}
    for line in covered:
        assert line in answered, f"STATE {states[-1]} emitted before line {line} was answered"
        assert answered[line]["outcome"] in FINAL["outcome"], answered[line]
    return {by_line[line].index for line in covered}


def test_sigkill_at_random_points_then_resume_from_the_last_state(org: Org, tmp_path) -> None:
    rng = random.Random(20241122)
    changes, wanted = change_set(org, rng, adds=150, removes=60)
    org.emulator.config(latency_ms=25)
    before = org.assignments()
    confirmed: set[int] = set()
    done = 0
    kills = 0
    for attempt in range(4):
        messages, by_line = singer_input(changes[done:])
        org.emulator.reset_stats()
        run = start(org, messages, tmp_path, f"killed-{attempt}", batch_size_rows=CHUNK)
        kill_after = rng.randint(1, 8)
        if wait_for(lambda n=kill_after: total_writes(org) >= n, run.proc):
            time.sleep(rng.random() * 0.05)  # a random point within the next call or two
            run.proc.kill()
            kills += 1
        run.proc.wait(timeout=60)
        run.check_secrets()
        confirmed |= confirmed_by_states(run, by_line)
        states = run.states()
        if states:
            done += states[-1]["done"]
        # Each pair is as it was or as wanted: a kill never leaves anything else behind.
        held = org.assignments()
        assert before & wanted <= held <= before | wanted
    assert kills >= 3

    rest, by_line = singer_input(changes[done:])
    final = run_target(org.config(), rest, tmp_path)

    assert final.returncode == 0, final.stderr[-2000:]
    assert org.assignments() == wanted
    assert set(final.outcomes) <= set(FINAL["outcome"])
    confirmed |= {by_line[r["line"]].index for r in final.results}
    assert confirmed == {change.index for change in changes}  # every record accounted for

    again = run_target(org.config(), singer_input(changes)[0], tmp_path)

    assert again.returncode == 0, again.stderr[-2000:]
    assert again.outcomes == {"unchanged": len(changes)}
    assert org.assignments() == wanted


def test_sigterm_mid_write_finishes_the_calls_in_flight(org: Org, tmp_path) -> None:
    rng = random.Random(7)
    changes, wanted = change_set(org, rng, adds=160, removes=40)
    messages, by_line = singer_input(changes)
    org.emulator.config(latency_ms=60)
    org.emulator.reset_stats()
    workers = 2
    run = start(org, messages, tmp_path, "sigterm", batch_size_rows=CHUNK, max_concurrency=workers)
    assert wait_for(lambda: bool(run.states()), run.proc), "no STATE before the end"
    started = total_writes(org)
    assert wait_for(lambda: total_writes(org) > started, run.proc), "finished too soon"
    before_signal = total_writes(org)
    run.proc.send_signal(signal.SIGTERM)
    run.proc.wait(timeout=120)
    run.check_secrets()
    stderr = run.err.read_text()
    last = [line for line in stderr.splitlines() if line.strip()][-1]

    assert run.proc.returncode == 2, stderr[-2000:]
    assert "interrupted by SIGTERM" in last, last
    assert "Traceback" not in stderr
    # Only calls already in flight were answered after the signal; nothing new was sent.
    assert total_writes(org) - before_signal <= workers
    results = run.results()
    assert all(r["outcome"] for r in results)
    not_sent = [r for r in results if r["code"] == "NOT_SENT"]
    assert all("interrupted by SIGTERM" in r["message"] for r in not_sent)
    assert len(results) < len(changes)  # it stopped: later records were never read or sent
    confirmed = confirmed_by_states(run, by_line)
    assert confirmed  # a STATE was emitted for what was done
    assert all(by_line[r["line"]].index not in confirmed for r in not_sent)

    done = run.states()[-1]["done"]
    rest = singer_input(changes[done:])[0]
    org.emulator.config(latency_ms=0)
    resumed = run_target(org.config(), rest, tmp_path)

    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert org.assignments() == wanted


def test_sigterm_with_records_waiting_sends_nothing_more(org: Org, tmp_path) -> None:
    territory = org.territories()[3]
    users = org.not_assigned(territory, org.active_users())[:5]
    other = {
        "type": "SCHEMA",
        "stream": "notes",
        "schema": {"properties": {"text": {}}},
        "key_properties": [],
    }
    messages = [
        SCHEMA,
        *[record(u, territory) for u in users[:3]],  # a full batch of 3: written
        state({"n": 3}),  # nothing waits: emitted at once
        *[record(u, territory) for u in users[3:]],  # 2 records waiting in the next batch
        other,
        {"type": "RECORD", "stream": "notes", "record": {"text": "read"}},
    ]
    config = org.config(results_path=str(tmp_path / "r.jsonl"), batch_size_rows=3)
    err = tmp_path / "err"
    with err.open("w") as stderr_file:
        proc = subprocess.Popen(
            [TARGET, "--config", str(write_config(config, tmp_path))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            text=True,
            env=clean_env(),
        )
    assert proc.stdin is not None
    proc.stdin.write(to_lines(messages))
    proc.stdin.flush()  # left open: the target waits for more input
    wait_for(lambda: "Ignoring stream 'notes'" in err.read_text(), proc)
    writes = total_writes(org)
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=60)
    stderr = err.read_text()
    check_target_run(config, stdout, stderr)
    lines = Path(config["results_path"]).read_text().splitlines()
    results = {r["line"]: r for r in map(json.loads, lines)}

    assert proc.returncode == 2
    assert "interrupted by SIGTERM: 2 record(s) read but not sent" in stderr
    assert [json.loads(line) for line in stdout.splitlines()] == [{"n": 3}]
    assert total_writes(org) == writes
    assert [results[line]["outcome"] for line in (2, 3, 4)] == ["added"] * 3
    assert [results[line]["code"] for line in (6, 7)] == ["NOT_SENT"] * 2
    held = org.assignments()
    assert {(u, territory) for u in users[:3]} <= held
    assert not {(u, territory) for u in users[3:]} & held
