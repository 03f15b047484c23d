"""Secrets: the client secret, the refresh token and access tokens never leave the process.

Every run in the suite is already checked (tests/secrets_check.py: the run helpers scan
stdout with its STATE, stderr at DEBUG and the results file, with every access token the
emulator issued; conftest scans what runs in-process). This module adds the runs most likely
to leak: many tokens issued and revoked at DEBUG, refused credentials, settings errors, the
connection test, `--about`; and it checks that the check itself finds what it must.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.env import clean_env
from tests.support.org import Org
from tests.support.secrets_check import assert_no_secrets, check_run
from tests.support.tap_run import BIN, run_tap
from tests.support.target_run import (
    SCHEMA,
    TARGET,
    check_target_run,
    record,
    run_target,
    state,
    write_config,
)
from zoho_crm_singer.plugin import REDACTED, redact_secrets

SECRET_SETTINGS = {"client_id", "client_secret", "refresh_token"}
LONG_SECRET = "a-long-client-secret-0123456789"


ORG_ARGS = ("--territories", "12", "--users", "60", "--groups", "3", "--seed", "2")


@pytest.mark.parametrize("program", ["tap-zoho-territories", "target-zoho-territories"])
def test_about_marks_the_credentials_secret(program: str) -> None:
    about = subprocess.run(
        [str(BIN / program), "--about", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
    )
    settings = json.loads(about.stdout)["settings"]["properties"]
    marked = {name for name, spec in settings.items() if spec.get("secret")}
    assert marked == SECRET_SETTINGS


def test_tap_at_debug_with_tokens_revoked_and_expiring(org: Org) -> None:
    # Revoke faults and 2-second tokens: many tokens are issued, used, rejected, replaced.
    org.emulator.config(fault_rate=0.2, faults=["revoke", "500"], fault_seed=3, token_ttl=2)
    config = org.config(max_concurrency=2)
    before = len(org.emulator.issued_tokens())

    run = run_tap(config, env={"LOGLEVEL": "DEBUG"})  # checked by run_tap

    assert run.returncode == 0, run.stderr[-2000:]
    assert "DEBUG" in run.stderr
    assert len(org.emulator.issued_tokens()) - before >= 3
    assert "Zoho-oauthtoken" not in run.stderr


def test_target_at_debug_with_tokens_revoked(org: Org, tmp_path: Path) -> None:
    territory = org.territories()[2]
    users = org.not_assigned(territory, org.active_users())[:20]
    messages = [SCHEMA, *(record(u, territory) for u in users), state({"s": 1})]
    org.emulator.config(fault_rate=0.3, faults=["revoke", "drop"], fault_seed=5)
    before = len(org.emulator.issued_tokens())

    run = run_target(org.config(write_via="user", max_retries=8), messages, tmp_path)

    assert run.returncode == 0, run.stderr[-2000:]
    assert "DEBUG" in run.stderr
    assert len(org.emulator.issued_tokens()) - before >= 2
    assert run.states == [{"s": 1}]
    assert len(run.results) == len(users)


def test_refused_credentials_are_not_echoed(org: Org, tmp_path: Path) -> None:
    config = org.config(client_secret=LONG_SECRET, refresh_token="1000.another-long-refresh-tok")
    run = run_target(config, [SCHEMA, record("1", "2"), state({"s": 1})], tmp_path)
    tap = run_tap(config)
    connection_test = run_tap(config, "--test")

    # run_target and run_tap checked that neither value appears; the messages are useful.
    assert run.returncode == 2
    assert "invalid_client" in run.last_error_line
    assert tap.returncode == connection_test.returncode == 1
    assert "invalid_client" in tap.stderr
    assert "invalid_client" in connection_test.stderr


def test_connection_test_and_discovery_keep_secrets(org: Org) -> None:
    assert run_tap(org.config(), "--test").returncode == 0
    assert run_tap(org.config(), "--discover").returncode == 0


def test_target_settings_errors_redact_secret_values(org: Org, tmp_path: Path) -> None:
    config = org.config(
        results_path=str(tmp_path / "r.jsonl"),
        client_secret=98765432109876,
        refresh_token=["1000.refresh-token-in-a-list"],
    )
    done = subprocess.run(
        [TARGET, "--config", str(write_config(config, tmp_path))],
        input="",
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    check_target_run(config, done.stdout, done.stderr)

    assert done.returncode == 1
    assert f"{REDACTED} is not of type 'string' in config['client_secret']" in done.stderr
    assert f"{REDACTED} is not of type 'string' in config['refresh_token']" in done.stderr
    assert "refresh-token-in-a-list" not in done.stderr


def test_tap_settings_errors_redact_secret_values(org: Org) -> None:
    config = org.config(client_secret=98765432109876)
    run = run_tap(config)  # the secrets check fails while the value is echoed
    assert run.returncode == 1


def test_redaction_finds_every_form_of_a_secret() -> None:
    config: dict[str, Any] = {
        "client_secret": 98765432109876,
        "refresh_token": {"token": "1000.nested-refresh-token"},
        "client_id": "1000.CLIENT",
        "max_retries": 1234,
    }
    errors = [
        "98765432109876 is not of type 'string'",
        "{'token': '1000.nested-refresh-token'} is not of type 'string'",
        "token 1000.nested-refresh-token alone",
        "1234 is not valid",  # not a secret setting: kept
    ]
    assert redact_secrets(errors, config) == [
        f"{REDACTED} is not of type 'string'",
        f"{REDACTED} is not of type 'string'",
        f"token {REDACTED} alone",
        "1234 is not valid",
    ]


def test_the_check_finds_secrets_tokens_and_their_halves() -> None:
    token = "1000." + "ab12" * 8 + "." + "cd34" * 8
    config = {"client_secret": LONG_SECRET, "refresh_token": "1000.emulator-refresh-token"}
    leaks = [
        f"secret={LONG_SECRET}",
        "refresh 1000.emulator-refresh-token",
        "emulator-client-secret",  # the sample secret, whatever the config says
        f"Authorization: Zoho-oauthtoken {token}",
        f"half of it: {token.split('.')[2]}",
        "a token of another emulator: 1000." + "0" * 32 + "." + "f" * 32,
    ]
    for leak in leaks:
        with pytest.raises(AssertionError) as caught:
            assert_no_secrets(leak, config=config, tokens=[token], where="a test text")
        assert LONG_SECRET not in str(caught.value)  # the failure does not leak either
    assert_no_secrets("nothing here but 1000.EMULATORCLIENTID", config=config, tokens=[token])


def test_the_run_check_asks_the_emulator_for_its_tokens(org: Org) -> None:
    token = org.emulator.access_token()
    with pytest.raises(AssertionError, match="access token"):
        check_run(org.config(), f"... {token.split('.')[1]} ...", where="a test text")
