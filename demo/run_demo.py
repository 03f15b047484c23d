"""`make demo`: the tap and the target in Meltano pipelines against the local Zoho emulator.

1. `meltano install` the plugins the demo uses (plugin venvs under .meltano/);
2. start `zoho-crm-emulator` with the sample org on port 8642 (the `demo` environment's URL);
3. `meltano --environment demo run --full-refresh tap-zoho-territories target-jsonl`: one
   JSONL file per stream in output/demo/; the territory tree with its users is printed;
4. demo/wanted_assignments.csv -> Singer messages (demo/csv_to_singer.py) ->
   `meltano invoke target-zoho-territories`, first with dry_run, then for real;
5. `meltano run --full-refresh tap-zoho-territories--assignments target-jsonl` reads the
   assignments back; the tree is printed again with what changed, and checked against the
   emulator's own state;
6. the emulator is stopped, also when a step fails or the demo is interrupted.

Meltano's logs go to output/demo/logs/; the report goes to stdout. Re-running is safe: the
emulator starts from the sample org each time and every extraction is a full refresh.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from types import FrameType
from typing import Any

from csv_to_singer import singer_messages, write_lines

from zoho_crm_emulator.process import EmulatorProcess

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "output" / "demo"
LOGS = OUT / "logs"
WANTED = ROOT / "demo" / "wanted_assignments.csv"
PORT = 8642
EMULATOR_URL = f"http://127.0.0.1:{PORT}"  # the demo environment's accounts_server
# Settings a developer may have exported (or put in .env) that must not steer the demo.
LEAKY = ("MELTANO_", "TAP_ZOHO", "TARGET_ZOHO", "TARGET_JSONL", "ZOHO_")


class DemoError(RuntimeError):
    """A step failed; the message says which and where its log is."""


class Meltano:
    """Runs `meltano --environment demo ...` in the repo, one log file per step."""

    def __init__(self, executable: Path) -> None:
        self.executable = executable
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(LEAKY)}
        self.env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
        # The process environment outranks .env and meltano.yml: whatever a developer's .env
        # holds, the demo's reads and writes go to the emulator (whose tokens no real org
        # would accept anyway).
        self.env["TAP_ZOHO_TERRITORIES_ACCOUNTS_SERVER"] = EMULATOR_URL
        self.env["TARGET_ZOHO_TERRITORIES_ACCOUNTS_SERVER"] = EMULATOR_URL

    def __call__(
        self, step: str, *args: str, stdin: Path | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run one command; raise DemoError with the end of its log when it fails."""
        log = LOGS / f"{step}.log"
        command = [str(self.executable), "--environment", "demo", *args]
        with log.open("w") as log_file:
            log_file.write("$ " + " ".join(command) + "\n")
            log_file.flush()
            stdin_file = stdin.open() if stdin is not None else None
            try:
                proc = subprocess.run(
                    command,
                    cwd=ROOT,
                    stdin=stdin_file if stdin_file is not None else subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=log_file,
                    text=True,
                    env={**self.env, **env},
                    timeout=900,
                    check=False,
                )
            finally:
                if stdin_file is not None:
                    stdin_file.close()
        if proc.returncode != 0:
            tail = "\n".join(log.read_text().splitlines()[-25:])
            raise DemoError(f"{' '.join(args[:3])} failed (exit {proc.returncode}):\n{tail}")
        return proc


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSONL file; an absent file is an empty stream."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def port_in_use(port: int) -> bool:
    """Whether something already listens on 127.0.0.1:port."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def tree_lines(
    territories: list[dict[str, Any]],
    members: dict[str, set[str]],
    names: dict[str, str],
    before: dict[str, set[str]] | None = None,
) -> list[str]:
    """The territory tree, one line per territory: name (users): user names.

    `*` marks the territory's manager; with `before`, `+name` is a user added since and
    `-name` one removed.
    """
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for territory in territories:
        children[territory.get("parent_id")].append(territory)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for territory in sorted(children[parent], key=lambda t: str(t["name"])):
            tid = territory["id"]
            now = members.get(tid, set())
            was = now if before is None else before.get(tid, set())
            manager = (territory.get("manager") or {}).get("id")
            shown = []
            for uid in sorted(now | was, key=lambda u: names.get(u, u)):
                mark = "+" if uid not in was else "-" if uid not in now else ""
                star = "*" if uid == manager else ""
                shown.append(f"{mark}{names.get(uid, uid)}{star}")
            lines.append(f"  {'   ' * depth}{territory['name']} ({len(now)}): {', '.join(shown)}")
            walk(tid, depth + 1)

    walk(None, 0)
    return lines


def members_of(territory_users: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Territory id -> user ids, from territory_users records (`id` is the user)."""
    members: dict[str, set[str]] = defaultdict(set)
    for record in territory_users:
        members[record["territory_id"]].add(record["id"])
    return dict(members)


def outcome_lines(
    results: list[dict[str, Any]], names: dict[str, str], tnames: dict[str, str]
) -> list[str]:
    """One line per result (CSV row, action, user -> territory, outcome), then Zoho's answer."""
    lines = []
    for result in results:
        row = f"row {result['line'] - 1}" if result.get("line") else "(mirror)"
        who = names.get(result["user_id"], result["user_id"])
        where = tnames.get(result["territory_id"], result["territory_id"])
        change = f"{result['action']} {who} -> {where}"
        lines.append(f"      {row:<7} {change:<46} {result['outcome']}")
        if result["outcome"] in ("failed", "rejected", "unchanged"):
            lines.append(f"              {result['code']}: {result['message']}")
    return lines


def summary(results: list[dict[str, Any]]) -> str:
    """`added 3, unchanged 1, failed 1`."""
    counts = Counter(r["outcome"] for r in results)
    order = ("added", "removed", "unchanged", "planned", "rejected", "failed")
    return ", ".join(f"{k} {counts[k]}" for k in order if counts[k])


def write_calls(stats: dict[str, Any]) -> int:
    """PUT and DELETE calls in emulator stats."""
    return sum(n for key, n in stats["requests"].items() if key.split()[0] in ("PUT", "DELETE"))


def run(meltano_exe: Path) -> None:
    """The whole demo; raises DemoError on a failed step."""
    started = time.monotonic()
    LOGS.mkdir(parents=True, exist_ok=True)
    for old in OUT.rglob("*.jsonl"):
        old.unlink()
    print("make demo: tap-zoho-territories and target-zoho-territories in Meltano pipelines")
    print(f"(Meltano logs in {LOGS.relative_to(ROOT)}/)\n")

    meltano = Meltano(meltano_exe)
    t = time.monotonic()
    plugins = ("tap-zoho-territories", "target-zoho-territories", "target-jsonl")
    # Compiled bytecode makes every later start of a plugin faster.
    meltano("install", "install", *plugins, UV_COMPILE_BYTECODE="1")
    print(f"[1/6] meltano install {' '.join(plugins)}  ({time.monotonic() - t:.1f} s)")

    if port_in_use(PORT):
        raise DemoError(
            f"127.0.0.1:{PORT} is already in use (another zoho-crm-emulator?); stop it and re-run"
        )
    with EmulatorProcess("--port", str(PORT)) as emulator:
        if emulator.url != EMULATOR_URL:
            raise DemoError(f"the emulator serves {emulator.url}, not {EMULATOR_URL}")
        print(f"[2/6] zoho-crm-emulator: the sample org at {emulator.url}")

        t = time.monotonic()
        meltano("extract", "run", "--full-refresh", "tap-zoho-territories", "target-jsonl")
        print(
            "[3/6] meltano --environment demo run --full-refresh tap-zoho-territories"
            f" target-jsonl  ({time.monotonic() - t:.1f} s)"
        )
        for path in sorted(OUT.glob("*.jsonl")):
            print(f"      {path.relative_to(ROOT)!s:<58} {len(read_jsonl(path)):>4} records")

        territories = read_jsonl(OUT / "territories.jsonl")
        territory_users = read_jsonl(OUT / "territory_users.jsonl")
        names = {u["id"]: u["full_name"] for u in read_jsonl(OUT / "users.jsonl")}
        names.update({u["id"]: u["full_name"] for u in territory_users})
        tnames = {t["id"]: t["name"] for t in territories}
        before = members_of(territory_users)
        counts = {
            c["territory_id"]: c["count"]
            for c in read_jsonl(OUT / "territory_associated_user_counts.jsonl")
        }
        if any(counts.get(tid, 0) != len(users) for tid, users in before.items()):
            raise DemoError("territory_users and territory_associated_user_counts disagree")
        print("\nTerritories (users), as extracted; * marks the territory's manager:")
        print("\n".join(tree_lines(territories, before, names)))

        messages = OUT / "wanted_assignments.singer.jsonl"
        with WANTED.open() as csv_file, messages.open("w") as out:
            rows = write_lines(singer_messages(csv_file), out) - 1
        print(f"\n[4/6] {WANTED.relative_to(ROOT)} ({rows} rows) -> demo/csv_to_singer.py ->")
        print("      meltano --environment demo invoke target-zoho-territories, dry_run: true")
        plan_path = OUT / "plan.jsonl"
        emulator.reset_stats()
        meltano(
            "dry-run",
            "invoke",
            "target-zoho-territories",
            stdin=messages,
            TARGET_ZOHO_TERRITORIES_DRY_RUN="true",
            TARGET_ZOHO_TERRITORIES_RESULTS_PATH=str(plan_path),
        )
        plan = read_jsonl(plan_path)
        print(f"      {summary(plan)}; write calls sent: {write_calls(emulator.stats())}")

        print("[5/6] the same for real (results: output/demo/assignment-results.jsonl)")
        emulator.reset_stats()
        meltano("write", "invoke", "target-zoho-territories", stdin=messages)
        results = read_jsonl(OUT / "assignment-results.jsonl")
        print("\n".join(outcome_lines(results, names, tnames)))
        print(f"      {summary(results)}; write calls: {write_calls(emulator.stats())}")

        t = time.monotonic()
        after_dir = OUT / "after"
        meltano(
            "read-back",
            "run",
            "--full-refresh",
            "tap-zoho-territories--assignments",
            "target-jsonl",
            TARGET_JSONL_DESTINATION_PATH=str(after_dir),
        )
        print(
            "[6/6] meltano --environment demo run --full-refresh"
            f" tap-zoho-territories--assignments target-jsonl  ({time.monotonic() - t:.1f} s)"
        )
        after_records = read_jsonl(after_dir / "territory_users.jsonl")
        names.update({u["id"]: u["full_name"] for u in after_records})
        after = members_of(after_records)
        print("\nTerritories (users) after the write-back; +added, -removed:")
        print("\n".join(tree_lines(territories, after, names, before)))

        truth = {
            (a["territory_id"], a["user_id"]) for a in emulator.state("assignments")["assignments"]
        }
        read_back = {(tid, uid) for tid, users in after.items() for uid in users}
        if read_back != truth:
            raise DemoError("the assignments read back differ from the emulator's state")
        print("\nChecked: the assignments read back equal the emulator's own state.")
    print(f"Emulator stopped. Done in {time.monotonic() - started:.0f} s; files in output/demo/.")


def main() -> int:
    """Parse arguments, run the demo, turn a failure into a message and exit code 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--meltano",
        type=Path,
        default=ROOT / ".venv-meltano" / "bin" / "meltano",
        help="the meltano executable (default: .venv-meltano/bin/meltano, made by make meltano)",
    )
    args = parser.parse_args()
    meltano_exe = args.meltano.resolve()
    if not meltano_exe.exists():
        print(f"make demo: {meltano_exe} not found; run `make meltano` first", file=sys.stderr)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # leaves the `with` blocks, so the emulator is stopped

    signal.signal(signal.SIGTERM, stop)
    try:
        run(meltano_exe)
    except DemoError as exc:
        print(f"\nmake demo failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nmake demo interrupted; the emulator was stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
