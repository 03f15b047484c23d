"""Count-based paging against the emulator: no user lost or read twice when the count is stale.

The tap counts users (E9) beside page 1, then asks for every counted page at once (active users
here: `user_type: ActiveUsers`, so no deleted users are read beside them). Here the org
changes between the count and the pages: the test waits until the tap asks for page 2 (so the
count has been answered) and then adds or deletes users, while the emulator's latency holds
the pages back. Added users come last in every list (docs/emulator.md), deleted ones are taken
from the end, so no page shifts under the tap: every user listed when the pages are read must
be emitted exactly once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import org_truth
from tests.support.tap_run import TapRun, discover, run_tap, select
from zoho_crm_emulator.process import EmulatorProcess

# Long enough for the test to change the org between the count and the pages it counted.
LATENCY_MS = 2000
PER_PAGE = 200
ACTIVE = "ActiveUsers"


def active(emulator: EmulatorProcess) -> list[str]:
    return [u["id"] for u in emulator.state("users")["users"] if u["status"] == "active"]


def pages(n: int) -> int:
    return max(1, -(-n // PER_PAGE))


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    # 700 users (4 pages of AllUsers), 30 territories.
    with EmulatorProcess(
        "--territories", "30", "--users", "700", "--groups", "3", "--seed", "5"
    ) as emu:
        yield emu


@pytest.fixture
def org(emulator: EmulatorProcess) -> EmulatorProcess:
    emulator.reset()
    return emulator


def users_only(emulator: EmulatorProcess) -> dict[str, Any]:
    return select(discover(emulator.config_for_tap()), "users")


def run_changing(emulator: EmulatorProcess, change: Any) -> TapRun:
    """Run the tap (users only); once it asks for page 2, apply `change()`."""
    catalog = users_only(emulator)
    emulator.config(latency_ms=LATENCY_MS)
    emulator.reset_stats()
    done: list[TapRun] = []
    thread = threading.Thread(
        target=lambda: done.append(
            run_tap(emulator.config_for_tap(max_concurrency=10, user_type=ACTIVE), catalog=catalog)
        )
    )
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while emulator.stats()["requests"].get("GET /users", 0) < 2:
            assert thread.is_alive(), "the tap ended before asking for page 2"
            assert time.monotonic() < deadline, "the tap never asked for page 2"
            time.sleep(0.02)
        assert emulator.stats()["requests"].get("GET /users/actions/count") == 1
        change()
    finally:
        thread.join(120)
        emulator.config(latency_ms=0)
    assert done, "the tap did not finish"
    return done[0]


def emitted_once(run: TapRun) -> list[str]:
    ids = [r["id"] for r in run.records["users"]]
    assert len(ids) == len(set(ids)), "a user was emitted twice"
    return ids


def test_users_added_after_the_count_are_read_past_the_counted_pages(
    org: EmulatorProcess,
) -> None:
    counted = len(active(org))
    added: list[str] = []
    run = run_changing(org, lambda: added.extend(org.add_users(150)))
    assert run.returncode == 0, run.stderr[-3000:]
    listed = set(active(org))
    assert set(added) <= listed
    assert set(emitted_once(run)) == listed
    calls = org.stats()["requests"]
    # The counted pages at once, then one page after another while more_records says so.
    assert pages(counted) < pages(len(listed))
    assert calls["GET /users"] == pages(len(listed))
    assert calls["GET /users/actions/count"] == 1


def test_users_deleted_after_the_count_end_the_list_at_the_short_page(
    org: EmulatorProcess,
) -> None:
    before = active(org)
    last = sorted(before)[-250:]

    def delete() -> None:
        for user in last:
            org.delete_user(user)

    run = run_changing(org, delete)
    assert run.returncode == 0, run.stderr[-3000:]
    listed = set(active(org))
    assert listed == set(before) - set(last)
    assert set(emitted_once(run)) == listed
    # Every counted page was asked for (the ones past the short page answered 204), no more.
    assert org.stats()["requests"]["GET /users"] == pages(len(before))


def test_an_incremental_run_does_not_count(org: EmulatorProcess) -> None:
    catalog = users_only(org)
    state = {
        "bookmarks": {
            "users": {
                "replication_key": "modified_time",
                "replication_key_value": "2024-06-01T00:00:00+00:00",
            }
        }
    }
    org.reset_stats()
    config = org.config_for_tap(max_concurrency=10, user_type=ACTIVE)
    run = run_tap(config, catalog=catalog, state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "GET /users/actions/count" not in {k for k, n in org.stats()["requests"].items() if n}


def test_a_territory_with_many_users_is_read_whole_and_once(org: EmulatorProcess) -> None:
    state = org.state("territories,users,assignments")
    territory = next(t["id"] for t in state["territories"] if t["reporting_to"] is not None)
    held = {a["user_id"] for a in state["assignments"] if a["territory_id"] == territory}
    for user in org_truth.listed_users(state)[:450]:
        if user["id"] not in held:
            org.assign(user["id"], territory)
    truth = org_truth.assignment_pairs(org.state("territories,users,assignments"))
    members = sum(1 for t, _ in truth if t == territory)
    assert members > 2 * PER_PAGE
    catalog = select(
        discover(org.config_for_tap()),
        "territories",
        "territory_users",
        "territory_associated_user_counts",
    )
    org.reset_stats()
    run = run_tap(org.config_for_tap(max_concurrency=10), catalog=catalog)
    assert run.returncode == 0, run.stderr[-3000:]
    pairs = [(r["territory_id"], r["id"]) for r in run.records["territory_users"]]
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == truth
    per_territory: dict[str, int] = {}
    for tid, _ in truth:
        per_territory[tid] = per_territory.get(tid, 0) + 1
    expected = sum(pages(per_territory.get(t["id"], 0)) for t in state["territories"])
    assert org.stats()["requests"]["GET /settings/territories/{id}/users"] == expected
