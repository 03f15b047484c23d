"""Connection settings: data centres, environments, URL safety, validation messages."""

from __future__ import annotations

import pytest

from zoho_crm_api.datacenters import DATA_CENTERS, data_center_of_api_domain
from zoho_crm_api.errors import ZohoConfigError
from zoho_crm_api.settings import ConnectionSettings

CREDS = {"client_id": "id", "client_secret": "s3cret", "refresh_token": "r3fresh"}

EXPECTED_HOSTS = {
    "us": ("https://accounts.zoho.com", "https://www.zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "https://www.zohoapis.eu"),
    "in": ("https://accounts.zoho.in", "https://www.zohoapis.in"),
    "au": ("https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    "jp": ("https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    "cn": ("https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
    "ca": ("https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
    "sa": ("https://accounts.zoho.sa", "https://www.zohoapis.sa"),
    "uk": ("https://accounts.zoho.uk", "https://www.zohoapis.uk"),
}


def test_every_data_center_is_known() -> None:
    assert set(DATA_CENTERS) == set(EXPECTED_HOSTS)


@pytest.mark.parametrize("code", sorted(EXPECTED_HOSTS))
def test_data_center_resolves_to_its_hosts(code: str) -> None:
    accounts, api = EXPECTED_HOSTS[code]
    settings = ConnectionSettings.from_config({**CREDS, "data_center": code})
    assert settings.accounts_server == accounts
    assert settings.default_api_domain == api
    # Production takes the API domain from the token answer, so nothing is fixed up front.
    assert settings.api_domain is None
    assert data_center_of_api_domain(api) == DATA_CENTERS[code]


@pytest.mark.parametrize("code", sorted(EXPECTED_HOSTS))
@pytest.mark.parametrize("environment", ["sandbox", "developer"])
def test_sandbox_and_developer_hosts(code: str, environment: str) -> None:
    accounts, api = EXPECTED_HOSTS[code]
    settings = ConnectionSettings.from_config(
        {**CREDS, "data_center": code, "environment": environment}
    )
    assert settings.accounts_server == accounts
    assert settings.api_domain == api.replace("://www.", f"://{environment}.")


def test_overrides_win() -> None:
    settings = ConnectionSettings.from_config(
        {
            **CREDS,
            "data_center": "eu",
            "accounts_server": "http://127.0.0.1:9999/",
            "api_domain": "https://www.zohoapis.eu",
        }
    )
    assert settings.accounts_server == "http://127.0.0.1:9999"
    assert settings.api_domain == "https://www.zohoapis.eu"


@pytest.mark.parametrize(
    "url", ["http://localhost:8642", "http://127.0.0.1:1", "http://127.9.9.9", "http://[::1]:80"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert ConnectionSettings.from_config({**CREDS, "accounts_server": url})


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"accounts_server": "http://accounts.example.com"}, "non-loopback"),
        ({"api_domain": "http://10.0.0.5"}, "non-loopback"),
        ({"accounts_server": "accounts.zoho.com"}, "absolute https://"),
        ({"data_center": "mars"}, "Unknown data_center 'mars'"),
        ({"environment": "staging"}, "environment must be one of"),
        ({"max_concurrency": 0}, "max_concurrency must be"),
        ({"request_timeout": -1}, "request_timeout must be"),
        ({"max_retries": -2}, "max_retries must be"),
        ({"api_credit_budget": -5}, "api_credit_budget must be"),
        ({"client_secret": "  "}, "client_secret is required"),
    ],
)
def test_bad_settings_are_explained(changes: dict, words: str) -> None:
    with pytest.raises(ZohoConfigError, match=words):
        ConnectionSettings.from_config({**CREDS, **changes})


def test_settings_repr_hides_secrets() -> None:
    text = repr(ConnectionSettings.from_config(CREDS))
    assert "s3cret" not in text
    assert "r3fresh" not in text
