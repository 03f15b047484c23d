"""OAuth: the refresh grant (form and query), its errors, throttle, expiry, revoke, eviction."""

from __future__ import annotations

import time

import pytest
import requests

from zoho_crm_emulator.process import EmulatorProcess

TERRITORIES = "/settings/territories"


def test_form_body_grant(sample_emulator, zoho_api):
    api = zoho_api(sample_emulator)
    answer = api.token_request()
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "api_domain", "token_type", "expires_in", "scope"}
    assert body["api_domain"] == sample_emulator.url
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"].startswith("1000.")
    assert "ZohoCRM.settings.ALL" in body["scope"].split(" ")


@pytest.mark.secrets_in_test_client(
    "the test's own HTTP client sends the credentials in the query string (that is the point) "
    "and urllib3 logs the URL at DEBUG"
)
def test_query_string_grant(sample_emulator):
    params = {
        "grant_type": "refresh_token",
        "client_id": "1000.EMULATORCLIENTID",
        "client_secret": "emulator-client-secret",
        "refresh_token": "1000.emulator-refresh-token",
    }
    answer = requests.post(f"{sample_emulator.url}/oauth/v2/token", params=params, timeout=30)
    assert answer.status_code == 200
    token = answer.json()["access_token"]
    api_answer = requests.get(
        f"{sample_emulator.url}/crm/v8{TERRITORIES}",
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
        timeout=30,
    )
    assert api_answer.status_code == 200


def test_multipart_grant(sample_emulator):
    fields = {
        "grant_type": (None, "refresh_token"),
        "client_id": (None, "1000.EMULATORCLIENTID"),
        "client_secret": (None, "emulator-client-secret"),
        "refresh_token": (None, "1000.emulator-refresh-token"),
    }
    answer = requests.post(f"{sample_emulator.url}/oauth/v2/token", files=fields, timeout=30)
    assert "access_token" in answer.json()


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"client_id": "1000.WRONG"}, "invalid_client"),
        ({"client_secret": "nope"}, "invalid_client"),
        ({"refresh_token": "1000.not-a-token"}, "invalid_code"),
    ],
)
def test_token_errors_are_http_200(sample_emulator, zoho_api, override, error):
    answer = zoho_api(sample_emulator).token_request(**override)
    assert answer.status_code == 200
    assert answer.json() == {"error": error}


def test_api_without_or_with_wrong_header(sample_emulator):
    url = f"{sample_emulator.url}/crm/v8{TERRITORIES}"
    for headers in ({}, {"Authorization": "Bearer abc"}, {"Authorization": "Zoho-oauthtoken"}):
        answer = requests.get(url, headers=headers, timeout=30)
        assert answer.status_code == 401
        assert answer.json() == {
            "code": "AUTHENTICATION_FAILURE",
            "details": {},
            "message": "Authentication failed",
            "status": "error",
        }


def test_unknown_token(sample_emulator, zoho_api):
    answer = zoho_api(sample_emulator).get(TERRITORIES, token="1000.abc.def")
    assert answer.status_code == 401
    assert answer.json() == {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }


def test_token_endpoint_counted_but_not_in_total(zoho_api):
    with EmulatorProcess() as emulator:
        api = zoho_api(emulator)
        api.refresh()
        api.refresh()
        api.get(TERRITORIES)
        stats = emulator.stats()
        assert stats["requests"]["POST /oauth/v2/token"] == 2
        assert stats["total_requests"] == 1
        assert stats["credits_used"] == 1


def test_refresh_throttle(zoho_api):
    with EmulatorProcess("--refresh-limit", "3", "--refresh-window", "600") as emulator:
        api = zoho_api(emulator)
        answers = [api.token_request().json() for _ in range(5)]
        assert all("access_token" in answer for answer in answers[:3])
        for answer in answers[3:]:
            assert answer == {
                "error_description": (
                    "You have made too many requests continuously. Please try again after some "
                    "time."
                ),
                "error": "Access Denied",
                "status": "failure",
            }
        # Tokens already issued still work.
        assert api.get(TERRITORIES, token=answers[0]["access_token"]).status_code == 200


def test_throttle_window_slides(zoho_api):
    with EmulatorProcess("--refresh-limit", "2", "--refresh-window", "1") as emulator:
        api = zoho_api(emulator)
        assert "access_token" in api.token_request().json()
        assert "access_token" in api.token_request().json()
        assert api.token_request().json()["error"] == "Access Denied"
        time.sleep(1.2)
        assert "access_token" in api.token_request().json()


def test_token_expiry(zoho_api):
    with EmulatorProcess("--token-ttl", "1") as emulator:
        api = zoho_api(emulator)
        body = api.token_request().json()
        assert body["expires_in"] == 1
        assert api.get(TERRITORIES, token=body["access_token"]).status_code == 200
        time.sleep(1.3)
        answer = api.get(TERRITORIES, token=body["access_token"])
        assert answer.status_code == 401
        assert answer.json()["code"] == "INVALID_TOKEN"


def test_revoke_refresh_token(zoho_api):
    with EmulatorProcess() as emulator:
        api = zoho_api(emulator)
        token = api.refresh()
        assert emulator.revoke_refresh_token("1000.emulator-refresh-token") == {"status": "success"}
        assert api.get(TERRITORIES, token=token).json()["code"] == "INVALID_TOKEN"
        assert api.token_request().json() == {"error": "invalid_code"}


def test_sixteenth_token_evicts_the_oldest(zoho_api):
    with EmulatorProcess("--refresh-limit", "100") as emulator:
        api = zoho_api(emulator)
        tokens = [api.token_request().json()["access_token"] for _ in range(16)]
        assert api.get(TERRITORIES, token=tokens[0]).json()["code"] == "INVALID_TOKEN"
        for token in tokens[1:]:
            assert api.get(TERRITORIES, token=token).status_code == 200


def test_token_endpoint_is_not_gated(zoho_api):
    """The token endpoint costs no credit and ignores the concurrency limit and faults."""
    with EmulatorProcess("--credits", "1", "--fault-rate", "1", "--max-concurrency", "1") as emu:
        api = zoho_api(emu)
        for _ in range(3):
            assert "access_token" in api.token_request().json()
        assert emu.stats()["credits_used"] == 0
