"""Apply mode against the emulator: adds, removes, batching, grouping and call counts."""

from __future__ import annotations

from tests.support.org import Org
from tests.support.target_run import (
    SCHEMA,
    assert_no_secrets,
    record,
    records,
    run_target_in_process,
    state,
)


def test_all_users_added_to_one_territory_take_3_calls(org: Org, tmp_path) -> None:
    territory = org.territories()[5]
    users = org.active_users()
    assert len(users) > 200
    pairs = [(u, territory) for u in users]
    before = org.assignments()
    already = sum(p in before for p in pairs)
    assert already > 0

    run = run_target_in_process(org.config(), [SCHEMA, *records(pairs)], tmp_path)

    assert run.returncode == 0, run.stderr
    assert org.assignments() == before | set(pairs)
    assert org.writes() == {"PUT /settings/territories/{id}/users": 3}
    assert len(run.results) == len(pairs)
    assert run.outcomes == {"added": len(pairs) - already, "unchanged": already}
    assert {r["code"] for r in run.results} == {"SUCCESS", "DUPLICATE_DATA"}
    assert "PUT /settings/territories/{id}/users" in run.stderr
    assert "least possible: 3" in run.stderr
    assert_no_secrets(run.stdout, run.stderr, (tmp_path / "results.jsonl").read_text())


def test_one_user_added_to_many_territories_groups_by_user(org: Org, tmp_path) -> None:
    user = org.active_users()[10]
    territories = [t for t in org.territories() if (user, t) not in org.assignments()]
    pairs = [(user, t) for t in territories]

    run = run_target_in_process(org.config(), [SCHEMA, *records(pairs)], tmp_path)

    assert run.returncode == 0, run.stderr
    assert set(pairs) <= org.assignments()
    assert org.writes() == {"PUT /users/{id}/territories": 1}
    assert run.outcomes == {"added": len(pairs)}
    assert {r["code"] for r in run.results} == {"SUCCESS"}
    assert {r["endpoint"] for r in run.results} == {"PUT /users/{id}/territories"}


def test_removes_group_by_territory_and_by_user(org: Org, tmp_path) -> None:
    held = sorted(org.assignments() - set(org.managed()))
    held = [(u, t) for u, t in held if t != org.root and u != org.me]
    territory = max({t for _, t in held}, key=lambda t: sum(1 for _, x in held if x == t))
    in_territory = [(u, t) for u, t in held if t == territory]
    assert len(in_territory) >= 3

    run = run_target_in_process(org.config(), [SCHEMA, *records(in_territory, "remove")], tmp_path)

    assert run.returncode == 0, run.stderr
    assert not set(in_territory) & org.assignments()
    assert org.writes() == {"DELETE /settings/territories/{id}/users": 1}
    assert run.outcomes == {"removed": len(in_territory)}


def test_mixed_batch_adds_and_removes_in_one_run(org: Org, tmp_path) -> None:
    users = org.active_users()
    territories = org.territories()
    held = org.assignments()
    adds = [(u, territories[0]) for u in users[:120] if (u, territories[0]) not in held]
    removable = [
        (u, t)
        for u, t in sorted(held - set(org.managed()))
        if t != org.root and u != org.me and t != territories[0]
    ][:40]
    messages = [SCHEMA, *records(adds), *records(removable, "REMOVE")]

    run = run_target_in_process(org.config(), messages, tmp_path)

    assert run.returncode == 0, run.stderr
    assert org.assignments() == (held | set(adds)) - set(removable)
    assert run.outcomes == {"added": len(adds), "removed": len(removable)}
    writes = org.writes()
    assert writes["PUT /settings/territories/{id}/users"] == 2  # 100 + the rest
    removes = sum(n for k, n in writes.items() if k.startswith("DELETE"))
    by_user = len({u for u, _ in removable})
    by_territory = len({t for _, t in removable})
    assert removes <= min(by_user, by_territory)


def test_mixed_cover_beats_both_single_groupings(org: Org, tmp_path) -> None:
    # One user into 20 territories, and 20 users into one territory: 2 calls with a mixed
    # plan, 21 by user or by territory alone.
    users = org.active_users()
    territories = org.territories()
    star_user, star_territory = users[0], territories[0]
    held = org.assignments()
    pairs = [(star_user, t) for t in territories[1:21]]
    pairs += [(u, star_territory) for u in users[1:21]]
    pairs = [p for p in pairs if p not in held]

    run = run_target_in_process(org.config(), [SCHEMA, *records(pairs)], tmp_path)

    assert run.returncode == 0, run.stderr
    assert set(pairs) <= org.assignments()
    assert org.writes() == {
        "PUT /users/{id}/territories": 1,
        "PUT /settings/territories/{id}/users": 1,
    }
    assert "least possible: 2" in run.stderr


def test_write_via_forces_the_grouping(org: Org, tmp_path) -> None:
    territory = org.territories()[2]
    users = org.not_assigned(territory, org.active_users())[:5]
    pairs = [(u, territory) for u in users]

    run = run_target_in_process(org.config(write_via="user"), [SCHEMA, *records(pairs)], tmp_path)

    assert run.returncode == 0, run.stderr
    assert org.writes() == {"PUT /users/{id}/territories": 5}
    assert set(pairs) <= org.assignments()


def test_more_than_100_items_for_one_user_and_batches(org: Org, tmp_path) -> None:
    # 30 territories cap one user at 29 items; many users x few territories with a small
    # batch size exercises several batches and the 100-item split per call.
    territory = org.territories()[7]
    users = org.not_assigned(territory, org.active_users())[:230]
    pairs = [(u, territory) for u in users]
    config = org.config(batch_size_rows=150)

    run = run_target_in_process(config, [SCHEMA, *records(pairs)], tmp_path)

    assert run.returncode == 0, run.stderr
    assert set(pairs) <= org.assignments()
    # Batch 1: 150 records -> 2 calls; batch 2: 80 records -> 1 call.
    assert org.writes() == {"PUT /settings/territories/{id}/users": 3}
    assert "batches: 2" in run.stderr


def test_idempotent_rerun_changes_nothing(org: Org, tmp_path) -> None:
    territory = org.territories()[4]
    adds = [(u, territory) for u in org.not_assigned(territory, org.active_users())[:30]]
    removable = [(u, t) for u, t in sorted(org.assignments() - set(org.managed())) if t != org.root]
    removable = [p for p in removable if p[0] != org.me and p[1] != territory][:10]
    messages = [SCHEMA, *records(adds), *records(removable, "remove")]

    first = run_target_in_process(org.config(), messages, tmp_path)
    after_first = org.assignments()
    org.emulator.reset_stats()
    second = run_target_in_process(org.config(), messages, tmp_path)

    assert first.returncode == second.returncode == 0, second.stderr
    assert org.assignments() == after_first
    assert second.outcomes == {"unchanged": len(adds) + len(removable)}
    codes = {r["code"] for r in second.results}
    assert codes <= {"DUPLICATE_DATA", "INVALID_DATA"}
    assert all("not" in r["message"] for r in second.results if r["action"] == "remove")


def test_dry_run_makes_no_write_call(org: Org, tmp_path) -> None:
    territory = org.territories()[1]
    pairs = [(u, territory) for u in org.active_users()[:120]]
    before = org.assignments()

    run = run_target_in_process(org.config(dry_run=True), [SCHEMA, *records(pairs)], tmp_path)

    assert run.returncode == 0, run.stderr
    assert org.assignments() == before
    assert org.calls() == {}
    assert run.outcomes == {"planned": 120}
    assert all("dry run: would add" in r["message"] for r in run.results)
    assert "dry run" in run.stderr


def test_state_is_emitted_after_the_records_before_it(org: Org, tmp_path) -> None:
    territory = org.territories()[3]
    users = org.not_assigned(territory, org.active_users())[:6]
    messages = [
        SCHEMA,
        record(users[0], territory),
        record(users[1], territory),
        state({"bookmarks": {"a": 1}}),
        record(users[2], territory),
        state({"bookmarks": {"a": 2}}),
    ]

    run = run_target_in_process(org.config(), messages, tmp_path)

    assert run.returncode == 0, run.stderr
    assert run.states == [{"bookmarks": {"a": 2}}]
    assert {(u, territory) for u in users[:3]} <= org.assignments()


def test_state_follows_each_batch(org: Org, tmp_path) -> None:
    territory = org.territories()[6]
    users = org.not_assigned(territory, org.active_users())[:6]
    messages = [SCHEMA]
    for number, user in enumerate(users, start=1):
        messages += [record(user, territory), state({"n": number})]

    run = run_target_in_process(org.config(batch_size_rows=2), messages, tmp_path)

    assert run.returncode == 0, run.stderr
    # A batch is written when its 2nd record arrives (then the STATE read before it is
    # emitted); the STATE after a batch is emitted as soon as it is read, as no record waits.
    assert run.states == [{"n": n} for n in range(1, 7)]
    assert org.writes() == {"PUT /settings/territories/{id}/users": 3}
