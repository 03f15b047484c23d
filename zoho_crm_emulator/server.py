"""The HTTP server: routing, the gate (latency, concurrency, credits, faults), auth, answers.

Every API request (anything that is not ``/oauth/v2/token...`` or ``/__emulator/...``) goes
through, in this order: counting in the stats; the latency sleep (added to every answer,
errors included); the concurrency limit (admission is decided on arrival, counting the
admitted requests in flight, and a refused request is answered 429 after the latency);
credits (1 per request, 429 when spent, nothing charged then); fault injection; the
``Authorization`` header and token; routing (404 / 400 method); scopes; the territory feature;
the endpoint, under the org's lock (writes are atomic per request).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from zoho_crm_emulator import inspection
from zoho_crm_emulator.api import ApiError, Request, Response, error_body
from zoho_crm_emulator.config import EmulatorConfig
from zoho_crm_emulator.faults import FaultInjector
from zoho_crm_emulator.oauth import AccessToken, TokenStore, satisfies
from zoho_crm_emulator.org import Org
from zoho_crm_emulator.routes import Match, resolve
from zoho_crm_emulator.stats import Stats

JSON_TYPE = "application/json;charset=utf-8"
TOO_MANY = "TOO_MANY_REQUESTS"
CONCURRENCY_MESSAGE = "The concurrency limit of the user for the app is exceeded"
CREDITS_MESSAGE = "Number of API requests for the 24 hour period is exceeded"
FAULT_429_MESSAGE = (
    "Number of API requests for the 24 hour period is exceeded or the concurrency limit of "
    "the user for the app is exceeded"
)
FEATURE_OFF = ApiError(
    403,
    "FEATURE_NOT_ENABLED",
    "Territory management is not enabled for this organization",
)


class EmulatorServer(ThreadingHTTPServer):
    """A threaded HTTP server holding the org, the settings, the tokens and the stats."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        org: Org,
        config: EmulatorConfig,
        org_factory: Callable[[], Org] | None = None,
        *,
        log_requests: bool = False,
    ) -> None:
        super().__init__(address, Handler)
        self.org = org
        self.org_factory = org_factory
        self.config = config
        self.stats = Stats()
        self.tokens = TokenStore(config)
        self.faults = FaultInjector(config)
        self.log_requests = log_requests
        host, port = self.server_address[:2]
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else str(host)
        if ":" in shown:
            shown = f"[{shown}]"
        self.base_url = f"http://{shown}:{port}"


class Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive, every answer with a Content-Length."""

    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle's algorithm on, the client's
    # delayed ACK would add ~40 ms to every answer, a cost real Zoho does not have.
    disable_nagle_algorithm = True
    server: EmulatorServer
    server_version = "ZohoCRMEmulator/1.0"
    sys_version = ""

    def do_GET(self) -> None:
        """Dispatch a GET."""
        self._dispatch("GET")

    def do_POST(self) -> None:
        """Dispatch a POST."""
        self._dispatch("POST")

    def do_PUT(self) -> None:
        """Dispatch a PUT."""
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        """Dispatch a DELETE."""
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        """Dispatch a PATCH."""
        self._dispatch("PATCH")

    def log_message(self, format: str, *args: Any) -> None:
        """Log requests to stderr only with ``--log-requests``."""
        if self.server.log_requests:
            super().log_message(format, *args)

    # ------------------------------------------------------------------ plumbing

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status in (204, 304):
            self.end_headers()
            return
        data = json.dumps(response.body, separators=(",", ":"), check_circular=False).encode()
        self.send_header("Content-Type", JSON_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _dispatch(self, method: str) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        split = urlsplit(self.path)
        path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        if path.startswith("/__emulator"):
            try:
                answer = inspection.handle(self.server, method, path, query, body)
            except Exception as exc:
                traceback.print_exc(file=sys.stderr)
                answer = Response(500, {"error": repr(exc)})
            self._send(answer)
        elif path.rstrip("/") in ("/oauth/v2/token", "/oauth/v2/token/revoke"):
            self._send(self._token(method, path.rstrip("/"), query, body))
        else:
            self._api(method, path, query, body)

    # ------------------------------------------------------------------ OAuth

    def _form(self, query: dict[str, list[str]], body: bytes) -> dict[str, str]:
        params = {key: values[0] for key, values in query.items() if values}
        content_type = self.headers.get("Content-Type", "")
        if body and content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if name:
                    payload = part.get_payload(decode=True) or b""
                    params[str(name)] = bytes(payload).decode("utf-8", "replace")
        elif body:
            text = body.decode("utf-8", "replace")
            for key, values in parse_qs(text, keep_blank_values=True).items():
                params[key] = values[0]
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic ") and "client_id" not in params:
            import base64  # noqa: PLC0415

            try:
                user, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                params.setdefault("client_id", user)
                params.setdefault("client_secret", secret)
            except ValueError:
                pass
        return params

    def _token(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Response:
        if method != "POST":
            return Response(405, {"error": "invalid_request", "error_description": "use POST"})
        params = self._form(query, body)
        if path.endswith("/revoke"):
            revoked = self.server.tokens.revoke(params.get("token", ""))
            return Response(200, {"status": "success"} if revoked else {"error": "invalid_token"})
        self.server.stats.count_token_request()
        return Response(200, self.server.tokens.grant(params, self.server.base_url))

    # ------------------------------------------------------------------ API

    def _api(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
        server = self.server
        config = server.config
        match = resolve(method, path, config.api_versions)
        admitted = server.stats.arrive(match.stats_key, config.max_concurrency)
        response: Response | None = None
        try:
            if config.latency_ms > 0:
                time.sleep(config.latency_ms / 1000.0)
            response = self._gate_and_process(
                admitted, match=match, method=method, path=path, query=query, body=body
            )
        except Exception:
            traceback.print_exc(file=sys.stderr)
            code = match.route.internal_error if match.route else "INTERNAL_ERROR"
            response = Response(500, error_body(code, "Internal Server Error"))
        finally:
            server.stats.leave(admitted, response.status if response else None)
        if response is None:  # the "drop" fault: close with no answer
            self.close_connection = True
            return
        credits = config.credits
        if credits:
            used = server.stats.credits_used
            if used * 2 >= credits:
                # Sent once half the credits are used [zoho-api.md §6, secondary source].
                response.headers["X-API-CREDITS-REMAINING"] = str(max(0, credits - used))
        self._send(response)

    def _gate_and_process(
        self,
        admitted: bool,
        *,
        match: Match,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: bytes,
    ) -> Response | None:
        server = self.server
        config = server.config
        if not admitted:
            return Response(429, error_body(TOO_MANY, CONCURRENCY_MESSAGE))
        if not server.stats.charge(config.credits):
            return Response(429, error_body(TOO_MANY, CREDITS_MESSAGE))
        fault = server.faults.draw()
        internal = match.route.internal_error if match.route else "INTERNAL_ERROR"
        if fault is not None:
            server.stats.fault(fault.kind, fault.after)
            if not fault.after:
                if fault.kind == "drop":
                    return None
                if fault.kind == "500":
                    return Response(500, error_body(internal, "Internal Server Error"))
                if fault.kind == "429":
                    return Response(429, error_body(TOO_MANY, FAULT_429_MESSAGE))
                token = self._bearer()
                if token:
                    server.tokens.revoke_access(token)
                return Response(401, error_body("INVALID_TOKEN", "invalid oauth token"))
        try:
            response = self._process(match, method=method, path=path, query=query, body=body)
        except ApiError as exc:
            response = exc.response()
        if fault is not None and fault.after:
            if fault.kind == "drop":
                return None
            return Response(500, error_body(internal, "Internal Server Error"))
        return response

    def _bearer(self) -> str | None:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "zoho-oauthtoken" or not token.strip():
            return None
        return token.strip()

    def _authenticate(self) -> AccessToken:
        token = self._bearer()
        if token is None:
            # Only "Zoho-oauthtoken" is accepted (whether Zoho takes "Bearer" is UNCERTAIN).
            raise ApiError(401, "AUTHENTICATION_FAILURE", "Authentication failed")
        found = self.server.tokens.lookup(token)
        if found is None:
            raise ApiError(401, "INVALID_TOKEN", "invalid oauth token")
        return found

    def _process(
        self,
        match: Match,
        *,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: bytes,
    ) -> Response:
        server = self.server
        token = self._authenticate()
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
            method=method,
            path=path,
            params=match.params,
            query=query,
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
            org=org,
            config=server.config,
            version=match.version,
        )
        with org.lock:
            return route.handler(request)


def serve(server: EmulatorServer, stop: threading.Event) -> None:
    """Serve until ``stop`` is set, then shut down cleanly."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    thread.daemon = True
    thread.start()
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
