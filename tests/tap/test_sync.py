"""Full syncs against the emulator: every stream complete and equal to the org it serves."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import org_truth
from tests.support.tap_run import SECRETS, TapRun, discover, run_tap, select
from zoho_crm_emulator.process import EmulatorProcess

DEFAULT_STREAMS = {
    "territories",
    "territory_users",
    "territory_associated_user_counts",
    "users",
    "user_groups",
    "user_group_associated_user_counts",
    "user_group_sources_counts",
    "user_group_sources",
    "roles",
    "profiles",
    "organization",
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    # 900 users: the users stream spans 5 pages of 200; 60 territories, 8 groups.
    with EmulatorProcess(
        "--territories", "60", "--users", "900", "--groups", "8", "--seed", "7"
    ) as emu:
        yield emu


@pytest.fixture(scope="module")
def state(emulator: EmulatorProcess) -> dict[str, Any]:
    return emulator.state()


@pytest.fixture(scope="module")
def full_run(emulator: EmulatorProcess) -> tuple[TapRun, dict[str, Any]]:
    emulator.reset_stats()
    run = run_tap(emulator.config_for_tap(max_concurrency=4), env={"LOGLEVEL": "DEBUG"})
    assert run.returncode == 0, run.stderr[-3000:]
    return run, emulator.stats()


def test_default_streams_are_emitted(full_run: tuple[TapRun, dict]) -> None:
    run, _ = full_run
    assert set(run.records) == DEFAULT_STREAMS
    assert set(run.schemas) == DEFAULT_STREAMS


def test_territories_match_the_org(full_run: tuple[TapRun, dict], state: dict) -> None:
    records = {r["id"]: r for r in full_run[0].records["territories"]}
    truth = {t["id"]: t for t in state["territories"]}
    assert records.keys() == truth.keys()
    for tid, territory in truth.items():
        record = records[tid]
        parent = territory["reporting_to"]
        assert record["parent_id"] == (parent["id"] if parent else None)
        assert record["name"] == territory["name"]
        assert record["manager"] == territory["manager"]
        assert org_truth.same_instant(record["modified_time"], territory["modified_time"])


def test_every_assignment_is_read(full_run: tuple[TapRun, dict], state: dict) -> None:
    records = full_run[0].records["territory_users"]
    pairs = [(r["territory_id"], r["id"]) for r in records]
    assert len(pairs) == len(set(pairs)), "a territory user was emitted twice"
    assert set(pairs) == org_truth.assignment_pairs(state)


def test_territory_counts_are_integers_and_exact(
    full_run: tuple[TapRun, dict], state: dict
) -> None:
    records = full_run[0].records["territory_associated_user_counts"]
    assert all(isinstance(r["count"], int) for r in records)
    assert {r["territory_id"]: r["count"] for r in records} == {
        tid: n
        for tid, n in org_truth.territory_counts(state).items()
        if n or tid in {r["territory_id"] for r in records}
    }
    assert len(records) == len({r["territory_id"] for r in records})


def test_users_match_the_org(full_run: tuple[TapRun, dict], state: dict) -> None:
    # AllUsers (active and inactive), then the deleted users (type=DeletedUsers).
    records = {r["id"]: r for r in full_run[0].records["users"]}
    truth = {u["id"]: u for u in state["users"]}
    assert records.keys() == truth.keys()
    assert {uid: r["status"] for uid, r in records.items()} == {
        uid: u["status"] for uid, u in truth.items()
    }
    assert "deleted" in {r["status"] for r in records.values()}
    for uid, user in truth.items():
        record = records[uid]
        # Zoho's mixed casing becomes lower case; `$` prefixes are dropped.
        assert org_truth.same_instant(record["modified_time"], user["Modified_Time"])
        assert record["modified_by"] == user["Modified_By"]
        assert record["reporting_to"] == user.get("Reporting_To")
        assert "current_shift" in record
        assert not any(k.startswith("$") or k != k.lower() for k in record)


def test_user_groups_and_their_counts(full_run: tuple[TapRun, dict], state: dict) -> None:
    records = full_run[0].records
    assert {g["id"] for g in records["user_groups"]} == {g["id"] for g in state["user_groups"]}
    counts = {r["user_group_id"]: r["count"] for r in records["user_group_associated_user_counts"]}
    assert counts == org_truth.group_user_counts(state)
    sources_counts = {r["user_group_id"]: r for r in records["user_group_sources_counts"]}
    for group in state["user_groups"]:
        expected = group["sources_count"]
        got = sources_counts[group["id"]]
        assert got["users"] == expected["users"]
        assert (got["roles"], got["territories"], got["groups"]) == (
            expected["roles"],
            expected["territories"],
            expected["groups"],
        )
    sources = {
        (r["user_group_id"], r["type"], r["source_id"]) for r in records["user_group_sources"]
    }
    assert sources == org_truth.group_sources(state)


def test_fewest_calls(full_run: tuple[TapRun, dict], state: dict) -> None:
    """One call per page at each endpoint's largest page size, and the one count (E9) that
    lets every users page be fetched at once; nothing more."""
    _, stats = full_run
    pages = lambda n, size: max(1, -(-n // size))  # noqa: E731
    per_territory = Counter(a["territory_id"] for a in state["assignments"])
    expected = {
        "GET /settings/territories": pages(len(state["territories"]), 2000),
        "GET /settings/territories/{id}/users": sum(
            pages(per_territory.get(t["id"], 0), 200) for t in state["territories"]
        ),
        "GET /settings/territories/actions/associated_users_count": pages(
            len(state["territories"]), 200
        ),
        "GET /users": pages(len(org_truth.listed_users(state)), 200)
        + pages(len(org_truth.deleted_users(state)), 200),  # the deleted users: 1 call per 200
        "GET /users/actions/count": 1,
        "GET /settings/user_groups": pages(len(state["user_groups"]), 200),
        "GET /settings/user_groups/actions/associated_users_count": pages(
            len(state["user_groups"]), 200
        ),
        "GET /settings/user_groups/{id}/actions/sources_count": len(state["user_groups"]),
        "GET /settings/user_groups/{id}/sources": sum(
            pages(len(g["sources"]), 200) for g in state["user_groups"]
        ),
        # roles, profiles and the org: one call each (no paging).
        "GET /settings/roles": 1,
        "GET /settings/profiles": 1,
        "GET /org": 1,
    }
    calls = {k: v for k, v in stats["requests"].items() if not k.startswith("POST /oauth")}
    assert calls == expected
    assert stats["requests"]["POST /oauth/v2/token"] == 1


def test_no_secret_in_debug_logs_or_output(full_run: tuple[TapRun, dict]) -> None:
    run, _ = full_run
    assert "DEBUG" in run.stderr
    for secret in SECRETS:
        assert secret not in run.stderr
        assert secret not in run.stdout
    assert "Zoho-oauthtoken 1000." not in run.stderr


def test_calls_are_summarised_on_stderr(full_run: tuple[TapRun, dict]) -> None:
    run, stats = full_run
    assert f"Zoho API calls: {stats['total_requests']}" in run.stderr
    assert "GET /settings/territories/{id}/users" in run.stderr
    # The endpoint lines add up to the total; token requests are a line of their own.
    lines = run.stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if "Zoho API calls:" in line)
    end = next(i for i, line in enumerate(lines) if line.startswith("Zoho token requests:"))
    endpoint_lines = lines[start + 1 : end]
    assert sum(int(line.split()[0]) for line in endpoint_lines) == stats["total_requests"]
    assert not any("oauth" in line for line in endpoint_lines)
    tokens = stats["requests"]["POST /oauth/v2/token"]
    assert lines[end] == f"Zoho token requests: {tokens} (POST /oauth/v2/token)"


def test_schema_once_per_stream(full_run: tuple[TapRun, dict]) -> None:
    schemas = Counter(m["stream"] for m in full_run[0].messages if m["type"] == "SCHEMA")
    assert set(schemas.values()) == {1}


def test_discovery_lists_every_stream_without_calls(emulator: EmulatorProcess) -> None:
    emulator.reset_stats()
    catalog = discover(emulator.config_for_tap())
    streams = {s["tap_stream_id"]: s for s in catalog["streams"]}
    assert set(streams) == DEFAULT_STREAMS | {"user_territories"}
    assert streams["territory_users"]["key_properties"] == ["territory_id", "id"]
    assert streams["user_group_sources"]["key_properties"] == [
        "user_group_id",
        "type",
        "source_id",
    ]
    assert streams["territories"]["replication_key"] == "modified_time"
    assert streams["users"]["replication_key"] == "modified_time"
    top = {
        s: next(m["metadata"] for m in e["metadata"] if m["breadcrumb"] == [])
        for s, e in streams.items()
    }
    assert top["user_territories"].get("selected-by-default") is False
    assert emulator.stats()["total_requests"] == 0


def test_one_stream_selected(emulator: EmulatorProcess, state: dict) -> None:
    catalog = select(discover(emulator.config_for_tap()), "user_groups")
    emulator.reset_stats()
    run = run_tap(emulator.config_for_tap(), catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    assert set(run.records) == {"user_groups"}
    assert set(emulator.stats()["requests"]) == {
        "GET /settings/user_groups",
        "POST /oauth/v2/token",
    }


def test_child_selected_without_its_parent(emulator: EmulatorProcess, state: dict) -> None:
    catalog = select(discover(emulator.config_for_tap()), "territory_users")
    run = run_tap(emulator.config_for_tap(), catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    assert set(run.records) == {"territory_users"}
    pairs = {(r["territory_id"], r["id"]) for r in run.records["territory_users"]}
    assert pairs == org_truth.assignment_pairs(state)


def test_user_territories_when_selected(emulator: EmulatorProcess, state: dict) -> None:
    catalog = select(discover(emulator.config_for_tap()), "user_territories")
    emulator.reset_stats()
    run = run_tap(emulator.config_for_tap(max_concurrency=8), catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    records = run.records["user_territories"]
    assert {(r["id"], r["user_id"]) for r in records} == org_truth.assignment_pairs(state)
    by_id = {t["id"]: t for t in state["territories"]}
    for record in records:
        territory = by_id[record["id"]]
        assert record["name"] == territory["name"]
        assert record["manager"]["id"] == territory["manager"]["id"]
        assert record["parent_id"] == (territory["reporting_to"] or {}).get("id")
    users_with_territories = {a["user_id"] for a in state["assignments"]}
    calls = emulator.stats()["requests"]
    # Fewer territories than users: derived from E1 and E5 (tests/tap/test_derived.py), not
    # one E10 call per listed user.
    assert calls.get("GET /users/{id}/territories", 0) == 0
    e1_e5 = calls["GET /settings/territories"] + calls["GET /settings/territories/{id}/users"]
    assert len(state["territories"]) < e1_e5 < len(org_truth.listed_users(state))
    assert users_with_territories <= {u["id"] for u in org_truth.listed_users(state)}
