"""The repo's meltano.yml as a throwaway Meltano project, installed once per test session.

The project lives in a temporary directory, so the tests never touch the repo's `.meltano/`,
`output/` or `.env`. Its meltano.yml is the repo's, with one change: `pip_url: -e .` becomes
`-e <repo>` (a relative path would point at the temporary directory). `meltano install` runs
once per session (plugin venvs under the temporary `.meltano/`, made with uv). Each test then
gets its own system database (`MELTANO_DATABASE_URI`, so state never leaks between tests),
its own output paths and its own emulators, passed as environment variables, which Meltano
ranks above everything in meltano.yml.

Meltano itself comes from `.venv-meltano` (`make meltano`; `make test` makes it first).
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.env import clean_env
from tests.support.secrets_check import assert_no_secrets, emulator_tokens

ROOT = Path(__file__).resolve().parents[2]
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"


def meltano_env(**extra: str) -> dict[str, str]:
    """The process environment for Meltano: telemetry off, no stray plugin settings."""
    return clean_env(MELTANO_SEND_ANONYMOUS_USAGE_STATS="false", **extra)


@dataclass
class MeltanoRun:
    """One finished Meltano command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def check(self) -> MeltanoRun:
        """Fail with the end of the log unless the command succeeded."""
        assert self.returncode == 0, (
            f"meltano {' '.join(self.args)} exited {self.returncode}:\n{self.stderr[-6000:]}"
        )
        return self


@dataclass
class MeltanoProject:
    """A view of the installed project with one test's system database and settings."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    def meltano(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
        timeout: float = 300,
    ) -> MeltanoRun:
        """Run ``meltano ARGS`` in the project with this view's environment (plus ``env``).

        Meltano and the plugins log at DEBUG, and everything the run printed is checked for
        the sample credentials and for every access token the emulators it used issued.
        """
        started = time.monotonic()
        run_env = {**self.env, **(env or {})}
        proc = subprocess.run(
            [str(MELTANO), "--log-level=debug", *args],
            cwd=self.root,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=meltano_env(**run_env),
            check=False,
        )
        servers = {v for k, v in run_env.items() if k.endswith("_ACCOUNTS_SERVER")}
        tokens = [token for url in sorted(servers) for token in emulator_tokens(url)]
        assert_no_secrets(
            proc.stdout, proc.stderr, tokens=tokens, where=f"the output of meltano {args[0]}"
        )
        return MeltanoRun(
            args, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started
        )

    def state(self, state_id: str) -> dict[str, Any]:
        """``meltano state get STATE_ID``."""
        run = self.meltano("state", "get", state_id).check()
        return dict(json.loads(run.stdout))


def project_yaml() -> dict[str, Any]:
    """The repo's meltano.yml with editable pip_urls pointing at the repo."""
    doc = yaml.safe_load((ROOT / "meltano.yml").read_text())
    for kind in ("extractors", "loaders"):
        for plugin in doc["plugins"].get(kind, []):
            if plugin.get("pip_url") == "-e .":
                plugin["pip_url"] = f"-e {ROOT}"
    return dict(doc)


@functools.cache
def installed_project() -> Path:
    """Write the project into a temporary directory and `meltano install` it (once)."""
    if not MELTANO.exists():
        raise RuntimeError(f"{MELTANO} is missing: run `make meltano` (make test does it)")
    root = Path(tempfile.mkdtemp(prefix="meltano-project-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    (root / "meltano.yml").write_text(yaml.safe_dump(project_yaml(), sort_keys=False))
    project = MeltanoProject(root, {"MELTANO_DATABASE_URI": f"sqlite:///{root}/install.db"})
    # Bytecode compiled at install: every plugin start (three per `meltano run`) then skips
    # compiling its imports, which more than pays for the seconds it adds here.
    project.meltano("install", timeout=900, env={"UV_COMPILE_BYTECODE": "1"}).check()
    return root


def project_for(tmp_path: Path, **env: str) -> MeltanoProject:
    """The installed project with a system database (so a state store) of the test's own."""
    return MeltanoProject(
        installed_project(), {"MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}", **env}
    )


def jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
