"""What the tap says at INFO: a start line, progress on long runs, warnings to act on, one summary.

Runs of the console script at LOGLEVEL=INFO (the default a user gets) against the emulator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.tap_run import INFO, TapRun, log_levels, run_tap
from zoho_crm_emulator.process import EmulatorProcess

# 1,000 territories (one E5 call each), 1,000 users (5 pages), 10 groups.
BIG_ORG = ("--territories", "1000", "--users", "1000", "--groups", "10", "--seed", "4")


@pytest.fixture(scope="module")
def big_org() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(*BIG_ORG) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def big_run(big_org: EmulatorProcess) -> TapRun:
    run = run_tap(big_org.config_for_tap(), env=INFO)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def test_a_clean_default_run_prints_no_warning(big_run: TapRun) -> None:
    counts = log_levels(big_run.stderr)
    assert counts["INFO"] > 0
    assert counts["WARNING"] == 0, big_run.stderr
    assert counts["ERROR"] == 0, big_run.stderr


def test_the_sample_org_prints_no_warning() -> None:
    with EmulatorProcess("--org", "sample") as emulator:
        run = run_tap(emulator.config_for_tap(), env=INFO)
    assert run.returncode == 0, run.stderr
    assert log_levels(run.stderr)["WARNING"] == 0, run.stderr


def test_a_1000_territory_sync_prints_about_40_lines(big_run: TapRun) -> None:
    lines = big_run.stderr.splitlines()
    assert len(lines) <= 40, "\n".join(lines)
    # No line per partition: neither the SDK's METRIC lines nor its per-partition notices.
    assert "METRIC" not in big_run.stderr
    assert "with context keys" not in big_run.stderr
    assert "Starting incremental sync" not in big_run.stderr


def test_metric_lines_at_debug() -> None:
    with EmulatorProcess("--org", "sample") as emulator:
        run = run_tap(emulator.config_for_tap(), env={"LOGLEVEL": "DEBUG"})
    assert run.returncode == 0, run.stderr
    assert '"metric":"record_count"' in run.stderr
    assert "with context keys" in run.stderr


def test_metric_lines_to_a_file_through_the_logging_config(tmp_path: Path) -> None:
    metrics = tmp_path / "metrics.log"
    config = tmp_path / "logging.yml"
    config.write_text(
        "version: 1\n"
        "disable_existing_loggers: false\n"
        "handlers:\n"
        f"  metrics: {{class: logging.FileHandler, filename: '{metrics}'}}\n"
        "loggers:\n"
        "  singer_sdk.metrics: {handlers: [metrics], propagate: no}\n"
    )
    with EmulatorProcess("--org", "sample") as emulator:
        run = run_tap(emulator.config_for_tap(), env={**INFO, "SINGER_SDK_LOG_CONFIG": str(config)})
    assert run.returncode == 0, run.stderr
    assert "METRIC" not in run.stderr
    assert '"metric":"record_count"' in metrics.read_text()


def info_lines(run: TapRun) -> list[str]:
    """The log lines of a run (a multi-line message counts as one per physical line)."""
    return run.stderr.splitlines()


def test_one_start_line_says_where_how_and_what(big_run: TapRun) -> None:
    starts = [line for line in info_lines(big_run) if "| Reading " in line]
    assert len(starts) == 1, big_run.stderr
    start = starts[0]
    for text in ("data centre us", "production", "API v8", "max_concurrency 5"):
        assert text in start
    for stream in big_run.records:
        assert stream in start
    assert "users (incremental, all)" in start
    assert "territories (full table) with territory_users" in start
    # Before any other line of the tap's own, after the SDK's version line.
    assert info_lines(big_run).index(start) == 1


def test_a_long_sync_says_how_far_it_is(big_org: EmulatorProcess) -> None:
    # A short interval instead of a long run: 1,063 calls take far longer than 0.2 s, so there
    # are progress lines; how many depends on the machine, and is not asserted.
    run = run_tap(big_org.config_for_tap(progress_interval=0.2), env=INFO)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = info_lines(run)
    progress = [line for line in lines if "| Progress after " in line]
    assert progress, run.stderr
    shape = re.compile(
        r"Progress after [\d a-z]+: streams \d+ of \d+ done; .*\d+ calls \(\d+ retries\); ETA .+\.$"
    )
    assert all(shape.search(line) for line in progress), progress
    # Partitions are counted against the territories listed (one page: all 1,000 at once).
    counted = [re.search(r"territory_users \d+ of (\d+)", line) for line in progress]
    assert {match.group(1) for match in counted if match} == {"1000"}
    assert len([line for line in lines if line not in progress]) <= 40


def test_one_closing_summary_counts_records_and_calls(big_run: TapRun) -> None:
    lines = info_lines(big_run)
    heads = [line for line in lines if "| Sync finished in " in line]
    assert len(heads) == 1
    for stream, records in big_run.records.items():
        assert f"{stream} {len(records)}" in heads[0]
    total = sum(len(records) for records in big_run.records.values())
    assert f": {total} records read (" in heads[0]
    head = lines.index(heads[0])
    shape = r"Zoho API calls: (\d+) \(retries 0, credits (\d+)(, \d+ left per Zoho)?\)"
    calls = re.fullmatch(shape, lines[head + 1])
    assert calls, lines[head + 1]
    # One line per endpoint, summing to the calls; the token request is counted on its own.
    endpoints = lines[head + 2 : -1]
    assert all(re.fullmatch(r" +\d+  (GET|POST|PUT|DELETE) /\S+", line) for line in endpoints)
    assert sum(int(line.split()[0]) for line in endpoints) == int(calls.group(1))
    assert calls.group(2) == calls.group(1)  # one credit per call, none per token request
    assert lines[-1] == "Zoho token requests: 1 (POST /oauth/v2/token)"


def test_the_summary_names_the_credits_zoho_says_are_left() -> None:
    # The sample org costs 18 calls; Zoho sends X-API-CREDITS-REMAINING past half the credits.
    with EmulatorProcess("--org", "sample", "--credits", "30") as emulator:
        run = run_tap(emulator.config_for_tap(), env=INFO)
        used = emulator.stats()["credits_used"]
    assert run.returncode == 0, run.stderr
    assert f"(retries 0, credits {used}, {30 - used} left per Zoho)" in run.stderr


def test_bad_credentials_spend_no_credit_and_advise_no_rerun() -> None:
    with EmulatorProcess("--org", "sample") as emulator:
        run = run_tap(emulator.config_for_tap(client_secret="not-the-secret"), env=INFO)
    assert run.returncode == 1
    assert "invalid_client" in run.stderr
    assert "Zoho API calls: 0 (retries 0, credits 0)" in run.stderr
    assert "Re-run with the last STATE" not in run.stderr
    assert log_levels(run.stderr)["ERROR"] == 1, run.stderr


def test_json_logs_through_the_sdks_logging_config() -> None:
    config = Path(__file__).resolve().parents[2] / "examples" / "logging-json.yml"
    with EmulatorProcess("--org", "sample") as emulator:
        run = run_tap(emulator.config_for_tap(), env={**INFO, "SINGER_SDK_LOG_CONFIG": str(config)})
    assert run.returncode == 0, run.stderr
    logs = [json.loads(line) for line in run.stderr.splitlines()]
    assert logs
    assert {log["level"] for log in logs} == {"info"}
    messages = [log["message"] for log in logs]
    assert sum(message.startswith("Reading ") for message in messages) == 1
    summary = next(message for message in messages if message.startswith("Sync finished in "))
    assert "\nZoho API calls: " in summary  # the summary is one record
