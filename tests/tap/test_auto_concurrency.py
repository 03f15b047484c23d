"""`max_concurrency: auto` in a tap run: the edition from GET /org sets the calls in flight."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import org_truth
from tests.support.tap_run import discover, run_tap, select
from zoho_crm_emulator.process import EmulatorProcess

# Enough pages in parallel (users, and a territory's users each) to fill any edition's limit.
ORG = ("--territories", "60", "--users", "2500", "--groups", "3", "--seed", "9")


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(*ORG, "--latency-ms", "30") as emu:
        yield emu


@pytest.fixture
def org(emulator: EmulatorProcess) -> Iterator[EmulatorProcess]:
    emulator.reset()
    emulator.config(latency_ms=30)
    yield emulator
    emulator.reset()


def config(emulator: EmulatorProcess, value: object = "auto") -> dict:
    return emulator.config_for_tap(max_concurrency=value, token_cache=False)


@pytest.mark.parametrize(("edition", "limit"), [("free", 5), ("professional", 15)])
def test_the_edition_sets_the_calls_in_flight(
    org: EmulatorProcess, edition: str, limit: int
) -> None:
    org.config(edition=edition)
    org.reset_stats()
    run = run_tap(config(org), env={"LOGLEVEL": "INFO"})
    assert run.returncode == 0, run.stderr[-3000:]
    stats = org.stats()
    assert stats["requests"]["GET /org"] == 1  # the organization stream's answer says it
    assert stats["max_in_flight"] <= limit
    if limit > 5:  # more than the default five were in flight at once
        assert stats["max_in_flight"] > 5
    assert f"the org's edition is {edition.capitalize()}, so at most {limit} calls" in run.stderr


def test_a_limit_below_the_editions_is_found_by_the_429s(org: EmulatorProcess) -> None:
    # Enterprise says 20; the org (another app sharing it, say) refuses more than 8.
    org.config(edition="enterprise", max_concurrency=8)
    run = run_tap(config(org))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Zoho answered 429 with" in run.stderr
    assert "for the rest of the run (max_concurrency)" in run.stderr
    state = org.state("users")
    ids = [r["id"] for r in run.records["users"] if r["status"] != "deleted"]
    assert sorted(ids) == sorted(u["id"] for u in org_truth.listed_users(state))


def test_no_edition_is_five(org: EmulatorProcess) -> None:
    granted = org.config()["scopes"]
    org.config(scopes=[s for s in granted if "org" not in s.lower()])
    run = run_tap(config(org))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "could not be read" in run.stderr
    assert "grant ZohoCRM.org.READ" in run.stderr
    assert org.stats()["max_in_flight"] <= 5


def test_a_number_is_kept(org: EmulatorProcess) -> None:
    org.reset_stats()
    run = run_tap(config(org, 3), env={"LOGLEVEL": "INFO"})
    assert run.returncode == 0, run.stderr[-3000:]
    stats = org.stats()
    assert stats["requests"]["GET /org"] == 1  # the organization stream's, no other
    assert stats["max_in_flight"] <= 3
    assert "max_concurrency auto" not in run.stderr


def test_without_the_organization_stream_auto_calls_get_org_itself(
    org: EmulatorProcess,
) -> None:
    org.config(edition="professional")
    catalog = select(discover(config(org)), "users")
    org.reset_stats()
    run = run_tap(config(org), catalog=catalog, env={"LOGLEVEL": "INFO"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert org.stats()["requests"]["GET /org"] == 1
    assert "edition is Professional, so at most 15 calls" in run.stderr
    assert "organization" not in run.records
