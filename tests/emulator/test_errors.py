"""The errors every endpoint shares, endpoint by endpoint (E1-E20)."""

from __future__ import annotations

import pytest
import requests

from zoho_crm_emulator.process import EmulatorProcess

T = "431581000000744113"  # Chennai
U = "431581000000278001"  # J Smith
G = "3652397000012454002"  # Tier1
R = "431581000000031154"  # the Manager role
P = "431581000000031160"  # the Standard profile

# (name, method, path, territory feature, 500 code)
ENDPOINTS = [
    ("E1", "GET", "/settings/territories", True, "INTERNAL_ERROR"),
    ("E2", "GET", f"/settings/territories/{T}", True, "INTERNAL_ERROR"),
    ("E3", "GET", f"/settings/territories/{T}/__child_territories", True, "INTERNAL_ERROR"),
    ("E4", "GET", "/settings/territories/actions/associated_users_count", True, "INTERNAL_ERROR"),
    ("E5", "GET", f"/settings/territories/{T}/users", True, "INTERNAL_ERROR"),
    ("E5u", "GET", f"/settings/territories/{T}/users/{U}", True, "INTERNAL_ERROR"),
    ("E6", "PUT", f"/settings/territories/{T}/users", True, "INTERNAL_ERROR"),
    ("E6u", "PUT", f"/settings/territories/{T}/users/{U}", True, "INTERNAL_ERROR"),
    ("E7", "DELETE", f"/settings/territories/{T}/users?ids={U}", True, "INTERNAL_ERROR"),
    ("E7u", "DELETE", f"/settings/territories/{T}/users/{U}", True, "INTERNAL_ERROR"),
    ("E8", "GET", "/users", False, "INTERNAL_ERROR"),
    ("E8u", "GET", f"/users/{U}", False, "INTERNAL_ERROR"),
    ("E9", "GET", "/users/actions/count", False, "INTERNAL_ERROR"),
    ("E10", "GET", f"/users/{U}/territories", True, "INTERNAL_ERROR"),
    ("E10t", "GET", f"/users/{U}/territories/{T}", True, "INTERNAL_ERROR"),
    ("E11", "PUT", f"/users/{U}/territories", True, "INTERNAL_ERROR"),
    ("E12", "DELETE", f"/users/{U}/territories?ids={T}", True, "INTERNAL_ERROR"),
    ("E12t", "DELETE", f"/users/{U}/territories/{T}", True, "INTERNAL_ERROR"),
    ("E13", "GET", "/settings/user_groups", False, "INTERNAL_SERVER_ERROR"),
    ("E13g", "GET", f"/settings/user_groups/{G}", False, "INTERNAL_SERVER_ERROR"),
    (
        "E14",
        "GET",
        "/settings/user_groups/actions/associated_users_count",
        False,
        "INTERNAL_SERVER_ERROR",
    ),
    ("E15", "GET", f"/settings/user_groups/{G}/sources", False, "INTERNAL_SERVER_ERROR"),
    (
        "E16",
        "GET",
        f"/settings/user_groups/{G}/actions/sources_count",
        False,
        "INTERNAL_SERVER_ERROR",
    ),
    ("E17", "GET", f"/users/{U}/actions/associated_groups", False, "INTERNAL_SERVER_ERROR"),
    ("E18", "GET", "/settings/roles", False, "INTERNAL_ERROR"),
    ("E18r", "GET", f"/settings/roles/{R}", False, "INTERNAL_ERROR"),
    ("E19", "GET", "/settings/profiles", False, "INTERNAL_ERROR"),
    ("E19p", "GET", f"/settings/profiles/{P}", False, "INTERNAL_ERROR"),
    ("E20", "GET", "/org", False, "INTERNAL_ERROR"),
]
IDS = [endpoint[0] for endpoint in ENDPOINTS]
WRONG_METHOD = {"GET": "PATCH", "PUT": "POST", "DELETE": "POST"}


def envelope(answer, status, code):
    assert answer.status_code == status, (answer.status_code, answer.text)
    assert answer.headers["Content-Type"] == "application/json;charset=utf-8"
    body = answer.json()
    assert set(body) == {"code", "details", "message", "status"}
    assert body["code"] == code
    assert body["status"] == "error"
    assert body["details"] == {}
    return body


def send(url, method, path, headers, version="v8"):
    return requests.request(
        method, f"{url}/crm/{version}{path}", headers=headers, json={}, timeout=60
    )


@pytest.fixture(scope="module")
def token(sample_emulator, zoho_api):
    return zoho_api(sample_emulator).refresh()


@pytest.mark.parametrize(("name", "method", "path", "feature", "internal"), ENDPOINTS, ids=IDS)
def test_authentication_failure(sample_emulator, name, method, path, feature, internal):
    for headers in ({}, {"Authorization": "Bearer x"}, {"Authorization": "Basic eDp5"}):
        body = envelope(
            send(sample_emulator.url, method, path, headers), 401, "AUTHENTICATION_FAILURE"
        )
        assert body["message"] == "Authentication failed"


@pytest.mark.parametrize(("name", "method", "path", "feature", "internal"), ENDPOINTS, ids=IDS)
def test_invalid_token(sample_emulator, name, method, path, feature, internal):
    headers = {"Authorization": "Zoho-oauthtoken 1000.dead.beef"}
    body = envelope(send(sample_emulator.url, method, path, headers), 401, "INVALID_TOKEN")
    assert body["message"] == "invalid oauth token"


@pytest.mark.parametrize(("name", "method", "path", "feature", "internal"), ENDPOINTS, ids=IDS)
def test_unknown_version_and_wrong_method(
    sample_emulator, token, name, method, path, feature, internal
):
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    envelope(send(sample_emulator.url, method, path, headers, "v5"), 404, "INVALID_URL_PATTERN")
    other = WRONG_METHOD[method]
    body = envelope(send(sample_emulator.url, other, path, headers), 400, "INVALID_REQUEST_METHOD")
    assert body["message"] == "The http request method type is not a valid one"


READS = [endpoint for endpoint in ENDPOINTS if endpoint[1] == "GET"]


@pytest.mark.parametrize(
    ("name", "method", "path", "feature", "internal"), READS, ids=[e[0] for e in READS]
)
def test_both_versions_served(sample_emulator, token, name, method, path, feature, internal):
    """Reads answer on v7 and v8 alike (writes: test_emulator_writes.py)."""
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    for version in ("v7", "v8"):
        assert send(sample_emulator.url, method, path, headers, version).status_code == 200


@pytest.fixture(scope="module")
def no_scope(zoho_api):
    """Only a scope no endpoint here accepts."""
    with EmulatorProcess("--scopes", "ZohoCRM.modules.ALL") as emulator:
        api = zoho_api(emulator)
        api.refresh()
        yield api


@pytest.mark.parametrize(("name", "method", "path", "feature", "internal"), ENDPOINTS, ids=IDS)
def test_scope_mismatch(no_scope, name, method, path, feature, internal):
    body = envelope(no_scope.call(method, path, json={}), 401, "OAUTH_SCOPE_MISMATCH")
    assert body["message"] == "invalid oauth scope to access this URL"


@pytest.fixture(scope="module")
def failing(zoho_api):
    with EmulatorProcess("--fault-rate", "1", "--faults", "500", "--fault-seed", "1") as emulator:
        api = zoho_api(emulator)
        api.refresh()  # the token endpoint is never faulted
        yield api


@pytest.mark.parametrize(("name", "method", "path", "feature", "internal"), ENDPOINTS, ids=IDS)
def test_internal_error(failing, name, method, path, feature, internal):
    envelope(failing.call(method, path, json={}), 500, internal)


@pytest.fixture(scope="module")
def feature_off(zoho_api):
    with EmulatorProcess("--disable-territories") as emulator:
        api = zoho_api(emulator)
        api.refresh()
        yield api


@pytest.mark.parametrize(("name", "method", "path", "feature", "internal"), ENDPOINTS, ids=IDS)
def test_feature_not_enabled(feature_off, name, method, path, feature, internal):
    answer = feature_off.call(method, path, json={"users": [{"id": U}]})
    if feature:
        envelope(answer, 403, "FEATURE_NOT_ENABLED")
    else:
        assert answer.status_code in (200, 204), answer.text
