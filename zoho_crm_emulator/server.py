"""The HTTP server: connections, reading requests within bounds, dispatch, sending answers.

Reading is bounded: the request line, headers and body of each request must arrive within
``idle_timeout_s`` of the moment the server starts waiting for it (an idle keep-alive
connection is closed after that long too), and a body over ``max_body_bytes`` is read and
thrown away, then answered 400 ``INVALID_DATA``.  The API gate is in ``gate.py``, the token
endpoint in ``accounts.py``, the inspection endpoints in ``inspection.py``; answers leave
through :meth:`Handler.emit`, which also applies the wire faults (``wire.py``).
"""

from __future__ import annotations

import io
import json
import math
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from zoho_crm_emulator import accounts, gate, inspection, wire
from zoho_crm_emulator.api import Response, error_body
from zoho_crm_emulator.config import EmulatorConfig
from zoho_crm_emulator.faults import WIRE_KINDS, Fault, FaultInjector
from zoho_crm_emulator.oauth import TokenStore
from zoho_crm_emulator.org import Org
from zoho_crm_emulator.stats import Stats

JSON_TYPE = wire.JSON_TYPE
_DISCARD_CHUNK = 1 << 16
#: The inspection endpoints' own body limit (``max_body_bytes`` may be set small in tests).
INSPECTION_MAX_BODY = 64 << 20


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
        # A port bound but never listening: connecting to it is refused, and no other
        # program can take it while the emulator runs (the default ``redirect_to``).
        self._dead = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._dead.bind(("127.0.0.1", 0))
        self.dead_url = f"http://127.0.0.1:{self._dead.getsockname()[1]}"
        super().__init__(address, Handler)  # closes the dead port too if binding fails
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
        if not config.redirect_to:
            config.update({"redirect_to": self.dead_url})

    def redirect_target(self) -> str:
        """Where the ``redirect`` fault points (``redirect_to``, else the dead port)."""
        return self.config.redirect_to or self.dead_url

    def server_close(self) -> None:
        """Close the listening socket and the dead port."""
        super().server_close()
        self._dead.close()


class _DeadlineIO(socket.SocketIO):
    """Socket reads that fail once the handler's read deadline has passed."""

    def __init__(self, handler: Handler) -> None:
        super().__init__(handler.connection, "rb")
        self._handler = handler

    def readinto(self, b: Any) -> int | None:
        """Read, waiting at most until the deadline."""
        handler = self._handler
        remaining = handler.read_deadline - time.monotonic()
        if remaining <= 0:
            handler.timed_out = True
            raise TimeoutError("the request was not read within idle_timeout_s")
        handler.connection.settimeout(remaining)
        try:
            return super().readinto(b)
        except TimeoutError:
            handler.timed_out = True
            raise


class Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive, every answer with a Content-Length."""

    protocol_version = "HTTP/1.1"
    # An answer leaves in one write, but the base class's own error pages (a malformed
    # request line) write headers and body separately: no Nagle delay for those either.
    disable_nagle_algorithm = True
    server: EmulatorServer
    server_version = "ZohoCRMEmulator/1.0"
    sys_version = ""
    read_deadline = math.inf
    timed_out = False

    def setup(self) -> None:
        """The base setup, with reads bounded by the read deadline."""
        super().setup()
        self.rfile.close()
        self.rfile = io.BufferedReader(_DeadlineIO(self))
        self.server.stats.connection("opened")

    def finish(self) -> None:
        """Close the connection and count it."""
        try:
            super().finish()
        finally:
            if self.timed_out:
                self.server.stats.connection("timed_out")
            self.server.stats.connection("closed")

    def handle_one_request(self) -> None:
        """Serve one request; it must be read within ``idle_timeout_s`` from now."""
        self.read_deadline = time.monotonic() + self.server.config.idle_timeout_s
        super().handle_one_request()

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

    # ------------------------------------------------------------------ reading

    def _read_exact(self, size: int) -> bytes:
        data = self.rfile.read(size)
        if len(data) < size:
            raise ConnectionError("the request body ended early")
        return data

    def _discard(self, size: int) -> None:
        while size > 0:
            size -= len(self._read_exact(min(size, _DISCARD_CHUNK)))

    def _read_chunked(self, limit: int) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            if not line.endswith(b"\n"):
                raise ConnectionError("a chunk size line ended early")
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks) if total <= limit else None
            total += size
            if total > limit:
                self._discard(size)
            else:
                chunks.append(self._read_exact(size))
            self.rfile.readline(1024)

    def _body_limit(self) -> int:
        if self.path.startswith("/__emulator"):
            return INSPECTION_MAX_BODY
        return self.server.config.max_body_bytes

    def _read_body(self) -> bytes | None:
        """The body; ``None`` when over ``max_body_bytes`` (then it was read and dropped)."""
        limit = self._body_limit()
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("a negative Content-Length")
        if length > limit:
            self._discard(length)
            return None
        return self._read_exact(length) if length else b""

    # ------------------------------------------------------------------ dispatch

    def _dispatch(self, method: str) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        self.read_deadline = math.inf
        self.connection.settimeout(self.server.config.idle_timeout_s)  # for the writes
        if body is None:
            self.server.stats.reject("body_too_large")
            limit = self._body_limit()
            self.emit(
                Response(
                    400,
                    error_body(
                        "INVALID_DATA",
                        f"the request body is larger than {limit} bytes",
                        {"maximum_length": limit},
                    ),
                )
            )
            return
        split = urlsplit(self.path)
        incoming = gate.Incoming(
            method=method,
            path=split.path,
            target=self.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
        )
        self._route(incoming)

    def _route(self, incoming: gate.Incoming) -> None:
        path = incoming.path.rstrip("/")
        if path.startswith("/__emulator"):
            try:
                answer = inspection.handle(
                    self.server, incoming.method, incoming.path, incoming.query, incoming.body
                )
            except Exception as exc:
                traceback.print_exc(file=sys.stderr)
                answer = Response(500, {"error": repr(exc)})
            self.emit(answer)
        elif path == "/oauth/v2/token/revoke":
            self.emit(accounts.revoke_answer(self.server, incoming))
        elif path == "/oauth/v2/token":
            self._emit_or_drop(*accounts.token_answer(self.server, incoming), where="token")
        else:
            self._emit_or_drop(*gate.api_answer(self.server, incoming), where="api")

    # ------------------------------------------------------------------ sending

    def _emit_or_drop(self, response: Response | None, fault: Fault | None, where: str) -> None:
        if response is None:  # the "drop" fault: close with no answer
            self.close_connection = True
            return
        self.emit(response, fault, where)

    def _encode(self, response: Response) -> wire.Answer:
        headers = [("Server", self.version_string()), ("Date", self.date_time_string())]
        headers.extend(response.headers.items())
        if response.status in (204, 304):
            return wire.Answer(response.status, headers)
        body = response.raw
        if body is None:
            body = json.dumps(response.body, separators=(",", ":"), check_circular=False).encode()
            headers.append(("Content-Type", JSON_TYPE))
        return wire.Answer(response.status, headers, body)

    def emit(self, response: Response, fault: Fault | None = None, where: str = "api") -> None:
        """Send an answer, badly when ``fault`` is a wire fault that applies to it."""
        answer = self._encode(response)
        self.log_request(response.status)
        kind = fault.kind if fault is not None and fault.kind in WIRE_KINDS else ""
        try:
            if kind == "slow" or (kind and answer.cuttable):
                self._count(kind, where)
                self._send_badly(kind, answer, fault)
            else:
                wire.send_whole(self.wfile, answer)
        except OSError:  # the client went away (or gave up on a slow answer)
            self.close_connection = True

    def _count(self, kind: str, where: str) -> None:
        if where == "token":
            self.server.stats.token_fault(kind)
        else:
            self.server.stats.fault(kind, after=True)

    def _send_badly(self, kind: str, answer: wire.Answer, fault: Fault | None) -> None:
        if kind == "truncate":
            wire.send_truncated(self.wfile, answer)
        elif kind == "slow":
            config = self.server.config
            phase = str(fault.variant) if fault is not None else "body"
            wire.send_slow(
                self.wfile,
                answer,
                phase=phase,
                chunk=config.slow_drip_bytes,
                pause=config.slow_drip_seconds,
            )
        elif kind == "short-body":
            self.close_connection = True
            wire.send_short(self.wfile, answer)
        else:  # reset-body: the read side must be closed for the RST to go out now
            self.close_connection = True
            self.rfile.close()
            wire.send_then_reset(self.wfile, answer, self.connection)


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
