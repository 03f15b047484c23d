"""Reading Singer messages from stdin, line by line, without losing work on a bad line.

The SDK's reader stops with a traceback on any blank or malformed line and the records read
before it are never written. This reader skips blank lines, counts line numbers (the results
file names them), and on a line that is not a Singer message, or a message the target cannot
process, stops reading and remembers why: the target then writes and reports everything read
before it, and ends with the line number and a non-zero exit code.
"""

from __future__ import annotations

import typing as t
from collections import Counter
from dataclasses import dataclass

from singer_sdk.io_base import SingerReader
from singer_sdk.singerlib.json import deserialize_json
from typing_extensions import override

from target_zoho_territories.errors import RunAborted

_SHOWN = 120
# Set on an exception that stopped the reading, with the reason (it names the input line).
INPUT_STOP = "zoho_input_stop"
MESSAGE_TYPES = ("RECORD", "SCHEMA", "STATE", "ACTIVATE_VERSION", "BATCH")


class ReadInterrupted(Exception):
    """Raised by the signal handler while the reader waits for a line."""


@dataclass
class InputStop:
    """Why reading stopped before the end of the input."""

    line: int
    reason: str
    error: BaseException | None = None


def _preview(line: str) -> str:
    text = line.strip()
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _shape_problem(message: dict[str, t.Any]) -> str | None:
    """What makes a RECORD or SCHEMA unusable (the SDK would fail with an unclear error)."""
    kind = message["type"]
    if kind not in ("RECORD", "SCHEMA"):
        return None
    if not isinstance(message.get("stream"), str):
        return f"is a {kind} without a 'stream' name"
    body = "record" if kind == "RECORD" else "schema"
    if not isinstance(message.get(body), dict):
        found = type(message.get(body)).__name__ if body in message else "nothing"
        return f"is a {kind} whose '{body}' is not a JSON object (got {found})"
    return None


class LineReader(SingerReader):
    """A Singer reader that skips blank lines and stops cleanly on a bad one."""

    def __init__(self) -> None:
        super().__init__()
        self.line_number = 0
        self.stop: InputStop | None = None
        self.interrupted: str | None = None
        self.waiting = False
        self.blank_lines = 0

    @override
    def process_lines(
        self,
        file_input: t.IO[str] | None,
        callbacks: dict[str, t.Callable[[dict], None]],
    ) -> t.Counter[str]:
        """Read messages until the end of the input, a bad line, or a signal."""
        stats: Counter[str] = Counter()
        lines = iter(file_input or self.default_input)
        while self.interrupted is None:
            try:
                self.waiting = True
                line = next(lines, None)
                self.waiting = False
            except ReadInterrupted:
                self.waiting = False
                break
            if line is None:
                break
            self.line_number += 1
            if not line.strip():
                self.blank_lines += 1
                continue
            message = self._message(line)
            if message is None:
                break
            try:
                callbacks[message["type"]](message)
            except RunAborted as exc:
                self.stop = InputStop(self.line_number, str(exc), exc)
                break
            except Exception as exc:
                self.stop = InputStop(
                    self.line_number, f"line {self.line_number}: {type(exc).__name__}: {exc}", exc
                )
                setattr(
                    exc,
                    INPUT_STOP,
                    f"input line {self.line_number} was refused ({type(exc).__name__}: {exc})",
                )
                break
            stats[message["type"]] += 1
        return stats

    def _message(self, line: str) -> dict[str, t.Any] | None:
        """The parsed message, or None after recording why the line stops the run."""
        number = self.line_number
        try:
            message = deserialize_json(line)
        except ValueError as exc:
            problem = f"is not JSON ({exc})"
        else:
            if not isinstance(message, dict):
                problem = "is not a JSON object"
            elif "type" not in message:
                problem = "has no 'type'"
            elif message["type"] not in MESSAGE_TYPES:
                problem = f"has an unknown message type {str(message['type'])[:40]!r}"
            else:
                shape = _shape_problem(message)
                if shape is None:
                    return message
                problem = shape
        self.stop = InputStop(
            number, f"input line {number} {problem}: {_preview(line)!r}; reading stopped there"
        )
        return None
