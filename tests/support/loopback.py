"""Real HTTP servers on loopback for client tests: the emulator in-process, and a second host.

`InProcessEmulator` is the emulator (same org, faults and inspection API as
`EmulatorProcess`) served from a thread of the test process, for unit tests of the client
that must still go over real loopback HTTP. `OtherHost` stands in for "another host": it
records every request it receives and answers what the test scripts, for the answers a broken
proxy gives and the emulator does not (a Retry-After, an endless body).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from typing_extensions import override

from zoho_crm_emulator.__main__ import build_parser, make_config, org_factory
from zoho_crm_emulator.process import EmulatorProcess
from zoho_crm_emulator.server import EmulatorServer, serve


class InProcessEmulator(EmulatorProcess):
    """The emulator on a free loopback port, served by a thread of this process."""

    def __init__(self, *cli_args: str) -> None:
        super().__init__(*cli_args)
        self._server: EmulatorServer | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> InProcessEmulator:
        """Build the org and serve it."""
        parser = build_parser()
        args = parser.parse_args(["--port", "0", *self.cli_args])
        factory = org_factory(args, parser)
        self._server = EmulatorServer(("127.0.0.1", 0), factory(), make_config(args), factory)
        self.url = self._server.base_url
        self._thread = threading.Thread(target=serve, args=(self._server, self._stop), daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> int | None:
        """Shut the server down."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        return 0


@dataclass
class Reply:
    """What `OtherHost` answers: status, headers and body (or body parts sent one by one)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    body: bytes | list[bytes] = b"{}"

    @classmethod
    def json(cls, status: int, value: Any, **headers: str) -> Reply:
        """A JSON answer."""
        headers = {"Content-Type": "application/json", **headers}
        return cls(status, headers, json.dumps(value).encode())


@dataclass
class Received:
    """One request `OtherHost` received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class OtherHost:
    """A loopback HTTP server that records what it receives and answers `answer(request)`."""

    def __init__(self, answer: Callable[[Received], Reply] | None = None) -> None:
        self.received: list[Received] = []
        self._answer = answer or (lambda request: Reply())
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                host.received.append(request)
                reply = host._answer(request)
                self.send_response(reply.status)
                parts = reply.body if isinstance(reply.body, list) else [reply.body]
                headers = dict(reply.headers)
                if not isinstance(reply.body, list):
                    headers.setdefault("Content-Length", str(len(reply.body)))
                else:
                    headers.setdefault("Connection", "close")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    for part in parts:
                        self.wfile.write(part)
                        self.wfile.flush()
                except OSError:
                    pass  # the client gave up

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def do_PUT(self) -> None:
                self._handle()

            def do_DELETE(self) -> None:
                self._handle()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> OtherHost:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


EMULATOR_CREDENTIALS = {
    "client_id": "1000.EMULATORCLIENTID",
    "client_secret": "emulator-client-secret",
    "refresh_token": "1000.emulator-refresh-token",
}


def retry_after_host(seconds: int) -> OtherHost:
    """A host that grants a token and answers every API call 429 with `Retry-After: seconds`.

    Zoho documents no Retry-After; a proxy or a gateway in front of it may send one.
    `tap_config(host)` points the plugins at it.
    """

    def answer(request: Received) -> Reply:
        if request.path.startswith("/oauth/v2/token"):
            grant = {"access_token": "1000.00aa11bb.22cc33dd", "expires_in": 3600}
            return Reply.json(200, {**grant, "api_domain": host.url})
        body = {"code": "TOO_MANY_REQUESTS", "details": {}, "message": "come back later"}
        return Reply.json(429, body, **{"Retry-After": str(seconds)})

    host = OtherHost(answer)
    return host


class EndlessBody(list[bytes]):
    """A body that never ends: `part` again and again, `pause` seconds apart, until the client
    goes (an `OtherHost` reply sends it without Content-Length).

    Bytes keep arriving, so neither a per-read timeout nor a shut socket ends the read; only a
    deadline on the whole answer does (the size cap much later).
    """

    def __init__(self, first: bytes, part: bytes = b" " * 16384, pause: float = 0.02) -> None:
        super().__init__([first])
        self.part = part
        self.pause = pause

    @override
    def __iter__(self) -> Iterator[bytes]:
        yield from super().__iter__()
        while True:
            time.sleep(self.pause)
            yield self.part


def endless_answer_host() -> OtherHost:
    """A host that grants a token and answers every API call 200 with a JSON body that never
    ends (a broken proxy or load balancer streaming garbage). `tap_config(host)` points the
    plugins at it."""

    def answer(request: Received) -> Reply:
        if request.path.startswith("/oauth/v2/token"):
            grant = {"access_token": "1000.00aa11bb.22cc33dd", "expires_in": 3600}
            return Reply.json(200, {**grant, "api_domain": host.url})
        if not request.path.startswith("/crm/"):
            return Reply.json(404, {"error": "not found"})  # e.g. the secrets check's token list
        return Reply(200, {"Content-Type": "application/json"}, EndlessBody(b'{"users": ['))

    host = OtherHost(answer)
    return host


def tap_config(host: OtherHost, **overrides: Any) -> dict[str, Any]:
    """Plugin settings whose accounts server (and so API domain) is `host`."""
    return {**EMULATOR_CREDENTIALS, "accounts_server": host.url, **overrides}
