"""A self-test of the one Zoho-rules oracle (tests/support/zoho_model.py): it can fail."""

from __future__ import annotations

import pytest

from tests.support.zoho_model import ZohoRules, check_results

RULES = ZohoRules(
    me="1",
    root="100",
    active=frozenset({"1", "2", "3"}),
    managers=frozenset({("3", "101")}),
    known=frozenset({"1", "2", "3", "4", "100", "101", "102"}),
)


def _result(user: str, territory: str, action: str, outcome: str, line: int = 2) -> dict:
    return {
        "line": line,
        "user_id": user,
        "territory_id": territory,
        "action": action,
        "outcome": outcome,
        "code": None,
    }


def test_the_rules() -> None:
    held = {("3", "101"), ("2", "100")}
    records = [
        ("2", "101", "add"),  # added
        ("4", "102", "add"),  # user 4 is not active: failed
        ("1", "102", "add"),  # the token's own user: failed
        ("3", "101", "remove"),  # a manager: failed
        ("2", "100", "remove"),  # the organisation territory: failed
        ("2", "102", "remove"),  # not there: unchanged
        ("2", "999", "add"),  # unknown territory: failed
        None,  # rejected
        ("2", "102", "add"),  # superseded by the next record
        ("2", "102", "remove"),
    ]

    after, outcomes = RULES.apply(held, records)

    assert after == held | {("2", "101")}
    assert outcomes == [
        "added",
        "failed",
        "failed",
        "failed",
        "failed",
        "unchanged",
        "failed",
        "rejected",
        "unchanged",
        "unchanged",
    ]


def test_batches_apply_in_order() -> None:
    records = [("2", "101", "add"), ("2", "101", "remove")]
    assert RULES.apply(set(), records, batch_size=1) == (set(), ["added", "removed"])
    assert RULES.apply(set(), records) == (set(), ["unchanged", "unchanged"])


def test_mirror_keeps_what_zoho_never_removes() -> None:
    held = {("3", "101"), ("3", "100"), ("3", "102"), ("2", "102")}
    after = RULES.mirror(held, [("3", "101", "remove"), ("4", "102", "add")])
    assert after == {("3", "101"), ("3", "100"), ("2", "102")}


@pytest.mark.parametrize(
    ("result", "org", "code"),
    [
        (_result("2", "101", "add", "added"), set(), 0),
        (_result("2", "101", "remove", "removed"), {("2", "101")}, 0),
        (_result("2", "101", "add", "unchanged"), set(), 0),
        (_result("2", "101", "add", "failed"), set(), 0),  # not made, yet exit 0
    ],
)
def test_a_contradiction_is_caught(result: dict, org: set, code: int) -> None:
    with pytest.raises(AssertionError):
        check_results([result], org, code)


def test_a_truthful_run_passes() -> None:
    results = [
        _result("2", "101", "add", "added", line=2),
        _result("2", "102", "add", "failed", line=3),
        _result("3", "101", "remove", "failed", line=4),
        _result("2", "100", "remove", "unchanged", line=5),
    ]
    check_results(results, {("2", "101"), ("3", "101")}, 1)
    check_results(results, {("2", "101"), ("3", "101")}, 0, allow_failures=True)
