"""The tap's territory_users stream, renamed by a stream map, fed into the target."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.env import clean_env
from tests.support.org import GENERATED, Org, emulator_org
from tests.support.secrets_check import check_run
from tests.support.target_run import BIN, run_target, write_config

# `id` is the user in territory_users; keep only the two ids, keyed by both.
STREAM_MAPS = {
    "territory_users": {
        "user_id": "id",
        "territory_id": "territory_id",
        "__else__": "__NULL__",
        "__key_properties__": ["territory_id", "user_id"],
    }
}


@pytest.fixture(scope="module")
def source() -> Iterator[Org]:
    """The org the tap reads."""
    yield from emulator_org(*GENERATED, "--seed", "5")


@pytest.fixture(scope="module")
def destination() -> Iterator[Org]:
    """The org the target writes: the same org, with assignments removed first."""
    yield from emulator_org(*GENERATED, "--seed", "5")


def tap_territory_users(org: Org, tmp_path: Path) -> str:
    """Run the real tap with only territory_users selected; its Singer output."""
    config = write_config(org.config(), tmp_path)
    tap = str(BIN / "tap-zoho-territories")
    discovered = subprocess.run(
        [tap, "--config", str(config), "--discover"],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
    )
    catalog = json.loads(discovered.stdout)
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] == "territory_users"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    synced = subprocess.run(
        [tap, "--config", str(config), "--catalog", str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
    )
    check_run(org.config(), synced.stdout, synced.stderr, where="the tap's output")
    return synced.stdout


def test_territory_users_through_a_stream_map_restore_the_org(
    source: Org, destination: Org, tmp_path
) -> None:
    destination.reset()
    wanted = source.assignments()
    active = set(destination.active_users())  # Zoho refuses to add inactive users back
    removable = sorted(
        (u, t)
        for u, t in wanted - set(destination.managed())
        if t != destination.root and u in active
    )[:60]
    assert removable
    removing = [
        {"type": "RECORD", "stream": "x", "record": {"user_id": u, "territory_id": t}}
        for u, t in removable
    ]
    schema = {
        "type": "SCHEMA",
        "stream": "x",
        "schema": {"properties": {"user_id": {}, "territory_id": {}, "action": {}}},
    }
    for message in removing:
        message["record"]["action"] = "remove"
    assert run_target(destination.config(), [schema, *removing], tmp_path).returncode == 0
    assert destination.assignments() == wanted - set(removable)
    destination.emulator.reset_stats()
    singer = tap_territory_users(source, tmp_path)

    run = run_target(destination.config(stream_maps=STREAM_MAPS), singer.splitlines(), tmp_path)

    assert run.returncode == 0, run.stderr
    assert destination.assignments() == wanted
    assert run.outcomes == {"added": len(removable), "unchanged": len(wanted) - len(removable)}
    assert {r["stream"] for r in run.results} == {"territory_users"}
    assert all(set(r["record"]) == {"user_id", "territory_id"} for r in run.results)
    writes = sum(n for k, n in destination.writes().items())
    assert writes <= len({t for _, t in wanted})
    assert run.states, "the tap's STATE comes back once its records are answered"
