"""What goes on the wire: an answer's bytes, and the injected ways of sending them badly.

Every answer leaves in one write (status line, headers, body), except the ``slow`` fault's.
The misbehaving writers (docs/emulator.md "Faults" lists the exact bytes):

* ``truncate``: the body cut to its first half, ``Content-Length`` matching the cut body;
  the connection stays usable;
* ``short-body``: ``Content-Length`` of the whole body, only its first half sent, then the
  connection is closed (FIN);
* ``reset-body``: as ``short-body``, then the connection is reset (RST, ``SO_LINGER`` 0);
* ``slow``: the answer dripped ``slow_drip_bytes`` at a time with ``slow_drip_seconds``
  between drips, from the status line (``headers``) or from the first body byte (``body``).
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Protocol

JSON_TYPE = "application/json;charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"

_PAGE = (
    "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
    "<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
#: What a captive portal or a proxy's block page answers with status 200.
_PAGE_200 = (
    "<!DOCTYPE html>\r\n<html>\r\n<head><title>Network login required</title></head>\r\n"
    "<body>\r\n<h1>Network login required</h1>\r\n"
    "<p>Please sign in to the network to continue.</p>\r\n</body>\r\n</html>\r\n"
)


class Writer(Protocol):
    """Where answers are written (the handler's ``wfile``)."""

    def write(self, data: bytes, /) -> object:
        """Write all of ``data``."""
        ...


def reason(status: int) -> str:
    """The reason phrase of a status code."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def html_page(status: int) -> bytes:
    """The HTML page a proxy sends with ``status`` (nginx's layout; a login page for 200)."""
    if status == 200:
        return _PAGE_200.encode()
    return _PAGE.format(title=f"{status} {reason(status)}").encode()


@dataclass
class Answer:
    """An answer ready to send: ``body`` ``None`` means no body and no Content-Length."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None

    def head(self, length: int | None = None) -> bytes:
        """Status line and headers, with ``Content-Length: length`` (default: the body's)."""
        lines = [f"HTTP/1.1 {self.status} {reason(self.status)}"]
        lines.extend(f"{name}: {value}" for name, value in self.headers)
        if self.body is not None:
            lines.append(f"Content-Length: {len(self.body) if length is None else length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    @property
    def cuttable(self) -> bool:
        """Whether a body-cutting fault applies: a 2xx with a body of at least 2 bytes."""
        return 200 <= self.status < 300 and self.body is not None and len(self.body) >= 2

    @property
    def half(self) -> bytes:
        """The first half of the body (what the cutting faults send)."""
        body = self.body or b""
        return body[: len(body) // 2]


def send_whole(out: Writer, answer: Answer) -> None:
    """The answer as it should be."""
    out.write(answer.head() + (answer.body or b""))


def send_truncated(out: Writer, answer: Answer) -> None:
    """The first half of the body, with a Content-Length saying that is all."""
    out.write(answer.head(len(answer.half)) + answer.half)


def send_short(out: Writer, answer: Answer) -> None:
    """The whole body's Content-Length, half the body (the caller then closes: FIN)."""
    out.write(answer.head() + answer.half)


def send_then_reset(out: Writer, answer: Answer, connection: socket.socket) -> None:
    """As :func:`send_short`, then reset the connection (RST) instead of closing it."""
    send_short(out, answer)
    reset(connection)


def reset(connection: socket.socket) -> None:
    """Close with SO_LINGER 0: the kernel sends RST instead of FIN."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def send_slow(
    out: Writer,
    answer: Answer,
    *,
    phase: str,
    chunk: int,
    pause: float,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Drip the answer ``chunk`` bytes at a time, ``pause`` seconds apart.

    ``phase`` ``headers``: from the status line on; ``body``: the head at once, then the
    body dripped (an answer without a body is dripped from the status line).
    """
    data = answer.head() + (answer.body or b"")
    start = 0
    if phase == "body" and answer.body:
        start = len(data) - len(answer.body)
        out.write(data[:start])
    for offset in range(start, len(data), chunk):
        if offset > start:
            sleep(pause)
        out.write(data[offset : offset + chunk])
