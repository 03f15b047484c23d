"""orgs.yml: the Zoho orgs to run, how to run Meltano for them, and each run's environment.

Pure functions (no Dagster): `parse` checks a loaded orgs.yml and returns a `Fleet`;
`run_environment` builds the environment of one org's `meltano run` from the process
environment; `meltano_command` the command line. Credentials are named in orgs.yml by their
environment variables and read only when that org's run starts; a value never appears in an
error, a log line or Dagster's metadata.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ORGS_FILE_ENV = "ZOHO_ORGS_FILE"
DEFAULT_ORGS_FILE = Path(__file__).resolve().parent.parent / "orgs.yml"

# A partition key, a Dagster mapping key and a Meltano state id suffix alike.
NAME = re.compile(r"^[A-Za-z0-9_]+$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CREDENTIALS = ("client_id", "client_secret", "refresh_token")
# What meltano.yml's `prod` environment reads for both plugins.
ZOHO_VARIABLES = {
    "client_id": "ZOHO_CLIENT_ID",
    "client_secret": "ZOHO_CLIENT_SECRET",
    "refresh_token": "ZOHO_REFRESH_TOKEN",
}
DATA_CENTER_VARIABLE = "ZOHO_DATA_CENTER"
# Inherited variables that could point one org's run at another org: never passed on.
ZOHO_PREFIXES = ("ZOHO_", "TAP_ZOHO_TERRITORIES", "TARGET_ZOHO_TERRITORIES")
# Meltano 4 writes a run's catalog to .meltano/run/<extractor>/tap.properties.json, one file per
# project (meltano/meltano#8763), so two runs of one extractor at once break each other. Each
# org's run gets a Meltano system directory of its own (MELTANO_SYS_DIR_ROOT, under the shared
# one's orgs/) whose plugin folders link to the project's installed plugins.
SYS_DIR_VARIABLE = "MELTANO_SYS_DIR_ROOT"
PLUGIN_DIRS = (
    "extractors",
    "loaders",
    "mappers",
    "utilities",
    "transformers",
    "transforms",
    "orchestrators",
    "files",
)


class OrgsError(ValueError):
    """orgs.yml or the environment of an org's run is not usable; the message says why."""


@dataclass(frozen=True)
class Org:
    """One Zoho org: a partition."""

    name: str
    data_center: str
    credentials: Mapping[str, str]  # setting -> name of the environment variable
    env: Mapping[str, str] = field(default_factory=dict)  # more settings for this org's run


@dataclass(frozen=True)
class Fleet:
    """Every org, and how to run Meltano for each."""

    orgs: tuple[Org, ...]
    project_dir: Path
    executable: str
    environment: str
    run: tuple[str, ...]
    timeout_seconds: float
    max_parallel: int

    @property
    def names(self) -> list[str]:
        """The partition keys, in the file's order."""
        return [org.name for org in self.orgs]

    def org(self, name: str) -> Org:
        """The org of a partition key."""
        for org in self.orgs:
            if org.name == name:
                return org
        raise OrgsError(f"no org named {name!r} in orgs.yml (orgs: {', '.join(self.names)})")

    def state_id(self, org: Org) -> str:
        """The Meltano state id of the org's pipeline (`--state-id-suffix`)."""
        extractor, loader = self.run[0], self.run[-1]
        return f"{self.environment}:{extractor}-to-{loader}:{org.name}"


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise OrgsError(f"orgs.yml: {where} must be a non-empty string")
    return value.strip()


def _org(raw: Any, index: int) -> Org:
    where = f"orgs[{index}]"
    if not isinstance(raw, Mapping):
        raise OrgsError(f"orgs.yml: {where} must be a mapping with name, data_center, credentials")
    unknown = set(raw) - {"name", "data_center", "credentials", "env"}
    if unknown:
        raise OrgsError(f"orgs.yml: {where} has unknown keys: {', '.join(sorted(unknown))}")
    name = _text(raw.get("name"), f"{where}.name")
    if not NAME.match(name):
        raise OrgsError(
            f"orgs.yml: org name {name!r} may hold only letters, digits and '_' "
            "(it is a Dagster partition key and a Meltano state id suffix)"
        )
    where = f"org {name}"
    credentials = raw.get("credentials")
    if not isinstance(credentials, Mapping) or set(credentials) != set(CREDENTIALS):
        raise OrgsError(
            f"orgs.yml: {where}: credentials must name the environment variables of exactly "
            f"{', '.join(CREDENTIALS)}"
        )
    for setting, variable in credentials.items():
        if not isinstance(variable, str) or not ENV_NAME.match(variable):
            raise OrgsError(
                f"orgs.yml: {where}: credentials.{setting} must be the name of an environment "
                "variable (the value itself never goes in orgs.yml)"
            )
    env = raw.get("env") or {}
    if not isinstance(env, Mapping) or not all(
        isinstance(k, str) and ENV_NAME.match(k) and isinstance(v, (str, int, float, bool))
        for k, v in env.items()
    ):
        raise OrgsError(f"orgs.yml: {where}: env must map variable names to plain values")
    for key in env:
        if key.startswith("ZOHO_") or key.endswith(("_CLIENT_SECRET", "_REFRESH_TOKEN")):
            raise OrgsError(
                f"orgs.yml: {where}: env must not set {key}: credentials and the data centre "
                "come from credentials and data_center"
            )
    values = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in env.items()}
    return Org(
        name, _text(raw.get("data_center"), f"{where}.data_center"), dict(credentials), values
    )


def parse(doc: Any, base: Path) -> Fleet:
    """Check a loaded orgs.yml; relative paths in it are relative to `base`, its folder."""
    if not isinstance(doc, Mapping):
        raise OrgsError("orgs.yml must be a mapping with `meltano` and `orgs`")
    meltano = doc.get("meltano")
    meltano = {} if meltano is None else meltano
    if not isinstance(meltano, Mapping):
        raise OrgsError("orgs.yml: meltano must be a mapping")
    raw_orgs = doc.get("orgs")
    if not isinstance(raw_orgs, list) or not raw_orgs:
        raise OrgsError("orgs.yml: orgs must be a non-empty list")
    orgs = tuple(_org(raw, i) for i, raw in enumerate(raw_orgs))
    names = [org.name for org in orgs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise OrgsError(f"orgs.yml: org names must be unique: {', '.join(duplicates)}")
    run = meltano.get("run", ["tap-zoho-territories", "target-jsonl"])
    if not isinstance(run, list) or len(run) < 2 or not all(isinstance(p, str) for p in run):
        raise OrgsError("orgs.yml: meltano.run must list an extractor and a loader (and mappers)")
    executable = _text(meltano.get("executable", "meltano"), "meltano.executable")
    if "/" in executable:
        executable = str((base / executable).resolve())
    timeout = meltano.get("timeout_seconds", 6 * 3600)
    parallel = meltano.get("max_parallel", len(orgs))
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise OrgsError("orgs.yml: meltano.timeout_seconds must be a positive number")
    if not isinstance(parallel, int) or parallel < 1:
        raise OrgsError("orgs.yml: meltano.max_parallel must be a positive integer")
    return Fleet(
        orgs=orgs,
        project_dir=(
            base / _text(meltano.get("project_dir", "."), "meltano.project_dir")
        ).resolve(),
        executable=executable,
        environment=_text(meltano.get("environment", "prod"), "meltano.environment"),
        run=tuple(run),
        timeout_seconds=float(timeout),
        max_parallel=parallel,
    )


def orgs_file(environ: Mapping[str, str] = os.environ) -> Path:
    """Where orgs.yml is: $ZOHO_ORGS_FILE, else the one beside this package."""
    return Path(environ.get(ORGS_FILE_ENV) or DEFAULT_ORGS_FILE).resolve()


def load(path: Path) -> Fleet:
    """Read and check orgs.yml."""
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise OrgsError(f"cannot read {path} ({exc.strerror}); set {ORGS_FILE_ENV}") from exc
    except yaml.YAMLError as exc:
        raise OrgsError(f"{path} is not valid YAML: {exc}") from exc
    return parse(doc, path.parent)


def shared_sys_dir(fleet: Fleet, environ: Mapping[str, str]) -> Path:
    """The project's Meltano system directory, where `meltano install` put the plugins."""
    return Path(environ.get(SYS_DIR_VARIABLE) or fleet.project_dir / ".meltano")


def org_sys_dir(fleet: Fleet, org: Org, environ: Mapping[str, str]) -> Path:
    """The org's own Meltano system directory (its run files, logs and catalog)."""
    return shared_sys_dir(fleet, environ) / "orgs" / org.name


def run_environment(fleet: Fleet, org: Org, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the org's `meltano run`.

    The process environment, less every org's credential variables and anything that sets
    the Zoho plugins (`ZOHO_*`, `TAP_ZOHO_TERRITORIES*`, `TARGET_ZOHO_TERRITORIES*`), plus this
    org's credentials as `ZOHO_CLIENT_ID`, `ZOHO_CLIENT_SECRET`, `ZOHO_REFRESH_TOKEN`, its
    `ZOHO_DATA_CENTER`, its `env`, and its own system directory; the system database stays
    the project's (MELTANO_DATABASE_URI if set, else the shared directory's meltano.db), so
    `meltano state list` shows every org's state.
    """
    missing = [
        f"{variable} (its {setting})"
        for setting, variable in org.credentials.items()
        if not environ.get(variable)
    ]
    if missing:
        noun, verb = ("variable", "is") if len(missing) == 1 else ("variables", "are")
        raise OrgsError(
            f"org {org.name}: environment {noun} {', '.join(missing)} {verb} not set; set "
            "them where Dagster runs (the values stay out of orgs.yml)"
        )
    env = base_environment(fleet, environ)
    for setting, variable in org.credentials.items():
        env[ZOHO_VARIABLES[setting]] = environ[variable]
    env[DATA_CENTER_VARIABLE] = org.data_center
    env.update(org.env)
    env[SYS_DIR_VARIABLE] = str(org_sys_dir(fleet, org, environ))
    return env


def base_environment(fleet: Fleet, environ: Mapping[str, str]) -> dict[str, str]:
    """The process environment without any org's credentials or Zoho settings.

    The system database is the project's: MELTANO_DATABASE_URI, else the shared directory's
    meltano.db.
    """
    named = {variable for org in fleet.orgs for variable in org.credentials.values()}
    env = {
        key: value
        for key, value in environ.items()
        if key not in named and not key.startswith(ZOHO_PREFIXES)
    }
    shared = shared_sys_dir(fleet, environ)
    env.setdefault("MELTANO_DATABASE_URI", f"sqlite:///{shared / 'meltano.db'}")
    return env


def meltano_command(fleet: Fleet, org: Org) -> list[str]:
    """`meltano --environment ENV run --state-id-suffix ORG EXTRACTOR ... LOADER`."""
    return [
        fleet.executable,
        "--environment",
        fleet.environment,
        "run",
        "--state-id-suffix",
        org.name,
        *fleet.run,
    ]


def secret_values(fleet: Fleet, environ: Mapping[str, str]) -> Sequence[str]:
    """Every org's client secret and refresh token, as set now (to keep out of messages)."""
    return [
        environ[org.credentials[setting]]
        for org in fleet.orgs
        for setting in ("client_secret", "refresh_token")
        if environ.get(org.credentials[setting])
    ]
