"""Every rejection and failure outcome, matched to its record; exit codes."""

from __future__ import annotations

import pytest

from tests.support.org import Org
from tests.support.target_run import SCHEMA, STREAM, record, records, run_target_in_process


def _input_record(body: dict) -> dict:
    return {"type": "RECORD", "stream": STREAM, "record": body}


REJECTED = [
    ({"user_id": "12a", "territory_id": "1"}, "user_id must contain only digits, got '12a'"),
    ({"user_id": "", "territory_id": "1"}, "user_id is empty"),
    ({"user_id": "1", "territory_id": "1" * 20}, "territory_id has 20 digits"),
    ({"user_id": 5996191000010000001, "territory_id": "1"}, "user_id must be a string"),
    ({"territory_id": "1"}, "user_id is missing"),
    ({"user_id": "1"}, "territory_id is missing"),
    ({"user_id": "1", "territory_id": None}, "territory_id is empty (null)"),
    ({"user_id": "1", "territory_id": "2", "action": "delete"}, "action must be 'add' or"),
    ({"user_id": "1", "territory_id": "2", "action": 1}, "got 1"),
]


def test_invalid_records_are_rejected_and_never_sent(org: Org, tmp_path) -> None:
    messages = [SCHEMA, *(_input_record(body) for body, _ in REJECTED)]

    run = run_target_in_process(org.config(), messages, tmp_path)

    assert run.returncode == 1
    assert org.calls() == {}
    assert run.outcomes == {"rejected": len(REJECTED)}
    results = run.by_line()
    for line, (body, reason) in enumerate(REJECTED, start=2):
        assert results[line]["code"] == "INVALID_INPUT"
        assert reason in results[line]["message"], results[line]["message"]
        assert results[line]["record"] == body
    assert f"{len(REJECTED)} record(s) were rejected" in run.last_error_line


def test_rejections_do_not_stop_valid_records(org: Org, tmp_path) -> None:
    territory = org.territories()[0]
    user = org.not_assigned(territory, org.active_users())[0]
    messages = [SCHEMA, _input_record({"user_id": "x", "territory_id": territory})]
    messages.append(record(user, territory, "Add"))

    run = run_target_in_process(org.config(allow_failures=True), messages, tmp_path)

    assert run.returncode == 0, run.stderr
    assert run.outcomes == {"rejected": 1, "added": 1}
    assert (user, territory) in org.assignments()


def test_sdc_deleted_at_means_remove(org: Org, tmp_path) -> None:
    user, territory = next(
        (u, t)
        for u, t in sorted(org.assignments() - set(org.managed()))
        if t != org.root and u != org.me
    )
    messages = [
        SCHEMA,
        _input_record(
            {"user_id": user, "territory_id": territory, "_sdc_deleted_at": "2024-01-01T00:00:00Z"}
        ),
    ]

    run = run_target_in_process(org.config(), messages, tmp_path)

    assert run.returncode == 0, run.stderr
    assert run.results[0]["action"] == "remove"
    assert run.results[0]["outcome"] == "removed"
    assert (user, territory) not in org.assignments()


def test_superseded_records_get_a_result(org: Org, tmp_path) -> None:
    territory = org.territories()[2]
    user = org.not_assigned(territory, org.active_users())[0]
    messages = [
        SCHEMA,
        record(user, territory),
        record(user, territory, "remove"),
        record(user, territory),
    ]

    run = run_target_in_process(org.config(), messages, tmp_path)

    assert run.returncode == 0, run.stderr
    results = run.by_line()
    assert results[2]["outcome"] == results[3]["outcome"] == "unchanged"
    assert results[2]["code"] == "SUPERSEDED"
    assert "line 3" in results[2]["message"]
    assert "line 4" in results[3]["message"]
    assert results[4]["outcome"] == "added"
    assert org.writes() == {"PUT /users/{id}/territories": 1}


@pytest.mark.parametrize("write_via", ["user", "territory"])
def test_own_user_is_not_allowed(org: Org, tmp_path, write_via: str) -> None:
    territory = org.territories()[0]
    messages = [SCHEMA, record(org.me, territory)]

    run = run_target_in_process(org.config(write_via=write_via), messages, tmp_path)

    assert run.returncode == 1
    result = run.results[0]
    assert (result["outcome"], result["code"]) == ("failed", "NOT_ALLOWED")
    assert "own territories" in result["message"]
    assert "1 record(s) failed" in run.last_error_line


def test_refusals_are_checked_against_what_zoho_holds(org: Org, tmp_path) -> None:
    # Zoho refuses any change to the token's own user, before it looks at the pair: E12 and
    # E11 refuse the whole call, E7 the item (with empty details). A read after the call
    # shows whether the org already is as the record wants.
    held = next(t for u, t in org.assignments() if u == org.me)
    absent = org.territories()[0]
    messages = [SCHEMA, record(org.me, absent, "remove"), record(org.me, held)]
    messages.append(record(org.me, org.territories()[1]))

    for write_via in ("user", "territory"):
        org.emulator.reset_stats()
        run = run_target_in_process(org.config(write_via=write_via), messages, tmp_path)
        results = run.by_line()
        assert {r["code"] for r in results.values()} == {"NOT_ALLOWED"}
        assert results[2]["outcome"] == "unchanged"
        assert "not assigned" in results[2]["message"]
        assert "GET /" in results[2]["message"]
        assert results[3]["outcome"] == "unchanged"
        assert "already assigned, as wanted" in results[3]["message"]
        assert results[4]["outcome"] == "failed"
        assert "own territories" in results[4]["message"]
        assert run.returncode == 1
        reads = sum(n for k, n in org.calls().items() if k.startswith("GET"))
        assert reads == (2 if write_via == "user" else 3)  # one per call with refusals


@pytest.mark.parametrize("write_via", ["user", "territory"])
def test_unknown_ids_fail_with_zohos_code(org: Org, tmp_path, write_via: str) -> None:
    known_user = org.active_users()[3]
    known_territory = org.territories()[3]
    messages = [
        SCHEMA,
        record(known_user, "5996191000599999999"),
        record("5996191000019999999", known_territory),
    ]

    before = org.assignments()

    run = run_target_in_process(org.config(write_via=write_via), messages, tmp_path)

    assert run.returncode == 1
    assert run.outcomes == {"failed": 2}
    assert {r["code"] for r in run.results} == {"INVALID_DATA"}
    for result in run.results:
        assert "invalid" in result["message"].lower(), result["message"]
    assert org.assignments() == before


def test_inactive_user_add_fails(org: Org, tmp_path) -> None:
    user = org.users_with("inactive")[0]
    territory = next(t for t in org.territories() if (user, t) not in org.assignments())
    run = run_target_in_process(
        org.config(write_via="territory"), [SCHEMA, record(user, territory)], tmp_path
    )

    assert run.returncode == 1
    assert (user, territory) not in org.assignments()
    assert run.results[0]["outcome"] == "failed"
    assert run.results[0]["code"] == "INVALID_DATA"
    assert "inactive" in run.results[0]["message"]


@pytest.mark.parametrize("write_via", ["user", "territory"])
def test_manager_cannot_be_removed(org: Org, tmp_path, write_via: str) -> None:
    manager, territory = org.managed()[1]

    run = run_target_in_process(
        org.config(write_via=write_via), [SCHEMA, record(manager, territory, "remove")], tmp_path
    )

    assert run.returncode == 1
    result = run.results[0]
    assert (result["outcome"], result["code"]) == ("failed", "INVALID_DATA")
    assert "manager" in result["message"]
    assert (manager, territory) in org.assignments()


def test_one_remove_call_with_every_kind_of_answer(org: Org, tmp_path) -> None:
    # E12 error items have empty details: the target reads the user's territories back
    # and gives each record the answer that explains what it sees.
    manager, managed = org.managed()[2]
    mine = {t for u, t in org.assignments() if u == manager}
    linked = next(t for t in sorted(mine) if t not in (managed, org.root))
    not_linked = next(t for t in org.territories() if t not in mine)
    setup = run_target_in_process(org.config(), [SCHEMA, record(manager, org.root)], tmp_path)
    assert setup.returncode == 0, setup.stderr
    org.emulator.reset_stats()
    messages = [
        SCHEMA,
        *records([(manager, t) for t in (org.root, managed, not_linked, linked)], "remove"),
    ]

    run = run_target_in_process(org.config(write_via="user"), messages, tmp_path)

    assert run.returncode == 1
    results = run.by_line()
    assert (results[2]["outcome"], results[2]["code"]) == ("failed", "INVALID_DATA")
    assert "Organization Territory" in results[2]["message"]
    assert results[3]["outcome"] == "failed"
    assert "manager" in results[3]["message"]
    assert (results[4]["outcome"], results[4]["code"]) == ("unchanged", "INVALID_DATA")
    assert "not linked" in results[4]["message"]
    assert results[5]["outcome"] == "removed"
    assert org.calls() == {
        "DELETE /users/{id}/territories": 1,
        "GET /users/{id}/territories": 1,
    }
    assert (manager, org.root) in org.assignments()
    assert (manager, linked) not in org.assignments()


def test_allow_failures_exits_zero(org: Org, tmp_path) -> None:
    run = run_target_in_process(
        org.config(allow_failures=True),
        [SCHEMA, record(org.me, org.territories()[0]), _input_record({"user_id": "1"})],
        tmp_path,
    )

    assert run.returncode == 0, run.stderr
    assert run.outcomes == {"failed": 1, "rejected": 1}
    assert "failed 1" in run.stderr
    assert "rejected 1" in run.stderr


def test_records_of_other_streams_are_ignored_with_one_warning(org: Org, tmp_path) -> None:
    other = {"type": "SCHEMA", "stream": "users", "schema": {"properties": {"id": {}}}}
    rows = [{"type": "RECORD", "stream": "users", "record": {"id": str(n)}} for n in range(3)]

    # Beside an assignment stream (here one with no record); without one, the run exits 1
    # (tests/target/test_run_output.py).
    run = run_target_in_process(org.config(), [SCHEMA, other, *rows], tmp_path)

    assert run.returncode == 0, run.stderr
    assert run.stderr.count("Ignoring stream 'users'") == 1
    assert run.results == []
    assert org.calls() == {}
