"""Request counting for ``/__emulator/stats``; exact under concurrency (one lock)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    """Counters of API traffic.

    ``in_flight`` counts every API request from the moment it has been read until its answer
    starts to be written (so a client's next request can never overlap its previous one in the
    count); ``max_in_flight`` is the most seen at once.  The ``--max-concurrency`` admission
    uses ``admitted`` (requests in flight that were not refused with 429).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.responses: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.faults_after: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.token_faults: Counter[str] = Counter()
        self.connections: Counter[str] = Counter()
        self.open_connections = 0
        self.max_open_connections = 0
        self.total_requests = 0
        self.credits_used = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.admitted = 0
        self.max_admitted = 0

    def count_token_request(self) -> None:
        """The token endpoint: counted under its key, not in ``total_requests``."""
        with self._lock:
            self.requests["POST /oauth/v2/token"] += 1

    def arrive(self, key: str, max_concurrency: int | None) -> bool:
        """Count an API request; returns whether the concurrency limit admits it."""
        with self._lock:
            self.requests[key] += 1
            self.total_requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if max_concurrency is not None and self.admitted >= max_concurrency:
                self.rejected["concurrency"] += 1
                return False
            self.admitted += 1
            self.max_admitted = max(self.max_admitted, self.admitted)
            return True

    def leave(self, admitted: bool, status: int | None) -> None:
        """The request's answer is about to be written (``status`` ``None``: dropped)."""
        with self._lock:
            self.in_flight -= 1
            if admitted:
                self.admitted -= 1
            self.responses["dropped" if status is None else str(status)] += 1

    def charge(self, credits: int | None) -> bool:
        """Charge one credit; ``False`` (nothing charged) when the credits are spent."""
        with self._lock:
            if credits is not None and self.credits_used >= credits:
                self.rejected["credits"] += 1
                return False
            self.credits_used += 1
            return True

    def fault(self, kind: str, after: bool) -> None:
        """Record an injected API fault."""
        with self._lock:
            self.faults[kind] += 1
            if after:
                self.faults_after[kind] += 1

    def token_fault(self, kind: str) -> None:
        """Record an injected fault of the token endpoint."""
        with self._lock:
            self.token_faults[kind] += 1

    def reject(self, reason: str) -> None:
        """Record a request refused before it was routed (``body_too_large``)."""
        with self._lock:
            self.rejected[reason] += 1

    def connection(self, event: str) -> None:
        """A connection ``opened``, ``closed`` or ``timed_out`` (closed while being read)."""
        with self._lock:
            self.connections[event] += 1
            if event == "opened":
                self.open_connections += 1
                self.max_open_connections = max(self.max_open_connections, self.open_connections)
            elif event == "closed":
                self.open_connections -= 1

    def reset(self) -> None:
        """Zero the counters (requests in flight stay counted)."""
        with self._lock:
            self.requests.clear()
            self.responses.clear()
            self.faults.clear()
            self.faults_after.clear()
            self.rejected.clear()
            self.token_faults.clear()
            self.connections.clear()
            self.max_open_connections = self.open_connections
            self.total_requests = 0
            self.credits_used = 0
            self.max_in_flight = self.in_flight
            self.max_admitted = self.admitted

    def reset_credits(self) -> None:
        """Forget the credits used (when ``credits`` is set anew)."""
        with self._lock:
            self.credits_used = 0

    def snapshot(self, credits: int | None) -> dict[str, Any]:
        """The JSON of ``/__emulator/stats``."""
        with self._lock:
            return {
                "requests": dict(sorted(self.requests.items())),
                "total_requests": self.total_requests,
                "credits_used": self.credits_used,
                "credits_remaining": (
                    None if credits is None else max(0, credits - self.credits_used)
                ),
                "max_in_flight": self.max_in_flight,
                "in_flight": self.in_flight,
                "max_admitted_in_flight": self.max_admitted,
                "faults_injected": dict(self.faults),
                "faults_after_processing": dict(self.faults_after),
                "rejected": dict(self.rejected),
                "responses": dict(sorted(self.responses.items())),
                "token_faults_injected": dict(self.token_faults),
                "connections": {
                    "open": self.open_connections,
                    "max_open": self.max_open_connections,
                    "timed_out": self.connections["timed_out"],
                },
            }
