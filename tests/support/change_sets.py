"""Change sets the target's fault tests send: adds, removes, refusals and duplicates."""

from __future__ import annotations

from tests.support.org import Org


def mixed_changes(org: Org) -> list[tuple[str, str, str]]:
    """Adds and removes over many users and territories, with duplicates and refusals."""
    held = org.assignments()
    territories = org.territories()
    users = org.active_users()
    changes: list[tuple[str, str, str]] = []
    for n, territory in enumerate(territories[:12]):
        for user in users[n * 7 : n * 7 + 12]:
            if (user, territory) not in held:
                changes.append((user, territory, "add"))
    removable = sorted(held - set(org.managed()))
    changes += [(u, t, "remove") for u, t in removable if t != org.root and u != org.me][:40]
    changes += [(u, t, "remove") for u, t in org.managed()[:4]]  # refused: managers
    changes += [(u, territories[0], "add") for u in org.users_with("inactive")[:3]]  # refused
    changes += [(org.me, territories[1], "add"), (org.me, territories[2], "remove")]
    changes += changes[:10]  # duplicates, later in the input
    changes += [(u, t, "remove") for u, t, a in changes[10:15] if a == "add"]  # add, then remove
    return changes


def mirror_records(org: Org) -> list[tuple[str, str, str]]:
    """Three wanted territories for each of 12 users."""
    territories = org.territories()
    users = org.active_users()[20:32]
    return [(u, t, "add") for n, u in enumerate(users) for t in territories[n % 9 : n % 9 + 3]]
