"""What the target says on stderr: progress on long writes, failures by code, a wrong input."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.org import Org
from tests.support.tap_run import INFO, log_levels
from tests.support.target_run import SCHEMA, record, run_target, run_target_in_process, state

# What the tap sends for territory_users (the user is `id`): no user_id, so not an assignment.
TAP_SCHEMA = {
    "type": "SCHEMA",
    "stream": "territory_users",
    "schema": {
        "type": "object",
        "properties": {"id": {"type": "string"}, "territory_id": {"type": "string"}},
    },
    "key_properties": ["territory_id", "id"],
}
USERS_SCHEMA = {
    "type": "SCHEMA",
    "stream": "users",
    "schema": {"type": "object", "properties": {"id": {"type": "string"}}},
    "key_properties": ["id"],
}


def test_failures_are_summarised_by_code_without_a_results_path(org: Org, tmp_path: Path) -> None:
    territory, other = org.territories()[3], org.territories()[4]
    user = org.not_assigned(territory, org.active_users())[0]
    messages = [
        SCHEMA,
        record(org.me, territory),  # Zoho refuses the token's own user: NOT_ALLOWED
        record(org.me, other),
        record(user, territory),
        record("12ab", territory),  # rejected here, never sent
    ]
    run = run_target_in_process(org.config(results_path=None), messages, tmp_path)

    assert run.returncode == 1, run.stderr
    assert not list(tmp_path.glob("*.jsonl"))
    summary = run.stderr[run.stderr.index("Records that failed or were rejected, by code") :]
    assert "set results_path for all" in summary.splitlines()[0]
    assert "  NOT_ALLOWED: 2 failed" in summary
    assert "  INVALID_INPUT: 1 rejected" in summary
    # Each example names the input line, the pair, the action and Zoho's message.
    examples = re.findall(
        r"^    line (\d+): user (\S+), territory (\S+) \(add\): (.+)$", summary, re.M
    )
    assert [(line, u, t) for line, u, t, _ in examples] == [
        ("2", org.me, territory),
        ("3", org.me, other),
        ("5", "12ab", territory),
    ]
    assert all(message for *_, message in examples)
    assert (user, territory) in org.assignments()  # the good record was still written


def test_the_failure_summary_points_at_the_results_file(org: Org, tmp_path: Path) -> None:
    territory = org.territories()[3]
    run = run_target_in_process(org.config(), [SCHEMA, record(org.me, territory)], tmp_path)
    assert run.returncode == 1
    assert f"examples each; {tmp_path / 'results.jsonl'} has every record):" in run.stderr
    assert run.results[0]["code"] == "NOT_ALLOWED"


def test_a_clean_write_prints_no_failure_summary(org: Org, tmp_path: Path) -> None:
    territory = org.territories()[3]
    user = org.not_assigned(territory, org.active_users())[0]
    run = run_target_in_process(org.config(), [SCHEMA, record(user, territory)], tmp_path)
    assert run.returncode == 0, run.stderr
    assert "failed or were rejected" not in run.stderr


def test_a_clean_write_with_activate_version_prints_no_warning(org: Org, tmp_path: Path) -> None:
    # The tap ends each full-table stream with ACTIVATE_VERSION; through a stream map (or
    # mapped by hand) the assignment stream carries it too. Assignments keep no table versions.
    territory = org.territories()[3]
    user = org.not_assigned(territory, org.active_users())[0]
    version = {"type": "ACTIVATE_VERSION", "stream": SCHEMA["stream"], "version": 1}
    messages = [SCHEMA, {**record(user, territory), "version": 1}, version]
    run = run_target(org.config(), messages, tmp_path, env=INFO)
    assert run.returncode == 0, run.stderr
    assert log_levels(run.stderr)["WARNING"] == 0, run.stderr
    assert (user, territory) in org.assignments()


def test_an_input_without_an_assignment_stream_exits_1_and_says_how_to_map_it(
    org: Org, tmp_path: Path
) -> None:
    territory = org.territories()[3]
    messages = [
        state({"bookmarks": {}}),
        TAP_SCHEMA,
        {
            "type": "RECORD",
            "stream": "territory_users",
            "record": {"id": org.me, "territory_id": territory},
        },
        USERS_SCHEMA,
        {"type": "RECORD", "stream": "users", "record": {"id": org.me}},
        state({"bookmarks": {"users": {"replication_key_value": "2026-01-01T00:00:00Z"}}}),
    ]
    before = org.assignments()
    run = run_target_in_process(org.config(), messages, tmp_path)

    assert run.returncode == 1, run.stderr
    assert "the input has records of territory_users, users but no assignment stream" in (
        run.last_error_line
    )
    assert '"territory_users": {"user_id": "id"' in run.last_error_line
    assert "docs/meltano.md" in run.last_error_line
    # Nothing was written, and the STATE after the ignored records is not passed on (a
    # pipeline would otherwise never send those records again); the one before them is.
    assert org.assignments() == before
    assert run.states == [{"bookmarks": {}}]


def test_a_long_write_says_how_far_it_is(org: Org, tmp_path: Path) -> None:
    territory = org.territories()[6]
    users = org.not_assigned(territory, org.active_users())[:60]
    org.emulator.config(latency_ms=20)
    # One call per user (write_via user): 60 calls of 20 ms, 5 at a time, take far longer
    # than the 0.05 s between progress lines; how many lines there are is not asserted.
    config = org.config(write_via="user", progress_interval=0.05)
    run = run_target_in_process(config, [SCHEMA, *(record(u, territory) for u in users)], tmp_path)

    assert run.returncode == 0, run.stderr
    lines = re.findall(
        r"Progress: batch 1, 60 change\(s\) planned: (\d+) of 60 write calls done .*ETA", run.stderr
    )
    assert lines, run.stderr[-3000:]
    assert all(0 <= int(done) <= 60 for done in lines)
