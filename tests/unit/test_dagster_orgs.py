"""orgs.yml and each org's run environment (orchestration/dagster/zoho_orgs/orgs.py, pure).

The module imports no Dagster (only PyYAML), so it is tested here in the project's venv; the
Dagster definitions themselves run in tests/pipeline/test_dagster.py.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "orchestration" / "dagster"))

from zoho_orgs.orgs import (  # noqa: E402
    DEFAULT_ORGS_FILE,
    OrgsError,
    load,
    meltano_command,
    orgs_file,
    parse,
    run_environment,
)

BASE = Path("/srv/orchestration")


def org(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "data_center": "eu",
        "credentials": {
            "client_id": f"{name.upper()}_ID",
            "client_secret": f"{name.upper()}_SECRET",
            "refresh_token": f"{name.upper()}_TOKEN",
        },
        **extra,
    }


def doc(*orgs: dict[str, Any], **meltano: Any) -> dict[str, Any]:
    return {"meltano": {"project_dir": "../project", **meltano}, "orgs": list(orgs)}


def test_the_repo_orgs_file_parses() -> None:
    fleet = load(DEFAULT_ORGS_FILE)
    assert fleet.names == ["acme_eu", "acme_us", "globex_in"]
    assert fleet.project_dir == ROOT
    assert fleet.executable == str(ROOT / ".venv-meltano" / "bin" / "meltano")
    assert orgs_file({}) == DEFAULT_ORGS_FILE
    assert orgs_file({"ZOHO_ORGS_FILE": "/tmp/x.yml"}) == Path("/tmp/x.yml")


def test_defaults_paths_and_the_command() -> None:
    fleet = parse(doc(org("a"), org("b")), BASE)
    assert fleet.project_dir == Path("/srv/project")
    assert fleet.executable == "meltano"  # on PATH
    assert fleet.environment == "prod"
    assert fleet.max_parallel == 2  # every org at once
    a = fleet.org("a")
    assert fleet.state_id(a) == "prod:tap-zoho-territories-to-target-jsonl:a"
    assert meltano_command(fleet, a) == [
        "meltano",
        "--environment",
        "prod",
        "run",
        "--state-id-suffix",
        "a",
        "tap-zoho-territories",
        "target-jsonl",
    ]
    with pytest.raises(OrgsError, match="no org named 'c'"):
        fleet.org("c")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (doc(org("a-b")), "may hold only letters, digits and '_'"),
        (doc(org("a"), org("a")), "must be unique: a"),
        (doc(), "orgs must be a non-empty list"),
        (doc({**org("a"), "credentials": {"client_id": "X"}}), "exactly client_id"),
        (
            doc(
                {**org("a"), "credentials": {**org("a")["credentials"], "refresh_token": "1000.x"}}
            ),
            "must be the name of an environment variable",
        ),
        (doc(org("a", env={"ZOHO_CLIENT_SECRET": "x"})), "must not set ZOHO_CLIENT_SECRET"),
        (doc(org("a", env={"TARGET_X_REFRESH_TOKEN": "x"})), "must not set"),
        (doc(org("a", region="x")), "unknown keys: region"),
        (doc(org("a"), run=["tap-zoho-territories"]), "an extractor and a loader"),
        (doc(org("a"), max_parallel=0), "max_parallel"),
        ({**doc(org("a")), "meltano": []}, "meltano must be a mapping"),
    ],
)
def test_bad_orgs_files_say_what_is_wrong(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(OrgsError, match=message):
        parse(bad, BASE)


def test_the_run_environment_holds_only_this_orgs_credentials() -> None:
    fleet = parse(
        doc(org("a", env={"TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": "zoho_a"}), org("b")), BASE
    )
    environ = {
        "PATH": "/usr/bin",
        "A_ID": "1000.AID",
        "A_SECRET": "a-secret",
        "A_TOKEN": "1000.a-token",
        "B_ID": "1000.BID",
        "B_SECRET": "b-secret",
        "B_TOKEN": "1000.b-token",
        # Set where Dagster runs: each would point every org at one org's settings.
        "ZOHO_REFRESH_TOKEN": "1000.stray",
        "TAP_ZOHO_TERRITORIES_CLIENT_SECRET": "stray",
        "TARGET_ZOHO_TERRITORIES__MIRROR_REFRESH_TOKEN": "stray",
    }
    env = run_environment(fleet, fleet.org("a"), environ)
    assert env["ZOHO_CLIENT_ID"] == "1000.AID"
    assert env["ZOHO_CLIENT_SECRET"] == "a-secret"
    assert env["ZOHO_REFRESH_TOKEN"] == "1000.a-token"
    assert env["ZOHO_DATA_CENTER"] == "eu"
    assert env["TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA"] == "zoho_a"
    assert env["PATH"] == "/usr/bin"
    assert "stray" not in " ".join(env.values())
    for name in ("A_SECRET", "A_TOKEN", "B_ID", "B_SECRET", "B_TOKEN"):
        assert name not in env
    # Its own Meltano system directory; the project's system database.
    assert env["MELTANO_SYS_DIR_ROOT"] == "/srv/project/.meltano/orgs/a"
    assert env["MELTANO_DATABASE_URI"] == "sqlite:////srv/project/.meltano/meltano.db"
    given = {**environ, "MELTANO_DATABASE_URI": "postgresql://m@db/meltano"}
    given["MELTANO_SYS_DIR_ROOT"] = "/var/meltano"
    env = run_environment(fleet, fleet.org("a"), given)
    assert env["MELTANO_DATABASE_URI"] == "postgresql://m@db/meltano"
    assert env["MELTANO_SYS_DIR_ROOT"] == "/var/meltano/orgs/a"


def test_missing_credentials_are_named_never_shown() -> None:
    fleet = parse(doc(org("a")), BASE)
    with pytest.raises(OrgsError) as raised:
        run_environment(fleet, fleet.org("a"), {"A_ID": "1000.AID", "A_SECRET": "a-secret"})
    assert str(raised.value).startswith(
        "org a: environment variable A_TOKEN (its refresh_token) is not set"
    )
    assert "a-secret" not in str(raised.value)
    with pytest.raises(OrgsError, match=r"variables A_ID .* are not set"):
        run_environment(fleet, fleet.org("a"), {})
