"""How many calls may be in flight: a fixed `max_concurrency`, or the org's edition's (`auto`).

Zoho caps the calls an app has in flight per org by edition (zoho-api.md §6: Free 5, Standard 10,
Professional 15, Enterprise 20, Ultimate 25) and answers 429 beyond it. GET /org says the edition
only through `license_details` (§10 "Edition"). A 429 that is not about credits, received while
more than one call was in flight, lowers the limit for the rest of the run: the limit the org
enforces is below the number that was in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# license_details.paid_type -> the edition (zoho-api.md §10 "Edition", named as §6's table).
# Seen: free, enterprise, professional (as a trial). Standard/Starter and Ultimate: by analogy.
EDITIONS = {
    "free": "free",
    "standard": "standard",
    "starter": "standard",
    "professional": "professional",
    "enterprise": "enterprise",
    "ultimate": "ultimate",
}
FREE = "free"
# Calls in flight per edition (zoho-api.md §6); an edition that cannot be read gets Free's.
EDITION_CONCURRENCY = {
    "free": 5,
    "standard": 10,
    "professional": 15,
    "enterprise": 20,
    "ultimate": 25,
}
UNKNOWN_EDITION_CONCURRENCY = EDITION_CONCURRENCY[FREE]


def edition(license_details: Any) -> tuple[str, str | None]:
    """The org's edition from GET /org's `license_details`, and the `paid_type` not understood.

    Zoho has no edition key: `paid: false` is Free (a trial shows only in `trial_type`), else
    `paid_type` names it. An unknown `paid_type` counts as Free, the edition with the lowest
    limits, and is returned second (as its repr) so that the caller can say so.
    """
    details = license_details if isinstance(license_details, dict) else {}
    paid_type = str(details.get("paid_type") or "").strip().lower()
    if details.get("paid") is False:
        return FREE, None
    found = EDITIONS.get(paid_type)
    return (found, None) if found else (FREE, repr(details.get("paid_type")))


def org_edition(body: Any) -> tuple[str, str | None]:
    """The edition named by a GET /org answer (`{"org": [{..., "license_details": ...}]}`)."""
    orgs = body.get("org") if isinstance(body, dict) else None
    first = orgs[0] if isinstance(orgs, list) and orgs and isinstance(orgs[0], dict) else {}
    return edition(first.get("license_details"))


class Slot:
    """One call's place among the calls in flight."""

    def __init__(self) -> None:
        # The most calls in flight (this one included) at any moment while it was out: more
        # than the org allows if Zoho refused it for concurrency.
        self.peak = 0


class ConcurrencyLimit:
    """A bound on calls in flight that can be set (from the edition) and lowered (thread-safe).

    Once lowered after a 429 it is never raised again in the run: setting it from the edition
    afterwards keeps the lower value.
    """

    def __init__(self, limit: int) -> None:
        self._limit = max(1, limit)
        self._ceiling: int | None = None
        self._in_flight = 0
        self._cond = threading.Condition()
        self._watchers: list[Callable[[int], None]] = []
        self._held: list[Slot] = []

    @property
    def limit(self) -> int:
        """Calls allowed in flight now."""
        return self._limit

    @property
    def in_flight(self) -> int:
        """Calls in flight now."""
        return self._in_flight

    def watch(self, callback: Callable[[int], None]) -> None:
        """Call `callback(limit)` whenever the limit changes (a pool that follows it)."""
        self._watchers.append(callback)

    def set(self, limit: int) -> int:
        """Allow `limit` calls in flight (at most the value a 429 lowered it to); the limit."""
        with self._cond:
            wanted = max(1, limit)
            if self._ceiling is not None:
                wanted = min(wanted, self._ceiling)
            changed = wanted != self._limit
            self._limit = wanted
            self._cond.notify_all()
        if changed:
            self._notify(wanted)
        return wanted

    def lower(self, limit: int) -> bool:
        """Allow at most `limit` calls for the rest of the run; True if that lowered it."""
        with self._cond:
            wanted = max(1, limit)
            if wanted >= self._limit:
                return False
            self._limit = self._ceiling = wanted
        self._notify(wanted)
        return True

    @contextmanager
    def slot(self) -> Iterator[Slot]:
        """Hold one slot while a call is in flight (waiting for one if all are taken)."""
        held = Slot()
        with self._cond:
            while self._in_flight >= self._limit:
                self._cond.wait()
            self._in_flight += 1
            self._held.append(held)
            for other in self._held:
                other.peak = max(other.peak, self._in_flight)
        try:
            yield held
        finally:
            with self._cond:
                self._in_flight -= 1
                self._held.remove(held)
                self._cond.notify()

    def _notify(self, limit: int) -> None:
        for callback in self._watchers:
            callback(limit)
