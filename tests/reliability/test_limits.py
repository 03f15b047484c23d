"""Zoho's limits during long runs: short-lived tokens, the refresh throttle, credits, budgets.

- Access tokens living 2 s while the tap syncs and the target writes: both finish, complete.
- The accounts server throttling refreshes ("Access Denied"): both wait it out and finish.
- The org's API credits running out mid-sync (`--credits`): the tap stops at once (no
  pointless retries: credits come back over 24 hours) with a clear message and STATE marking
  what it completed; once credits are back the next run delivers the rest. The target stops
  the same way, without STATE for the batch, and a re-run finishes the job.
- `api_credit_budget` is honoured even while faults make the client retry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.loopback import retry_after_host, tap_config
from tests.support.org import GENERATED, Org
from tests.support.tap_run import TapRun, discover, run_tap, select
from tests.support.target_run import SCHEMA, record, run_target, state
from zoho_crm_emulator.process import EmulatorProcess

TAP_ORG = ("--territories", "20", "--users", "400", "--groups", "4", "--seed", "17")
CREDITS_MESSAGE = "the org's Zoho API credits are used up"


def canonical(records: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in records)


@pytest.fixture(scope="module")
def tap_emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(*TAP_ORG, "--refresh-limit", "10000") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def clean(tap_emulator: EmulatorProcess) -> TapRun:
    run = run_tap(tap_emulator.config_for_tap())
    assert run.returncode == 0, run.stderr[-2000:]
    return run


@pytest.fixture
def emulator(tap_emulator: EmulatorProcess) -> Iterator[EmulatorProcess]:
    """The module's emulator with default limits, stats reset, restored afterwards."""
    tap_emulator.reset_stats()
    yield tap_emulator
    tap_emulator.config(
        token_ttl=3600,
        latency_ms=0,
        credits=None,
        fault_rate=0,
        refresh_limit=10000,
        refresh_window=600,
    )


def test_tap_with_two_second_tokens_and_a_throttled_accounts_server(
    emulator: EmulatorProcess, clean: TapRun
) -> None:
    # Tokens live 2 s (refreshed every 1.5 s) through a sync of several seconds (about 35
    # calls, one at a time), and the accounts server grants 2 tokens per 4 s: the tap must
    # wait for the throttle to lift.
    emulator.config(token_ttl=2, latency_ms=150, refresh_limit=2, refresh_window=4)

    run = run_tap(emulator.config_for_tap(max_concurrency=1))
    stats = emulator.stats()

    assert run.returncode == 0, run.stderr[-3000:]
    assert stats["requests"]["POST /oauth/v2/token"] >= 3
    assert "Zoho throttled token refresh (Access Denied): Zoho allows 10" in run.stderr
    assert "; waiting until " in run.stderr
    for stream, records in clean.records.items():
        assert canonical(run.records[stream]) == canonical(records), stream


def test_tap_stops_when_the_orgs_credits_run_out_and_the_next_run_continues(
    emulator: EmulatorProcess, clean: TapRun
) -> None:
    total = sum(n for k, n in clean_calls(emulator, clean).items())
    emulator.config(credits=total // 2)
    emulator.reset_stats()

    first = run_tap(emulator.config_for_tap(max_concurrency=3))
    stats = emulator.stats()

    assert first.returncode == 1
    error = [line for line in first.stderr.splitlines() if CREDITS_MESSAGE in line]
    assert error, first.stderr[-3000:]
    assert "rolling 24 hours" in error[0]
    assert "Traceback" not in first.stderr
    # Stopped at Zoho's first "no credit left": nothing retried or sent after it.
    assert stats["rejected"]["credits"] <= 3  # the calls already in flight
    marker = first.states[-1]["zoho_resume"]
    done = set(marker["completed_streams"])
    assert done, "streams completed before the credits ran out are recorded"
    assert set(clean.records) - done, "the credits ran out before the end"

    emulator.config(credits=None)  # the next day
    second = run_tap(emulator.config_for_tap(), state=first.states[-1])

    assert second.returncode == 0, second.stderr[-3000:]
    assert not done & set(second.records)  # completed streams are not read again
    for stream, records in clean.records.items():
        source = first if stream in done else second
        assert canonical(source.records[stream]) == canonical(records), stream
    assert "zoho_resume" not in second.states[-1]


def test_pages_already_fetched_are_written_when_the_credits_run_out(
    emulator: EmulatorProcess, clean: TapRun
) -> None:
    # The users count and the first users page, the territories page (one) and the deleted
    # users' page go out together; the second users page (asked for once the count is in)
    # finds no credit left. The territories page was fetched and paid for: it is written, and
    # STATE says territories completed, users not.
    config = emulator.config_for_tap(max_concurrency=4)
    catalog = select(discover(config), "users", "territories")
    emulator.config(credits=4, latency_ms=300)
    emulator.reset_stats()

    run = run_tap(config, catalog=catalog)

    assert run.returncode == 1
    assert CREDITS_MESSAGE in run.stderr
    assert canonical(run.records["territories"]) == canonical(clean.records["territories"])
    assert 0 < len(run.records["users"]) < len(clean.records["users"])
    marker = run.states[-1]["zoho_resume"]
    assert marker["completed_streams"] == ["territories"]
    assert run.states[-1]["bookmarks"].get("users", {}).get("replication_key_value") is None
    assert "Streams completed: territories." in run.stderr


def test_a_retry_after_beyond_max_retry_after_stops_cleanly_with_state() -> None:
    with retry_after_host(100000) as host:
        run = run_tap(tap_config(host, max_concurrency=1))
        api_calls = [r for r in host.received if r.path.startswith("/crm/")]
    assert run.returncode == 1
    assert "Zoho asked to retry after 100000 s (Retry-After), longer than max_retry_after" in (
        run.stderr
    )
    assert "zoho_resume" in run.states[-1]
    assert len(api_calls) == 1  # not retried, and nothing more sent after it


def clean_calls(emulator: EmulatorProcess, clean: TapRun) -> dict[str, int]:
    """API calls of a clean sync (measured once on this emulator)."""
    emulator.reset_stats()
    run = run_tap(emulator.config_for_tap())
    assert run.returncode == 0
    calls = {k: n for k, n in emulator.stats()["requests"].items() if not k.startswith("POST")}
    assert sum(calls.values()) > 20
    return calls


@pytest.mark.parametrize("budget", [15, 40])
def test_tap_budget_is_honoured_under_faults(emulator: EmulatorProcess, budget: int) -> None:
    emulator.config(fault_rate=0.2, faults=["500", "429", "drop"], fault_seed=budget)

    run = run_tap(emulator.config_for_tap(api_credit_budget=budget))
    stats = emulator.stats()

    assert run.returncode == 1
    assert f"api_credit_budget of {budget} credits reached" in run.stderr
    assert stats["credits_used"] <= budget
    assert sum(stats["faults_injected"].values()) > 0
    assert "zoho_resume" in run.states[-1]


# The target ----------------------------------------------------------------------------------


ORG_ARGS = (*GENERATED, "--seed", "31")


def adds(org: Org, count: int) -> list[tuple[str, str]]:
    """`count` pairs to add, spread over users and territories (many write calls)."""
    held = org.assignments()
    pairs = [
        (u, t)
        for n, t in enumerate(org.territories())
        for u in org.active_users()[n * 5 : n * 5 + 40]
        if (u, t) not in held
    ]
    assert len(pairs) >= count
    return pairs[:count]


def test_target_with_two_second_tokens_and_a_throttled_accounts_server(org: Org, tmp_path) -> None:
    # About 150 write calls of 60 ms, two at a time: several seconds with 2-second tokens.
    pairs = adds(org, 150)
    messages: list[dict[str, Any]] = [SCHEMA]
    for n, pair in enumerate(pairs, start=1):
        messages.append(record(*pair))
        if n % 30 == 0:
            messages.append(state({"n": n}))
    org.emulator.config(token_ttl=2, latency_ms=60, refresh_limit=2, refresh_window=4)

    run = run_target(
        org.config(batch_size_rows=30, max_concurrency=2, write_via="user"), messages, tmp_path
    )

    assert run.returncode == 0, run.stderr[-3000:]
    assert run.outcomes == {"added": len(pairs)}
    assert set(pairs) <= org.assignments()
    assert org.emulator.stats()["requests"]["POST /oauth/v2/token"] >= 3
    assert "Zoho throttled token refresh (Access Denied): Zoho allows 10" in run.stderr
    assert "; waiting until " in run.stderr
    assert run.states[-1] == {"n": 150}


def test_target_stops_when_the_orgs_credits_run_out_and_a_rerun_finishes(
    org: Org, tmp_path
) -> None:
    pairs = adds(org, 120)
    messages = [SCHEMA, *(record(*pair) for pair in pairs), state({"all": 120})]
    org.emulator.config(credits=10)

    run = run_target(
        org.config(write_via="user", max_concurrency=2, max_retries=8), messages, tmp_path
    )

    assert run.returncode == 2
    assert CREDITS_MESSAGE in run.last_error_line
    assert run.states == []
    assert len(run.results) == len(pairs)  # every record answered
    codes = {r["code"] for r in run.results if r["outcome"] == "failed"}
    assert codes <= {"CREDITS_EXHAUSTED", "NOT_SENT"}
    assert "CREDITS_EXHAUSTED" in codes
    written = {(r["user_id"], r["territory_id"]) for r in run.results if r["outcome"] == "added"}
    assert written
    assert written <= org.assignments()
    # Nothing retried or sent after Zoho's first "no credit left" (but the calls in flight).
    assert org.emulator.stats()["rejected"]["credits"] <= 2

    org.emulator.config(credits=None)
    rerun = run_target(org.config(), messages, tmp_path)

    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert set(pairs) <= org.assignments()
    assert rerun.states == [{"all": 120}]


def test_target_budget_is_honoured_under_faults(org: Org, tmp_path) -> None:
    pairs = adds(org, 150)
    messages = [SCHEMA, *(record(*pair) for pair in pairs), state({"all": 150})]
    org.emulator.config(fault_rate=0.2, faults=["500", "429", "drop"], fault_seed=8)
    org.emulator.reset_stats()

    run = run_target(org.config(api_credit_budget=12, write_via="user"), messages, tmp_path)

    assert run.returncode == 2
    assert "api_credit_budget of 12 credits reached" in run.last_error_line
    assert org.emulator.stats()["credits_used"] <= 12
    assert run.states == []
    assert len(run.results) == len(pairs)


# Both plugins: the token cache -------------------------------------------------------------------


def test_twenty_runs_in_a_row_make_one_token_request_and_never_wait(tmp_path: Path) -> None:
    # Zoho allows 10 new access tokens per 10 minutes (the emulator's default limit); a token
    # kept in the cache serves every run of either plugin until it expires.
    cache = tmp_path / "cache" / "tokens.json"
    ravi, parent = "431581000000291001", "431581000000744159"  # sample org, not yet assigned
    with EmulatorProcess("--org", "sample") as emulator:
        config = emulator.config_for_tap(token_cache=str(cache))
        for n in range(20):
            if n % 2 == 0:
                run: Any = run_tap(config)
                assert len(run.records["territories"]) == 7
            else:
                run = run_target(config, [SCHEMA, record(ravi, parent)], tmp_path)
                assert run.outcomes == {"added" if n == 1 else "unchanged": 1}
            assert run.returncode == 0, run.stderr[-3000:]
            assert "Zoho throttled" not in run.stderr
        stats = emulator.stats()
        issued = emulator.issued_tokens()
    assert stats["requests"]["POST /oauth/v2/token"] == 1
    assert "Reusing the cached Zoho access token" in run.stderr
    assert "Zoho token requests: 0 (POST /oauth/v2/token; cached tokens reused: 1)" in run.stderr
    text = cache.read_text()
    for secret in (config["client_secret"], config["refresh_token"]):
        assert secret not in text
    assert issued[0] in text
    assert oct(cache.stat().st_mode & 0o777) == "0o600"
