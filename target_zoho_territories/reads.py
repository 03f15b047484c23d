"""The reads the target makes.

A user's territories (E10), a territory's users (E5), and for mirror mode's choice of reads,
every territory (E1), every user (E8) and how many users there are (E9).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from zoho_crm_api import endpoints
from zoho_crm_api.client import ZohoClient
from zoho_crm_api.endpoints import Endpoint
from zoho_crm_api.values import ref_id

ALL_USERS = "AllUsers"


@dataclass(frozen=True)
class HeldTerritory:
    """One territory a user belongs to, as E10 shows it."""

    id: str
    name: str | None
    is_root: bool
    manager_id: str | None


def held_territory(raw: dict) -> HeldTerritory:
    """A territory as E10 (`Name`, `Manager`, `Reporting_To`) or E1 (lower case) shows it.

    The organisation territory is the one without a parent (`reporting_to` null).
    """
    parent = raw.get("Reporting_To", raw.get("reporting_to"))
    manager = raw.get("Manager", raw.get("manager"))
    name = raw.get("Name", raw.get("name"))
    return HeldTerritory(
        id=str(raw["id"]),
        name=str(name) if name is not None else None,
        is_root=parent is None,
        manager_id=ref_id(manager),
    )


def _objects(client: ZohoClient, endpoint: Endpoint, **options: Any) -> Iterator[dict]:
    """Every object with an `id` on every page of a list."""
    for page in client.iter_pages(endpoint, **options):
        for raw in page.records:
            if isinstance(raw, dict) and raw.get("id") is not None:
                yield raw


def user_territories(client: ZohoClient, user_id: str) -> dict[str, HeldTerritory]:
    """E10 GET /users/{id}/territories, every page: the user's territories by id."""
    territories = _objects(client, endpoints.USER_TERRITORIES, path={"id": user_id})
    return {str(raw["id"]): held_territory(raw) for raw in territories}


def territory_users(client: ZohoClient, territory_id: str) -> set[str]:
    """E5 GET /settings/territories/{id}/users, every page: the ids of its users."""
    users = _objects(client, endpoints.TERRITORY_USERS, path={"id": territory_id})
    return {str(raw["id"]) for raw in users}


def territories(client: ZohoClient) -> dict[str, HeldTerritory]:
    """E1 GET /settings/territories, every page: every territory by id."""
    return {
        str(raw["id"]): held_territory(raw) for raw in _objects(client, endpoints.TERRITORIES_LIST)
    }


def listed_users(client: ZohoClient) -> list[str]:
    """E8 GET /users?type=AllUsers, every page: the ids of the users who can hold territories.

    Deleted users are not listed: Zoho takes their territories away.
    """
    users = _objects(client, endpoints.USERS_LIST, params={"type": ALL_USERS})
    return [str(raw["id"]) for raw in users]


def users_count(client: ZohoClient) -> int | None:
    """E9 GET /users/actions/count?type=AllUsers: how many users `listed_users` would list."""
    answer = client.request(endpoints.USERS_COUNT, params={"type": ALL_USERS})
    count = answer.body.get("count") if answer.body else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None
