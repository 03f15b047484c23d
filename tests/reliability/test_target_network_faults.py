"""The target under each network fault a broken proxy, load balancer or network produces.

For every fault kind of the emulator (html, truncate, short-body, reset-body, error200, slow,
redirect), at a rate that forces retries and read-backs, in apply and in mirror mode:

- the results never contradict the org (`/__emulator/state`), record by record, and no change
  left unmade ends with exit 0 (tests/support/zoho_model.py `check_results`);
- every record gets exactly one result line;
- mirror never removes what it could not read;
- a re-run without faults then leaves the org exactly as Zoho's rules say.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support.change_sets import mirror_records, mixed_changes
from tests.support.org import Org
from tests.support.target_run import SCHEMA, TargetRun, record, run_target_in_process, state
from tests.support.zoho_model import ZohoRules, check_results

KINDS = ["html", "truncate", "short-body", "reset-body", "error200", "slow", "redirect"]
RATE = 0.3
# A slow answer is cut at the deadline: 2 s instead of the default 60.
SETTINGS = {"request_timeout": 2, "max_retries": 6}


@contextmanager
def faults(org: Org, kind: str) -> Iterator[None]:
    org.emulator.config(fault_rate=RATE, faults=[kind], fault_seed=7, slow_drip_seconds=0.5)
    try:
        yield
    finally:
        org.emulator.config(fault_rate=0)


def one_line_each(run: TargetRun, records_sent: int) -> None:
    lines = Counter(r["line"] for r in run.results if r["record"] is not None)
    assert lines == Counter(range(2, records_sent + 2)), "one result line per record"


@pytest.mark.parametrize("kind", KINDS)
def test_apply_under_a_network_fault(org: Org, tmp_path, kind: str) -> None:
    changes = mixed_changes(org)
    rules = ZohoRules.of(org)
    wanted, _ = rules.apply(org.assignments(), changes)
    messages = [SCHEMA, *(record(u, t, a) for u, t, a in changes), state({"all": True})]

    with faults(org, kind):
        run = run_target_in_process(org.config(**SETTINGS), messages, tmp_path)
        injected = org.emulator.stats()["faults_injected"]

    assert injected.get(kind), injected
    one_line_each(run, len(changes))
    check_results(run.results, org.assignments(), run.returncode)
    if run.returncode == 0:
        assert org.assignments() == wanted
        assert run.states == [{"all": True}]

    rerun = run_target_in_process(org.config(allow_failures=True), messages, tmp_path)

    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert org.assignments() == wanted


@pytest.mark.parametrize("kind", KINDS)
def test_mirror_under_a_network_fault(org: Org, tmp_path, kind: str) -> None:
    wanted = mirror_records(org)
    before = org.assignments()
    after = ZohoRules.of(org).mirror(before, wanted)
    messages = [SCHEMA, *(record(u, t, a) for u, t, a in wanted)]

    with faults(org, kind):
        run = run_target_in_process(org.config(mode="mirror", **SETTINGS), messages, tmp_path)
        injected = org.emulator.stats()["faults_injected"]

    assert injected.get(kind), injected
    one_line_each(run, len(wanted))
    check_results(run.results, org.assignments(), run.returncode)
    unread = {r["user_id"] for r in run.results if "could not be read" in str(r["message"])}
    held = org.assignments()
    for user in unread:  # a user whose read failed keeps exactly what they held
        assert {t for u, t in held if u == user} == {t for u, t in before if u == user}
    if run.returncode == 0:
        assert held == after

    rerun = run_target_in_process(org.config(mode="mirror"), messages, tmp_path)

    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert org.assignments() == after
