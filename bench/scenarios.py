"""Benchmark scenarios beside their lower bounds (`make bench`, `python bench/run.py scenarios`).

Against Zoho, time is set by round trips: no run can beat
    bound = max(least calls x latency / concurrency, longest chain of dependent calls x latency)
where least calls is the fewest calls the API allows for the data (every page as large as it
may be; the count calls made to page in parallel are not in it), and the chain is the calls that
must follow one another (a list, then its children's lists). `startup_s` is what the process
costs before its first call (Python, the SDK, the CLI: `--about`), which no bound covers.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.run import (
    BIN,
    LATENCY_S,
    WORK,
    least_tap_calls,
    run_measured,
    target_run,
    write_json,
)
from zoho_crm_emulator.process import EmulatorProcess

# The emulator refuses more than 10 calls in flight, like a Standard edition org, which is what
# `max_concurrency: auto` reads from GET /org. BENCH_MAX_CONCURRENCY overrides the setting
# (a number, for a tap without `auto`).
CONCURRENCY = 10
EDITION = "standard"
SETTING = os.environ.get("BENCH_MAX_CONCURRENCY", "auto")
LIMITS = (
    "--latency-ms",
    str(int(LATENCY_S * 1000)),
    "--max-concurrency",
    str(CONCURRENCY),
    "--edition",
    EDITION,
)
BENCH_ORG = ("--territories", "1000", "--users", "5000", "--groups", "100", "--seed", "1")
BIG_ORG = ("--territories", "1000", "--users", "100000", "--groups", "100", "--seed", "1")
LISTED = ("active", "inactive")  # what type=AllUsers lists
SECTIONS = "territories,users,user_groups,assignments"


def pages(n: int, size: int) -> int:
    """Calls to list `n` records `size` a page (an empty list still costs one)."""
    return max(1, -(-n // size))


def setting() -> int | str:
    return int(SETTING) if SETTING.isdigit() else SETTING


@dataclass
class Org:
    """What the least calls of a scenario are computed from."""

    state: dict[str, Any]

    @property
    def listed_users(self) -> list[dict[str, Any]]:
        return [u for u in self.state["users"] if u["status"] in LISTED]

    @property
    def members(self) -> Counter[str]:
        return Counter(a["territory_id"] for a in self.state["assignments"])

    @property
    def territories_of(self) -> Counter[str]:
        return Counter(a["user_id"] for a in self.state["assignments"])

    def users_pages(self) -> int:
        return pages(len(self.listed_users), 200)

    def territories_pages(self) -> int:
        return pages(len(self.state["territories"]), 2000)

    def by_territory(self) -> int:
        """E1 pages, then E5 pages of every territory: every assignment, read by territory."""
        members = self.members
        return self.territories_pages() + sum(
            pages(members.get(t["id"], 0), 200) for t in self.state["territories"]
        )

    def by_user(self, users: list[str]) -> int:
        """E10 pages of each user."""
        held = self.territories_of
        return sum(pages(held.get(u, 0), 200) for u in users)


@dataclass(frozen=True)
class TapScenario:
    """A tap run with some streams selected."""

    name: str
    org: tuple[str, ...]
    streams: tuple[str, ...] | None  # None: the default catalog
    least: Callable[[Org], int]
    chain: int


def select(config: str, streams: tuple[str, ...] | None) -> list[str]:
    """`--catalog` arguments selecting exactly `streams` (none for the default catalog)."""
    if streams is None:
        return []
    found = subprocess.run(
        [str(BIN / "tap-zoho-territories"), "--config", config, "--discover"],
        capture_output=True,
        text=True,
        check=True,
    )
    catalog = json.loads(found.stdout)
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return ["--catalog", write_json("scenario_catalog.json", catalog)]


def result(calls: int, least: int, chain: int, wall: float, **more: Any) -> dict[str, Any]:
    bound = max(least * LATENCY_S / CONCURRENCY, chain * LATENCY_S)
    return {
        "api_calls": calls,
        "least_calls": least,
        "wall_s": round(wall, 3),
        "bound_s": round(bound, 3),
        "wall_ratio": round(wall / bound, 3),
        **more,
    }


def run_tap(emulator: EmulatorProcess, scenario: TapScenario) -> dict[str, Any]:
    config = write_json(
        "scenario_tap.json",
        emulator.config_for_tap(max_concurrency=setting(), token_cache=False),
    )
    args = select(config, scenario.streams)
    out = WORK / "scenario_output.jsonl"
    emulator.reset_stats()
    with out.open("w") as handle:
        wall, rss, code = run_measured(
            [str(BIN / "tap-zoho-territories"), "--config", config, *args], stdout=handle
        )
    assert code == 0, f"{scenario.name}: the tap failed"
    stats = emulator.stats()
    records = sum(1 for line in out.open() if line.startswith('{"type":"RECORD"'))
    least = scenario.least(Org(emulator.state(SECTIONS)))
    return result(
        stats["total_requests"],
        least,
        scenario.chain,
        wall,
        records=records,
        peak_rss_mb=round(rss, 1),
        max_in_flight=stats["max_in_flight"],
        per_endpoint=dict(sorted((k, n) for k, n in stats["requests"].items() if n)),
    )


def mirror_records(org: Org, users: int, seed: int = 1) -> tuple[list[dict[str, Any]], int]:
    """The wanted territories of `users` users (each named at least once), a tenth changed.

    Returns the records and the least write calls of the difference (each action grouped by
    user or by territory, whichever is fewer, 100 items a call).
    """
    rng = random.Random(seed)
    state = org.state
    me, root = state["current_user_id"], state["root_territory_id"]
    managed = {(t["manager"]["id"], t["id"]) for t in state["territories"] if t["manager"]}
    held: dict[str, set[str]] = {}
    for a in state["assignments"]:
        held.setdefault(a["user_id"], set()).add(a["territory_id"])
    candidates = sorted(
        u["id"] for u in state["users"] if u["status"] == "active" and u["id"] != me
    )
    named = rng.sample(candidates, min(users, len(candidates)))
    territories = [t["id"] for t in state["territories"] if t["id"] != root]
    records: list[dict[str, Any]] = []
    adds: list[tuple[str, str]] = []
    removes: list[tuple[str, str]] = []
    for user in named:
        wanted = set(held.get(user, set()))
        if rng.random() < 0.1:
            movable = sorted(t for t in wanted if (user, t) not in managed and t != root)
            if movable:
                gone = rng.choice(movable)
                wanted.discard(gone)
                removes.append((user, gone))
            new = rng.choice(territories)
            if new not in wanted:
                wanted.add(new)
                adds.append((user, new))
        if not wanted:  # a user named with nothing wanted keeps nothing removable
            continue
        records += [{"user_id": user, "territory_id": t} for t in sorted(wanted)]
    writes = 0
    for pairs in (adds, removes):
        by_user = Counter(u for u, _ in pairs)
        by_territory = Counter(t for _, t in pairs)
        writes += min(
            sum(pages(n, 100) for n in by_user.values()),
            sum(pages(n, 100) for n in by_territory.values()),
        )
    return records, writes


def run_mirror(emulator: EmulatorProcess, users: int) -> dict[str, Any]:
    org = Org(emulator.state(SECTIONS))
    records, writes = mirror_records(org, users)
    named = sorted({r["user_id"] for r in records})
    reads = min(org.by_user(named), org.by_territory())
    config = emulator.config_for_tap(max_concurrency=setting(), token_cache=False, mode="mirror")
    wall, rss, stats = target_run(emulator, config, records)
    emulator.reset_org()
    # Read (E10; or E1 then E5), then write.
    chain = 2 if reads == org.by_user(named) else 3
    return result(
        stats["total_requests"],
        reads + writes,
        chain,
        wall,
        records=len(records),
        users=len(named),
        least_read_calls=reads,
        least_write_calls=writes,
        peak_rss_mb=round(rss, 1),
        per_endpoint=dict(sorted((k, n) for k, n in stats["requests"].items() if n)),
    )


def users_only(org: Org) -> int:
    return org.users_pages()


def territories_and_users(org: Org) -> int:
    return org.territories_pages() + org.users_pages()


def user_territories(org: Org) -> int:
    listed = [u["id"] for u in org.listed_users]
    return org.users_pages() + min(org.by_user(listed), org.by_territory())


def full_sync(org: Org) -> int:
    return least_tap_calls(org.state)


TAP_SCENARIOS = (
    # The count (E9) then every page at once: a chain of 2.
    TapScenario("users_only_5k", BENCH_ORG, ("users",), users_only, 2),
    TapScenario("users_only_100k", BIG_ORG, ("users",), users_only, 2),
    TapScenario("territories_users", BENCH_ORG, ("territories", "users"), territories_and_users, 2),
    # Territories then their users (E1 -> E5), or users then their territories (E8 -> E10).
    TapScenario("user_territories", BENCH_ORG, ("user_territories",), user_territories, 2),
    TapScenario("full_sync", BENCH_ORG, None, full_sync, 2),
)


def startup() -> float:
    """Seconds the tap takes to start and exit without a call (`--about`)."""
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "tap-zoho-territories"), "--about", "--format", "json"],
        capture_output=True,
        check=True,
    )
    return round(time.perf_counter() - started, 3)


def bench_scenarios(only: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Every scenario (or those named), keyed by name."""
    results: dict[str, dict[str, Any]] = {}
    start = startup()
    for org_args in (BENCH_ORG, BIG_ORG):
        wanted = [s for s in TAP_SCENARIOS if s.org == org_args and (not only or s.name in only)]
        mirror = org_args == BENCH_ORG and (not only or "mirror_5k" in only)
        if not wanted and not mirror:
            continue
        with EmulatorProcess(*org_args, *LIMITS, "--refresh-limit", "10000") as emulator:
            for scenario in wanted:
                print(f"  {scenario.name} ...", file=sys.stderr)
                results[scenario.name] = {**run_tap(emulator, scenario), "startup_s": start}
            if mirror:
                print("  mirror_5k ...", file=sys.stderr)
                results["mirror_5k"] = {**run_mirror(emulator, 5000), "startup_s": start}
    return results


if __name__ == "__main__":
    print(json.dumps(bench_scenarios(sys.argv[1:]), indent=2))
