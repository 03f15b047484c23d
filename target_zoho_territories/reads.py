"""The reads the target makes: a user's territories (E10) and a territory's users (E5)."""

from __future__ import annotations

from dataclasses import dataclass

from zoho_crm_api import endpoints
from zoho_crm_api.client import ZohoClient
from zoho_crm_api.values import ref_id


@dataclass(frozen=True)
class HeldTerritory:
    """One territory a user belongs to, as E10 shows it."""

    id: str
    name: str | None
    is_root: bool
    manager_id: str | None


def user_territories(client: ZohoClient, user_id: str) -> dict[str, HeldTerritory]:
    """E10 GET /users/{id}/territories, every page: the user's territories by id.

    The organisation territory is the one without a parent (`Reporting_To` null).
    """
    held: dict[str, HeldTerritory] = {}
    for page in client.iter_pages(endpoints.USER_TERRITORIES, path={"id": user_id}):
        for raw in page.records:
            if not isinstance(raw, dict) or raw.get("id") is None:
                continue
            parent = raw.get("Reporting_To", raw.get("reporting_to"))
            manager = raw.get("Manager", raw.get("manager"))
            name = raw.get("Name", raw.get("name"))
            held[str(raw["id"])] = HeldTerritory(
                id=str(raw["id"]),
                name=str(name) if name is not None else None,
                is_root=parent is None,
                manager_id=ref_id(manager),
            )
    return held


def territory_users(client: ZohoClient, territory_id: str) -> set[str]:
    """E5 GET /settings/territories/{id}/users, every page: the ids of its users."""
    users: set[str] = set()
    for page in client.iter_pages(endpoints.TERRITORY_USERS, path={"id": territory_id}):
        users.update(
            str(raw["id"]) for raw in page.records if isinstance(raw, dict) and "id" in raw
        )
    return users
