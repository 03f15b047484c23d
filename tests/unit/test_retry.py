"""The one retry policy: how often, how long, Retry-After, and waits a stop ends."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest

from zoho_crm_api.errors import ZohoRetriesExhausted, ZohoRetryAfterTooLong, ZohoStopped
from zoho_crm_api.retry import Retry, RetryPolicy, StopSignal, retry_after_seconds

LOG = logging.getLogger("test-retry")
NOW = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Mon, 05 Jan 2026 09:31:10 GMT", 70.0),
        ("Mon, 05 Jan 2026 09:00:00 GMT", 0.0),  # in the past: at once
        ("soon", None),
        ("", None),
        (None, None),
        ("-5", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(header: str | None, seconds: float | None):
    assert retry_after_seconds(header, NOW) == seconds


def test_backoff_doubles_up_to_the_cap_with_full_jitter() -> None:
    policy = RetryPolicy(max_retries=10, max_retry_after=300, base=0.5, cap=30)
    for retry in range(1, 12):
        ceiling = min(30, 0.5 * 2**retry)
        waits = [policy.backoff(retry) for _ in range(200)]
        assert all(0 <= wait <= ceiling for wait in waits)
        assert max(waits) > ceiling / 2  # jittered over the whole range, not a constant


def test_retry_after_up_to_the_cap_is_honoured_and_beyond_it_stops() -> None:
    policy = RetryPolicy(max_retries=3, max_retry_after=60)
    assert policy.wait_for("GET /users", 1, Retry("429", retry_after=60)) == 60
    assert policy.wait_for("GET /users", 1, Retry("429", retry_after=0)) == 0
    too_long = r"retry after 61 s .* max_retry_after \(60 s\)"
    with pytest.raises(ZohoRetryAfterTooLong, match=too_long):
        policy.wait_for("GET /users", 1, Retry("429", retry_after=61))


def test_run_retries_up_to_max_retries_then_names_the_last_problem() -> None:
    policy = RetryPolicy(max_retries=2, max_retry_after=0, base=0, cap=0)
    tries: list[int] = []

    def attempt(retry: int) -> str:
        tries.append(retry)
        raise Retry(f"problem {retry}")

    with pytest.raises(ZohoRetriesExhausted, match="failed 3 times; last error: problem 2"):
        policy.run("GET /users", attempt, StopSignal(), LOG)
    assert tries == [0, 1, 2]


def test_run_returns_the_first_success() -> None:
    policy = RetryPolicy(max_retries=5, max_retry_after=0, base=0, cap=0)
    answers = iter([Retry("drop"), Retry("500"), "page"])

    def attempt(retry: int) -> str:
        answer = next(answers)
        if isinstance(answer, Retry):
            raise answer
        return answer

    assert policy.run("GET /users", attempt, StopSignal(), LOG) == "page"


def test_one_immediate_retry_per_call_is_free() -> None:
    # A rejected token is replaced and the call repeated at once; that first repeat is not a
    # retry, the next ones are.
    policy = RetryPolicy(max_retries=1, max_retry_after=0, base=0, cap=0)
    tries: list[int] = []

    def attempt(retry: int) -> str:
        tries.append(retry)
        raise Retry("INVALID_TOKEN", at_once=True)

    with pytest.raises(ZohoRetriesExhausted):
        policy.run("GET /users", attempt, StopSignal(), LOG)
    assert tries == [0, 0, 1]


def test_a_stop_ends_a_backoff_wait() -> None:
    policy = RetryPolicy(max_retries=3, max_retry_after=3600)
    stop = StopSignal()
    failures: list[BaseException] = []

    def attempt(retry: int) -> str:
        raise Retry("429", retry_after=3600)

    def run() -> None:
        try:
            policy.run("GET /users", attempt, stop, LOG)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    stop.stop("SIGTERM")
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(failures) == 1
    assert isinstance(failures[0], ZohoStopped)
    assert failures[0].reason == "SIGTERM"


def test_nothing_is_attempted_once_stopped() -> None:
    stop = StopSignal()
    stop.stop("first")
    stop.stop("second")
    with pytest.raises(ZohoStopped, match="first"):
        RetryPolicy(1, 1).run("GET /users", lambda retry: "never", stop, LOG)
