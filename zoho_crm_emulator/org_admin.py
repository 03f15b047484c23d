"""Changes a Zoho admin makes in the CRM's settings, between or during runs.

Behind ``POST /__emulator/delete-user``, ``delete-territory``, ``add-users``, ``assign`` and
``unassign``: tests use them to change the org the way Zoho would change under a running
pipeline.  Each raises :class:`AdminError` (answered 400) for what Zoho's settings pages
refuse, and stamps what it changes with a ``Modified_Time`` after every earlier one.
"""

from __future__ import annotations

import time
from typing import Any

from zoho_crm_emulator.org import ACTIVE, DELETED, INACTIVE, Org, User


class AdminError(ValueError):
    """A change the org refuses (answered 400 with the message)."""


def now(org: Org) -> int:
    """The time of a change: now, and later than every timestamp the org holds."""
    stamps = [row.modified_at for row in org.territories.values()]
    stamps += [row.modified_at for row in org.users.values()]
    stamps += [row.modified_at or 0 for row in org.groups.values()]
    latest = max(stamps, default=0)
    return max(int(time.time()), latest + 1)


def _user(org: Org, user_id: Any) -> User:
    found = org.users.get(str(user_id))
    if found is None:
        raise AdminError(f"no user {user_id!r}")
    return found


def _territory_id(org: Org, territory_id: Any) -> str:
    if str(territory_id) not in org.territories:
        raise AdminError(f"no territory {territory_id!r}")
    return str(territory_id)


def delete_user(org: Org, user_id: Any) -> dict[str, Any]:
    """Delete a user: status ``deleted``, no assignments, no territory managed.

    Territories they managed have no manager any more (Zoho asks the admin to transfer
    them first); their ``modified_time`` changes, as does the user's ``Modified_Time``.
    """
    user = _user(org, user_id)
    if user.id == org.current_user_id:
        raise AdminError("the current user (the token's owner) cannot be deleted")
    if user.status == DELETED:
        raise AdminError(f"user {user.id} is already deleted")
    stamp = now(org)
    territories = org.territories_of_user(user.id)
    for tid in list(territories):
        org.unassign(user.id, tid)
    managed = [row.id for row in org.territories.values() if row.manager_id == user.id]
    for tid in managed:
        org.territories[tid].manager_id = None
        org.territories[tid].modified_at = stamp
    user.status = DELETED
    user.modified_at = stamp
    user.modified_by_id = org.current_user_id
    org.touch_users()
    return {"user_id": user.id, "territories_left": territories, "managed": managed}


def delete_territory(org: Org, territory_id: Any) -> dict[str, Any]:
    """Delete a territory as Zoho's transfer-and-delete does.

    Its users leave it, its child territories move to its parent (their ``modified_time``
    changes), and user groups lose it as a source (their ``modified_time`` changes).
    """
    tid = _territory_id(org, territory_id)
    if org.territories[tid].parent_id is None:
        raise AdminError("the organisation territory cannot be deleted")
    stamp = now(org)
    users = org.users_of_territory(tid)
    children = org.remove_territory(tid)
    for child in children:
        org.territories[child].modified_at = stamp
        org.territories[child].modified_by_id = org.current_user_id
    groups = []
    for group in org.groups.values():
        kept = [s for s in group.sources if not (s.type == "territories" and s.id == tid)]
        if len(kept) != len(group.sources):
            group.sources = kept
            group.modified_at = stamp
            group.modified_by_id = org.current_user_id
            groups.append(group.id)
    return {"territory_id": tid, "users_left": users, "children_moved": children, "groups": groups}


def add_users(org: Org, count: Any, status: Any = ACTIVE) -> dict[str, Any]:
    """Add ``count`` users with ids after every existing one (so they sort last)."""
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 100_000:
        raise AdminError("count must be an integer from 1 to 100000")
    if status not in (ACTIVE, INACTIVE):
        raise AdminError("status must be 'active' or 'inactive'")
    stamp = now(org)
    me = org.users[org.current_user_id]
    role = max(org.roles, key=lambda rid: (rid != me.role_id, int(rid)))
    profile = next(
        (pid for pid, p in sorted(org.profiles.items()) if p.name != "Administrator"),
        me.profile_id,
    )
    start = max(int(uid) for uid in org.users)
    domain = me.email.partition("@")[2] or "example.com"
    added = []
    for k in range(1, count + 1):
        uid = str(start + 1000 * k)
        org.insert_user(
            User(
                id=uid,
                first_name="New",
                last_name=f"User {uid[-9:]}",
                email=f"new.user.{uid}@{domain}",
                status=status,
                confirm=True,
                role_id=role,
                profile_id=profile,
                reporting_to_id=None,
                created_by_id=me.id,
                modified_by_id=me.id,
                created_at=stamp,
                modified_at=stamp,
                zuid=str(80_000_000_000 + int(uid) % 10**9),
            )
        )
        added.append(uid)
    return {"user_ids": added}


def assign(org: Org, user_id: Any, territory_id: Any) -> dict[str, Any]:
    """Put an active or inactive user in a territory (``changed`` false when already there)."""
    user = _user(org, user_id)
    tid = _territory_id(org, territory_id)
    if user.status == DELETED:
        raise AdminError(f"user {user.id} is deleted")
    changed = tid not in org.user_territories[user.id]
    if changed:
        org.assign(user.id, tid)
        org.touch()
    return {"user_id": user.id, "territory_id": tid, "changed": changed}


def unassign(org: Org, user_id: Any, territory_id: Any) -> dict[str, Any]:
    """Take a user out of a territory (not its manager, not the organisation territory)."""
    user = _user(org, user_id)
    tid = _territory_id(org, territory_id)
    row = org.territories[tid]
    if row.parent_id is None:
        raise AdminError("nobody can leave the organisation territory")
    if row.manager_id == user.id:
        raise AdminError(f"user {user.id} manages territory {tid}: change its manager first")
    changed = tid in org.user_territories[user.id]
    if changed:
        org.unassign(user.id, tid)
        org.touch()
    return {"user_id": user.id, "territory_id": tid, "changed": changed}
