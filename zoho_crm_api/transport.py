"""HTTP exchanges with a deadline on the whole answer, a size cap, no redirects, and a stop.

`request_timeout` bounds connect, headers and body together: a watchdog thread shuts the
socket of any exchange past its deadline (or of every exchange once the run is stopped), so a
server that drips a byte a second cannot hold a call. Bodies are read in chunks up to
`max_response_mb`. Redirects are never followed, and every URL is held to the
https-or-loopback rule before anything is sent to it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from typing_extensions import override
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from zoho_crm_api.datacenters import check_url
from zoho_crm_api.errors import ZohoAnswerTooLarge, ZohoConfigError, ZohoStopped
from zoho_crm_api.retry import StopSignal

CHUNK = 1 << 16
# A connection is made within this (or request_timeout if shorter); the watchdog cannot end a
# connect that has no socket yet, so this bounds how long a stop can wait for one.
CONNECT_TIMEOUT = 5.0
# How often the watchdog looks at the exchanges in flight: a stop or a deadline takes effect
# within this.
WATCH_INTERVAL = 0.25
MEGABYTE = 1024 * 1024
_DROPS: tuple[type[BaseException], ...] = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    OSError,
)


@dataclass
class RawAnswer:
    """A complete HTTP answer, as it came."""

    status: int
    reason: str
    headers: CaseInsensitiveDict[str]
    content: bytes

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case ('' when absent)."""
        return self.headers.get("Content-Type", "").split(";", maxsplit=1)[0].strip().lower()


class Dropped(Exception):
    """No complete answer: the connection failed, dropped, broke mid-body or ran past its deadline.

    `status` is the HTTP status when the headers had arrived (the body then broke).
    """

    def __init__(self, problem: str, status: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.status = status


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


class _Watch:
    """One exchange in flight: its deadline and the connection it uses."""

    __slots__ = ("connection", "deadline", "fired", "shut")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.connection: Any = None
        self.fired: str | None = None
        self.shut: Any = None


_current = threading.local()


def _attach(connection: Any) -> None:
    """Tie the connection a thread is using to that thread's exchange (called by urllib3)."""
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        watch.connection = connection


class _WatchedHTTPConnection(HTTPConnection):
    @override
    def connect(self) -> None:
        _attach(self)
        super().connect()

    @override
    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    """TLS: HTTPSConnection's connect and request, reported first (see the MRO)."""


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """urllib3 pools whose connections report themselves to the watchdog."""

    @override
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    @override
    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if hasattr(manager, "pool_classes_by_scheme"):
            manager.pool_classes_by_scheme = _POOLS
        return manager


class Watchdog:
    """Shuts the socket of an exchange past its deadline, or of every exchange once stopped."""

    def __init__(self, stop: StopSignal) -> None:
        self._stop = stop
        self._lock = threading.Lock()
        self._watches: set[_Watch] = set()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def watch(self, deadline: float) -> _Watch:
        """Register an exchange; it is watched until `unwatch`."""
        watch = _Watch(deadline)
        with self._lock:
            self._watches.add(watch)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="zoho-watchdog", daemon=True)
                self._thread.start()
        return watch

    def unwatch(self, watch: _Watch) -> None:
        """The exchange is over."""
        with self._lock:
            self._watches.discard(watch)

    def _run(self) -> None:
        while True:
            self._wake.wait(WATCH_INTERVAL)
            now = time.monotonic()
            with self._lock:
                if not self._watches:
                    self._thread = None
                    return
                for watch in self._watches:
                    if self._stop.stopped:
                        _fire(watch, "stopped")
                    elif now >= watch.deadline or watch.fired:
                        _fire(watch, "deadline")


def _fire(watch: _Watch, reason: str) -> None:
    """Shut the exchange's socket down, waking the thread blocked reading it."""
    watch.fired = watch.fired or reason
    sock = getattr(watch.connection, "sock", None)
    if sock is None or sock is watch.shut:
        return  # still connecting (bounded by CONNECT_TIMEOUT), or already shut
    watch.shut = sock
    if isinstance(sock, socket.socket):
        # The plain socket's shutdown, also for TLS: SSLSocket.shutdown would drop the SSL
        # object under the thread reading it.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Transport:
    """One `requests.Session` for every call of a run, with deadlines, caps and a stop."""

    def __init__(
        self,
        *,
        user_agent: str,
        pool_size: int,
        timeout: float,
        max_bytes: int,
        stop: StopSignal,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.stop = stop
        self._watchdog = Watchdog(stop)
        self.session = requests.Session()
        adapter = _WatchedAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = user_agent

    def exchange(
        self,
        what: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> RawAnswer:
        """Send one request and read the whole answer within `timeout` seconds.

        Raises Dropped (no complete answer), ZohoAnswerTooLarge, ZohoStopped, or
        ZohoConfigError for a URL that is neither https nor loopback.
        """
        self.stop.check()
        try:
            check_url(url, "a URL to contact")
        except ValueError as exc:
            raise ZohoConfigError(str(exc)) from None
        sent = {
            "method": method,
            "url": url,
            "params": params,
            "data": data,
            "json": json,
            "headers": dict(headers or {}),
            # Proxies from the environment apply, but a ~/.netrc must never add or replace
            # credentials: an explicit (empty) auth keeps requests from reading it.
            "auth": _no_auth,
            "timeout": (min(CONNECT_TIMEOUT, self.timeout), self.timeout),
            "allow_redirects": False,
            "stream": True,
        }
        watch = self._watchdog.watch(time.monotonic() + self.timeout)
        _current.watch = watch
        try:
            return self._exchange(what, watch, sent)
        finally:
            _current.watch = None
            self._watchdog.unwatch(watch)

    def _exchange(self, what: str, watch: _Watch, sent: dict[str, Any]) -> RawAnswer:
        try:
            response = self.session.request(**sent)
        except _DROPS as exc:
            raise self._dropped(watch, exc, None) from None
        except Exception as exc:
            if watch.fired:
                raise self._dropped(watch, exc, None) from None
            raise
        try:
            content = self._read(what, response, watch)
        except ZohoAnswerTooLarge:
            raise
        except Exception as exc:
            if watch.fired or isinstance(exc, _DROPS):
                raise self._dropped(watch, exc, response.status_code) from None
            raise
        finally:
            response.close()
        if watch.fired:
            # The body ended because the watchdog shut the socket: it is not complete.
            raise self._dropped(watch, None, response.status_code)
        return RawAnswer(response.status_code, response.reason or "", response.headers, content)

    def _read(self, what: str, response: requests.Response, watch: _Watch) -> bytes:
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise ZohoAnswerTooLarge(what, self.max_bytes / MEGABYTE)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(CHUNK):
            if watch.fired:
                # A shut socket still yields what keeps arriving (Linux): a body that never
                # ends would outlive the deadline and the stop, so stop reading here.
                break
            size += len(chunk)
            if size > self.max_bytes:
                raise ZohoAnswerTooLarge(what, self.max_bytes / MEGABYTE)
            chunks.append(chunk)
        return b"".join(chunks)

    def _dropped(self, watch: _Watch, exc: BaseException | None, status: int | None) -> Exception:
        if watch.fired == "stopped":
            return ZohoStopped(self.stop.reason)
        if watch.fired == "deadline":
            return Dropped(
                f"no complete answer within request_timeout ({self.timeout:g} s)", status
            )
        name = type(exc).__name__ if exc is not None else "EOF"
        where = "mid-body" if status is not None else "before an answer"
        return Dropped(f"{name} (the connection dropped or timed out {where})", status)

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()
