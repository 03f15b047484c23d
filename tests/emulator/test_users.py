"""User reads on the sample org: E5, E8 (type, ids, If-Modified-Since/304), E9, E10, E17, /org."""

from __future__ import annotations

import pytest

from tests.support.envelope import assert_error

ZOHO = "431581000000272796"
CHENNAI = "431581000000744113"
CHENNAI_NORTH = "431581000000744137"
CHILD = "431581000000744169"
PATRICIA = "431581000000258001"
J_SMITH = "431581000000278001"
RAVI = "431581000000291001"
ANITA = "431581000000302001"
DEEPAK = "431581000000315001"
KARTHIK = "431581000000320001"
TIER1 = "3652397000012454002"
CHENNAI_SALES = "3652397000009952001"
ESCALATIONS = "3652397000013001003"

E8_KEYS = {
    "id", "first_name", "last_name", "full_name", "email", "status", "confirm", "zuid", "role",
    "profile", "Reporting_To", "created_by", "created_time", "Modified_By", "Modified_Time",
    "locale", "language", "country_locale", "time_zone", "offset", "time_format",
    "date_format", "decimal_separator", "number_separator", "$current_shift", "$next_shift",
    "$shift_effective_from", "category", "Isonline", "microsoft", "sandboxDeveloper",
}  # fmt: skip


@pytest.fixture(scope="module")
def api(sample_emulator, zoho_api):
    return zoho_api(sample_emulator)


def ids(answer, key="users"):
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()[key]]


def test_territory_users_single_form(api):
    answer = api.get(f"/settings/territories/{CHENNAI}/users/{J_SMITH}")
    assert ids(answer) == [J_SMITH]
    assert answer.json()["info"]["count"] == 1
    # A user who is not in the territory: no content.
    assert api.get(f"/settings/territories/{CHILD}/users/{RAVI}").status_code == 204
    assert_error(
        api.get(f"/settings/territories/{CHENNAI}/users/999"),
        400,
        "INVALID_DATA",
        {"resource_path_index": 3},
    )


def test_territory_users_paging(api):
    first = api.get(f"/settings/territories/{CHENNAI}/users?per_page=1")
    assert ids(first) == [PATRICIA]
    assert first.json()["info"] == {"per_page": 1, "count": 1, "page": 1, "more_records": True}
    assert ids(api.get(f"/settings/territories/{CHENNAI}/users?per_page=1&page=2")) == [J_SMITH]
    assert api.get(f"/settings/territories/{CHENNAI}/users?per_page=1&page=3").status_code == 204


def test_list_users_default_is_all_users(api):
    answer = api.get("/users")
    assert ids(answer) == [PATRICIA, J_SMITH, RAVI, ANITA, KARTHIK]
    assert answer.json()["info"] == {"per_page": 200, "count": 5, "page": 1, "more_records": False}
    for user in answer.json()["users"]:
        assert set(user) >= E8_KEYS
        assert "modified_time" not in user
        assert "Created_Time" not in user


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("AllUsers", [PATRICIA, J_SMITH, RAVI, ANITA, KARTHIK]),
        ("ActiveUsers", [PATRICIA, J_SMITH, RAVI, KARTHIK]),
        ("DeactiveUsers", [ANITA]),
        ("DeletedUsers", [DEEPAK]),
        ("ConfirmedUsers", [PATRICIA, J_SMITH, RAVI, ANITA, KARTHIK]),
        ("ActiveConfirmedUsers", [PATRICIA, J_SMITH, RAVI, KARTHIK]),
        ("AdminUsers", [PATRICIA]),
        ("ActiveConfirmedAdmins", [PATRICIA]),
        ("CurrentUser", [PATRICIA]),
    ],
)
def test_user_types(api, kind, expected):
    assert ids(api.get(f"/users?type={kind}")) == expected
    assert api.get(f"/users/actions/count?type={kind}").json() == {"count": len(expected)}


def test_no_users_of_a_type_is_204(api):
    assert api.get("/users?type=NotConfirmedUsers").status_code == 204


def test_bad_type(api):
    assert_error(api.get("/users?type=Everyone"), 400, "INVALID_DATA")


def test_ids_param(api):
    assert ids(api.get(f"/users?ids={RAVI},{PATRICIA}")) == [PATRICIA, RAVI]
    too_many = ",".join(str(10**17 + n) for n in range(101))
    assert_error(api.get(f"/users?ids={too_many}"), 400, "LIMIT_EXCEEDED")


def test_if_modified_since(api):
    # Modified_Time: Patricia 2023-05-24T17:37:14, J Smith 17:37:26, Ravi 2024-01-15,
    # Anita 2024-06-30, Karthik 2025-01-20 (all +05:30).
    after_patricia = api.get("/users", headers={"If-Modified-Since": "2023-05-24T17:37:14+05:30"})
    assert ids(after_patricia) == [J_SMITH, RAVI, ANITA, KARTHIK]
    # Same instant in another offset.
    utc = api.get("/users", headers={"If-Modified-Since": "2023-05-24T12:07:26Z"})
    assert ids(utc) == [RAVI, ANITA, KARTHIK]
    http_date = api.get("/users", headers={"If-Modified-Since": "Sat, 01 Jun 2024 00:00:00 GMT"})
    assert ids(http_date) == [ANITA, KARTHIK]
    none = api.get("/users", headers={"If-Modified-Since": "2026-01-01T00:00:00+05:30"})
    assert none.status_code == 304
    assert none.content == b""
    assert_error(api.get("/users", headers={"If-Modified-Since": "soon"}), 400, "INVALID_DATA")


def test_keep_alive_survives_204_and_304(api):
    """Empty answers must not break the reused connection."""
    for _ in range(3):
        assert api.get("/users?type=NotConfirmedUsers").status_code == 204
        assert (
            api.get("/users", headers={"If-Modified-Since": "2030-01-01T00:00:00Z"}).status_code
            == 304
        )
        assert api.get("/users").status_code == 200


def test_single_user(api):
    answer = api.get(f"/users/{ANITA}")
    assert list(answer.json()) == ["users"]
    user = answer.json()["users"][0]
    assert user["status"] == "inactive"
    assert user["full_name"] == "Anita Rao"
    assert user["Reporting_To"] == {"name": "J Smith", "id": J_SMITH}
    assert_error(api.get("/users/123"), 400, "INVALID_DATA", {"resource_path_index": 1})
    assert_error(api.get("/users/abc"), 400, "INVALID_DATA", {"resource_path_index": 1})


def test_users_count(api):
    assert api.get("/users/actions/count").json() == {"count": 5}


def test_user_territories(api):
    answer = api.get(f"/users/{J_SMITH}/territories")
    body = answer.json()
    assert body["info"] == {"per_page": 200, "count": 3, "page": 1, "more_records": False}
    assert body["territories"][0] == {
        "id": CHENNAI,
        "Manager": {"Name": "J Smith", "id": J_SMITH},
        "Name": "Chennai",
        "Reporting_To": {"Name": "Zoho", "id": ZOHO},
    }
    root = api.get(f"/users/{PATRICIA}/territories").json()["territories"][0]
    assert root["Reporting_To"] is None
    single = api.get(f"/users/{J_SMITH}/territories/{CHENNAI_NORTH}").json()
    assert list(single) == ["territories"]
    assert single["territories"][0]["Name"] == "Chennai North"
    assert api.get(f"/users/{J_SMITH}/territories/{ZOHO}").status_code == 204
    assert api.get(f"/users/{KARTHIK}/territories").status_code == 204
    assert_error(api.get("/users/42/territories"), 400, "INVALID_DATA", {"resource_path_index": 1})
    assert_error(
        api.get(f"/users/{J_SMITH}/territories/42"),
        400,
        "INVALID_DATA",
        {"resource_path_index": 3},
    )


def test_associated_groups(api):
    body = api.get(f"/users/{RAVI}/actions/associated_groups").json()
    assert [g["id"] for g in body["user_groups"]] == [CHENNAI_SALES, TIER1, ESCALATIONS]
    assert body["info"]["count"] == 3
    assert set(body["user_groups"][0]) == {
        "created_time",
        "modified_time",
        "name",
        "modified_by",
        "description",
        "id",
        "created_by",
    }
    assert api.get(f"/users/{KARTHIK}/actions/associated_groups").status_code == 204
    assert_error(
        api.get("/users/77/actions/associated_groups"),
        400,
        "INVALID_DATA",
        {"resource_path_index": 1},
    )


def test_org_endpoint(api):
    body = api.get("/org").json()
    assert body["org"][0]["zgid"]
    assert body["org"][0]["primary_email"] == "patricia@zohotest.com"


def test_current_user_as_the_sdk_asks(api):
    body = api.get("/users?type=CurrentUser").json()
    assert body["users"][0]["email"] == "patricia@zohotest.com"


def test_capitalised_users_path(api):
    assert ids(api.get(f"/Users/{J_SMITH}/territories"), "territories")[0] == CHENNAI
