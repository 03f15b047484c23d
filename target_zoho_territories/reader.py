"""Reading Singer messages from stdin, line by line, without losing work on a bad line.

The SDK's reader stops with a traceback on any blank or malformed line and the records read
before it are never written. This reader skips blank lines, counts line numbers (the results
file names them), and on a line that is not a Singer message, or a message the target cannot
process, stops reading and remembers why: the target then writes and reports everything read
before it, and ends with the line number and a non-zero exit code.

Lines are read as bytes and decoded one by one, so a line that is not UTF-8 stops the run at
that line (a text stream would fail on the whole chunk around it); a line nested deeper than
`MAX_NESTING` is refused before it is decoded (a JSON parser would recurse until it fails).
"""

from __future__ import annotations

import re
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
# Arrays and objects nested deeper than this are refused: no Singer message comes close.
MAX_NESTING = 100
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


class ReadInterrupted(Exception):
    """Raised by the signal handler while the reader waits for a line."""


@dataclass
class InputStop:
    """Why reading stopped before the end of the input."""

    line: int
    reason: str
    error: BaseException | None = None


def nested_too_deep(line: str, limit: int = MAX_NESTING) -> bool:
    """True when JSON text nests arrays and objects more than `limit` deep (strings skipped).

    A line with at most `limit` opening brackets cannot, so ordinary lines are never scanned.
    """
    if line.count("[") + line.count("{") <= limit:
        return False
    depth = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub("", line)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > limit:
            return True
    return False


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
        source = file_input or self.default_input
        # Bytes where the stream has them (stdin, files), decoded line by line.
        lines: t.Iterator[str | bytes] = iter(getattr(source, "buffer", source))
        while self.interrupted is None:
            try:
                self.waiting = True
                raw = next(lines, None)
                self.waiting = False
            except ReadInterrupted:
                self.waiting = False
                break
            if raw is None:
                break
            line = self._text(raw)
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

    def _text(self, raw: str | bytes) -> str | None:
        """The line as text, or None (the line stops the run) when it is not UTF-8."""
        if isinstance(raw, str):
            return raw
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            number = self.line_number + 1
            self.line_number = number
            shown = repr(raw[:_SHOWN].strip())
            self.stop = InputStop(
                number,
                f"input line {number} is not UTF-8 text (byte {raw[exc.start]:#04x} at position "
                f"{exc.start}): {shown}; reading stopped there",
            )
            return None

    def _message(self, line: str) -> dict[str, t.Any] | None:
        """The parsed message, or None after recording why the line stops the run."""
        number = self.line_number
        message: t.Any = None
        problem: str | None
        if nested_too_deep(line):
            problem = f"is nested deeper than {MAX_NESTING} levels (arrays or objects)"
        else:
            try:
                message = deserialize_json(line)
            except RecursionError:
                problem = "is nested too deep to decode"
            except ValueError as exc:
                problem = f"is not JSON ({exc})"
            else:
                problem = _message_problem(message)
        if problem is None:
            return t.cast("dict[str, t.Any]", message)
        self.stop = InputStop(
            number, f"input line {number} {problem}: {_preview(line)!r}; reading stopped there"
        )
        return None


def _message_problem(message: t.Any) -> str | None:
    """What makes a decoded line not a Singer message the target can take, or None."""
    if not isinstance(message, dict):
        return "is not a JSON object"
    if "type" not in message:
        return "has no 'type'"
    if message["type"] not in MESSAGE_TYPES:
        return f"has an unknown message type {str(message['type'])[:40]!r}"
    return _shape_problem(message)
