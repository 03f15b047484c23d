"""Zoho OAuth: one access token per run, shared by every thread, refreshed ahead of expiry."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

import requests

from zoho_crm_api.datacenters import check_url, data_center_of_api_domain
from zoho_crm_api.errors import ZohoAuthError
from zoho_crm_api.settings import ConnectionSettings

TOKEN_PATH = "/oauth/v2/token"
# Zoho lets a refresh token mint 10 access tokens per 10 minutes; once throttled, waiting out
# the window is the only cure, so keep trying for a little longer than that.
THROTTLE_MAX_WAIT = 660.0
THROTTLE_FIRST_WAIT = 1.0
THROTTLE_MAX_STEP = 60.0


class TokenManager:
    """Holds the current access token and the API domain that the accounts server named."""

    def __init__(
        self,
        settings: ConnectionSettings,
        session: requests.Session,
        logger: logging.Logger,
        *,
        on_refresh: Callable[[], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._session = session
        self._logger = logger
        self._on_refresh = on_refresh
        self._sleep = sleep
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._api_domain: str | None = settings.api_domain
        self.refreshes = 0

    @property
    def token_url(self) -> str:
        """The accounts server's token endpoint."""
        return self._settings.accounts_server + TOKEN_PATH

    def token(self) -> str:
        """A valid access token, refreshed if it is missing or about to expire."""
        with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at:
                self._refresh()
            assert self._token is not None
            return self._token

    def api_domain(self) -> str:
        """The base URL of the API (`https://www.zohoapis.<tld>`), known after the first token."""
        self.token()
        assert self._api_domain is not None
        return self._api_domain

    def invalidate(self, token: str) -> None:
        """Forget `token` after Zoho rejected it, unless another thread already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None

    def known_secrets(self) -> list[str]:
        """Every secret this manager holds, for redaction."""
        return [t for t in (self._token,) if t]

    def _refresh(self) -> None:
        waited = 0.0
        step = THROTTLE_FIRST_WAIT
        while True:
            answer = self._post_refresh()
            error = answer.get("error")
            if not error and answer.get("access_token"):
                self._accept(answer)
                return
            if error == "Access Denied":
                # Zoho's refresh throttle: HTTP 200, "too many requests continuously".
                if waited >= THROTTLE_MAX_WAIT:
                    raise ZohoAuthError(
                        "Zoho's accounts server keeps refusing new access tokens (Access Denied: "
                        f"too many token requests) after waiting {waited:.0f} s. What to do: "
                        "make sure no other job refreshes with this refresh token in a loop "
                        "(Zoho allows 10 new tokens per 10 minutes), then re-run."
                    )
                wait = min(step, THROTTLE_MAX_STEP) * (0.5 + random.random() / 2)
                self._logger.warning(
                    "Zoho throttled token refresh (Access Denied); waiting %.1f s before retrying.",
                    wait,
                )
                self._sleep(wait)
                waited += wait
                step *= 2
                continue
            raise ZohoAuthError(self._explain(str(error or "an answer without access_token")))

    def _post_refresh(self) -> dict:
        body = {
            "grant_type": "refresh_token",
            "client_id": self._settings.client_id,
            "client_secret": self._settings.client_secret,
            "refresh_token": self._settings.refresh_token,
        }
        attempts = self._settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._session.post(
                    self.token_url, data=body, timeout=self._settings.request_timeout
                )
            except requests.RequestException as exc:
                if attempt == attempts:
                    raise ZohoAuthError(
                        f"Could not reach the accounts server {self._settings.accounts_server} "
                        f"({type(exc).__name__}). What to do: check network access and "
                        "accounts_server/data_center."
                    ) from None
                self._sleep(min(2**attempt, 30) * random.random())
                continue
            if response.status_code >= 500 and attempt < attempts:
                self._sleep(min(2**attempt, 30) * random.random())
                continue
            self.refreshes += 1
            if self._on_refresh:
                self._on_refresh()
            try:
                answer = response.json()
            except ValueError:
                raise ZohoAuthError(
                    f"The accounts server {self._settings.accounts_server} answered HTTP "
                    f"{response.status_code} without JSON. What to do: check accounts_server."
                ) from None
            if not isinstance(answer, dict):
                raise ZohoAuthError("The accounts server answered with unexpected JSON.")
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _accept(self, answer: dict) -> None:
        self._token = str(answer["access_token"])
        expires_in = float(answer.get("expires_in") or 3600)
        if "expires_in_sec" in answer:
            # Legacy answer: expires_in in milliseconds, expires_in_sec in seconds (zoho-api §5).
            expires_in = float(answer["expires_in_sec"])
        # Refresh ahead of expiry: a minute early, or a quarter of a very short lifetime.
        margin = min(60.0, expires_in / 4)
        self._expires_at = time.monotonic() + expires_in - margin
        if self._settings.api_domain is None:
            domain = answer.get("api_domain") or self._settings.default_api_domain
            self._api_domain = check_url(str(domain), "api_domain (from the token answer)")
            self._warn_on_dc_mismatch(self._api_domain)
        self._logger.info("Obtained a Zoho access token valid for %.0f s.", expires_in)

    def _warn_on_dc_mismatch(self, api_domain: str) -> None:
        dc = data_center_of_api_domain(api_domain)
        if dc is not None and dc.code != self._settings.data_center:
            self._logger.warning(
                "The token answer names API domain %s (data centre %s) but data_center is %s; "
                "using the token's domain.",
                api_domain,
                dc.code,
                self._settings.data_center,
            )

    def _explain(self, error: str) -> str:
        where = f"{self._settings.accounts_server} (data_center {self._settings.data_center})"
        if error == "invalid_client":
            return (
                f"Zoho rejected the client credentials (invalid_client) at {where}. What to do: "
                "check client_id and client_secret, and that data_center is the data centre "
                "where the self-client was created (an EU client is unknown to accounts.zoho.com)."
            )
        if error == "invalid_code":
            return (
                f"Zoho rejected the refresh token (invalid_code) at {where}. What to do: the "
                "refresh token was revoked, superseded (Zoho keeps 20 per user and client) or "
                "belongs to another data centre; generate a new one (see the README)."
            )
        return f"The accounts server {where} refused a new access token: {error}."
