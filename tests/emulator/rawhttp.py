"""Raw HTTP over a socket, to see exactly which bytes the emulator sends and how it ends."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


def connect(url: str, timeout: float = 30) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def request_bytes(
    method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Wire:
    """What came back: the raw bytes, how the connection ended, and the parsed head."""

    data: bytes
    ending: str  # "eof", "reset", "timeout" or "complete" (Content-Length bytes read, open)
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        return None if value is None else int(value)


def parse(data: bytes, ending: str) -> Wire:
    wire = Wire(data, ending)
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return wire
    lines = head.decode("latin-1").split("\r\n")
    wire.status = int(lines[0].split()[1])
    for line in lines[1:]:
        name, _, value = line.partition(":")
        wire.headers[name.strip().lower()] = value.strip()
    wire.body = body
    return wire


def receive(sock: socket.socket, *, idle: float | None = None, until_length: bool = True) -> Wire:
    """Read until EOF, a reset, ``idle`` seconds with nothing new, or (``until_length``) the
    Content-Length's worth of body."""
    data = b""
    if idle is not None:
        sock.settimeout(idle)
    while True:
        if until_length:
            wire = parse(data, "complete")
            length = wire.content_length
            if length is not None and len(wire.body) >= length:
                return wire
            if wire.status in (204, 304):
                return wire
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return parse(data, "reset")
        except TimeoutError:
            return parse(data, "timeout")
        if not chunk:
            return parse(data, "eof")
        data += chunk


def exchange(url: str, raw: bytes, **kwargs) -> Wire:
    """Send one raw request on a new connection and read the answer."""
    with connect(url) as sock:
        sock.sendall(raw)
        return receive(sock, **kwargs)


def api_request(method: str, target: str, token: str, body: bytes = b"", **headers: str) -> bytes:
    return request_bytes(
        method, target, {"Authorization": f"Zoho-oauthtoken {token}", **headers}, body
    )


def json_body(wire: Wire):
    return json.loads(wire.body)


class Recorder:
    """A second loopback server ("another host") that records every request it receives."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                data = b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._record()

            def do_POST(self) -> None:
                self._record()

            def log_message(self, format, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
