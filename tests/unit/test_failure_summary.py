"""The target's failure summary: failed and rejected records by code, a few examples each."""

from __future__ import annotations

from target_zoho_territories.records import Result
from target_zoho_territories.results import EXAMPLES_PER_CODE, Summary, example


def result(line: int | None, outcome: str, code: str, message: str = "") -> Result:
    return Result(
        stream="assignments",
        line=line,
        record={"user_id": "1", "territory_id": "2"} if line is not None else None,
        user_id="1",
        territory_id="2",
        action="add",
        outcome=outcome,
        code=code,
        message=message,
    )


def test_failures_are_grouped_by_code_most_first_with_a_few_examples() -> None:
    summary = Summary()
    summary.count(
        [result(n, "failed", "NOT_ALLOWED", "own territories") for n in range(2, 7)]
        + [result(9, "rejected", "INVALID_INPUT", "user_id must contain only digits")]
        + [result(10, "added", "SUCCESS")]
    )
    lines = summary.failures_text("out/results.jsonl").splitlines()
    assert lines[0] == (
        "Records that failed or were rejected, by code (at most 3 examples each; "
        "out/results.jsonl has every record):"
    )
    assert lines[1] == "  NOT_ALLOWED: 5 failed"
    assert lines[2:5] == [
        f"    line {n}: user 1, territory 2 (add): own territories" for n in (2, 3, 4)
    ]
    assert lines[5:] == [
        "  INVALID_INPUT: 1 rejected",
        "    line 9: user 1, territory 2 (add): user_id must contain only digits",
    ]
    assert EXAMPLES_PER_CODE == 3


def test_no_failure_no_summary_and_without_a_results_path_it_says_so() -> None:
    summary = Summary()
    summary.count([result(2, "added", "SUCCESS")])
    assert summary.failures_text(None) == ""
    summary.count([result(3, "failed", "NOT_SENT")])
    assert "set results_path for all" in summary.failures_text(None)


def test_an_example_of_mirrors_own_removal_and_a_long_message() -> None:
    removal = result(None, "failed", "INVALID_DATA", "x" * 300)
    removal.action = "remove"
    shown = example(removal)
    assert shown.startswith("mirror's own removal: user 1, territory 2 (remove): xxx")
    assert shown.endswith("...")
    assert len(shown) < 250
