"""Both plugins' command lines: `--help` that explains, and a hint when run with no arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.env import clean_env
from tests.support.org import Org
from tests.support.tap_run import INFO, log_levels
from tests.support.target_run import SCHEMA, check_target_run, record, to_lines, write_config

BIN = Path(sys.executable).parent
PROGRAMS = ["tap-zoho-territories", "target-zoho-territories"]


def run(program: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / program), *args],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(**INFO),
        check=False,
    )


@pytest.mark.parametrize("program", PROGRAMS)
def test_help_says_what_it_does_with_a_config_example_exit_codes_and_docs(program: str) -> None:
    done = run(program, "--help")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "Execute the Singer" not in text  # the SDK's generic line
    assert "Zoho CRM" in text.split("Options:")[0]
    epilog = text.split("--help", 1)[1]
    assert '"client_id": "1000.XXXX"' in epilog
    assert f"{program} --config config.json" in epilog
    assert "Exit codes:" in epilog
    assert "  0  " in epilog
    assert "  1  " in epilog
    assert "Docs: README.md and docs/" in epilog
    assert "--about" in epilog
    assert all(len(line) <= 80 for line in text.splitlines()), text


@pytest.mark.parametrize("program", PROGRAMS)
def test_no_arguments_give_one_hint_to_pass_config(program: str) -> None:
    done = run(program)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "| ERROR" in line]
    prefix = program.upper().replace("-", "_")
    assert "No Zoho credentials were given" in errors[0]
    assert "pass --config config.json" in errors[0]
    assert f"{prefix}_CLIENT_ID" in errors[0]
    assert "required property" not in done.stderr
    assert len(errors) == 2  # the hint, and the SDK's "Config validation failed"
    assert log_levels(done.stderr)["ERROR"] == 2
    assert "Traceback" not in done.stderr


def test_the_target_logs_json_through_the_sdks_logging_config(org: Org, tmp_path: Path) -> None:
    territory = org.territories()[2]
    user = org.not_assigned(territory, org.active_users())[0]
    config = {**org.config(), "results_path": str(tmp_path / "results.jsonl")}
    logging_config = Path(__file__).resolve().parents[2] / "examples" / "logging-json.yml"
    done = subprocess.run(
        [str(BIN / "target-zoho-territories"), "--config", str(write_config(config, tmp_path))],
        input=to_lines([SCHEMA, record(user, territory), record(org.me, territory)]),
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(**INFO, SINGER_SDK_LOG_CONFIG=str(logging_config)),
        check=False,
    )
    check_target_run(config, done.stdout, done.stderr)
    assert done.returncode == 1  # the token's own user: NOT_ALLOWED
    logs = [json.loads(line) for line in done.stderr.splitlines()]
    assert any(
        "summary, mode apply:\n  records: 2 (added 1, failed 1)" in log["message"] for log in logs
    )
    assert any("NOT_ALLOWED: 1 failed" in log["message"] for log in logs)
    assert logs[-1]["level"] == "error"
