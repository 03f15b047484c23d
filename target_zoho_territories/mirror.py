"""Mirror mode: the records are the complete wanted set of territories for each user they name.

Each named user's territories are read (E10), and only the difference is planned: wanted pairs
that are missing are added, held pairs that are not wanted are removed. Users not named in the
input are never read or touched. The organisation territory and territories the user manages
are never removed by mirror (Zoho refuses both); they are reported as kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from target_zoho_territories.errors import StopRequest
from target_zoho_territories.planner import Change, collapse
from target_zoho_territories.reads import HeldTerritory, user_territories
from target_zoho_territories.records import (
    ADD,
    FAILED,
    IN_PLACE,
    KEPT,
    MIRROR_SKIPPED,
    REJECTED,
    REMOVE,
    UNCHANGED,
    Result,
)
from target_zoho_territories.writer import run_parallel
from zoho_crm_api import endpoints
from zoho_crm_api.client import ZohoClient
from zoho_crm_api.errors import ZohoAccessError, ZohoAPIError
from zoho_crm_api.values import is_zoho_id

READ_ENDPOINT = endpoints.USER_TERRITORIES.route


def diff(
    batch: Sequence[Result], client: ZohoClient, workers: int, stop: StopRequest | None = None
) -> tuple[list[Change], list[Result]]:
    """The changes to write, and extra results for removals and kept territories of mirror."""
    skipped: dict[str, Result] = {}
    for result in batch:
        if result.outcome == REJECTED and is_zoho_id(result.user_id):
            skipped.setdefault(str(result.user_id), result)
    for result in batch:
        if result.outcome is None and result.user_id in skipped:
            where = skipped[result.user_id].line
            result.decide(
                FAILED,
                MIRROR_SKIPPED,
                f"user not mirrored: the record on line {where} for this user was rejected, so "
                "the wanted set of territories is not known; fix it and re-run",
            )
    changes = collapse(batch)
    by_user: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        by_user[change.user_id].append(change)
    held = _read_users(client, by_user, workers, stop)
    to_write: list[Change] = []
    extras: list[Result] = []
    for user, mine in by_user.items():
        if user not in held:
            continue
        current = held[user]
        for change in mine:
            if change.action == ADD and change.territory_id in current:
                change.result.decide(
                    UNCHANGED, IN_PLACE, "already assigned (read before writing)", READ_ENDPOINT
                )
            elif change.action == REMOVE and change.territory_id not in current:
                change.result.decide(
                    UNCHANGED,
                    IN_PLACE,
                    "already not assigned (read before writing)",
                    READ_ENDPOINT,
                )
            else:
                to_write.append(change)
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
            extras.append(result)
            reason = _kept(territory, user)
            if reason:
                result.decide(UNCHANGED, KEPT, reason, READ_ENDPOINT)
            else:
                to_write.append(Change(user, territory.id, REMOVE, result))
    return to_write, extras


def _kept(territory: HeldTerritory, user: str) -> str | None:
    name = f" ({territory.name})" if territory.name else ""
    if territory.is_root:
        return f"kept: the organisation territory{name} is never removed by mirror"
    if territory.manager_id == user:
        return f"kept: the user manages this territory{name}; Zoho does not remove a manager"
    return None


def _read_users(
    client: ZohoClient, by_user: dict[str, list[Change]], workers: int, stop: StopRequest | None
) -> dict[str, dict[str, HeldTerritory]]:
    """Every named user's territories, read in parallel; unreadable users fail their records."""
    held: dict[str, dict[str, HeldTerritory]] = {}

    def reader(user: str) -> Callable[[], None]:
        def read() -> None:
            try:
                held[user] = user_territories(client, user)
            except ZohoAPIError as exc:
                for change in by_user[user]:
                    change.result.decide(FAILED, exc.code, exc.message, READ_ENDPOINT)
                if isinstance(exc, ZohoAccessError):
                    raise

        return read

    run_parallel([reader(user) for user in by_user], workers, lambda _reason: None, stop)
    return held
