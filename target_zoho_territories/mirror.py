"""Mirror mode: the records are the complete wanted set of territories for each user they name.

Each named user's territories are read (E10), and only the difference is planned: wanted pairs
that are missing are added, held pairs that are not wanted are removed. Users not named in the
input are never read or touched. The organisation territory and territories the user manages
are never removed by mirror (Zoho refuses both); they are reported as kept. A user whose read
fails is not mirrored: their records fail (a failed read never means "holds nothing").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from target_zoho_territories import outcomes as oc
from target_zoho_territories.outcomes import ADD, REJECTED, REMOVE
from target_zoho_territories.parallel import Report, Workers, stops_the_run
from target_zoho_territories.planner import Change, collapse
from target_zoho_territories.reads import HeldTerritory, user_territories
from target_zoho_territories.records import Answers, Result
from zoho_crm_api import endpoints
from zoho_crm_api.client import ZohoClient
from zoho_crm_api.errors import ZohoError
from zoho_crm_api.values import is_zoho_id

READ_ENDPOINT = endpoints.USER_TERRITORIES.route


@dataclass
class Difference:
    """What mirror mode writes, and what it decided on the way.

    `extras` are its own results (removals no record asked for, kept territories); `report`
    holds the outcomes it decided and the error of a read that stops the run.
    """

    changes: list[Change] = field(default_factory=list)
    extras: list[Result] = field(default_factory=list)
    report: Report = field(default_factory=Report)


def skipped_users(batch: Sequence[Result]) -> Answers:
    """Records of users with a rejected record: their wanted set is unknown, so not mirrored."""
    rejected: dict[str, Result] = {}
    for result in batch:
        if result.outcome == REJECTED and is_zoho_id(result.user_id):
            rejected.setdefault(str(result.user_id), result)
    return [
        (result, oc.mirror_skipped(rejected[str(result.user_id)].line))
        for result in batch
        if result.outcome is None and result.user_id in rejected
    ]


def diff(batch: Sequence[Result], client: ZohoClient, workers: Workers) -> Difference:
    """Read every named user's territories and compute what to write."""
    out = Difference()
    out.report.answers.extend(skipped_users(batch))
    skipped = {result for result, _ in out.report.answers}
    changes, superseded = collapse(r for r in batch if r not in skipped)
    out.report.answers.extend(superseded)
    by_user: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        by_user[change.user_id].append(change)
    held: dict[str, dict[str, HeldTerritory]] = {}
    reads = [partial(_read, client, user, by_user[user], held) for user in by_user]
    if workers.progress is not None:
        workers.progress.begin("mirror, reading the named users' territories", "users", len(reads))
    out.report.add(workers.run(reads))
    if workers.progress is not None:
        workers.progress.end()
    for user, current in held.items():
        _user_difference(user, by_user[user], current, out)
    return out


def _read(
    client: ZohoClient,
    user: str,
    changes: list[Change],
    held: dict[str, dict[str, HeldTerritory]],
) -> Report:
    """One user's territories into `held`; if the read fails, the user's records fail."""
    try:
        held[user] = user_territories(client, user)
    except ZohoError as exc:
        failed = oc.unread(exc, READ_ENDPOINT)
        fatal = exc if stops_the_run(exc) else None
        return Report([(change.result, failed) for change in changes], fatal)
    return Report()


def _user_difference(
    user: str, mine: list[Change], current: dict[str, HeldTerritory], out: Difference
) -> None:
    for change in mine:
        there = change.territory_id in current
        if there == (change.action == ADD):
            out.report.answers.append((change.result, oc.in_place(change.action, READ_ENDPOINT)))
        else:
            out.changes.append(change)
    named = {change.territory_id for change in mine}
    stream = mine[0].result.stream
    for territory in current.values():
        if territory.id in named:
            continue
        result = Result(
            stream=stream,
            line=None,
            record=None,
            user_id=user,
            territory_id=territory.id,
            action=REMOVE,
            extra=True,
        )
        out.extras.append(result)
        reason = _kept(territory, user)
        if reason:
            out.report.answers.append((result, oc.kept(reason, READ_ENDPOINT)))
        else:
            out.changes.append(Change(user, territory.id, REMOVE, result))


def _kept(territory: HeldTerritory, user: str) -> str | None:
    name = f" ({territory.name})" if territory.name else ""
    if territory.is_root:
        return f"kept: the organisation territory{name} is never removed by mirror"
    if territory.manager_id == user:
        return f"kept: the user manages this territory{name}; Zoho does not remove a manager"
    return None
