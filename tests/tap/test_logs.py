"""What the tap says at INFO: a start line, progress on long runs, warnings to act on, one summary.

Runs of the console script at LOGLEVEL=INFO (the default a user gets) against the emulator.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.tap_run import TapRun, run_tap
from zoho_crm_emulator.process import EmulatorProcess

# 1,000 territories (one E5 call each), 1,000 users (5 pages), 10 groups.
BIG_ORG = ("--territories", "1000", "--users", "1000", "--groups", "10", "--seed", "4")
INFO = {"LOGLEVEL": "INFO"}
# `2026-01-01 10:00:00,000 | LEVEL    | logger | message`: the SDK's console format.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \| (\w+)\s*\| ")


def levels(stderr: str) -> Counter[str]:
    """Log lines per level."""
    return Counter(m.group(1) for m in map(LOG_LINE.match, stderr.splitlines()) if m)


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
    counts = levels(big_run.stderr)
    assert counts["INFO"] > 0
    assert counts["WARNING"] == 0, big_run.stderr
    assert counts["ERROR"] == 0, big_run.stderr


def test_the_sample_org_prints_no_warning() -> None:
    with EmulatorProcess("--org", "sample") as emulator:
        run = run_tap(emulator.config_for_tap(), env=INFO)
    assert run.returncode == 0, run.stderr
    assert levels(run.stderr)["WARNING"] == 0, run.stderr


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
