"""Turn a CSV of wanted assignments into Singer messages for target-zoho-territories.

    python demo/csv_to_singer.py < wanted.csv | meltano invoke target-zoho-territories

The CSV needs `user_id` and `territory_id` columns; an `action` column (`add` or `remove`) is
optional, and any other column (names, a ticket number) is carried along into the target's
results file. Every value stays a string, so 19-digit Zoho ids keep all their digits.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

STREAM = "wanted_assignments"


def singer_messages(csv_file: TextIO, stream: str = STREAM) -> Iterator[dict[str, object]]:
    """A SCHEMA message (every column a string), then one RECORD per row."""
    reader = csv.DictReader(csv_file)
    columns = list(reader.fieldnames or [])
    missing = {"user_id", "territory_id"} - set(columns)
    if missing:
        raise ValueError(f"the CSV has no {', '.join(sorted(missing))} column")
    properties = {
        name: {"type": "string"}
        if name in ("user_id", "territory_id")
        else {"type": ["string", "null"]}
        for name in columns
    }
    yield {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": properties},
        "key_properties": ["user_id", "territory_id"],
    }
    for row in reader:
        record = {name: (value.strip() or None) if value else None for name, value in row.items()}
        yield {"type": "RECORD", "stream": stream, "record": record}


def write_lines(messages: Iterable[dict[str, object]], out: TextIO) -> int:
    """Write messages as JSON lines; return how many."""
    count = 0
    for message in messages:
        out.write(json.dumps(message) + "\n")
        count += 1
    return count


def main() -> None:
    """CSV on stdin, Singer messages on stdout."""
    write_lines(singer_messages(sys.stdin), sys.stdout)


if __name__ == "__main__":
    main()
