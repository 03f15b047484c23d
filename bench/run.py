"""`make bench`: the tap and the target against the emulator, beside their lower bounds.

Against Zoho, time is set by round trips, so the bound for a run is
least_calls x latency / concurrency. Writes bench/results.json and prints a table.
Usage: python bench/run.py [tap] [target] [cpu] [scenarios [NAME ...]]   (all by default)
`scenarios` (bench/scenarios.py) adds one key per scenario to results.json.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from target_zoho_territories.planner import Change, plan  # noqa: E402
from target_zoho_territories.records import Result  # noqa: E402
from zoho_crm_emulator.process import EmulatorProcess  # noqa: E402

BIN = Path(sys.executable).parent
LATENCY_S = 0.1
CONCURRENCY = 10
ORG = ("--territories", "1000", "--users", "5000", "--groups", "100", "--seed", "1")
LARGE_ORG = ("--territories", "10000", "--users", "50000", "--groups", "1000", "--seed", "1")
CPU_ORG = ("--territories", "1000", "--users", "100000", "--groups", "100", "--seed", "1")
LIMITS = ("--latency-ms", str(int(LATENCY_S * 1000)), "--max-concurrency", str(CONCURRENCY))
WORK = ROOT / "bench" / "work"
TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None


def write_json(name: str, data: Any) -> str:
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / name
    path.write_text(json.dumps(data))
    return str(path)


def run_measured(
    command: list[str], *, stdin: str | None = None, stdout: Any = subprocess.DEVNULL
) -> tuple[float, float, int]:
    """Run a command; return (wall seconds, peak RSS in MB of that process, exit code).

    The peak comes from GNU time where there is one: a child forked from this (large) process
    would count this process's memory as its own until it execs.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile() as peak:
        wrapped = [TIME, "-f", "%M", "-o", peak.name, *command] if TIME else command
        proc = subprocess.Popen(
            wrapped,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=stdout,
            stderr=err,
            env={**os.environ, "LOGLEVEL": "WARNING"},
        )
        if stdin is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin.encode())
            proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            sys.stderr.write(err.read().decode()[-3000:])
        measured = Path(peak.name).read_text().strip().splitlines() if TIME else []
    kilobytes = int(measured[-1]) if measured and measured[-1].isdigit() else usage.ru_maxrss
    return wall, kilobytes / 1024, code


def least_tap_calls(state: dict[str, Any]) -> int:
    """Pages at each endpoint's largest page size, one call per child partition page."""

    def pages(n: int, size: int) -> int:
        return max(1, -(-n // size))

    per_territory = Counter(a["territory_id"] for a in state["assignments"])
    listed = [u for u in state["users"] if u["status"] in ("active", "inactive")]
    deleted = [u for u in state["users"] if u["status"] == "deleted"]
    territories, groups = state["territories"], state["user_groups"]
    return (
        pages(len(territories), 2000)
        + sum(pages(per_territory.get(t["id"], 0), 200) for t in territories)
        + pages(len(territories), 200)
        + pages(len(listed), 200)
        + pages(len(deleted), 200)  # type=DeletedUsers, read in full each run
        + pages(len(groups), 200)
        + pages(len(groups), 200)
        + len(groups)
        + sum(pages(len(g["sources"]), 200) for g in groups)
        + 3  # roles, profiles and the org: one call each
    )


def tap_run(emulator: EmulatorProcess, concurrency: int) -> dict[str, Any]:
    config = write_json("tap_config.json", emulator.config_for_tap(max_concurrency=concurrency))
    emulator.reset_stats()
    out = WORK / "tap_output.jsonl"
    with out.open("w") as handle:
        wall, rss, code = run_measured(
            [str(BIN / "tap-zoho-territories"), "--config", config], stdout=handle
        )
    assert code == 0, "tap failed"
    records = sum(1 for line in out.open() if line.startswith('{"type":"RECORD"'))
    stats = emulator.stats()
    return {"wall_s": wall, "rss_mb": rss, "records": records, "api_calls": stats["total_requests"]}


def bench_tap() -> dict[str, Any]:
    with EmulatorProcess(*ORG, *LIMITS) as emulator:
        state = emulator.state("territories,users,user_groups,assignments")
        least = least_tap_calls(state)
        parallel = tap_run(emulator, CONCURRENCY)
        sequential = tap_run(emulator, 1)
        assert "429" not in emulator.stats()["responses"]
    with EmulatorProcess(*LARGE_ORG) as emulator:
        large = tap_run(emulator, CONCURRENCY)
    least_wall = least * LATENCY_S / CONCURRENCY
    return {
        "api_calls": parallel["api_calls"],
        "least_calls": least,
        "calls_ratio": parallel["api_calls"] / least,
        "wall_s": parallel["wall_s"],
        "least_wall_s": least_wall,
        "wall_ratio": parallel["wall_s"] / least_wall,
        "sequential_wall_s": sequential["wall_s"],
        "speedup": sequential["wall_s"] / parallel["wall_s"],
        "records": parallel["records"],
        "peak_rss_mb": parallel["rss_mb"],
        "large_peak_rss_mb": large["rss_mb"],
        "large_records": large["records"],
        "rss_ratio": large["rss_mb"] / parallel["rss_mb"],
    }


def change_set(state: dict[str, Any], n: int, seed: int = 1) -> list[dict[str, Any]]:
    """n assignment changes: adds and removes over mixed users and territories, some in place.

    Realistic shape: most changes move a user between a few territories of one region, and a
    few territories gain or lose many users at once.
    """
    rng = random.Random(seed)
    current = {u["id"] for u in state["users"]}
    protected = {state["current_user_id"]}
    users = [
        u["id"] for u in state["users"] if u["status"] == "active" and u["id"] not in protected
    ]
    territories = [t["id"] for t in state["territories"] if t["reporting_to"] is not None]
    managers = {(t["manager"]["id"], t["id"]) for t in state["territories"] if t["manager"]}
    have = [
        (a["user_id"], a["territory_id"])
        for a in state["assignments"]
        if a["user_id"] in current and a["user_id"] not in protected
    ]
    have = [p for p in have if p not in managers and p[1] != state["root_territory_id"]]
    big = rng.sample(territories, 20)
    records: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    while len(records) < n:
        roll = rng.random()
        if roll < 0.3 and have:  # remove an existing assignment
            pair = rng.choice(have)
            action = "remove"
        elif roll < 0.5:  # a territory gaining many users
            pair = (rng.choice(users), rng.choice(big))
            action = "add"
        elif roll < 0.6 and have:  # already in place: Zoho answers DUPLICATE_DATA
            pair = rng.choice(have)
            action = "add"
        else:
            pair = (rng.choice(users), rng.choice(territories))
            action = "add"
        if pair in seen:
            continue
        seen.add(pair)
        records.append({"user_id": pair[0], "territory_id": pair[1], "action": action})
    return records


def singer_lines(records: list[dict[str, Any]]) -> str:
    schema = {
        "type": "SCHEMA",
        "stream": "assignments",
        "key_properties": ["user_id", "territory_id"],
        "schema": {
            "type": "object",
            "properties": {
                "user_id": {"type": "string"},
                "territory_id": {"type": "string"},
                "action": {"type": "string"},
            },
        },
    }
    lines = [json.dumps(schema)]
    lines += [json.dumps({"type": "RECORD", "stream": "assignments", "record": r}) for r in records]
    return "\n".join(lines) + "\n"


def write_bounds(records: list[dict[str, Any]]) -> tuple[int, int]:
    """(least calls with the best grouping, a lower bound no grouping can beat).

    The best grouping (the issue's measure) is, per action, the cheaper of grouping every change
    by user or by territory, at most 100 items a call. The lower bound is, per action,
    max(maximum matching, ceil(n / 100)): a call names one user or one territory, so no call
    covers two edges of a matching.
    """
    least = 0
    for action in ("add", "remove"):
        pairs = {(r["user_id"], r["territory_id"]) for r in records if r["action"] == action}
        by_user = Counter(u for u, _ in pairs)
        by_territory = Counter(t for _, t in pairs)
        least += min(
            sum(-(-n // 100) for n in by_user.values()),
            sum(-(-n // 100) for n in by_territory.values()),
        )
    changes = [
        Change(r["user_id"], r["territory_id"], r["action"], Result("b", i, r))
        for i, r in enumerate(records)
    ]
    return least, plan(changes).lower_bound


def target_run(
    emulator: EmulatorProcess, config: dict[str, Any], records: list[dict[str, Any]]
) -> tuple[float, float, dict[str, Any]]:
    """Run the target on `records`; return (wall seconds, peak RSS in MB, the emulator's stats)."""
    emulator.reset_stats()
    wall, rss, code = run_measured(
        [str(BIN / "target-zoho-territories"), "--config", write_json("t.json", config)],
        stdin=singer_lines(records),
    )
    assert code == 0, "target failed"
    return wall, rss, emulator.stats()


def bench_target() -> dict[str, Any]:
    with EmulatorProcess(*ORG, *LIMITS) as emulator:
        state = emulator.state("territories,users,assignments")
        records = change_set(state, 20_000)
        config = emulator.config_for_tap(max_concurrency=CONCURRENCY, allow_failures=True)
        wall, rss, stats = target_run(emulator, config, records)
    writes = sum(n for k, n in stats["requests"].items() if k.startswith(("PUT", "DELETE")))
    least, bound = write_bounds(records)
    least_wall = least * LATENCY_S / CONCURRENCY
    return {
        "write_calls": writes,
        "least_write_calls": least,
        "calls_ratio": writes / least,
        "write_calls_lower_bound": bound,
        "read_calls": stats["total_requests"] - writes,
        "wall_s": wall,
        "least_wall_s": least_wall,
        "wall_ratio": wall / least_wall,
        "records": len(records),
        "peak_rss_mb": rss,
    }


def bench_cpu() -> dict[str, Any]:
    with EmulatorProcess(*CPU_ORG) as emulator:
        result = tap_run(emulator, CONCURRENCY)
    floor_result = WORK / "floor.json"
    _, _, code = run_measured(
        [
            sys.executable,
            str(ROOT / "bench" / "sdk_floor.py"),
            str(WORK / "tap_output.jsonl"),
            str(floor_result),
        ]
    )
    assert code == 0, "floor failed"
    floor_wall = json.loads(floor_result.read_text())["seconds"]
    tap_rate = result["records"] / result["wall_s"]
    floor_rate = result["records"] / floor_wall
    return {
        "records": result["records"],
        "tap_wall_s": result["wall_s"],
        "tap_records_per_s": tap_rate,
        "sdk_floor_wall_s": floor_wall,
        "sdk_floor_records_per_s": floor_rate,
        "ratio_to_floor": tap_rate / floor_rate,
        "peak_rss_mb": result["rss_mb"],
    }


TARGETS = (
    ("tap", "calls_ratio", "= 1.00"),
    ("tap", "wall_ratio", "<= 1.2"),
    ("tap", "speedup", ">= 8"),
    ("tap", "rss_ratio", "<= 1.5"),
    ("target", "calls_ratio", "= 1.00"),
    ("target", "wall_ratio", "<= 1.2"),
    ("cpu", "ratio_to_floor", ">= 0.7"),
)


SCENARIO_COLUMNS = ("api_calls", "least_calls", "wall_s", "bound_s", "wall_ratio", "startup_s")


def table(results: dict[str, dict[str, Any]]) -> str:
    scenarios = {name: m for name, m in results.items() if "bound_s" in m}
    lines = ["| bench | metric | value |", "|---|---|---|"]
    for name, metrics in results.items():
        if name in scenarios:
            continue
        for key, value in metrics.items():
            shown = f"{value:.2f}" if isinstance(value, float) else str(value)
            lines.append(f"| {name} | {key} | {shown} |")
    lines += ["", "| bench | ratio | target | value |", "|---|---|---|---|"]
    for name, key, target in TARGETS:
        if name in results:
            lines.append(f"| {name} | {key} | {target} | {results[name][key]:.2f} |")
    if scenarios:
        lines += ["", "| scenario | " + " | ".join(SCENARIO_COLUMNS) + " |"]
        lines.append("|---" * (len(SCENARIO_COLUMNS) + 1) + "|")
        for name, metrics in scenarios.items():
            cells = [str(metrics.get(key, "")) for key in SCENARIO_COLUMNS]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    from bench.scenarios import bench_scenarios  # noqa: PLC0415  (it imports this module)

    args = sys.argv[1:] or ["tap", "target", "cpu", "scenarios"]
    wanted = args[: args.index("scenarios") + 1] if "scenarios" in args else args
    benches = {"tap": bench_tap, "target": bench_target, "cpu": bench_cpu}
    path = ROOT / "bench" / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for name in wanted:
        print(f"running {name} ...", file=sys.stderr)
        if name == "scenarios":
            results.update(bench_scenarios(args[args.index("scenarios") + 1 :]))
        else:
            results[name] = benches[name]()
        path.write_text(json.dumps(results, indent=2) + "\n")
    text = table(results)
    (ROOT / "bench" / "results.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
