"""Reverse ETL through a real warehouse: Zoho -> PostgreSQL -> a SQL view -> Zoho.

1. `meltano run tap-zoho-territories target-postgres` loads the emulator's org into schema
   `zoho_crm` of an embedded PostgreSQL 18 (tests/support/postgres_server.py).
2. `demo/reverse_etl.sql` (the file docs/meltano.md tells users to run) creates the two tables
   the data team owns, `reverse_etl.user_regions` (e-mail -> region) and
   `reverse_etl.region_territories` (region -> territory name), and the view
   `reverse_etl.wanted_assignments`, which joins them with the loaded users and territories into
   `(user_id, territory_id)`, active users only. The test fills the two tables.
3. `meltano run tap-postgres target-zoho-territories--warehouse`: MeltanoLabs tap-postgres reads
   the view, the target in mode mirror makes every user it names hold exactly those territories.

Then each named user's territories in the emulator are the view's, users the view does not name
are untouched, and a second run changes nothing (no write call, every record `unchanged`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.meltano_project import MeltanoProject, jsonl, project_for
from tests.support.mirror_calls import assert_read_the_cheaper_way
from tests.support.org import WRITES
from tests.support.postgres_server import PostgresServer
from tests.support.secrets_check import assert_no_secrets, emulator_tokens
from zoho_crm_emulator.process import EmulatorProcess

ROOT = Path(__file__).resolve().parents[2]
SQL = ROOT / "demo" / "reverse_etl.sql"
ORG = ("--org", "generated", "--territories", "20", "--users", "120", "--groups", "3")
ORG_ARGS = (*ORG, "--seed", "31", "--refresh-limit", "1000")
LOADER = "target-zoho-territories--warehouse"

Pair = tuple[str, str]


def held_by_user(state: dict[str, Any]) -> dict[str, set[str]]:
    held: dict[str, set[str]] = defaultdict(set)
    for pair in state["assignments"]:
        held[pair["user_id"]].add(pair["territory_id"])
    return dict(held)


@dataclass
class Plan:
    """What the test puts in the two tables, and what the view must then say."""

    user_regions: list[tuple[str, str]]
    region_territories: list[tuple[str, str]]
    wanted: dict[str, set[str]]  # user id -> territory ids
    filtered_out: str  # an inactive user listed in user_regions: the view drops them


def make_plan(org: dict[str, Any]) -> Plan:
    """Regions of 1-3 territories, and 24 editable users (active, confirmed, not the token's
    user, managing no territory, so that mirror keeps nothing the view does not list)."""
    territories = sorted(
        (t for t in org["territories"] if t["id"] != org["root_territory_id"]),
        key=lambda t: t["id"],
    )
    regions = {
        "north": territories[0:2],
        "south": territories[2:3],
        "west": territories[3:6],
        "east": territories[6:8],
    }
    managers = {(t.get("manager") or {}).get("id") for t in org["territories"]}
    editable = sorted(
        (
            u
            for u in org["users"]
            if u["status"] == "active"
            and u["confirm"]
            and u["id"] != org["current_user_id"]
            and u["id"] not in managers
        ),
        key=lambda u: u["id"],
    )[:24]
    names = list(regions)
    user_regions = []
    wanted: dict[str, set[str]] = {}
    for i, user in enumerate(editable):
        region = names[i % len(names)]
        # E-mails in HR systems rarely match Zoho's case: the view compares them lower-cased.
        email = user["email"].upper() if i % 5 == 0 else user["email"]
        user_regions.append((email, region))
        wanted[user["id"]] = {t["id"] for t in regions[region]}
    inactive = next(u for u in org["users"] if u["status"] == "inactive")
    user_regions.append((inactive["email"], "north"))
    region_territories = [(r, t["name"]) for r, ts in regions.items() for t in ts]
    return Plan(user_regions, region_territories, wanted, inactive["id"])


def sql_values(rows: list[tuple[str, str]]) -> str:
    def quote(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    return ", ".join(f"({quote(a)}, {quote(b)})" for a, b in rows)


@dataclass
class Warehouse:
    pg: PostgresServer
    emulator: EmulatorProcess
    project: MeltanoProject
    plan: Plan
    before: dict[str, set[str]]
    tmp: Path

    def reverse(self, results: Path) -> list[dict[str, Any]]:
        """Run the reverse pipeline once; the results file's lines."""
        self.emulator.reset_stats()
        self.project.meltano(
            "run",
            "tap-postgres",
            LOADER,
            env={"TARGET_ZOHO_TERRITORIES__WAREHOUSE_RESULTS_PATH": str(results)},
        ).check()
        assert_no_secrets(
            results.read_text(), tokens=emulator_tokens(self.emulator.url), where="the results"
        )
        return jsonl(results)

    def calls(self) -> dict[str, int]:
        return dict(self.emulator.stats()["requests"])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    tmp = tmp_path_factory.mktemp("reverse-etl")
    with PostgresServer(tcp=True) as pg, EmulatorProcess(*ORG_ARGS) as emulator:
        project = project_for(
            tmp,
            TAP_ZOHO_TERRITORIES_ACCOUNTS_SERVER=emulator.url,
            TARGET_POSTGRES_SQLALCHEMY_URL=pg.sqlalchemy_url(),
            TAP_POSTGRES_SQLALCHEMY_URL=pg.tcp_url(),
            TARGET_ZOHO_TERRITORIES__WAREHOUSE_ACCOUNTS_SERVER=emulator.url,
        )
        project.meltano("run", "tap-zoho-territories", "target-postgres").check()
        org = emulator.state()
        plan = make_plan(org)
        pg.psql(SQL.read_text())
        pg.psql(SQL.read_text())  # the file is safe to run again
        pg.psql(
            "INSERT INTO reverse_etl.user_regions (email, region) VALUES "
            f"{sql_values(plan.user_regions)};"
            "INSERT INTO reverse_etl.region_territories (region, territory_name) VALUES "
            f"{sql_values(plan.region_territories)};"
        )
        yield Warehouse(pg, emulator, project, plan, held_by_user(org), tmp)


def test_the_view_says_what_the_tables_say(warehouse: Warehouse) -> None:
    rows = warehouse.pg.query("SELECT user_id, territory_id FROM reverse_etl.wanted_assignments")
    pairs = [(r["user_id"], r["territory_id"]) for r in rows]
    assert len(pairs) == len(set(pairs))
    expected = {(u, t) for u, ts in warehouse.plan.wanted.items() for t in ts}
    assert set(pairs) == expected
    assert warehouse.plan.filtered_out not in {u for u, _ in pairs}


def test_zoho_becomes_the_view_and_a_second_run_changes_nothing(warehouse: Warehouse) -> None:
    plan, before = warehouse.plan, warehouse.before
    wanted_pairs = {(u, t) for u, ts in plan.wanted.items() for t in ts}
    held_pairs = {(u, t) for u in plan.wanted for t in before.get(u, set())}
    # The plan is a real change: some pairs to add, some to remove, some already right.
    assert wanted_pairs - held_pairs
    assert held_pairs - wanted_pairs
    assert wanted_pairs & held_pairs

    first = warehouse.reverse(warehouse.tmp / "first.jsonl")

    after = held_by_user(warehouse.emulator.state())
    assert {u: after.get(u, set()) for u in plan.wanted} == plan.wanted
    unnamed = set(before) | set(after)
    unnamed -= set(plan.wanted)
    assert {u: after.get(u, set()) for u in unnamed} == {u: before.get(u, set()) for u in unnamed}

    assert Counter(line["outcome"] for line in first) == {
        "added": len(wanted_pairs - held_pairs),
        "removed": len(held_pairs - wanted_pairs),
        "unchanged": len(wanted_pairs & held_pairs),
    }
    # Each record is a row of the view, stream `reverse_etl-wanted_assignments`; removals no
    # record asked for have no record.
    records = [line for line in first if line["record"] is not None]
    assert {(r["user_id"], r["territory_id"]) for r in records} == wanted_pairs
    assert {r["stream"] for r in records} == {"reverse_etl-wanted_assignments"}
    calls = warehouse.calls()
    assert_read_the_cheaper_way(
        calls,
        territories=len(warehouse.emulator.state()["territories"]),
        named_users=len(plan.wanted),
    )
    assert sum(calls.get(key, 0) for key in WRITES) > 0

    second = warehouse.reverse(warehouse.tmp / "second.jsonl")

    assert held_by_user(warehouse.emulator.state()) == after
    assert Counter(line["outcome"] for line in second) == {"unchanged": len(wanted_pairs)}
    calls = warehouse.calls()
    assert {key: calls.get(key, 0) for key in WRITES} == dict.fromkeys(WRITES, 0)
    assert_read_the_cheaper_way(
        calls,
        territories=len(warehouse.emulator.state()["territories"]),
        named_users=len(plan.wanted),
    )
