"""Generated orgs: structure, determinism, paging returns every object exactly once, big orgs."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zoho_crm_emulator.org_generated import generated_org
from zoho_crm_emulator.process import EmulatorProcess

ARGS = ("--territories", "60", "--users", "450", "--groups", "12", "--seed", "5")

# sha256 of every row of generated orgs, taken before the generator was refactored: a seed
# must keep giving the same org (benchmarks and tests compare runs across versions).
FINGERPRINTS = {
    (60, 450, 12, 5): "078e3d5724bf70fafe83e519b46e9f088e28d36dd770d540938e84b04b5ad337",
    (1, 1, 0, 1): "330613b4b949911a7b11e734cabe9044202d30b29ce121d80bb573a576cd5b48",
    (30, 300, 5, 3): "a4f67b1039b00b7b28bb21f8091e9b047f2396d408a593dba3dbbbc69ce5c8af",
    (1000, 5000, 50, 7): "95c8df986635d35200b027f4357d13fad18f2c79e5681f944b5c55aa199a1ef1",
}


def fingerprint(org):
    rows = {
        "org": [
            org.name,
            org.org_id,
            org.offset_minutes,
            org.time_zone,
            org.current_user_id,
            org.root_territory_id,
        ],
        "territories": [asdict(org.territories[t]) for t in org.territory_ids],
        "users": [asdict(org.users[u]) for u in org.user_ids],
        "groups": [asdict(org.groups[g]) for g in org.group_ids],
        "roles": [[r.id, r.name, r.parent_id] for r in org.roles.values()],
        "profiles": [[p.id, p.name] for p in org.profiles.values()],
        "assignments": list(org.assignments()),
    }
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


@pytest.mark.parametrize("args", list(FINGERPRINTS))
def test_a_seed_always_gives_the_same_org(args):
    assert fingerprint(generated_org(*args)) == FINGERPRINTS[args]


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(*ARGS, "--refresh-limit", "1000") as emu:
        yield emu


@pytest.fixture(scope="module")
def api(emulator, zoho_api):
    return zoho_api(emulator)


@pytest.fixture(scope="module")
def state(emulator):
    return emulator.state()


def walk(api, path, key, per_page, **params):
    """Every object of a paged endpoint, page by page, checking ``info`` on the way."""
    found, page = [], 1
    while True:
        query = "&".join(
            [f"page={page}", f"per_page={per_page}"] + [f"{k}={v}" for k, v in params.items()]
        )
        answer = api.get(f"{path}?{query}")
        if answer.status_code == 204:
            assert page > 1 or not found
            return found
        assert answer.status_code == 200, answer.text
        body = answer.json()
        info = body["info"]
        assert info["page"] == page
        assert info["per_page"] == per_page
        assert info["count"] == len(body[key]) <= per_page
        found.extend(body[key])
        if not info["more_records"]:
            after = query.replace(f"page={page}&", f"page={page + 1}&", 1)
            assert api.get(f"{path}?{after}").status_code == 204
            return found
        assert info["count"] == per_page
        page += 1


def test_tree_shape(state):
    territories = {t["id"]: t for t in state["territories"]}
    assert len(territories) == 60
    roots = [t for t in territories.values() if t["reporting_to"] is None]
    assert len(roots) == 1
    assert roots[0]["description"] == "Organization Parent Territory"
    assert roots[0]["id"] == state["root_territory_id"]

    def depth(tid):
        parent = territories[tid]["reporting_to"]
        return 0 if parent is None else 1 + depth(parent["id"])

    depths = Counter(depth(tid) for tid in territories)
    assert 3 <= max(depths) + 1 <= 6
    members = Counter()
    pairs = {(a["user_id"], a["territory_id"]) for a in state["assignments"]}
    for user_id, _ in pairs:
        members[user_id] += 1
    for territory in territories.values():
        assert territory["manager"] is not None
        assert (territory["manager"]["id"], territory["id"]) in pairs
    users = {u["id"]: u for u in state["users"]}
    assert len(users) == 450
    statuses = Counter(u["status"] for u in users.values())
    assert statuses["active"] > 350
    assert statuses["inactive"] >= 1
    assert statuses["deleted"] >= 1
    assert any(count >= 2 for count in members.values())
    assert any(uid not in members for uid in users)
    assert all(users[uid]["status"] != "deleted" for uid in members)
    assert users[state["current_user_id"]]["profile"]["name"] == "Administrator"
    for user in users.values():
        assert 18 <= len(user["id"]) <= 19
        assert user["id"].isdigit()


def test_groups_mix_source_types(api, state):
    kinds = Counter()
    flags = Counter()
    for group in state["user_groups"]:
        for source in group["sources"]:
            kinds[source["type"]] += 1
            flags[(source["type"], source.get("subordinates", source.get("sub_territories")))] += 1
    assert {"users", "roles", "territories", "groups"} <= set(kinds)
    assert flags[("territories", True)]
    assert flags[("territories", False)]
    counts = walk(
        api, "/settings/user_groups/actions/associated_users_count", "associated_users_count", 5
    )
    by_id = {c["user_group"]["id"]: c["count"] for c in counts}
    assert by_id == {g["id"]: g["associated_users_count"] for g in state["user_groups"]}


def test_deterministic_for_a_seed():
    assert fingerprint(generated_org(40, 300, 8, 9)) == fingerprint(generated_org(40, 300, 8, 9))
    assert fingerprint(generated_org(40, 300, 8, 9)) != fingerprint(generated_org(40, 300, 8, 10))


def test_paging_territories_exactly_once(api, state):
    got = walk(api, "/settings/territories", "territories", 7)
    assert [t["id"] for t in got] == [t["id"] for t in state["territories"]]


def test_paging_users_exactly_once(api, state):
    got = walk(api, "/users", "users", 37, type="AllUsers")
    expected = [u["id"] for u in state["users"] if u["status"] != "deleted"]
    assert [u["id"] for u in got] == expected
    deleted = walk(api, "/users", "users", 3, type="DeletedUsers")
    assert {u["id"] for u in deleted} == {
        u["id"] for u in state["users"] if u["status"] == "deleted"
    }


def test_paging_territory_users_exactly_once(api, state):
    by_territory = Counter(a["territory_id"] for a in state["assignments"])
    busiest = max(by_territory, key=by_territory.get)
    got = walk(api, f"/settings/territories/{busiest}/users", "users", 4)
    expected = sorted(
        (a["user_id"] for a in state["assignments"] if a["territory_id"] == busiest), key=int
    )
    assert [u["id"] for u in got] == expected


def test_paging_groups_and_sources_exactly_once(api, state):
    got = walk(api, "/settings/user_groups", "user_groups", 5)
    assert [g["id"] for g in got] == [g["id"] for g in state["user_groups"]]
    group = max(state["user_groups"], key=lambda g: len(g["sources"]))
    sources = walk(api, f"/settings/user_groups/{group['id']}/sources", "sources", 2)
    assert sources == group["sources"]


def test_e4_counts_match_assignments(api, state):
    counts = walk(
        api, "/settings/territories/actions/associated_users_count", "associated_users_count", 9
    )
    expected = Counter(a["territory_id"] for a in state["assignments"])
    assert {c["territory"]["id"]: int(c["count"]) for c in counts} == {
        t["id"]: expected[t["id"]] for t in state["territories"]
    }


def test_incremental_filter_on_modified_time(api, state):
    times = sorted(t["modified_time"] for t in state["territories"])
    middle = times[len(times) // 2]
    criterion = {
        "field": {"api_name": "modified_time"},
        "comparator": "greater_than",
        "value": middle,
    }
    got = walk(
        api, "/settings/territories", "territories", 10, filters=quote(json.dumps(criterion))
    )
    assert {t["id"] for t in got} == {
        t["id"] for t in state["territories"] if t["modified_time"] > middle
    }


def test_if_modified_since_on_generated_users(api, state):
    users = [u for u in state["users"] if u["status"] != "deleted"]
    pivot = sorted(u["Modified_Time"] for u in users)[-10]
    got = api.get("/users", headers={"If-Modified-Since": pivot}).json()["users"]
    assert {u["id"] for u in got} == {u["id"] for u in users if u["Modified_Time"] > pivot}


def test_big_org_serves_first_and_last_pages(zoho_api):
    args = ("--territories", "1000", "--users", "100000", "--groups", "40", "--seed", "2")
    with EmulatorProcess(*args) as emulator:
        api = zoho_api(emulator)
        first = api.get("/users?per_page=200").json()
        assert first["info"] == {"per_page": 200, "count": 200, "page": 1, "more_records": True}
        count = api.get("/users/actions/count").json()["count"]
        assert 90_000 < count < 100_000  # AllUsers: deleted users are not counted
        last_page = (count + 199) // 200
        last = api.get(f"/users?per_page=200&page={last_page}").json()
        assert last["info"]["more_records"] is False
        assert last["info"]["count"] == count - 200 * (last_page - 1)
        assert api.get(f"/users?per_page=200&page={last_page + 1}").status_code == 204
        territories = api.get("/settings/territories").json()
        assert territories["info"] == {
            "per_page": 2000,
            "count": 1000,
            "page": 1,
            "more_records": False,
        }
        counts = api.get("/settings/territories/actions/associated_users_count?page=5").json()
        assert counts["info"] == {"per_page": 200, "count": 200, "page": 5, "more_records": False}
        groups = api.get("/settings/user_groups/actions/associated_users_count").json()
        assert groups["info"]["count"] == 40
        some = territories["territories"][-1]["id"]
        assert api.get(f"/settings/territories/{some}/users").status_code == 200


@settings(max_examples=40, deadline=None)
@given(
    territories=st.integers(1, 120),
    users=st.integers(1, 300),
    groups=st.integers(0, 12),
    seed=st.integers(0, 10_000),
)
def test_generated_org_invariants(territories, users, groups, seed):
    org = generated_org(territories, users, groups, seed)
    assert len(org.territories) == territories
    assert len(org.users) == users
    assert len(org.groups) == groups
    roots = [t for t in org.territories.values() if t.parent_id is None]
    assert [t.id for t in roots] == [org.root_territory_id]
    for territory in org.territories.values():
        assert territory.manager_id in org.territory_users[territory.id]
        assert org.users[territory.manager_id].status != "deleted"
        seen, node = set(), territory
        while node.parent_id is not None:  # every path leads to the root, no cycles
            assert node.id not in seen
            seen.add(node.id)
            node = org.territories[node.parent_id]
        assert len(seen) <= 5
    for user_id, territory_ids in org.user_territories.items():
        for territory_id in territory_ids:
            assert user_id in org.territory_users[territory_id]
    assert org.users[org.current_user_id].status == "active"
    assert len({u.email for u in org.users.values()}) == users
    for group in org.groups.values():
        assert group.sources
        assert len(org.group_members(group.id)) <= users


def test_tiny_generated_org_serves(zoho_api):
    with EmulatorProcess("--territories", "1", "--users", "1", "--groups", "0") as emulator:
        api = zoho_api(emulator)
        assert api.get("/settings/territories").json()["info"]["count"] == 1
        assert api.get("/users").json()["info"]["count"] == 1
        assert api.get("/settings/user_groups").status_code == 204
        assert api.get("/settings/user_groups/actions/associated_users_count").status_code == 204
