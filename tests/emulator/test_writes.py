"""Writes E6, E7, E11, E12: item-by-item answers, the documented rules, their effect on reads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

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
RAVI = "431581000000291001"
ANITA = "431581000000302001"
DEEPAK = "431581000000315001"
KARTHIK = "431581000000320001"
TIER1 = "3652397000012454002"

E6_OK = "Given User added to the mentioned territory Successfully"
E7_OK = "Given User Removed from the mentioned territory Successfully"
E11_OK = "Territory associated to the user successfully"
E12_OK = "Territory removed from the user successfully"


def ok(other_id, message):
    return {"code": "SUCCESS", "details": {"id": other_id}, "message": message, "status": "success"}


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess("--refresh-limit", "100000") as emu:
        yield emu


@pytest.fixture(scope="module")
def client(emulator, zoho_api):
    return zoho_api(emulator)


@pytest.fixture
def api(emulator, client):
    """The module's client, on a fresh copy of the sample org."""
    emulator.reset_org()
    emulator.config(mixed_status=207)
    return client


def pairs(emulator):
    return {(a["user_id"], a["territory_id"]) for a in emulator.state()["assignments"]}


# ---------------------------------------------------------------- E11 PUT /users/{id}/territories


def test_e11_add_then_read(api, emulator):
    answer = api.put(
        f"/users/{KARTHIK}/territories",
        json={"territories": [{"id": CHENNAI_SOUTH}, {"id": CHILD}]},
    )
    assert answer.status_code == 200
    assert answer.json() == {"territories": [ok(CHENNAI_SOUTH, E11_OK), ok(CHILD, E11_OK)]}
    e10 = api.get(f"/users/{KARTHIK}/territories").json()
    assert [t["id"] for t in e10["territories"]] == [CHENNAI_SOUTH, CHILD]
    e5 = api.get(f"/settings/territories/{CHENNAI_SOUTH}/users").json()
    assert [u["id"] for u in e5["users"]] == [RAVI, KARTHIK]
    counts = {
        c["territory"]["id"]: c["count"]
        for c in api.get("/settings/territories/actions/associated_users_count").json()[
            "associated_users_count"
        ]
    }
    assert counts[CHENNAI_SOUTH] == "2"
    assert counts[CHILD] == "2"
    # Tier1 has the territory Chennai-South as a source: Karthik now counts.
    groups = api.get("/settings/user_groups/actions/associated_users_count").json()
    tier1 = next(g for g in groups["associated_users_count"] if g["user_group"]["id"] == TIER1)
    assert tier1["count"] == 5
    assert (KARTHIK, CHILD) in pairs(emulator)


def test_e11_numeric_ids_and_no_content_type(api):
    """The official SDK sends ids as JSON numbers and no Content-Type (zoho-api.md §9)."""
    answer = api.put(
        f"/users/{KARTHIK}/territories",
        data=b'{"territories":[{"id":431581000000744125}]}',
        headers={"Content-Type": ""},
    )
    assert answer.status_code == 200
    assert answer.json()["territories"][0] == ok(CHENNAI_SOUTH, E11_OK)


def test_e11_item_errors_and_mixed_status(api):
    answer = api.put(
        f"/users/{J_SMITH}/territories",
        json={
            "territories": [
                {"id": CHENNAI_SOUTH},
                {"id": CHENNAI},
                {"id": "12345"},
                {"id": "abc"},
                {},
                {"id": CHENNAI_SOUTH},
            ]
        },
    )
    assert answer.status_code == 207
    items = answer.json()["territories"]
    assert items[0] == ok(CHENNAI_SOUTH, E11_OK)
    assert items[1]["code"] == "DUPLICATE_DATA"
    assert items[1]["details"] == {"api_name": "id", "json_path": "$.territories[1].id"}
    assert items[2]["code"] == "INVALID_DATA"
    assert items[2]["details"] == {"api_name": "id", "json_path": "$.territories[2].id"}
    assert items[3]["code"] == "INVALID_DATA"
    assert items[3]["details"] == {
        "expected_data_type": "long",
        "api_name": "id",
        "json_path": "$.territories[3].id",
    }
    assert items[4]["code"] == "MANDATORY_NOT_FOUND"
    assert items[4]["details"] == {"api_name": "id", "json_path": "$.territories[4].id"}
    assert items[5]["code"] == "DUPLICATE_DATA"  # added by item 0 of the same request
    assert all(item["status"] == "error" for item in items[1:])


def test_mixed_status_option(api, emulator):
    emulator.config(mixed_status=200)
    answer = api.put(
        f"/users/{J_SMITH}/territories", json={"territories": [{"id": PARENT}, {"id": CHENNAI}]}
    )
    assert answer.status_code == 200
    assert [i["status"] for i in answer.json()["territories"]] == ["success", "error"]


def test_e11_all_errors_is_400(api):
    answer = api.put(f"/users/{J_SMITH}/territories", json={"territories": [{"id": CHENNAI}]})
    assert answer.status_code == 400
    assert answer.json()["territories"][0]["code"] == "DUPLICATE_DATA"


def test_e11_top_level_errors(api):
    assert_error(
        api.put(f"/users/{PATRICIA}/territories", json={"territories": [{"id": CHILD}]}),
        400,
        "NOT_ALLOWED",
    )
    assert (
        api.put(f"/users/{PATRICIA}/territories", json={"territories": [{"id": CHILD}]}).json()[
            "message"
        ]
        == "Logged in users cannot update their own territories"
    )
    too_many = {"territories": [{"id": CHILD}] * 101}
    assert_error(
        api.put(f"/users/{J_SMITH}/territories", json=too_many),
        400,
        "LIMIT_EXCEEDED",
        {"limit": 100},
    )
    assert_error(api.put(f"/users/{J_SMITH}/territories", json={}), 400, "MANDATORY_NOT_FOUND")
    assert_error(api.put(f"/users/{J_SMITH}/territories", data=b"{oops"), 400, "INVALID_DATA")
    assert_error(
        api.put("/users/999/territories", json={"territories": [{"id": CHILD}]}),
        400,
        "INVALID_DATA",
        {"resource_path_index": 1},
    )
    assert_error(
        api.put(f"/users/{DEEPAK}/territories", json={"territories": [{"id": CHILD}]}),
        400,
        "INVALID_DATA",
        {"resource_path_index": 1},
    )
    assert_error(
        api.put(f"/users/{ANITA}/territories", json={"territories": [{"id": CHILD}]}),
        400,
        "INVALID_DATA",
        {"resource_path_index": 1},
    )


def test_exactly_100_items_is_allowed(api):
    answer = api.put(f"/users/{KARTHIK}/territories", json={"territories": [{"id": CHILD}] * 100})
    assert answer.status_code == 207
    items = answer.json()["territories"]
    assert len(items) == 100
    assert items[0]["status"] == "success"
    assert {item["code"] for item in items[1:]} == {"DUPLICATE_DATA"}


# ------------------------------------------------------------- E12 DELETE /users/{id}/territories


def test_e12_remove_then_read(api):
    answer = api.delete(f"/users/{J_SMITH}/territories?ids={CHENNAI}")
    assert answer.status_code == 400  # J Smith manages Chennai
    api.put(f"/users/{J_SMITH}/territories", json={"territories": [{"id": PARENT}]})
    answer = api.delete(f"/users/{J_SMITH}/territories?ids={PARENT}")
    assert answer.status_code == 200
    assert answer.json() == {"territories": [ok(PARENT, E12_OK)]}
    assert api.get(f"/users/{J_SMITH}/territories/{PARENT}").status_code == 204


def test_e12_rules_and_empty_error_details(api):
    answer = api.delete(
        f"/users/{RAVI}/territories?ids={CHENNAI_LEADS},{ZOHO},{CHILD},{CHENNAI_SOUTH},999,x"
    )
    assert answer.status_code == 400
    items = answer.json()["territories"]
    assert [i["message"] for i in items] == [
        "This user cannot be removed as the user is a manager of the mentioned Territory.",
        "Organization Territory cannot be removed from the user",
        "The territory ID is not linked with the user",
        "This user cannot be removed as the user is a manager of the mentioned Territory.",
        "The given territory id seems to be invalid",
        "The given territory id seems to be invalid",
    ]
    assert all(i["code"] == "INVALID_DATA" and i["details"] == {} for i in items)


def test_e12_mixed(api):
    api.put(f"/users/{RAVI}/territories", json={"territories": [{"id": CHILD}]})
    answer = api.delete(f"/users/{RAVI}/territories?ids={CHENNAI_LEADS},{CHILD}")
    assert answer.status_code == 207
    items = answer.json()["territories"]
    assert items[0]["status"] == "error"
    assert items[1] == ok(CHILD, E12_OK)


def test_e12_single_form_and_capital_users(api):
    api.put(f"/users/{RAVI}/territories", json={"territories": [{"id": CHILD}]})
    answer = api.delete(f"/Users/{RAVI}/territories/{CHILD}")
    assert answer.status_code == 200
    assert answer.json() == {"territories": [ok(CHILD, E12_OK)]}
    assert_error(
        api.delete(f"/users/{RAVI}/territories/123"),
        400,
        "INVALID_DATA",
        {"resource_path_index": 3},
    )


def test_e12_top_level_errors(api):
    body = assert_error(
        api.delete(f"/users/{PATRICIA}/territories?ids={CHILD}"), 400, "NOT_ALLOWED"
    )
    assert body["message"] == "You cannot update the territories you belong to"
    assert_error(
        api.delete(f"/users/{RAVI}/territories"),
        400,
        "REQUIRED_PARAM_MISSING",
        {"param_name": "ids"},
    )
    many = ",".join([CHILD] * 101)
    assert_error(
        api.delete(f"/users/{RAVI}/territories?ids={many}"), 400, "LIMIT_EXCEEDED", {"limit": 100}
    )
    assert_error(
        api.delete(f"/users/{DEEPAK}/territories?ids={CHILD}"),
        400,
        "INVALID_DATA",
        {"resource_path_index": 1},
    )


# ------------------------------------------------------- E6 PUT /settings/territories/{id}/users


def test_e6_add_then_read(api):
    answer = api.put(
        f"/settings/territories/{CHENNAI_NORTH}/users",
        json={"users": [{"id": RAVI}, {"id": KARTHIK}]},
    )
    assert answer.status_code == 200
    assert answer.json() == {"users": [ok(RAVI, E6_OK), ok(KARTHIK, E6_OK)]}
    e5 = api.get(f"/settings/territories/{CHENNAI_NORTH}/users").json()
    assert [u["id"] for u in e5["users"]] == [J_SMITH, RAVI, KARTHIK]


def test_e6_item_errors(api):
    answer = api.put(
        f"/settings/territories/{CHENNAI}/users",
        json={
            "users": [
                {"id": J_SMITH},
                {"id": PATRICIA},
                {"id": ANITA},
                {"id": DEEPAK},
                {"id": "1"},
                {"id": "x1"},
                {"name": "no id"},
                {"id": int(KARTHIK)},
            ]
        },
    )
    assert answer.status_code == 207
    items = answer.json()["users"]
    assert [i["code"] for i in items] == [
        "DUPLICATE_DATA",
        "NOT_ALLOWED",
        "INVALID_DATA",
        "INVALID_DATA",
        "INVALID_DATA",
        "INVALID_DATA",
        "MANDATORY_NOT_FOUND",
        "SUCCESS",
    ]
    assert items[0]["details"] == {"api_name": "id", "json_path": "$.users[0].id"}
    assert items[5]["details"]["expected_data_type"] == "long"
    assert items[7] == ok(KARTHIK, E6_OK)


def test_e6_single_form(api):
    answer = api.put(f"/settings/territories/{PARENT}/users/{RAVI}")
    assert answer.status_code == 200
    assert answer.json() == {"users": [ok(RAVI, E6_OK)]}
    again = api.put(f"/settings/territories/{PARENT}/users/{RAVI}")
    assert again.status_code == 400
    assert again.json()["users"][0]["code"] == "DUPLICATE_DATA"
    assert_error(
        api.put(f"/settings/territories/{PARENT}/users/5"),
        400,
        "INVALID_DATA",
        {"resource_path_index": 3},
    )


def test_e6_top_level_errors(api):
    assert_error(
        api.put("/settings/territories/5/users", json={"users": [{"id": RAVI}]}),
        400,
        "INVALID_DATA",
        {"resource_path_index": 1},
    )
    assert_error(
        api.put(f"/settings/territories/{PARENT}/users", json={"users": [{"id": RAVI}] * 101}),
        400,
        "LIMIT_EXCEEDED",
        {"limit": 100},
    )
    assert_error(
        api.put(f"/settings/territories/{PARENT}/users", json={"territories": []}),
        400,
        "MANDATORY_NOT_FOUND",
    )


def test_users_per_territory_limit_option(zoho_api):
    with EmulatorProcess("--max-users-per-territory", "2") as emulator:
        api = zoho_api(emulator)
        answer = api.put(
            f"/settings/territories/{CHENNAI_SOUTH}/users",
            json={"users": [{"id": KARTHIK}, {"id": J_SMITH}]},
        )
        items = answer.json()["users"]
        assert items[0]["status"] == "success"
        assert items[1]["code"] == "LIMIT_EXCEEDED"
        assert items[1]["details"]["limit"] == 2


# ---------------------------------------------------- E7 DELETE /settings/territories/{id}/users


def test_e7_remove_then_read(api, emulator):
    api.put(f"/settings/territories/{CHILD}/users", json={"users": [{"id": RAVI}]})
    answer = api.delete(f"/settings/territories/{CHILD}/users?ids={RAVI}")
    assert answer.status_code == 200
    assert answer.json() == {"users": [ok(RAVI, E7_OK)]}
    assert (RAVI, CHILD) not in pairs(emulator)


def test_e7_rules(api):
    answer = api.delete(
        f"/settings/territories/{CHENNAI}/users?ids={J_SMITH},{PATRICIA},{RAVI},42,abc"
    )
    assert answer.status_code == 400
    items = answer.json()["users"]
    assert [(i["code"], i["message"]) for i in items] == [
        (
            "INVALID_DATA",
            "This user cannot be removed as the user is a manager of the mentioned Territory.",
        ),
        ("NOT_ALLOWED", "Logged in users cannot update their own territories"),
        ("INVALID_DATA", "user is not a member of this territory"),
        ("INVALID_DATA", "the user id given seems to be invalid"),
        ("INVALID_DATA", "the user id given seems to be invalid"),
    ]
    assert all(i["details"] == {} for i in items)
    root = api.delete(f"/settings/territories/{ZOHO}/users?ids={J_SMITH}")
    assert (
        root.json()["users"][0]["message"]
        == "Organization Territory cannot be removed from the user"
    )


def test_e7_single_form_and_errors(api):
    api.put(f"/settings/territories/{CHILD}/users", json={"users": [{"id": RAVI}]})
    assert api.delete(f"/settings/territories/{CHILD}/users/{RAVI}").json() == {
        "users": [ok(RAVI, E7_OK)]
    }
    assert_error(
        api.delete(f"/settings/territories/{CHILD}/users"),
        400,
        "REQUIRED_PARAM_MISSING",
        {"param_name": "ids"},
    )
    many = ",".join([RAVI] * 101)
    assert_error(
        api.delete(f"/settings/territories/{CHILD}/users?ids={many}"),
        400,
        "LIMIT_EXCEEDED",
        {"limit": 100},
    )


def test_writes_are_atomic_under_concurrency(zoho_api):
    """Many threads adding and removing the same pairs never corrupt the two indexes."""
    args = ("--territories", "20", "--users", "60", "--seed", "3", "--refresh-limit", "1000")
    with EmulatorProcess(*args) as emulator:
        state = emulator.state()
        current = state["current_user_id"]
        root = state["root_territory_id"]
        managers = {(t["manager"]["id"], t["id"]) for t in state["territories"]}
        users = [u["id"] for u in state["users"] if u["status"] == "active" and u["id"] != current]
        territories = [t["id"] for t in state["territories"] if t["id"] != root]

        def work(n):
            api = zoho_api(emulator)
            user = users[n % len(users)]
            body = {"territories": [{"id": t} for t in territories[:10]]}
            api.put(f"/users/{user}/territories", json=body)
            api.delete(f"/users/{user}/territories?ids={','.join(territories[5:10])}")

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(work, range(32)))
        after = emulator.state()
        e4 = {t["id"]: 0 for t in after["territories"]}
        for pair in after["assignments"]:
            e4[pair["territory_id"]] += 1
        api = zoho_api(emulator)
        counts = api.get("/settings/territories/actions/associated_users_count").json()
        assert {
            c["territory"]["id"]: int(c["count"]) for c in counts["associated_users_count"]
        } == e4
        for user in users[:8]:
            got = api.get(f"/users/{user}/territories")
            listed = [t["id"] for t in got.json()["territories"]] if got.status_code == 200 else []
            expected = sorted(
                (p["territory_id"] for p in after["assignments"] if p["user_id"] == user), key=int
            )
            assert listed == expected
            for territory in territories[5:10]:
                assert (user, territory) not in {
                    (p["user_id"], p["territory_id"]) for p in after["assignments"]
                } or (user, territory) in managers
