"""Bad input and bad settings: a corpus of cases, each run through the real console scripts.

Every case checks the three promises of a tool that writes into a CRM:

- a clear message that names what is wrong and where (the input line, the setting);
- the right exit code (target: 1 for rejected records and bad settings, 2 for a run that
  stopped early; tap: 1);
- nothing already confirmed is lost: records before a bad line are written and reported,
  the STATE before it is emitted, and a bad setting stops the run before any call.

Input lines are built around the same frame: SCHEMA (line 1), two good records (2, 3), a
STATE (4), the case's line(s) from line 5, then one more good record and a final STATE.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Callable
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
    STREAM,
    TARGET,
    check_target_run,
    read_results,
    record,
    run_target,
    state,
    write_config,
)

BAD_LINE = 5
FIRST_STATE = {"at": 4}
LAST_STATE = {"at": "end"}

Line = str | bytes | dict[str, Any]


def rec(**fields: Any) -> dict[str, Any]:
    """A RECORD of the assignment stream with exactly these fields."""
    return {"type": "RECORD", "stream": STREAM, "record": fields}


@dataclass(frozen=True)
class InputCase:
    """Lines put at line 5 of the frame, and what the target must make of them."""

    id: str
    lines: Callable[[str, str], list[Line]]  # (an active user, a territory) -> the lines
    kind: str  # "stop": the run stops at line 5; "reject": a record is rejected; "ok"
    words: tuple[str, ...] = ()  # in the last stderr line (stop) or the result message (reject)
    outcomes: dict[str, int] = field(default_factory=dict)  # "ok": outcomes of the case's lines


def _user_ok(user: str, territory: str) -> dict[str, Any]:
    return rec(user_id=user, territory_id=territory)


INPUT_CASES = [
    # Lines that are not Singer messages stop the run there.
    InputCase(
        "truncated-json", lambda u, t: ['{"type": "RECORD", "stream": '], "stop", ("is not JSON",)
    ),
    InputCase("json-array", lambda u, t: ["[1, 2, 3]"], "stop", ("is not a JSON object",)),
    InputCase("json-number", lambda u, t: ["42"], "stop", ("is not a JSON object",)),
    InputCase("json-null", lambda u, t: ["null"], "stop", ("is not a JSON object",)),
    InputCase("no-type", lambda u, t: ['{"stream": "assignments"}'], "stop", ("has no 'type'",)),
    InputCase(
        "unknown-type",
        lambda u, t: ['{"type": "UPSERT"}'],
        "stop",
        ("unknown message type 'UPSERT'",),
    ),
    InputCase(
        "trailing-garbage",
        lambda u, t: [json.dumps(_user_ok(u, t)) + " }"],
        "stop",
        ("is not JSON",),
    ),
    InputCase("invalid-utf8", lambda u, t: [b"\xff\xfe{\x00 broken"], "stop", ("is not JSON",)),
    InputCase("nul-bytes", lambda u, t: ["\x00\x00"], "stop", ("is not JSON",)),
    InputCase(
        "record-without-stream",
        lambda u, t: [{"type": "RECORD", "record": {"user_id": u, "territory_id": t}}],
        "stop",
        ("RECORD without a 'stream'",),
    ),
    InputCase(
        "record-without-record",
        lambda u, t: [{"type": "RECORD", "stream": STREAM}],
        "stop",
        ("'record' is not a JSON object (got nothing)",),
    ),
    InputCase(
        "record-not-an-object",
        lambda u, t: [{"type": "RECORD", "stream": STREAM, "record": [u, t]}],
        "stop",
        ("'record' is not a JSON object (got list)",),
    ),
    InputCase(
        "record-before-schema",
        lambda u, t: [{"type": "RECORD", "stream": "late", "record": {"user_id": u}}],
        "stop",
        ("RecordsWithoutSchemaException", "'late'"),
    ),
    InputCase(
        "schema-not-an-object",
        lambda u, t: [{"type": "SCHEMA", "stream": "s", "schema": "x", "key_properties": []}],
        "stop",
        ("'schema' is not a JSON object",),
    ),
    InputCase(
        "schema-without-properties",
        lambda u, t: [{"type": "SCHEMA", "stream": "s", "schema": {}, "key_properties": []}],
        "stop",
        ("properties",),
    ),
    InputCase("state-without-value", lambda u, t: ['{"type": "STATE"}'], "stop", ("value",)),
    InputCase(
        "batch-file-missing",
        lambda u, t: [
            {
                "type": "BATCH",
                "stream": STREAM,
                "encoding": {"format": "jsonl", "compression": "gzip"},
                "manifest": ["file:///nonexistent/batch-1.json.gz"],
            }
        ],
        "stop",
        ("FileNotFoundError", "batch-1.json.gz"),
    ),
    # Records that break the record contract are rejected, with the reason; the run goes on.
    InputCase(
        "user-id-int",
        lambda u, t: [rec(user_id=int(u), territory_id=t)],
        "reject",
        ("user_id must be a string of digits, got number",),
    ),
    InputCase(
        "territory-id-float",
        lambda u, t: [rec(user_id=u, territory_id=1.5)],
        "reject",
        ("territory_id must be a string of digits, got number 1.5",),
    ),
    InputCase(
        "user-id-null",
        lambda u, t: [rec(user_id=None, territory_id=t)],
        "reject",
        ("user_id is empty (null)",),
    ),
    InputCase(
        "user-id-object",
        lambda u, t: [rec(user_id={"id": u}, territory_id=t)],
        "reject",
        ("user_id must be a string of digits, got object {",),
    ),
    InputCase(
        "user-id-bool",
        lambda u, t: [rec(user_id=True, territory_id=t)],
        "reject",
        ("got boolean true",),
    ),
    InputCase(
        "non-digit-id",
        lambda u, t: [rec(user_id=u[:-2] + "O1", territory_id=t)],
        "reject",
        ("user_id must contain only digits",),
    ),
    InputCase(
        "negative-id",
        lambda u, t: [rec(user_id="-" + u, territory_id=t)],
        "reject",
        ("user_id must contain only digits",),
    ),
    # Spaces around an id (a spreadsheet cell) are dropped; spaces inside one are not an id.
    InputCase(
        "spaces-around-id",
        lambda u, t: [rec(user_id=f" {u} ", territory_id=f"{t}\t")],
        "ok",
        outcomes={"added": 1},
    ),
    InputCase(
        "space-inside-id",
        lambda u, t: [rec(user_id=f"{u[:5]} {u[5:]}", territory_id=t)],
        "reject",
        ("user_id must contain only digits",),
    ),
    # A spreadsheet's empty row (every cell empty) asks for nothing; a record without the id
    # fields is malformed, not blank.
    InputCase(
        "blank-row",
        lambda u, t: [rec(user_id=None, territory_id="", action=None, note=" ")],
        "ok",
        outcomes={"unchanged": 1},
    ),
    InputCase(
        "no-fields",
        lambda u, t: [rec(note=None)],
        "reject",
        ("user_id is missing; territory_id is missing",),
    ),
    InputCase(
        "empty-action-cell",
        lambda u, t: [rec(user_id=u, territory_id=t, action=" ")],
        "ok",
        outcomes={"added": 1},
    ),
    InputCase(
        "fullwidth-digits",
        lambda u, t: [rec(user_id="\uff11\uff12\uff13\uff14", territory_id=t)],  # fullwidth 1234
        "reject",
        ("user_id must contain only digits",),
    ),
    InputCase(
        "empty-id",
        lambda u, t: [rec(user_id=u, territory_id="")],
        "reject",
        ("territory_id is empty",),
    ),
    InputCase(
        "25-digit-id",
        lambda u, t: [rec(user_id="1" * 25, territory_id=t)],
        "reject",
        ("user_id has 25 digits, more than Zoho's 19",),
    ),
    InputCase(
        "unknown-action",
        lambda u, t: [rec(user_id=u, territory_id=t, action="delete")],
        "reject",
        ("action must be 'add' or 'remove', got 'delete'",),
    ),
    InputCase(
        "action-not-text",
        lambda u, t: [rec(user_id=u, territory_id=t, action=1)],
        "reject",
        ("action must be 'add' or 'remove', got 1",),
    ),
    InputCase(
        "missing-user-id", lambda u, t: [rec(territory_id=t)], "reject", ("user_id is missing",)
    ),
    InputCase(
        "missing-territory-id",
        lambda u, t: [rec(user_id=u)],
        "reject",
        ("territory_id is missing",),
    ),
    InputCase(
        "empty-record",
        lambda u, t: [rec()],
        "reject",
        ("user_id is missing", "territory_id is missing"),
    ),
    InputCase(
        "nan-id",
        lambda u, t: [
            f'{{"type":"RECORD","stream":"{STREAM}","record":{{"user_id":NaN,"territory_id":"{t}"}}}}'
        ],
        "reject",
        ("got number NaN",),
    ),
    # Unusual but valid input is applied.
    InputCase("blank-lines", lambda u, t: ["", "   ", "\t"], "ok"),
    InputCase(
        "crlf-line", lambda u, t: [json.dumps(_user_ok(u, t)) + "\r"], "ok", outcomes={"added": 1}
    ),
    InputCase(
        "duplicate-record",
        lambda u, t: [_user_ok(u, t), _user_ok(u, t)],
        "ok",
        outcomes={"unchanged": 1, "added": 1},
    ),
    InputCase(
        "add-then-remove",
        lambda u, t: [_user_ok(u, t), rec(user_id=u, territory_id=t, action=" REMOVE ")],
        "ok",
        outcomes={"unchanged": 2},
    ),
    InputCase(
        "extra-fields",
        lambda u, t: [rec(user_id=u, territory_id=t, note="x", n=[1])],
        "ok",
        outcomes={"added": 1},
    ),
    InputCase(
        "sdc-deleted-at-means-remove",
        lambda u, t: [rec(user_id=u, territory_id=t, action="add", _sdc_deleted_at="2024-01-01")],
        "ok",
        outcomes={"unchanged": 1},
    ),
    InputCase(
        "other-stream-ignored",
        lambda u, t: [
            {
                "type": "SCHEMA",
                "stream": "users",
                "schema": {"properties": {"id": {}}},
                "key_properties": ["id"],
            },
            {"type": "RECORD", "stream": "users", "record": {"id": u}},
        ],
        "ok",
    ),
]


def _frame(org: Org, case: InputCase) -> tuple[list[Line], list[tuple[str, str]], str, str]:
    """The case's input, the good pairs (lines 2, 3 and the last one), and its user/territory."""
    territory = org.territories()[6]
    free = org.not_assigned(territory, org.active_users())
    good = [(free[0], territory), (free[1], territory), (free[2], territory)]
    user, other = free[3], org.territories()[7]
    if (user, other) in org.assignments():
        other = org.territories()[8]
    lines: list[Line] = [
        SCHEMA,
        record(*good[0]),
        record(*good[1]),
        state(FIRST_STATE),
        *case.lines(user, other),
        record(*good[2]),
        state(LAST_STATE),
    ]
    return lines, good, user, other


def _to_bytes(lines: list[Line]) -> bytes:
    out = b""
    for line in lines:
        if isinstance(line, bytes):
            out += line + b"\n"
        elif isinstance(line, str):
            out += line.encode() + b"\n"
        else:
            out += json.dumps(line, ensure_ascii=False).encode() + b"\n"
    return out


def _run_bytes(config: dict[str, Any], data: bytes, tmp_path: Path) -> tuple[int, str, str]:
    path = write_config(config, tmp_path)
    done = subprocess.run(
        [TARGET, "--config", str(path)],
        input=data,
        capture_output=True,
        timeout=120,
        env=clean_env(),
        check=False,
    )
    stdout = done.stdout.decode("utf-8", "replace")
    stderr = done.stderr.decode("utf-8", "replace")
    check_target_run(config, stdout, stderr)
    return done.returncode, stdout, stderr


def _last_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ""


@pytest.mark.parametrize("case", INPUT_CASES, ids=lambda case: case.id)
def test_bad_input_line(org: Org, tmp_path: Path, case: InputCase) -> None:
    lines, good, user, other = _frame(org, case)
    config = org.config(results_path=str(tmp_path / "results.jsonl"))
    before = org.assignments()

    code, stdout, stderr = _run_bytes(config, _to_bytes(lines), tmp_path)

    results = {r["line"]: r for r in read_results(config)}
    states = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    last = _last_error(stderr)
    assert "Traceback" not in stderr
    after = org.assignments()
    # Nothing confirmed before the bad line is lost: written, reported, its STATE emitted.
    assert {good[0], good[1]} <= after
    assert results[2]["outcome"] == results[3]["outcome"] == "added"
    if case.kind == "stop":
        assert code == 2, stderr[-2000:]
        assert f"input line {BAD_LINE}" in last, last
        for words in case.words:
            assert words in last, last
        assert states == [FIRST_STATE]
        assert good[2] not in after
        assert set(results) == {2, 3}
        assert after == before | {good[0], good[1]}
        return
    # The good record after the case's lines is written too, and the final STATE emitted.
    assert good[2] in after
    end = BAD_LINE + len(case.lines(user, other))
    assert results[end]["outcome"] == "added"
    assert states == [LAST_STATE]
    if case.kind == "reject":
        assert code == 1, stderr[-2000:]
        assert "1 record(s) were rejected; see" in last, last
        bad = results[BAD_LINE]
        assert bad["outcome"] == "rejected"
        assert bad["code"] == "INVALID_INPUT"
        assert bad["endpoint"] is None
        for words in case.words:
            assert words in bad["message"], bad["message"]
        assert after == before | set(good)
        return
    assert code == 0, stderr[-2000:]
    mine = [r for line, r in results.items() if BAD_LINE <= line < end]
    assert Counter(r["outcome"] for r in mine) == Counter(case.outcomes)
    assert after - before <= set(good) | {(user, other)}


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
        ("max_concurrency must be a whole number from 1 to 25",),
    ),
    ConfigCase(
        "max-concurrency-over-the-cap",
        {"max_concurrency": 26},
        ("max_concurrency must be a whole number from 1 to 25, got 26", "largest edition"),
    ),
    ConfigCase(
        "max-concurrency-text",
        {"max_concurrency": "five"},
        ("'five' is not of type 'integer'", "max_concurrency"),
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
