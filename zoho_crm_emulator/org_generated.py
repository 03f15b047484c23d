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


def build_generated_org(territories: int, users: int, groups: int, seed: int) -> Org:  # noqa: C901 - being split (emulator branch)
    """Build a generated organisation (at least 1 territory and 1 user)."""
    territories, users, groups = max(1, territories), max(1, users), max(0, groups)
    rng = random.Random(seed)
    prefix = (4_000_000 + rng.randrange(5_000_000)) * 10**12
    offset, zone = _ZONES[rng.randrange(len(_ZONES))]
    company = f"{_COMPANIES[rng.randrange(len(_COMPANIES))]} {seed}"
    org = Org(company, str(prefix // 10**12 * 100 + 17), offset, zone)

    def ident(n: int) -> str:
        return str(prefix + n)

    # Roles and profiles.
    role_ids = [ident(31_151 + 3 * k) for k in range(len(_ROLE_NAMES) + 1)]
    org.roles[role_ids[0]] = Role(
        role_ids[0], "CEO", None, CEO_ROLE, share_with_peers=True, admin_user=True
    )
    for k, name in enumerate(_ROLE_NAMES, start=1):
        boss = role_ids[0] if k <= 2 else role_ids[rng.randrange(1, k)]
        org.roles[role_ids[k]] = Role(role_ids[k], name, boss)
    profile_names = ["Administrator", "Standard", "Sales", "Support"]
    profile_ids = [ident(31_157 + 3 * 40 + k) for k in range(len(profile_names))]
    for pid, name in zip(profile_ids, profile_names, strict=True):
        org.profiles[pid] = Profile(pid, name)

    # Users.
    user_ids = [ident(10_000_000 + 1_000 * i + 1) for i in range(users)]
    admin = user_ids[0]
    created_times = sorted(rng.randrange(_START, _CREATED_END) for _ in range(users))
    random_ = rng.random
    randrange = rng.randrange
    for i, uid in enumerate(user_ids):
        first = _FIRST[randrange(len(_FIRST))]
        last = _LAST[randrange(len(_LAST))]
        draw = random_()
        if i == 0:
            status, role, profile, confirm = ACTIVE, role_ids[0], profile_ids[0], True
        else:
            status = DELETED if draw < 0.01 else INACTIVE if draw < 0.04 else ACTIVE
            role = role_ids[randrange(1, len(role_ids))]
            profile = profile_ids[0] if random_() < 0.01 else profile_ids[randrange(1, 4)]
            confirm = random_() >= 0.02
        created = created_times[i]
        org.add_user(
            User(
                id=uid,
                first_name=first,
                last_name=last,
                email=f"{first}.{last}.{i}@{company.split(maxsplit=1)[0]}.example".lower(),
                status=status,
                confirm=confirm,
                role_id=role,
                profile_id=profile,
                reporting_to_id=None if i == 0 else user_ids[randrange(max(1, i // 4 + 1))],
                created_by_id=admin,
                modified_by_id=admin,
                created_at=created,
                modified_at=created + randrange(max(1, _END - created)),
                zuid=str(70_000_000_000 + 7 * i + seed % 7),
            )
        )

    # Territory tree.
    sizes = _level_sizes(territories)
    territory_ids = [ident(500_000_000 + 12 * k + 5) for k in range(territories)]
    t_created = sorted(rng.randrange(_START, _CREATED_END) for _ in range(territories))
    levels: list[list[str]] = []
    index = 0
    for depth, size in enumerate(sizes):
        level: list[str] = []
        for k in range(size):
            tid = territory_ids[index]
            parent: str | None = None
            description: str | None = "Organization Parent Territory"
            if depth == 0:
                name = company
            else:
                if depth == 1:
                    name = _REGIONS[k] if k < len(_REGIONS) else f"Region {k + 1}"
                else:
                    name = f"{_CITIES[randrange(len(_CITIES))]} {index}"
                parent = levels[-1][randrange(len(levels[-1]))]
                draw = random_()
                description = None if draw < 0.3 else "" if draw < 0.4 else f"{name} territory"
            created = t_created[index]
            org.add_territory(
                Territory(
                    id=tid,
                    name=name,
                    api_name=name.replace(" ", "_").replace("-", "_"),
                    description=description,
                    parent_id=parent,
                    manager_id=None,
                    permission_type="read_only" if random_() < 0.15 else "read_write_delete",
                    created_by_id=admin,
                    modified_by_id=admin,
                    created_at=created,
                    modified_at=created + randrange(max(1, _END - created)),
                    depth=depth,
                )
            )
            level.append(tid)
            index += 1
        levels.append(level)

    # Assignments and managers.
    root = territory_ids[0]
    org.assign(admin, root)
    non_root = territory_ids[1:]
    active_users = [uid for uid in user_ids[1:] if org.users[uid].status == ACTIVE]
    for uid in user_ids[1:]:
        if org.users[uid].status == DELETED or random_() < 0.08:
            continue
        if not non_root:
            org.assign(uid, root)
            continue
        wanted = 1 + (random_() < 0.35) + (random_() < 0.1)
        for _ in range(wanted):
            org.assign(uid, non_root[randrange(len(non_root))])
    org.territories[root].manager_id = admin
    for tid in non_root:
        members = [u for u in org.territory_users[tid] if org.users[u].status == ACTIVE]
        if members:
            manager = sorted(members, key=int)[randrange(len(members))]
        else:
            manager = active_users[randrange(len(active_users))] if active_users else admin
            org.assign(manager, tid)
        org.territories[tid].manager_id = manager

    # User groups.
    group_ids = [ident(900_000_000 + 1_000 * k + 2) for k in range(groups)]
    g_created = sorted(rng.randrange(_START, _CREATED_END) for _ in range(groups))
    deep = [tid for tid in non_root if org.territories[tid].depth >= 2] or non_root
    for k, gid in enumerate(group_ids):
        sources: list[Source] = []
        for _ in range(randrange(0, 7)):
            sources.append(Source("users", user_ids[randrange(len(user_ids))]))
        for _ in range(randrange(0, 3)):
            sources.append(Source("roles", role_ids[randrange(3, len(role_ids))], random_() < 0.4))
        if deep:
            for _ in range(randrange(0, 3)):
                sources.append(Source("territories", deep[randrange(len(deep))], random_() < 0.5))
        if k > 0 and random_() < 0.3:
            sources.append(Source("groups", group_ids[randrange(k)]))
        if not sources:
            sources.append(Source("users", user_ids[randrange(len(user_ids))]))
        unique: dict[tuple[str, str], Source] = {}
        for source in sources:
            unique.setdefault((source.type, source.id), source)
        created = g_created[k]
        modified = None if random_() < 0.2 else created + randrange(max(1, _END - created))
        org.groups[gid] = UserGroup(
            id=gid,
            name=f"{_GROUP_NAMES[k % len(_GROUP_NAMES)]} {k + 1}",
            description=None if random_() < 0.3 else f"Group {k + 1} of {company}",
            created_by_id=admin,
            modified_by_id=None if modified is None else admin,
            created_at=created,
            modified_at=modified,
            sources=list(unique.values()),
        )
    org.current_user_id = admin
    _audit_roles_and_profiles(org, admin)
    return org.finish()


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
