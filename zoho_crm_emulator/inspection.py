"""``/__emulator/*``: stats, reset-stats, state, config, reset-org, tokens; never gated."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from zoho_crm_emulator import render
from zoho_crm_emulator.api import Response

if TYPE_CHECKING:
    from zoho_crm_emulator.server import EmulatorServer

SECTIONS = ("territories", "users", "user_groups", "assignments", "roles")


def handle(
    server: EmulatorServer, method: str, path: str, query: dict[str, list[str]], body: bytes
) -> Response:
    """Answer one inspection request."""
    name = path.rstrip("/").removeprefix("/__emulator").strip("/")
    if name == "stats" and method == "GET":
        return Response(200, server.stats.snapshot(server.config.credits))
    if name == "reset-stats" and method == "POST":
        server.stats.reset()
        return Response(200, server.stats.snapshot(server.config.credits))
    if name == "state" and method == "GET":
        wanted = query.get("sections", [",".join(SECTIONS)])[0].split(",")
        return Response(200, state(server, [part for part in wanted if part]))
    if name == "config" and method == "GET":
        return Response(200, server.config.as_dict())
    if name == "config" and method == "POST":
        return _config(server, body)
    if name == "tokens" and method == "GET":
        issued = server.tokens.issued()
        return Response(200, {"access_tokens": issued, "count": len(issued)})
    if name == "reset-org" and method == "POST":
        if server.org_factory is not None:
            server.org = server.org_factory()
        return Response(200, {"status": "success"})
    if name in ("health", "") and method == "GET":
        return Response(200, {"status": "ok", "base_url": server.base_url})
    return Response(404, {"error": f"unknown inspection endpoint {method} {path}"})


def _config(server: EmulatorServer, body: bytes) -> Response:
    try:
        changes = json.loads(body or b"{}")
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
        out["current_user_id"] = org.current_user_id
        out["root_territory_id"] = org.root_territory_id
        out["org"] = {"name": org.name, "id": org.org_id, "time_zone": org.time_zone}
    return out
