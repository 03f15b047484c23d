"""One emulator org for a test module: its state, calls, and a reset to how it started.

`tests/conftest.py` turns it into the `org` fixture: one emulator per module (started with the
module's `ORG_ARGS`, or `GENERATED` plus seed 3), reset before every test (the org, the call
counts and every live setting such as faults, latency and token lifetime).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from zoho_crm_emulator.process import EmulatorProcess

# Every target run refreshes a token once; Zoho's 10 per 10 minutes would throttle a suite.
MANY_REFRESHES = ("--refresh-limit", "10000")
GENERATED = ("--org", "generated", "--territories", "30", "--users", "300", "--groups", "5")
DEFAULT_ORG_ARGS = (*GENERATED, "--seed", "3")
WRITES = (
    "PUT /users/{id}/territories",
    "DELETE /users/{id}/territories",
    "PUT /settings/territories/{id}/users",
    "DELETE /settings/territories/{id}/users",
)

Pair = tuple[str, str]


class Org:
    """Reads and resets one emulator's org and call counts."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.start = self.state()

    def state(self) -> dict[str, Any]:
        """The emulator's state dump."""
        return self.emulator.state()

    def reset(self) -> None:
        """The org, the live settings and the counts as they were at start."""
        self.emulator.reset()

    def config(self, **overrides: Any) -> dict[str, Any]:
        """Target settings for this emulator."""
        return self.emulator.config_for_tap(**overrides)

    def assignments(self) -> set[Pair]:
        """`(user_id, territory_id)` pairs as the org holds them now."""
        return {(a["user_id"], a["territory_id"]) for a in self.state()["assignments"]}

    def calls(self) -> dict[str, int]:
        """API calls per endpoint since the last reset (the token endpoint excluded)."""
        requests = self.emulator.stats()["requests"]
        return {k: n for k, n in requests.items() if not k.startswith("POST /oauth")}

    def writes(self) -> dict[str, int]:
        """Write calls per endpoint."""
        return {k: n for k, n in self.calls().items() if k in WRITES}

    @property
    def me(self) -> str:
        """The user who owns the token (Zoho refuses to change their own territories)."""
        return str(self.start["current_user_id"])

    @property
    def root(self) -> str:
        """The organisation territory."""
        return str(self.start["root_territory_id"])

    def active_users(self) -> list[str]:
        """Active users other than the token's user, in id order."""
        return sorted(
            u["id"] for u in self.start["users"] if u["status"] == "active" and u["id"] != self.me
        )

    def users_with(self, status: str) -> list[str]:
        """Users with a status (active, inactive, deleted)."""
        return sorted(u["id"] for u in self.start["users"] if u["status"] == status)

    def territories(self) -> list[str]:
        """Territories other than the organisation territory, in id order."""
        return sorted(t["id"] for t in self.start["territories"] if t["id"] != self.root)

    def manager_of(self, territory: str) -> str | None:
        """The manager of a territory."""
        for row in self.start["territories"]:
            if row["id"] == territory:
                return (row.get("manager") or {}).get("id")
        return None

    def managed(self) -> list[Pair]:
        """(manager, territory) pairs the org holds at start, root excluded."""
        held = {(a["user_id"], a["territory_id"]) for a in self.start["assignments"]}
        out = []
        for row in self.start["territories"]:
            manager = (row.get("manager") or {}).get("id")
            if manager and row["id"] != self.root and (manager, row["id"]) in held:
                out.append((manager, row["id"]))
        return sorted(out)

    def not_assigned(self, territory: str, users: Iterable[str]) -> list[str]:
        """Users (of `users`) not in `territory` at start."""
        held = {(a["user_id"], a["territory_id"]) for a in self.start["assignments"]}
        return [u for u in users if (u, territory) not in held]


def emulator_org(*args: str) -> Iterator[Org]:
    """Start an emulator with `args` and yield its Org; stopped when the generator closes."""
    with EmulatorProcess(*args, *MANY_REFRESHES) as emulator:
        yield Org(emulator)
