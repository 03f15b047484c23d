"""A thin Zoho API client for emulator tests: refreshes a token, then calls /crm/{version}."""

from __future__ import annotations

from typing import Any

import requests

from zoho_crm_emulator.config import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN

TOKEN_FORM = {
    "grant_type": "refresh_token",
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "refresh_token": REFRESH_TOKEN,
}


class ZohoApi:
    """A thin HTTP client for one emulator: refreshes a token, then calls /crm/{version}."""

    def __init__(self, base_url: str, version: str = "v8") -> None:
        self.base_url = base_url
        self.version = version
        self.session = requests.Session()
        self.token: str | None = None

    def token_request(self, **overrides: Any) -> requests.Response:
        """POST /oauth/v2/token with the sample credentials (form body) and overrides."""
        form = {**TOKEN_FORM, **overrides}
        return self.session.post(f"{self.base_url}/oauth/v2/token", data=form, timeout=30)

    def refresh(self) -> str:
        """Get a new access token and use it from now on."""
        answer = self.token_request().json()
        assert "access_token" in answer, answer
        self.token = str(answer["access_token"])
        return self.token

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """An API call; ``path`` is after ``/crm/{version}`` unless it starts with ``/crm``."""
        if self.token is None and token is None:
            self.refresh()
        sent = {"Authorization": f"Zoho-oauthtoken {token or self.token}"}
        sent.update(headers or {})
        url = path if path.startswith("/crm") else f"/crm/{self.version}{path}"
        kwargs.setdefault("timeout", 60)
        return self.session.request(method, self.base_url + url, headers=sent, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET."""
        return self.call("GET", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        """PUT."""
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        """DELETE."""
        return self.call("DELETE", path, **kwargs)
