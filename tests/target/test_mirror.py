"""Mirror mode: each named user's territories become exactly the wanted set."""

from __future__ import annotations

from tests.support.org import Org
from tests.support.target_run import SCHEMA, STREAM, record, records, run_target_in_process, state


def _held(org: Org, user: str) -> set[str]:
    return {t for u, t in org.assignments() if u == user}


def _plain_users(org: Org, count: int, holding: int = 1) -> list[str]:
    """Users who manage nothing and hold at least `holding` territories."""
    managers = {u for u, _ in org.managed()}
    held = org.assignments()
    users = [
        u
        for u in org.active_users()
        if u not in managers and sum(x == u for x, _ in held) >= holding
    ]
    return users[:count]


def test_mirror_adds_and_removes_only_the_difference(org: Org, tmp_path) -> None:
    alice, bob = _plain_users(org, 2, holding=2)
    territories = org.territories()
    held_alice, held_bob = _held(org, alice), _held(org, bob)
    keep = sorted(held_alice)[0]
    new = [t for t in territories if t not in held_alice][:2]
    wanted_alice = {keep, *new}
    wanted_bob = set(held_bob)  # already exactly right
    before = org.assignments()
    messages = [
        SCHEMA,
        *records([(alice, t) for t in sorted(wanted_alice)]),
        *records([(bob, t) for t in sorted(wanted_bob)]),
        record(bob, new[0], "remove"),  # not held: nothing to do
        state({"bookmarks": {"x": 1}}),
    ]

    run = run_target_in_process(org.config(mode="mirror"), messages, tmp_path)

    assert run.returncode == 0, run.stderr
    after = org.assignments()
    assert _held(org, alice) == wanted_alice
    assert _held(org, bob) == wanted_bob
    others = {p for p in before if p[0] not in (alice, bob)}
    assert {p for p in after if p[0] not in (alice, bob)} == others
    assert run.outcomes == {"added": 2, "unchanged": 1 + len(wanted_bob) + 1}
    extra = [r for r in run.results if r["record"] is None]
    assert {(r["user_id"], r["territory_id"]) for r in extra} == {
        (alice, t) for t in held_alice - wanted_alice
    }
    assert {r["outcome"] for r in extra} == {"removed"}
    # Two reads, one add call and one remove call for alice.
    assert org.calls() == {
        "GET /users/{id}/territories": 2,
        "PUT /users/{id}/territories": 1,
        "DELETE /users/{id}/territories": 1,
    }
    assert run.states == [{"bookmarks": {"x": 1}}]
    assert "mirror removals not asked by a record" in run.stderr


def test_mirror_keeps_managed_and_organisation_territories(org: Org, tmp_path) -> None:
    manager, managed = org.managed()[3]
    other = next(t for t in org.territories() if t not in _held(org, manager))
    assert (
        run_target_in_process(
            org.config(), [SCHEMA, record(manager, org.root)], tmp_path
        ).returncode
        == 0
    )
    org.emulator.reset_stats()

    run = run_target_in_process(
        org.config(mode="mirror"), [SCHEMA, record(manager, other)], tmp_path
    )

    assert run.returncode == 0, run.stderr
    assert _held(org, manager) >= {other, managed, org.root}
    kept = {r["territory_id"]: r for r in run.results if r["code"] == "KEPT"}
    assert set(kept) == {managed, org.root}
    assert all(r["outcome"] == "unchanged" for r in kept.values())
    assert "organisation territory" in kept[org.root]["message"]
    assert "manages" in kept[managed]["message"]
    assert "kept (organisation or managed territory): 2" in run.stderr


def test_mirror_remove_record_means_not_wanted(org: Org, tmp_path) -> None:
    (user,) = _plain_users(org, 1)
    held = sorted(_held(org, user))
    messages = [SCHEMA, *records([(user, t) for t in held], "remove")]

    run = run_target_in_process(org.config(mode="mirror"), messages, tmp_path)

    assert run.returncode == 0, run.stderr
    assert _held(org, user) == set()
    assert run.outcomes == {"removed": len(held)}
    assert [r for r in run.results if r["record"] is None] == []


def test_mirror_dry_run_reads_but_never_writes(org: Org, tmp_path) -> None:
    alice, bob = _plain_users(org, 2)
    new = next(t for t in org.territories() if t not in _held(org, alice))
    before = org.assignments()
    messages = [SCHEMA, record(alice, new), *records([(bob, t) for t in _held(org, bob)])]

    run = run_target_in_process(org.config(mode="mirror", dry_run=True), messages, tmp_path)

    assert run.returncode == 0, run.stderr
    assert org.assignments() == before
    assert org.calls() == {"GET /users/{id}/territories": 2}
    results = run.by_line()
    assert results[2]["outcome"] == "planned"
    assert {r["outcome"] for line, r in results.items() if line > 2} == {"unchanged"}
    extra = [r for r in run.results if r["record"] is None]
    assert extra
    assert {r["outcome"] for r in extra} == {"planned"}


def test_mirror_skips_a_user_with_a_rejected_record(org: Org, tmp_path) -> None:
    alice, bob = _plain_users(org, 2)
    before = org.assignments()
    new = next(t for t in org.territories() if t not in _held(org, bob))
    bad = {"type": "RECORD", "stream": STREAM, "record": {"user_id": alice, "territory_id": "x"}}
    messages = [SCHEMA, record(alice, org.territories()[0]), bad, record(bob, new)]

    run = run_target_in_process(org.config(mode="mirror", allow_failures=True), messages, tmp_path)

    assert run.returncode == 0, run.stderr
    assert _held(org, alice) == {t for u, t in before if u == alice}
    results = run.by_line()
    assert (results[2]["outcome"], results[2]["code"]) == ("failed", "MIRROR_SKIPPED")
    assert "line 3" in results[2]["message"]
    assert results[3]["outcome"] == "rejected"
    assert _held(org, bob) == {new}


def test_mirror_with_a_broken_line_writes_nothing(org: Org, tmp_path) -> None:
    (user,) = _plain_users(org, 1)
    before = org.assignments()
    messages = [SCHEMA, record(user, org.territories()[0]), state({"s": 1}), "{not json"]

    run = run_target_in_process(org.config(mode="mirror"), messages, tmp_path)

    assert run.returncode == 2
    assert org.assignments() == before
    assert org.calls() == {}
    assert run.states == []
    assert run.results[0]["outcome"] == "failed"
    assert run.results[0]["code"] == "NOT_SENT"
    assert "line 4" in run.last_error_line
