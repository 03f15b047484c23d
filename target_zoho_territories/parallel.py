"""The run's worker threads: the target's one bound on Zoho calls in flight.

One pool of `max_concurrency` threads, made once for the run, carries every write call and every
read the target makes; a call is only ever made on one of these threads, so the shared client's
own limit on requests in flight holds a call back only once a 429 for concurrency lowered it
(zoho_crm_api/concurrency.py). A task never raises: it
returns a `Report` of the outcomes it decided and, when the run cannot go on, the error that
stops it. After such an error, or once a stop is requested (SIGTERM), tasks that have not
started are not started: `Report.skipped` counts them.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from target_zoho_territories.errors import StopRequest
from target_zoho_territories.progress import StepProgress
from target_zoho_territories.records import Answers
from zoho_crm_api.errors import ZohoAccessError, ZohoAPIError


def stops_the_run(exc: BaseException) -> bool:
    """True unless `exc` is Zoho's refusal of one call (which fails only that call's records).

    A missing scope or feature, spent retries, credits or budget, refused credentials, a stop:
    no later call can do better.
    """
    return not isinstance(exc, ZohoAPIError) or isinstance(exc, ZohoAccessError)


@dataclass
class Report:
    """What tasks decided: outcomes per result, the error that stops the run, tasks not run."""

    answers: Answers = field(default_factory=list)
    fatal: BaseException | None = None
    skipped: int = 0

    def add(self, other: Report) -> None:
        """Merge another report into this one (the first fatal error is kept)."""
        self.answers.extend(other.answers)
        self.fatal = self.fatal or other.fatal
        self.skipped += other.skipped


class Workers:
    """A fixed pool of threads for the whole run."""

    def __init__(self, size: int, stop: StopRequest, progress: StepProgress | None = None) -> None:
        self.stop = stop
        self.progress = progress
        self._pool = ThreadPoolExecutor(max_workers=max(1, size), thread_name_prefix="zoho-call")

    def run(self, tasks: Sequence[Callable[[], Report]]) -> Report:
        """Run tasks in parallel; none starts after a fatal error or a stop request."""
        abort = threading.Event()

        def guarded(task: Callable[[], Report]) -> Report | None:
            try:
                if abort.is_set() or self.stop.is_set():
                    return None
                try:
                    report = task()
                except BaseException:
                    abort.set()  # a bug: let nothing else start, then re-raise it below
                    raise
                if report.fatal is not None:
                    abort.set()
                return report
            finally:
                if self.progress is not None:
                    self.progress.task_ended()

        futures = [self._pool.submit(guarded, task) for task in tasks]
        concurrent.futures.wait(futures)  # every task has ended before anything is reported
        total = Report()
        for future in futures:
            report = future.result()
            if report is None:
                total.skipped += 1
            else:
                total.add(report)
        return total

    def close(self) -> None:
        """Wait for running tasks; drop those not started."""
        self._pool.shutdown(wait=True, cancel_futures=True)
