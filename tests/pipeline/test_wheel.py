"""The built wheel, not the editable install: what a user gets from `pip install`.

The wheel of `make dist` (`dist/`, when it is newer than every source file; else one built
here with `python -m build --wheel`) is installed with pip into a fresh virtual environment.
Every command then runs from that environment's `bin/`, in a temporary directory, with no
PYTHONPATH, so nothing can come from this source tree: `--version` and `--about` of the three
programs, the emulator started from its console script, a short tap sync into a file, and a
target dry run against that emulator. Last, what docs/meltano.md tells users outside this repo
to do: a new Meltano project (`meltano init`) adds both plugins from the Hub definitions in
`hub/` (`meltano add --from-ref`), installs them from the wheel (`pip_url`) and runs them; and
a user's own pytest test, in that venv, gets an emulator from the wheel's `zoho_emulator`
fixture.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import org_truth
from tests.support.distribution import wheel_packages
from tests.support.env import clean_env
from tests.support.meltano_project import MELTANO, MeltanoProject, jsonl, meltano_env
from tests.support.secrets_check import check_run
from tests.support.target_run import SCHEMA, record, to_lines
from zoho_crm_emulator.process import EmulatorProcess

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = tuple(wheel_packages())
PROGRAMS = ("tap-zoho-territories", "target-zoho-territories", "zoho-crm-emulator")
VERSION = version("tap-zoho-territories")
ORG = ("--org", "generated", "--territories", "12", "--users", "40", "--groups", "2")


def newest_source() -> float:
    """The last change to anything the wheel is built from."""
    files = [ROOT / "pyproject.toml", ROOT / "README.md", ROOT / "LICENSE"]
    for package in PACKAGES:
        files += [
            p for p in (ROOT / package).rglob("*") if p.is_file() and "__pycache__" not in p.parts
        ]
    return max(p.stat().st_mtime for p in files)


def built_wheel(tmp: Path) -> Path:
    """`make dist`'s wheel if it is current, else a new one."""
    made = sorted((ROOT / "dist").glob(f"tap_zoho_territories-{VERSION}-*.whl"))
    if made and made[-1].stat().st_mtime >= newest_source():
        return made[-1]
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp), str(ROOT)],
        capture_output=True,
        check=True,
        timeout=600,
    )
    return next(tmp.glob("*.whl"))


@dataclass
class Installed:
    """A fresh venv with the wheel installed, and a place to run in."""

    wheel: Path
    bin: Path
    cwd: Path

    def run(
        self, program: str, *args: str, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = clean_env()
        env.pop("PYTHONPATH", None)
        return subprocess.run(
            [str(self.bin / program), *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self.cwd,
            env=env,
            timeout=300,
            check=False,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = built_wheel(tmp / "dist")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        check=True,
        timeout=900,
    )
    work = tmp / "work"
    work.mkdir()
    return Installed(wheel, venv / "bin", work)


@pytest.fixture(scope="module")
def emulator(installed: Installed) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(*ORG, "--seed", "5", command=[installed.bin / "zoho-crm-emulator"]) as emu:
        yield emu


def test_the_wheel_holds_the_three_packages_typed_and_licensed(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    assert {name.split("/")[0] for name in names} == {
        *PACKAGES,
        f"tap_zoho_territories-{VERSION}.dist-info",
    }
    for package in PACKAGES:
        assert f"{package}/py.typed" in names
    info = f"tap_zoho_territories-{VERSION}.dist-info"
    assert f"{info}/licenses/LICENSE" in names
    entry_points = zipfile.ZipFile(installed.wheel).read(f"{info}/entry_points.txt").decode()
    for program in PROGRAMS:
        assert re.search(rf"^{program} = ", entry_points, re.MULTILINE), program


def test_imports_come_from_the_venv_not_the_source_tree(installed: Installed) -> None:
    code = (
        "import json, "
        + ", ".join(PACKAGES)
        + "; print(json.dumps(["
        + ", ".join(f"{p}.__file__" for p in PACKAGES)
        + "]))"
    )
    done = installed.run("python", "-c", code)
    assert done.returncode == 0, done.stderr
    venv = installed.bin.parent.resolve()
    for path in json.loads(done.stdout):
        assert Path(path).resolve().is_relative_to(venv), path
        assert (Path(path).parent / "py.typed").exists()


def test_versions_are_the_distribution_version(installed: Installed) -> None:
    expected = {
        "tap-zoho-territories": f"tap-zoho-territories v{VERSION}, Meltano SDK v0.54.9",
        "target-zoho-territories": f"target-zoho-territories v{VERSION}, Meltano SDK v0.54.9",
        "zoho-crm-emulator": f"zoho-crm-emulator {VERSION}",
    }
    for program, line in expected.items():
        done = installed.run(program, "--version")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == line


def test_about(installed: Installed) -> None:
    for program in ("tap-zoho-territories", "target-zoho-territories"):
        done = installed.run(program, "--about", "--format=json")
        assert done.returncode == 0, done.stderr
        about = json.loads(done.stdout)
        assert about["name"] == program
        assert about["version"] == VERSION
        settings = about["settings"]["properties"]
        assert {"client_id", "client_secret", "refresh_token", "data_center"} <= settings.keys()
        assert settings["client_secret"].get("secret") is True


def write_config(installed: Installed, name: str, config: dict[str, Any]) -> Path:
    path = installed.cwd / name
    path.write_text(json.dumps(config))
    return path


def test_a_tap_sync_into_a_file(installed: Installed, emulator: EmulatorProcess) -> None:
    config = emulator.config_for_tap()
    path = write_config(installed, "tap.json", config)
    done = installed.run("tap-zoho-territories", "--config", str(path))
    check_run(config, done.stdout, done.stderr, where="the installed tap's output")
    assert done.returncode == 0, done.stderr[-3000:]
    output = installed.cwd / "territory_data.singer"
    output.write_text(done.stdout)
    messages = [
        json.loads(line) for line in output.read_text().splitlines() if line.startswith("{")
    ]
    records = Counter(m["stream"] for m in messages if m["type"] == "RECORD")
    org = emulator.state()
    assert records["territories"] == len(org["territories"])
    assert records["territory_users"] == len(org["assignments"])
    # AllUsers, then the deleted users.
    assert records["users"] == len(org_truth.listed_users(org)) + len(org_truth.deleted_users(org))
    assert messages[-1]["type"] == "STATE"


def test_a_target_dry_run(installed: Installed, emulator: EmulatorProcess) -> None:
    org = emulator.state()
    me, root = org["current_user_id"], org["root_territory_id"]
    users = sorted(u["id"] for u in org["users"] if u["status"] == "active" and u["id"] != me)[:3]
    territory = next(t["id"] for t in org["territories"] if t["id"] != root)
    results = installed.cwd / "plan.jsonl"
    config = emulator.config_for_tap(dry_run=True, results_path=str(results))
    path = write_config(installed, "target.json", config)
    emulator.reset_stats()
    done = installed.run(
        "target-zoho-territories",
        "--config",
        str(path),
        stdin=to_lines([SCHEMA, *(record(u, territory) for u in users)]),
    )
    check_run(config, done.stdout, done.stderr, results.read_text(), where="the installed target")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(line["user_id"], line["territory_id"]) for line in lines] == [
        (u, territory) for u in users
    ]
    assert {line["outcome"] for line in lines} == {"planned"}
    writes = [key for key in emulator.stats()["requests"] if key.split()[0] in ("PUT", "DELETE")]
    assert writes == []


def test_a_new_meltano_project_adds_the_plugins_from_the_hub_files(
    installed: Installed, emulator: EmulatorProcess, tmp_path: Path
) -> None:
    root = tmp_path / "my-project"
    init = subprocess.run(
        [str(MELTANO), "init", str(root), "--no-usage-stats"],
        capture_output=True,
        text=True,
        env=meltano_env(),
        timeout=300,
        check=False,
    )
    assert init.returncode == 0, init.stderr[-3000:]
    project = MeltanoProject(root, {"MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}"})
    for kind, name in (
        ("extractor", "tap-zoho-territories"),
        ("loader", "target-zoho-territories"),
    ):
        ref = ROOT / "hub" / f"{kind}s" / f"{name}.yml"
        project.meltano(
            "add", "--plugin-type", kind, name, "--from-ref", str(ref), "--no-install"
        ).check()
    # Not on PyPI yet: point pip_url at the wheel (docs/meltano.md says so, or git+https://).
    meltano_yml = root / "meltano.yml"
    doc = yaml.safe_load(meltano_yml.read_text())
    for kind in ("extractors", "loaders"):
        (plugin,) = doc["plugins"][kind]
        assert plugin["pip_url"] == "tap-zoho-territories"
        plugin["pip_url"] = str(installed.wheel)
    meltano_yml.write_text(yaml.safe_dump(doc, sort_keys=False))
    project.meltano("install", timeout=900).check()

    results = tmp_path / "results.jsonl"
    stream_map = {
        "user_id": "id",
        "territory_id": "territory_id",
        "__else__": "__NULL__",
        "__key_properties__": ["territory_id", "user_id"],
    }
    credentials = emulator.config_for_tap()
    env = {}
    for prefix in ("TAP_ZOHO_TERRITORIES", "TARGET_ZOHO_TERRITORIES"):
        for key in ("client_id", "client_secret", "refresh_token", "accounts_server"):
            env[f"{prefix}_{key.upper()}"] = str(credentials[key])
    env |= {
        "TAP_ZOHO_TERRITORIES__SELECT": json.dumps(["territory_users.*"]),
        "TARGET_ZOHO_TERRITORIES_MODE": "mirror",
        "TARGET_ZOHO_TERRITORIES_DRY_RUN": "true",
        "TARGET_ZOHO_TERRITORIES_RESULTS_PATH": str(results),
        "TARGET_ZOHO_TERRITORIES_STREAM_MAPS": json.dumps({"territory_users": stream_map}),
    }
    version_run = project.meltano("invoke", "tap-zoho-territories", "--version", env=env).check()
    assert f"tap-zoho-territories v{VERSION}" in version_run.stdout
    emulator.reset_stats()
    project.meltano("run", "tap-zoho-territories", "target-zoho-territories", env=env).check()

    # The org mirrored onto itself, rehearsed: every assignment is already in place.
    lines = jsonl(results)
    assert len(lines) == len(emulator.state()["assignments"])
    assert {line["outcome"] for line in lines} == {"unchanged"}
    writes = [key for key in emulator.stats()["requests"] if key.split()[0] in ("PUT", "DELETE")]
    assert writes == []


USER_TEST = """
import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.zoho_emulator(org="generated", territories=6, users=20, seed=3)
def test_my_sync(zoho_emulator, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(zoho_emulator.tap_config))
    tap = Path(sys.executable).with_name("tap-zoho-territories")
    done = subprocess.run([str(tap), "--config", str(config)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines() if '"RECORD"' in line]
    territories = [r for r in records if r["stream"] == "territories"]
    assert len(territories) == len(zoho_emulator.state()["territories"])
    assert zoho_emulator.stats()["total_requests"] > 0
"""


def test_a_users_own_test_gets_the_emulator_fixture(installed: Installed) -> None:
    pip = [str(installed.bin / "python"), "-m", "pip", "install", "--quiet", "pytest>=8"]
    subprocess.run(pip, capture_output=True, check=True, timeout=600)
    (installed.cwd / "test_my_pipeline.py").write_text(USER_TEST)
    done = installed.run("pytest", "-q", "-p", "no:cacheprovider", "test_my_pipeline.py")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout
