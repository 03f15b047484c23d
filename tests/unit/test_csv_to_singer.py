"""The CSV converter reads spreadsheets as users save them, and names the row of a bad cell."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "demo"))

from csv_to_singer import CsvError, main, singer_messages  # noqa: E402

U, T = "431581000000278001", "431581000000744125"


def records(text: str) -> list[dict]:
    messages = list(singer_messages(io.StringIO(text, newline="")))
    assert messages[0]["type"] == "SCHEMA"
    return [m["record"] for m in messages[1:]]


@pytest.mark.parametrize(
    "text",
    [
        f"user_id,territory_id\n{U},{T}\n",
        f"\ufeffuser_id,territory_id\r\n{U},{T}\r\n",  # Excel "CSV UTF-8", CRLF
        f"User_ID ; Territory_ID\n {U} ; {T} \n",  # ; separators, spaces, capitals
        f"user_id\tterritory_id\n{U}\t{T}\n",  # tab separated
        f'"user_id","territory_id"\n"{U}","{T}"\n\n',  # Google Sheets quoting, blank line
    ],
)
def test_spreadsheet_dialects_give_the_same_record(text: str) -> None:
    assert records(text) == [{"user_id": U, "territory_id": T}]


def test_other_columns_ride_along_and_empty_cells_are_null() -> None:
    rows = records(f"user_id,territory_id,action,note\n{U},{T},remove,\n")
    assert rows == [{"user_id": U, "territory_id": T, "action": "remove", "note": None}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f"user_id,territory_id\n{U},{T}\n\n{U},\n",
            "row 4, column territory_id: the cell is empty",
        ),
        (f"user_id,territory_id\n{U},{T}\n12 34,{T}\n", "row 3, column user_id: '12 34' is not"),
        (f"user_id,territory_id,action\n{U},{T},delete\n", "row 2, column action: 'delete'"),
        (f"user,territory_id\n{U},{T}\n", "the header row has no user_id column"),
        ("", "the CSV is empty"),
    ],
)
def test_a_bad_cell_names_its_row_and_column(text: str, message: str) -> None:
    with pytest.raises(CsvError, match=message):
        list(singer_messages(io.StringIO(text)))


def test_a_bad_file_is_one_line_and_exit_2_with_nothing_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"user_id,territory_id\n{U},{T}\n{U},\n"))
    assert main() == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "csv_to_singer: row 3, column territory_id: the cell is empty. Nothing was written."
    ]
