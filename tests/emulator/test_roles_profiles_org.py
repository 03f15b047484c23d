"""E18 roles, E19 profiles, E20 org: zoho-api.md §10's keys, casing, scopes and editions."""

from __future__ import annotations

import pytest

from tests.support.envelope import assert_error
from zoho_crm_emulator.__main__ import build_parser, make_config
from zoho_crm_emulator.org_sample import (
    PATRICIA,
    PROFILE_ADMIN,
    ROLE_CEO,
    ROLE_MANAGER,
    ROLE_SALES,
    ROLE_SUPPORT,
)
from zoho_crm_emulator.process import EmulatorError

CEO, MANAGER, SALES, SUPPORT = ROLE_CEO, ROLE_MANAGER, ROLE_SALES, ROLE_SUPPORT

ROLE_KEYS = {
    "display_label",
    "forecast_manager",
    "share_with_peers",
    "modified_by__s",
    "name",
    "description",
    "reporting_to",
    "admin_user",
    "id",
    "created_by__s",
    "created_time__s",
    "modified_time__s",
}
PROFILE_KEYS = {
    "display_label",
    "created_time",
    "modified_time",
    "custom",
    "name",
    "modified_by",
    "description",
    "id",
    "type",
    "created_by",
}
ORG_KEYS = {
    "country",
    "photo_id",
    "city",
    "description",
    "mc_status",
    "gapps_enabled",
    "domain_name",
    "translation_enabled",
    "street",
    "alias",
    "currency",
    "id",
    "state",
    "fax",
    "employee_count",
    "zip",
    "created_time",
    "website",
    "currency_symbol",
    "mobile",
    "currency_locale",
    "primary_zuid",
    "zia_portal_id",
    "time_zone",
    "zgid",
    "country_code",
    "license_details",
    "phone",
    "ezgid",
    "company_name",
    "privacy_settings",
    "primary_email",
    "hipaa_compliance_enabled",
    "iso_code",
    "max_per_page",
    "deletable_org_account",
    "lite_users_enabled",
    "oauth_presence",
    "zia_zgid",
    "call_icon",
    "type",
    "hierarchy_preferences",
    "checkin_preferences",
}


@pytest.fixture(scope="module")
def api(sample_emulator, zoho_api):
    return zoho_api(sample_emulator)


def test_roles_list_with_zohos_keys_and_casing(api):
    answer = api.get("/settings/roles")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"roles"}  # no info, no paging
    roles = body["roles"]
    assert [role["id"] for role in roles] == [CEO, MANAGER, SALES, SUPPORT]
    for role in roles:
        assert set(role) == ROLE_KEYS
        assert role["display_label"] == role["name"]
        assert role["forecast_manager"] is None
    ceo, manager, sales = roles[0], roles[1], roles[2]
    assert ceo["reporting_to"] is None
    assert ceo["admin_user"] is True
    assert ceo["share_with_peers"] is True
    assert ceo["description"].startswith("Users with this role have access")
    assert ceo["created_by__s"] is None  # a built-in role
    assert ceo["created_time__s"] is None
    assert manager["reporting_to"] == {"name": "CEO", "id": CEO}
    assert sales["reporting_to"] == {"name": "Manager", "id": MANAGER}
    assert sales["created_by__s"] == {"name": "Patricia Boyle", "id": PATRICIA}
    assert sales["created_time__s"] == "2023-02-01T10:15:00+05:30"
    assert sales["admin_user"] is False


def test_one_role_and_a_bad_role_id(api):
    answer = api.get(f"/settings/roles/{MANAGER}")
    assert answer.status_code == 200
    assert answer.json() == {"roles": [api.get("/settings/roles").json()["roles"][1]]}
    for bad in ("431581000000099999", "abc"):
        assert_error(
            api.get(f"/settings/roles/{bad}"), 400, "INVALID_DATA", {"resource_path_index": 1}
        )


def test_profiles_list_has_only_license_limit_in_info(api):
    body = api.get("/settings/profiles?include_lite_profile=true").json()
    assert set(body) == {"profiles", "info"}
    assert body["info"] == {"license_limit": None}
    profiles = body["profiles"]
    assert [p["name"] for p in profiles] == ["Administrator", "Standard"]
    for profile in profiles:
        assert set(profile) == PROFILE_KEYS  # no _delete, no permissions_details in lists
        assert profile["custom"] is False  # built-in
        assert profile["created_by"] is None
        assert profile["created_time"] is None
        assert profile["type"] == "normal_profile"
    assert profiles[0]["description"] == "This profile will have all the permissions."


def test_one_profile_has_its_permissions(api):
    body = api.get(f"/settings/profiles/{PROFILE_ADMIN}").json()
    assert set(body) == {"profiles"}
    (profile,) = body["profiles"]
    assert set(profile) == PROFILE_KEYS | {"permissions_details"}
    permissions = profile["permissions_details"]
    assert permissions
    for permission in permissions:
        assert set(permission) == {
            "id",
            "name",
            "display_label",
            "module",
            "enabled",
            "customizable",
            "parent_permissions",
        }
        assert permission["id"].isdigit()
    assert all(p["enabled"] for p in permissions)  # Administrator
    assert_error(api.get("/settings/profiles/4318"), 400, "INVALID_DATA", {})


def test_org_is_one_element_with_every_documented_key(api):
    body = api.get("/org").json()
    assert set(body) == {"org"}
    (org,) = body["org"]
    assert set(org) == ORG_KEYS
    assert org["id"] == org["zgid"] == "60019394660"
    assert org["company_name"] == "Zylker Chennai"
    assert org["domain_name"] == "org60019394660"
    assert org["time_zone"] == "Asia/Kolkata"
    assert org["primary_email"] == "patricia@zohotest.com"
    assert org["type"] == "production"
    assert isinstance(org["max_per_page"], int)
    assert isinstance(org["zia_zgid"], int)
    assert org["hierarchy_preferences"] == {"type": "Role_Hierarchy", "strictly_reporting": False}
    assert org["license_details"] == {
        "paid": True,
        "paid_type": "enterprise",
        "paid_expiry": None,
        "trial_type": None,
        "trial_expiry": None,
        "users_license_purchased": 4,  # the active users
    }


EDITIONS = {
    "free": (False, "free"),
    "standard": (True, "standard"),
    "professional": (True, "professional"),
    "enterprise": (True, "enterprise"),
    "ultimate": (True, "ultimate"),
}


def test_edition_sets_license_details_and_nothing_else(org, zoho_api):
    emulator = org.emulator
    api = zoho_api(emulator)
    assert emulator.config()["edition"] == "enterprise"
    before = emulator.config()
    for edition, (paid, paid_type) in EDITIONS.items():
        emulator.config(edition=edition)
        details = api.get("/org").json()["org"][0]["license_details"]
        assert (details["paid"], details["paid_type"]) == (paid, paid_type)
        assert details["trial_type"] is None
    after = emulator.config()
    assert after["max_concurrency"] is None  # the edition sets no limit
    assert after["credits"] is None
    assert {k: v for k, v in after.items() if k != "edition"} == {
        k: v for k, v in before.items() if k != "edition"
    }
    with pytest.raises(EmulatorError, match="edition"):
        emulator.config(edition="premium")


def test_edition_option(capsys):
    args = build_parser().parse_args(["--edition", "free"])
    assert make_config(args).edition == "free"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--edition", "premium"])
    assert "invalid choice: 'premium'" in capsys.readouterr().err


def test_default_scopes_include_roles_profiles_org(api):
    scopes = api.token_request().json()["scope"].split(" ")
    for scope in (
        "ZohoCRM.settings.roles.ALL",
        "ZohoCRM.settings.profiles.ALL",
        "ZohoCRM.org.ALL",
    ):
        assert scope in scopes


@pytest.mark.parametrize(
    ("path", "scopes"),
    [
        ("/settings/roles", ("ZohoCRM.settings.roles.READ", "zohocrm.settings.roles.all")),
        ("/settings/roles/{role}", ("ZohoCRM.settings.roles.ALL", "ZohoCRM.settings.ALL")),
        ("/settings/profiles", ("ZohoCRM.settings.profiles.READ", "ZOHOCRM.SETTINGS.PROFILES.ALL")),
        ("/settings/profiles/{profile}", ("ZohoCRM.settings.profiles.read",)),
        ("/org", ("ZohoCRM.org.READ", "zohocrm.org.all")),
    ],
)
def test_read_or_all_in_any_case(org, zoho_api, path, scopes):
    state = org.emulator.state(sections="roles,profiles")
    path = path.format(role=state["roles"][0]["id"], profile=state["profiles"][0]["id"])
    api = zoho_api(org.emulator)
    org.emulator.config(scopes="ZohoCRM.users.ALL,ZohoCRM.settings.territories.ALL")
    assert_error(api.get(path, token=api.refresh()), 401, "OAUTH_SCOPE_MISMATCH")
    for scope in scopes:
        org.emulator.config(scopes=scope)
        assert api.get(path, token=api.refresh()).status_code == 200, scope


def test_generated_org_roles_and_profiles_in_full(org, zoho_api):
    api = zoho_api(org.emulator)
    state = org.emulator.state(sections="roles,profiles")
    roles = api.get("/settings/roles").json()["roles"]
    assert len(roles) == len(state["roles"]) == 11
    by_id = {role["id"]: role for role in state["roles"]}
    for role in roles:
        assert role["reporting_to"] == by_id[role["id"]]["reporting_to"]
        assert (role["created_by__s"] is None) == (role["name"] == "CEO")
    profiles = api.get("/settings/profiles").json()["profiles"]
    assert [p["name"] for p in profiles] == ["Administrator", "Standard", "Sales", "Support"]
    assert [p["custom"] for p in profiles] == [False, False, True, True]
    assert [p["id"] for p in profiles] == [p["id"] for p in state["profiles"]]
