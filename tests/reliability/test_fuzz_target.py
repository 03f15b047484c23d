"""A fuzz pass: random assignment streams through the target end where the model says.

Hypothesis draws streams of adds and removes (duplicates, any order, invalid records, STATE
messages anywhere), a batch size and a grouping (`write_via`). Each stream goes through the
target (invoked in-process) into one emulator (reset between examples), and must end with:

- the org equal to the model of Zoho's rules (tests/support/zoho_model.py) after the same
  records, and no result contradicting the org;
- one result line per record, with the outcome the model gives it;
- the last STATE of the input emitted, and every STATE only after the records before it.

The pool mixes the awkward cases: the token's own user, inactive and deleted users, the
organisation territory, territory managers, and well-formed ids that Zoho does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.org import Org
from tests.support.target_run import SCHEMA, record, run_target_in_process, state
from tests.support.zoho_model import Wanted, ZohoRules, check_results

# Well-formed ids that Zoho does not know: always `failed`, whichever way a call is grouped.
UNKNOWN_USER = "1234567890123456789"
UNKNOWN_TERRITORY = "9876543210987654321"
INVALID = [
    {"user_id": "12a4", "territory_id": "1"},
    {"user_id": "1" * 25, "territory_id": "1"},
    {"user_id": 5, "territory_id": "1"},
    {"territory_id": "1"},
    {"user_id": "1", "territory_id": "1", "action": "delete"},
]


@dataclass(frozen=True)
class Pool:
    """The users and territories a stream draws from, and Zoho's rules about them."""

    users: list[str]
    territories: list[str]
    rules: ZohoRules
    start: frozenset[tuple[str, str]]


# 3 inactive users (holding territories), 1 deleted user.
ORG_ARGS = ("--territories", "8", "--users", "40", "--groups", "2", "--seed", "1")


@pytest.fixture(scope="module")
def pool(module_org: Org) -> Pool:
    org = module_org
    territories = [org.root, *org.territories()[:4]]
    managers = {m for t in territories if (m := org.manager_of(t))}
    plain = [u for u in org.active_users() if u not in managers][:3]
    users = sorted(
        {org.me, *org.users_with("inactive"), *org.users_with("deleted")} | managers | set(plain)
    )
    statuses = {u["id"]: u["status"] for u in org.start["users"]}
    assert {statuses[u] for u in users} == {"active", "inactive", "deleted"}
    return Pool(
        users=[*users, UNKNOWN_USER],
        territories=[*territories, UNKNOWN_TERRITORY],
        rules=ZohoRules.of(org),
        start=frozenset(org.assignments()),
    )


def wanted(item: dict[str, Any]) -> Wanted:
    """The record as the model sees it."""
    return None if "invalid" in item else (*item["pair"], item["action"])


def operations(pool: Pool) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Records (valid or not), each maybe followed by a STATE."""
    valid = st.builds(
        lambda u, t, action, spelled: {
            "pair": (u, t),
            "action": action,
            "spelled": spelled,
        },
        st.sampled_from(pool.users),
        st.sampled_from(pool.territories),
        st.sampled_from(["add", "remove"]),
        st.sampled_from([None, "as-is", "upper", "deleted-at"]),
    )
    invalid = st.sampled_from(INVALID).map(lambda body: {"invalid": body})
    item = st.one_of(valid, valid, valid, valid, valid, valid, valid, valid, invalid)
    return st.lists(st.tuples(item, st.booleans()), min_size=1, max_size=45).map(
        lambda drawn: [{**item, "state_after": flag} for item, flag in drawn]
    )


def message(item: dict[str, Any]) -> dict[str, Any]:
    if "invalid" in item:
        return {"type": "RECORD", "stream": SCHEMA["stream"], "record": item["invalid"]}
    user, territory = item["pair"]
    spelled = item["spelled"]
    if item["action"] == "add":
        action = {None: None, "as-is": "add", "upper": " ADD ", "deleted-at": None}[spelled]
        return record(user, territory, action)
    if spelled == "deleted-at":
        return record(user, territory, None, _sdc_deleted_at="2025-01-01T00:00:00Z")
    return record(user, territory, " Remove " if spelled == "upper" else "remove")


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_random_streams_end_as_the_model_says(
    module_org: Org, pool: Pool, tmp_path: Path, data: st.DataObject
) -> None:
    items = data.draw(operations(pool), label="records")
    batch_size = data.draw(st.integers(min_value=1, max_value=15), label="batch_size_rows")
    write_via = data.draw(st.sampled_from(["auto", "user", "territory"]), label="write_via")
    module_org.reset()
    messages: list[dict[str, Any]] = [SCHEMA]
    lines: list[int] = []  # input line of each record
    for number, item in enumerate(items):
        messages.append(message(item))
        lines.append(len(messages))
        if item["state_after"] or number == len(items) - 1:
            messages.append(state({"seen": number + 1}))
    records = [wanted(item) for item in items]
    after, outcomes = pool.rules.apply(set(pool.start), records, batch_size)
    config = module_org.config(batch_size_rows=batch_size, write_via=write_via, allow_failures=True)

    run = run_target_in_process(config, messages, tmp_path)

    assert run.returncode == 0, run.stderr[-3000:]
    assert module_org.assignments() == after
    check_results(run.results, after, run.returncode, allow_failures=True)
    assert [r["line"] for r in sorted(run.results, key=lambda r: r["line"])] == lines
    by_line = run.by_line()
    got = [by_line[line]["outcome"] for line in lines]
    assert got == outcomes, [
        (n, items[n], got[n], outcomes[n], by_line[lines[n]]["message"])
        for n in range(len(items))
        if got[n] != outcomes[n]
    ]
    states = run.states
    assert states, "the last STATE is emitted"
    assert states[-1] == {"seen": len(items)}
    assert [s["seen"] for s in states] == sorted({s["seen"] for s in states})
