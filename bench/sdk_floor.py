"""The singer-sdk floor: the same records, written by a trivial SDK tap with no HTTP.

Reads a tap's Singer output (SCHEMA and RECORD lines), keeps the records in memory, then times a
default singer-sdk tap (default writer, default type conformance) that emits them again. The
time to read the input file is left out. Writes {"seconds": ...} to the file named second.
Usage: python bench/sdk_floor.py TAP_OUTPUT.jsonl RESULT.json
"""

from __future__ import annotations

import json
import sys
import time

STARTED = time.perf_counter()

from singer_sdk import Stream, Tap  # noqa: E402


class ReplayStream(Stream):
    """Yields records held in memory."""

    def __init__(self, tap: Tap, name: str, schema: dict, keys: list[str], rows: list) -> None:
        super().__init__(tap, schema=schema, name=name)
        self.primary_keys = keys
        self._rows = rows

    def get_records(self, context: dict | None):  # type: ignore[no-untyped-def]
        yield from self._rows


class FloorTap(Tap):
    """A tap whose streams replay recorded rows."""

    name = "tap-floor"
    config_jsonschema: dict = {"type": "object", "properties": {}}
    loaded: dict[str, tuple[dict, list[str], list]] = {}

    def discover_streams(self) -> list[Stream]:
        return [ReplayStream(self, n, s, k, rows) for n, (s, k, rows) in self.loaded.items()]


def main() -> None:
    source, result = sys.argv[1], sys.argv[2]
    load_started = time.perf_counter()
    with open(source) as handle:
        for line in handle:
            message = json.loads(line)
            if message["type"] == "SCHEMA" and message["stream"] not in FloorTap.loaded:
                FloorTap.loaded[message["stream"]] = (
                    message["schema"],
                    message["key_properties"],
                    [],
                )
            elif message["type"] == "RECORD":
                FloorTap.loaded[message["stream"]][2].append(message["record"])
    load_seconds = time.perf_counter() - load_started
    FloorTap(config={}, parse_env_config=False).sync_all()
    seconds = time.perf_counter() - STARTED - load_seconds
    with open(result, "w") as handle:
        json.dump({"seconds": seconds}, handle)


if __name__ == "__main__":
    main()
