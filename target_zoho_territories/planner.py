"""From wanted changes to the fewest Zoho write calls.

Every write call names one user or one territory in its path and up to 100 ids in its body or
query: a star of the user-territory graph. Adds (E11 PUT /users/{id}/territories, E6 PUT
/settings/territories/{id}/users) and removes (E12 and E7 DELETE) are planned separately. For
each, the planner prices grouping by user, by territory, a minimum vertex cover of the graph
(Konig's theorem, from a Hopcroft-Karp maximum matching: the fewest stars when no star needs more
than 100 items) and a greedy cover, and keeps the cheapest. A maximum matching is also a lower
bound: one call never covers two edges of a matching.
"""

from __future__ import annotations

import heapq
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from target_zoho_territories.outcomes import ADD, REMOVE, superseded
from target_zoho_territories.records import Answers, Result
from zoho_crm_api import endpoints
from zoho_crm_api.endpoints import Endpoint

VIA_USER = "user"
VIA_TERRITORY = "territory"
WRITE_VIA = ("auto", VIA_USER, VIA_TERRITORY)

WRITES: dict[tuple[str, str], Endpoint] = {
    (ADD, VIA_USER): endpoints.ADD_USER_TERRITORIES,
    (ADD, VIA_TERRITORY): endpoints.ADD_TERRITORY_USERS,
    (REMOVE, VIA_USER): endpoints.REMOVE_USER_TERRITORIES,
    (REMOVE, VIA_TERRITORY): endpoints.REMOVE_TERRITORY_USERS,
}
MAX_ITEMS = min(endpoint.max_items or 1 for endpoint in WRITES.values())

Edge = tuple[str, str]


@dataclass
class Change:
    """One pair to add or remove, and the result that reports it."""

    user_id: str
    territory_id: str
    action: str
    result: Result

    @property
    def pair(self) -> Edge:
        """`(user_id, territory_id)`."""
        return self.user_id, self.territory_id


@dataclass
class Call:
    """One write call: an action, the side named in the path, and at most 100 changes."""

    action: str
    via: str
    key: str
    changes: list[Change]

    @property
    def api(self) -> Endpoint:
        """The write endpoint (E6, E7, E11 or E12)."""
        return WRITES[self.action, self.via]

    @property
    def endpoint(self) -> str:
        """`METHOD /path`, as counted by the client and the emulator."""
        return self.api.route

    @property
    def url_path(self) -> str:
        """The path with this call's id in it, for messages."""
        return f"{self.api.method} {self.api.path.replace('{id}', self.key)}"

    def item_id(self, change: Change) -> str:
        """The id a change puts in the body or `ids` (the side not in the path)."""
        return change.territory_id if self.via == VIA_USER else change.user_id


@dataclass
class Plan:
    """The calls for one batch, how they were grouped, and the least any grouping needs."""

    calls: list[Call] = field(default_factory=list)
    grouping: dict[str, str] = field(default_factory=dict)
    lower_bound: int = 0


def collapse(results: Iterable[Result]) -> tuple[list[Change], Answers]:
    """One change per pair, decided by its last record; earlier ones are `superseded`.

    Results that already have an outcome (rejected) are left out.
    """
    last: dict[Edge, Result] = {}
    answers: Answers = []
    for result in results:
        if result.outcome is not None:
            continue
        earlier = last.pop(result.pair, None)
        if earlier is not None:
            answers.append((earlier, superseded(result.line, result.stream, result.action)))
        last[result.pair] = result
    changes = [Change(*pair, result.action or ADD, result) for pair, result in last.items()]
    return changes, answers


def cost(groups: Iterable[Sequence[object]]) -> int:
    """Calls needed for groups of items, at most MAX_ITEMS a call."""
    return sum(-(-len(group) // MAX_ITEMS) for group in groups if group)


def plan(changes: Sequence[Change], write_via: str = "auto") -> Plan:
    """The calls for a set of changes: adds and removes each grouped the cheapest way."""
    result = Plan()
    for action in (ADD, REMOVE):
        todo = [change for change in changes if change.action == action]
        if not todo:
            continue
        choice, stars, bound = _choose(todo, write_via)
        result.grouping[action] = choice
        result.lower_bound += bound
        for via, key, group in stars:
            for start in range(0, len(group), MAX_ITEMS):
                result.calls.append(Call(action, via, key, group[start : start + MAX_ITEMS]))
    return result


Star = tuple[str, str, list[Change]]


def _by_side(changes: Sequence[Change], via: str) -> list[Star]:
    groups: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        groups[change.user_id if via == VIA_USER else change.territory_id].append(change)
    return [(via, key, group) for key, group in groups.items()]


def _choose(changes: Sequence[Change], write_via: str) -> tuple[str, list[Star], int]:
    """The grouping name, its stars, and a lower bound on the calls any grouping needs."""
    edges = [change.pair for change in changes]
    match_u, _ = _max_matching(edges)
    bound = max(len(match_u), -(-len(edges) // MAX_ITEMS))
    if write_via in (VIA_USER, VIA_TERRITORY):
        return write_via, _by_side(changes, write_via), bound
    candidates = [
        (VIA_USER, _by_side(changes, VIA_USER)),
        (VIA_TERRITORY, _by_side(changes, VIA_TERRITORY)),
    ]
    best = min(cost(g for _, _, g in stars) for _, stars in candidates)
    if best > bound:
        candidates.append(("mixed", _cover_stars(changes, match_u)))
        candidates.append(("mixed", _greedy_stars(changes)))
    name, stars = min(candidates, key=lambda c: cost(g for _, _, g in c[1]))
    return name, stars, bound


class _Matching:
    """Hopcroft-Karp maximum matching of the bipartite user-territory graph (iterative)."""

    def __init__(self, edges: Sequence[Edge]) -> None:
        self.adj: dict[str, list[str]] = defaultdict(list)
        for user, territory in edges:
            self.adj[user].append(territory)
        self.match_u: dict[str, str] = {}
        self.match_t: dict[str, str] = {}
        self.infinity = len(self.adj) + 1
        self.dist: dict[str, int] = {}

    def solve(self) -> tuple[dict[str, str], dict[str, str]]:
        """Augment along shortest paths until none is left."""
        while self._layers():
            pointer: dict[str, int] = defaultdict(int)
            for root in list(self.adj):
                if root not in self.match_u:
                    self._augment(root, pointer)
        return self.match_u, self.match_t

    def _layers(self) -> bool:
        """BFS from the free users; True when some free territory is reachable."""
        self.dist = {user: 0 for user in self.adj if user not in self.match_u}
        queue: deque[str] = deque(self.dist)
        found = False
        while queue:
            user = queue.popleft()
            for territory in self.adj[user]:
                other = self.match_t.get(territory)
                if other is None:
                    found = True
                elif other not in self.dist:
                    self.dist[other] = self.dist[user] + 1
                    queue.append(other)
        return found

    def _augment(self, root: str, pointer: dict[str, int]) -> None:
        """DFS (with an explicit stack) for one augmenting path from `root`; flip it if found."""
        stack: list[str] = [root]
        path: list[str] = []
        while stack:
            user = stack[-1]
            step = self._advance(user, pointer)
            if step is None:
                self.dist[user] = self.infinity
                stack.pop()
                if path:
                    path.pop()
                continue
            territory, other = step
            path.append(territory)
            if other is None:
                for u, t in zip(stack, path, strict=True):
                    self.match_u[u] = t
                    self.match_t[t] = u
                return
            stack.append(other)

    def _advance(self, user: str, pointer: dict[str, int]) -> tuple[str, str | None] | None:
        """The next usable edge of `user`: (territory, its matched user or None), or None."""
        edges = self.adj[user]
        while pointer[user] < len(edges):
            territory = edges[pointer[user]]
            pointer[user] += 1
            other = self.match_t.get(territory)
            if other is None or self.dist.get(other, self.infinity) == self.dist[user] + 1:
                return territory, other
        return None


def _max_matching(edges: Sequence[Edge]) -> tuple[dict[str, str], dict[str, str]]:
    """A maximum matching: (user -> territory, territory -> user)."""
    return _Matching(edges).solve()


def _cover_stars(changes: Sequence[Change], match_u: dict[str, str]) -> list[Star]:
    """Stars centred on a minimum vertex cover (Konig: from the maximum matching)."""
    adj: dict[str, list[str]] = defaultdict(list)
    match_t = {t: u for u, t in match_u.items()}
    for change in changes:
        adj[change.user_id].append(change.territory_id)
    # Z: reachable from unmatched users by alternating paths.
    seen_u = {user for user in adj if user not in match_u}
    seen_t: set[str] = set()
    queue = deque(seen_u)
    while queue:
        user = queue.popleft()
        for territory in adj[user]:
            if territory in seen_t:
                continue
            seen_t.add(territory)
            other = match_t.get(territory)
            if other is not None and other not in seen_u:
                seen_u.add(other)
                queue.append(other)
    cover_u = {user for user in adj if user not in seen_u}
    cover_t = seen_t
    groups: dict[tuple[str, str], list[Change]] = defaultdict(list)
    both: list[Change] = []
    for change in changes:
        in_u, in_t = change.user_id in cover_u, change.territory_id in cover_t
        if in_u and in_t:
            both.append(change)
        elif in_u:
            groups[VIA_USER, change.user_id].append(change)
        else:
            groups[VIA_TERRITORY, change.territory_id].append(change)
    for change in both:
        options = [(VIA_USER, change.user_id), (VIA_TERRITORY, change.territory_id)]
        # Prefer a star with room in its last call; then the fuller star.
        options.sort(key=lambda o: (len(groups[o]) % MAX_ITEMS == 0, -len(groups[o])))
        groups[options[0]].append(change)
    return [(via, key, group) for (via, key), group in groups.items() if group]


def _greedy_stars(changes: Sequence[Change]) -> list[Star]:
    """Repeatedly take the id with the most pending changes (up to 100 of them)."""
    pending: dict[tuple[str, str], dict[Edge, Change]] = defaultdict(dict)
    for change in changes:
        pending[VIA_USER, change.user_id][change.pair] = change
        pending[VIA_TERRITORY, change.territory_id][change.pair] = change
    heap = [(-len(items), side) for side, items in pending.items()]
    heapq.heapify(heap)
    stars: list[Star] = []
    while heap:
        size, side = heapq.heappop(heap)
        items = pending[side]
        if not items:
            continue
        if -size != len(items):
            heapq.heappush(heap, (-len(items), side))
            continue
        taken = list(items.values())[:MAX_ITEMS]
        stars.append((side[0], side[1], taken))
        for change in taken:
            pending[VIA_USER, change.user_id].pop(change.pair, None)
            pending[VIA_TERRITORY, change.territory_id].pop(change.pair, None)
        if items:
            heapq.heappush(heap, (-len(items), side))
    return stars
