"""User-group reads on the sample org: E13, E14, E15, E16."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.support.envelope import assert_error

TIER1 = "3652397000012454002"
CHENNAI_SALES = "3652397000009952001"
ESCALATIONS = "3652397000013001003"
J_SMITH = "431581000000278001"
ANITA = "431581000000302001"
RAVI = "431581000000291001"
PATRICIA = "431581000000258001"
DEEPAK = "431581000000315001"


def crit(field, comparator, value):
    return {"field": {"api_name": field}, "comparator": comparator, "value": value}


def q(criteria) -> str:
    return quote(json.dumps(criteria))


@pytest.fixture(scope="module")
def api(sample_emulator, zoho_api):
    return zoho_api(sample_emulator)


def group_ids(answer, key="user_groups"):
    assert answer.status_code == 200, answer.text
    if key == "associated_users_count":
        return [item["user_group"]["id"] for item in answer.json()[key]]
    return [item["id"] for item in answer.json()[key]]


def test_list_groups(api):
    answer = api.get("/settings/user_groups")
    body = answer.json()
    assert group_ids(answer) == [CHENNAI_SALES, TIER1, ESCALATIONS]
    assert body["info"] == {"per_page": 200, "count": 3, "page": 1, "more_records": False}
    first = body["user_groups"][0]
    assert list(first) == [
        "created_time",
        "modified_time",
        "name",
        "modified_by",
        "description",
        "id",
        "created_by",
    ]
    assert first["modified_time"] is None
    assert first["modified_by"] is None


def test_include_sources_count(api):
    body = api.get("/settings/user_groups?include=sources_count").json()
    counts = {g["id"]: g["sources_count"] for g in body["user_groups"]}
    assert counts[CHENNAI_SALES] == {
        "territories": 2,
        "roles": 2,
        "groups": 0,
        "users": {"inactive": 0, "deleted": 0, "active": 2},
    }
    assert counts[ESCALATIONS]["users"] == {"inactive": 0, "deleted": 1, "active": 1}
    assert_error(api.get("/settings/user_groups?include=everything"), 400, "INVALID_DATA")


def test_list_group_filters(api):
    contains = api.get(f"/settings/user_groups?filters={q(crit('name', 'contains', 'ier'))}")
    assert group_ids(contains) == [TIER1]
    both = {
        "group_operator": "and",
        "group": [crit("name", "starts_with", "Chennai"), crit("name", "contains", "Sales")],
    }
    assert group_ids(api.get(f"/settings/user_groups?filters={q(both)}")) == [CHENNAI_SALES]
    assert group_ids(api.get("/settings/user_groups?name=escal")) == [ESCALATIONS]
    nothing = api.get(f"/settings/user_groups?filters={q(crit('name', 'contains', 'zzz'))}")
    assert nothing.status_code == 204


@pytest.mark.parametrize(
    "criteria",
    [
        crit("name", "equal", "Tier1"),  # E13 allows contains / starts_with only
        crit("description", "contains", "x"),
        {"group_operator": "or", "group": [crit("name", "contains", "a")]},
    ],
)
def test_list_group_filter_errors(api, criteria):
    assert_error(
        api.get(f"/settings/user_groups?filters={q(criteria)}"),
        400,
        "INVALID_DATA",
        {"param_name": "filters"},
    )


def test_get_group(api):
    body = api.get(f"/settings/user_groups/{TIER1}?include=sources").json()
    assert list(body) == ["user_groups"]
    assert body["user_groups"][0]["name"] == "Tier1"
    assert len(body["user_groups"][0]["sources"]) == 4
    assert_error(
        api.get("/settings/user_groups/123"), 400, "INVALID_DATA", {"resource_path_index": 1}
    )


def test_associated_users_count(api):
    body = api.get("/settings/user_groups/actions/associated_users_count").json()
    counts = {item["user_group"]["id"]: item["count"] for item in body["associated_users_count"]}
    # Tier1: J Smith + Anita (inactive, counted) + CEO role (Patricia) + Chennai-South (Ravi).
    # Escalations: Tier1's four + Patricia again + Deepak (deleted, not counted).
    assert counts == {CHENNAI_SALES: 4, TIER1: 4, ESCALATIONS: 4}
    assert all(isinstance(count, int) for count in counts.values())


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        (crit("name", "equal", "Tier1"), [TIER1]),
        (crit("name", "starts_with", "chennai"), [CHENNAI_SALES]),
        (crit("description", "equal", "groups API"), [CHENNAI_SALES]),
        (crit("description", "starts_with", "First"), [TIER1]),
        (
            {
                "group_operator": "and",
                "group": [
                    crit("name", "starts_with", "T"),
                    crit("description", "starts_with", "F"),
                ],
            },
            [TIER1],
        ),
    ],
)
def test_associated_users_count_filters(api, criteria, expected):
    answer = api.get(f"/settings/user_groups/actions/associated_users_count?filters={q(criteria)}")
    assert group_ids(answer, "associated_users_count") == expected


def test_associated_users_count_errors(api):
    path = "/settings/user_groups/actions/associated_users_count"
    assert_error(
        api.get(f"{path}?filters=%7Bnot-json"), 400, "INVALID_DATA", {"param_name": "filters"}
    )
    assert_error(
        api.get(f"{path}?filters={q(crit('name', 'contains', 'x'))}"),
        400,
        "INVALID_DATA",
        {"param_name": "filters"},
    )
    none = api.get(f"{path}?filters={q(crit('name', 'equal', 'Tier2'))}")
    assert none.status_code == 204
    paged = api.get(f"{path}?per_page=2&page=2").json()
    assert paged["info"] == {"per_page": 2, "count": 1, "page": 2, "more_records": False}


def test_sources(api):
    body = api.get(f"/settings/user_groups/{CHENNAI_SALES}/sources").json()
    assert body["info"]["count"] == 6
    kinds = [source["type"] for source in body["sources"]]
    assert sorted(set(kinds)) == ["roles", "territories", "users"]
    role = next(s for s in body["sources"] if s["type"] == "roles")
    assert set(role) == {"source", "type", "subordinates"}
    assert set(role["source"]) == {"name", "id"}
    territory = next(s for s in body["sources"] if s["type"] == "territories")
    assert set(territory) == {"source", "type", "sub_territories"}
    users = api.get(f"/settings/user_groups/{CHENNAI_SALES}/sources?type=users").json()
    assert [s["source"]["id"] for s in users["sources"]] == [J_SMITH, RAVI]
    groups = api.get(f"/settings/user_groups/{ESCALATIONS}/sources?type=groups").json()
    assert groups["sources"] == [{"source": {"name": "Tier1", "id": TIER1}, "type": "groups"}]
    deleted = api.get(
        f"/settings/user_groups/{ESCALATIONS}/sources?type=users&user_type=deleted"
    ).json()
    assert [s["source"]["id"] for s in deleted["sources"]] == [DEEPAK]
    inactive = api.get(f"/settings/user_groups/{TIER1}/sources?type=users&user_type=inactive")
    assert [s["source"]["id"] for s in inactive.json()["sources"]] == [ANITA]
    assert api.get(f"/settings/user_groups/{TIER1}/sources?type=groups").status_code == 204
    paged = api.get(f"/settings/user_groups/{CHENNAI_SALES}/sources?per_page=4&page=2").json()
    assert paged["info"] == {"per_page": 4, "count": 2, "page": 2, "more_records": False}


def test_sources_errors(api):
    assert_error(
        api.get(f"/settings/user_groups/{TIER1}/sources?type=people"),
        400,
        "PATTERN_NOT_MATCHED",
        {"regex": "users|roles|groups|territories", "param_name": "type"},
    )
    assert_error(
        api.get(f"/settings/user_groups/{TIER1}/sources?user_type=gone"),
        400,
        "PATTERN_NOT_MATCHED",
    )
    assert_error(
        api.get("/settings/user_groups/1/sources"), 400, "INVALID_DATA", {"resource_path_index": 1}
    )


def test_sources_count(api):
    body = api.get(f"/settings/user_groups/{ESCALATIONS}/actions/sources_count").json()
    assert body == {
        "sources_count": [
            {
                "territories": 0,
                "roles": 0,
                "groups": 1,
                "users": {"inactive": 0, "deleted": 1, "active": 1},
            }
        ]
    }
    assert_error(
        api.get("/settings/user_groups/9/actions/sources_count"),
        400,
        "INVALID_DATA",
        {"resource_path_index": 1},
    )
