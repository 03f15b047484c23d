"""The tap behind a broken network: what proxies, load balancers and networks do to answers.

For each of the emulator's network faults (an HTML page, a body cut short, a Content-Length
longer than the body, a reset mid-body, an error envelope with 200, an answer dripped slower
than any deadline, a redirect to another host) at a rate that forces retries, the tap's records
equal a clean sync. Where an answer never comes right, the run exits 1 with a resume STATE and
an incremental bookmark does not move past what was read. A redirect never takes a credential
or a token to the other host.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.loopback import OtherHost
from tests.support.tap_run import TapRun, discover, run_tap, select
from zoho_crm_emulator.process import EmulatorProcess

ORG = ("--territories", "12", "--users", "450", "--groups", "3", "--seed", "9")
FAULTS = ["html", "truncate", "short-body", "reset-body", "error200", "redirect", "slow"]


def canonical(run: TapRun) -> dict[str, list[str]]:
    return {
        stream: sorted(json.dumps(r, sort_keys=True) for r in records)
        for stream, records in run.records.items()
    }


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(*ORG, "--refresh-limit", "10000") as emu:
        yield emu


@pytest.fixture(scope="module")
def clean(emulator: EmulatorProcess) -> TapRun:
    run = run_tap(emulator.config_for_tap())
    assert run.returncode == 0, run.stderr[-2000:]
    return run


@pytest.fixture
def emu(emulator: EmulatorProcess) -> Iterator[EmulatorProcess]:
    emulator.reset_stats()
    yield emulator
    emulator.config(fault_rate=0, token_fault_rate=0, redirect_to="", slow_drip_seconds=1)


@pytest.mark.parametrize("fault", FAULTS)
def test_records_equal_a_clean_sync_under_each_network_fault(
    emu: EmulatorProcess, clean: TapRun, fault: str
) -> None:
    emu.config(fault_rate=0.3, faults=[fault], fault_seed=7)
    run = run_tap(emu.config_for_tap(max_retries=8, request_timeout=2))
    injected = emu.stats()["faults_injected"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert injected.get(fault, 0) >= 3
    assert canonical(run) == canonical(clean)
    assert "Traceback" not in run.stderr


def users_state(bookmark: str) -> dict[str, Any]:
    return {
        "bookmarks": {
            "users": {"replication_key": "modified_time", "replication_key_value": bookmark}
        }
    }


def test_an_incremental_bookmark_never_passes_an_unread_record(
    emu: EmulatorProcess, clean: TapRun
) -> None:
    config = emu.config_for_tap(max_retries=2)
    catalog = select(discover(config), "users")
    times = sorted(r["modified_time"] for r in clean.records["users"])
    middle = times[len(times) // 4]
    wanted = sorted(t for t in times if t >= middle)
    assert len(wanted) > 200  # more than one page

    # Every second answer cut short: the run stops, and the bookmark stays where it was.
    emu.config(fault_rate=1, faults=["truncate"])
    broken = run_tap(config, catalog=catalog, state=users_state(middle))
    assert broken.returncode == 1
    assert "the body is not JSON or is cut short" in broken.stderr
    final = broken.states[-1]
    assert final["bookmarks"]["users"]["replication_key_value"] == middle
    assert final["zoho_resume"]["completed_streams"] == []

    # Some answers cut short: retried; every record after the bookmark arrives.
    emu.config(fault_rate=0.4, fault_seed=3)
    run = run_tap({**config, "max_retries": 8}, catalog=catalog, state=users_state(middle))
    assert run.returncode == 0, run.stderr[-3000:]
    assert sorted(r["modified_time"] for r in run.records["users"]) == wanted
    assert run.states[-1]["bookmarks"]["users"]["replication_key_value"] == times[-1]


def test_redirects_take_nothing_to_the_other_host(emu: EmulatorProcess, clean: TapRun) -> None:
    with OtherHost() as other:
        emu.config(
            redirect_to=other.url,
            fault_rate=0.3,
            faults=["redirect"],
            token_fault_rate=0.6,
            token_faults=["redirect"],
            fault_seed=2,  # the first token request is redirected (307)
        )
        run = run_tap(emu.config_for_tap(max_retries=8))
        stats = emu.stats()
    assert run.returncode == 0, run.stderr[-3000:]
    assert stats["faults_injected"].get("redirect", 0) >= 3
    assert stats["token_faults_injected"].get("redirect", 0) >= 1
    assert other.received == []
    assert canonical(run) == canonical(clean)
    assert f"a redirect to {other.url[len('http://') :]}" in run.stderr


def test_malformed_tokens_and_bad_lifetimes_at_debug_print_no_token(
    emu: EmulatorProcess, clean: TapRun
) -> None:
    # A few revoked tokens make the tap ask for several; most answers spoil the token.
    emu.config(
        token_fault_rate=0.6,
        token_faults=["token-newline", "token-space", "expires-text", "expires-negative"],
        fault_rate=0.05,
        faults=["revoke"],
        fault_seed=5,
    )
    # run_tap logs at DEBUG and checks stdout and stderr for every token the emulator issued,
    # the malformed ones included.
    run = run_tap(emu.config_for_tap(max_retries=10))
    assert run.returncode == 0, run.stderr[-3000:]
    assert emu.stats()["token_faults_injected"]
    assert "malformed" in run.stderr
    assert canonical(run) == canonical(clean)
