"""The results file (one JSON line per input record) and the end-of-run summary."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterable
from typing import IO

from singer_sdk.singerlib.json import serialize_json

from target_zoho_territories.errors import ResultsUnwritable
from target_zoho_territories.outcomes import FAILED, KEPT, OUTCOMES, REJECTED
from target_zoho_territories.records import Result
from zoho_crm_api.errors import ZohoConfigError


class ResultsFile:
    """Appends result lines to `results_path` (truncated at start); a no-op without a path.

    When the file cannot be written (a full disk, an I/O error), the lines it could not take
    are kept in `unrecorded` (the target prints them on stderr) and ResultsUnwritable is
    raised once: what was applied is always said somewhere.
    """

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        self.unrecorded: list[Result] = []
        if path:
            try:
                self._file = open(path, "w", encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                msg = (
                    f"results_path {path!r} cannot be written ({exc.strerror or exc}). Nothing "
                    "was read or sent. What to do: point results_path at a file in an existing, "
                    "writable directory."
                )
                raise ZohoConfigError(msg) from None

    def write(self, results: list[Result]) -> None:
        """Write lines and flush them to the OS, so a crash later cannot lose them."""
        if self.unrecorded:  # the file already failed: keep them for stderr
            self.unrecorded.extend(results)
            return
        if self._file is None:
            return
        text = "".join(serialize_json(result.to_json()) + "\n" for result in results)
        with self._lock:
            try:
                self._file.write(text)
                self._file.flush()
            except OSError as exc:
                self.unrecorded.extend(results)
                self._discard()
                raise ResultsUnwritable(str(self.path), exc) from None

    def unrecorded_lines(self) -> str:
        """The lines the file could not take, one `unrecorded result: {...}` line each."""
        return "".join(
            f"unrecorded result: {serialize_json(result.to_json())}\n" for result in self.unrecorded
        )

    def _discard(self) -> None:
        """Close a file that cannot be written, dropping what it still buffers."""
        file, self._file = self._file, None
        with contextlib.suppress(OSError):
            if file is not None:
                file.close()

    def close(self) -> None:
        """Close the file."""
        self._discard()


# Examples of each failure code shown on stderr (the results file has every record).
EXAMPLES_PER_CODE = 3
_MESSAGE_SHOWN = 160


class Summary:
    """Counts per outcome, for input records and for mirror's own removals.

    Failed and rejected results are also counted by code, with a few examples of each.
    """

    def __init__(self) -> None:
        self.records: Counter[str] = Counter()
        self.extra: Counter[str] = Counter()
        self.kept = 0
        self.ignored: Counter[str] = Counter()
        self.batches = 0
        self.planned_calls = 0
        self.least_calls = 0
        # (outcome, code) -> count, and the first few results of each.
        self.problem_codes: Counter[tuple[str, str]] = Counter()
        self.examples: dict[tuple[str, str], list[Result]] = {}

    def count(self, results: Iterable[Result]) -> None:
        """Count decided results."""
        for result in results:
            if result.record is not None:
                self.records[result.outcome or "undecided"] += 1
            elif result.code == KEPT:
                self.kept += 1
            else:
                self.extra[result.outcome or "undecided"] += 1
            if result.outcome in (FAILED, REJECTED):
                key = (str(result.outcome), result.code or "no code")
                self.problem_codes[key] += 1
                shown = self.examples.setdefault(key, [])
                if len(shown) < EXAMPLES_PER_CODE:
                    shown.append(result)

    @property
    def problems(self) -> int:
        """Records (and mirror removals) that failed or were rejected."""
        return (
            self.records[FAILED]
            + self.records[REJECTED]
            + self.extra[FAILED]
            + self.extra[REJECTED]
        )

    def problem_text(self) -> str:
        """`3 records failed, 1 rejected` in words."""
        parts = []
        if self.records[FAILED]:
            parts.append(f"{self.records[FAILED]} record(s) failed")
        if self.records[REJECTED]:
            parts.append(f"{self.records[REJECTED]} record(s) were rejected")
        if self.extra[FAILED]:
            parts.append(f"{self.extra[FAILED]} mirror removal(s) failed")
        return ", ".join(parts)

    def failures_text(self, results_path: str | None) -> str:
        """Failed and rejected records by code, most first, with a few examples each; or ""."""
        if not self.problem_codes:
            return ""
        where = f"{results_path} has every record" if results_path else "set results_path for all"
        lines = [
            f"Records that failed or were rejected, by code (at most {EXAMPLES_PER_CODE} "
            f"examples each; {where}):"
        ]
        for (outcome, code), n in self.problem_codes.most_common():
            lines.append(f"  {code}: {n} {outcome}")
            lines += [f"    {example(result)}" for result in self.examples[(outcome, code)]]
        return "\n".join(lines)

    def render(self, heading: str, calls: str) -> str:
        """The summary block printed on stderr at the end of a run."""
        total = sum(self.records.values())
        shown = ", ".join(f"{name} {self.records[name]}" for name in OUTCOMES if self.records[name])
        lines = [heading, f"  records: {total}" + (f" ({shown})" if shown else "")]
        if self.extra or self.kept:
            extra = ", ".join(f"{name} {self.extra[name]}" for name in OUTCOMES if self.extra[name])
            lines.append(
                f"  mirror removals not asked by a record: {sum(self.extra.values())}"
                + (f" ({extra})" if extra else "")
                + f"; kept (organisation or managed territory): {self.kept}"
            )
        if self.ignored:
            streams = ", ".join(f"{name} {n}" for name, n in sorted(self.ignored.items()))
            lines.append(f"  ignored records of non-assignment streams: {streams}")
        if self.batches:
            lines.append(
                f"  batches: {self.batches}; write calls planned: {self.planned_calls} "
                f"(least possible: {self.least_calls})"
            )
        lines += ["  " + line for line in calls.splitlines()]
        return "\n".join(lines)


def example(result: Result) -> str:
    """One failed record in words: where it came from, the pair, and Zoho's message."""
    where = f"line {result.line}" if result.line is not None else "mirror's own removal"
    pair = f"user {result.user_id or '?'}, territory {result.territory_id or '?'}"
    action = f" ({result.action})" if result.action else ""
    message = (result.message or "").replace("\n", " ")
    if len(message) > _MESSAGE_SHOWN:
        message = message[: _MESSAGE_SHOWN - 3] + "..."
    return f"{where}: {pair}{action}: {message}" if message else f"{where}: {pair}{action}"
