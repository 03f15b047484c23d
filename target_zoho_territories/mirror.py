"""Mirror mode: the records are the complete wanted set for every user (or territory) they name.

`mirror_scope: user` (the default): the records are the complete wanted set of territories of
each user they name; `territory`: the complete membership of each territory they name. What
each named user or territory holds is read, and only the difference is planned: wanted pairs
that are missing are added, held pairs that are not wanted are removed. Users (territories)
not named in the input are never touched. The organisation territory and territories a user
manages are never removed by mirror (Zoho refuses both); they are reported as kept. Whatever
cannot be read is not mirrored: its records fail (a failed read never means "holds nothing").

The holdings are read the cheaper way for the input: each named user's territories (E10, a
call per user) or every territory's users (E1, then E5 a call per territory), and for the
territory scope each named territory's users (E5) or every user's territories (E8, then E10).
`read_choice` decides from the counts, read with one call when the input is large enough
for the other way to be cheaper.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from target_zoho_territories import outcomes as oc
from target_zoho_territories import reads
from target_zoho_territories.outcomes import ADD, REJECTED, REMOVE
from target_zoho_territories.parallel import Report, Workers, stops_the_run
from target_zoho_territories.planner import Change, collapse
from target_zoho_territories.reads import HeldTerritory
from target_zoho_territories.records import Answers, Result
from zoho_crm_api import endpoints
from zoho_crm_api.client import ZohoClient
from zoho_crm_api.errors import ZohoAccessError, ZohoAPIError, ZohoError
from zoho_crm_api.values import is_zoho_id

T = TypeVar("T")
USER, TERRITORY = "user", "territory"
SCOPES = (USER, TERRITORY)
BY_USER = endpoints.USER_TERRITORIES.route
BY_TERRITORY = endpoints.TERRITORY_USERS.route
READ_ENDPOINT = BY_USER
# Reading the other way costs at least its list call and one call per item: with fewer named
# than this, the direct reads are never dearer, and no call is spent counting.
COUNT_FROM = 3
TERRITORIES_PER_PAGE = endpoints.TERRITORIES_LIST.per_page or 1
USERS_PER_PAGE = endpoints.USERS_LIST.per_page or 1


def pages(n: int, size: int) -> int:
    """Calls to list `n` items `size` a page (an empty list still costs one)."""
    return max(1, -(-n // size))


def read_choice(named: int, others: int | None, list_pages: int) -> bool:
    """True to read the other way round: `others` items (one call each) after `list_pages`.

    `named` direct reads cost one call each at least. `others` is None when it was not counted.
    """
    return others is not None and list_pages + others < named


@dataclass
class Difference:
    """What mirror mode writes, and what it decided on the way.

    `extras` are its own results (removals no record asked for, kept territories); `report`
    holds the outcomes it decided and the error of a read that stops the run.
    """

    changes: list[Change] = field(default_factory=list)
    extras: list[Result] = field(default_factory=list)
    report: Report = field(default_factory=Report)


@dataclass
class Holdings:
    """What each named user (or territory) holds, as read, and what is known of territories.

    `held[key]` holds the other side's ids; `endpoint` is the read that says so. Keys whose
    read failed are absent (their records were answered).
    """

    held: dict[str, set[str]] = field(default_factory=dict)
    territories: dict[str, HeldTerritory] = field(default_factory=dict)
    endpoint: str = BY_USER


def key_of(scope: str, user_id: str | None, territory_id: str | None) -> str | None:
    """The id a record names in the scope: its user's, or its territory's."""
    return user_id if scope == USER else territory_id


def skipped(batch: Sequence[Result], scope: str) -> Answers:
    """Records of a user (territory) with a rejected record: its wanted set is unknown."""
    rejected: dict[str, Result] = {}
    for result in batch:
        key = key_of(scope, result.user_id, result.territory_id)
        if result.outcome == REJECTED and is_zoho_id(key):
            rejected.setdefault(str(key), result)
    out: Answers = []
    for result in batch:
        key = key_of(scope, result.user_id, result.territory_id)
        if result.outcome is None and key in rejected:
            out.append((result, oc.mirror_skipped(rejected[str(key)].line, scope)))
    return out


def diff(
    batch: Sequence[Result], client: ZohoClient, workers: Workers, scope: str = USER
) -> Difference:
    """Read what every named user (territory) holds and compute what to write."""
    out = Difference()
    out.report.answers.extend(skipped(batch, scope))
    left_out = {result for result, _ in out.report.answers}
    changes, superseded = collapse(r for r in batch if r not in left_out)
    out.report.answers.extend(superseded)
    by_key: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        by_key[str(key_of(scope, change.user_id, change.territory_id))].append(change)
    read = _read_users if scope == USER else _read_territories
    holdings = read(client, workers, by_key, out.report)
    for key in holdings.held:
        _difference(scope, key, by_key[key], holdings, out)
    return out


# The user scope


def _read_users(
    client: ZohoClient, workers: Workers, by_user: dict[str, list[Change]], report: Report
) -> Holdings:
    """Each named user's territories: E10 per user, or E1 and E5 per territory if fewer."""
    if len(by_user) >= COUNT_FROM:
        known, _ = _attempt(lambda: reads.territories(client), report, probe=True)
        if report.fatal is not None:
            return Holdings()
        # The list is read already: only the territories' own reads are left to pay for.
        if known is not None and read_choice(len(by_user), len(known), 0):
            found = _every_territory(client, workers, known, report)
            if report.fatal is not None:
                return Holdings()
            if found is not None:
                held: dict[str, set[str]] = {user: set() for user in by_user}
                for territory, users in found.items():
                    for user in users & held.keys():
                        held[user].add(territory)
                return Holdings(held, known, BY_TERRITORY)
    return _each_user(client, workers, by_user, report)


def _each_user(
    client: ZohoClient, workers: Workers, by_user: dict[str, list[Change]], report: Report
) -> Holdings:
    """E10 for each named user; a user whose read fails has their records failed."""
    out = Holdings(endpoint=BY_USER)

    def read(user: str, changes: list[Change]) -> Report:
        try:
            mine = reads.user_territories(client, user)
        except ZohoError as exc:
            return _unread(changes, exc, BY_USER, USER)
        out.held[user] = set(mine)
        out.territories.update(mine)
        return Report()

    tasks = [partial(read, user, changes) for user, changes in by_user.items()]
    report.add(_step(workers, "reading the named users' territories", "users", tasks))
    return out


def _every_territory(
    client: ZohoClient, workers: Workers, known: dict[str, HeldTerritory], report: Report
) -> dict[str, set[str]] | None:
    """E5 for every territory; None if one could not be read (then read by user instead)."""
    found: dict[str, set[str]] = {}
    failed: list[ZohoError] = []

    def read(territory: str) -> Report:
        if failed:
            return Report()
        try:
            found[territory] = _members(client, territory)
        except ZohoError as exc:
            if _stops(exc, probe=True):
                return Report(fatal=exc)
            failed.append(exc)
        return Report()

    tasks = [partial(read, territory) for territory in known]
    report.add(_step(workers, "reading every territory's users", "territories", tasks))
    return None if failed else found


def _members(client: ZohoClient, territory: str) -> set[str]:
    """A territory's users; none if Zoho says it no longer exists (deleted since listed)."""
    try:
        return reads.territory_users(client, territory)
    except ZohoAPIError as exc:
        if exc.code == "INVALID_DATA" and "resource_path_index" in (exc.details or {}):
            return set()
        raise


# The territory scope


def _read_territories(
    client: ZohoClient, workers: Workers, by_territory: dict[str, list[Change]], report: Report
) -> Holdings:
    """Each named territory's users: E5 per territory, or E8 and E10 per user if fewer."""
    if len(by_territory) >= COUNT_FROM:
        count, _ = _attempt(lambda: reads.users_count(client), report, probe=True)
        if report.fatal is not None:
            return Holdings()
        if count is not None and read_choice(
            len(by_territory), count, pages(count, USERS_PER_PAGE)
        ):
            found = _every_user(client, workers, by_territory, report)
            if found is not None or report.fatal is not None:
                return found or Holdings()
    known, error = _attempt(lambda: reads.territories(client), report)
    if known is None:
        assert error is not None
        # The organisation territory and the managers are unknown: nothing is mirrored.
        for changes in by_territory.values():
            report.add(_unread(changes, error, endpoints.TERRITORIES_LIST.route, TERRITORY))
        return Holdings()
    out = Holdings(territories=known, endpoint=BY_TERRITORY)

    def read(territory: str, changes: list[Change]) -> Report:
        try:
            out.held[territory] = _members(client, territory)
        except ZohoError as exc:
            return _unread(changes, exc, BY_TERRITORY, TERRITORY)
        return Report()

    tasks = [partial(read, territory, changes) for territory, changes in by_territory.items()]
    report.add(_step(workers, "reading the named territories' users", "territories", tasks))
    return out


def _every_user(
    client: ZohoClient, workers: Workers, by_territory: dict[str, list[Change]], report: Report
) -> Holdings | None:
    """E8, then E10 for every user; None if one could not be read (then read by territory)."""
    users, _ = _attempt(lambda: reads.listed_users(client), report, probe=True)
    if users is None:
        return None
    held: dict[str, set[str]] = {territory: set() for territory in by_territory}
    known: dict[str, HeldTerritory] = {}
    failed: list[ZohoError] = []

    def read(user: str) -> Report:
        if failed:
            return Report()
        try:
            mine = reads.user_territories(client, user)
        except ZohoError as exc:
            if _stops(exc, probe=True):
                return Report(fatal=exc)
            failed.append(exc)
            return Report()
        known.update(mine)
        for territory in mine.keys() & held.keys():
            held[territory].add(user)
        return Report()

    tasks = [partial(read, user) for user in users]
    report.add(_step(workers, "reading every user's territories", "users", tasks))
    if failed or report.fatal is not None:
        return None
    return Holdings(held, known, BY_USER)


# Both scopes


def _step(workers: Workers, what: str, unit: str, tasks: Sequence[Callable[[], Report]]) -> Report:
    """Run the reads of one step on the workers; progress lines count them (`unit` done)."""
    progress = workers.progress
    if progress is not None:
        progress.begin(f"mirror, {what}", unit, len(tasks))
    try:
        return workers.run(tasks)
    finally:
        if progress is not None:
            progress.end()


def _stops(exc: ZohoError, *, probe: bool) -> bool:
    """True if `exc` stops the run.

    Not a missing scope in a read the other way round (`probe`): the direct reads may not need
    it (E5 needs users.READ, E10 users.READ or territories.READ); they are made instead.
    """
    return stops_the_run(exc) and not (probe and isinstance(exc, ZohoAccessError))


def _attempt(
    read: Callable[[], T], report: Report, *, probe: bool = False
) -> tuple[T | None, ZohoError | None]:
    """`read()`, or None and why it failed (a failure that stops the run goes in `report`)."""
    try:
        return read(), None
    except ZohoError as exc:
        if _stops(exc, probe=probe):
            report.add(Report(fatal=exc))
        return None, exc


def _unread(changes: list[Change], exc: BaseException, endpoint: str, scope: str) -> Report:
    failed = oc.unread(exc, endpoint, scope)
    return Report(
        [(change.result, failed) for change in changes], exc if stops_the_run(exc) else None
    )


def _difference(
    scope: str, key: str, mine: list[Change], holdings: Holdings, out: Difference
) -> None:
    held, endpoint = holdings.held[key], holdings.endpoint
    for change in mine:
        other = change.territory_id if scope == USER else change.user_id
        if (other in held) == (change.action == ADD):
            out.report.answers.append((change.result, oc.in_place(change.action, endpoint)))
        else:
            out.changes.append(change)
    named = {change.territory_id if scope == USER else change.user_id for change in mine}
    stream = mine[0].result.stream
    for other in sorted(held - named, key=_id_order):
        user, territory = (key, other) if scope == USER else (other, key)
        result = Result(
            stream=stream,
            line=None,
            record=None,
            user_id=user,
            territory_id=territory,
            action=REMOVE,
            extra=True,
        )
        out.extras.append(result)
        reason = _kept(holdings.territories.get(territory), user)
        if reason:
            out.report.answers.append((result, oc.kept(reason, endpoint)))
        else:
            out.changes.append(Change(user, territory, REMOVE, result))


def _id_order(value: str) -> tuple[int, str]:
    """Digit strings in numeric order (Zoho lists in ascending id order)."""
    return len(value), value


def _kept(territory: HeldTerritory | None, user: str) -> str | None:
    if territory is None:
        return None
    name = f" ({territory.name})" if territory.name else ""
    if territory.is_root:
        return f"kept: the organisation territory{name} is never removed by mirror"
    if territory.manager_id == user:
        return f"kept: the user manages this territory{name}; Zoho does not remove a manager"
    return None
