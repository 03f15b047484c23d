"""The token manager: one refresh per rejected token, no storms, no token printed, the cache.

Against the emulator in-process over loopback (its token faults hand out malformed tokens and
bad lifetimes), and `OtherHost` for answers it never gives and as "another host".
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.loopback import InProcessEmulator, OtherHost, Received, Reply
from tests.unit.test_client import client
from zoho_crm_api import endpoints
from zoho_crm_api.auth import token_lifetime, token_problem
from zoho_crm_api.client import ZohoClient
from zoho_crm_api.errors import ZohoAuthError, ZohoStopped
from zoho_crm_emulator.config import CLIENT_SECRET, REFRESH_TOKEN

TOKEN_ROUTE = "POST /oauth/v2/token"
OTHER_REFRESH_TOKEN = "1000.another-refresh-token"


@pytest.fixture(scope="module")
def emulator() -> Iterator[InProcessEmulator]:
    with InProcessEmulator(
        "--org",
        "sample",
        "--refresh-limit",
        "100000",
        "--refresh-token",
        REFRESH_TOKEN,
        "--refresh-token",
        OTHER_REFRESH_TOKEN,
    ) as emu:
        yield emu


@pytest.fixture
def emu(emulator: InProcessEmulator) -> Iterator[InProcessEmulator]:
    emulator.config(fault_rate=0, token_fault_rate=0, refresh_limit=100000, refresh_window=600)
    emulator.reset_stats()
    yield emulator
    emulator.config(fault_rate=0, token_fault_rate=0, refresh_limit=100000, fault_seed=0)


def token_requests(emu: InProcessEmulator) -> int:
    return int(emu.stats()["requests"].get(TOKEN_ROUTE, 0))


def in_threads(api: ZohoClient, count: int = 5) -> list[Any]:
    """Read a page from `count` threads at once; what each returned or raised."""
    results: list[Any] = [None] * count

    def read(index: int) -> None:
        try:
            results[index] = api.get_page(endpoints.TERRITORIES_LIST)
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=read, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def assert_no_issued_token_in(text: str, emu: InProcessEmulator) -> None:
    for token in emu.issued_tokens():
        for part in [token.strip(), *token.strip().replace(" ", ".").split(".")[1:]]:
            if len(part) >= 8:
                assert part not in text


# Pure rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "seconds", "why"),
    [
        ({"expires_in": 3600}, 3600, None),
        ({"expires_in": "3600"}, 3600, None),
        ({"expires_in": 3600000, "expires_in_sec": 3600}, 3600, None),  # legacy: milliseconds
        ({}, 300, "it has no expires_in"),
        ({"expires_in": -100}, 300, "expires_in is -100, not a lifetime"),
        ({"expires_in": 0}, 300, "not a lifetime"),
        ({"expires_in": "one hour"}, 300, "expires_in is 'one hour', not a number"),
        ({"expires_in": None}, 300, "not a number"),
        ({"expires_in": True}, 300, "not a number"),
        ({"expires_in": float("nan")}, 300, "not a number"),
        ({"expires_in": 10**12}, 300, "not a lifetime"),
    ],
)
def test_a_token_without_a_usable_lifetime_lives_five_minutes(
    answer: dict, seconds: float, why: str | None
) -> None:
    got, reason = token_lifetime(answer)
    assert got == seconds
    if why is None:
        assert reason is None
    else:
        assert reason is not None
        assert why in reason


@pytest.mark.parametrize(
    "value", ["1000.abc\n", "1000.a b", "1000.\x00x", "", None, 42, "1000.é\u200b"]
)
def test_a_malformed_token_is_refused_without_quoting_it(value: Any) -> None:
    problem = token_problem(value)
    assert problem is not None
    if isinstance(value, str) and value:
        assert value.strip() not in problem


def test_a_well_formed_token_is_accepted() -> None:
    assert token_problem("1000.0123456789abcdef.fedcba9876543210") is None


# Refused credentials and rejected tokens ------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_secret": "not-the-secret"}, "invalid_client"),
        ({"refresh_token": "1000.not-a-refresh-token"}, "invalid_code"),
    ],
)
def test_refused_credentials_stop_after_one_token_request(
    emu: InProcessEmulator, overrides: dict, error: str
) -> None:
    results = in_threads(client(emu.url, **overrides))
    assert all(isinstance(r, ZohoAuthError) and error in str(r) for r in results)
    assert token_requests(emu) == 1
    assert emu.stats()["total_requests"] == 0


def test_a_401_on_every_call_stops_after_two_fresh_tokens(emu: InProcessEmulator) -> None:
    emu.config(fault_rate=1, faults=["revoke"])
    results = in_threads(client(emu.url))
    assert all(isinstance(r, ZohoAuthError) for r in results)
    assert "rejected 2 freshly issued access tokens in a row" in str(results[0])
    assert "data_center" in str(results[0])
    assert token_requests(emu) == 2
    assert emu.stats()["total_requests"] <= 10  # the calls in flight, not a storm


def test_a_working_token_rejected_later_costs_one_refresh(emu: InProcessEmulator) -> None:
    api = client(emu.url)
    api.get_page(endpoints.TERRITORIES_LIST)
    emu.revoke_refresh_token(api.tokens.token())  # an access token can be revoked too
    results = in_threads(api)
    assert all(len(r.records) == 7 for r in results)
    assert token_requests(emu) == 2


def test_threads_share_one_token(emu: InProcessEmulator) -> None:
    results = in_threads(client(emu.url), count=8)
    assert all(len(r.records) == 7 for r in results)
    assert token_requests(emu) == 1


# What the token endpoint can answer ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("expires-missing", "it has no expires_in"),
        ("expires-negative", "expires_in is -100, not a lifetime"),
        ("expires-text", "expires_in is 'one hour', not a number"),
    ],
)
def test_a_bad_lifetime_is_a_warning_and_a_short_lifetime_not_a_refresh_per_call(
    emu: InProcessEmulator, fault: str, words: str, caplog: pytest.LogCaptureFixture
) -> None:
    emu.config(token_fault_rate=1, token_faults=[fault])
    api = client(emu.url)
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            api.get_page(endpoints.TERRITORIES_LIST)
    assert token_requests(emu) == 1
    assert words in caplog.text
    assert "assuming the token lives 300 s" in caplog.text


@pytest.mark.parametrize("fault", ["token-newline", "token-space"])
def test_malformed_tokens_are_never_used_or_printed(
    emu: InProcessEmulator, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    emu.config(token_fault_rate=1, token_faults=[fault])
    with caplog.at_level(logging.DEBUG), pytest.raises(ZohoAuthError) as raised:
        client(emu.url).get_page(endpoints.TERRITORIES_LIST)
    assert "malformed" in str(raised.value)
    assert emu.stats()["total_requests"] == 0  # never sent to the API
    assert_no_issued_token_in(caplog.text + str(raised.value), emu)

    emu.config(token_fault_rate=0.5, fault_seed=4)
    assert len(client(emu.url, max_retries=10).get_page(endpoints.TERRITORIES_LIST).records) == 7
    assert_no_issued_token_in(caplog.text, emu)


@pytest.mark.parametrize("fault", ["html", "truncate", "short-body", "reset-body", "drop"])
def test_a_token_answer_that_is_not_one_is_retried(emu: InProcessEmulator, fault: str) -> None:
    emu.config(token_fault_rate=1, token_faults=[fault])
    with pytest.raises(ZohoAuthError, match="Could not get an access token"):
        client(emu.url).get_page(endpoints.TERRITORIES_LIST)
    assert token_requests(emu) == 3  # max_retries 2
    emu.config(token_fault_rate=0.5, fault_seed=2)
    assert len(client(emu.url, max_retries=10).get_page(endpoints.TERRITORIES_LIST).records) == 7


def test_a_redirected_token_request_sends_no_credential_elsewhere(emu: InProcessEmulator) -> None:
    with OtherHost() as other:
        emu.config(token_fault_rate=1, token_faults=["redirect"], redirect_to=other.url)
        try:
            with pytest.raises(ZohoAuthError) as raised:
                client(emu.url).get_page(endpoints.TERRITORIES_LIST)
        finally:
            emu.config(redirect_to="")
    assert f"a redirect to {other.url[7:]} (never followed)" in str(raised.value)
    assert other.received == []


@pytest.mark.parametrize("domain", ["http://api.example.com", "ftp://127.0.0.1", "zohoapis.com"])
def test_an_api_domain_that_is_not_https_or_loopback_is_refused(domain: str) -> None:
    def answer(request: Received) -> Reply:
        grant = {"access_token": "1000.abcdef01.23456789", "api_domain": domain, "expires_in": 60}
        return Reply.json(200, grant)

    with OtherHost(answer) as accounts:
        with pytest.raises(ZohoAuthError, match="named an API domain that is refused"):
            client(accounts.url).get_page(endpoints.TERRITORIES_LIST)
        assert [r.path for r in accounts.received] == ["/oauth/v2/token"]


def test_a_throttle_wait_says_until_when_and_why(
    emu: InProcessEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.config(refresh_limit=1, refresh_window=0.5)
    client(emu.url).get_page(endpoints.TERRITORIES_LIST)
    with caplog.at_level(logging.WARNING):
        client(emu.url).get_page(endpoints.TERRITORIES_LIST)
    assert "Zoho allows 10 access tokens in 10 minutes for one refresh token" in caplog.text
    assert "waiting until " in caplog.text
    assert "giving up at " in caplog.text


# The token cache ------------------------------------------------------------------------------


def test_the_next_run_reuses_the_cached_token(emu: InProcessEmulator, tmp_path: Path) -> None:
    cache = str(tmp_path / "tokens.json")
    for _ in range(3):
        client(emu.url, token_cache=cache).get_page(endpoints.TERRITORIES_LIST)
    assert token_requests(emu) == 1
    text = Path(cache).read_text()
    assert CLIENT_SECRET not in text
    assert REFRESH_TOKEN not in text
    [entry] = json.loads(text)["tokens"].values()
    assert entry["access_token"] in emu.issued_tokens()
    assert entry["api_domain"] == emu.url


def test_another_clients_cached_token_is_never_used(emu: InProcessEmulator, tmp_path: Path) -> None:
    cache = str(tmp_path / "tokens.json")
    client(emu.url, token_cache=cache).get_page(endpoints.TERRITORIES_LIST)
    other = client(emu.url, token_cache=cache, refresh_token=OTHER_REFRESH_TOKEN)
    other.get_page(endpoints.TERRITORIES_LIST)
    assert token_requests(emu) == 2
    assert len(json.loads(Path(cache).read_text())["tokens"]) == 2


def test_a_revoked_cached_token_costs_one_refresh(emu: InProcessEmulator, tmp_path: Path) -> None:
    cache = str(tmp_path / "tokens.json")
    first = client(emu.url, token_cache=cache)
    first.get_page(endpoints.TERRITORIES_LIST)
    emu.revoke_refresh_token(first.tokens.token())
    second = client(emu.url, token_cache=cache)
    assert len(second.get_page(endpoints.TERRITORIES_LIST).records) == 7
    assert token_requests(emu) == 2
    assert second.stats.token_requests == 1
    [entry] = json.loads(Path(cache).read_text())["tokens"].values()
    assert entry["access_token"] == second.tokens.token()


def test_a_stopped_client_asks_for_no_token(emu: InProcessEmulator) -> None:
    api = client(emu.url)
    api.stop("SIGTERM")
    with pytest.raises(ZohoStopped):
        api.get_page(endpoints.TERRITORIES_LIST)
    assert token_requests(emu) == 0


def test_the_summary_counts_token_requests_apart(emu: InProcessEmulator) -> None:
    api = client(emu.url)
    api.get_page(endpoints.TERRITORIES_LIST)
    api.get_page(endpoints.USERS_LIST)
    api.get_page(endpoints.USERS_LIST, page=2)
    lines = api.stats.summary().splitlines()
    assert lines[0].startswith("Zoho API calls: 3 ")
    assert sum(int(line.split()[0]) for line in lines[1:-1]) == 3
    assert lines[-1] == "Zoho token requests: 1 (POST /oauth/v2/token)"
