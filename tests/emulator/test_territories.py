"""Territory reads E1-E4 on the sample org: envelopes, filters, paging, errors, scopes."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.support.envelope import assert_error
from zoho_crm_emulator.process import EmulatorProcess

ZOHO = "431581000000272796"
CHENNAI = "431581000000744113"
CHENNAI_SOUTH = "431581000000744125"
CHENNAI_NORTH = "431581000000744137"
PARENT = "431581000000744159"
CHILD = "431581000000744169"
CHENNAI_LEADS = "431581000000744183"
PATRICIA = "431581000000258001"
J_SMITH = "431581000000278001"
ALL = [ZOHO, CHENNAI, CHENNAI_SOUTH, CHENNAI_NORTH, PARENT, CHILD, CHENNAI_LEADS]
TERRITORY_KEYS = {
    "created_time",
    "modified_time",
    "manager",
    "reporting_to",
    "permission_type",
    "modified_by",
    "description",
    "id",
    "created_by",
    "name",
    "api_name",
}


def filters(criterion) -> str:
    return quote(json.dumps(criterion))


def crit(field, comparator, value):
    return {"field": {"api_name": field}, "comparator": comparator, "value": value}


@pytest.fixture(scope="module")
def api(sample_emulator, zoho_api):
    return zoho_api(sample_emulator)


@pytest.mark.parametrize("version", ["v7", "v8"])
def test_list_territories(api, version):
    answer = api.get(f"/crm/{version}/settings/territories")
    assert answer.status_code == 200
    body = answer.json()
    assert body["info"] == {"per_page": 2000, "count": 7, "page": 1, "more_records": False}
    assert [t["id"] for t in body["territories"]] == ALL
    for territory in body["territories"]:
        assert set(territory) == TERRITORY_KEYS
    root = body["territories"][0]
    assert root["name"] == "Zoho"
    assert root["reporting_to"] is None
    assert root["description"] == "Organization Parent Territory"
    chennai = body["territories"][1]
    assert chennai["reporting_to"] == {"name": "Zoho", "id": ZOHO}
    assert chennai["manager"] == {"name": "J Smith", "id": J_SMITH}
    assert chennai["created_time"].endswith("+05:30")


def test_manager_is_always_a_member(sample_emulator):
    state = sample_emulator.state()
    pairs = {(a["user_id"], a["territory_id"]) for a in state["assignments"]}
    for territory in state["territories"]:
        assert (territory["manager"]["id"], territory["id"]) in pairs


def test_get_one_territory_has_no_info(api):
    body = api.get(f"/settings/territories/{CHENNAI_LEADS}").json()
    assert list(body) == ["territories"]
    assert body["territories"][0]["name"] == "Chennai Leads"


def test_include_and_inner_details(api):
    body = api.get(
        f"/settings/territories/{CHENNAI}?include=account_rule_criteria"
        "&include_inner_details=manager.zuid,manager.status"
    ).json()
    territory = body["territories"][0]
    assert territory["account_rule_criteria"] is None
    assert "deal_rule_criteria" not in territory
    assert territory["manager"] == {
        "name": "J Smith",
        "id": J_SMITH,
        "zuid": "60019445391",
        "status": "active",
    }
    bad = api.get("/settings/territories?include=nonsense")
    assert_error(bad, 400, "INVALID_DATA")


def test_ids_parameter(api):
    body = api.get(f"/settings/territories?ids={CHILD},{PARENT}").json()
    assert [t["id"] for t in body["territories"]] == [PARENT, CHILD]


def test_paging(api):
    first = api.get("/settings/territories?per_page=3").json()
    assert first["info"] == {"per_page": 3, "count": 3, "page": 1, "more_records": True}
    last = api.get("/settings/territories?per_page=3&page=3").json()
    assert last["info"] == {"per_page": 3, "count": 1, "page": 3, "more_records": False}
    assert [t["id"] for t in last["territories"]] == [CHENNAI_LEADS]
    past = api.get("/settings/territories?per_page=3&page=4")
    assert past.status_code == 204
    assert past.content == b""
    clamped = api.get("/settings/territories?per_page=5000").json()
    assert clamped["info"]["per_page"] == 2000
    assert_error(api.get("/settings/territories?page=0"), 400, "INVALID_DATA")
    assert_error(api.get("/settings/territories?per_page=x"), 400, "INVALID_DATA")


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        (crit("name", "equal", "Chennai"), [CHENNAI]),
        (
            crit("name", "starts_with", "Chennai"),
            [CHENNAI, CHENNAI_SOUTH, CHENNAI_NORTH, CHENNAI_LEADS],
        ),
        (crit("name", "ends_with", "South"), [CHENNAI_SOUTH]),
        (crit("name", "contains", "enna"), [CHENNAI, CHENNAI_SOUTH, CHENNAI_NORTH, CHENNAI_LEADS]),
        (crit("name", "not_contains", "Chennai"), [ZOHO, PARENT, CHILD]),
        (crit("name", "not_equal", "Zoho"), ALL[1:]),
        (crit("reporting_to.id", "equal", CHENNAI), [CHENNAI_SOUTH, CHENNAI_NORTH, CHENNAI_LEADS]),
        (crit("manager.id", "equal", J_SMITH), [CHENNAI, CHENNAI_NORTH, CHILD]),
        (crit("id", "not_equal", ZOHO), ALL[1:]),
        (crit("permission_type", "equal", "read_only"), [PARENT, CHILD]),
        (crit("created_by", "equal", PATRICIA), ALL),
        (crit("modified_by", "not_equal", PATRICIA), []),
        # Timestamps compare as instants: 12:06:40Z is 17:36:40+05:30 (Chennai's modified_time).
        (crit("modified_time", "equal", "2023-05-24T12:06:40Z"), [CHENNAI]),
        (
            crit("modified_time", "greater_than", "2024-01-01T00:00:00+05:30"),
            [CHENNAI_SOUTH, CHILD, CHENNAI_LEADS],
        ),
        (crit("modified_time", "less_than", "2023-05-24T17:32:40+05:30"), [ZOHO]),
        (crit("modified_time", "less_equal", "2023-05-24T17:32:40+05:30"), [ZOHO, CHENNAI_NORTH]),
        (
            crit(
                "created_time",
                "between",
                ["2023-05-24T17:31:00+05:30", "2023-05-24T17:34:27+05:30"],
            ),
            [CHENNAI_SOUTH, CHENNAI_NORTH, PARENT, CHILD],
        ),
    ],
)
def test_filters(api, criterion, expected):
    answer = api.get(f"/settings/territories?filters={filters(criterion)}")
    if not expected:
        assert answer.status_code == 204
        return
    assert answer.status_code == 200, answer.text
    assert [t["id"] for t in answer.json()["territories"]] == expected


def test_filters_group_criteria(api):
    group = {
        "group_operator": "or",
        "group": [crit("name", "equal", "Parent"), crit("name", "equal", "Child")],
    }
    body = api.get(f"/settings/territories?filters={filters(group)}").json()
    assert [t["id"] for t in body["territories"]] == [PARENT, CHILD]


@pytest.mark.parametrize(
    ("raw", "message_part"),
    [
        ("not json", "invalid"),
        (json.dumps(crit("description", "equal", "x")), "api_name(description)"),
        (json.dumps(crit("reporting_to", "equal", CHENNAI)), "api_name(reporting_to)"),
        (json.dumps(crit("manager", "equal", J_SMITH)), "api_name(manager)"),
        (json.dumps({"comparator": "equal", "value": "x"}), "Specify Atleast one field"),
        (json.dumps(crit("name", "greater_than", "x")), "comparator"),
        (json.dumps(crit("modified_time", "between", ["2024-01-01T00:00:00Z"])), "between"),
        (json.dumps(crit("modified_time", "equal", "yesterday")), "modified_time"),
        (json.dumps(crit("manager.id", "equal", "abc")), "manager.id"),
    ],
)
def test_filter_errors(api, raw, message_part):
    body = assert_error(
        api.get(f"/settings/territories?filters={quote(raw)}"),
        400,
        "INVALID_DATA",
        {"param_name": "filters"},
    )
    assert message_part.lower() in body["message"].lower()


def test_child_territories(api):
    body = api.get(f"/settings/territories/{CHENNAI}/__child_territories").json()
    assert [t["id"] for t in body["territories"]] == [CHENNAI_SOUTH, CHENNAI_NORTH, CHENNAI_LEADS]
    assert body["info"] == {"per_page": 200, "count": 3, "page": 1, "more_records": False}
    for territory in body["territories"]:
        assert territory["reporting_to"] == {"name": "Chennai", "id": CHENNAI}
        assert territory["account_rule_criteria"] is None
    assert api.get(f"/settings/territories/{CHILD}/__child_territories").status_code == 204
    by_name = api.get(
        f"/settings/territories/{CHENNAI}/__child_territories?"
        f"filters={filters(crit('name', 'contains', 'North'))}"
    ).json()
    assert [t["id"] for t in by_name["territories"]] == [CHENNAI_NORTH]
    clamped = api.get(f"/settings/territories/{CHENNAI}/__child_territories?per_page=999").json()
    assert clamped["info"]["per_page"] == 200


def test_child_territories_all_descendants_option(zoho_api):
    with EmulatorProcess("--child-territories", "all") as emulator:
        body = zoho_api(emulator).get(f"/settings/territories/{ZOHO}/__child_territories").json()
        assert [t["id"] for t in body["territories"]] == ALL[1:]


@pytest.mark.parametrize(
    "path",
    [
        "/settings/territories/12345",
        "/settings/territories/abc",
        "/settings/territories/12345/__child_territories",
        "/settings/territories/12345/users",
        "/settings/territories/actions",
    ],
)
def test_bad_territory_id_in_path(api, path):
    assert_error(api.get(path), 400, "INVALID_DATA", {"resource_path_index": 1})


def test_associated_users_count_paging(api):
    first = api.get("/settings/territories/actions/associated_users_count?per_page=5").json()
    assert first["info"] == {"per_page": 5, "count": 5, "page": 1, "more_records": True}
    second = api.get("/settings/territories/actions/associated_users_count?per_page=5&page=2")
    assert second.json()["info"]["count"] == 2


def test_seed_typo_path_is_not_found(api):
    """S000's "Endpoints" line omits /settings; that URL does not exist."""
    assert_error(
        api.get("/territories/actions/associated_users_count"), 404, "INVALID_URL_PATTERN", {}
    )


@pytest.mark.parametrize("version", ["v2", "v6", "v9", "latest"])
def test_unserved_versions(api, version):
    assert_error(api.get(f"/crm/{version}/settings/territories"), 404, "INVALID_URL_PATTERN")


def test_other_unknown_urls(api):
    assert_error(api.get("/settings/territoriez"), 404, "INVALID_URL_PATTERN")
    assert_error(api.get("/nothing/here"), 404, "INVALID_URL_PATTERN")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/settings/territories"),
        ("DELETE", "/settings/territories/actions/associated_users_count"),
        ("PATCH", f"/settings/territories/{CHENNAI}/users"),
        ("POST", "/users/actions/count"),
        ("POST", f"/users/{J_SMITH}/territories"),
        ("PUT", "/settings/user_groups"),
    ],
)
def test_wrong_method(api, method, path):
    assert_error(
        api.call(method, path, json={}),
        400,
        "INVALID_REQUEST_METHOD",
        {},
    )


def test_internal_error_codes_per_family(zoho_api):
    """500: INTERNAL_ERROR for territories and users [S000], INTERNAL_SERVER_ERROR for groups."""
    with EmulatorProcess("--fault-rate", "1", "--faults", "500") as emulator:
        api = zoho_api(emulator)
        assert_error(api.get("/settings/territories"), 500, "INTERNAL_ERROR", {})
        assert_error(
            api.get("/settings/user_groups/actions/associated_users_count"),
            500,
            "INTERNAL_SERVER_ERROR",
            {},
        )


SCOPE_CASES = [
    # granted scopes, path, allowed?
    ("ZohoCRM.settings.territories.READ", "/settings/territories", True),
    (
        "ZohoCRM.settings.territories.READ",
        "/settings/territories/actions/associated_users_count",
        False,
    ),
    (
        "ZohoCRM.settings.territories.ALL,ZohoCRM.users.READ",
        "/settings/territories/actions/associated_users_count",
        False,
    ),
    (
        "ZohoCRM.settings.territories.ALL,ZohoCRM.users.ALL",
        "/settings/territories/actions/associated_users_count",
        True,
    ),
    (
        "zohocrm.SETTINGS.all,zohocrm.users.all",
        "/settings/territories/actions/associated_users_count",
        True,
    ),
    ("ZohoCRM.users.READ", f"/settings/territories/{CHENNAI}/users", True),
    ("ZohoCRM.settings.ALL", f"/settings/territories/{CHENNAI}/users", False),
    ("ZohoCRM.users.READ", "/users", True),
    ("ZohoCRM.users.READ", "/users/actions/count", True),
    ("ZohoCRM.settings.ALL", "/users", False),
    ("ZohoCRM.users.READ", f"/users/{J_SMITH}/territories", True),
    ("ZohoCRM.settings.territories.READ", f"/users/{J_SMITH}/territories", True),
    ("ZohoCRM.settings.user_groups.READ", f"/users/{J_SMITH}/territories", False),
    ("ZohoCRM.settings.user_groups.READ", "/settings/user_groups", True),
    (
        "ZohoCRM.settings.user_groups.ALL",
        "/settings/user_groups/actions/associated_users_count",
        True,
    ),
    ("ZohoCRM.settings.territories.ALL", "/settings/user_groups", False),
    ("ZohoCRM.settings.user_groups.READ", f"/users/{J_SMITH}/actions/associated_groups", False),
    (
        "ZohoCRM.settings.user_groups.READ,ZohoCRM.users.READ",
        f"/users/{J_SMITH}/actions/associated_groups",
        True,
    ),
    ("ZohoCRM.settings.territories.READ", "/settings/territories", True),
]


@pytest.fixture(scope="module")
def scoped():
    """One emulator; each case sets the granted scopes live, then refreshes (scopes are
    fixed on a token when it is issued)."""
    with EmulatorProcess("--refresh-limit", "1000") as emulator:
        yield emulator


@pytest.mark.parametrize(("scopes", "path", "allowed"), SCOPE_CASES)
def test_scopes(zoho_api, scoped, scopes, path, allowed):
    scoped.config(scopes=scopes)
    api = zoho_api(scoped)
    assert api.token_request().json()["scope"] == " ".join(scopes.split(","))
    answer = api.get(path)
    if allowed:
        assert answer.status_code == 200, answer.text
    else:
        assert_error(answer, 401, "OAUTH_SCOPE_MISMATCH", {})
        assert answer.json()["message"] == "invalid oauth scope to access this URL"


def test_scopes_are_fixed_when_the_token_is_issued(zoho_api, scoped):
    scoped.config(scopes="ZohoCRM.users.READ")
    api = zoho_api(scoped)
    api.refresh()
    scoped.config(scopes="ZohoCRM.settings.ALL,ZohoCRM.users.ALL")
    assert_error(api.get("/settings/territories"), 401, "OAUTH_SCOPE_MISMATCH")
    api.refresh()
    assert api.get("/settings/territories").status_code == 200


def test_write_scopes(zoho_api):
    with EmulatorProcess(
        "--scopes", "ZohoCRM.users.UPDATE,ZohoCRM.settings.territories.READ"
    ) as emu:
        api = zoho_api(emu)
        # E11 needs users.UPDATE or territories.UPDATE.
        ok = api.put(f"/users/{J_SMITH}/territories", json={"territories": [{"id": CHENNAI_SOUTH}]})
        assert ok.status_code == 200
        # E12 needs users.DELETE and territories.DELETE; E6 territories.ALL and users.ALL.
        assert_error(
            api.delete(f"/users/{J_SMITH}/territories?ids={CHENNAI_SOUTH}"),
            401,
            "OAUTH_SCOPE_MISMATCH",
        )
        assert_error(
            api.put(f"/settings/territories/{CHENNAI}/users", json={"users": [{"id": J_SMITH}]}),
            401,
            "OAUTH_SCOPE_MISMATCH",
        )
        assert_error(
            api.delete(f"/settings/territories/{CHENNAI}/users?ids={J_SMITH}"),
            401,
            "OAUTH_SCOPE_MISMATCH",
        )


def test_disable_territories(zoho_api):
    with EmulatorProcess("--disable-territories") as emulator:
        api = zoho_api(emulator)
        for method, path in [
            ("GET", "/settings/territories"),
            ("GET", f"/settings/territories/{CHENNAI}"),
            ("GET", f"/settings/territories/{CHENNAI}/__child_territories"),
            ("GET", "/settings/territories/actions/associated_users_count"),
            ("GET", f"/settings/territories/{CHENNAI}/users"),
            ("PUT", f"/settings/territories/{CHENNAI}/users"),
            ("DELETE", f"/settings/territories/{CHENNAI}/users?ids={J_SMITH}"),
            ("GET", f"/users/{J_SMITH}/territories"),
            ("PUT", f"/users/{J_SMITH}/territories"),
            ("DELETE", f"/users/{J_SMITH}/territories?ids={CHENNAI}"),
        ]:
            assert_error(api.call(method, path, json={}), 403, "FEATURE_NOT_ENABLED", {})
        # Users and user groups still work.
        assert api.get("/users").status_code == 200
        assert api.get("/settings/user_groups").status_code == 200
        # And it can be switched back on live.
        emulator.config(disable_territories=False)
        assert api.get("/settings/territories").status_code == 200
