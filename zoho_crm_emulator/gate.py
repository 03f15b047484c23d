"""The API gate: latency, concurrency, credits, faults, the token, routing, scopes, the endpoint.

Every API request (anything that is not ``/oauth/v2/token...`` or ``/__emulator/...``) goes
through, in this order: counting in the stats; the latency sleep (added to every answer,
errors included); the concurrency limit (admission is decided on arrival, counting the
admitted requests in flight, and a refused request is answered 429 after the latency);
credits (1 per request, 429 when spent, nothing charged then); fault injection; the
``Authorization`` header and token; routing (404 / 400 method); scopes; the territory feature;
the endpoint, under the org's lock (writes are atomic per request).
"""

from __future__ import annotations

import sys
import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zoho_crm_emulator import wire
from zoho_crm_emulator.api import ApiError, Request, Response, error_body
from zoho_crm_emulator.faults import EITHER, Fault
from zoho_crm_emulator.oauth import AccessToken, satisfies
from zoho_crm_emulator.routes import Match, resolve

if TYPE_CHECKING:
    from zoho_crm_emulator.server import EmulatorServer

TOO_MANY = "TOO_MANY_REQUESTS"
CONCURRENCY_MESSAGE = "The concurrency limit of the user for the app is exceeded"
CREDITS_MESSAGE = "Number of API requests for the 24 hour period is exceeded"
FAULT_429_MESSAGE = (
    "Number of API requests for the 24 hour period is exceeded or the concurrency limit of "
    "the user for the app is exceeded"
)
INTERNAL_MESSAGE = "Internal Server Error"
FEATURE_OFF = ApiError(
    403,
    "FEATURE_NOT_ENABLED",
    "Territory management is not enabled for this organization",
)


@dataclass(frozen=True)
class Incoming:
    """A request as read off the wire."""

    method: str
    path: str
    target: str  # the request target as sent: path and query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def bearer(self) -> str | None:
        """The ``Zoho-oauthtoken`` token of the Authorization header, or ``None``."""
        scheme, _, token = self.headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "zoho-oauthtoken" or not token.strip():
            return None
        return token.strip()


def html_response(status: int) -> Response:
    """A proxy's HTML page (the ``html`` fault)."""
    return Response(status, headers={"Content-Type": wire.HTML_TYPE}, raw=wire.html_page(status))


def redirect_response(status: int, server: EmulatorServer, target: str) -> Response:
    """A 3xx to ``redirect_to`` plus the request target (the ``redirect`` fault)."""
    location = server.redirect_target() + target
    headers = {"Location": location, "Content-Type": wire.HTML_TYPE}
    return Response(status, headers=headers, raw=wire.html_page(status))


def api_answer(server: EmulatorServer, incoming: Incoming) -> tuple[Response | None, Fault | None]:
    """The answer to an API request (``None``: drop the connection) and the fault drawn.

    A wire fault (``truncate``, ``short-body``, ``reset-body``, ``slow``) comes back with the
    real answer: the caller sends it badly.
    """
    config = server.config
    match = resolve(incoming.method, incoming.path, config.api_versions)
    admitted = server.stats.arrive(match.stats_key, config.max_concurrency)
    response: Response | None = None
    fault: Fault | None = None
    try:
        if config.latency_ms > 0:
            time.sleep(config.latency_ms / 1000.0)
        response, fault = _gate_and_process(server, incoming, match, admitted)
    except Exception:
        traceback.print_exc(file=sys.stderr)
        response = Response(500, error_body(_internal(match), INTERNAL_MESSAGE))
    finally:
        server.stats.leave(admitted, response.status if response else None)
    if response is not None and config.credits:
        used = server.stats.credits_used
        if used * 2 >= config.credits:
            # Sent once half the credits are used [zoho-api.md §6, secondary source].
            response.headers["X-API-CREDITS-REMAINING"] = str(max(0, config.credits - used))
    return response, fault


def _internal(match: Match) -> str:
    return match.route.internal_error if match.route else "INTERNAL_ERROR"


def _gate_and_process(
    server: EmulatorServer, incoming: Incoming, match: Match, admitted: bool
) -> tuple[Response | None, Fault | None]:
    config = server.config
    if not admitted:
        return Response(429, error_body(TOO_MANY, CONCURRENCY_MESSAGE)), None
    if not server.stats.charge(config.credits):
        return Response(429, error_body(TOO_MANY, CREDITS_MESSAGE)), None
    fault = server.faults.draw()
    if fault is not None and not fault.after:
        server.stats.fault(fault.kind, after=False)
        return _fault_answer(server, incoming, match, fault), fault
    try:
        response: Response | None = _process(server, incoming, match)
    except ApiError as exc:
        response = exc.response()
    if fault is not None and fault.kind in EITHER:
        server.stats.fault(fault.kind, after=True)
        response = None if fault.kind == "drop" else _fault_answer(server, incoming, match, fault)
    return response, fault


def _fault_answer(
    server: EmulatorServer, incoming: Incoming, match: Match, fault: Fault
) -> Response | None:
    """What a fault that replaces the answer sends (``None``: drop the connection)."""
    kind = fault.kind
    if kind == "drop":
        return None
    if kind in ("500", "error200"):
        return Response(
            500 if kind == "500" else 200, error_body(_internal(match), "Internal Server Error")
        )
    if kind == "429":
        return Response(429, error_body(TOO_MANY, FAULT_429_MESSAGE))
    if kind == "html":
        return html_response(int(fault.variant or 502))
    if kind == "redirect":
        return redirect_response(int(fault.variant or 302), server, incoming.target)
    token = incoming.bearer()  # revoke
    if token:
        server.tokens.revoke_access(token)
    return Response(401, error_body("INVALID_TOKEN", "invalid oauth token"))


def _authenticate(server: EmulatorServer, incoming: Incoming) -> AccessToken:
    token = incoming.bearer()
    if token is None:
        # Only "Zoho-oauthtoken" is accepted (whether Zoho takes "Bearer" is UNCERTAIN).
        raise ApiError(401, "AUTHENTICATION_FAILURE", "Authentication failed")
    found = server.tokens.lookup(token)
    if found is None:
        raise ApiError(401, "INVALID_TOKEN", "invalid oauth token")
    return found


def _process(server: EmulatorServer, incoming: Incoming, match: Match) -> Response:
    token = _authenticate(server, incoming)
    if match.error is not None:
        raise match.error
    route = match.route
    assert route is not None
    if not satisfies(token.scopes, route.scopes):
        raise ApiError(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")
    if route.territory_feature and server.config.disable_territories:
        raise FEATURE_OFF
    org = server.org
    request = Request(
        method=incoming.method,
        path=incoming.path,
        params=match.params,
        query=incoming.query,
        headers=incoming.headers,
        body=incoming.body,
        org=org,
        config=server.config,
        version=match.version,
    )
    with org.lock:
        return route.handler(request)
