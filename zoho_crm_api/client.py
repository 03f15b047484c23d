"""The Zoho CRM HTTP client shared by the tap and the target.

One transport (deadlines, size cap, no redirects, stop), one token, at most `max_concurrency`
requests in flight, one retry policy (429, 5xx, dropped connections and, for reads, answers
that are not the endpoint's JSON), one refresh per rejected token, errors carrying Zoho's code
and message, and a count of calls per endpoint.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import msgspec

from zoho_crm_api import endpoints
from zoho_crm_api.auth import TOKEN_ENDPOINT, TokenManager
from zoho_crm_api.concurrency import (
    EDITION_CONCURRENCY,
    UNKNOWN_EDITION_CONCURRENCY,
    ConcurrencyLimit,
    org_edition,
)
from zoho_crm_api.endpoints import Endpoint
from zoho_crm_api.errors import (
    ACCESS_CODES,
    ZohoAccessError,
    ZohoAnswerTooLarge,
    ZohoAPIError,
    ZohoBadAnswer,
    ZohoBudgetExhausted,
    ZohoCreditsExhausted,
    ZohoError,
    ZohoRetriesExhausted,
    ZohoRetryAfterTooLong,
)
from zoho_crm_api.retry import Retry, RetryPolicy, StopSignal, retry_after_seconds
from zoho_crm_api.settings import ConnectionSettings
from zoho_crm_api.token_cache import TokenCache
from zoho_crm_api.transport import MEGABYTE, Dropped, RawAnswer, Transport

CREDITS_HEADER = "X-API-CREDITS-REMAINING"
TOO_MANY_REQUESTS = 429
_decode = msgspec.json.Decoder().decode
# Anything shaped like a Zoho access token, or an Authorization header echoed by a proxy.
_TOKEN_SHAPES = re.compile(r"\d{4}\.[0-9a-fA-F]{8,}\.[0-9a-fA-F]{8,}|Zoho-oauthtoken\s+\S+")

__all__ = [
    "TOKEN_ENDPOINT",
    "Answer",
    "CallStats",
    "Page",
    "ZohoClient",
    "checked_body",
    "excerpt",
    "redact_tokens",
]


@dataclass
class Answer:
    """One HTTP answer: the status and the parsed JSON body (None for a documented 204/304).

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
    """Thread-safe counts of calls per endpoint, token requests, retries and credits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.token_requests = 0
        self.cached_tokens = 0
        self.retries = 0
        self.credits = 0
        # The fewest credits Zoho's X-API-CREDITS-REMAINING said were left (it sends the
        # header past half the credits); the fewest, as answers arrive out of order.
        self.credits_left: int | None = None

    def reserve_credit(self, budget: int | None) -> None:
        """Count one credit, or raise if that would pass the budget."""
        with self._lock:
            if budget is not None and self.credits >= budget:
                raise ZohoBudgetExhausted(budget)
            self.credits += 1

    def count(self, endpoint: str, *, retry: bool = False) -> None:
        """Count one API request sent to `endpoint`."""
        with self._lock:
            self.calls[endpoint] += 1
            if retry:
                self.retries += 1

    def note_credits_left(self, header: str | None) -> None:
        """Keep the credits Zoho says are left, when an answer says so."""
        remaining = (header or "").strip()
        if remaining.isdigit():
            with self._lock:
                known = self.credits_left
                self.credits_left = int(remaining) if known is None else min(known, int(remaining))

    def count_token_request(self) -> None:
        """Count one request sent to the accounts server's token endpoint."""
        with self._lock:
            self.token_requests += 1

    def count_cached_token(self) -> None:
        """Count one access token taken from the token cache instead of requested."""
        with self._lock:
            self.cached_tokens += 1

    @property
    def api_calls(self) -> int:
        """API calls made (token requests are counted apart)."""
        return sum(self.calls.values())

    def summary(self) -> str:
        """The API calls, one line per endpoint, most used first; then the token requests."""
        left = f", {self.credits_left} left per Zoho" if self.credits_left is not None else ""
        lines = [
            f"Zoho API calls: {self.api_calls} (retries {self.retries}, credits "
            f"{self.credits}{left})"
        ]
        lines += [f"  {n:>7}  {key}" for key, n in self.calls.most_common()]
        reused = f"; cached tokens reused: {self.cached_tokens}" if self.cached_tokens else ""
        lines.append(f"Zoho token requests: {self.token_requests} ({TOKEN_ENDPOINT}{reused})")
        return "\n".join(lines)


def redact_tokens(text: str) -> str:
    """`text` with anything shaped like an access token (or an echoed header) replaced."""
    return _TOKEN_SHAPES.sub("<redacted>", text)


def excerpt(content: bytes) -> str:
    """The start of a body for messages: printable, at most 60 characters, no token in it."""
    text = redact_tokens(content[:200].decode("utf-8", "replace"))[:60]
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()


def checked_body(api: Endpoint, status: int, content_type: str, content: bytes) -> dict[str, Any]:
    """The JSON object of a 2xx answer, or ZohoBadAnswer when it is not what Zoho documents.

    Zoho answers `application/json` (zoho-api.md §9), a JSON object whose envelope key holds the
    records (JSON objects) or per-item results; a paged list carries `info.more_records`; an
    error envelope (`status: error`) with a 2xx is not an answer.
    """
    route = api.route
    if content_type.split(";", maxsplit=1)[0].strip().lower() != "application/json":
        shown = content_type or "no Content-Type"
        raise ZohoBadAnswer(route, status, f"the content type is {shown}", excerpt(content))
    try:
        body = _decode(content)
    except msgspec.DecodeError:
        raise ZohoBadAnswer(
            route, status, "the body is not JSON or is cut short", excerpt(content)
        ) from None
    if not isinstance(body, dict):
        raise ZohoBadAnswer(route, status, "the body is not a JSON object", excerpt(content))
    problem = _envelope_problem(api, status, body)
    if problem is not None:
        raise ZohoBadAnswer(route, status, problem, excerpt(content))
    return body


def _envelope_problem(api: Endpoint, status: int, body: dict[str, Any]) -> str | None:
    value = body.get(api.envelope)
    if not isinstance(value, api.envelope_type) or isinstance(value, bool):
        if body.get("status") == "error" and "code" in body:
            return f"an error envelope with a {status}: {body.get('code')} {body.get('message')}"
        return f"the {api.envelope!r} key is missing or not a {api.envelope_type.__name__}"
    if isinstance(value, list) and not all(isinstance(item, dict) for item in value):
        return f"an item of {api.envelope!r} is not a JSON object"
    if isinstance(value, list) and len(value) < api.min_items:
        return f"the {api.envelope!r} array is empty"
    if api.paged and not api.is_write:
        info = body.get("info")
        if not isinstance(info, dict) or not isinstance(info.get("more_records"), bool):
            return "the 'info' block with 'more_records' is missing"
    return None


def _error_envelope(content: bytes) -> dict[str, Any] | None:
    """The JSON object of an error answer, or None when the body is not one."""
    try:
        body = _decode(content)
    except msgspec.DecodeError:
        return None
    return body if isinstance(body, dict) else None


def _no_credits_left(raw: RawAnswer) -> bool:
    """True when Zoho says no API credit is left (zoho-api.md §6: sent past half the credits)."""
    remaining = raw.headers.get(CREDITS_HEADER, "").strip()
    return remaining.isdigit() and int(remaining) == 0


@dataclass
class _Call:
    """One call across its attempts."""

    api: Endpoint
    url_path: Mapping[str, str] | None
    params: Mapping[str, Any] | None
    json: Any
    headers: Mapping[str, str] | None
    lost: str | None = field(default=None)
    # The most calls in flight (this one included) while the last attempt was out.
    in_flight: int = 0


class ZohoClient:
    """Calls Zoho CRM's REST API; safe to share between threads."""

    def __init__(
        self,
        settings: ConnectionSettings,
        logger: logging.Logger,
        *,
        user_agent: str = "tap-zoho-territories",
        policy: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.logger = logger
        self.stats = CallStats()
        self.policy = policy or RetryPolicy(settings.max_retries, settings.max_retry_after)
        self._stop = StopSignal()
        self.concurrency = ConcurrencyLimit(settings.max_concurrency)
        # Once Zoho said no credit is left (or to come back later than allowed), later calls
        # stop with that error without being sent.
        self._halted: ZohoError | None = None
        self.transport = Transport(
            user_agent=user_agent,
            pool_size=settings.concurrency_ceiling + 2,
            timeout=settings.request_timeout,
            max_bytes=int(settings.max_response_mb * MEGABYTE),
            stop=self._stop,
        )
        cache = TokenCache(settings.token_cache, logger) if settings.token_cache else None
        self.tokens = TokenManager(
            settings,
            self.transport,
            self.policy,
            logger,
            cache=cache,
            on_request=self.stats.count_token_request,
            on_cache_hit=self.stats.count_cached_token,
        )

    def stop(self, reason: str) -> None:
        """Stop the client (thread-safe): nothing new is sent and every wait ends within a second.

        Calls waiting (backoff, Retry-After, the token throttle) or reading an answer raise
        ZohoStopped.
        """
        self._stop.stop(reason)

    @property
    def stopped(self) -> bool:
        """True once `stop` was called."""
        return self._stop.stopped

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
        item failed) is returned, not raised: the caller reads each item. A write whose answer
        is not Zoho's JSON raises ZohoBadAnswer at once (`applied_maybe`): settle it by a read.
        """
        call = _Call(api, path, params, json, headers)
        try:
            return self.policy.run(
                api.route, lambda retry: self._attempt(call, retry), self._stop, self.logger
            )
        except (ZohoCreditsExhausted, ZohoRetryAfterTooLong) as exc:
            self._halted = self._halted or exc
            raise

    def get_page(
        self,
        api: Endpoint,
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        page: int = 1,
    ) -> Page:
        """One page of a list endpoint (as large as it allows); a documented 204/304 is empty."""
        per_page = api.per_page
        query = dict(params or {})
        if per_page is not None:
            query.update(page=page, per_page=per_page)
        answer = self.request(api, path=path, params=query, headers=headers)
        if answer.body is None:
            return Page([], more=False, number=page)
        records = answer.body[api.envelope]
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
        self.transport.close()

    # One attempt

    def _attempt(self, call: _Call, retry: int) -> Answer:
        api = call.api
        if self._halted is not None:
            raise self._halted.with_traceback(None)
        token = self.tokens.token()
        # A credit is spent by a call sent, never by a token request that failed.
        self.stats.reserve_credit(self.settings.api_credit_budget)
        url = self.url(api, call.url_path)
        self.stats.count(api.route, retry=retry > 0)
        sent = {**(call.headers or {}), "Authorization": f"Zoho-oauthtoken {token}"}
        try:
            with self.concurrency.slot() as slot:
                raw = self.transport.exchange(
                    api.route, api.method, url, params=call.params, json=call.json, headers=sent
                )
                call.in_flight = slot.peak
        except Dropped as exc:
            if api.is_write and exc.status is not None:
                # The headers came, the body broke: Zoho processed the call.
                problem = f"the answer broke off: {exc.problem}"
                raise ZohoBadAnswer(api.route, exc.status, problem) from None
            call.lost = exc.problem
            raise Retry(exc.problem) from None
        self.stats.note_credits_left(raw.headers.get(CREDITS_HEADER))
        answer = self._interpret(call, raw, token)
        self.tokens.accepted(token)
        return answer

    def _interpret(self, call: _Call, raw: RawAnswer, token: str) -> Answer:
        api, status = call.api, raw.status
        if status in api.no_content:
            return Answer(status, None, call.lost)
        if 200 <= status < 300 and status not in (204, 304):
            try:
                body = checked_body(api, status, raw.headers.get("Content-Type", ""), raw.content)
            except ZohoBadAnswer as exc:
                raise self._bad(api, exc) from None
            return Answer(status, body, call.lost)
        if status < 400:
            raise self._bad(api, ZohoBadAnswer(api.route, status, _not_an_answer(api, raw)))
        return self._error_answer(call, raw, token)

    def _error_answer(self, call: _Call, raw: RawAnswer, token: str) -> Answer:
        api, status = call.api, raw.status
        body = _error_envelope(raw.content)
        if body is not None and api.is_write and isinstance(body.get(api.envelope), list):
            return Answer(status, body, call.lost)
        retry_after = retry_after_seconds(raw.headers.get("Retry-After"))
        code = body.get("code") if body is not None else None
        if not isinstance(code, str) or not code:
            problem = f"HTTP {status} {raw.reason}".strip() + " without Zoho's error envelope"
            if status == 429 or status >= 500:
                call.lost = call.lost or (problem if status >= 500 else None)
                self._too_many(call, status)
                raise Retry(f"{problem} ({excerpt(raw.content)!r})", retry_after=retry_after)
            raise self._bad(api, ZohoBadAnswer(api.route, status, problem, excerpt(raw.content)))
        assert body is not None
        message = str(body.get("message") or raw.reason or "")
        described = f"HTTP {status} {code}: {message}"
        if code == "INVALID_TOKEN":
            self.tokens.reject(token, described)
            raise Retry(described, at_once=True)
        if status == 429 and _no_credits_left(raw):
            raise ZohoCreditsExhausted(api.route, message)
        if status == 429 or status >= 500:
            if status >= 500:
                call.lost = described
            self._too_many(call, status)
            raise Retry(described, retry_after=retry_after)
        if code in ACCESS_CODES:
            raise ZohoAccessError(
                api.route, status, code, message, body.get("details"), scopes=api.scope_hint
            )
        raise ZohoAPIError(api.route, status, code, message, body.get("details"))

    def _too_many(self, call: _Call, status: int) -> None:
        """A 429 (not for credits) with others in flight: one call fewer at once from now on.

        Each refusal says one call was too many: a burst of refusals lowers the limit by as
        many, never above one less than the calls that were in flight.
        """
        if status != TOO_MANY_REQUESTS or call.in_flight <= 1:
            return
        if self.concurrency.lower(min(self.concurrency.limit, call.in_flight) - 1):
            self.logger.warning(
                "Zoho answered 429 with %d calls in flight: at most %d at once for the rest "
                "of the run (max_concurrency).",
                call.in_flight,
                self.concurrency.limit,
            )

    def use_edition(self, org: Any) -> str:
        """Allow the calls in flight that the edition named by a GET /org answer allows.

        Logs the edition and the limit; returns the edition.
        """
        name, unknown = org_edition(org)
        if unknown is not None:
            self.logger.warning(
                "GET /org: license_details.paid_type %s names no known edition; using the "
                "limits of %s, the lowest.",
                unknown,
                name,
            )
        limit = self.concurrency.set(EDITION_CONCURRENCY[name])
        self.logger.info(
            "max_concurrency auto: the org's edition is %s, so at most %d calls in flight.",
            name.capitalize(),
            limit,
        )
        return name

    def read_edition(self) -> str | None:
        """GET /org, then `use_edition`; None (and Free's limit) when Zoho's answer says no.

        A stop, spent credits or a refused token are raised: the run cannot go on anyway.
        """
        try:
            answer = self.request(endpoints.ORGANIZATION)
        except (ZohoAPIError, ZohoBadAnswer, ZohoRetriesExhausted, ZohoAnswerTooLarge) as exc:
            self.edition_unreadable(exc)
            return None
        return self.use_edition(answer.body)

    def edition_unreadable(self, exc: ZohoError) -> None:
        """GET /org failed: Free's limit, with a warning naming what to do."""
        limit = self.concurrency.set(UNKNOWN_EDITION_CONCURRENCY)
        self.logger.warning(
            "max_concurrency auto: the org's edition could not be read (%s), so at most %d "
            "calls in flight. To use the edition's limit, grant %s, or set max_concurrency.",
            exc,
            limit,
            endpoints.ORGANIZATION.scope_hint,
        )

    @staticmethod
    def _bad(api: Endpoint, exc: ZohoBadAnswer) -> Exception:
        """Reads retry an answer that is not Zoho's JSON; a write raises it (settle by a read)."""
        if api.is_write:
            return exc
        return Retry(f"{exc.problem}" + (f" (it began {exc.excerpt!r})" if exc.excerpt else ""))


def _not_an_answer(api: Endpoint, raw: RawAnswer) -> str:
    """Why a 1xx/3xx/undocumented 204 or 304 is not an answer of `api`."""
    if 300 <= raw.status < 400 and raw.status != 304:
        target = urlsplit(raw.headers.get("Location", "")).netloc or "no Location"
        return f"a redirect to {target}, not followed (redirects are never followed)"
    return f"HTTP {raw.status} with no body, which Zoho does not document for {api.route}"
