"""Input robustness, STATE, config errors, signals, and a crash between batches."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.env import clean_env
from tests.support.org import Org
from tests.support.target_run import (
    SCHEMA,
    TARGET,
    assert_no_secrets,
    check_target_run,
    read_results,
    record,
    records,
    run_target,
    state,
    to_lines,
    write_config,
)


def test_blank_lines_are_skipped_and_counted(org: Org, tmp_path) -> None:
    territory = org.territories()[0]
    users = org.not_assigned(territory, org.active_users())[:2]
    messages = [SCHEMA, "", record(users[0], territory), "   ", "", record(users[1], territory)]

    run = run_target(org.config(), messages, tmp_path)

    assert run.returncode == 0, run.stderr
    assert sorted(run.by_line()) == [3, 6]
    assert run.outcomes == {"added": 2}


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ('{"type": "RECORD", "stream": ', "is not JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"stream": "assignments"}', "has no 'type'"),
        ('{"type": "FOO"}', "unknown message type 'FOO'"),
    ],
)
def test_a_bad_line_stops_the_run_after_writing_what_came_before(
    org: Org, tmp_path, bad: str, words: str
) -> None:
    territory = org.territories()[1]
    users = org.not_assigned(territory, org.active_users())[:3]
    messages = [
        SCHEMA,
        record(users[0], territory),
        record(users[1], territory),
        state({"n": 2}),
        bad,
        record(users[2], territory),
        state({"n": 3}),
    ]

    run = run_target(org.config(), messages, tmp_path)

    assert run.returncode == 2
    assert "input line 5" in run.last_error_line
    assert words in run.last_error_line
    assert {(users[0], territory), (users[1], territory)} <= org.assignments()
    assert (users[2], territory) not in org.assignments()
    assert sorted(run.by_line()) == [2, 3]
    assert run.outcomes == {"added": 2}
    assert run.states == [{"n": 2}]


def test_record_before_schema_stops_after_writing_earlier_records(org: Org, tmp_path) -> None:
    territory = org.territories()[2]
    user = org.not_assigned(territory, org.active_users())[0]
    stray = {"type": "RECORD", "stream": "nobody", "record": {"user_id": "1"}}

    run = run_target(org.config(), [SCHEMA, record(user, territory), stray], tmp_path)

    assert run.returncode != 0
    assert "Input stopped at line 3: RecordsWithoutSchemaException" in run.stderr
    assert run.outcomes == {"added": 1}
    assert (user, territory) in org.assignments()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"client_secret": ""}, "client_secret is required"),
        ({"accounts_server": "http://accounts.example.com"}, "accounts_server"),
        ({"mode": "sync"}, "Config validation failed"),
        ({"write_via": "both"}, "Config validation failed"),
    ],
)
def test_config_errors_exit_with_a_clear_message(org: Org, tmp_path, change, words) -> None:
    run = run_target(org.config(**change), [SCHEMA, record("1", "2")], tmp_path)

    assert run.returncode == 1
    assert words in run.stderr
    assert "Traceback" not in run.stderr
    assert org.calls() == {}
    assert_no_secrets(run.stderr)


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


def _wait_for(predicate, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_sigterm_while_waiting_for_input_stops_cleanly(org: Org, tmp_path) -> None:
    territory = org.territories()[3]
    users = org.not_assigned(territory, org.active_users())[:2]
    config = org.config(results_path=str(tmp_path / "r.jsonl"), batch_size_rows=2)
    proc = subprocess.Popen(
        [TARGET, "--config", str(write_config(config, tmp_path))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    assert proc.stdin is not None
    proc.stdin.write(to_lines([SCHEMA, state({"n": 0}), *records((u, territory) for u in users)]))
    proc.stdin.flush()
    _wait_for(lambda: len(read_results(config)) == 2, "the first batch's results")
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    check_target_run(config, stdout, stderr)

    assert proc.returncode == 2
    assert "interrupted by SIGTERM" in stderr
    assert [json.loads(line) for line in stdout.splitlines()] == [{"n": 0}]
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
    config = org.config(results_path=str(tmp_path / "r.jsonl"), batch_size_rows=50)
    org.emulator.config(latency_ms=150)
    err = tmp_path / "stderr.txt"
    try:
        with err.open("w") as stderr_file:  # a file: DEBUG logs must never fill a pipe
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
        proc.stdin.close()
        _wait_for(lambda: len(read_results(config)) >= 50, "the first batch's results")
        proc.kill()
        proc.wait(timeout=60)
        assert proc.stdout is not None
        stdout = proc.stdout.read()
        proc.stdout.close()
    finally:
        org.emulator.config(latency_ms=0)
    check_target_run(config, stdout, err.read_text())

    assert proc.returncode == -signal.SIGKILL
    # Every STATE printed came after the answers of all records before it.
    answered = {r["line"] for r in read_results(config) if r["outcome"]}
    for value in (json.loads(line) for line in stdout.splitlines()):
        assert set(before_state[value["done"]]) <= answered
    assert org.assignments() != wanted

    rerun = run_target(org.config(), messages, tmp_path)

    assert rerun.returncode == 0, rerun.stderr
    assert org.assignments() == wanted
    assert set(rerun.outcomes) <= {"added", "removed", "unchanged"}
    assert rerun.outcomes["unchanged"] >= 50


def test_results_file_is_replaced_on_each_run(org: Org, tmp_path: Path) -> None:
    territory = org.territories()[4]
    user = org.active_users()[0]
    run_target(org.config(), [SCHEMA, record(user, territory)], tmp_path)
    second = run_target(org.config(), [SCHEMA, record(user, territory, "remove")], tmp_path)

    assert len(second.results) == 1
    assert second.results[0]["action"] == "remove"


def test_batch_messages_are_read_like_records(org: Org, tmp_path: Path) -> None:
    territory = org.territories()[5]
    users = org.not_assigned(territory, org.active_users())[:3]
    batch = tmp_path / "batch-1.json.gz"
    with gzip.open(batch, "wt") as handle:
        for user in users:
            handle.write(json.dumps({"user_id": user, "territory_id": territory}) + "\n")
    message = {
        "type": "BATCH",
        "stream": SCHEMA["stream"],
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "manifest": [batch.as_uri()],
    }

    run = run_target(org.config(), [SCHEMA, message, state({"b": 1})], tmp_path)

    assert run.returncode == 0, run.stderr
    assert {(u, territory) for u in users} <= org.assignments()
    assert run.outcomes == {"added": 3}
    assert {r["line"] for r in run.results} == {2}
    assert run.states == [{"b": 1}]
