"""The one model of Zoho's rules for assignment writes, and the checks a target run must pass.

`ZohoRules` says what Zoho (and the emulator, which reproduces it) does with each change:

- an add of a user who is not active (inactive, deleted) is refused, and so is any change of
  the token's own user;
- a remove of the organisation territory, or of a territory from its manager, is refused;
- an id Zoho does not know is refused;
- an add of a pair that is there, or a remove of one that is not, is `unchanged` (checked
  before any refusal but the unknown id: a refusal of a pair already as wanted is `unchanged`).

`apply` runs a stream of records batch by batch as the target does (the last record of a pair in
a batch decides, earlier ones are superseded, `unchanged`); `mirror` makes each named user's
territories the wanted set. `check_results` holds a run's results against the org it left: no
outcome contradicts `/__emulator/state`, and no change that was not made ends with exit 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tests.support.org import Org, Pair

# A record as the model sees it: (user, territory, action), or None for a rejected record.
Wanted = tuple[str, str, str] | None
# Outcomes that claim the org is as the record wants.
AS_WANTED = {"added", "removed", "unchanged"}


@dataclass(frozen=True)
class ZohoRules:
    """Who and what Zoho lets a write change, for one org."""

    me: str
    root: str
    active: frozenset[str]
    managers: frozenset[Pair]
    known: frozenset[str]

    @classmethod
    def of(cls, org: Org) -> ZohoRules:
        """The rules of an emulator org, as it started."""
        start = org.start
        territories = [t["id"] for t in start["territories"]]
        return cls(
            me=org.me,
            root=org.root,
            active=frozenset(u["id"] for u in start["users"] if u["status"] == "active"),
            managers=frozenset(
                (str(m), t) for t in territories if (m := org.manager_of(t)) is not None
            ),
            known=frozenset(u["id"] for u in start["users"]) | frozenset(territories),
        )

    def allowed(self, user: str, territory: str, action: str) -> bool:
        """True when Zoho makes the change (whether or not the pair is there already)."""
        if user == self.me or not {user, territory} <= self.known:
            return False
        if action == "add":
            return user in self.active
        return territory != self.root and (user, territory) not in self.managers

    def outcome(self, pair: Pair, action: str, held: bool) -> str:
        """The outcome of one change sent to Zoho, given whether the pair is held."""
        if not set(pair) <= self.known:
            return "failed"
        if held == (action == "add"):
            return "unchanged"
        if not self.allowed(*pair, action):
            return "failed"
        return "added" if action == "add" else "removed"

    def apply(
        self, held: set[Pair], records: Sequence[Wanted], batch_size: int | None = None
    ) -> tuple[set[Pair], list[str]]:
        """The org after the records (apply mode, batch by batch), and each record's outcome."""
        held = set(held)
        size = batch_size or max(1, len(records))
        outcomes: list[str] = []
        for start in range(0, len(records), size):
            batch = records[start : start + size]
            last = {(r[0], r[1]): n for n, r in enumerate(batch) if r is not None}
            before = set(held)
            for n, wanted in enumerate(batch):
                if wanted is None:
                    outcomes.append("rejected")
                    continue
                user, territory, action = wanted
                pair = (user, territory)
                if last[pair] != n:
                    outcomes.append("unchanged")  # superseded by a later record
                    continue
                outcome = self.outcome(pair, action, pair in before)
                outcomes.append(outcome)
                if outcome == "added":
                    held.add(pair)
                elif outcome == "removed":
                    held.discard(pair)
        return held, outcomes

    def mirror(
        self, held: set[Pair], records: Sequence[tuple[str, str, str]], scope: str = "user"
    ) -> set[Pair]:
        """The org after mirror mode: each named user's territories (`scope` "territory": each
        named territory's users) become the wanted set.

        What Zoho refuses stays as it is: the organisation territory and managed territories
        are kept, a user who is not active gets nothing added.
        """
        side = 0 if scope == "user" else 1
        wanted: dict[str, dict[Pair, str]] = {}
        for user, territory, action in records:
            wanted.setdefault((user, territory)[side], {})[(user, territory)] = action
        after = set(held)
        for key, mine in wanted.items():
            current = {pair for pair in held if pair[side] == key}
            for pair in current | set(mine):
                action = mine.get(pair, "remove")
                if (pair in held) != (action == "add") and self.allowed(*pair, action):
                    if action == "add":
                        after.add(pair)
                    else:
                        after.discard(pair)
        return after


def last_records(results: Iterable[Mapping[str, Any]]) -> dict[Pair, Mapping[str, Any]]:
    """The result of the last input record of each valid pair (mirror's own lines too)."""
    ordered = sorted(
        (r for r in results if r.get("user_id") and r.get("territory_id") and r.get("action")),
        key=lambda r: (r["line"] is None, r["line"] or 0),
    )
    return {(r["user_id"], r["territory_id"]): r for r in ordered}


def check_results(
    results: Sequence[Mapping[str, Any]],
    org_after: set[Pair],
    returncode: int,
    *,
    allow_failures: bool = False,
) -> None:
    """No outcome contradicts the org; no change left unmade ends with exit 0.

    For the last record of each pair: `added` means held, `removed` not held, `unchanged` as
    the record wants (mirror's `KEPT`: held); a pair not as its record wants must be `failed`
    (or `rejected`), and then the exit code is not 0 (unless `allow_failures`).
    """
    unmade = []
    for pair, result in last_records(results).items():
        wants = result["action"] == "add"
        holds = pair in org_after
        outcome = result["outcome"]
        if result["code"] == "KEPT":  # mirror keeps what Zoho never removes: held, as it was
            assert holds, f"reported kept but not held: {result}"
            continue
        if outcome == "added":
            assert holds, f"reported added but not held: {result}"
        elif outcome == "removed":
            assert not holds, f"reported removed but still held: {result}"
        elif outcome == "unchanged":
            assert holds == wants, f"reported unchanged but not as wanted: {result}"
        if holds != wants:
            assert outcome not in AS_WANTED, f"a change not made reported {outcome}: {result}"
            unmade.append(result)
    if unmade and not allow_failures:
        assert returncode != 0, f"{len(unmade)} change(s) not made, exit 0: {unmade[:3]}"
