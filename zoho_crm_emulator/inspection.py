"""``/__emulator/*``: inspection and admin changes; never authenticated, gated or counted.

Stats, reset-stats, state, config, reset-org, tokens, health, and the changes an admin
makes (delete-user, delete-territory, add-users, assign, unassign: ``org_admin.py``).

Dispatched through :data:`ROUTES`, a table of (method, name) -> handler like the API's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zoho_crm_emulator import org_admin, render
from zoho_crm_emulator.api import Response

if TYPE_CHECKING:
    from zoho_crm_emulator.server import EmulatorServer

SECTIONS = ("territories", "users", "user_groups", "assignments", "roles", "profiles")


@dataclass(frozen=True)
class Call:
    """One inspection request."""

    server: EmulatorServer
    query: dict[str, list[str]]
    body: bytes


def _stats(call: Call) -> Response:
    return Response(200, call.server.stats.snapshot(call.server.config.credits))


def _reset_stats(call: Call) -> Response:
    call.server.stats.reset()
    return _stats(call)


def _state(call: Call) -> Response:
    wanted = call.query.get("sections", [",".join(SECTIONS)])[0].split(",")
    return Response(200, state(call.server, [part for part in wanted if part]))


def _get_config(call: Call) -> Response:
    return Response(200, call.server.config.as_dict())


def _post_config(call: Call) -> Response:
    server = call.server
    try:
        changes = json.loads(call.body or b"{}")
        if not isinstance(changes, dict):
            raise ValueError("the body must be a JSON object")  # noqa: TRY004
        changed = server.config.update(changes)
    except (ValueError, RecursionError) as exc:
        return Response(400, {"error": str(exc)})
    if "credits" in changed:
        server.stats.reset_credits()
    if "fault_seed" in changed:
        server.faults.reseed(server.config.fault_seed)
    return Response(200, server.config.as_dict())


def _tokens(call: Call) -> Response:
    issued = call.server.tokens.issued()
    return Response(200, {"access_tokens": issued, "count": len(issued)})


def _reset_org(call: Call) -> Response:
    if call.server.org_factory is not None:
        call.server.org = call.server.org_factory()
    return Response(200, {"status": "success"})


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        found = json.loads(body or b"{}")
    except (ValueError, RecursionError) as exc:
        raise org_admin.AdminError(f"the body is not JSON: {exc}") from None
    if not isinstance(found, dict):
        raise org_admin.AdminError("the body must be a JSON object")
    return found


def _admin(change: Callable[..., dict[str, Any]], *names: str) -> Callable[[Call], Response]:
    """An endpoint applying ``change(org, **body)``; ``names`` are the body's keys."""

    def endpoint(call: Call) -> Response:
        org = call.server.org
        try:
            body = _json_object(call.body)
            unknown = sorted(set(body) - set(names))
            if unknown:
                raise org_admin.AdminError(f"unknown keys {unknown}; use {', '.join(names)}")
            with org.lock:
                return Response(200, {"status": "success", **change(org, **body)})
        except (org_admin.AdminError, TypeError) as exc:
            return Response(400, {"error": str(exc)})

    return endpoint


def _health(call: Call) -> Response:
    return Response(200, {"status": "ok", "base_url": call.server.base_url})


ROUTES: dict[tuple[str, str], Callable[[Call], Response]] = {
    ("GET", "stats"): _stats,
    ("POST", "reset-stats"): _reset_stats,
    ("GET", "state"): _state,
    ("GET", "config"): _get_config,
    ("POST", "config"): _post_config,
    ("GET", "tokens"): _tokens,
    ("POST", "reset-org"): _reset_org,
    ("GET", "health"): _health,
    ("GET", ""): _health,
    ("POST", "delete-user"): _admin(org_admin.delete_user, "user_id"),
    ("POST", "delete-territory"): _admin(org_admin.delete_territory, "territory_id"),
    ("POST", "add-users"): _admin(org_admin.add_users, "count", "status"),
    ("POST", "assign"): _admin(org_admin.assign, "user_id", "territory_id"),
    ("POST", "unassign"): _admin(org_admin.unassign, "user_id", "territory_id"),
}


def handle(
    server: EmulatorServer, method: str, path: str, query: dict[str, list[str]], body: bytes
) -> Response:
    """Answer one inspection request."""
    name = path.rstrip("/").removeprefix("/__emulator").strip("/")
    handler = ROUTES.get((method, name))
    if handler is None:
        return Response(404, {"error": f"unknown inspection endpoint {method} {path}"})
    return handler(Call(server, query, body))


def state(server: EmulatorServer, sections: list[str]) -> dict[str, Any]:
    """The org as the API shows it (E1 territories, E8 users of every status, E13 groups)."""
    org = server.org
    out: dict[str, Any] = {}
    with org.lock:
        if "territories" in sections:
            out["territories"] = [
                render.territory(org, org.territories[tid]) for tid in org.territory_ids
            ]
        if "users" in sections:
            out["users"] = [render.user(org, org.users[uid]) for uid in org.user_ids]
        if "user_groups" in sections:
            out["user_groups"] = [
                {
                    **render.user_group(org, org.groups[gid], with_counts=True, with_sources=True),
                    "associated_users_count": len(org.group_members(gid)),
                }
                for gid in org.group_ids
            ]
        if "assignments" in sections:
            out["assignments"] = [
                {"user_id": uid, "territory_id": tid} for uid, tid in org.assignments()
            ]
        if "roles" in sections:
            out["roles"] = [
                {
                    "id": role.id,
                    "name": role.name,
                    "reporting_to": None
                    if role.parent_id is None
                    else {"id": role.parent_id, "name": org.roles[role.parent_id].name},
                }
                for role in org.roles.values()
            ]
        if "profiles" in sections:
            out["profiles"] = [{"id": row.id, "name": row.name} for row in org.profiles.values()]
        out["current_user_id"] = org.current_user_id
        out["root_territory_id"] = org.root_territory_id
        out["org"] = {"name": org.name, "id": org.org_id, "time_zone": org.time_zone}
    return out
