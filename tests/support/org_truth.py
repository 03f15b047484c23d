"""What a correct sync must contain, computed from `/__emulator/state` independently of the tap."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from zoho_crm_api.values import parse_time


def same_instant(a: str | None, b: str | None) -> bool:
    """Timestamps equal as instants (the tap writes UTC)."""
    if a is None or b is None:
        return a is b
    return parse_time(a) == parse_time(b)


def listed_users(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Users `GET /users?type=AllUsers` lists: active and inactive, not deleted."""
    return [u for u in state["users"] if u.get("status") in ("active", "inactive")]


def deleted_users(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Users `GET /users?type=DeletedUsers` lists."""
    return [u for u in state["users"] if u.get("status") == "deleted"]


def assignment_pairs(state: dict[str, Any]) -> set[tuple[str, str]]:
    """(territory_id, user_id) of every assignment."""
    return {(a["territory_id"], a["user_id"]) for a in state["assignments"]}


def territory_counts(state: dict[str, Any]) -> dict[str, int]:
    """Users per territory."""
    counts = Counter(a["territory_id"] for a in state["assignments"])
    return {t["id"]: counts.get(t["id"], 0) for t in state["territories"]}


def group_user_counts(state: dict[str, Any]) -> dict[str, int]:
    """Distinct users reached by each group's sources (S001: inactive included)."""
    users_by_role: dict[str, set[str]] = defaultdict(set)
    for user in state["users"]:
        if user.get("status") != "deleted" and user.get("role"):
            users_by_role[user["role"]["id"]].add(user["id"])
    deleted = {u["id"] for u in state["users"] if u.get("status") == "deleted"}
    users_by_territory: dict[str, set[str]] = defaultdict(set)
    for a in state["assignments"]:
        users_by_territory[a["territory_id"]].add(a["user_id"])
    children: dict[str, list[str]] = defaultdict(list)
    for t in state["territories"]:
        if t.get("reporting_to"):
            children[t["reporting_to"]["id"]].append(t["id"])
    groups = {g["id"]: g for g in state["user_groups"]}
    role_children: dict[str, list[str]] = defaultdict(list)
    for role in state["roles"]:
        if role.get("reporting_to"):
            role_children[role["reporting_to"]["id"]].append(role["id"])

    def subtree(root: str, tree: dict[str, list[str]]) -> list[str]:
        out, todo = [], [root]
        while todo:
            current = todo.pop()
            out.append(current)
            todo.extend(tree[current])
        return out

    def reach(gid: str, seen: set[str]) -> set[str]:
        if gid in seen:
            return set()
        seen.add(gid)
        found: set[str] = set()
        for source in groups[gid].get("sources", []):
            sid, kind = source["source"]["id"], source["type"]
            if kind == "users":
                found.add(sid)
            elif kind == "roles":
                for rid in subtree(sid, role_children) if source.get("subordinates") else [sid]:
                    found |= users_by_role[rid]
            elif kind == "territories":
                tids = subtree(sid, children) if source.get("sub_territories") else [sid]
                for tid in tids:
                    found |= users_by_territory[tid]
            elif kind == "groups":
                found |= reach(sid, seen)
        return found

    return {gid: len(reach(gid, set()) - deleted) for gid in groups}


def group_sources(state: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(group id, source type, source id) of every group source."""
    return {
        (g["id"], s["type"], s["source"]["id"])
        for g in state["user_groups"]
        for s in g.get("sources", [])
    }
