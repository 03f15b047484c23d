"""Many orgs on Dagster: three partitions, three emulator orgs, three `meltano run`s at once.

The Dagster project in orchestration/dagster/ runs from its own venv (`.venv-dagster`), with an
orgs.yml written here: three orgs, each an emulator with credentials of its own (a run handed
another org's credentials would be refused), plus one whose credential variables are not
set. `dagster asset materialize --partition-range org_a...org_c` materialises the three in
one run; the multiprocess executor runs each org's step in its own process. Then each org's
JSONL output is its own emulator's data, each org has its own Meltano state id with its own
bookmarks, Dagster records the three partitions, and nothing printed or stored holds a
secret. The broken org fails with a message naming the missing variables.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_zoho_territories.records import parse_time
from tests.support import org_truth
from tests.support.meltano_project import (
    MELTANO,
    ROOT,
    MeltanoProject,
    installed_project,
    jsonl,
    meltano_env,
)
from tests.support.secrets_check import assert_no_secrets, emulator_tokens
from zoho_crm_emulator.process import EmulatorProcess

DAGSTER_BIN = ROOT / ".venv-dagster" / "bin"
ORGS = {  # name -> territories, users, seed: three different orgs
    "org_a": ("8", "30", "41"),
    "org_b": ("10", "45", "42"),
    "org_c": ("12", "60", "43"),
}
BROKEN = "org_broken"
PIPELINE = ("tap-zoho-territories", "target-jsonl")
# The run's steps and the partitions Dagster holds as materialised, read from its instance.
INSPECT = """
import json, sys
import dagster as dg
instance = dg.DagsterInstance.get()
run = instance.get_run_records(limit=1)[0].dagster_run
pids = {}
for entry in instance.all_logs(run.run_id):
    event = entry.dagster_event
    if event is not None and event.event_type_value == "STEP_START":
        pids[entry.step_key] = event.pid
print(json.dumps({
    "status": run.status.value,
    "step_pids": pids,
    "executor": run.run_config.get("execution", {}),
    "partitions": sorted(instance.get_materialized_partitions(dg.AssetKey("zoho_territories"))),
}))
"""


SECRETS = {
    name: (f"{name}-secret-{secrets.token_hex(8)}", f"1000.{name}-refresh-{secrets.token_hex(8)}")
    for name in ORGS
}
CLIENT_IDS = {name: f"1000.{name.upper()}CLIENTID" for name in ORGS}


def credentials(name: str) -> tuple[str, ...]:
    secret, token = SECRETS[name]
    return ("--client-id", CLIENT_IDS[name], "--client-secret", secret, "--refresh-token", token)


def size(name: str) -> tuple[str, ...]:
    territories, users, seed = ORGS[name]
    return (
        "--org",
        "generated",
        "--territories",
        territories,
        "--users",
        users,
        "--groups",
        "2",
        "--seed",
        seed,
    )


def variable(org: str, setting: str) -> str:
    return f"{org.upper()}_ZOHO_{setting.upper()}"


@dataclass
class Org:
    name: str
    emulator: EmulatorProcess
    secret: str
    refresh_token: str
    out: Path

    def records(self, stream: str) -> list[dict[str, Any]]:
        return jsonl(self.out / f"{stream}.jsonl")


@dataclass
class Fleet:
    orgs: dict[str, Org]
    env: dict[str, str]
    home: Path
    cwd: Path
    run: subprocess.CompletedProcess[str]
    project: MeltanoProject

    def dagster(self, *args: str) -> subprocess.CompletedProcess[str]:
        return dagster(self.cwd, self.env, *args)

    def inspect(self) -> dict[str, Any]:
        done = subprocess.run(
            [str(DAGSTER_BIN / "python"), "-c", INSPECT],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return dict(json.loads(done.stdout))

    def secrets_and_tokens(self) -> list[str]:
        out = []
        for org in self.orgs.values():
            out += [org.secret, org.refresh_token, *emulator_tokens(org.emulator.url)]
        return out


def dagster(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DAGSTER_BIN / "dagster"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )


def materialize(*partition: str) -> tuple[str, ...]:
    return (
        "asset",
        "materialize",
        "-m",
        "zoho_orgs.definitions",
        "--select",
        "zoho_territories",
        *partition,
    )


def orgs_yml(orgs: dict[str, Org], project: Path) -> dict[str, Any]:
    entries = [
        {
            "name": org.name,
            "data_center": "us",
            "credentials": {
                s: variable(org.name, s) for s in ("client_id", "client_secret", "refresh_token")
            },
            "env": {
                "TAP_ZOHO_TERRITORIES_ACCOUNTS_SERVER": org.emulator.url,
                "TARGET_JSONL_DESTINATION_PATH": str(org.out),
            },
        }
        for org in orgs.values()
    ]
    entries.append(
        {
            "name": BROKEN,
            "data_center": "eu",
            "credentials": {
                s: variable(BROKEN, s) for s in ("client_id", "client_secret", "refresh_token")
            },
        }
    )
    return {
        "meltano": {
            "project_dir": str(project),
            "executable": str(MELTANO),
            "environment": "prod",
            "run": list(PIPELINE),
            "max_parallel": 3,
            "timeout_seconds": 600,
        },
        "orgs": entries,
    }


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    tmp = tmp_path_factory.mktemp("dagster")
    project = installed_project()
    with (
        EmulatorProcess(*credentials("org_a"), *size("org_a")) as a,
        EmulatorProcess(*credentials("org_b"), *size("org_b")) as b,
        EmulatorProcess(*credentials("org_c"), *size("org_c")) as c,
    ):
        orgs = {}
        env = meltano_env(
            DAGSTER_HOME=str(tmp / "dagster-home"),
            ZOHO_ORGS_FILE=str(tmp / "orgs.yml"),
            MELTANO_DATABASE_URI=f"sqlite:///{tmp / 'meltano.db'}",
            MELTANO_CLI_LOG_LEVEL="debug",
        )
        for name, emulator in zip(ORGS, (a, b, c), strict=True):
            secret, token = SECRETS[name]
            orgs[name] = Org(name, emulator, secret, token, tmp / "out" / name)
            env[variable(name, "client_id")] = CLIENT_IDS[name]
            env[variable(name, "client_secret")] = secret
            env[variable(name, "refresh_token")] = token
        (tmp / "orgs.yml").write_text(yaml.safe_dump(orgs_yml(orgs, project), sort_keys=False))
        home = tmp / "dagster-home"
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        cwd = tmp / "cwd"
        cwd.mkdir()
        run = dagster(cwd, env, *materialize("--partition-range", "org_a...org_c"))
        meltano = MeltanoProject(project, {"MELTANO_DATABASE_URI": env["MELTANO_DATABASE_URI"]})
        yield Fleet(orgs, env, home, cwd, run, meltano)


def test_the_run_materialises_the_three_partitions_in_parallel_processes(fleet: Fleet) -> None:
    assert fleet.run.returncode == 0, fleet.run.stderr[-6000:]
    seen = fleet.inspect()
    assert seen["status"] == "SUCCESS"
    assert seen["partitions"] == sorted(ORGS)
    sync_steps = {
        k: v for k, v in seen["step_pids"].items() if k.startswith("zoho_territories.sync_org[")
    }
    assert sorted(sync_steps) == [f"zoho_territories.sync_org[{name}]" for name in sorted(ORGS)]
    # The multiprocess executor: every step in a process of its own.
    pids = list(seen["step_pids"].values())
    assert len(set(pids)) == len(pids)


def test_each_org_output_is_its_own_org(fleet: Fleet) -> None:
    truths = {}
    for org in fleet.orgs.values():
        truth = org.emulator.state()
        territories = {(t["id"], t["name"]) for t in org.records("territories")}
        assert territories == {(t["id"], t["name"]) for t in truth["territories"]}
        pairs = {(r["territory_id"], r["id"]) for r in org.records("territory_users")}
        assert pairs == org_truth.assignment_pairs(truth)
        emails = {u["email"] for u in org.records("users")}
        assert emails == {u["email"] for u in truth["users"]}  # the deleted users too
        truths[org.name] = territories
    # The three orgs differ, so a run that read another org's Zoho would be caught.
    assert len({frozenset(t) for t in truths.values()}) == len(ORGS)


def test_each_org_has_its_own_state(fleet: Fleet) -> None:
    listed = fleet.project.meltano("state", "list").check().stdout.split()
    ids = {name: f"prod:{PIPELINE[0]}-to-{PIPELINE[1]}:{name}" for name in ORGS}
    assert sorted(line for line in listed if line.startswith("prod:")) == sorted(ids.values())
    for name, state_id in ids.items():
        bookmarks = fleet.project.state(state_id)["singer_state"]["bookmarks"]
        users = org_truth.listed_users(fleet.orgs[name].emulator.state())
        latest = max(users, key=lambda u: parse_time(u["Modified_Time"]))
        assert org_truth.same_instant(
            bookmarks["users"]["replication_key_value"], latest["Modified_Time"]
        )


def test_no_secret_in_what_dagster_printed_or_stored(fleet: Fleet) -> None:
    texts = [fleet.run.stdout, fleet.run.stderr]
    for path in sorted(fleet.home.rglob("*")):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", errors="replace"))
    for org in fleet.orgs.values():
        texts += [path.read_text() for path in sorted(org.out.glob("*.jsonl"))]
    assert_no_secrets(
        *texts, tokens=fleet.secrets_and_tokens(), where="Dagster's output and storage"
    )


def test_an_org_without_credentials_fails_loudly_and_alone(fleet: Fleet) -> None:
    before = fleet.project.meltano("state", "list").check().stdout.split()
    failed = fleet.dagster(*materialize("--partition", BROKEN))
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    for setting in ("client_id", "client_secret", "refresh_token"):
        assert variable(BROKEN, setting) in output
    assert f"org {BROKEN}: environment variables" in output
    assert fleet.project.meltano("state", "list").check().stdout.split() == before
    assert BROKEN not in fleet.inspect()["partitions"]
