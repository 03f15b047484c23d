"""Turn a CSV of wanted assignments into Singer messages for target-zoho-territories.

    python demo/csv_to_singer.py < wanted.csv | target-zoho-territories --config config.json

The CSV needs `user_id` and `territory_id` columns; an `action` column (`add` or `remove`) is
optional, and any other column (names, a ticket number) is carried along into the target's
results file. Files as spreadsheets save them are read as they are: a UTF-8 byte-order mark
(Excel's "CSV UTF-8"), `,`, `;` or tab separators, CRLF line ends, spaces around names and
values. Every value stays a string, so 19-digit Zoho ids keep all their digits. A cell that
cannot be an assignment (an empty or non-digit id) stops the conversion with one line naming its
row and column, and nothing is written.

With Meltano, the tap-spreadsheets extractor in meltano.yml does the same job (docs/meltano.md);
this script needs nothing but Python, and names the row and column of a bad cell.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

STREAM = "wanted_assignments"
KEYS = ("user_id", "territory_id")
ACTIONS = ("add", "remove")
SEPARATORS = ",;\t"


class CsvError(ValueError):
    """The CSV cannot be turned into assignments; the message names the row and column."""


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS)
    except csv.Error:
        return csv.excel


def _header(names: list[str]) -> list[str]:
    columns = [name.strip().lower() for name in names]
    missing = [key for key in KEYS if key not in columns]
    if missing:
        found = ", ".join(repr(name) for name in columns) or "none"
        raise CsvError(
            f"the header row has no {' or '.join(missing)} column (columns found: {found}); "
            "name the columns user_id and territory_id"
        )
    return columns


def _check(row: dict[str, str], number: int) -> None:
    for key in KEYS:
        value = row[key]
        if not value:
            raise CsvError(f"row {number}, column {key}: the cell is empty")
        if not value.isdigit():
            raise CsvError(f"row {number}, column {key}: {value!r} is not a Zoho id (digits only)")
    action = row.get("action")
    if action and action.lower() not in ACTIONS:
        raise CsvError(f"row {number}, column action: {action!r} is not add or remove")


def singer_messages(csv_file: TextIO, stream: str = STREAM) -> Iterator[dict[str, object]]:
    """A SCHEMA message (every column a string), then one RECORD per row; CsvError on a bad cell.

    Rows are checked before anything is yielded, so a bad file yields nothing.
    """
    text = csv_file.read().removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text[:4096]))
    # Row numbers as a spreadsheet shows them; blank rows are skipped but keep their numbers.
    rows = [(number, row) for number, row in enumerate(reader, start=1) if "".join(row).strip()]
    if not rows:
        raise CsvError("the CSV is empty; it needs a header row with user_id and territory_id")
    columns = _header(rows[0][1])
    records = []
    for number, cells in rows[1:]:
        values = [cell.strip() for cell in cells] + [""] * (len(columns) - len(cells))
        row = dict(zip(columns, values, strict=False))
        _check(row, number)
        records.append({name: value or None for name, value in row.items()})
    properties = {
        name: {"type": "string"} if name in KEYS else {"type": ["string", "null"]}
        for name in columns
    }
    yield {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": properties},
        "key_properties": list(KEYS),
    }
    for record in records:
        yield {"type": "RECORD", "stream": stream, "record": record}


def write_lines(messages: Iterable[dict[str, object]], out: TextIO) -> int:
    """Write messages as JSON lines; return how many."""
    count = 0
    for message in messages:
        out.write(json.dumps(message) + "\n")
        count += 1
    return count


def main() -> int:
    """CSV on stdin, Singer messages on stdout; a bad file is one line on stderr and exit 2."""
    try:
        write_lines(singer_messages(sys.stdin), sys.stdout)
    except CsvError as exc:
        sys.stderr.write(f"csv_to_singer: {exc}. Nothing was written.\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
