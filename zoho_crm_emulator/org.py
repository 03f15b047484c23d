"""The organisation the emulator serves: territories, users, roles, user groups, assignments.

Rows are compact (``__slots__`` dataclasses holding ids, names and epoch seconds); the API
objects (the dicts Zoho returns) are built on demand by the endpoint modules, so an org of
100,000 users stays small in memory.  Every read and write goes through the org's lock, and
every write bumps :attr:`Org.version`, which invalidates the derived caches.

The factories import this module, never the other way round: ``org_sample.sample_org()``
and ``org_generated.generated_org(territories, users, groups, seed)``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from zoho_crm_emulator.timeutil import format_ts

#: ``user.status`` values.  ``deleted`` users are kept (``type=DeletedUsers`` lists them).
ACTIVE, INACTIVE, DELETED = "active", "inactive", "deleted"

#: Zoho's own descriptions of its built-in roles and profiles.
CEO_ROLE = "Users with this role have access to the data owned by all other users."
MANAGER_ROLE = "Users belonging to this role cannot see data for admin users."
ADMINISTRATOR_PROFILE = "This profile will have all the permissions."
STANDARD_PROFILE = "This profile will have all the permissions except administrative privileges."

#: Source types of a user group, as E15 names them.
SOURCE_TYPES = ("users", "roles", "groups", "territories")


def api_name_of(name: str) -> str:
    """A territory's ``api_name`` as Zoho derives it from its name."""
    return name.replace(" ", "_").replace("-", "_")


@dataclass(slots=True)
class Territory:
    """One territory row."""

    id: str
    name: str
    api_name: str
    description: str | None
    parent_id: str | None
    manager_id: str | None
    permission_type: str
    created_by_id: str
    modified_by_id: str
    created_at: int
    modified_at: int
    depth: int = 0


@dataclass(slots=True)
class User:
    """One user row.  ``fixed`` holds the exact seed object for the sample org's users."""

    id: str
    first_name: str | None
    last_name: str | None
    email: str
    status: str
    confirm: bool
    role_id: str
    profile_id: str
    reporting_to_id: str | None
    created_by_id: str
    modified_by_id: str
    created_at: int
    modified_at: int
    zuid: str
    fixed: dict[str, Any] | None = None

    @property
    def full_name(self) -> str:
        """``first_name last_name`` without the missing parts, as Zoho shows it."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(slots=True)
class Role:
    """A role; ``parent_id`` is the role it reports to.

    Zoho's built-in roles (CEO, Manager) have no creator or creation time (``None``).
    """

    id: str
    name: str
    parent_id: str | None = None
    description: str | None = None
    share_with_peers: bool = False
    admin_user: bool = False
    created_by_id: str | None = None
    created_at: int | None = None
    modified_by_id: str | None = None
    modified_at: int | None = None


@dataclass(slots=True)
class Profile:
    """A profile (``Administrator`` makes a user an admin).

    Zoho's built-in profiles (Administrator, Standard) are not ``custom`` and have no
    creator or creation time.
    """

    id: str
    name: str
    description: str | None = None
    custom: bool = False
    created_by_id: str | None = None
    created_at: int | None = None
    modified_by_id: str | None = None
    modified_at: int | None = None


@dataclass(slots=True)
class Source:
    """One source of a user group; ``flag`` is ``subordinates`` (roles) or ``sub_territories``."""

    type: str
    id: str
    flag: bool = False


@dataclass(slots=True)
class UserGroup:
    """A user group and its sources."""

    id: str
    name: str
    description: str | None
    created_by_id: str
    modified_by_id: str | None
    created_at: int
    modified_at: int | None
    sources: list[Source] = field(default_factory=list)


class Org:
    """The whole organisation, with indexes, caches and one lock."""

    def __init__(self, name: str, org_id: str, offset_minutes: int, time_zone: str) -> None:
        self.name = name
        self.org_id = org_id
        self.offset_minutes = offset_minutes
        self.time_zone = time_zone
        self.territories: dict[str, Territory] = {}
        self.users: dict[str, User] = {}
        self.roles: dict[str, Role] = {}
        self.profiles: dict[str, Profile] = {}
        self.groups: dict[str, UserGroup] = {}
        self.territory_users: dict[str, set[str]] = {}
        self.user_territories: dict[str, set[str]] = {}
        self.current_user_id = ""
        self.root_territory_id = ""
        self.lock = threading.RLock()
        self.version = 0
        self.users_version = 0  # bumped when user rows change (they rarely do)
        self._children: dict[str, list[str]] = {}
        self._territory_order: list[str] = []
        self._user_order: list[str] = []
        self._group_order: list[str] = []
        self._role_users: dict[str, list[str]] = {}
        self._role_children: dict[str, list[str]] = {}
        self._sorted_tu: dict[str, list[str]] = {}
        self._sorted_ut: dict[str, list[str]] = {}
        self._member_cache: dict[str, frozenset[str]] = {}
        self._member_cache_version = -1
        self._user_list_cache: dict[Any, list[str]] = {}

    # ----------------------------------------------------------------- building

    def add_territory(self, territory: Territory) -> None:
        """Add a territory (before :meth:`finish`)."""
        self.territories[territory.id] = territory
        self.territory_users.setdefault(territory.id, set())

    def add_user(self, user: User) -> None:
        """Add a user (before :meth:`finish`)."""
        self.users[user.id] = user
        self.user_territories.setdefault(user.id, set())

    def assign(self, user_id: str, territory_id: str) -> None:
        """Put a user in a territory (no checks; writes go through the endpoint rules)."""
        self.territory_users[territory_id].add(user_id)
        self.user_territories[user_id].add(territory_id)
        self._sorted_tu.pop(territory_id, None)
        self._sorted_ut.pop(user_id, None)

    def unassign(self, user_id: str, territory_id: str) -> None:
        """Take a user out of a territory (no checks)."""
        self.territory_users[territory_id].discard(user_id)
        self.user_territories[user_id].discard(territory_id)
        self._sorted_tu.pop(territory_id, None)
        self._sorted_ut.pop(user_id, None)

    def finish(self) -> Org:
        """Build the indexes once every row is in; returns ``self``."""
        self._territory_order = sorted(self.territories, key=int)
        self._user_order = sorted(self.users, key=int)
        self._group_order = sorted(self.groups, key=int)
        self._children = {tid: [] for tid in self._territory_order}
        for tid in self._territory_order:
            parent = self.territories[tid].parent_id
            if parent is None:
                self.root_territory_id = self.root_territory_id or tid
            else:
                self._children[parent].append(tid)
        self._role_users = {rid: [] for rid in self.roles}
        for uid in self._user_order:
            self._role_users.setdefault(self.users[uid].role_id, []).append(uid)
        self._role_children = {rid: [] for rid in self.roles}
        for role in self.roles.values():
            if role.parent_id:
                self._role_children.setdefault(role.parent_id, []).append(role.id)
        return self

    def touch(self) -> None:
        """Record that a write happened (invalidates derived caches)."""
        self.version += 1

    # ----------------------------------------------------------------- admin changes

    def touch_users(self) -> None:
        """Record that user rows changed (invalidates the user lists too)."""
        self.touch()
        self.users_version += 1
        self._user_list_cache.clear()

    def insert_user(self, user: User) -> None:
        """Add a user to a finished org (indexes kept; cheapest for ids above all others)."""
        self.add_user(user)
        for ids in (self._user_order, self._role_users.setdefault(user.role_id, [])):
            ids.append(user.id)
            if len(ids) > 1 and int(ids[-2]) > int(user.id):
                ids.sort(key=int)
        self.touch_users()

    def remove_territory(self, territory_id: str) -> list[str]:
        """Delete a territory: its users leave it, its children move up to its parent.

        Returns the ids of the children moved.  The root territory cannot be removed.
        """
        row = self.territories[territory_id]
        parent = row.parent_id
        assert parent is not None, "the root territory cannot be removed"
        for uid in list(self.territory_users[territory_id]):
            self.unassign(uid, territory_id)
        children = self._children.pop(territory_id, [])
        for child in children:
            self.territories[child].parent_id = parent
        self._children[parent] = sorted(
            [tid for tid in self._children[parent] if tid != territory_id] + children, key=int
        )
        del self.territories[territory_id]
        del self.territory_users[territory_id]
        self._sorted_tu.pop(territory_id, None)
        self._territory_order = [tid for tid in self._territory_order if tid != territory_id]
        self.touch()
        return children

    # ----------------------------------------------------------------- reading

    def ts(self, epoch: int | None) -> str | None:
        """Format epoch seconds in the org's time zone."""
        return None if epoch is None else format_ts(epoch, self.offset_minutes)

    @property
    def territory_ids(self) -> list[str]:
        """All territory ids, ascending (the order every list endpoint uses)."""
        return self._territory_order

    @property
    def user_ids(self) -> list[str]:
        """All user ids, ascending."""
        return self._user_order

    @property
    def group_ids(self) -> list[str]:
        """All user-group ids, ascending."""
        return self._group_order

    def children(self, territory_id: str) -> list[str]:
        """Direct child territories, ascending."""
        return self._children.get(territory_id, [])

    def descendants(self, territory_id: str) -> list[str]:
        """Every territory below ``territory_id`` (not itself), depth first."""
        out: list[str] = []
        stack = list(reversed(self.children(territory_id)))
        while stack:
            tid = stack.pop()
            out.append(tid)
            stack.extend(reversed(self.children(tid)))
        return out

    def users_of_territory(self, territory_id: str) -> list[str]:
        """User ids assigned to a territory, ascending."""
        cached = self._sorted_tu.get(territory_id)
        if cached is None:
            cached = sorted(self.territory_users.get(territory_id, ()), key=int)
            self._sorted_tu[territory_id] = cached
        return cached

    def territories_of_user(self, user_id: str) -> list[str]:
        """Territory ids a user is assigned to, ascending."""
        cached = self._sorted_ut.get(user_id)
        if cached is None:
            cached = sorted(self.user_territories.get(user_id, ()), key=int)
            self._sorted_ut[user_id] = cached
        return cached

    def role_subtree(self, role_id: str) -> list[str]:
        """A role and every role below it."""
        out, stack = [], [role_id]
        while stack:
            rid = stack.pop()
            out.append(rid)
            stack.extend(self._role_children.get(rid, ()))
        return out

    def users_with_role(self, role_id: str) -> list[str]:
        """Users whose role is ``role_id``."""
        return self._role_users.get(role_id, [])

    def cached_user_list(self, key: Any, build: Any) -> list[str]:
        """A memo for filtered user lists, dropped when user rows change."""
        key = (self.users_version, key)
        found = self._user_list_cache.get(key)
        if found is None:
            if len(self._user_list_cache) > 64:
                self._user_list_cache.clear()
            found = build()
            self._user_list_cache[key] = found
        return found

    def group_members(self, group_id: str) -> frozenset[str]:
        """Distinct non-deleted users a group reaches through its sources.

        Users (inactive included), users having a source role (and its subordinate roles
        when ``subordinates``), users in a source territory (and its sub-territories when
        ``sub_territories``), and the members of source groups (cycles are cut).
        """
        if self._member_cache_version != self.version:
            self._member_cache = {}
            self._member_cache_version = self.version
        cached = self._member_cache.get(group_id)
        if cached is None:
            cached = frozenset(self._resolve(group_id, set()))
            self._member_cache[group_id] = cached
        return cached

    def _resolve(self, group_id: str, seen: set[str]) -> set[str]:
        seen.add(group_id)
        members: set[str] = set()
        group = self.groups.get(group_id)
        if group is None:
            return members
        for source in group.sources:
            if source.type == "users":
                members.add(source.id)
            elif source.type == "roles":
                roles = self.role_subtree(source.id) if source.flag else [source.id]
                for rid in roles:
                    members.update(self.users_with_role(rid))
            elif source.type == "territories":
                tids = [source.id] + (self.descendants(source.id) if source.flag else [])
                for tid in tids:
                    members.update(self.territory_users.get(tid, ()))
            elif source.type == "groups" and source.id not in seen:
                cached = self._member_cache.get(source.id)
                members.update(cached if cached is not None else self._resolve(source.id, seen))
        return {uid for uid in members if uid in self.users and self.users[uid].status != DELETED}

    def assignments(self) -> Iterable[tuple[str, str]]:
        """Every (user_id, territory_id) pair, by territory then user."""
        for tid in self._territory_order:
            for uid in self.users_of_territory(tid):
                yield uid, tid

    def is_admin(self, user: User) -> bool:
        """Whether the user's profile is Administrator."""
        profile = self.profiles.get(user.profile_id)
        return profile is not None and profile.name == "Administrator"
