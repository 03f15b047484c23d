"""Derived user_territories: the records E10 gives, read from E1 and E5 at fewer calls.

On generated orgs, the same user_territories records (fields, casing, order, `parent_id`,
`manager`, `reporting_to`) come out of three runs: one that reads each user's territories
(E10: the token lacks the territories scope, so E1 cannot be read), one that derives them from
E1 and E5 reads of its own (only user_territories selected), and one that derives them from the
territories and territory_users streams' pages.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.tap_run import TapRun, discover, run_tap, select
from zoho_crm_emulator.process import EmulatorProcess

E1 = "GET /settings/territories"
E5 = "GET /settings/territories/{id}/users"
E9 = "GET /users/actions/count"
E10 = "GET /users/{id}/territories"
# E8, E9 and E10 need only ZohoCRM.users.READ; without ZohoCRM.settings.* the tap cannot list
# the territories (E1), so it cannot derive and reads E10 for each user.
NO_TERRITORY_SCOPE = ["ZohoCRM.users.ALL", "ZohoCRM.org.ALL"]
ORGS = {
    "more users than territories": ("--territories", "40", "--users", "450", "--seed", "11"),
    "a big territory tree": ("--territories", "120", "--users", "700", "--seed", "12"),
}


@pytest.fixture(scope="module", params=list(ORGS))
def emulator(request: pytest.FixtureRequest) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(*ORGS[request.param], "--groups", "2") as emu:
        yield emu


def calls(emulator: EmulatorProcess) -> Counter[str]:
    return Counter({k: n for k, n in emulator.stats()["requests"].items() if n})


def sync(emulator: EmulatorProcess, *streams: str, scopes: list[str] | None = None) -> TapRun:
    config = emulator.config_for_tap(max_concurrency=8)
    catalog = select(discover(config), *streams)
    granted = emulator.config()["scopes"]
    if scopes is not None:
        emulator.config(scopes=scopes)
    emulator.reset_stats()
    try:
        run = run_tap(config, catalog=catalog, env={"LOGLEVEL": "INFO"})
    finally:
        emulator.config(scopes=granted)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def by_user(emulator: EmulatorProcess) -> tuple[TapRun, Counter[str]]:
    run = sync(emulator, "user_territories", scopes=NO_TERRITORY_SCOPE)
    return run, calls(emulator)


def lines(run: TapRun) -> list[str]:
    """The user_territories records as written (key order included)."""
    return [
        json.dumps(m["record"])
        for m in run.messages
        if m["type"] == "RECORD" and m["stream"] == "user_territories"
    ]


def listed_users(emulator: EmulatorProcess) -> int:
    users = emulator.state("users")["users"]
    return sum(1 for u in users if u["status"] in ("active", "inactive"))


def test_without_the_territories_scope_each_user_is_read(
    emulator: EmulatorProcess, by_user: tuple[TapRun, Counter[str]]
) -> None:
    run, made = by_user
    assert made[E10] == listed_users(emulator)
    assert made[E5] == 0
    assert "user_territories: one call per user" in run.stderr
    assert lines(run)
    record = run.records["user_territories"][0]
    assert set(record) == {"id", "name", "manager", "reporting_to", "user_id", "parent_id"}


def test_derived_alone_gives_the_records_e10_gives(
    emulator: EmulatorProcess, by_user: tuple[TapRun, Counter[str]]
) -> None:
    run = sync(emulator, "user_territories")
    made = calls(emulator)
    territories = len(emulator.state("territories")["territories"])
    assert made[E10] == 0
    assert made[E1] == 1
    assert made[E5] == territories  # no territory holds more than 200 users here
    assert made[E1] + made[E5] < by_user[1][E10]
    assert "user_territories: derived from the territories' users" in run.stderr
    assert lines(run) == lines(by_user[0])


def test_derived_from_territory_users_gives_the_records_e10_gives(
    emulator: EmulatorProcess, by_user: tuple[TapRun, Counter[str]]
) -> None:
    run = sync(emulator, "territories", "territory_users", "user_territories")
    made = calls(emulator)
    territories = len(emulator.state("territories")["territories"])
    assert made[E10] == 0
    assert made[E1] == 1
    assert made[E5] == territories  # territory_users' own reads, no more
    assert lines(run) == lines(by_user[0])
    # The territories and their users are written before the users and their territories.
    order = [m["stream"] for m in run.messages if m["type"] == "RECORD"]
    assert order.index("territory_users") < order.index("user_territories")


def test_a_territory_with_many_users_is_derived_whole(
    emulator: EmulatorProcess, by_user: tuple[TapRun, Counter[str]]
) -> None:
    state = emulator.state("territories,users,assignments")
    territory = state["territories"][-1]["id"]
    held = {a["user_id"] for a in state["assignments"] if a["territory_id"] == territory}
    listed = [u["id"] for u in state["users"] if u["status"] in ("active", "inactive")]
    for user in [u for u in listed if u not in held][:260]:
        emulator.assign(user, territory)
    try:
        derived = sync(emulator, "user_territories")
        assert calls(emulator)[E10] == 0
        again = sync(emulator, "user_territories", scopes=NO_TERRITORY_SCOPE)
        assert lines(derived) == lines(again)
        assert sum(r["id"] == territory for r in derived.records["user_territories"]) > 200
    finally:
        emulator.reset_org()


def records_of(run: TapRun) -> list[dict[str, Any]]:
    return run.records["user_territories"]


def test_fewer_users_than_territories_reads_e10(emulator: EmulatorProcess) -> None:
    # Admins only: a handful of users, fewer than the territories.
    config = emulator.config_for_tap(max_concurrency=8, user_type="AdminUsers")
    catalog = select(discover(config), "user_territories")
    emulator.reset_stats()
    run = run_tap(config, catalog=catalog, env={"LOGLEVEL": "INFO"})
    assert run.returncode == 0, run.stderr[-3000:]
    made = calls(emulator)
    assert "user_territories: one call per user" in run.stderr
    assert made[E5] == 0
    assert 0 < made[E10] < len(emulator.state("territories")["territories"])
    assert records_of(run)


def middle_bookmark(run: TapRun, stream: str) -> dict[str, Any]:
    """A state whose bookmark leaves about half the stream's records to read again."""
    times = sorted(r["modified_time"] for r in run.records[stream] if r.get("status") != "deleted")
    value = times[len(times) // 2]
    return {
        "bookmarks": {stream: {"replication_key": "modified_time", "replication_key_value": value}}
    }


def test_a_bookmark_does_not_narrow_the_membership(
    emulator: EmulatorProcess, by_user: tuple[TapRun, Counter[str]]
) -> None:
    # With a child selected the SDK reads its parent in full whatever the state says (and the
    # plan keeps E10 if ever it did not): a users or territories bookmark (ACTIVATE_VERSION
    # off: territories are incremental) still derives every user's territories from every
    # territory's users.
    config = emulator.config_for_tap(max_concurrency=8, emit_activate_version_messages=False)
    for streams in (("users", "user_territories"), ("territories", "territory_users")):
        catalog = select(discover(config), *streams, "user_territories")
        first = run_tap(config, catalog=catalog)
        assert first.returncode == 0, first.stderr[-3000:]
        emulator.reset_stats()
        second = run_tap(config, catalog=catalog, state=middle_bookmark(first, streams[0]))
        assert second.returncode == 0, second.stderr[-3000:]
        assert calls(emulator)[E10] == 0
        assert len(second.records[streams[0]]) == len(first.records[streams[0]])
        assert lines(second) == lines(by_user[0])
