"""The outcome functions against docs/target.md's outcome tables, row by row (no HTTP).

Each row of the decision table ("what Zoho answered, or what a read showed") has a case here
that calls `target_zoho_territories.outcomes` the way the writer, mirror and engine do; the
outcome and code must be the documented ones, and every case must be a documented row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from target_zoho_territories import outcomes as oc
from target_zoho_territories.outcomes import ADD, REMOVE, Outcome
from zoho_crm_api.errors import (
    ZohoAnswerTooLarge,
    ZohoAPIError,
    ZohoAuthError,
    ZohoBudgetExhausted,
    ZohoCreditsExhausted,
    ZohoRetriesExhausted,
    ZohoRetryAfterTooLong,
    ZohoStopped,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "target.md"
WRITE = "PUT /users/{id}/territories"
READ = "GET /users/{id}/territories"
SUCCESS_ITEM = {"code": "SUCCESS", "status": "success", "message": "done", "details": {}}
DUPLICATE = {"code": "DUPLICATE_DATA", "status": "error", "message": "already", "details": {}}
NOT_LINKED = {"code": "INVALID_DATA", "status": "error", "message": "territory not linked"}
MANAGER = {"code": "INVALID_DATA", "status": "error", "message": "the user is a manager of it"}
INACTIVE = {"code": "INVALID_DATA", "status": "error", "message": "the user is inactive"}
OWN_USER = ZohoAPIError(WRITE, 400, "NOT_ALLOWED", "Logged in users cannot update their own")
RETRIES = ZohoRetriesExhausted(READ, 6, "HTTP 500 INTERNAL_ERROR")


@dataclass(frozen=True)
class Case:
    """How the code decides one documented row, and what "Zoho's" code is in it."""

    decide: Callable[[str], Outcome]
    zoho_code: str | None = None


def _refused(action: str) -> Outcome:
    return oc.answered(action, INACTIVE, WRITE)


def _wanted(action: str) -> bool:
    """What a read shows when the pair is as the action wants."""
    return action == ADD


def _untied(action: str, holds: bool, loose: list, reason: dict | None = None) -> Outcome:
    return oc.by_read(action, holds, loose, reason, source=READ, endpoint=WRITE)


CASES: dict[str, Case] = {
    "an item says success": Case(lambda a: oc.answered(a, SUCCESS_ITEM, WRITE)),
    "an item says `DUPLICATE_DATA`": Case(lambda a: oc.answered(a, DUPLICATE, WRITE)),
    'an item says "not linked"': Case(lambda a: oc.answered(a, NOT_LINKED, WRITE), "INVALID_DATA"),
    "an item refuses the change": Case(_refused, "INVALID_DATA"),
    "a retry after an attempt whose answer was lost finds the pair as wanted": Case(
        lambda a: oc.lost_answer(oc.answered(a, DUPLICATE if a == ADD else NOT_LINKED, WRITE), "x"),
        "DUPLICATE_DATA|INVALID_DATA",
    ),
    "Zoho refuses the whole call (an error envelope)": Case(
        lambda a: oc.call_refused(OWN_USER, WRITE), "NOT_ALLOWED"
    ),
    "a refusal, and the read after the call shows the pair as wanted": Case(
        lambda a: oc.refusal_checked(a, _refused(a), _wanted(a), READ), "INVALID_DATA"
    ),
    "a refusal, and the read after the call shows it not as wanted": Case(
        lambda a: oc.refusal_checked(a, _refused(a), not _wanted(a), READ), "INVALID_DATA"
    ),
    "no item can be tied to the change, and the read shows the pair": Case(
        lambda a: _untied(a, True, [])
    ),
    "no item can be tied to the change, the read shows the pair, and the call got a duplicate "
    "item": Case(lambda a: _untied(a, True, [DUPLICATE])),
    "no item can be tied to the change, the read shows the pair gone, and the call got a "
    '"not linked" item': Case(lambda a: _untied(a, False, [NOT_LINKED, MANAGER]), "INVALID_DATA"),
    "no item can be tied to the change, the read shows the pair gone, and the call got a "
    "success item": Case(lambda a: _untied(a, False, [SUCCESS_ITEM, MANAGER])),
    "no item can be tied to the change, the read shows the pair gone, and the call got only "
    "refusals": Case(lambda a: _untied(a, False, [MANAGER]), "INVALID_DATA"),
    "no item can be tied to the change, the read shows it not as wanted, and a refusal of the "
    "call explains it": Case(
        lambda a: _untied(
            a, not _wanted(a), [MANAGER, INACTIVE], oc.explaining_item([MANAGER, INACTIVE], "")
        ),
        "INVALID_DATA",
    ),
    "no item can be tied to the change, the read shows it not as wanted, and nothing explains "
    "it": Case(lambda a: _untied(a, not _wanted(a), [MANAGER, INACTIVE], None)),
    "no item can be tied to a remove, and a read of its item id shows Zoho does not know it": Case(
        lambda a: oc.unknown_id(INACTIVE | {"message": "invalid id"}, "Zoho does not know", WRITE),
        "INVALID_DATA",
    ),
    "the answer is not Zoho's JSON, and the read after it shows the pair as wanted": Case(
        lambda a: oc.unreadable_by_read(a, _wanted(a), "not JSON", READ, WRITE)
    ),
    "the answer is not Zoho's JSON, and the read after it shows it not as wanted": Case(
        lambda a: oc.unreadable_by_read(a, not _wanted(a), "not JSON", READ, WRITE)
    ),
    "the read that would settle the change failed": Case(
        lambda a: oc.read_failed("sent", RETRIES, WRITE), "RETRIES_EXHAUSTED"
    ),
    "the call kept failing with 429, 5xx or dropped connections": Case(
        lambda a: oc.call_failed(RETRIES, WRITE)
    ),
    "Zoho asked to retry later than `max_retry_after`": Case(
        lambda a: oc.call_failed(ZohoRetryAfterTooLong(WRITE, 900, 300), WRITE)
    ),
    "the answer was larger than `max_response_mb`": Case(
        lambda a: oc.call_failed(ZohoAnswerTooLarge(WRITE, 64), WRITE)
    ),
    "the next call would pass `api_credit_budget`": Case(
        lambda a: oc.call_failed(ZohoBudgetExhausted(3), WRITE)
    ),
    "Zoho says the org's credits are spent": Case(
        lambda a: oc.call_failed(ZohoCreditsExhausted(WRITE, "spent"), WRITE)
    ),
    "the accounts server refuses a token": Case(
        lambda a: oc.call_failed(ZohoAuthError("invalid_client"), WRITE)
    ),
    "SIGTERM/SIGINT stopped the call in flight": Case(
        lambda a: oc.call_failed(ZohoStopped("interrupted by SIGTERM"), WRITE)
    ),
    "the run stopped on an error while the batch was written": Case(
        lambda a: oc.interrupted("no answer")
    ),
    "the run stopped before the call was sent": Case(lambda a: oc.not_sent("not sent")),
    "the record breaks the record contract": Case(lambda a: oc.rejected("user_id is missing")),
    "a record with no values at all (an empty spreadsheet row)": Case(lambda a: oc.blank()),
    "a later record of the batch is for the same pair": Case(
        lambda a: oc.superseded(3, "assignments", a)
    ),
    "mirror: the read before writing shows the pair as wanted": Case(
        lambda a: oc.in_place(a, READ)
    ),
    "mirror: a held territory it never removes (the organisation's, or managed by the user)": Case(
        lambda a: oc.kept("kept: the organisation territory", READ)
    ),
    "mirror: another record of the user was rejected": Case(lambda a: oc.mirror_skipped(3)),
    "mirror: the read of the user's territories failed": Case(
        lambda a: oc.unread(ZohoAPIError(READ, 400, "INVALID_DATA", "x"), READ),
        "INVALID_DATA",
    ),
    "dry run": Case(lambda a: oc.planned(a, 1, 2, "PUT /users/1/territories", WRITE)),
}


@dataclass(frozen=True)
class Row:
    """One row of the decision table."""

    when: str
    action: str
    outcome: str
    code: str


def _tables(text: str) -> list[list[list[str]]]:
    """Every markdown table of the "Outcomes and codes" section, as rows of cells."""
    section = text.split("## Outcomes and codes", 1)[1].split("\n## ", 1)[0]
    tables: list[list[list[str]]] = [[]]
    for line in section.splitlines():
        if line.startswith("|---"):
            continue
        if line.startswith("|"):
            tables[-1].append([cell.strip() for cell in line.strip("|").split("|")])
        elif tables[-1]:
            tables.append([])
    return [table for table in tables if table]


def decision_rows() -> list[Row]:
    """The documented decision table."""
    table = next(t for t in _tables(DOC.read_text()) if t[0][0].startswith("what Zoho answered"))
    return [
        Row(when, action, outcome.strip("`"), code) for when, action, outcome, code in table[1:]
    ]


def documented_codes() -> dict[str, set[str]]:
    """Per outcome, every code the first table names."""
    table = _tables(DOC.read_text())[0]
    return {row[0].strip("`"): set(re.findall(r"`([A-Z_]+)`", row[2])) for row in table[1:]}


ROWS = decision_rows()


def test_every_row_has_a_case_and_every_case_a_row() -> None:
    assert len(ROWS) >= 30
    assert {row.when for row in ROWS} == set(CASES)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.when[:60])
def test_a_row_is_what_the_code_decides(row: Row) -> None:
    case = CASES[row.when]
    for action in (ADD, REMOVE) if row.action == "any" else (row.action,):
        got = case.decide(action)
        assert got.outcome == row.outcome, (action, got)
        literal = re.fullmatch(r"`([A-Z_]+)`", row.code)
        if literal:
            assert got.code == literal.group(1), (action, got)
        elif row.code == "null":
            assert got.code is None, (action, got)
        else:  # Zoho's code (or the refusal's, or the read's error), as the case supplies it
            assert case.zoho_code is not None
            assert got.code in case.zoho_code.split("|"), (action, got)
            example = re.findall(r"`([A-Z_]+)`", row.code)
            if len(example) == 1:
                assert got.code == example[0], (action, got)
        assert got.message, (action, got)


def test_own_codes_are_the_documented_ones() -> None:
    documented = documented_codes()
    for outcome, codes in oc.OWN_CODES.items():
        assert codes <= documented[outcome], outcome
    literal = {(r.outcome, r.code.strip("`")) for r in ROWS if re.fullmatch(r"`[A-Z_]+`", r.code)}
    for outcome, code in literal:
        assert code in oc.OWN_CODES[outcome] or code in {"DUPLICATE_DATA"}, (outcome, code)


def test_success_read_and_answer_are_the_only_sources_of_a_good_outcome() -> None:
    # A failed read is never evidence: whatever the action, the outcome is `failed`.
    for exc in (RETRIES, ZohoStopped("x"), ZohoAPIError(READ, 400, "INVALID_DATA", "x")):
        assert oc.read_failed("sent", exc, WRITE).outcome == "failed"


def test_lost_answer_note_only_where_the_retry_found_the_change_in_place() -> None:
    made = oc.answered(ADD, SUCCESS_ITEM, WRITE)
    refused = oc.answered(ADD, INACTIVE, WRITE)
    assert oc.lost_answer(made, "HTTP 500") == made
    assert oc.lost_answer(refused, "HTTP 500") == refused
    noted = oc.lost_answer(oc.answered(ADD, DUPLICATE, WRITE), "HTTP 500")
    assert "this run may have made this change itself" in str(noted.message)


def test_the_refusal_that_explains_a_change_is_the_one_of_its_kind() -> None:
    root = {"code": "INVALID_DATA", "message": "Organization Territory cannot be removed"}
    items = [MANAGER, root, INACTIVE]
    assert oc.explaining_item(items, oc.ROOT_KIND) == root
    assert oc.explaining_item(items, oc.MANAGER_KIND) == MANAGER
    assert oc.explaining_item(items, "") == INACTIVE
    assert oc.explaining_item(items, None) is None  # the kind could not be read
    assert oc.explaining_item([MANAGER, MANAGER], None) == MANAGER
    assert oc.explaining_item([], "") is None
