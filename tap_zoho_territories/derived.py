"""`user_territories` without a call per user: derived from territories (E1) and their users (E5).

E10 (`GET /users/{id}/territories`) costs at least one call per user. The same pairs come
from E5 at one call per 200 users of a territory, and what E10 says of each territory (`Name`,
`Manager`, `Reporting_To`) comes from E1. When the org's counts say that costs fewer calls (or
nothing more: `territory_users` reads E5 anyway), the tap reads the membership once and writes
each user's territories exactly as E10 would give them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tap_zoho_territories.prefetch import PageChain
from zoho_crm_api.errors import ZohoError

# E1 lists up to 2000 territories a page.
TERRITORIES_PER_PAGE = 2000


def pages(n: int, size: int) -> int:
    """Calls to list `n` items `size` a page (an empty list still costs one)."""
    return max(1, -(-n // size))


def cheaper_to_derive(
    users: int | None, territories: int | None, *, e5_read_anyway: bool, e1_calls_left: int
) -> bool:
    """True when E1 and E5 cost fewer calls than one E10 call per user.

    `users` (E9's count) and `territories` (E1's list) are None when they could not be read:
    then E10, which needs neither. Each territory costs one E5 call at least.
    """
    if e5_read_anyway:
        return True
    if users is None or territories is None:
        return False
    return e1_calls_left + territories < users


def _ref(value: Any) -> dict[str, Any] | None:
    """A `{name, id}` reference as a record holds it after shaping (`id` first, as E10's)."""
    if not isinstance(value, dict) or value.get("id") is None:
        return None
    return {"id": str(value["id"]), "name": value.get("Name", value.get("name"))}


def _id_order(value: str) -> tuple[int, str]:
    """Digit strings in numeric order (Zoho lists in ascending id order)."""
    return len(value), value


class Membership:
    """Who is in which territory, from E1 and E5 pages, and each user's territories from it.

    Pages come in worker threads; the writer thread `wait`s once for everything, then asks for
    each user's `records`. With `observes_streams`, the pages are those of the territories and
    territory_users streams, which the writer reads before users; otherwise the membership
    reads E1 and E5 itself (`members_of` makes one territory's E5 chain, not started).
    """

    def __init__(self, members_of: Callable[[str], PageChain], *, observes_streams: bool) -> None:
        self.observes_streams = observes_streams
        self._members_of = members_of
        self._lock = threading.Lock()
        self._territories: dict[str, dict[str, Any]] = {}
        self._members: dict[str, set[str]] = {}
        self._chains: dict[str, PageChain] = {}
        self._listing: PageChain | None = None
        self._reading = False
        self._by_user: dict[str, list[str]] | None = None

    # Worker threads

    def add_territories(self, records: list[dict[str, Any]]) -> None:
        """A page of E1: what E10 shows of each territory; with `read_all`, their users too."""
        start: list[str] = []
        with self._lock:
            for raw in records:
                if not isinstance(raw, dict) or raw.get("id") is None:
                    continue
                territory = str(raw["id"])
                self._territories[territory] = {
                    "manager": _ref(raw.get("Manager", raw.get("manager"))),
                    "name": raw.get("Name", raw.get("name")),
                    "reporting_to": _ref(raw.get("Reporting_To", raw.get("reporting_to"))),
                }
                if self._reading and territory not in self._chains:
                    start.append(territory)
        for territory in start:
            self._read(territory)

    def add_members(self, territory: str, records: list[dict[str, Any]]) -> None:
        """A page of a territory's users (E5)."""
        users = {str(raw["id"]) for raw in records if isinstance(raw, dict) and "id" in raw}
        with self._lock:
            self._members.setdefault(territory, set()).update(users)

    # Chains

    def listing(self, chain: PageChain) -> None:
        """The chain that lists the territories (E1)."""
        self._listing = chain

    def tracking(self, territory: str, chain: PageChain) -> None:
        """A chain that reads a territory's users: what it reads replaces any earlier read."""
        self._track(territory, chain)

    def _track(self, territory: str, chain: PageChain) -> None:
        with self._lock:
            self._chains[territory] = chain
            self._members[territory] = set()

    def _read(self, territory: str) -> PageChain:
        """Read a territory's users with a chain of the membership's own."""
        chain = self._members_of(territory)
        self._track(territory, chain)
        return chain.start()

    def read_all(self) -> None:
        """Read the users of every territory listed, and of those listed from now on."""
        with self._lock:
            self._reading = True
            waiting = [t for t in self._territories if t not in self._chains]
        for territory in waiting:
            self._read(territory)

    @property
    def territories(self) -> int:
        """Territories listed so far."""
        return len(self._territories)

    # The writer thread

    def wait(self) -> None:
        """Wait until every territory and all its users are read; raise if that failed.

        A territory whose users' chain was dropped before its end (a stream map filtered the
        territory out of territory_users) is read again here.
        """
        if self._by_user is not None:
            return
        listing = self._listing
        if listing is not None and not listing.done:
            if listing.keep:
                msg = "the territories (E1) were not read to the end"
                raise ZohoError(msg)
            listing.wait()
        for territory in list(self._territories):
            chain = self._chains.get(territory)
            if chain is None or (chain.keep and not chain.done):
                chain = self._read(territory)
            if not chain.done:
                chain.wait()
        by_user: dict[str, list[str]] = {}
        for territory in sorted(self._territories, key=_id_order):
            for user in self._members.get(territory, ()):
                by_user.setdefault(user, []).append(territory)
        self._by_user = by_user

    def records(self, user: str) -> list[dict[str, Any]]:
        """The user's territories as the user_territories stream writes E10's (after `wait`)."""
        assert self._by_user is not None
        out = []
        for territory in self._by_user.get(user, ()):
            known = self._territories[territory]
            parent = known["reporting_to"]
            out.append(
                {
                    "id": territory,
                    "manager": None if known["manager"] is None else dict(known["manager"]),
                    "name": known["name"],
                    "reporting_to": None if parent is None else dict(parent),
                    "user_id": user,
                    "parent_id": None if parent is None else parent["id"],
                }
            )
        return out
