"""What the tap tells a target when a Zoho admin deletes a user, a territory or an assignment.

Deleted users are read each run (`type=DeletedUsers`) and written with `status: deleted`, on
incremental runs too; full-table streams (territories with ACTIVATE_VERSION on, the member
lists, the counts) end with ACTIVATE_VERSION, so rows missing from the new version are gone.
The changes are made with the emulator's admin endpoints, between runs.
"""

from __future__ import annotations

from typing import Any

from tests.support import org_truth
from tests.support.org import GENERATED, Org
from tests.support.tap_run import TapRun, discover, run_ok, select
from zoho_crm_api.values import parse_time

ORG_ARGS = (*GENERATED, "--seed", "23")


def users(run: TapRun, status: str | None = None) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in run.records["users"] if status is None or r["status"] == status}


def activated(run: TapRun) -> set[str]:
    return {m["stream"] for m in run.messages if m["type"] == "ACTIVATE_VERSION"}


def victim(org: Org) -> tuple[str, str]:
    """An active user with a territory they do not manage, and that territory."""
    managed, active = set(org.managed()), set(org.active_users())
    for a in sorted(org.start["assignments"], key=lambda a: (a["user_id"], a["territory_id"])):
        pair = (a["user_id"], a["territory_id"])
        if a["user_id"] in active and pair not in managed and a["territory_id"] != org.root:
            return pair
    raise AssertionError("no assignment to remove")


def test_a_deleted_user_reaches_an_incremental_run(org: Org) -> None:
    first = run_ok(org.config())
    user, _ = victim(org)
    org.emulator.delete_user(user)
    org.emulator.reset_stats()

    second = run_ok(org.config(), state=first.states[-1])
    assert users(second)[user]["status"] == "deleted"
    # Every deleted user, not only the new one: Zoho does not document that deleting a user
    # changes its Modified_Time, so they are all read, in one call per 200.
    truth = {u["id"] for u in org_truth.deleted_users(org.state())}
    assert set(users(second, "deleted")) == truth
    assert not set(users(second, "active")) & truth
    # The incremental AllUsers read brings only what changed since the first run's bookmark.
    assert len(users(second)) - len(truth) < len(org_truth.listed_users(org.start))
    assert org.calls()["GET /users"] == 2  # AllUsers (If-Modified-Since) + DeletedUsers
    # The bookmark follows AllUsers: the deleted users' older times do not pull it back.
    before = first.states[-1]["bookmarks"]["users"]["replication_key_value"]
    after = second.states[-1]["bookmarks"]["users"]["replication_key_value"]
    assert parse_time(after) >= parse_time(before)
    # Zoho took the user's territories away: the member list's new version lacks them.
    assert user not in {r["id"] for r in second.records["territory_users"]}
    assert "territory_users" in activated(second)


def test_a_deleted_users_territories_are_not_read(org: Org) -> None:
    user, _ = victim(org)
    org.emulator.delete_user(user)
    catalog = select(discover(org.config()), "users", "user_territories")
    listed = org_truth.listed_users(org.state())
    # Derived from every territory's users (fewer territories than users here): none has them.
    org.emulator.reset_stats()
    run = run_ok(org.config(), catalog=catalog)
    assert org.calls().get("GET /users/{id}/territories", 0) == 0
    assert users(run)[user]["status"] == "deleted"
    assert user not in {r["user_id"] for r in run.records["user_territories"]}
    # Read user by user (the token cannot list territories): the deleted user is not asked.
    granted = org.emulator.config()["scopes"]
    org.emulator.config(scopes=["ZohoCRM.users.ALL", "ZohoCRM.org.ALL"])
    org.emulator.reset_stats()
    try:
        by_user = run_ok(org.config(), catalog=catalog)
    finally:
        org.emulator.config(scopes=granted)
    assert org.calls()["GET /users/{id}/territories"] == len(listed)
    assert by_user.records["user_territories"] == run.records["user_territories"]
    # users is full table here (its child needs every parent), so it is activated too, and
    # the deleted users are part of the new version: their rows stay, marked deleted.
    assert {"users", "user_territories"} <= activated(run)


def test_other_user_types_read_only_what_they_name(org: Org) -> None:
    org.emulator.reset_stats()
    run = run_ok(org.config(user_type="ActiveUsers"))
    assert {r["status"] for r in run.records["users"]} == {"active"}
    active = len(run.records["users"])
    assert active == len(org.users_with("active"))
    assert org.calls()["GET /users"] == -(-active // 200)  # no DeletedUsers call


def test_a_deleted_territory_is_missing_from_the_next_version(org: Org) -> None:
    catalog = select(discover(org.config()), "territories")
    first = run_ok(org.config(), catalog=catalog)
    gone = org.territories()[-1]
    assert gone in {r["id"] for r in first.records["territories"]}
    org.emulator.delete_territory(gone)

    # Selected alone, territories is read in full while ACTIVATE_VERSION is on (the default),
    # even from a state: a target then drops (or marks) the territory no longer listed.
    second = run_ok(org.config(), catalog=catalog, state=first.states[-1])
    ids = {r["id"] for r in second.records["territories"]}
    assert ids == {t["id"] for t in org.state()["territories"]}
    assert gone not in ids
    assert activated(second) == {"territories"}
    assert not second.states[-1]["bookmarks"]["territories"]  # no bookmark: full table


def test_incremental_territories_when_activate_version_is_off(org: Org) -> None:
    config = org.config(emit_activate_version_messages=False)
    catalog = select(discover(config), "territories")
    first = run_ok(config, catalog=catalog)
    gone = org.territories()[-1]
    org.emulator.delete_territory(gone)
    second = run_ok(config, catalog=catalog, state=first.states[-1])
    # Only what changed (the deleted territory's children moved up); nothing says it is gone.
    assert 0 < len(second.records["territories"]) < len(first.records["territories"])
    assert gone not in {r["id"] for r in second.records["territories"]}
    assert activated(second) == set()
