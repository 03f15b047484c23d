"""Faults: writes applied although the client saw an error, budgets, bad credentials."""

from __future__ import annotations

from tests.support.org import Org
from tests.support.target_run import SCHEMA, record, records, run_target, state
from zoho_crm_emulator.process import EmulatorProcess


def _change_set(org: Org) -> tuple[list, list, set]:
    territories = org.territories()
    held = org.assignments()
    users = org.active_users()[:40]
    adds = [(u, t) for t in territories[10:14] for u in users if (u, t) not in held]
    removes = sorted(
        (u, t)
        for u, t in held - set(org.managed())
        if t != org.root and u != org.me and t not in territories[10:14]
    )[:30]
    return adds, removes, (held | set(adds)) - set(removes)


def test_faults_after_processing_still_give_the_wanted_org(org: Org, tmp_path) -> None:
    adds, removes, wanted = _change_set(org)
    messages = [SCHEMA, *records(adds), *records(removes, "remove")]
    org.emulator.config(fault_rate=0.35, faults=["500", "drop", "429", "revoke"], fault_seed=11)
    try:
        run = run_target(org.config(max_retries=8), messages, tmp_path)
        stats = org.emulator.stats()
    finally:
        org.emulator.config(fault_rate=0.0)

    assert run.returncode == 0, run.stderr
    assert org.assignments() == wanted
    assert sum(stats["faults_injected"].values()) > 0
    assert set(run.outcomes) <= {"added", "removed", "unchanged"}
    assert run.outcomes["added"] + run.outcomes["removed"] + run.outcomes["unchanged"] == len(
        adds
    ) + len(removes)

    rerun = run_target(org.config(), messages, tmp_path)

    assert rerun.returncode == 0, rerun.stderr
    assert rerun.outcomes == {"unchanged": len(adds) + len(removes)}
    assert org.assignments() == wanted


def test_credit_budget_stops_the_run_without_state(org: Org, tmp_path) -> None:
    adds, removes, wanted = _change_set(org)
    messages = [SCHEMA, *records(adds), *records(removes, "remove"), state({"s": 1})]

    run = run_target(org.config(api_credit_budget=1, max_concurrency=1), messages, tmp_path)

    assert run.returncode == 2
    assert "api_credit_budget" in run.last_error_line
    assert run.states == []
    assert sum(org.writes().values()) == 1
    codes = {r["code"] for r in run.results if r["outcome"] == "failed"}
    assert codes <= {"NOT_SENT", "BUDGET_EXHAUSTED"}
    assert len(run.results) == len(adds) + len(removes)

    rerun = run_target(org.config(), messages, tmp_path)

    assert rerun.returncode == 0, rerun.stderr
    assert org.assignments() == wanted
    assert rerun.states == [{"s": 1}]


def test_bad_credentials_stop_the_run_with_the_reason(org: Org, tmp_path) -> None:
    territory = org.territories()[0]
    user = org.active_users()[0]
    messages = [SCHEMA, record(user, territory), state({"s": 1})]

    run = run_target(org.config(client_secret="wrong-secret"), messages, tmp_path)

    assert run.returncode == 2
    assert "invalid_client" in run.last_error_line
    assert run.states == []
    assert run.results[0]["outcome"] == "failed"
    assert "wrong-secret" not in run.stderr


def test_a_missing_scope_stops_the_run_and_names_the_scope(tmp_path) -> None:
    with EmulatorProcess("--scopes", "ZohoCRM.users.READ,ZohoCRM.settings.territories.READ") as em:
        state_before = em.state()["assignments"]
        user = next(u["id"] for u in em.state()["users"] if u["status"] == "active")
        territory = em.state()["territories"][1]["id"]
        messages = [SCHEMA, record(user, territory), state({"s": 1})]

        run = run_target(em.config_for_tap(), messages, tmp_path)

        assert run.returncode == 2
        assert "OAUTH_SCOPE_MISMATCH" in run.last_error_line
        # E11's scopes (zoho-api.md §2): either UPDATE scope, which the read-only token lacks.
        assert (
            "Needed: the OAuth scope ZohoCRM.users.UPDATE or ZohoCRM.settings.territories.UPDATE"
            in run.last_error_line
        )
        assert run.states == []
        assert run.results[0]["code"] == "OAUTH_SCOPE_MISMATCH"
        assert em.state()["assignments"] == state_before
