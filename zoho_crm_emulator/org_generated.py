"""Generated organisations (``--territories N --users N --groups N --seed S``).

Deterministic for a seed (one ``random.Random(seed)`` drives everything, in a fixed order).
Shape:

* a territory tree of 3 to 6 levels (root -> regions -> areas -> ...): level sizes grow
  geometrically so the tree reaches the requested count, each territory's parent drawn from
  the level above, so fan-out and leaf depth vary;
* the root territory is named after the org, has no parent and the description
  "Organization Parent Territory"; its only user and manager is user 0, the current user;
* users: user 0 is the active admin CEO (the token's owner); about 3 % inactive, 1 % deleted,
  2 % not confirmed, 1 % admins; each non-deleted user is in 1 to 3 territories (about 8 % in
  none); deleted users are in none;
* every territory has a manager who is one of its users (a user is added when needed);
* roles form a small tree (CEO at the top); a few profiles;
* user groups whose sources mix users (some inactive or deleted), roles (some with
  ``subordinates``), territories (some with ``sub_territories``) and earlier groups;
* timestamps are spread over 2019-2025 in one org time zone, creation times ascending with ids.
"""

from __future__ import annotations

import random

from zoho_crm_emulator.org import (
    ACTIVE,
    ADMINISTRATOR_PROFILE,
    CEO_ROLE,
    DELETED,
    INACTIVE,
    STANDARD_PROFILE,
    Org,
    Profile,
    Role,
    Source,
    Territory,
    User,
    UserGroup,
    api_name_of,
)

_ZONES = [
    (330, "Asia/Kolkata"),
    (-480, "America/Los_Angeles"),
    (-300, "America/New_York"),
    (60, "Europe/Paris"),
    (0, "Europe/London"),
    (600, "Australia/Sydney"),
]
_COMPANIES = ["Zylker", "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell"]
_REGIONS = [
    "North America", "EMEA", "APAC", "LATAM", "India", "ANZ", "Nordics", "DACH",
    "Benelux", "Middle East", "Africa", "Japan", "China", "Southeast Asia", "Iberia",
]  # fmt: skip
_CITIES = [
    "Chennai", "Mumbai", "Austin", "Dallas", "Lyon", "Paris", "Berlin", "Munich", "Tokyo",
    "Osaka", "Sydney", "Perth", "Toronto", "Denver", "Boston", "Madrid", "Lisbon", "Dubai",
    "Nairobi", "Lagos", "Seoul", "Manila", "Jakarta", "Bangalore", "Pune", "Leeds", "Oslo",
    "Milan", "Rome", "Vienna", "Zurich", "Prague", "Warsaw", "Dublin", "Chicago", "Seattle",
]  # fmt: skip
_FIRST = [
    "Aarav", "Priya", "John", "Maria", "Wei", "Yuki", "Fatima", "Carlos", "Emma", "Liam",
    "Olivia", "Noah", "Ava", "Mateo", "Sofia", "Lucas", "Mia", "Arjun", "Ananya", "Hiro",
    "Chen", "Amara", "Kwame", "Ingrid", "Lars", "Elena", "Ivan", "Zara", "Omar", "Leila",
    "Diego", "Camila", "Rahul", "Sneha", "Tom", "Grace", "Ben", "Chloe", "Sam", "Nina",
]  # fmt: skip
_LAST = [
    "Sharma", "Iyer", "Smith", "Garcia", "Zhang", "Tanaka", "Khan", "Silva", "Brown", "Wilson",
    "Martin", "Muller", "Rossi", "Kumar", "Nair", "Lee", "Kim", "Nguyen", "Okafor", "Mensah",
    "Larsen", "Novak", "Petrov", "Haddad", "Lopez", "Reddy", "Das", "Clark", "Walker", "Young",
]  # fmt: skip
_ROLE_NAMES = [
    "Vice President Sales", "Vice President Support", "Regional Manager", "Sales Manager",
    "Support Manager", "Team Lead", "Sales Representative", "Support Agent",
    "Account Executive", "Inside Sales",
]  # fmt: skip
_GROUP_NAMES = [
    "Tier", "Key Accounts", "Inside Sales", "Escalations", "Renewals", "Partners", "Onboarding",
    "Field Sales", "Night Shift", "Enterprise Desk",
]  # fmt: skip

_START = 1546300800  # 2019-01-01T00:00:00Z
_CREATED_END = 1719705600  # 2024-06-30
_END = 1751241600  # 2025-06-30


def _levels(count: int) -> int:
    """Number of levels (root included) for a tree of ``count`` territories."""
    if count <= 1:
        return 1
    if count <= 12:
        return 3 if count > 3 else 2
    if count <= 100:
        return 4
    if count <= 600:
        return 5
    return 6


def _level_sizes(count: int) -> list[int]:
    levels = _levels(count)
    if levels == 1:
        return [1]
    rest = count - 1
    fanout = 1.5
    while sum(round(fanout**k) for k in range(1, levels)) < rest:
        fanout += 0.05
    sizes = [1]
    for k in range(1, levels):
        size = max(1, min(rest, round(fanout**k)))
        if k == levels - 1:
            size = rest
        sizes.append(size)
        rest -= size
        if rest <= 0:
            break
    return sizes


def generated_org(territories: int, users: int, groups: int, seed: int) -> Org:
    """Build a generated organisation (at least 1 territory and 1 user)."""
    return _Builder(seed).build(max(1, territories), max(1, users), max(0, groups))


class _Builder:
    """The steps of :func:`generated_org`, each drawing from one generator in a fixed order.

    The order of draws is the org: changing it changes every org a seed gives (the
    fingerprint test in tests/emulator/test_generated.py guards it).
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = rng = random.Random(seed)
        self.prefix = (4_000_000 + rng.randrange(5_000_000)) * 10**12
        offset, zone = _ZONES[rng.randrange(len(_ZONES))]
        self.company = f"{_COMPANIES[rng.randrange(len(_COMPANIES))]} {seed}"
        self.org = Org(self.company, str(self.prefix // 10**12 * 100 + 17), offset, zone)
        self.role_ids: list[str] = []
        self.profile_ids: list[str] = []
        self.user_ids: list[str] = []
        self.territory_ids: list[str] = []

    def ident(self, n: int) -> str:
        """An id in the org's id space."""
        return str(self.prefix + n)

    def build(self, territories: int, users: int, groups: int) -> Org:
        """Every step, in order."""
        self.roles_and_profiles()
        self.users(users)
        self.territories(territories)
        self.assignments()
        self.managers()
        self.groups(groups)
        admin = self.user_ids[0]
        self.org.current_user_id = admin
        _audit_roles_and_profiles(self.org, admin)
        return self.org.finish()

    def roles_and_profiles(self) -> None:
        """A small role tree under the CEO; four profiles."""
        org, rng = self.org, self.rng
        self.role_ids = role_ids = [self.ident(31_151 + 3 * k) for k in range(len(_ROLE_NAMES) + 1)]
        org.roles[role_ids[0]] = Role(
            role_ids[0], "CEO", None, CEO_ROLE, share_with_peers=True, admin_user=True
        )
        for k, name in enumerate(_ROLE_NAMES, start=1):
            boss = role_ids[0] if k <= 2 else role_ids[rng.randrange(1, k)]
            org.roles[role_ids[k]] = Role(role_ids[k], name, boss)
        profile_names = ["Administrator", "Standard", "Sales", "Support"]
        self.profile_ids = [self.ident(31_157 + 3 * 40 + k) for k in range(len(profile_names))]
        for pid, name in zip(self.profile_ids, profile_names, strict=True):
            org.profiles[pid] = Profile(pid, name)

    def _status_role_profile(self, i: int) -> tuple[str, str, str, bool]:
        rng, role_ids, profile_ids = self.rng, self.role_ids, self.profile_ids
        draw = rng.random()
        if i == 0:
            return ACTIVE, role_ids[0], profile_ids[0], True
        status = DELETED if draw < 0.01 else INACTIVE if draw < 0.04 else ACTIVE
        role = role_ids[rng.randrange(1, len(role_ids))]
        profile = profile_ids[0] if rng.random() < 0.01 else profile_ids[rng.randrange(1, 4)]
        return status, role, profile, rng.random() >= 0.02

    def users(self, count: int) -> None:
        """User 0 is the active admin CEO; the others' status, role and profile are drawn."""
        org, rng = self.org, self.rng
        self.user_ids = user_ids = [self.ident(10_000_000 + 1_000 * i + 1) for i in range(count)]
        admin = user_ids[0]
        created_times = sorted(rng.randrange(_START, _CREATED_END) for _ in range(count))
        domain = self.company.split(maxsplit=1)[0].lower()
        for i, uid in enumerate(user_ids):
            first = _FIRST[rng.randrange(len(_FIRST))]
            last = _LAST[rng.randrange(len(_LAST))]
            status, role, profile, confirm = self._status_role_profile(i)
            created = created_times[i]
            reporting_to = None if i == 0 else user_ids[rng.randrange(max(1, i // 4 + 1))]
            org.add_user(
                User(
                    id=uid,
                    first_name=first,
                    last_name=last,
                    email=f"{first}.{last}.{i}@{domain}.example".lower(),
                    status=status,
                    confirm=confirm,
                    role_id=role,
                    profile_id=profile,
                    reporting_to_id=reporting_to,
                    created_by_id=admin,
                    modified_by_id=admin,
                    created_at=created,
                    modified_at=created + rng.randrange(max(1, _END - created)),
                    zuid=str(70_000_000_000 + 7 * i + self.seed % 7),
                )
            )

    def _territory_row(self, index: int, depth: int, k: int, parents: list[str]) -> Territory:
        rng = self.rng
        parent: str | None = None
        description: str | None = "Organization Parent Territory"
        if depth == 0:
            name = self.company
        else:
            if depth == 1:
                name = _REGIONS[k] if k < len(_REGIONS) else f"Region {k + 1}"
            else:
                name = f"{_CITIES[rng.randrange(len(_CITIES))]} {index}"
            parent = parents[rng.randrange(len(parents))]
            draw = rng.random()
            description = None if draw < 0.3 else "" if draw < 0.4 else f"{name} territory"
        permission = "read_only" if rng.random() < 0.15 else "read_write_delete"
        return Territory(
            id=self.territory_ids[index],
            name=name,
            api_name=api_name_of(name),
            description=description,
            parent_id=parent,
            manager_id=None,
            permission_type=permission,
            created_by_id=self.user_ids[0],
            modified_by_id=self.user_ids[0],
            created_at=0,
            modified_at=0,
            depth=depth,
        )

    def territories(self, count: int) -> None:
        """A tree level by level, each territory's parent drawn from the level above."""
        rng = self.rng
        self.territory_ids = [self.ident(500_000_000 + 12 * k + 5) for k in range(count)]
        created_times = sorted(rng.randrange(_START, _CREATED_END) for _ in range(count))
        levels: list[list[str]] = []
        index = 0
        for depth, size in enumerate(_level_sizes(count)):
            level: list[str] = []
            for k in range(size):
                row = self._territory_row(index, depth, k, levels[-1] if levels else [])
                row.created_at = created_times[index]
                row.modified_at = row.created_at + rng.randrange(max(1, _END - row.created_at))
                self.org.add_territory(row)
                level.append(row.id)
                index += 1
            levels.append(level)

    def assignments(self) -> None:
        """The admin in the root; every other user not deleted in 1 to 3 (8 % in none)."""
        org, rng = self.org, self.rng
        root, non_root = self.territory_ids[0], self.territory_ids[1:]
        org.assign(self.user_ids[0], root)
        for uid in self.user_ids[1:]:
            if org.users[uid].status == DELETED or rng.random() < 0.08:
                continue
            if not non_root:
                org.assign(uid, root)
                continue
            wanted = 1 + (rng.random() < 0.35) + (rng.random() < 0.1)
            for _ in range(wanted):
                org.assign(uid, non_root[rng.randrange(len(non_root))])

    def managers(self) -> None:
        """Every territory's manager is one of its active users (added when it has none)."""
        org, rng = self.org, self.rng
        admin = self.user_ids[0]
        active = [uid for uid in self.user_ids[1:] if org.users[uid].status == ACTIVE]
        org.territories[self.territory_ids[0]].manager_id = admin
        for tid in self.territory_ids[1:]:
            members = [u for u in org.territory_users[tid] if org.users[u].status == ACTIVE]
            if members:
                manager = sorted(members, key=int)[rng.randrange(len(members))]
            else:
                manager = active[rng.randrange(len(active))] if active else admin
                org.assign(manager, tid)
            org.territories[tid].manager_id = manager

    def _sources(self, k: int, group_ids: list[str], deep: list[str]) -> list[Source]:
        rng, user_ids, role_ids = self.rng, self.user_ids, self.role_ids
        sources = [
            Source("users", user_ids[rng.randrange(len(user_ids))])
            for _ in range(rng.randrange(0, 7))
        ]
        for _ in range(rng.randrange(0, 3)):
            role = role_ids[rng.randrange(3, len(role_ids))]
            sources.append(Source("roles", role, rng.random() < 0.4))
        if deep:
            for _ in range(rng.randrange(0, 3)):
                territory = deep[rng.randrange(len(deep))]
                sources.append(Source("territories", territory, rng.random() < 0.5))
        if k > 0 and rng.random() < 0.3:
            sources.append(Source("groups", group_ids[rng.randrange(k)]))
        if not sources:
            sources.append(Source("users", user_ids[rng.randrange(len(user_ids))]))
        unique: dict[tuple[str, str], Source] = {}
        for source in sources:
            unique.setdefault((source.type, source.id), source)
        return list(unique.values())

    def groups(self, count: int) -> None:
        """User groups whose sources mix users, roles, territories and earlier groups."""
        org, rng = self.org, self.rng
        admin = self.user_ids[0]
        group_ids = [self.ident(900_000_000 + 1_000 * k + 2) for k in range(count)]
        created_times = sorted(rng.randrange(_START, _CREATED_END) for _ in range(count))
        non_root = self.territory_ids[1:]
        deep = [tid for tid in non_root if org.territories[tid].depth >= 2] or non_root
        for k, gid in enumerate(group_ids):
            sources = self._sources(k, group_ids, deep)
            created = created_times[k]
            modified = (
                None if rng.random() < 0.2 else created + rng.randrange(max(1, _END - created))
            )
            org.groups[gid] = UserGroup(
                id=gid,
                name=f"{_GROUP_NAMES[k % len(_GROUP_NAMES)]} {k + 1}",
                description=None if rng.random() < 0.3 else f"Group {k + 1} of {self.company}",
                created_by_id=admin,
                modified_by_id=None if modified is None else admin,
                created_at=created,
                modified_at=modified,
                sources=sources,
            )


def _audit_roles_and_profiles(org: Org, admin: str) -> None:
    """Audit fields: built-in roles and profiles have none, the others the admin's.

    The others were created a day apart from 2019-01-01 (no random draw: seeds stay stable).
    """
    for k, row in enumerate(org.roles.values()):
        if row.name != "CEO":
            stamp = _START + 86_400 * k
            row.created_by_id = row.modified_by_id = admin
            row.created_at = row.modified_at = stamp
    for k, profile in enumerate(org.profiles.values()):
        if profile.name in ("Administrator", "Standard"):
            profile.description = (
                ADMINISTRATOR_PROFILE if profile.name == "Administrator" else STANDARD_PROFILE
            )
        else:
            profile.custom = True
            profile.created_by_id = profile.modified_by_id = admin
            profile.created_at = profile.modified_at = _START + 86_400 * (20 + k)
