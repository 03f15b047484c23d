"""A spreadsheet of wanted assignments, as Excel and Google Sheets save it, written back by Meltano.

`meltano run tap-spreadsheets target-zoho-territories` with the repo's meltano.yml: the CSV's
rows become assignments in the emulator's org, whatever the file's byte-order mark, separator,
line ends or spaces; a row with an empty cell is rejected with a reason, never lost.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.meltano_project import jsonl, project_for
from tests.support.org import Org

SAVED_AS = {
    # Excel "CSV UTF-8 (Comma delimited)" in a locale whose list separator is ";": a BOM, CRLF.
    "excel": "\ufeffUser_ID;Territory_ID;Action;Note\r\n{u1}; {t} ;add;first\r\n{u2};{t};;\r\n",
    # Google Sheets "Download as CSV": quotes where it likes, LF, a trailing blank line.
    "google-sheets": 'user_id,territory_id,action,note\n"{u1}","{t}",add,"a, b"\n{u2},{t},,\n\n',
}


ORG_ARGS = ("--territories", "10", "--users", "40", "--groups", "2", "--seed", "4")


def run_sheet(org: Org, tmp_path: Path, text: str) -> tuple[int, list[dict]]:
    sheet = tmp_path / "wanted.csv"
    sheet.write_bytes(text.encode("utf-8"))
    results = tmp_path / "results.jsonl"
    files = [{"path": str(sheet), "format": "csv", "table_name": "wanted", "drop_empty": False}]
    project = project_for(
        tmp_path,
        TAP_SPREADSHEETS_FILES=json.dumps(files),
        TARGET_ZOHO_TERRITORIES_ACCOUNTS_SERVER=org.emulator.url,
        TARGET_ZOHO_TERRITORIES_RESULTS_PATH=str(results),
    )
    run = project.meltano("run", "tap-spreadsheets", "target-zoho-territories")
    return run.returncode, jsonl(results) if results.exists() else []


@pytest.mark.parametrize("saved_as", sorted(SAVED_AS))
def test_a_saved_spreadsheet_becomes_assignments(org: Org, tmp_path: Path, saved_as: str) -> None:
    territory = org.territories()[2]
    u1, u2 = org.not_assigned(territory, org.active_users())[:2]
    code, results = run_sheet(org, tmp_path, SAVED_AS[saved_as].format(u1=u1, u2=u2, t=territory))

    assert code == 0
    rows = [(r["user_id"], r["territory_id"], r["outcome"]) for r in results]
    assert rows[:2] == [(u1, territory, "added"), (u2, territory, "added")]
    # A trailing empty line is an empty row: it gets its result and asks for nothing.
    assert [r["code"] for r in results[2:]] == (
        ["BLANK_ROW"] if saved_as == "google-sheets" else []
    )
    assert {(u1, territory), (u2, territory)} <= org.assignments()


def test_a_row_with_an_empty_cell_is_rejected_not_lost(org: Org, tmp_path: Path) -> None:
    territory = org.territories()[3]
    u1, u2 = org.not_assigned(territory, org.active_users())[:2]
    text = f"user_id,territory_id\n{u1},{territory}\n{u2},\n"
    code, results = run_sheet(org, tmp_path, text)

    assert code != 0  # a rejected record fails the run unless allow_failures
    assert [r["outcome"] for r in results] == ["added", "rejected"]
    assert results[1]["message"] == "territory_id is empty"
    assert (u1, territory) in org.assignments()
