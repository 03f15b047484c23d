"""One target run: buffered records, batches planned and written, results and the summary.

The engine is used from the main thread only (the SDK drains one sink at a time); the calls
of a batch run on the run's worker threads (`parallel.Workers`), which return outcomes that the
engine records, once each, before it writes the batch's result lines.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from target_zoho_territories import mirror
from target_zoho_territories import outcomes as oc
from target_zoho_territories.errors import Interrupted, RunAborted, StopRequest
from target_zoho_territories.outcomes import Outcome
from target_zoho_territories.parallel import Report, Workers
from target_zoho_territories.planner import WRITE_VIA, Plan, collapse, plan
from target_zoho_territories.progress import StepProgress
from target_zoho_territories.records import Result
from target_zoho_territories.results import ResultsFile, Summary
from target_zoho_territories.writer import Writer
from zoho_crm_api.client import ZohoClient
from zoho_crm_api.errors import ZohoAccessError, ZohoConfigError, ZohoError, ZohoStopped
from zoho_crm_api.settings import ConnectionSettings
from zoho_crm_singer.progress import Ticker, progress_interval

MODES = ("apply", "mirror")
# After SIGTERM/SIGINT, calls in flight get this long to finish (and be reported as they
# ended) before the client abandons them; the run then ends well within 5 seconds.
STOP_GRACE_S = 2.0
UNANSWERED = "no answer: the run stopped on an error while this batch was written"

Batch = list[Result]


@dataclass(frozen=True)
class Options:
    """The target's own settings (the connection settings live in ConnectionSettings)."""

    mode: str = "apply"
    dry_run: bool = False
    results_path: str | None = None
    allow_failures: bool = False
    write_via: str = "auto"
    mirror_scope: str = mirror.USER

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
        scope = str(config.get("mirror_scope") or mirror.USER)
        if scope not in mirror.SCOPES:
            msg = f"mirror_scope must be one of {', '.join(mirror.SCOPES)}, got {scope!r}."
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
            mirror_scope=scope,
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
        self._pending: Batch = []
        self._client: ZohoClient | None = None
        self._workers: Workers | None = None
        self._warned: set[str] = set()
        # Assignment streams seen (a SCHEMA with user_id and territory_id).
        self.assignment_streams: set[str] = set()
        # Records read so far, and what the workers are doing: the progress lines.
        self.records_read = 0
        self.progress = StepProgress()
        self._ticker = Ticker(
            progress_interval(config), self._log_progress, logger, "zoho-progress"
        )

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
    def workers(self) -> Workers:
        """The run's worker threads, `max_concurrency` of them: the one concurrency bound.

        With `max_concurrency: auto` the org's edition (GET /org, one call) sets how many.
        """
        if self._workers is None:
            if self.settings.auto_concurrency:
                self._read_edition()
            self._workers = Workers(self.client.concurrency.limit, self.stop, self.progress)
        return self._workers

    def _read_edition(self) -> None:
        try:
            self.client.read_edition()
        except ZohoError as exc:  # the first write meets it again, with its records' outcomes
            self.logger.warning(
                "max_concurrency auto: GET /org failed (%s); %d calls in flight.",
                exc,
                self.client.concurrency.limit,
            )

    def request_stop(self, reason: str) -> None:
        """SIGTERM/SIGINT: start no call; stop the client's calls after STOP_GRACE_S."""
        self.stop.request(reason)
        if self._client is not None:
            timer = threading.Timer(STOP_GRACE_S, self._client.stop, (reason,))
            timer.daemon = True
            timer.start()

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
        if not self.records_read:
            self._ticker.start()
        self.records_read += 1
        self._pending.append(result)

    @property
    def no_assignment_stream(self) -> bool:
        """True when the input had records, none of them of an assignment stream."""
        return bool(self.summary.ignored) and not self.assignment_streams

    def _log_progress(self) -> None:
        self.logger.info("%s", self.progress.line(self.records_read))

    @property
    def pending(self) -> int:
        """Records buffered and not yet answered."""
        return len(self._pending)

    def _take(self) -> Batch:
        batch, self._pending = self._pending, []
        return batch

    def flush(self) -> None:
        """Apply mode: plan and write the buffered records, then write their results."""
        if not self.mirror:
            self._write_batch(self._take(), self._apply)

    def run_mirror(self) -> None:
        """Mirror mode, at the end of the input: read, diff, write only the difference."""
        self._write_batch(self._take(), self._mirror)

    def abandon(self, reason: str) -> None:
        """Answer every buffered record as not sent (a run that stops early)."""
        self._record(self._take(), Report(), oc.not_sent(reason))

    def _write_batch(self, batch: Batch, write: Callable[[Batch], tuple[Batch, Report]]) -> None:
        if not batch:
            return
        self.summary.batches += 1
        try:
            extras, report = write(batch)
        except Exception as exc:
            # A bug, or an error nobody planned for: the batch's records are answered, and the
            # run stops with one line (the traceback at DEBUG).
            self._record(batch, Report(), oc.interrupted(UNANSWERED))
            self.logger.debug("The unexpected error, for a bug report:", exc_info=exc)
            msg = (
                f"unexpected error while writing batch {self.summary.batches}: "
                f"{type(exc).__name__}: {exc}. What to do: re-run with LOGLEVEL=DEBUG for the "
                "traceback and report it; the results file says what was done (re-running is "
                "safe)."
            )
            raise RunAborted(msg) from exc
        self._record(batch + extras, report, oc.not_sent(self._not_sent_reason(report)))
        self._raise_if_stopped(report)

    def _apply(self, batch: Batch) -> tuple[Batch, Report]:
        changes, superseded = collapse(batch)
        report = Report(superseded)
        report.add(self._execute(plan(changes, self.options.write_via), len(batch)))
        return [], report

    def _mirror(self, batch: Batch) -> tuple[Batch, Report]:
        difference = mirror.diff(batch, self.client, self.workers, self.options.mirror_scope)
        report = difference.report
        if report.fatal is None:
            the_plan = plan(difference.changes, self.options.write_via)
            report.add(self._execute(the_plan, len(batch)))
        return difference.extras, report

    def _execute(self, the_plan: Plan, size: int) -> Report:
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
            return Report(
                [
                    (
                        change.result,
                        oc.planned(change.action, number, len(calls), call.url_path, call.endpoint),
                    )
                    for number, call in enumerate(calls, start=1)
                    for change in call.changes
                ]
            )
        if not calls:
            return Report()
        changes = sum(len(call.changes) for call in calls)
        label = f"batch {self.summary.batches}, {changes} change(s) planned"
        self.progress.begin(label, "write calls", len(calls))
        try:
            return Writer(self.client, self.workers, self.logger).run(calls)
        finally:
            self.progress.end()

    def _not_sent_reason(self, report: Report) -> str:
        if report.fatal is not None and not self.stop.is_set():
            return (
                "not sent: the run stopped before this call (see the error above); re-running "
                "is safe"
            )
        if self.stop.is_set():
            return f"not sent: {self.stop.reason} before this call was sent; re-running is safe"
        return "not sent: the run stopped before this record was written"

    def _raise_if_stopped(self, report: Report) -> None:
        fatal = report.fatal
        if self.stop.is_set() and (report.skipped or isinstance(fatal, ZohoStopped)):
            abandoned = (
                f"calls still in flight after {STOP_GRACE_S:g} s were abandoned (their records "
                "failed with INTERRUPTED: they may or may not have been applied), "
                if isinstance(fatal, ZohoStopped)
                else "the calls in flight finished, "
            )
            msg = (
                f"{self.stop.reason}: {abandoned}{report.skipped} call(s) were not sent (their "
                "records failed with NOT_SENT); no STATE was emitted for this batch"
            )
            raise Interrupted(msg)
        if fatal is not None:
            message = str(fatal)
            if isinstance(fatal, ZohoAccessError):
                message += f" Needed: {fatal.what_to_enable}."
            raise RunAborted(message) from fatal

    def _record(self, results: Batch, report: Report, fill: Outcome) -> None:
        """Record each outcome once, answer the rest with `fill`, then write the result lines."""
        for result, answer in report.answers:
            result.settle(answer)
        for result in results:
            if result.outcome is None:
                result.settle(fill)
        ordered = sorted(results, key=lambda r: (r.extra, r.line if r.line is not None else 0))
        self.summary.count(ordered)
        self.results.write(ordered)

    def summary_text(self) -> str:
        """The end-of-run summary."""
        mode = self.options.mode + (" (dry run)" if self.options.dry_run else "")
        calls = self._client.stats.summary() if self._client else "Zoho API calls: 0"
        return self.summary.render(f"target-zoho-territories summary, mode {mode}:", calls)

    def close(self) -> None:
        """Stop the progress lines and the workers, close the results file and the session."""
        self._ticker.stop()
        if self._workers is not None:
            self._workers.close()
        self.results.close()
        if self._client is not None:
            self._client.close()
