"""Errors raised by the Zoho client; each message says what went wrong and what to do."""

from __future__ import annotations

from typing import Any

# Codes that mean "this token or org may not read this": the stream is skipped, not failed.
_TERRITORY_FEATURE = "Territory Management (Setup > Users and Control > Territory Management)"
ACCESS_CODES = {
    "OAUTH_SCOPE_MISMATCH": "the OAuth scope {scopes}",
    "NO_PERMISSION": "the CRM permission to read it (profile permission for {scopes})",
    "PERMISSION_DENIED": "the CRM permission to read it (profile permission for {scopes})",
    "FEATURE_NOT_ENABLED": _TERRITORY_FEATURE,
    "TERRITORY_NOT_ENABLED": _TERRITORY_FEATURE,
    "TERRITORY_DISABLED": _TERRITORY_FEATURE,
}

HINTS = {
    "INVALID_TOKEN": "the access token was rejected even after a refresh; check that data_center "
    "matches the org's data centre and that the refresh token has not been revoked",
    "AUTHENTICATION_FAILURE": "Zoho did not accept the Authorization header",
    "OAUTH_SCOPE_MISMATCH": "create a refresh token with the scopes listed in the README",
    "FEATURE_NOT_ENABLED": "enable Territory Management in Zoho CRM setup",
    "TOO_MANY_REQUESTS": "Zoho's concurrency limit or the org's daily API credits are exhausted; "
    "lower max_concurrency, or wait for credits (a rolling 24-hour window) and re-run",
    "NOT_ALLOWED": "Zoho does not let the user who owns the token change their own territories; "
    "use a token of another admin user",
    "INVALID_URL_PATTERN": "check api_version and api_domain",
}


class ZohoError(Exception):
    """Base class of every error raised by the Zoho client."""


class ZohoConfigError(ZohoError):
    """A setting is wrong; raised before any call is made."""


class ZohoAuthError(ZohoError):
    """The accounts server refused to issue an access token."""


class ZohoAPIError(ZohoError):
    """Zoho answered an API call with an error envelope `{code, details, message, status}`."""

    def __init__(
        self,
        endpoint: str,
        status: int,
        code: str,
        message: str,
        details: Any = None,
    ) -> None:
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        text = f"{endpoint} failed: HTTP {status} {code}: {message}"
        if self.details:
            text += f" (details: {self.details})"
        if code in HINTS:
            text += f". What to do: {HINTS[code]}."
        super().__init__(text)


class ZohoAccessError(ZohoAPIError):
    """A scope is missing or a feature is off: the data cannot be read with this token/org."""

    def __init__(self, *args: Any, scopes: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scopes = scopes

    @property
    def what_to_enable(self) -> str:
        """The scope, permission or feature to enable, in words."""
        return ACCESS_CODES.get(self.code, self.code).format(scopes=self.scopes or "this API")


class ZohoRetriesExhausted(ZohoError):
    """A call kept failing with retryable errors (429, 5xx, dropped connections)."""

    def __init__(self, endpoint: str, attempts: int, last: str) -> None:
        self.endpoint = endpoint
        self.last = last
        super().__init__(
            f"{endpoint} failed {attempts} times; last error: {last}. What to do: check Zoho's "
            "status and the org's API credits, then re-run (a re-run resumes from the last STATE); "
            "raise max_retries to wait longer."
        )


class ZohoCreditsExhausted(ZohoError):
    """Zoho answered 429 with `X-API-CREDITS-REMAINING: 0`: the org's API credits are spent.

    Retrying cannot help (credits come back over a rolling 24 hours), so the run stops at once.
    """

    def __init__(self, endpoint: str, message: str) -> None:
        self.endpoint = endpoint
        super().__init__(
            f"{endpoint}: the org's Zoho API credits are used up (HTTP 429 TOO_MANY_REQUESTS "
            f"with X-API-CREDITS-REMAINING: 0: {message}). What to do: wait until credits come "
            "back (Zoho counts them over a rolling 24 hours) or add credits, then re-run with the "
            "last STATE; what was done so far is kept."
        )


class ZohoBudgetExhausted(ZohoError):
    """The configured `api_credit_budget` would be exceeded by the next call."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        super().__init__(
            f"api_credit_budget of {budget} credits reached; stopping before the next call. "
            "What to do: re-run later or raise api_credit_budget; STATE written so far is kept."
        )


class ZohoBadAnswer(ZohoError):
    """An answer that is not what Zoho documents for the endpoint.

    Not JSON, cut short, an HTML page, an error envelope with a 2xx status, the envelope key
    missing: it is never read as "no records". Reads retry it like a dropped connection; a write
    raises it at once (`applied_maybe`: Zoho may have applied the call); the target settles by a
    read.
    """

    def __init__(self, endpoint: str, status: int, problem: str, excerpt: str = "") -> None:
        self.endpoint = endpoint
        self.status = status
        self.problem = problem
        self.excerpt = excerpt
        self.applied_maybe = not endpoint.startswith("GET ")
        shown = f"; it began {excerpt!r}" if excerpt else ""
        super().__init__(
            f"{endpoint}: Zoho's answer (HTTP {status}) is not the endpoint's JSON: {problem}"
            f"{shown}. What to do: this usually comes from a proxy or an outage between here and "
            "Zoho; re-run (a re-run resumes from the last STATE)."
        )


class ZohoStopped(ZohoError):
    """The run was asked to stop (SIGTERM/SIGINT): no call is sent and every wait ends."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"stopped: {reason}")


class ZohoRetryAfterTooLong(ZohoError):
    """Zoho asked to wait longer than `max_retry_after` (`Retry-After`): the run stops cleanly.

    Like spent credits, waiting in the run cannot be the answer; later calls are not sent.
    """

    def __init__(self, endpoint: str, seconds: float, cap: float) -> None:
        self.endpoint = endpoint
        self.seconds = seconds
        super().__init__(
            f"{endpoint}: Zoho asked to retry after {seconds:.0f} s (Retry-After), longer than "
            f"max_retry_after ({cap:.0f} s). What to do: re-run later with the last STATE (what "
            "was done so far is kept), or raise max_retry_after to wait within the run."
        )


class ZohoAnswerTooLarge(ZohoError):
    """An answer larger than `max_response_mb`: refused, never read into memory whole."""

    def __init__(self, endpoint: str, limit_mb: float) -> None:
        self.endpoint = endpoint
        super().__init__(
            f"{endpoint}: the answer is larger than max_response_mb ({limit_mb:g} MB) and was "
            "refused. What to do: a Zoho page is far smaller, so this usually comes from a proxy "
            "between here and Zoho; check it, or raise max_response_mb."
        )
