"""The tap under real conditions: state, paging, expiring tokens, missing scopes, faults, limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support import org_truth
from tests.support.tap_run import SECRETS, discover, run_tap, select
from zoho_crm_api.values import parse_time
from zoho_crm_emulator.process import EmulatorProcess

SMALL_ORG = ("--territories", "25", "--users", "300", "--groups", "4", "--seed", "11")


def pairs(run: Any) -> set[tuple[str, str]]:
    return {(r["territory_id"], r["id"]) for r in run.records["territory_users"]}


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(*SMALL_ORG) as emu:
        yield emu


@pytest.fixture(scope="module")
def clean_run(emulator: EmulatorProcess) -> Any:
    run = run_tap(emulator.config_for_tap())
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def test_incremental_territories_use_filters_and_state(emulator: EmulatorProcess) -> None:
    # With ACTIVATE_VERSION on (the default) territories is read in full, to find deletions.
    config = emulator.config_for_tap(emit_activate_version_messages=False)
    catalog = select(discover(config), "territories")
    first = run_tap(config, catalog=catalog)
    assert first.returncode == 0, first.stderr[-2000:]
    times = sorted(parse_time(r["modified_time"]) for r in first.records["territories"])
    bookmark = first.states[-1]["bookmarks"]["territories"]["replication_key_value"]
    assert parse_time(bookmark) == times[-1]

    # From a bookmark in the middle only the later territories come back (a second's overlap).
    middle = times[len(times) // 2]
    state = {
        "bookmarks": {
            "territories": {
                "replication_key": "modified_time",
                "replication_key_value": middle.isoformat(),
            }
        }
    }
    second = run_tap(config, catalog=catalog, state=state)
    assert second.returncode == 0, second.stderr[-2000:]
    got = [parse_time(r["modified_time"]) for r in second.records["territories"]]
    assert got
    assert all(t >= middle for t in got)
    assert len(got) == sum(1 for t in times if t >= middle)

    # From the final bookmark: nothing new but the overlap.
    third = run_tap(config, catalog=catalog, state=first.states[-1])
    assert [parse_time(r["modified_time"]) for r in third.records["territories"]] == [
        t for t in times if t >= times[-1]
    ]


def listed(run: Any) -> list[dict[str, Any]]:
    """The users of AllUsers (the deleted users, read in full each run, aside)."""
    return [r for r in run.records["users"] if r["status"] != "deleted"]


def deleted(run: Any) -> set[str]:
    return {r["id"] for r in run.records["users"] if r["status"] == "deleted"}


def test_incremental_users_use_if_modified_since(emulator: EmulatorProcess) -> None:
    config = emulator.config_for_tap()
    catalog = select(discover(config), "users")
    first = run_tap(config, catalog=catalog)
    assert first.returncode == 0
    final_state = first.states[-1]
    times = sorted(parse_time(r["modified_time"]) for r in listed(first))
    assert parse_time(final_state["bookmarks"]["users"]["replication_key_value"]) == times[-1]
    truth = {u["id"] for u in emulator.state()["users"] if u["status"] == "deleted"}
    assert truth
    assert deleted(first) == truth

    middle = times[len(times) // 2]
    state = {
        "bookmarks": {
            "users": {"replication_key": "modified_time", "replication_key_value": str(middle)}
        }
    }
    second = run_tap(config, catalog=catalog, state=state)
    assert second.returncode == 0
    got = sorted(parse_time(r["modified_time"]) for r in listed(second))
    assert got == [t for t in times if t >= middle]
    assert deleted(second) == truth

    # Far in the future: Zoho answers 304 Not Modified; no records, the bookmark is kept.
    future = {
        "bookmarks": {
            "users": {
                "replication_key": "modified_time",
                "replication_key_value": "2099-01-01T00:00:00+00:00",
            }
        }
    }
    third = run_tap(config, catalog=catalog, state=future)
    assert third.returncode == 0
    assert not listed(third)
    assert deleted(third) == truth  # and they do not pull the bookmark back
    assert third.states[-1]["bookmarks"]["users"]["replication_key_value"].startswith("2099")


def test_a_territory_with_more_than_one_page_of_users(emulator: EmulatorProcess) -> None:
    with EmulatorProcess(*SMALL_ORG) as emu:
        state = emu.state()
        territory = state["territories"][-1]["id"]
        have = {a["user_id"] for a in state["assignments"] if a["territory_id"] == territory}
        current = state["current_user_id"]
        active = [
            u["id"]
            for u in state["users"]
            if u["status"] == "active" and u["id"] not in have and u["id"] != current
        ][:250]
        token = emu.access_token()
        for start in range(0, len(active), 100):
            body = {"users": [{"id": uid} for uid in active[start : start + 100]]}
            answer = requests.put(
                f"{emu.url}/crm/v8/settings/territories/{territory}/users",
                json=body,
                headers={"Authorization": f"Zoho-oauthtoken {token}"},
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
        truth = emu.state()
        assert sum(1 for a in truth["assignments"] if a["territory_id"] == territory) > 200
        config = emu.config_for_tap()
        emu.reset_stats()
        run = run_tap(config, catalog=select(discover(config), "territory_users"))
        assert run.returncode == 0, run.stderr[-2000:]
        assert pairs(run) == org_truth.assignment_pairs(truth)
        calls = emu.stats()["requests"]["GET /settings/territories/{id}/users"]
        assert calls == len(truth["territories"]) + 1  # the big territory needs two pages


def test_token_expiring_during_the_sync(clean_run: Any) -> None:
    # Two-second tokens; ~39 calls of 200 ms, two at a time: about 4 s, so the token
    # expires twice mid-sync.
    with EmulatorProcess(*SMALL_ORG, "--token-ttl", "2", "--latency-ms", "200") as emu:
        run = run_tap(emu.config_for_tap(max_concurrency=2))
        assert run.returncode == 0, run.stderr[-2000:]
        assert pairs(run) == pairs(clean_run)
        assert emu.stats()["requests"]["POST /oauth/v2/token"] >= 3
        assert len(run.records["users"]) == len(clean_run.records["users"])


def test_revoked_refresh_token_fails_clearly() -> None:
    with EmulatorProcess("--org", "sample") as emu:
        emu.revoke_refresh_token()
        run = run_tap(emu.config_for_tap())
    assert run.returncode == 1
    assert "invalid_code" in run.stderr
    assert "generate a new one" in run.stderr
    assert "Traceback" not in run.stderr
    assert not run.records


def test_wrong_client_secret_names_the_data_center() -> None:
    with EmulatorProcess("--org", "sample") as emu:
        run = run_tap(emu.config_for_tap(client_secret="not-the-secret"))
    assert run.returncode == 1
    assert "invalid_client" in run.stderr
    assert "data_center" in run.stderr
    assert "not-the-secret" not in run.stderr


def test_missing_scope_skips_only_what_it_guards() -> None:
    scopes = "ZohoCRM.settings.territories.READ,ZohoCRM.settings.user_groups.READ"
    with EmulatorProcess("--org", "sample", "--scopes", scopes) as emu:
        run = run_tap(emu.config_for_tap())
    assert run.returncode == 0, run.stderr[-2000:]
    assert {"territories", "user_groups", "user_group_sources"} <= set(run.records)
    for stream in ("users", "territory_users", "territory_associated_user_counts"):
        assert stream not in run.records
        assert f"Skipping stream '{stream}'" in run.stderr
    assert "OAUTH_SCOPE_MISMATCH" in run.stderr
    assert "ZohoCRM.users" in run.stderr
    # One warning per stream, not one per territory.
    assert run.stderr.count("Skipping stream 'territory_users'") == 1


def test_missing_scope_costs_few_calls() -> None:
    """A stream found unreadable stops calling, although its children were being prefetched."""
    scopes = "ZohoCRM.settings.territories.READ,ZohoCRM.settings.user_groups.READ"
    with EmulatorProcess(*SMALL_ORG, "--scopes", scopes, "--latency-ms", "20") as emu:
        config = emu.config_for_tap(max_concurrency=2)
        run = run_tap(config, catalog=select(discover(config), "territory_users"))
        calls = emu.stats()["requests"].get("GET /settings/territories/{id}/users", 0)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Skipping stream 'territory_users'" in run.stderr
    assert 1 <= calls <= 3  # the first refusal, and at most what was already in flight


def test_territories_disabled_skips_territory_streams() -> None:
    with EmulatorProcess("--org", "sample", "--disable-territories") as emu:
        run = run_tap(emu.config_for_tap())
    assert run.returncode == 0, run.stderr[-2000:]
    assert {"users", "user_groups"} <= set(run.records)
    assert "territories" not in run.records
    assert "FEATURE_NOT_ENABLED" in run.stderr
    assert "Territory Management" in run.stderr


@pytest.mark.parametrize("faults", ["500", "429", "500,429,drop"])
def test_transient_errors_are_retried(clean_run: Any, faults: str) -> None:
    with EmulatorProcess(
        *SMALL_ORG, "--fault-rate", "0.2", "--faults", faults, "--fault-seed", "5"
    ) as emu:
        run = run_tap(emu.config_for_tap(max_retries=8))
        injected = emu.stats()["faults_injected"]
    assert run.returncode == 0, run.stderr[-2000:]
    assert sum(injected.values()) > 5
    for stream, records in clean_run.records.items():
        assert len(run.records[stream]) == len(records), stream
    assert pairs(run) == pairs(clean_run)
    assert "retry" in run.stderr


def test_runs_in_parallel_within_the_limit() -> None:
    with EmulatorProcess(*SMALL_ORG, "--latency-ms", "30", "--max-concurrency", "10") as emu:
        run = run_tap(emu.config_for_tap(max_concurrency=10))
        stats = emu.stats()
    assert run.returncode == 0, run.stderr[-2000:]
    assert "429" not in stats["responses"]
    assert stats["max_in_flight"] >= 8


def test_credit_budget_stops_cleanly_with_state() -> None:
    with EmulatorProcess(*SMALL_ORG) as emu:
        run = run_tap(emu.config_for_tap(api_credit_budget=12))
        used = emu.stats()["credits_used"]
    assert run.returncode == 1
    assert "api_credit_budget of 12 credits reached" in run.stderr
    assert used <= 12
    assert run.states, "STATE must be written before stopping"
    for secret in SECRETS:
        assert secret not in run.stderr


def test_a_stopped_run_resumes_without_rereading_completed_streams(clean_run: Any) -> None:
    with EmulatorProcess(*SMALL_ORG) as emu:
        first = run_tap(emu.config_for_tap(api_credit_budget=20))
        assert first.returncode == 1
        marker = first.states[-1]["zoho_resume"]
        done = set(marker["completed_streams"])
        assert "Re-run with the last STATE to continue" in first.stderr
        assert done, "streams finished before the budget ran out are recorded"

        second = run_tap(emu.config_for_tap(), state=first.states[-1])
    assert second.returncode == 0, second.stderr[-2000:]
    assert "Resuming the run stopped at" in second.stderr
    assert "zoho_resume" not in second.states[-1]
    assert not done & set(second.records)
    # Together the two runs deliver every stream of a clean sync, each completely.
    for stream, records in clean_run.records.items():
        source = first if stream in done else second
        assert len(source.records[stream]) == len(records), stream


def test_a_misspelt_setting_is_refused_before_any_call() -> None:
    with EmulatorProcess("--org", "sample") as emu:
        run = run_tap(emu.config_for_tap(max_concurency=3))
        calls = emu.stats()["total_requests"]
    assert run.returncode == 1
    assert "did you mean 'max_concurrency'" in run.stderr
    assert "Traceback" not in run.stderr
    assert calls == 0
