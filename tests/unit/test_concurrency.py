"""`max_concurrency`: a number, or `auto` (the edition from GET /org); a 429 lowers it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.loopback import InProcessEmulator, Received, Reply
from tests.unit.test_client import client, token_server
from zoho_crm_api import endpoints
from zoho_crm_api.concurrency import (
    EDITION_CONCURRENCY,
    ConcurrencyLimit,
    edition,
    org_edition,
)
from zoho_crm_api.errors import ZohoConfigError, ZohoCreditsExhausted
from zoho_crm_api.settings import ConnectionSettings

CREDENTIALS = {"client_id": "id", "client_secret": "secret", "refresh_token": "refresh"}
BARRIER_TIMEOUT = 20
TOO_MANY = {"code": "TOO_MANY_REQUESTS", "details": {}, "message": "too many"}
USERS_PAGE = {
    "users": [{"id": "1"}],
    "info": {"per_page": 200, "count": 1, "page": 1, "more_records": False},
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[InProcessEmulator]:
    with InProcessEmulator("--org", "sample", "--refresh-limit", "100000") as emu:
        yield emu


# Settings


@pytest.mark.parametrize("value", [None, "auto", "AUTO", " auto "])
def test_auto_is_the_default_and_starts_at_five(value: Any) -> None:
    config = {**CREDENTIALS} if value is None else {**CREDENTIALS, "max_concurrency": value}
    settings = ConnectionSettings.from_config(config, environ={})
    assert settings.auto_concurrency is True
    assert settings.max_concurrency == 5
    assert settings.concurrency_ceiling == 25


@pytest.mark.parametrize(("value", "limit"), [(1, 1), (10, 10), ("12", 12), (25.0, 25)])
def test_numbers_keep_working(value: Any, limit: int) -> None:
    settings = ConnectionSettings.from_config({**CREDENTIALS, "max_concurrency": value}, {})
    assert (settings.auto_concurrency, settings.max_concurrency) == (False, limit)
    assert settings.concurrency_ceiling == limit


@pytest.mark.parametrize("value", [0, 26, "fast", True, 2.5])
def test_anything_else_is_refused_naming_both_forms(value: Any) -> None:
    with pytest.raises(ZohoConfigError, match="max_concurrency must be auto or a whole number"):
        ConnectionSettings.from_config({**CREDENTIALS, "max_concurrency": value}, {})


# Editions (zoho-api.md §10 "Edition")


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ({"paid": False, "paid_type": "free", "trial_type": "enterprise"}, ("free", None)),
        ({"paid": True, "paid_type": "enterprise"}, ("enterprise", None)),
        ({"paid": True, "paid_type": "Professional"}, ("professional", None)),
        ({"paid": True, "paid_type": "starter"}, ("standard", None)),
        ({"paid": True, "paid_type": "ultimate"}, ("ultimate", None)),
        ({"paid": True, "paid_type": "bigin_premier"}, ("free", "'bigin_premier'")),
        (None, ("free", "None")),
    ],
)
def test_the_edition_comes_from_license_details(details: Any, expected: tuple) -> None:
    assert edition(details) == expected


def test_the_edition_of_an_org_answer() -> None:
    body = {"org": [{"id": "1", "license_details": {"paid": True, "paid_type": "standard"}}]}
    assert org_edition(body) == ("standard", None)
    assert org_edition({"org": []})[0] == "free"


# The limit itself


def test_set_and_lower() -> None:
    limit = ConcurrencyLimit(5)
    seen: list[int] = []
    limit.watch(seen.append)
    assert limit.set(20) == 20
    assert limit.lower(25) is False  # lowering never raises it
    assert limit.lower(8) is True
    assert limit.set(20) == 8  # after a 429, the edition does not raise it again
    assert limit.lower(8) is False
    assert limit.limit == 8
    assert seen == [20, 8]


def test_slots_count_the_most_calls_in_flight_while_each_was_out() -> None:
    limit = ConcurrencyLimit(3)
    with limit.slot() as first:
        assert first.peak == 1
        with limit.slot() as second, limit.slot() as third:
            assert limit.in_flight == 3
            assert (first.peak, second.peak, third.peak) == (3, 3, 3)
        assert limit.in_flight == 1
    assert limit.in_flight == 0


def test_a_call_waits_for_a_free_slot() -> None:
    limit = ConcurrencyLimit(1)
    inside, entered = threading.Event(), threading.Event()

    def second() -> None:
        with limit.slot():
            entered.set()

    with limit.slot():
        inside.set()
        thread = threading.Thread(target=second)
        thread.start()
        assert limit.in_flight == 1
        assert not entered.is_set()
    thread.join(BARRIER_TIMEOUT)
    assert entered.is_set()


# The client


def test_a_429_with_four_calls_in_flight_lowers_the_limit_to_three(
    caplog: pytest.LogCaptureFixture,
) -> None:
    barrier = threading.Barrier(4, timeout=BARRIER_TIMEOUT)
    lock = threading.Lock()
    answered: list[int] = []

    def answer(request: Received) -> Reply:
        with lock:
            number = len(answered)
            answered.append(number)
        if number < 4:
            barrier.wait()  # the first four calls are all in flight at once
        return Reply.json(429, TOO_MANY) if number == 3 else Reply.json(200, USERS_PAGE)

    with token_server(answer) as host:
        api = client(host.url, max_concurrency=8)
        pages: list[Any] = []
        threads = [
            threading.Thread(target=lambda: pages.append(api.get_page(endpoints.USERS_LIST)))
            for _ in range(4)
        ]
        with caplog.at_level(logging.WARNING):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(BARRIER_TIMEOUT)
    assert len(pages) == 4  # the refused call was retried
    assert api.concurrency.limit == 3
    assert "429 with 4 calls in flight: at most 3 at once" in caplog.text


def test_each_429_of_a_burst_takes_one_call_off() -> None:
    limit = ConcurrencyLimit(20)
    for _ in range(10):
        limit.lower(min(limit.limit, 20) - 1)
    assert limit.limit == 10


def test_a_429_with_one_call_in_flight_leaves_the_limit() -> None:
    replies = iter([Reply.json(429, TOO_MANY), Reply.json(200, USERS_PAGE)])
    with token_server(lambda request: next(replies)) as host:
        api = client(host.url, max_concurrency=8)
        api.get_page(endpoints.USERS_LIST)
    assert api.concurrency.limit == 8


def test_a_429_for_spent_credits_leaves_the_limit() -> None:
    reply = Reply.json(429, TOO_MANY)
    reply.headers["X-API-CREDITS-REMAINING"] = "0"
    with token_server(lambda request: reply) as host:
        api = client(host.url, max_concurrency=8)
        with pytest.raises(ZohoCreditsExhausted):
            api.get_page(endpoints.USERS_LIST)
    assert api.concurrency.limit == 8


@pytest.mark.parametrize("name", list(EDITION_CONCURRENCY))
def test_auto_takes_the_edition_from_get_org(
    emulator: InProcessEmulator, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.config(edition=name)
    api = client(emulator.url, max_concurrency="auto")
    assert api.concurrency.limit == 5
    with caplog.at_level(logging.INFO):
        assert api.read_edition() == name
    assert api.concurrency.limit == EDITION_CONCURRENCY[name]
    assert f"the org's edition is {name.capitalize()}, so at most" in caplog.text


def test_auto_is_five_when_the_edition_cannot_be_read(
    emulator: InProcessEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    granted = emulator.config()["scopes"]
    emulator.config(scopes=[s for s in granted if "org" not in s.lower()], edition="enterprise")
    try:
        api = client(emulator.url, max_concurrency="auto")
        with caplog.at_level(logging.WARNING):
            assert api.read_edition() is None
    finally:
        emulator.config(scopes=granted)
    assert api.concurrency.limit == 5
    assert "the org's edition could not be read" in caplog.text
    assert "grant ZohoCRM.org.READ" in caplog.text
