"""Input robustness, STATE, config errors and BATCH messages (in-process)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.support.org import Org
from tests.support.target_run import (
    SCHEMA,
    assert_no_secrets,
    record,
    records,
    run_target_in_process,
    state,
)


def test_blank_lines_are_skipped_and_counted(org: Org, tmp_path) -> None:
    territory = org.territories()[0]
    users = org.not_assigned(territory, org.active_users())[:2]
    messages = [SCHEMA, "", record(users[0], territory), "   ", "", record(users[1], territory)]

    run = run_target_in_process(org.config(), messages, tmp_path)

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

    run = run_target_in_process(org.config(), messages, tmp_path)

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

    run = run_target_in_process(org.config(), [SCHEMA, record(user, territory), stray], tmp_path)

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
    run = run_target_in_process(org.config(**change), [SCHEMA, record("1", "2")], tmp_path)

    assert run.returncode == 1
    assert words in run.stderr
    assert "Traceback" not in run.stderr
    assert org.calls() == {}
    assert_no_secrets(run.stderr)


def test_results_file_is_replaced_on_each_run(org: Org, tmp_path: Path) -> None:
    territory = org.territories()[4]
    user = org.active_users()[0]
    run_target_in_process(org.config(), [SCHEMA, record(user, territory)], tmp_path)
    second = run_target_in_process(
        org.config(), [SCHEMA, record(user, territory, "remove")], tmp_path
    )

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

    run = run_target_in_process(org.config(), [SCHEMA, message, state({"b": 1})], tmp_path)

    assert run.returncode == 0, run.stderr
    assert {(u, territory) for u in users} <= org.assignments()
    assert run.outcomes == {"added": 3}
    assert {r["line"] for r in run.results} == {2}
    assert run.states == [{"b": 1}]


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_a_line_nested_200000_deep_stops_after_the_record_before_it(
    org: Org, tmp_path: Path, opener: str
) -> None:
    territory = org.territories()[2]
    user = org.not_assigned(territory, org.active_users())[0]
    closer = "]" if opener == "[" else "}"
    deep = opener * 200_000 + "1" + closer * 200_000
    messages = [SCHEMA, record(user, territory), deep, state({"never": True})]

    run = run_target_in_process(org.config(), messages, tmp_path)

    assert run.returncode == 2, run.stderr[-2000:]
    assert "input line 3 is nested deeper than" in run.last_error_line, run.last_error_line
    assert len(run.last_error_line) < 400
    assert "RecursionError" not in run.stderr
    assert (user, territory) in org.assignments()
    assert run.outcomes == {"added": 1}


def test_a_results_file_that_cannot_be_written_stops_the_run(org: Org, tmp_path: Path) -> None:
    territory = org.territories()[3]
    users = org.not_assigned(territory, org.active_users())[:6]
    messages = [SCHEMA, *records((u, territory) for u in users), state({"all": True})]
    config = org.config(results_path="/dev/full", batch_size_rows=3)

    run = run_target_in_process(config, messages, tmp_path)

    assert run.returncode == 2, run.stderr[-2000:]
    assert "results_path '/dev/full' cannot be written" in run.last_error_line
    assert "No space left on device" in run.last_error_line
    assert run.states == []  # no STATE for records whose results were not recorded
    # The first batch was applied, and says so on stderr; nothing more was sent.
    applied = [
        json.loads(line.split(":", 1)[1])
        for line in run.stderr.splitlines()
        if line.startswith("unrecorded result:")
    ]
    assert [(r["user_id"], r["outcome"]) for r in applied] == [(u, "added") for u in users[:3]]
    assert org.writes() == {"PUT /settings/territories/{id}/users": 1}
    assert {(u, territory) for u in users} & org.assignments() == {
        (u, territory) for u in users[:3]
    }
    assert "records: 3 (added 3)" in run.stderr
