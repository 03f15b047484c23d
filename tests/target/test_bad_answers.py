"""Answers that are not Zoho's JSON: a write is settled by a read, and a failed read is no evidence.

The emulator's `truncate` fault cuts a 2xx body in half after the request was processed (a
write it hits was applied); `error200` answers 200 with an error envelope before processing.
An answer without a body (204: a user with no territories, a territory with no users) is never
cut, which lets a test have the write's answer broken and the read after it whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.support.org import Org
from tests.support.target_run import SCHEMA, record, records, run_target_in_process, state
from tests.support.zoho_model import check_results


@contextmanager
def faults(org: Org, *kinds: str, **settings: Any) -> Iterator[None]:
    """Every API answer faulted with one of `kinds` while the block runs."""
    org.emulator.config(fault_rate=1.0, faults=list(kinds), fault_seed=1, **settings)
    try:
        yield
    finally:
        org.emulator.config(fault_rate=0)


def removable_user(org: Org, holding: int = 2) -> tuple[str, list[str]]:
    """An active user (not the token's) whose territories Zoho lets mirror or a remove take."""
    held = org.assignments()
    managed = set(org.managed())
    for user in org.active_users():
        mine = sorted(t for u, t in held if u == user)
        if len(mine) >= holding and all(t != org.root and (user, t) not in managed for t in mine):
            return user, mine
    raise AssertionError("no such user in this org")


def test_a_remove_whose_answer_is_cut_short_is_settled_by_a_read(org: Org, tmp_path) -> None:
    user, territories = removable_user(org)
    messages = [SCHEMA, *records([(user, t) for t in territories], "remove"), state({"s": 1})]

    with faults(org, "truncate"):
        run = run_target_in_process(org.config(write_via="user"), messages, tmp_path)
        injected = org.emulator.stats()["faults_injected"]

    assert injected == {"truncate": 1}  # the DELETE's answer; the read after it is a 204
    assert run.returncode == 0, run.stderr[-2000:]
    assert not {t for u, t in org.assignments() if u == user}
    assert {(r["outcome"], r["code"]) for r in run.results} == {("unchanged", "BAD_ANSWER")}
    for result in run.results:
        assert "not Zoho's JSON" in result["message"]
        assert "GET /users/{id}/territories after it shows it not assigned" in result["message"]
        assert "this run may have made this change itself" in result["message"]
    assert org.calls() == {"DELETE /users/{id}/territories": 1, "GET /users/{id}/territories": 1}
    check_results(run.results, org.assignments(), run.returncode)
    assert run.states == [{"s": 1}]


@pytest.mark.parametrize("kind", ["truncate", "error200"])
def test_a_write_whose_answer_and_check_read_are_both_bad_fails(
    org: Org, tmp_path, kind: str
) -> None:
    user, territories = removable_user(org)
    new = next(t for t in org.territories() if t not in territories)
    messages = [SCHEMA, record(user, new), record(user, territories[0], "remove"), state({"s": 1})]

    with faults(org, kind):
        run = run_target_in_process(
            org.config(write_via="user", max_retries=1, max_concurrency=1), messages, tmp_path
        )

    assert run.returncode == 2, run.stderr[-2000:]
    assert run.states == []
    results = run.by_line()
    assert results[2]["outcome"] == "failed"
    assert "the check read failed" in results[2]["message"]
    assert "may or may not have been made" in results[2]["message"]
    assert results[3]["outcome"] == "failed"  # its call was never sent
    check_results(run.results, org.assignments(), run.returncode)


def test_mirror_never_takes_a_failed_read_for_a_user_who_holds_nothing(org: Org, tmp_path) -> None:
    user, territories = removable_user(org)
    before = org.assignments()
    new = next(t for t in org.territories() if t not in territories)
    messages = [SCHEMA, record(user, new), state({"s": 1})]

    with faults(org, "truncate"):
        run = run_target_in_process(org.config(mode="mirror", max_retries=1), messages, tmp_path)

    assert run.returncode == 2, run.stderr[-2000:]
    assert org.assignments() == before  # nothing removed, nothing added
    assert org.writes() == {}
    (result,) = run.results  # no removal of the territories the read could not show
    assert (result["outcome"], result["code"]) == ("failed", "RETRIES_EXHAUSTED")
    assert "not mirrored: this user's territories could not be read" in result["message"]
    assert run.states == []
