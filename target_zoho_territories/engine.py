"""One target run: buffered records, batches planned and written, results and the summary."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from target_zoho_territories import mirror
from target_zoho_territories.errors import StopRequest
from target_zoho_territories.planner import WRITE_VIA, Call, Plan, collapse, plan
from target_zoho_territories.records import FAILED, NOT_SENT, PLANNED, Result
from target_zoho_territories.results import ResultsFile, Summary
from target_zoho_territories.writer import Writer
from zoho_crm_api.client import ZohoClient
from zoho_crm_api.errors import ZohoConfigError
from zoho_crm_api.settings import ConnectionSettings

MODES = ("apply", "mirror")


@dataclass(frozen=True)
class Options:
    """The target's own settings (the connection settings live in ConnectionSettings)."""

    mode: str = "apply"
    dry_run: bool = False
    results_path: str | None = None
    allow_failures: bool = False
    write_via: str = "auto"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Options:
        """Read and check the settings; raise ZohoConfigError with the fix."""
        mode = str(config.get("mode") or "apply")
        if mode not in MODES:
            msg = f"mode must be one of {', '.join(MODES)}, got {mode!r}."
            raise ZohoConfigError(msg)
        write_via = str(config.get("write_via") or "auto")
        if write_via not in WRITE_VIA:
            msg = f"write_via must be one of {', '.join(WRITE_VIA)}, got {write_via!r}."
            raise ZohoConfigError(msg)
        rows = config.get("batch_size_rows")
        if rows is not None and (isinstance(rows, bool) or not isinstance(rows, int) or rows < 1):
            msg = f"batch_size_rows must be a whole number of at least 1, got {rows!r}."
            raise ZohoConfigError(msg)
        path = config.get("results_path")
        return cls(
            mode=mode,
            dry_run=bool(config.get("dry_run", False)),
            results_path=str(path) if path else None,
            allow_failures=bool(config.get("allow_failures", False)),
            write_via=write_via,
        )


class Engine:
    """Holds the records of the current batch and turns them into calls and results."""

    def __init__(self, config: Mapping[str, Any], logger: logging.Logger, user_agent: str) -> None:
        self.settings = ConnectionSettings.from_config(config)
        self.options = Options.from_config(config)
        self.logger = logger
        self.user_agent = user_agent
        self.summary = Summary()
        self.stop = StopRequest()
        self.results = ResultsFile(self.options.results_path)
        self._pending: list[Result] = []
        self._lock = threading.Lock()
        self._client: ZohoClient | None = None
        self._warned: set[str] = set()

    @property
    def mirror(self) -> bool:
        """True in mirror mode (the whole input is one batch)."""
        return self.options.mode == "mirror"

    @property
    def client(self) -> ZohoClient:
        """The shared Zoho client, created at the first call."""
        if self._client is None:
            self._client = ZohoClient(self.settings, self.logger, user_agent=self.user_agent)
        return self._client

    @property
    def writer(self) -> Writer:
        """Sends write calls."""
        return Writer(self.client, self.logger, self.settings.max_concurrency, self.stop)

    def ignore(self, stream: str) -> None:
        """Count a record of a stream that is not an assignment stream (one warning each)."""
        self.summary.ignored[stream] += 1
        if stream not in self._warned:
            self._warned.add(stream)
            self.logger.warning(
                "Ignoring stream '%s': its schema has no user_id and territory_id, so it is "
                "not an assignment stream.",
                stream,
            )

    def add(self, result: Result) -> None:
        """Buffer one checked record (valid or already rejected)."""
        with self._lock:
            self._pending.append(result)

    @property
    def pending(self) -> int:
        """Records buffered and not yet answered."""
        return len(self._pending)

    def _take(self) -> list[Result]:
        batch, self._pending = self._pending, []
        return batch

    def flush(self) -> None:
        """Apply mode: plan and write the buffered records, then write their results."""
        if self.mirror:
            return
        with self._lock:
            batch = self._take()
            if not batch:
                return
            self.summary.batches += 1
            try:
                changes = collapse(batch)
                self._execute(plan(changes, self.options.write_via), len(batch))
            finally:
                self._report(batch)

    def run_mirror(self) -> None:
        """Mirror mode, at the end of the input: read, diff, write only the difference."""
        with self._lock:
            batch = self._take()
            if not batch:
                return
            self.summary.batches += 1
            extras: list[Result] = []
            try:
                changes, extras = mirror.diff(
                    batch, self.client, self.settings.max_concurrency, self.stop
                )
                self._execute(plan(changes, self.options.write_via), len(batch))
            finally:
                self._report(batch + extras)

    def abandon(self, reason: str) -> None:
        """Answer every buffered record as not sent (mirror mode with incomplete input)."""
        with self._lock:
            batch = self._take()
            for result in batch:
                result.decide(FAILED, NOT_SENT, reason)
            self._report(batch)

    def _execute(self, the_plan: Plan, size: int) -> None:
        calls = the_plan.calls
        self.summary.planned_calls += len(calls)
        self.summary.least_calls += the_plan.lower_bound
        how = ", ".join(f"{action} by {via}" for action, via in the_plan.grouping.items())
        self.logger.info(
            "Batch %d: %d record(s), %d write call(s)%s (least possible: %d).",
            self.summary.batches,
            size,
            len(calls),
            f" ({how})" if how else "",
            the_plan.lower_bound,
        )
        if self.options.dry_run:
            for number, call in enumerate(calls, start=1):
                self._plan_only(call, number, len(calls))
            return
        if calls:
            self.writer.run(calls)

    @staticmethod
    def _plan_only(call: Call, number: int, total: int) -> None:
        for change in call.changes:
            change.result.decide(
                PLANNED,
                None,
                f"dry run: would {change.action} with call {number} of {total}, {call.url_path}",
                call.endpoint,
            )

    def _report(self, results: list[Result]) -> None:
        for result in results:
            result.decide(
                FAILED, NOT_SENT, "not sent: the run stopped before this record was written"
            )
        ordered = sorted(results, key=lambda r: (r.extra, r.line if r.line is not None else 0))
        self.results.write(ordered)
        self.summary.count(ordered)

    def summary_text(self) -> str:
        """The end-of-run summary."""
        mode = self.options.mode + (" (dry run)" if self.options.dry_run else "")
        calls = self._client.stats.summary() if self._client else "Zoho API calls: 0"
        return self.summary.render(f"target-zoho-territories summary, mode {mode}:", calls)

    def close(self) -> None:
        """Close the results file and the HTTP session."""
        self.results.close()
        if self._client is not None:
            self._client.close()
