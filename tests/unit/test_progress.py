"""Progress lines, the start line and the closing summary: pure functions of the counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tap_zoho_territories.progress import (
    PlannedStream,
    Snapshot,
    SyncProgress,
    progress_line,
    start_line,
    summary_head,
)
from tap_zoho_territories.tap import resume_advice
from zoho_crm_api.client import CallStats
from zoho_crm_api.errors import ZohoConfigError
from zoho_crm_api.settings import ConnectionSettings
from zoho_crm_singer.progress import duration, eta, progress_interval

SECRETS = {"client_id": "1000.ID", "client_secret": "secret", "refresh_token": "1000.refresh"}


def snapshot(**changes: Any) -> Snapshot:
    values: dict[str, Any] = {
        "elapsed": 65.0,
        "partitions_for": 20.0,
        "records": {"users": 1000, "territories": 250},
        "partitions": {"territory_users": (250, 1000)},
        "streams_done": 2,
        "streams_total": 5,
        "calls": 260,
        "retries": 3,
        **changes,
    }
    return Snapshot(**values)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0 s"), (42.4, "42 s"), (59.6, "1 min 00 s"), (185, "3 min 05 s"), (7620, "2 h 07 min")],
)
def test_durations_read_like_a_clock(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


def test_the_eta_assumes_the_rest_goes_as_fast() -> None:
    assert eta(250, 1000, 20.0) == 60.0
    assert eta(1000, 1000, 20.0) == 0.0
    assert eta(0, 1000, 20.0) is None  # nothing done: no pace yet
    assert eta(5, 1000, 0.0) is None


def test_a_progress_line_has_records_partitions_calls_credits_and_an_eta() -> None:
    line = progress_line(snapshot(credits_left=4200))
    assert line == (
        "Progress after 1 min 05 s: streams 2 of 5 done; records users 1000, territories 250; "
        "partitions territory_users 250 of 1000; 260 calls (3 retries), 4200 credits left; "
        "ETA 1 min 00 s."
    )


def test_a_progress_line_before_any_partition_says_the_eta_is_not_known() -> None:
    line = progress_line(snapshot(partitions={}, records={}, credits_left=None))
    assert line == (
        "Progress after 1 min 05 s: streams 2 of 5 done; 260 calls (3 retries); ETA not known yet."
    )


def test_the_summary_head_counts_records_and_names_skipped_streams() -> None:
    now = snapshot(skipped={"territory_associated_user_counts": "OAUTH_SCOPE_MISMATCH"})
    assert summary_head(now, stopped=False) == (
        "Sync finished in 1 min 05 s: 1250 records read (users 1000, territories 250); skipped "
        "(see the warnings above): territory_associated_user_counts (OAUTH_SCOPE_MISMATCH)."
    )
    assert summary_head(snapshot(records={}), stopped=True) == (
        "Sync stopped after 1 min 05 s: 0 records read."
    )


def test_the_start_line_says_where_how_and_which_streams() -> None:
    settings = ConnectionSettings.from_config({**SECRETS, "data_center": "eu"}, environ={})
    streams = [
        PlannedStream("users", written=True, since="2025-01-31T00:00:00Z", forced_full=False),
        PlannedStream("territories", True, None, forced_full=True, children=("territory_users",)),
        PlannedStream("user_groups", False, None, False, children=("user_group_sources",)),
    ]
    assert start_line(settings, streams) == (
        "Reading 3 stream(s) and 2 child stream(s) from Zoho CRM, data centre eu (production, "
        "API v8), max_concurrency 5: users (incremental since 2025-01-31T00:00:00Z); "
        "territories (full table) with territory_users; user_groups (not selected, read for "
        "its child streams) with user_group_sources."
    )


def test_the_start_line_names_an_accounts_server_that_is_not_the_data_centres() -> None:
    config = {**SECRETS, "accounts_server": "http://127.0.0.1:8642"}
    settings = ConnectionSettings.from_config(config, environ={})
    line = start_line(settings, [PlannedStream("users", True, "", False)])
    assert "(production, API v8, accounts server http://127.0.0.1:8642)" in line
    assert "users (incremental, all)" in line


def test_progress_counts_partitions_against_the_parents_found() -> None:
    clock = iter([0.0, 1.0, 3.0, 5.0]).__next__
    stats = CallStats()
    progress = SyncProgress(stats, completed={"users"}, clock=clock)
    progress.plan(["users", "territories"])
    progress.read("users", 1)
    progress.found(["territory_users"], 200)
    progress.partition_read("territory_users")  # at 1.0: the pace starts here
    now = progress.snapshot()
    assert now.partitions == {"territory_users": (1, 200)}
    assert now.records == {"users": 1}
    assert (now.streams_done, now.streams_total) == (1, 2)
    assert (now.elapsed, now.partitions_for) == (3.0, 2.0)


def test_credits_left_are_the_fewest_zoho_said() -> None:
    stats = CallStats()
    for header in (None, "", "soon", "120", "118", "119"):
        stats.note_credits_left(header)
    assert stats.credits_left == 118
    assert "(retries 0, credits 0, 118 left per Zoho)" in stats.summary()


@pytest.mark.parametrize(
    ("records", "completed", "advice"),
    [
        (0, [], None),  # bad credentials, nothing read: no STATE can help
        (0, ["users"], None),
        (10, [], "Stopped early, before any stream was complete: a re-run reads every stream."),
        (
            10,
            ["users"],
            "Stopped early. Streams completed: users. Re-run with the last STATE to continue "
            "with the others.",
        ),
    ],
)
def test_a_stopped_run_advises_a_rerun_only_when_something_was_read(
    records: int, completed: list[str], advice: str | None
) -> None:
    assert resume_advice(records, completed) == advice


@pytest.mark.parametrize(("value", "seconds"), [(None, 10.0), (0, 0.0), (2, 2.0)])
def test_the_progress_interval_setting(value: Any, seconds: float) -> None:
    config = {} if value is None else {"progress_interval": value}
    assert progress_interval(config) == seconds
    assert progress_interval({"progress_interval": Decimal("0.5")}) == 0.5


@pytest.mark.parametrize("value", [-1, "10", True])
def test_a_progress_interval_that_is_not_seconds_is_refused(value: Any) -> None:
    with pytest.raises(ZohoConfigError, match="progress_interval must be a number of seconds"):
        progress_interval({"progress_interval": value})
