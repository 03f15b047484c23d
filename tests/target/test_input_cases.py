"""Bad and unusual input lines, one `.singer` file each (tests/data/input/), against the sample org.

Every file is a whole input built around the same frame: SCHEMA (line 1), two good records
(lines 2, 3), a STATE (line 4), the case's line(s) from line 5, then one more good record and a
final STATE. Each case checks the three promises of a tool that writes into a CRM:

- a clear message that names what is wrong and where (the input line, or the record's result);
- the right exit code (2 for a run that stopped early, 1 for a rejected record, 0 otherwise);
- nothing already confirmed is lost: the records before a bad line are written and reported,
  and the STATE before it is emitted.

Run one by hand: `target-zoho-territories --config sample_config.json --input <file>` against
`zoho-crm-emulator --org sample`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.org import Org
from tests.support.target_run import INPUT_CASES, run_target_in_process

ORG_ARGS = ("--org", "sample")
# The frame's good records (Karthik into three Chennai territories) and the pair the cases use.
KARTHIK = "431581000000320001"
GOOD = [(KARTHIK, "431581000000744113"), (KARTHIK, "431581000000744125")]
GOOD_AFTER = (KARTHIK, "431581000000744137")
CASE_PAIR = ("431581000000291001", "431581000000744159")
BAD_LINE = 5
FIRST_STATE = {"at": 4}
LAST_STATE = {"at": "end"}


@dataclass(frozen=True)
class Expect:
    """What the target must make of a case: stop at line 5, reject a record, or apply it."""

    kind: str  # "stop", "reject" or "ok"
    words: tuple[str, ...] = ()  # in the last stderr line (stop) or the result message (reject)
    outcomes: dict[str, int] = field(default_factory=dict)  # "ok": outcomes of the case's lines


CASES = {
    # Lines that are not Singer messages stop the run there.
    "truncated-json": Expect("stop", ("is not JSON",)),
    "json-array": Expect("stop", ("is not a JSON object",)),
    "json-number": Expect("stop", ("is not a JSON object",)),
    "json-null": Expect("stop", ("is not a JSON object",)),
    "no-type": Expect("stop", ("has no 'type'",)),
    "unknown-type": Expect("stop", ("unknown message type 'UPSERT'",)),
    "trailing-garbage": Expect("stop", ("is not JSON",)),
    "invalid-utf8": Expect("stop", ("is not UTF-8 text",)),
    "nul-bytes": Expect("stop", ("is not JSON",)),
    "record-without-stream": Expect("stop", ("RECORD without a 'stream'",)),
    "record-without-record": Expect("stop", ("'record' is not a JSON object (got nothing)",)),
    "record-not-an-object": Expect("stop", ("'record' is not a JSON object (got list)",)),
    "record-before-schema": Expect("stop", ("RecordsWithoutSchemaException", "'late'")),
    "schema-not-an-object": Expect("stop", ("'schema' is not a JSON object",)),
    "schema-without-properties": Expect("stop", ("properties",)),
    "state-without-value": Expect("stop", ("value",)),
    "batch-file-missing": Expect("stop", ("FileNotFoundError", "batch-1.json.gz")),
    # Records that break the record contract are rejected, with the reason; the run goes on.
    "user-id-int": Expect("reject", ("user_id must be a string of digits, got number",)),
    "territory-id-float": Expect(
        "reject", ("territory_id must be a string of digits, got number 1.5",)
    ),
    "user-id-null": Expect("reject", ("user_id is empty (null)",)),
    "user-id-object": Expect("reject", ("user_id must be a string of digits, got object {",)),
    "user-id-bool": Expect("reject", ("got boolean true",)),
    "non-digit-id": Expect("reject", ("user_id must contain only digits",)),
    "negative-id": Expect("reject", ("user_id must contain only digits",)),
    # Spaces around an id (a spreadsheet cell) are dropped; spaces inside one are not an id.
    "spaces-around-id": Expect("ok", (), {"added": 1}),
    "space-inside-id": Expect("reject", ("user_id must contain only digits",)),
    # A spreadsheet's empty row (every cell empty) asks for nothing; a record without the id
    # fields is malformed, not blank.
    "blank-row": Expect("ok", (), {"unchanged": 1}),
    "no-fields": Expect("reject", ("user_id is missing; territory_id is missing",)),
    "empty-action-cell": Expect("ok", (), {"added": 1}),
    "fullwidth-digits": Expect("reject", ("user_id must contain only digits",)),
    "empty-id": Expect("reject", ("territory_id is empty",)),
    "25-digit-id": Expect("reject", ("user_id has 25 digits, more than Zoho's 19",)),
    "unknown-action": Expect("reject", ("action must be 'add' or 'remove', got 'delete'",)),
    "action-not-text": Expect("reject", ("action must be 'add' or 'remove', got 1",)),
    "missing-user-id": Expect("reject", ("user_id is missing",)),
    "missing-territory-id": Expect("reject", ("territory_id is missing",)),
    "empty-record": Expect("reject", ("user_id is missing", "territory_id is missing")),
    "nan-id": Expect("reject", ("got number NaN",)),
    # Unusual but valid input is applied.
    "blank-lines": Expect("ok"),
    "crlf-line": Expect("ok", (), {"added": 1}),
    "duplicate-record": Expect("ok", (), {"unchanged": 1, "added": 1}),
    "add-then-remove": Expect("ok", (), {"unchanged": 2}),
    "extra-fields": Expect("ok", (), {"added": 1}),
    "sdc-deleted-at-means-remove": Expect("ok", (), {"unchanged": 1}),
    "other-stream-ignored": Expect("ok"),
    # A stream the target does not write is not validated against its schema: only counted.
    "other-stream-off-its-schema": Expect("ok"),
}


def test_every_file_is_a_case() -> None:
    assert sorted(path.stem for path in INPUT_CASES.glob("*.singer")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_input_case(org: Org, tmp_path: Path, name: str) -> None:
    case = CASES[name]
    source = INPUT_CASES / f"{name}.singer"
    before = org.assignments()

    run = run_target_in_process(org.config(), source, tmp_path)

    results = {r["line"]: r for r in run.results}
    after = org.assignments()
    assert "Traceback" not in run.stderr
    # Nothing confirmed before the bad line is lost: written, reported, its STATE emitted.
    assert set(GOOD) <= after
    assert results[2]["outcome"] == results[3]["outcome"] == "added"
    if case.kind == "stop":
        assert run.returncode == 2, run.stderr[-2000:]
        assert f"input line {BAD_LINE}" in run.last_error_line, run.last_error_line
        for words in case.words:
            assert words in run.last_error_line, run.last_error_line
        assert run.states == [FIRST_STATE]
        assert set(results) == {2, 3}
        assert after == before | set(GOOD)
        return
    # The good record after the case's lines is written too, and the final STATE emitted.
    end = len(source.read_bytes().splitlines()) - 1
    assert GOOD_AFTER in after
    assert results[end]["outcome"] == "added"
    assert run.states == [LAST_STATE]
    if case.kind == "reject":
        assert run.returncode == 1, run.stderr[-2000:]
        assert "1 record(s) were rejected; see" in run.last_error_line, run.last_error_line
        bad = results[BAD_LINE]
        assert (bad["outcome"], bad["code"], bad["endpoint"]) == ("rejected", "INVALID_INPUT", None)
        for words in case.words:
            assert words in bad["message"], bad["message"]
        assert after == before | {*GOOD, GOOD_AFTER}
        return
    assert run.returncode == 0, run.stderr[-2000:]
    mine = [r for line, r in results.items() if BAD_LINE <= line < end]
    assert Counter(r["outcome"] for r in mine) == Counter(case.outcomes)
    assert after - before <= {*GOOD, GOOD_AFTER, CASE_PAIR}
