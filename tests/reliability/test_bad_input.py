"""Bad input and bad settings: a corpus of cases, each run through the real console scripts.

Every case checks the three promises of a tool that writes into a CRM:

- a clear message that names what is wrong and where (the setting, the record);
- the right exit code (target: 1 for rejected records and bad settings, 2 for a run that
  stopped early; tap: 1);
- nothing already confirmed is lost: a bad setting stops the run before any call.

The input-line corpus (one `.singer` file a case) is tests/target/test_input_cases.py.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.env import clean_env
from tests.support.org import Org
from tests.support.secrets_check import check_run
from tests.support.tap_run import BIN, run_tap
from tests.support.target_run import (
    SCHEMA,
    TARGET,
    check_target_run,
    read_results,
    record,
    run_target,
    state,
    write_config,
)


def test_ten_thousand_records_for_one_user(org: Org, tmp_path: Path) -> None:
    """One user, every territory many times over, adds and removes interleaved: the last wins."""
    user = org.active_users()[5]
    territories = org.territories()
    held = org.assignments()
    protected = {t for u, t in org.managed() if u == user}
    messages: list[dict[str, Any]] = [SCHEMA]
    last: dict[str, str] = {}
    for n in range(10_000):
        territory = territories[(n * 7) % len(territories)]
        action = "remove" if (n // len(territories)) % 3 == 1 else "add"
        messages.append(record(user, territory, action))
        last[territory] = action
    messages.append(state({"all": 10_000}))
    wanted = {(u, t) for u, t in held if u != user}
    wanted |= {(user, t) for t, action in last.items() if action == "add"}
    wanted |= {(user, t) for t in protected}

    run = run_target(org.config(), messages, tmp_path)

    assert org.assignments() == wanted
    assert len(run.results) == 10_000
    assert sorted(r["line"] for r in run.results) == list(range(2, 10_002))
    superseded = [r for r in run.results if r["code"] == "SUPERSEDED"]
    assert len(superseded) == 10_000 - len(last)
    assert sum(org.writes().values()) <= 2  # one add call and one remove call, by user
    if protected & {t for t, action in last.items() if action == "remove"}:
        assert run.returncode == 1
    else:
        assert run.returncode == 0, run.stderr[-2000:]
        assert run.states == [{"all": 10_000}]


# Settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigCase:
    """A config change (None deletes the key) or a raw config file, and the message words."""

    id: str
    change: dict[str, Any] = field(default_factory=dict)
    words: tuple[str, ...] = ()
    raw: str | None = None  # the config file's text, instead of JSON of the config
    missing_file: bool = False
    tap: bool = True  # also checked on the tap (connection settings are shared)
    tap_only: bool = False  # a setting of the tap alone


CONFIG_CASES = [
    ConfigCase(
        "unknown-setting",
        {"dryrun": True},
        ("unknown setting", "'dryrun'", "did you mean 'dry_run'"),
        tap=False,
    ),
    ConfigCase(
        "unknown-settings-typo",
        {"client_secrett": "x"},
        ("'client_secrett'", "did you mean 'client_secret'"),
    ),
    ConfigCase(
        "wrong-data-center", {"data_center": "mars"}, ("'mars' is not one of", "data_center")
    ),
    ConfigCase("data-center-case", {"data_center": "EUROPE"}, ("data_center",)),
    ConfigCase(
        "http-accounts-server",
        {"accounts_server": "http://accounts.example.com"},
        ("accounts_server", "plain http:// to a non-loopback host"),
    ),
    ConfigCase(
        "http-api-domain",
        {"api_domain": "http://10.0.0.5:8080"},
        ("api_domain", "plain http:// to a non-loopback host"),
    ),
    ConfigCase(
        "accounts-server-not-a-url",
        {"accounts_server": "accounts.zoho.com"},
        ("accounts_server must be an absolute https:// URL",),
    ),
    ConfigCase(
        "ftp-accounts-server",
        {"accounts_server": "ftp://127.0.0.1"},
        ("accounts_server must be an absolute https:// URL",),
    ),
    ConfigCase(
        "client-secret-missing",
        {"client_secret": None},
        ("'client_secret' is a required property",),
    ),
    ConfigCase("refresh-token-empty", {"refresh_token": "  "}, ("refresh_token is required",)),
    ConfigCase(
        "client-secret-not-text",
        {"client_secret": 12345678901234},
        ("<redacted> is not of type 'string'", "client_secret"),
    ),
    ConfigCase(
        "max-concurrency-zero",
        {"max_concurrency": 0},
        ("max_concurrency must be auto or a whole number from 1 to 25, got 0",),
    ),
    ConfigCase(
        "max-concurrency-over-the-cap",
        {"max_concurrency": 26},
        ("max_concurrency must be auto or a whole number from 1 to 25, got 26", "largest edition"),
    ),
    ConfigCase(
        "max-concurrency-text",
        {"max_concurrency": "five"},
        ("max_concurrency must be auto or a whole number from 1 to 25, got 'five'",),
    ),
    ConfigCase("request-timeout-zero", {"request_timeout": 0}, ("request_timeout must be",)),
    ConfigCase(
        "request-timeout-over-the-cap",
        {"request_timeout": 601},
        ("request_timeout must be a whole number from 1 to 600",),
    ),
    ConfigCase(
        "max-retries-negative", {"max_retries": -1}, ("max_retries must be a whole number from 0",)
    ),
    ConfigCase(
        "max-retries-over-the-cap",
        {"max_retries": 11},
        ("max_retries must be a whole number from 0 to 10, got 11", "hide an outage"),
    ),
    ConfigCase(
        "max-retry-after-negative",
        {"max_retry_after": -1},
        ("max_retry_after must be a whole number from 0 to 3600",),
    ),
    ConfigCase(
        "max-response-mb-zero",
        {"max_response_mb": 0},
        ("max_response_mb must be a whole number from 1 to 1024",),
    ),
    ConfigCase(
        "token-cache-not-a-path",
        {"token_cache": 5},
        ("token_cache",),
    ),
    ConfigCase(
        "api-domain-other-scheme",
        {"api_domain": "ftp://www.zohoapis.com"},
        ("api_domain must be an absolute https:// URL",),
    ),
    ConfigCase(
        "start-date-not-a-date",
        {"start_date": "last tuesday"},
        ("start_date 'last tuesday' is not a date-time",),
        tap_only=True,
    ),
    ConfigCase(
        "budget-negative",
        {"api_credit_budget": -3},
        ("api_credit_budget must be a whole number of at least 0",),
    ),
    ConfigCase("api-version", {"api_version": "v9"}, ("'v9' is not one of", "api_version")),
    ConfigCase(
        "environment", {"environment": "staging"}, ("'staging' is not one of", "environment")
    ),
    ConfigCase("mode", {"mode": "sync"}, ("'sync' is not one of", "mode"), tap=False),
    ConfigCase(
        "write-via", {"write_via": "both"}, ("'both' is not one of", "write_via"), tap=False
    ),
    ConfigCase(
        "dry-run-text", {"dry_run": "yes"}, ("'yes' is not of type 'boolean'", "dry_run"), tap=False
    ),
    ConfigCase(
        "batch-size-zero",
        {"batch_size_rows": 0},
        ("batch_size_rows must be a whole number of at least 1",),
        tap=False,
    ),
    ConfigCase(
        "results-dir-missing",
        {"results_path": "/nonexistent-dir/results.jsonl"},
        ("results_path", "cannot be written", "No such file or directory"),
        tap=False,
    ),
    ConfigCase(
        "results-path-is-dir",
        {"results_path": "/"},
        ("results_path '/' cannot be written",),
        tap=False,
    ),
    ConfigCase(
        "config-not-json",
        raw='{"client_id": "x",',
        words=("--config file cannot be used", "Expecting"),
    ),
    ConfigCase(
        "config-not-object",
        raw="[1, 2]",
        words=("--config file cannot be used", "not a JSON object"),
    ),
    ConfigCase(
        "config-file-missing",
        missing_file=True,
        words=("--config file cannot be used", "was not found"),
    ),
]


def _config_args(org: Org, case: ConfigCase, tmp_path: Path) -> tuple[dict[str, Any], str]:
    config = org.config(results_path=str(tmp_path / "results.jsonl"))
    for key, value in case.change.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    if case.missing_file:
        return config, str(tmp_path / "no-such-config.json")
    path = write_config(config, tmp_path)
    if case.raw is not None:
        path.write_text(case.raw)
    return config, str(path)


@pytest.mark.parametrize(
    "case", [case for case in CONFIG_CASES if not case.tap_only], ids=lambda case: case.id
)
def test_bad_target_setting(org: Org, tmp_path: Path, case: ConfigCase) -> None:
    config, path = _config_args(org, case, tmp_path)
    territory = org.territories()[0]
    user = org.not_assigned(territory, org.active_users())[0]
    lines = [SCHEMA, record(user, territory), state({"s": 1})]

    done = subprocess.run(
        [TARGET, "--config", path],
        input="".join(json.dumps(m) + "\n" for m in lines),
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
        check=False,
    )
    check_target_run(config, done.stdout, done.stderr)

    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    errors = "\n".join(line for line in done.stderr.splitlines() if "ERROR" in line)
    for words in case.words:
        assert words in errors, errors
    assert done.stdout == ""  # no STATE: nothing was done
    assert org.calls() == {}  # nothing sent, not even a token request's API call
    assert (user, territory) not in org.assignments()
    if case.id != "results-path-is-dir":
        assert read_results(config) == []


@pytest.mark.parametrize(
    "case", [case for case in CONFIG_CASES if case.tap], ids=lambda case: case.id
)
def test_bad_tap_setting(org: Org, tmp_path: Path, case: ConfigCase) -> None:
    config, path = _config_args(org, case, tmp_path)
    config.pop("results_path")
    if case.raw is None and not case.missing_file:
        Path(path).write_text(json.dumps(config))

    done = subprocess.run(
        [str(BIN / "tap-zoho-territories"), "--config", path],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
        check=False,
    )
    check_run(config, done.stdout, done.stderr, where="a tap run's output")

    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    errors = "\n".join(line for line in done.stderr.splitlines() if "ERROR" in line)
    for words in case.words:
        assert words in errors, errors
    assert '"type":"RECORD"' not in done.stdout
    assert org.calls() == {}


@dataclass(frozen=True)
class AuthCase:
    """Settings that pass validation but that Zoho's accounts server refuses."""

    id: str
    change: dict[str, Any]
    words: tuple[str, ...]
    revoke: bool = False


AUTH_CASES = [
    AuthCase(
        "wrong-client-secret (or wrong data centre)",
        {"client_secret": "a-wrong-client-secret-123"},
        ("invalid_client", "data_center", "check client_id and client_secret"),
    ),
    AuthCase(
        "unknown-client (a client of another data centre)",
        {"client_id": "1000.CLIENTOFANOTHERDC", "data_center": "eu"},
        ("invalid_client", "data_center eu", "an EU client is unknown to accounts.zoho.com"),
    ),
    AuthCase("revoked-refresh-token", {}, ("invalid_code", "generate a new one"), revoke=True),
]


@pytest.mark.parametrize("case", AUTH_CASES, ids=lambda case: case.id)
def test_refused_credentials(org: Org, tmp_path: Path, case: AuthCase) -> None:
    territory = org.territories()[1]
    user = org.not_assigned(territory, org.active_users())[0]
    before = org.assignments()
    if case.revoke:
        org.emulator.config(refresh_tokens=["1000.some-other-refresh-token"])
    try:
        run = run_target(
            org.config(**case.change), [SCHEMA, record(user, territory), state({"s": 1})], tmp_path
        )
        org.emulator.reset_stats()
        tap = run_tap(org.config(**case.change))
        token_requests = org.emulator.stats()["requests"].get("POST /oauth/v2/token", 0)
    finally:
        if case.revoke:
            org.emulator.config(refresh_tokens=[org.config()["refresh_token"]])

    assert run.returncode == 2
    for words in case.words:
        assert words in run.last_error_line, run.last_error_line
    assert run.states == []
    assert [r["outcome"] for r in run.results] == ["failed"]
    assert run.results[0]["code"] == "AUTH_FAILED"
    assert org.assignments() == before
    assert tap.returncode == 1
    assert "Traceback" not in tap.stderr
    for words in case.words:
        assert words in tap.stderr
    assert token_requests == 1  # refused credentials are not asked about again


@pytest.mark.parametrize("write_via", ["user", "territory", "auto"])
def test_ids_zoho_does_not_know_fail_whatever_the_grouping(
    org: Org, tmp_path: Path, write_via: str
) -> None:
    """Well-formed ids that name nothing: `failed` with Zoho's reason, never "as wanted"."""
    territory = org.territories()[4]
    active = set(org.active_users())
    user, held = next(
        (u, t)
        for u, t in sorted(org.assignments() - set(org.managed()))
        if u in active and t != org.root
    )
    unknown_user, unknown_territory = "1234567890123456789", "9876543210987654321"
    messages = [
        SCHEMA,
        record(unknown_user, territory, "remove"),
        record(user, unknown_territory, "remove"),
        record(unknown_user, org.territories()[5], "add"),
        record(user, "9876543210987654000", "add"),
        record(user, held, "remove"),  # a good one in the same calls
    ]

    run = run_target(org.config(write_via=write_via), messages, tmp_path)

    assert run.returncode == 1
    by_line = run.by_line()
    for line in (2, 3, 4, 5):
        assert by_line[line]["outcome"] == "failed", by_line[line]
        assert by_line[line]["code"] == "INVALID_DATA"
        assert "invalid" in by_line[line]["message"]
    assert by_line[6]["outcome"] == "removed"
    assert (user, held) not in org.assignments()


# The tap's input files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TapInputCase:
    """A --state or --catalog file the tap cannot use, and the words of its one-line error."""

    id: str
    option: str
    text: str
    words: tuple[str, ...]


USERS_BOOKMARK = {"replication_key": "modified_time", "replication_key_value": "yesterday"}
TAP_INPUT_CASES = [
    TapInputCase(
        "state-not-json", "--state", '{"bookmarks": {', ("--state file", "not valid JSON")
    ),
    TapInputCase("state-empty", "--state", "", ("--state file", "not valid JSON")),
    TapInputCase(
        "state-a-list", "--state", "[1, 2]", ("--state file", "a JSON list, not an object")
    ),
    TapInputCase(
        "state-nested-too-deep", "--state", "[" * 100_000 + "]" * 100_000, ("--state file",)
    ),
    TapInputCase(
        "bookmark-not-a-date",
        "--state",
        json.dumps({"bookmarks": {"users": USERS_BOOKMARK}}),
        ("the bookmark of stream 'users' is 'yesterday', not a date-time",),
    ),
    TapInputCase(
        "bookmarks-not-an-object",
        "--state",
        json.dumps({"bookmarks": ["users"]}),
        ("'bookmarks' is a JSON list, not an object",),
    ),
    TapInputCase("catalog-not-json", "--catalog", "streams:", ("--catalog file", "not valid JSON")),
    TapInputCase("catalog-a-string", "--catalog", '"x"', ("--catalog file", "a JSON str")),
    TapInputCase(
        "catalog-of-the-wrong-shape",
        "--catalog",
        json.dumps({"streams": 5}),
        ("Unexpected error: TypeError", "LOGLEVEL=DEBUG"),
    ),
]


@pytest.mark.parametrize("case", TAP_INPUT_CASES, ids=lambda case: case.id)
def test_a_tap_input_file_it_cannot_use_is_one_line(
    org: Org, tmp_path: Path, case: TapInputCase
) -> None:
    config = org.config()
    path = tmp_path / "input.json"
    path.write_text(case.text)
    done = subprocess.run(
        [
            str(BIN / "tap-zoho-territories"),
            "--config",
            str(write_config(config, tmp_path)),
            case.option,
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(LOGLEVEL="INFO"),
        check=False,
    )
    check_run(config, done.stdout, done.stderr, where="a tap run's output")

    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, errors
    for words in case.words:
        assert words in errors[0], errors[0]
    assert '"type":"RECORD"' not in done.stdout
    assert org.calls() == {}
