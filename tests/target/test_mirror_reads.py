"""Mirror mode reads what is held the cheaper way, and `mirror_scope: territory`.

The org (30 territories, 300 users) holds every assignment in 1 + 30 calls read by territory
(E1, then E5 each): naming more users than that reads by territory, naming fewer reads each
user's territories (E10). Either way the outcomes and the org after are the same.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.org import Org
from tests.support.target_run import SCHEMA, TargetRun, records, run_target_in_process
from tests.support.zoho_model import ZohoRules, check_results

E1 = "GET /settings/territories"
E5 = "GET /settings/territories/{id}/users"
E9 = "GET /users/actions/count"
E10 = "GET /users/{id}/territories"
WRITES = ("PUT", "DELETE")
Pair = tuple[str, str]


def pages(n: int) -> int:
    return max(1, -(-n // 200))


def held(org: Org) -> set[Pair]:
    return org.assignments()


def reads(org: Org) -> dict[str, int]:
    return {k: n for k, n in org.calls().items() if not k.startswith(WRITES)}


def plain_users(org: Org) -> list[str]:
    """Active users who manage nothing (the token's own user left out)."""
    managers = {u for u, _ in org.managed()}
    return [u for u in org.active_users() if u not in managers]


def wanted_sets(org: Org, users: list[str], seed: int = 1) -> list[Pair]:
    """Each user's territories with, for every other user, one dropped and one added."""
    rng = random.Random(seed)
    now = held(org)
    territories = org.territories()
    out: list[Pair] = []
    for n, user in enumerate(users):
        mine = sorted(t for u, t in now if u == user)
        if n % 2 and mine:
            mine.remove(rng.choice(mine))
            mine.append(rng.choice([t for t in territories if t not in mine]))
        out += [(user, t) for t in sorted(mine)] or [(user, territories[n % len(territories)])]
    return out


def mirror(org: Org, pairs: list[Pair], tmp_path: Path, **config: Any) -> TargetRun:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return run_target_in_process(
        org.config(mode="mirror", **config), [SCHEMA, *records(pairs)], tmp_path
    )


def outcomes_by_pair(results: list[dict[str, Any]]) -> dict[Pair, tuple[str, str | None]]:
    return {(r["user_id"], r["territory_id"]): (r["outcome"], r["code"]) for r in results}


def e5_pages(org: Org) -> int:
    members = Counter(t for _, t in held(org))
    return sum(pages(members.get(t, 0)) for t in [org.root, *org.territories()])


def test_many_users_are_read_by_territory(org: Org, tmp_path: Path) -> None:
    users = plain_users(org)[:60]
    pairs = wanted_sets(org, users)
    before, expected_reads = held(org), {E1: 1, E5: e5_pages(org)}
    run = mirror(org, pairs, tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert reads(org) == expected_reads  # 31 reads, not 60
    after = held(org)
    assert after == ZohoRules.of(org).mirror(before, [(u, t, "add") for u, t in pairs])
    check_results(run.results, after, run.returncode)
    assert {r["endpoint"] for r in run.results if r["code"] == "IN_PLACE"} == {E5}


@pytest.mark.parametrize(("named", "first"), [(2, {}), (5, {E1: 1})])
def test_few_users_are_read_by_user(
    org: Org, tmp_path: Path, named: int, first: dict[str, int]
) -> None:
    # Two users: E10 twice, no more. Five: one E1 call shows 30 territories, so E10 five times.
    users = plain_users(org)[:named]
    run = mirror(org, wanted_sets(org, users), tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert reads(org) == {**first, E10: named}


def test_reading_by_territory_or_by_user_gives_the_same_results(org: Org, tmp_path: Path) -> None:
    users = plain_users(org)[:40]
    pairs = wanted_sets(org, users, seed=4)
    together = mirror(org, pairs, tmp_path / "together")
    assert E10 not in reads(org)
    after_together = held(org)
    org.reset()
    apart: list[dict[str, Any]] = []
    for start in range(0, len(users), 2):  # two users a run: read by user
        two = set(users[start : start + 2])
        run = mirror(org, [p for p in pairs if p[0] in two], tmp_path / f"apart{start}")
        assert run.returncode == 0, run.stderr[-2000:]
        apart += run.results
    assert E1 not in reads(org)
    assert held(org) == after_together
    assert outcomes_by_pair(apart) == outcomes_by_pair(together.results)


# mirror_scope: territory


def territory_wanted(org: Org, territories: list[str], seed: int = 2) -> list[Pair]:
    """Each territory's users, one dropped (never the manager) and two active users added."""
    rng = random.Random(seed)
    now = held(org)
    candidates = org.active_users()
    out: list[Pair] = []
    for territory in territories:
        members = sorted(u for u, t in now if t == territory)
        manager = org.manager_of(territory)
        droppable = [u for u in members if u != manager]
        if droppable:
            members.remove(rng.choice(droppable))
        members += rng.sample([u for u in candidates if u not in members], 2)
        out += [(u, territory) for u in sorted(members)]
    return out


def test_territory_scope_makes_each_named_territory_exactly_its_records(
    org: Org, tmp_path: Path
) -> None:
    named = [t for t in org.territories() if org.manager_of(t)][:3]
    pairs = territory_wanted(org, named)
    # Leave one manager out of the records: mirror keeps them (Zoho does not remove them).
    left_out = next(t for t in named if (org.manager_of(t), t) in held(org))
    manager = org.manager_of(left_out)
    pairs = [p for p in pairs if p != (manager, left_out)]
    before = held(org)
    run = mirror(org, pairs, tmp_path, mirror_scope="territory")
    assert run.returncode == 0, run.stderr[-2000:]
    after = held(org)
    wanted = [(u, t, "add") for u, t in pairs]
    assert after == ZohoRules.of(org).mirror(before, wanted, scope="territory")
    check_results(run.results, after, run.returncode)
    for territory in named:
        expected = {u for u, t in pairs if t == territory}
        if territory == left_out:
            expected.add(str(manager))
        assert {u for u, t in after if t == territory} == expected
    assert {p for p in after if p[1] not in named} == {p for p in before if p[1] not in named}
    kept = [r for r in run.results if r["code"] == "KEPT"]
    assert [(r["user_id"], r["territory_id"]) for r in kept] == [(manager, left_out)]
    assert "manages this territory" in kept[0]["message"]
    removed = {(r["user_id"], r["territory_id"]) for r in run.results if r["outcome"] == "removed"}
    assert removed == {p for p in before if p[1] in named} - set(pairs) - {(manager, left_out)}
    # E9 (the users: far more than 3 territories), E1 (managers), E5 for each named one.
    assert reads(org) == {E9: 1, E1: 1, E5: 3}


def test_territory_scope_keeps_the_users_of_the_organisation_territory(
    org: Org, tmp_path: Path
) -> None:
    someone = org.active_users()[0]
    run = mirror(org, [(someone, org.root)], tmp_path, mirror_scope="territory")
    assert run.returncode == 0, run.stderr[-2000:]
    assert (someone, org.root) in held(org)
    kept = [r for r in run.results if r["code"] == "KEPT"]
    assert {(r["user_id"], r["territory_id"]) for r in kept} == {(org.me, org.root)}
    assert "organisation territory" in kept[0]["message"]
    assert reads(org) == {E1: 1, E5: 1}


def test_an_unknown_mirror_scope_is_one_line(org: Org, tmp_path: Path) -> None:
    run = mirror(org, [], tmp_path, mirror_scope="region")
    assert run.returncode == 1
    assert "'region' is not one of ['user', 'territory'] in config['mirror_scope']" in run.stderr
    assert org.calls() == {}


def test_a_scope_the_reads_by_territory_lack_falls_back_to_reads_by_user(
    org: Org, tmp_path: Path
) -> None:
    # Without ZohoCRM.users.READ, E5 is refused; E10 needs users.READ or territories.READ.
    org.emulator.config(scopes=["ZohoCRM.settings.ALL", "ZohoCRM.org.ALL"])
    users = plain_users(org)[:40]
    run = mirror(org, wanted_sets(org, users), tmp_path, dry_run=True)
    assert run.returncode == 0, run.stderr[-2000:]
    calls = reads(org)
    assert calls[E1] == 1
    assert 1 <= calls[E5] <= 10  # the first refusals; the other territories are not asked
    assert calls[E10] == 40
    assert {r["outcome"] for r in run.results} <= {"planned", "unchanged"}
