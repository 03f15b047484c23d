"""One retry policy for API calls and token requests, and waits that a stop ends at once.

`RetryPolicy.run` is the only retry loop: an attempt that may be repeated raises `Retry`; the
wait before the next attempt is exponential backoff with full jitter, or Zoho's `Retry-After`
up to `max_retry_after`. Every wait goes through `StopSignal.wait`, so `stop()` ends it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import backoff

from zoho_crm_api.errors import ZohoRetriesExhausted, ZohoRetryAfterTooLong, ZohoStopped

BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
T = TypeVar("T")


class StopSignal:
    """Set once when the run must stop: no new call is sent and every wait ends (thread-safe)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.reason = ""

    def stop(self, reason: str) -> None:
        """Ask everything that waits or calls to stop; the first reason is kept."""
        with self._lock:
            if not self._event.is_set():
                self.reason = reason
                self._event.set()

    @property
    def stopped(self) -> bool:
        """True once `stop` was called."""
        return self._event.is_set()

    def check(self) -> None:
        """Raise ZohoStopped once stopped."""
        if self._event.is_set():
            raise ZohoStopped(self.reason)

    def wait(self, seconds: float) -> None:
        """Sleep `seconds`, or raise ZohoStopped as soon as the run is stopped."""
        if self._event.wait(max(0.0, seconds)):
            raise ZohoStopped(self.reason)


class Retry(Exception):
    """An attempt failed in a way worth repeating.

    `retry_after` is Zoho's `Retry-After` in seconds; `at_once` repeats without a wait (a
    rejected token was just replaced), the first time per call without counting as a retry.
    """

    def __init__(self, problem: str, *, retry_after: float | None = None, at_once: bool = False):
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after
        self.at_once = at_once


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """`Retry-After` as seconds from now (delta-seconds or an HTTP date), or None."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    moment = now or dt.datetime.now(dt.timezone.utc)
    return max(0.0, (when - moment).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How often a call is repeated and how long each wait is."""

    max_retries: int
    max_retry_after: float
    base: float = BACKOFF_BASE
    cap: float = BACKOFF_CAP

    def backoff(self, retry: int) -> float:
        """The wait before retry number `retry` (1, 2, ...): full jitter, doubling, capped."""
        return float(backoff.full_jitter(min(self.cap, self.base * 2**retry)))

    def wait_for(self, what: str, retry: int, failure: Retry) -> float:
        """The wait before `retry`: Zoho's Retry-After when sent (up to the cap), else backoff."""
        if failure.at_once:
            return 0.0
        if failure.retry_after is None:
            return self.backoff(retry)
        if failure.retry_after > self.max_retry_after:
            raise ZohoRetryAfterTooLong(what, failure.retry_after, self.max_retry_after)
        return failure.retry_after

    def run(
        self,
        what: str,
        attempt: Callable[[int], T],
        stop: StopSignal,
        logger: logging.Logger,
    ) -> T:
        """Call `attempt(retry)` (retry 0 first) until it returns, raising on the last failure.

        Raises ZohoRetriesExhausted after `max_retries` retries, ZohoRetryAfterTooLong when
        Zoho asks for a longer wait than allowed, ZohoStopped once `stop` is set.
        """
        retry = 0
        free_at_once = True
        while True:
            stop.check()
            try:
                return attempt(retry)
            except Retry as failure:
                if failure.at_once and free_at_once:
                    free_at_once = False
                    continue
                retry += 1
                if retry > self.max_retries:
                    raise ZohoRetriesExhausted(what, retry, failure.problem) from None
                wait = self.wait_for(what, retry, failure)
                # INFO, not WARNING: a retry that succeeds needs nothing done (the progress
                # lines and the summary count them); a call that fails for good is an error.
                logger.info(
                    "%s: %s; retry %d of %d in %.1f s.",
                    what,
                    failure.problem,
                    retry,
                    self.max_retries,
                    wait,
                )
                stop.wait(wait)
