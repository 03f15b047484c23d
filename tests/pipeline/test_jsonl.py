"""`meltano run tap-zoho-territories target-jsonl` against the emulator, checked against its org.

The repo's meltano.yml, installed by Meltano into a temporary project (tests/meltano_project.py);
the `dev` environment with the emulator's URL passed as TAP_ZOHO_TERRITORIES_ACCOUNTS_SERVER.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import org_truth
from tests.support.meltano_project import MeltanoProject, MeltanoRun, jsonl, project_for
from tests.support.secrets_check import assert_no_secrets, emulator_tokens
from zoho_crm_api.values import parse_time
from zoho_crm_emulator.process import EmulatorProcess

STATE_ID = "dev:tap-zoho-territories-to-target-jsonl"
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
class Pipeline:
    project: MeltanoProject
    emulator: EmulatorProcess
    run: MeltanoRun
    out: Path
    org: dict[str, Any]

    def records(self, stream: str) -> list[dict[str, Any]]:
        return jsonl(self.out / f"{stream}.jsonl")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    tmp = tmp_path_factory.mktemp("pipeline-jsonl")
    # 450 users: three pages of /users; 30 territories, 6 groups.
    with EmulatorProcess(
        "--territories", "30", "--users", "450", "--groups", "6", "--seed", "11"
    ) as emulator:
        project = project_for(tmp, TAP_ZOHO_TERRITORIES_ACCOUNTS_SERVER=emulator.url)
        out = tmp / "output"
        run = project.meltano(
            "run",
            "tap-zoho-territories",
            "target-jsonl",
            env={"TARGET_JSONL_DESTINATION_PATH": str(out)},
        ).check()
        yield Pipeline(project, emulator, run, out, emulator.state())


def test_one_file_per_selected_stream(pipeline: Pipeline) -> None:
    # meltano.yml selects '*.*' and '!user_territories.*' (one call per user, off by default).
    assert {p.stem for p in pipeline.out.glob("*.jsonl")} == DEFAULT_STREAMS
    assert "Environment 'dev' is active" in pipeline.run.stderr


def test_territories(pipeline: Pipeline) -> None:
    records = {r["id"]: r for r in pipeline.records("territories")}
    truth = {t["id"]: t for t in pipeline.org["territories"]}
    assert records.keys() == truth.keys()
    for tid, territory in truth.items():
        parent = territory["reporting_to"]
        assert records[tid]["name"] == territory["name"]
        assert records[tid]["parent_id"] == (parent["id"] if parent else None)
        assert org_truth.same_instant(records[tid]["modified_time"], territory["modified_time"])


def test_territory_users_are_every_assignment(pipeline: Pipeline) -> None:
    pairs = [(r["territory_id"], r["id"]) for r in pipeline.records("territory_users")]
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == org_truth.assignment_pairs(pipeline.org)


def test_territory_user_counts(pipeline: Pipeline) -> None:
    records = pipeline.records("territory_associated_user_counts")
    counts = {r["territory_id"]: r["count"] for r in records}
    assert all(isinstance(n, int) for n in counts.values())
    truth = org_truth.territory_counts(pipeline.org)
    assert counts == {tid: n for tid, n in truth.items() if n or tid in counts}


def test_users(pipeline: Pipeline) -> None:
    # AllUsers (active and inactive), then the deleted users (DeletedUsers).
    records = {r["id"]: r for r in pipeline.records("users")}
    truth = {u["id"]: u for u in pipeline.org["users"]}
    assert len(org_truth.listed_users(pipeline.org)) > 400
    assert org_truth.deleted_users(pipeline.org)
    assert records.keys() == truth.keys()
    for uid, user in truth.items():
        assert records[uid]["email"] == user["email"]
        assert records[uid]["status"] == user["status"]
        assert org_truth.same_instant(records[uid]["modified_time"], user["Modified_Time"])


def test_user_groups_sources_and_counts(pipeline: Pipeline) -> None:
    org = pipeline.org
    groups = pipeline.records("user_groups")
    assert {g["id"] for g in groups} == {g["id"] for g in org["user_groups"]}
    counts = pipeline.records("user_group_associated_user_counts")
    assert {r["user_group_id"]: r["count"] for r in counts} == org_truth.group_user_counts(org)
    sources = pipeline.records("user_group_sources")
    assert {
        (r["user_group_id"], r["type"], r["source_id"]) for r in sources
    } == org_truth.group_sources(org)
    sources_counts = {r["user_group_id"]: r for r in pipeline.records("user_group_sources_counts")}
    assert sources_counts.keys() == {g["id"] for g in org["user_groups"]}


def test_no_secret_in_the_files(pipeline: Pipeline) -> None:
    """Meltano's log is checked by every run (tests/meltano_project.py); the files here."""
    tokens = emulator_tokens(pipeline.emulator.url)
    assert tokens, "the emulator issued no token?"
    texts = [path.read_text() for path in sorted(pipeline.out.glob("*.jsonl"))]
    assert_no_secrets(*texts, tokens=tokens, where="the JSONL files")


def test_state_is_stored_and_the_next_run_resumes(pipeline: Pipeline, tmp_path: Path) -> None:
    """Meltano keeps the tap's bookmarks; the next run sends them back and reads less."""
    listed = org_truth.listed_users(pipeline.org)
    latest = max(listed, key=lambda u: parse_time(u["Modified_Time"]))
    bookmarks = pipeline.project.state(STATE_ID)["singer_state"]["bookmarks"]
    assert bookmarks["users"]["replication_key"] == "modified_time"
    assert org_truth.same_instant(
        bookmarks["users"]["replication_key_value"], latest["Modified_Time"]
    )

    out = tmp_path / "again"
    run = pipeline.project.meltano(
        "run",
        "tap-zoho-territories",
        "target-jsonl",
        env={
            "TAP_ZOHO_TERRITORIES_ACCOUNTS_SERVER": pipeline.emulator.url,
            "TARGET_JSONL_DESTINATION_PATH": str(out),
        },
    ).check()
    assert "with bookmark value: None" in pipeline.run.stderr
    assert "with bookmark value: None" not in run.stderr
    assert "No state was found" not in run.stderr
    again = [u for u in jsonl(out / "users.jsonl") if u["status"] != "deleted"]
    assert 0 < len(again) < len(listed)
    bookmark = parse_time(bookmarks["users"]["replication_key_value"])
    assert all(parse_time(u["modified_time"]) >= bookmark for u in again)
    # The deleted users are read in full every run.
    deleted = {u["id"] for u in jsonl(out / "users.jsonl") if u["status"] == "deleted"}
    assert deleted == {u["id"] for u in org_truth.deleted_users(pipeline.org)}
    # Full-table streams are read whole again.
    assert len(jsonl(out / "territory_users.jsonl")) == len(pipeline.org["assignments"])


def test_target_jsonl_tolerates_activate_version(pipeline: Pipeline) -> None:
    """target-jsonl 0.1.4 does not know ACTIVATE_VERSION: it warns once per stream, goes on."""
    warned = [
        line
        for line in pipeline.run.stderr.splitlines()
        if "Unknown message type ACTIVATE_VERSION" in line
    ]
    assert warned
    assert len(warned) <= len(DEFAULT_STREAMS)
