"""The client's answer, retry and error rules, over real loopback HTTP.

The emulator runs in-process (`InProcessEmulator`) with its opt-in network faults; `OtherHost`
stands in for another host and for a proxy's answers the emulator never gives.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.loopback import (
    InProcessEmulator,
    OtherHost,
    Received,
    Reply,
    endless_answer_host,
)
from zoho_crm_api import endpoints
from zoho_crm_api.client import ZohoClient, checked_body
from zoho_crm_api.errors import (
    ZohoAnswerTooLarge,
    ZohoAPIError,
    ZohoBadAnswer,
    ZohoCreditsExhausted,
    ZohoRetriesExhausted,
    ZohoRetryAfterTooLong,
    ZohoStopped,
)
from zoho_crm_api.retry import RetryPolicy
from zoho_crm_api.settings import ConnectionSettings

LOG = logging.getLogger("test-client")
ROOT = "431581000000272796"  # the sample org's root territory
PATTY = "431581000000258001"  # the current user: the token's owner


@pytest.fixture(scope="module")
def emulator() -> Iterator[InProcessEmulator]:
    with InProcessEmulator("--org", "sample", "--refresh-limit", "100000") as emu:
        yield emu


@pytest.fixture
def emu(emulator: InProcessEmulator) -> Iterator[InProcessEmulator]:
    """The module's emulator with faults off, the org as at start and stats zeroed."""
    emulator.reset_org()
    emulator.config(fault_rate=0, token_fault_rate=0, faults=["500", "429", "drop", "revoke"])
    emulator.reset_stats()
    yield emulator
    emulator.config(fault_rate=0, token_fault_rate=0, fault_seed=0, slow_drip_seconds=1)


def client(url: str, **overrides: Any) -> ZohoClient:
    config = {
        "client_id": "1000.EMULATORCLIENTID",
        "client_secret": "emulator-client-secret",
        "refresh_token": "1000.emulator-refresh-token",
        "accounts_server": url,
        "token_cache": False,
        "max_retries": 2,
        **overrides,
    }
    settings = ConnectionSettings.from_config(config)
    # No backoff between retries: these tests count attempts, not seconds.
    policy = RetryPolicy(settings.max_retries, settings.max_retry_after, base=0, cap=0)
    return ZohoClient(settings, LOG, policy=policy)


def api_requests(emu: InProcessEmulator, route: str) -> int:
    return int(emu.stats()["requests"].get(route, 0))


def test_a_clean_read(emu: InProcessEmulator) -> None:
    page = client(emu.url).get_page(endpoints.TERRITORIES_LIST)
    assert len(page.records) == 7
    assert page.more is False


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("html", "html"),
        ("truncate", "the body is not JSON or is cut short"),
        ("error200", "an error envelope with a 200: INTERNAL_ERROR"),
        ("short-body", "dropped or timed out mid-body"),
        ("reset-body", "dropped or timed out mid-body"),
        ("redirect", "a redirect to 127.0.0.1:"),
    ],
)
def test_a_read_that_never_gets_zohos_json_fails_naming_what_came(
    emu: InProcessEmulator, fault: str, words: str
) -> None:
    emu.config(fault_rate=1, faults=[fault])
    with pytest.raises(ZohoRetriesExhausted) as raised:
        client(emu.url).get_page(endpoints.TERRITORIES_LIST)
    assert "GET /settings/territories failed 3 times" in str(raised.value)
    assert words in str(raised.value)
    assert api_requests(emu, "GET /settings/territories") == 3


@pytest.mark.parametrize(
    "fault", ["html", "truncate", "error200", "short-body", "reset-body", "redirect"]
)
def test_a_read_retried_past_bad_answers_gives_the_clean_records(
    emu: InProcessEmulator, fault: str
) -> None:
    clean = client(emu.url).get_page(endpoints.USERS_LIST, params={"type": "AllUsers"})
    emu.config(fault_rate=0.5, faults=[fault], fault_seed=3)
    page = client(emu.url, max_retries=10).get_page(
        endpoints.USERS_LIST, params={"type": "AllUsers"}
    )
    assert page.records == clean.records
    assert sum(emu.stats()["faults_injected"].values()) >= 1


@pytest.mark.parametrize("fault", ["html", "truncate", "error200", "short-body", "redirect"])
def test_a_write_whose_answer_is_not_zohos_json_is_raised_at_once(
    emu: InProcessEmulator, fault: str
) -> None:
    territory = emu.state()["territories"][1]["id"]
    user = "431581000000291001"  # Ravi, active
    emu.config(fault_rate=1, faults=[fault])
    with pytest.raises(ZohoBadAnswer) as raised:
        client(emu.url).request(
            endpoints.ADD_TERRITORY_USERS,
            path={"id": territory},
            json={"users": [{"id": user}]},
        )
    assert raised.value.applied_maybe is True
    assert raised.value.endpoint == "PUT /settings/territories/{id}/users"
    assert api_requests(emu, "PUT /settings/territories/{id}/users") == 1  # not retried


def test_the_answer_is_bounded_by_request_timeout_not_per_read(emu: InProcessEmulator) -> None:
    # Four bytes every half second: each read gets bytes in time; only a deadline ends it.
    emu.config(fault_rate=1, faults=["slow"], slow_drip_seconds=0.5)
    with pytest.raises(ZohoRetriesExhausted, match=r"no complete answer within request_timeout"):
        client(emu.url, request_timeout=1, max_retries=0).get_page(endpoints.TERRITORIES_LIST)


def test_an_answer_that_never_ends_is_bounded_by_request_timeout() -> None:
    # Bytes keep coming: the watchdog's shut socket alone does not end the read (Linux still
    # delivers them), and the size cap (4 MB, some 5 s of this body) is further away.
    with endless_answer_host() as host:
        api = client(host.url, request_timeout=1, max_retries=0, max_response_mb=4)
        with pytest.raises(ZohoRetriesExhausted, match=r"no complete answer within request_ti"):
            api.get_page(endpoints.USERS_LIST)


def test_stop_abandons_an_answer_that_never_ends() -> None:
    with endless_answer_host() as host:
        api = client(host.url, request_timeout=600, max_response_mb=4)
        raised = stopped_within_a_second(lambda: api.get_page(endpoints.USERS_LIST), api)
    assert isinstance(raised, ZohoStopped)


def test_a_204_where_zoho_documents_none_is_not_an_empty_page() -> None:
    with token_server(lambda request: Reply(204, {}, b"")) as host:
        api = client(host.url)
        with pytest.raises(ZohoRetriesExhausted, match="HTTP 204 with no body, which Zoho"):
            api.get_page(endpoints.TERRITORY_USER_COUNTS)
        # Where Zoho documents it, 204 is the empty last page.
        assert api.get_page(endpoints.TERRITORY_USERS, path={"id": ROOT}).records == []


def test_an_org_answer_without_the_org_is_refused() -> None:
    # GET /org always names the org: an empty array would drop the organization stream's one
    # record with exit 0.
    with pytest.raises(ZohoBadAnswer, match="the 'org' array is empty"):
        checked_body(endpoints.ORGANIZATION, 200, "application/json", b'{"org": []}')
    one = checked_body(endpoints.ORGANIZATION, 200, "application/json", b'{"org": [{"id": "1"}]}')
    assert one == {"org": [{"id": "1"}]}


def test_a_page_without_more_records_is_not_the_last_page() -> None:
    body = {"territories": [{"id": ROOT}]}  # no "info": an incremental run could stop early
    with (
        token_server(lambda request: Reply.json(200, body)) as host,
        pytest.raises(ZohoRetriesExhausted, match="'info' block with 'more_records'"),
    ):
        client(host.url).get_page(endpoints.TERRITORIES_LIST)


def test_answers_over_max_response_mb_are_refused() -> None:
    big = b'{"territories": [' + b" " * (2 * 1024 * 1024) + b"]}"
    endless = [b'{"territories": [', *([b" " * 65536] * 64)]  # no Content-Length

    def answer(request: Received) -> Reply:
        if "page=1" in request.path:
            return Reply(200, {"Content-Type": "application/json"}, big)
        return Reply(200, {"Content-Type": "application/json"}, endless)

    with token_server(answer) as host:
        api = client(host.url, max_response_mb=1)
        with pytest.raises(ZohoAnswerTooLarge, match=r"larger than max_response_mb \(1 MB\)"):
            api.get_page(endpoints.TERRITORIES_LIST, page=1)
        with pytest.raises(ZohoAnswerTooLarge):
            api.get_page(endpoints.TERRITORIES_LIST, page=2)
        assert len(host.received) == 3  # a token, then each page once: never retried


def test_a_retry_after_beyond_the_cap_stops_and_nothing_more_is_sent() -> None:
    reply = Reply.json(429, {"code": "TOO_MANY_REQUESTS", "details": {}, "message": "wait"})
    reply.headers["Retry-After"] = "100000"
    with token_server(lambda request: reply) as host:
        api = client(host.url, max_retry_after=300)
        with pytest.raises(ZohoRetryAfterTooLong, match="retry after 100000 s"):
            api.get_page(endpoints.USERS_LIST)
        with pytest.raises(ZohoRetryAfterTooLong):
            api.get_page(endpoints.TERRITORIES_LIST)
        assert [r.path.split("?")[0] for r in host.received] == ["/oauth/v2/token", "/crm/v8/users"]


def test_spent_credits_stop_at_once(emu: InProcessEmulator) -> None:
    emu.config(credits=1)
    try:
        api = client(emu.url)
        api.get_page(endpoints.TERRITORIES_LIST)
        emu.config(credits=1)  # spent again: the next call is refused by Zoho
        emu.config(credits=1)
        api.get_page(endpoints.TERRITORIES_LIST)
        with pytest.raises(ZohoCreditsExhausted):
            api.get_page(endpoints.TERRITORIES_LIST)
        with pytest.raises(ZohoCreditsExhausted):
            api.get_page(endpoints.USERS_LIST)  # not sent
        assert api_requests(emu, "GET /users") == 0
    finally:
        emu.config(credits=None)


def test_other_4xx_fail_with_zohos_code_at_once(emu: InProcessEmulator) -> None:
    with pytest.raises(ZohoAPIError) as raised:
        client(emu.url).get_page(endpoints.TERRITORY_USERS, path={"id": "123"})
    assert raised.value.code == "INVALID_DATA"
    assert api_requests(emu, "GET /settings/territories/{id}/users") == 1


def test_a_4xx_without_zohos_envelope_is_not_taken_for_zohos_refusal() -> None:
    waf = Reply(403, {"Content-Type": "text/html"}, b"<h1>WAF</h1>")
    with (
        token_server(lambda request: waf) as host,
        pytest.raises(ZohoRetriesExhausted, match=r"HTTP 403 .* without Zoho's error envelope"),
    ):
        client(host.url).get_page(endpoints.USERS_LIST)


def test_redirects_are_never_followed_and_the_other_host_gets_nothing(
    emu: InProcessEmulator,
) -> None:
    with OtherHost() as other:
        emu.config(fault_rate=1, faults=["redirect"], redirect_to=other.url)
        try:
            with pytest.raises(ZohoRetriesExhausted, match=f"redirect to {other.url[7:]}"):
                client(emu.url).get_page(endpoints.USERS_LIST)
        finally:
            emu.config(redirect_to="")
    assert other.received == []


# Stop ----------------------------------------------------------------------------------------


def stopped_within_a_second(call: Callable[[], Any], api: ZohoClient) -> BaseException:
    """Run `call` in a thread, stop the client once it waits, and return what it raised."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=0.3)  # it is now waiting (or reading): nothing ends it but a stop
    assert thread.is_alive()
    api.stop("SIGTERM")
    thread.join(timeout=2)
    assert not thread.is_alive(), "the call did not end after stop()"
    assert len(raised) == 1
    return raised[0]


def test_stop_abandons_an_answer_being_read(emu: InProcessEmulator) -> None:
    emu.config(fault_rate=1, faults=["slow"], slow_drip_seconds=0.5)
    api = client(emu.url, request_timeout=600)
    raised = stopped_within_a_second(lambda: api.get_page(endpoints.USERS_LIST), api)
    assert isinstance(raised, ZohoStopped)
    with pytest.raises(ZohoStopped):
        api.get_page(endpoints.TERRITORIES_LIST)  # nothing new is sent


def test_stop_ends_a_backoff(emu: InProcessEmulator) -> None:
    emu.config(fault_rate=1, faults=["500"])
    settings = ConnectionSettings.from_config(emu.config_for_tap(token_cache=False))
    api = ZohoClient(settings, LOG, policy=RetryPolicy(10, 300, base=60, cap=60))
    raised = stopped_within_a_second(lambda: api.get_page(endpoints.USERS_LIST), api)
    assert isinstance(raised, ZohoStopped)


def test_stop_ends_a_retry_after_wait() -> None:
    reply = Reply.json(429, {"code": "TOO_MANY_REQUESTS", "details": {}, "message": "wait"})
    reply.headers["Retry-After"] = "250"
    with token_server(lambda request: reply) as host:
        api = client(host.url)
        raised = stopped_within_a_second(lambda: api.get_page(endpoints.USERS_LIST), api)
    assert isinstance(raised, ZohoStopped)


def test_stop_ends_the_token_throttle_wait(emu: InProcessEmulator) -> None:
    emu.config(refresh_limit=0)
    try:
        api = client(emu.url)
        raised = stopped_within_a_second(lambda: api.get_page(endpoints.USERS_LIST), api)
    finally:
        emu.config(refresh_limit=100000)
    assert isinstance(raised, ZohoStopped)


# Helpers -------------------------------------------------------------------------------------


def token_server(api_answer: Callable[[Received], Reply]) -> OtherHost:
    """A loopback server that grants a token and answers API calls with `api_answer`."""

    def answer(request: Received) -> Reply:
        if request.path.startswith("/oauth/v2/token"):
            grant = {"access_token": "1000.0123abcd.4567ef", "expires_in": 3600}
            return Reply.json(200, {**grant, "api_domain": host.url})
        return api_answer(request)

    host = OtherHost(answer)
    return host
