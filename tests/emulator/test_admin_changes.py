"""Changes a Zoho admin makes between runs (delete a user or a territory, add users, change an
assignment) and what the API shows afterwards; deleted users as Zoho lists them."""

from __future__ import annotations

import pytest
import requests

from tests.support.api import ZohoApi
from zoho_crm_emulator.org_sample import (
    ANITA,
    CHENNAI,
    CHENNAI_LEADS,
    CHENNAI_NORTH,
    CHENNAI_SOUTH,
    DEEPAK,
    J_SMITH,
    KARTHIK,
    PATRICIA,
    RAVI,
    TIER1,
    ZOHO,
)
from zoho_crm_emulator.process import EmulatorError

ORG_ARGS = ("--org", "sample")


@pytest.fixture
def api(org):
    return ZohoApi(org.emulator.url)


def ids(answer, key="users"):
    return [] if answer.status_code == 204 else [row["id"] for row in answer.json()[key]]


def count(api, kind):
    return api.get(f"/users/actions/count?type={kind}").json()["count"]


def territory(api, tid):
    return api.get(f"/settings/territories/{tid}").json()["territories"][0]


def test_deleted_users_are_listed_and_counted_as_zoho_does(api):
    deleted = api.get("/users?type=DeletedUsers").json()["users"]
    assert [(u["id"], u["status"]) for u in deleted] == [(DEEPAK, "deleted")]
    assert count(api, "DeletedUsers") == 1
    assert DEEPAK not in ids(api.get("/users"))  # AllUsers: active and inactive
    assert count(api, "AllUsers") == 5
    for kind in ("ActiveUsers", "DeactiveUsers", "AdminUsers", "CurrentUser", "ConfirmedUsers"):
        assert count(api, kind) == len(ids(api.get(f"/users?type={kind}"))), kind


def test_delete_user(org, api):
    before = api.get(f"/users/{RAVI}").json()["users"][0]
    latest = max(user["Modified_Time"] for user in org.state()["users"])
    answer = org.emulator.delete_user(RAVI)
    assert answer == {
        "status": "success",
        "user_id": RAVI,
        "territories_left": [CHENNAI_SOUTH, CHENNAI_LEADS],
        "managed": [CHENNAI_SOUTH, CHENNAI_LEADS],
    }
    after = api.get(f"/users/{RAVI}").json()["users"][0]
    assert after["status"] == "deleted"
    assert after["Modified_Time"] > before["Modified_Time"]
    assert after["Modified_By"] == {"name": "Patricia Boyle", "id": PATRICIA}
    assert ids(api.get("/users?type=DeletedUsers")) == [RAVI, DEEPAK]
    assert count(api, "DeletedUsers") == 2
    assert RAVI not in ids(api.get("/users"))
    assert api.get(f"/users/{RAVI}/territories").status_code == 204
    assert RAVI not in ids(api.get(f"/settings/territories/{CHENNAI_SOUTH}/users"))
    assert territory(api, CHENNAI_SOUTH)["manager"] is None
    assert territory(api, CHENNAI_SOUTH)["modified_time"] > before["Modified_Time"]
    since = {"If-Modified-Since": latest}
    assert api.get("/users", headers=since).status_code == 304  # deleted users: not AllUsers
    assert ids(api.get("/users?type=DeletedUsers", headers=since)) == [RAVI]
    assert (RAVI, CHENNAI_SOUTH) not in org.assignments()


def test_a_deleted_seed_user_shows_it(org, api):
    org.emulator.delete_user(J_SMITH)
    user = api.get(f"/users/{J_SMITH}").json()["users"][0]
    assert user["status"] == "deleted"
    assert user["full_name"] == "J Smith"  # the rest is the seed's object


def test_refused_user_deletions(org):
    for user, says in ((PATRICIA, "current user"), (DEEPAK, "already deleted"), ("1", "no user")):
        with pytest.raises(EmulatorError, match=says):
            org.emulator.delete_user(user)
    bad = requests.post(
        f"{org.emulator.url}/__emulator/delete-user", json={"user": RAVI}, timeout=30
    )
    assert bad.status_code == 400
    assert "unknown keys ['user']" in bad.json()["error"]


def test_delete_territory_moves_its_children_to_its_parent(org, api):
    before = territory(api, CHENNAI_NORTH)
    answer = org.emulator.delete_territory(CHENNAI)
    assert answer["users_left"] == [PATRICIA, J_SMITH]
    assert answer["children_moved"] == [CHENNAI_SOUTH, CHENNAI_NORTH, CHENNAI_LEADS]
    assert CHENNAI not in ids(api.get("/settings/territories"), "territories")
    assert api.get(f"/settings/territories/{CHENNAI}").status_code == 400
    children = ids(api.get(f"/settings/territories/{ZOHO}/__child_territories"), "territories")
    assert {CHENNAI_SOUTH, CHENNAI_NORTH, CHENNAI_LEADS} <= set(children)
    moved = territory(api, CHENNAI_NORTH)
    assert moved["reporting_to"] == {"name": "Zoho", "id": ZOHO}
    assert moved["modified_time"] > before["modified_time"]
    assert territory(api, CHENNAI_SOUTH)["reporting_to"]["id"] == ZOHO
    assert all(tid != CHENNAI for _, tid in org.assignments())
    counts = api.get("/settings/territories/actions/associated_users_count").json()
    assert CHENNAI not in [row["territory"]["id"] for row in counts["associated_users_count"]]
    assert CHENNAI not in ids(api.get(f"/users/{J_SMITH}/territories"), "territories")


def test_delete_territory_removes_it_from_group_sources(org, api):
    sources = api.get(f"/settings/user_groups/{TIER1}/sources").json()["sources"]
    assert CHENNAI_SOUTH in [s["source"]["id"] for s in sources]
    assert org.emulator.delete_territory(CHENNAI_SOUTH)["groups"] == [TIER1]
    sources = api.get(f"/settings/user_groups/{TIER1}/sources").json()["sources"]
    assert CHENNAI_SOUTH not in [s["source"]["id"] for s in sources]


def test_refused_territory_deletions(org):
    with pytest.raises(EmulatorError, match="organisation territory"):
        org.emulator.delete_territory(ZOHO)
    with pytest.raises(EmulatorError, match="no territory"):
        org.emulator.delete_territory("42")


def test_added_users_make_a_count_read_before_disagree_with_pages_read_after(org, api):
    counted = count(api, "AllUsers")
    added = org.emulator.add_users(3)
    assert len(added) == 3
    assert all(int(new) > int(KARTHIK) for new in added)
    listed = ids(api.get("/users?per_page=200"))
    assert len(listed) == counted + 3
    assert listed[-3:] == added  # ids after every other: the last page
    user = api.get(f"/users/{added[0]}").json()["users"][0]
    assert user["status"] == "active"
    assert user["profile"]["name"] == "Standard"
    assert count(api, "AllUsers") == counted + 3
    assert org.emulator.add_users(1, status="inactive")[0] in ids(
        api.get("/users?type=DeactiveUsers")
    )
    org.emulator.reset_org()
    assert count(api, "AllUsers") == counted


def test_assign_and_unassign(org, api):
    assert org.emulator.assign(KARTHIK, CHENNAI_NORTH) is True
    assert org.emulator.assign(KARTHIK, CHENNAI_NORTH) is False
    assert KARTHIK in ids(api.get(f"/settings/territories/{CHENNAI_NORTH}/users"))
    assert org.emulator.unassign(KARTHIK, CHENNAI_NORTH) is True
    assert org.emulator.unassign(KARTHIK, CHENNAI_NORTH) is False
    assert api.get(f"/users/{KARTHIK}/territories").status_code == 204
    with pytest.raises(EmulatorError, match="manages"):
        org.emulator.unassign(RAVI, CHENNAI_SOUTH)
    with pytest.raises(EmulatorError, match="organisation territory"):
        org.emulator.unassign(PATRICIA, ZOHO)
    with pytest.raises(EmulatorError, match="deleted"):
        org.emulator.assign(DEEPAK, CHENNAI_NORTH)
    assert org.emulator.assign(ANITA, CHENNAI_NORTH) is True  # inactive users may hold some


def test_admin_changes_are_not_api_calls(org):
    org.emulator.assign(KARTHIK, CHENNAI_NORTH)
    org.emulator.add_users(2)
    assert org.emulator.stats()["total_requests"] == 0
