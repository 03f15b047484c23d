"""ACTIVATE_VERSION: one per full-table stream and run, after all its records, only when complete.

A target such as target-postgres marks (or deletes) every row of a table whose version is older
than the one activated, so the message must come once the new version is fully written, once
per stream (not once per parent of a child stream), and never after a partial read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.tap_run import TapRun, run_ok, run_tap
from zoho_crm_emulator.process import EmulatorProcess

ORG = ("--territories", "12", "--users", "60", "--groups", "4", "--seed", "5")
FULL_TABLE = {
    "territories",  # full table while territory_users is selected
    "territory_users",
    "territory_associated_user_counts",
    "user_groups",
    "user_group_associated_user_counts",
    "user_group_sources_counts",
    "user_group_sources",
}
GROUP_STREAMS = {
    "user_groups",
    "user_group_associated_user_counts",
    "user_group_sources_counts",
    "user_group_sources",
}


def activations(run: TapRun) -> list[dict[str, Any]]:
    return [m for m in run.messages if m["type"] == "ACTIVATE_VERSION"]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(*ORG, "--refresh-limit", "1000") as emu:
        yield emu


@pytest.fixture(scope="module")
def default_run(emulator: EmulatorProcess) -> TapRun:
    return run_ok(emulator.config_for_tap())


def test_on_by_default_once_per_full_table_stream(default_run: TapRun) -> None:
    counts = Counter(m["stream"] for m in activations(default_run))
    assert counts.keys() >= FULL_TABLE
    assert set(counts.values()) == {1}, counts  # child streams too: not once per parent
    assert "users" not in counts  # incremental


def test_after_every_record_of_its_stream_and_with_their_version(default_run: TapRun) -> None:
    messages = default_run.messages
    versions = {m["stream"]: m["version"] for m in activations(default_run)}
    assert len(set(versions.values())) == 1  # one version per run
    for stream, version in versions.items():
        position = next(
            i
            for i, m in enumerate(messages)
            if m["type"] == "ACTIVATE_VERSION" and m["stream"] == stream
        )
        records = [m for m in messages if m["type"] == "RECORD" and m["stream"] == stream]
        assert records, stream
        assert {m.get("version") for m in records} == {version}, stream
        last = max(i for i, m in enumerate(messages) if m in records)
        schema = next(i for i, m in enumerate(messages) if m == default_run.schemas[stream])
        assert schema < last < position, stream
        assert messages[position + 1]["type"] == "STATE", stream  # a target checkpoints on it
    assert messages[-1]["type"] == "STATE"


def test_incremental_records_carry_no_version(default_run: TapRun) -> None:
    users = [m for m in default_run.messages if m["type"] == "RECORD" and m["stream"] == "users"]
    assert users
    assert all(m.get("version") is None for m in users)


def test_off_sends_no_activate_version_and_no_versions(emulator: EmulatorProcess) -> None:
    run = run_ok(emulator.config_for_tap(emit_activate_version_messages=False))
    assert activations(run) == []
    assert all(m.get("version") is None for m in run.messages if m["type"] == "RECORD")


def test_a_child_stream_whose_parents_have_no_record_is_activated_empty() -> None:
    # No user group at all: every group row downstream is gone, the children's rows too.
    with EmulatorProcess(*ORG[:4], "--groups", "0") as emu:
        run = run_ok(emu.config_for_tap())
    activated = {m["stream"] for m in activations(run)}
    assert activated >= GROUP_STREAMS
    assert not any(run.records.get(stream) for stream in GROUP_STREAMS)
    for stream in GROUP_STREAMS:  # the target learns the stream before its version
        schema = run.messages.index(run.schemas[stream])
        version = next(
            i
            for i, m in enumerate(run.messages)
            if m["type"] == "ACTIVATE_VERSION" and m["stream"] == stream
        )
        assert schema < version


def test_a_skipped_stream_is_not_activated(emulator: EmulatorProcess) -> None:
    # Without the user-group scope those streams are skipped: activating them would make a
    # target drop every group row it holds.
    scopes = emulator.config()["scopes"]
    emulator.config(
        scopes=[s for s in scopes if s != "ZohoCRM.settings.ALL"]
        + ["ZohoCRM.settings.territories.ALL"]
    )
    try:
        run = run_ok(emulator.config_for_tap())
    finally:
        emulator.config(scopes=scopes)
    assert "Skipping stream 'user_groups'" in run.stderr
    activated = {m["stream"] for m in activations(run)}
    assert not activated & GROUP_STREAMS
    assert {"territories", "territory_users"} <= activated


def test_not_after_a_connection_test(emulator: EmulatorProcess) -> None:
    run = run_ok(emulator.config_for_tap(), "--test")
    assert run.records  # --test writes one record per stream
    assert activations(run) == []


def test_not_for_streams_a_stopped_run_did_not_finish(emulator: EmulatorProcess) -> None:
    run = run_tap(emulator.config_for_tap(api_credit_budget=12, max_concurrency=1))
    assert run.returncode == 1
    completed = set(run.states[-1]["zoho_resume"]["completed_streams"])
    children = {
        "territories": {"territory_users"},
        "user_groups": {"user_group_sources_counts", "user_group_sources"},
    }
    finished = completed | {c for parent in completed for c in children.get(parent, set())}
    activated = {m["stream"] for m in activations(run)}
    assert activated <= finished
    assert FULL_TABLE - finished, "the budget should stop the run before the end"
