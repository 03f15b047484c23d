"""The target as a process: --about, SIGTERM while it waits for input, SIGKILL between batches.

What is tested here is a property of the process (what a shell or an orchestrator sees), so the
real console script runs; the target's behaviour otherwise is tested in-process (tests/target).
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.env import clean_env
from tests.support.org import Org, emulator_org
from tests.support.target_run import (
    INPUT_CASES,
    SCHEMA,
    TARGET,
    check_target_run,
    read_results,
    record,
    records,
    run_target,
    start_target,
    state,
    to_lines,
    wait_until,
    write_config,
)


def test_about_documents_every_setting() -> None:
    about = subprocess.run(
        [TARGET, "--about", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
    )
    info = json.loads(about.stdout)
    settings = info["settings"]["properties"]
    for name in ("mode", "dry_run", "results_path", "allow_failures", "write_via", "client_id"):
        assert settings[name].get("description"), name
    assert settings["client_secret"].get("secret") is True
    assert settings["refresh_token"].get("secret") is True
    assert "user-territory assignments" in info["description"]


def test_sigterm_while_waiting_for_input_stops_cleanly(org: Org, tmp_path) -> None:
    territory = org.territories()[3]
    users = org.not_assigned(territory, org.active_users())[:2]
    messages = [SCHEMA, state({"n": 0}), *records((u, territory) for u in users)]
    run = start_target(org.config(batch_size_rows=2), messages, tmp_path, keep_open=True)
    assert wait_until(lambda: len(run.results()) == 2, run.proc, "the first batch's results")
    run.proc.send_signal(signal.SIGTERM)
    run.proc.wait(timeout=60)
    run.check_secrets()

    assert run.proc.returncode == 2
    assert "interrupted by SIGTERM" in run.stderr
    assert run.states() == [{"n": 0}]
    assert {(u, territory) for u in users} <= org.assignments()


def test_crash_between_batches_then_rerun_leaves_the_org_as_wanted(org: Org, tmp_path) -> None:
    territories = org.territories()
    users = org.active_users()
    held = org.assignments()
    adds = [(u, t) for t in territories[8:12] for u in users[:60] if (u, t) not in held]
    removes = sorted(
        (u, t)
        for u, t in held - set(org.managed())
        if t != org.root and u != org.me and t not in territories[8:12]
    )[:40]
    wanted = (held | set(adds)) - set(removes)
    messages: list = [SCHEMA]
    changes = [*records(adds), *records(removes, "remove")]
    record_lines: list[int] = []
    before_state: dict[int, list[int]] = {}
    for start in range(0, len(changes), 50):
        for change in changes[start : start + 50]:
            messages.append(change)
            record_lines.append(len(messages))
        messages.append(state({"done": start + 50}))
        before_state[start + 50] = list(record_lines)
    org.emulator.config(latency_ms=150)
    try:
        run = start_target(org.config(batch_size_rows=50), messages, tmp_path)
        assert wait_until(lambda: len(run.results()) >= 50, run.proc, "the first batch's results")
        run.proc.kill()
        run.proc.wait(timeout=60)
    finally:
        org.emulator.config(latency_ms=0)
    run.check_secrets()

    assert run.proc.returncode == -signal.SIGKILL
    # Every STATE printed came after the answers of all records before it.
    answered = {r["line"] for r in run.results() if r["outcome"]}
    for value in run.states():
        assert set(before_state[value["done"]]) <= answered
    assert org.assignments() != wanted

    rerun = run_target(org.config(), messages, tmp_path)

    assert rerun.returncode == 0, rerun.stderr
    assert org.assignments() == wanted
    assert set(rerun.outcomes) <= {"added", "removed", "unchanged"}
    assert rerun.outcomes["unchanged"] >= 50


def test_a_deeply_nested_line_is_one_line_of_error_and_exit_2(org: Org, tmp_path) -> None:
    territory = org.territories()[2]
    user = org.not_assigned(territory, org.active_users())[0]
    deep = "[" * 200_000 + "]" * 200_000

    run = run_target(org.config(), [SCHEMA, record(user, territory), deep], tmp_path)

    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "RecursionError" not in run.stderr
    assert "input line 3 is nested deeper than" in run.last_error_line
    assert run.by_line()[2]["outcome"] == "added"
    assert (user, territory) in org.assignments()


def test_input_that_is_not_utf8_stops_at_its_line(org: Org, tmp_path) -> None:
    territory = org.territories()[2]
    user = org.not_assigned(territory, org.active_users())[0]
    config = org.config(results_path=str(tmp_path / "results.jsonl"))
    source = tmp_path / "input.singer"
    source.write_bytes(to_lines([SCHEMA, record(user, territory)]).encode() + b"\xff\xfe{\n")
    done = subprocess.run(
        [TARGET, "--config", str(write_config(config, tmp_path)), "--input", str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
        check=False,
    )
    check_target_run(config, done.stdout, done.stderr)

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "input line 3 is not UTF-8 text" in done.stderr.splitlines()[-1]
    assert [r["outcome"] for r in read_results(config)] == ["added"]


@pytest.fixture(scope="module")
def sample_org() -> Iterator[Org]:
    """The sample org, which the `.singer` cases of tests/data/input are written for."""
    yield from emulator_org("--org", "sample")


@pytest.mark.parametrize(
    "name", ["truncated-json", "invalid-utf8", "record-before-schema", "batch-file-missing"]
)
def test_a_bad_line_on_stdin_is_one_line_of_error_and_exit_2(
    sample_org: Org, tmp_path, name: str
) -> None:
    sample_org.reset()
    config = sample_org.config(results_path=str(tmp_path / "results.jsonl"))
    done = subprocess.run(
        [TARGET, "--config", str(write_config(config, tmp_path))],
        input=(INPUT_CASES / f"{name}.singer").read_bytes(),
        capture_output=True,
        timeout=120,
        env=clean_env(),
        check=False,
    )
    stdout, stderr = done.stdout.decode(), done.stderr.decode("utf-8", "replace")
    check_target_run(config, stdout, stderr)

    assert done.returncode == 2
    assert "Traceback" not in stderr
    assert "input line 5" in stderr.splitlines()[-1]
    assert [json.loads(line) for line in stdout.splitlines()] == [{"at": 4}]
    assert [r["outcome"] for r in read_results(config)] == ["added", "added"]


def test_a_full_disk_for_the_results_is_one_line_and_exit_2(org: Org, tmp_path) -> None:
    territory = org.territories()[3]
    users = org.not_assigned(territory, org.active_users())[:2]
    messages = [SCHEMA, *records((u, territory) for u in users)]

    run = run_target(org.config(results_path="/dev/full"), messages, tmp_path)

    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "Exception ignored" not in run.stderr
    assert "results_path '/dev/full' cannot be written" in run.last_error_line
    unrecorded = [line for line in run.stderr.splitlines() if line.startswith("unrecorded result:")]
    assert len(unrecorded) == 2


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_an_unexpected_error_is_one_line_the_traceback_only_at_debug(
    org: Org, tmp_path, level: str
) -> None:
    # stdout that cannot be written: the STATE at the end fails, an error nobody planned for.
    territory = org.territories()[3]
    user = org.not_assigned(territory, org.active_users())[0]
    config = org.config(results_path=str(tmp_path / "results.jsonl"))
    source = tmp_path / "input.singer"
    source.write_text(to_lines([SCHEMA, record(user, territory), state({"s": 1})]))
    with source.open("rb") as stdin, Path("/dev/full").open("wb") as stdout:
        done = subprocess.run(
            [TARGET, "--config", str(write_config(config, tmp_path))],
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env=clean_env(LOGLEVEL=level),
            check=False,
        )
    check_target_run(config, "", done.stderr)
    last = done.stderr.splitlines()[-1]

    assert done.returncode == 2
    assert "unexpected error" in last
    assert "No space left on device" in last
    assert "Exception ignored" not in done.stderr
    assert ("Traceback" in done.stderr) == (level == "DEBUG")
    assert [r["outcome"] for r in read_results(config)] == ["added"]
