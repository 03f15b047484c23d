"""Zoho OAuth: one access token per run, shared by every thread, reused across runs.

The token comes from the token cache when an unexpired one is there, else from the accounts
server (a refresh-token grant, retried under the shared retry policy, never redirected). A
token is checked before use and never printed. One refresh per rejected token; two fresh tokens
rejected in a row, or credentials the accounts server refuses, stop the run at once. The
accounts server's throttle ("Access Denied") is waited out, up to a bound, saying until when.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import msgspec

from zoho_crm_api.datacenters import check_url, data_center_of_api_domain
from zoho_crm_api.errors import ZohoAuthError, ZohoRetriesExhausted
from zoho_crm_api.retry import Retry, RetryPolicy
from zoho_crm_api.settings import ConnectionSettings
from zoho_crm_api.token_cache import CachedToken, TokenCache, cache_key
from zoho_crm_api.transport import Dropped, RawAnswer, Transport

TOKEN_PATH = "/oauth/v2/token"
TOKEN_ENDPOINT = "POST /oauth/v2/token"
# Zoho lets a refresh token mint 10 access tokens per 10 minutes; once throttled, waiting out
# the window is the only cure, so keep asking (ever less often) a little longer than that.
THROTTLE_MAX_WAIT = 660.0
THROTTLE_FIRST_WAIT = 1.0
THROTTLE_MAX_STEP = 60.0
THROTTLE_RULE = "Zoho allows 10 access tokens in 10 minutes for one refresh token"
# A token answer without a usable lifetime: assume a short one rather than refresh per call.
DEFAULT_LIFETIME = 300.0
MAX_LIFETIME = 86400.0
# A cached token is reused only with at least this long left.
REUSE_MARGIN = 120.0
# Fresh tokens rejected one after another before any call succeeded with one: then the token
# cannot be the problem, so the run stops.
FRESH_REJECTIONS_LIMIT = 2
_decode = msgspec.json.Decoder().decode


def token_problem(value: Any) -> str | None:
    """Why `value` cannot be an access token (never quoting it), or None when it can."""
    if not isinstance(value, str) or not value:
        return "the answer has no access token"
    if not value.isprintable() or any(ch.isspace() for ch in value):
        return (
            f"the access token in the answer is malformed ({len(value)} characters, with "
            "whitespace or unprintable characters); it was not used"
        )
    return None


def token_lifetime(answer: dict[str, Any]) -> tuple[float, str | None]:
    """Seconds the token lives, and why the default was assumed (None when it was not).

    `expires_in` is in seconds; a legacy answer has it in milliseconds next to `expires_in_sec`
    (zoho-api.md §5). Missing, not a number, not positive or over a day: DEFAULT_LIFETIME.
    """
    key = "expires_in_sec" if "expires_in_sec" in answer else "expires_in"
    if key not in answer:
        return DEFAULT_LIFETIME, "it has no expires_in"
    value = answer[key]
    shown = repr(value)[:40]
    try:
        seconds = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME, f"{key} is {shown}, not a number"
    if not math.isfinite(seconds):
        return DEFAULT_LIFETIME, f"{key} is {shown}, not a number"
    if seconds <= 0 or seconds > MAX_LIFETIME:
        return DEFAULT_LIFETIME, f"{key} is {shown}, not a lifetime"
    return seconds, None


def _clock_time(moment: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(moment))


class TokenManager:
    """Holds the current access token and the API domain that the accounts server named."""

    def __init__(
        self,
        settings: ConnectionSettings,
        transport: Transport,
        policy: RetryPolicy,
        logger: logging.Logger,
        *,
        cache: TokenCache | None = None,
        on_request: Callable[[], None] | None = None,
        on_cache_hit: Callable[[], None] | None = None,
    ) -> None:
        self._settings = settings
        self._transport = transport
        self._stop = transport.stop
        self._policy = policy
        self._logger = logger
        self._cache = cache
        self._cache_key = cache_key(
            settings.accounts_server, settings.client_id, settings.refresh_token
        )
        self._on_request = on_request
        self._on_cache_hit = on_cache_hit
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._api_domain: str | None = settings.api_domain
        # True while the current token is new and no call has succeeded with it yet.
        self._fresh = False
        self._fresh_rejections = 0
        # Once the accounts server said no for good (or the run must stop), every thread gets
        # this message at once instead of asking again.
        self._fatal: str | None = None

    @property
    def token_url(self) -> str:
        """The accounts server's token endpoint."""
        return self._settings.accounts_server + TOKEN_PATH

    def token(self) -> str:
        """A valid access token: the current one, a cached one, or a new one."""
        with self._lock:
            if self._fatal is not None:
                raise ZohoAuthError(self._fatal)
            if self._token is None or time.monotonic() >= self._expires_at:
                self._token = None
                if not self._from_cache():
                    self._refresh()
            assert self._token is not None
            return self._token

    def api_domain(self) -> str:
        """The base URL of the API (`https://www.zohoapis.<tld>`), known after the first token."""
        self.token()
        assert self._api_domain is not None
        return self._api_domain

    def accepted(self, token: str) -> None:
        """A call with `token` succeeded: the token works."""
        if self._fresh and token == self._token:
            with self._lock:
                if token == self._token:
                    self._fresh = False
                    self._fresh_rejections = 0

    def reject(self, token: str, problem: str) -> None:
        """Zoho rejected `token`: forget it (here and in the cache) so the next call refreshes.

        Raises ZohoAuthError when fresh tokens keep being rejected: the cause is elsewhere
        (another data centre's API domain, a revoked grant), and refreshing cannot help.
        """
        with self._lock:
            if self._fatal is not None:
                raise ZohoAuthError(self._fatal)
            if token != self._token:
                return  # another thread already replaced it
            self._token = None
            if self._cache is not None:
                self._cache.drop(self._cache_key, token)
            if not self._fresh:
                return
            self._fresh_rejections += 1
            if self._fresh_rejections >= FRESH_REJECTIONS_LIMIT:
                self._fatal = self._rejected_message(problem)
                raise ZohoAuthError(self._fatal)

    def known_secrets(self) -> list[str]:
        """Every secret this manager holds, for redaction."""
        return [t for t in (self._token,) if t]

    # Getting a token

    def _from_cache(self) -> bool:
        if self._cache is None:
            return False
        cached = self._cache.get(self._cache_key)
        if cached is None or token_problem(cached.access_token) is not None:
            return False
        left = cached.expires_at - time.time()
        if left < REUSE_MARGIN:
            return False
        domain = self._settings.api_domain
        if domain is None:
            try:
                domain = check_url(cached.api_domain, "api_domain")
            except ValueError:
                return False
        self._token = cached.access_token
        self._expires_at = time.monotonic() + left - min(60.0, left / 4)
        self._api_domain = domain
        self._fresh = False
        if self._on_cache_hit is not None:
            self._on_cache_hit()
        self._logger.info(
            "Reusing the cached Zoho access token for %s (valid for %.0f s more) from %s.",
            domain,
            left,
            self._cache.path,
        )
        return True

    def _refresh(self) -> None:
        try:
            self._token_from_accounts_server()
        except ZohoAuthError as exc:
            self._fatal = str(exc)
            raise

    def _token_from_accounts_server(self) -> None:
        started = time.time()
        step = THROTTLE_FIRST_WAIT
        while True:
            answer = self._request_token()
            error = answer.get("error")
            if error == "Access Denied":
                step = self._wait_out_throttle(started, step)
                continue
            if error or "access_token" not in answer:
                raise ZohoAuthError(self._explain(str(error or "an answer without access_token")))
            self._accept(answer)
            return

    def _wait_out_throttle(self, started: float, step: float) -> float:
        """Wait before asking again (Zoho answers HTTP 200 "Access Denied"); the next step."""
        now = time.time()
        give_up = started + THROTTLE_MAX_WAIT
        if now >= give_up:
            raise ZohoAuthError(
                "Zoho's accounts server keeps refusing new access tokens (Access Denied: too many "
                f"token requests) after waiting {now - started:.0f} s; {THROTTLE_RULE}. What to "
                "do: make sure no other job refreshes with this refresh token in a loop, keep "
                "token_cache on (each run then reuses the token), then re-run."
            )
        wait = min(step, THROTTLE_MAX_STEP, give_up - now) * (0.5 + random.random() / 2)
        self._logger.warning(
            "Zoho throttled token refresh (Access Denied): %s, and more were asked for (by this "
            "run or another job sharing the refresh token); waiting until %s (%.0f s) before "
            "asking again, giving up at %s.",
            THROTTLE_RULE,
            _clock_time(now + wait),
            wait,
            _clock_time(give_up),
        )
        self._stop.wait(wait)
        return step * 2

    def _request_token(self) -> dict[str, Any]:
        """One answer of the token endpoint, retried like any call; raises ZohoAuthError."""
        body = {
            "grant_type": "refresh_token",
            "client_id": self._settings.client_id,
            "client_secret": self._settings.client_secret,
            "refresh_token": self._settings.refresh_token,
        }

        def attempt(retry: int) -> dict[str, Any]:
            if self._on_request is not None:
                self._on_request()
            try:
                raw = self._transport.exchange(TOKEN_ENDPOINT, "POST", self.token_url, data=body)
            except Dropped as exc:
                raise Retry(exc.problem) from None
            return self._token_answer(raw)

        try:
            return self._policy.run(TOKEN_ENDPOINT, attempt, self._stop, self._logger)
        except ZohoRetriesExhausted as exc:
            raise ZohoAuthError(
                f"Could not get an access token from the accounts server "
                f"{self._settings.accounts_server} ({exc.last}). What to do: check network "
                "access and accounts_server/data_center, then re-run."
            ) from None

    def _token_answer(self, raw: RawAnswer) -> dict[str, Any]:
        """The token answer as JSON; Retry when it is not one (a proxy, an outage, a cut body)."""
        if 300 <= raw.status < 400:
            target = urlsplit(raw.headers.get("Location", "")).netloc or "no Location"
            raise Retry(f"HTTP {raw.status}, a redirect to {target} (never followed)")
        if raw.status >= 500:
            raise Retry(f"HTTP {raw.status} {raw.reason}".strip())
        try:
            answer = _decode(raw.content)
        except msgspec.DecodeError:
            raise Retry(f"HTTP {raw.status} whose body is not JSON") from None
        if not isinstance(answer, dict):
            raise Retry(f"HTTP {raw.status} whose body is not a JSON object")
        if "access_token" in answer or not answer.get("error"):
            problem = token_problem(answer.get("access_token"))
            if problem is not None:
                raise Retry(problem)
        return answer

    def _accept(self, answer: dict[str, Any]) -> None:
        seconds, why_default = token_lifetime(answer)
        if why_default is not None:
            self._logger.warning(
                "The accounts server's token answer gives no usable lifetime (%s); assuming the "
                "token lives %.0f s.",
                why_default,
                seconds,
            )
        if self._settings.api_domain is None:
            self._api_domain = self._checked_api_domain(answer.get("api_domain"))
        assert self._api_domain is not None
        # Refresh ahead of expiry: a minute early, or a quarter of a very short lifetime.
        self._expires_at = time.monotonic() + seconds - min(60.0, seconds / 4)
        self._token = str(answer["access_token"])
        self._fresh = True
        if self._cache is not None:
            cached = CachedToken(self._token, time.time() + seconds, self._api_domain)
            self._cache.put(self._cache_key, cached)
        self._logger.info(
            "Obtained a Zoho access token for %s, valid for %.0f s.", self._api_domain, seconds
        )

    def _checked_api_domain(self, named: Any) -> str:
        domain = str(named or self._settings.default_api_domain)
        try:
            domain = check_url(domain, "api_domain")
        except ValueError as exc:
            raise ZohoAuthError(
                f"The accounts server {self._settings.accounts_server} named an API domain that "
                f"is refused: {exc} What to do: check accounts_server and data_center, or set "
                "api_domain."
            ) from None
        dc = data_center_of_api_domain(domain)
        if dc is not None and dc.code != self._settings.data_center:
            self._logger.warning(
                "The token answer names API domain %s (data centre %s) but data_center is %s; "
                "using the token's domain.",
                domain,
                dc.code,
                self._settings.data_center,
            )
        return domain

    # Messages

    def _rejected_message(self, problem: str) -> str:
        return (
            f"Zoho rejected {FRESH_REJECTIONS_LIMIT} freshly issued access tokens in a row "
            f"({problem}), so refreshing again cannot help. Likely cause: the API domain "
            f"{self._api_domain} is not in the data centre of the accounts server "
            f"{self._settings.accounts_server} (check data_center and api_domain), or the "
            "refresh token or the client was revoked while the run was starting (generate a "
            "new refresh token)."
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
        return f"The accounts server {where} refused a new access token: {error[:200]}."
