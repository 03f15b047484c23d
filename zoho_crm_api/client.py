"""The Zoho CRM HTTP client shared by the tap and the target.

One `requests.Session`, one token, at most `max_concurrency` requests in flight, retries with
exponential backoff and jitter on 429/5xx/dropped connections, one refresh-and-retry on
`INVALID_TOKEN`, errors carrying Zoho's code and message, and a count of calls per endpoint.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import backoff
import msgspec
import requests
from requests.adapters import HTTPAdapter

from zoho_crm_api.auth import TokenManager
from zoho_crm_api.endpoints import Endpoint
from zoho_crm_api.errors import (
    ACCESS_CODES,
    ZohoAccessError,
    ZohoAPIError,
    ZohoBadAnswer,
    ZohoBudgetExhausted,
    ZohoCreditsExhausted,
    ZohoRetriesExhausted,
)
from zoho_crm_api.settings import ConnectionSettings

BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
RETRY_AFTER_CAP = 300.0
TOKEN_ENDPOINT = "POST /oauth/v2/token"
CREDITS_HEADER = "X-API-CREDITS-REMAINING"
_decode = msgspec.json.Decoder().decode


@dataclass
class Answer:
    """One HTTP answer: the status and the parsed JSON body (None for 204/304).

    `lost` describes an earlier attempt of the same call whose answer never arrived (a 5xx
    or a dropped connection): Zoho may have applied that attempt, so a write's retry can find
    its own change already in place.
    """

    status: int
    body: dict[str, Any] | None
    lost: str | None = None


@dataclass
class Page:
    """One page of a list endpoint."""

    records: list[dict[str, Any]]
    more: bool
    number: int


class CallStats:
    """Thread-safe counts of calls per endpoint, retries and credits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.retries = 0
        self.credits = 0

    def reserve_credit(self, budget: int | None) -> None:
        """Count one credit, or raise if that would pass the budget."""
        with self._lock:
            if budget is not None and self.credits >= budget:
                raise ZohoBudgetExhausted(budget)
            self.credits += 1

    def count(self, endpoint: str, *, retry: bool = False) -> None:
        """Count one request sent to `endpoint`."""
        with self._lock:
            self.calls[endpoint] += 1
            if retry:
                self.retries += 1

    @property
    def api_calls(self) -> int:
        """API calls made, the token endpoint excluded."""
        return sum(n for key, n in self.calls.items() if key != TOKEN_ENDPOINT)

    def summary(self) -> str:
        """One line per endpoint, most used first."""
        lines = [
            f"Zoho API calls: {self.api_calls} (retries {self.retries}, credits {self.credits}, "
            f"token refreshes {self.calls[TOKEN_ENDPOINT]})"
        ]
        lines += [f"  {n:>7}  {key}" for key, n in self.calls.most_common()]
        return "\n".join(lines)


def _excerpt(content: bytes) -> str:
    """The start of a body, printable, for messages (never more than 60 characters)."""
    text = content[:60].decode("utf-8", "replace")
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()


def checked_body(api: Endpoint, status: int, content_type: str, content: bytes) -> dict[str, Any]:
    """The JSON object of a 2xx answer, or ZohoBadAnswer when it is not what Zoho documents.

    Zoho answers `application/json` (zoho-api.md §9), a JSON object whose envelope key holds the
    records or per-item results; an error envelope (`status: error`) with a 2xx is not an answer.
    """
    route = api.route
    if content_type.split(";", maxsplit=1)[0].strip().lower() != "application/json":
        shown = content_type or "no Content-Type"
        raise ZohoBadAnswer(route, status, f"the content type is {shown}", _excerpt(content))
    try:
        body = _decode(content)
    except msgspec.DecodeError:
        raise ZohoBadAnswer(
            route, status, "the body is not JSON or is cut short", _excerpt(content)
        ) from None
    if not isinstance(body, dict):
        raise ZohoBadAnswer(route, status, "the body is not a JSON object", _excerpt(content))
    value = body.get(api.envelope)
    if not isinstance(value, api.envelope_type) or isinstance(value, bool):
        if body.get("status") == "error" and "code" in body:
            problem = f"an error envelope with a {status}: {body.get('code')} {body.get('message')}"
        else:
            problem = f"the {api.envelope!r} key is missing or not a {api.envelope_type.__name__}"
        raise ZohoBadAnswer(route, status, problem, _excerpt(content))
    return body


def _no_credits_left(response: requests.Response) -> bool:
    """True when Zoho says no API credit is left (zoho-api.md §6: sent past half the credits)."""
    remaining = response.headers.get(CREDITS_HEADER, "").strip()
    return remaining.isdigit() and int(remaining) == 0


class ZohoClient:
    """Calls Zoho CRM's REST API; safe to share between threads."""

    def __init__(
        self,
        settings: ConnectionSettings,
        logger: logging.Logger,
        *,
        user_agent: str = "tap-zoho-territories",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.logger = logger
        self.stats = CallStats()
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(settings.max_concurrency)
        # Zoho's message once it said no credit is left: later calls stop without being sent.
        self._no_credits: str | None = None
        self.session = requests.Session()
        adapter = HTTPAdapter(
            pool_connections=4, pool_maxsize=settings.max_concurrency + 2, max_retries=0
        )
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = user_agent
        self.tokens = TokenManager(
            settings,
            self.session,
            logger,
            on_refresh=lambda: self.stats.count(TOKEN_ENDPOINT),
            sleep=sleep,
        )

    def url(self, endpoint: Endpoint, path: Mapping[str, str] | None = None) -> str:
        """The full URL of an endpoint, its `{id}` filled from `path`."""
        return (
            f"{self.tokens.api_domain()}/crm/{self.settings.api_version}"
            f"{endpoint.path.format(**(path or {}))}"
        )

    def request(
        self,
        api: Endpoint,
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """Send one call, retrying what is worth retrying.

        A 4xx of a write whose body is a per-item array under the endpoint's envelope (every
        item failed) is returned, not raised: the caller reads each item.
        """
        endpoint = api.route
        envelope = api.envelope if api.method != "GET" else None
        attempts = self.settings.max_retries + 1
        last = ""
        lost: str | None = None
        token_retried = False
        attempt = 0
        while attempt < attempts:
            attempt += 1
            if self._no_credits is not None:
                raise ZohoCreditsExhausted(endpoint, self._no_credits)
            self.stats.reserve_credit(self.settings.api_credit_budget)
            token = self.tokens.token()
            self.stats.count(endpoint, retry=attempt > 1)
            try:
                with self._slots:
                    response = self.session.request(
                        api.method,
                        self.url(api, path),
                        params=params,
                        json=json,
                        headers={**(headers or {}), "Authorization": f"Zoho-oauthtoken {token}"},
                        timeout=self.settings.request_timeout,
                    )
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"{type(exc).__name__} (connection dropped or timed out)"
                lost = last
                self._backoff(endpoint, attempt, attempts, last, None)
                continue
            status = response.status_code
            if status in (204, 304):
                return Answer(status, None, lost)
            if status < 400:
                try:
                    body = checked_body(
                        api, status, response.headers.get("Content-Type", ""), response.content
                    )
                except ZohoBadAnswer as exc:
                    if exc.applied_maybe:
                        raise
                    last = str(exc.problem)
                    self._backoff(endpoint, attempt, attempts, last, None)
                    continue
                return Answer(status, body, lost)
            body = self._json(response)
            if envelope and isinstance(body.get(envelope), list):
                return Answer(status, body, lost)
            code = str(body.get("code") or f"HTTP_{status}")
            message = str(body.get("message") or response.reason or "")
            if code == "INVALID_TOKEN" or (status == 401 and code == "HTTP_401"):
                self.tokens.invalidate(token)
                if not token_retried:
                    # One immediate refresh and retry; later rejections count as attempts.
                    token_retried = True
                    attempt -= 1
                    continue
                last = f"HTTP {status} {code}: {message}"
                self._backoff(endpoint, attempt, attempts, last, None)
                continue
            if status == 429 and _no_credits_left(response):
                self._no_credits = message
                raise ZohoCreditsExhausted(endpoint, message)
            if status == 429 or status >= 500:
                last = f"HTTP {status} {code}: {message}"
                if status >= 500:
                    lost = last
                self._backoff(endpoint, attempt, attempts, last, response)
                continue
            error_class = ZohoAccessError if code in ACCESS_CODES else ZohoAPIError
            kwargs = {"scopes": api.scope_hint} if code in ACCESS_CODES else {}
            raise error_class(endpoint, status, code, message, body.get("details"), **kwargs)
        raise ZohoRetriesExhausted(endpoint, attempts, last)

    def get_page(
        self,
        api: Endpoint,
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        page: int = 1,
    ) -> Page:
        """One page of a list endpoint (as large as it allows); 204/304 is an empty last page."""
        per_page = api.per_page
        query = dict(params or {})
        if per_page is not None:
            query.update(page=page, per_page=per_page)
        answer = self.request(api, path=path, params=query, headers=headers)
        if answer.body is None:
            return Page([], more=False, number=page)
        records = answer.body.get(api.envelope) or []
        info = answer.body.get("info") or {}
        more = bool(info.get("more_records")) and per_page is not None and bool(records)
        return Page(list(records), more=more, number=page)

    def iter_pages(
        self,
        api: Endpoint,
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[Page]:
        """Every page of a list endpoint, one after another."""
        number = 1
        while True:
            page = self.get_page(api, path=path, params=params, headers=headers, page=number)
            yield page
            if not page.more:
                return
            number += 1

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()

    def _json(self, response: requests.Response) -> dict[str, Any]:
        # msgspec parses several times faster than json, and parsing runs on every page while
        # the writer thread waits for the GIL.
        try:
            body = _decode(response.content)
        except msgspec.DecodeError:
            return {}
        return body if isinstance(body, dict) else {}

    def _backoff(
        self,
        endpoint: str,
        attempt: int,
        attempts: int,
        last: str,
        response: requests.Response | None,
    ) -> None:
        if attempt >= attempts:
            return
        wait = backoff.full_jitter(min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after and retry_after.strip().isdigit():
            wait = min(float(retry_after), RETRY_AFTER_CAP)
        self.logger.warning(
            "%s: %s; retry %d of %d in %.1f s.", endpoint, last, attempt, attempts - 1, wait
        )
        self._sleep(wait)
