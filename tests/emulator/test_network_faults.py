"""The opt-in network faults (html, truncate, short-body, reset-body, error200, slow, redirect),
the token endpoint's faults, body limits and idle connections: the exact bytes on the wire."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from tests.emulator.rawhttp import (
    Recorder,
    api_request,
    connect,
    exchange,
    receive,
    request_bytes,
)
from tests.support.api import TOKEN_FORM, ZohoApi
from tests.support.envelope import assert_error

ORG_ARGS = ("--org", "sample")
J_SMITH = "431581000000278001"
CHENNAI_SOUTH = "431581000000744125"
NEW_PAIR = (J_SMITH, CHENNAI_SOUTH)
WRITE_PATH = f"/crm/v8/users/{J_SMITH}/territories"
WRITE_BODY = json.dumps({"territories": [{"id": CHENNAI_SOUTH}]}).encode()
JSON_TYPE = "application/json;charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
REASONS = {
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
}


@pytest.fixture
def emu(org):
    return org.emulator


@pytest.fixture
def token(emu):
    return ZohoApi(emu.url).refresh()


def faulty(emu, kinds, **settings):
    emu.config(fault_rate=1, faults=kinds, **settings)


def clean_users(emu, token):
    emu.config(fault_rate=0)
    return exchange(emu.url, api_request("GET", "/crm/v8/users", token))


def write(emu, token):
    return exchange(emu.url, api_request("PUT", WRITE_PATH, token, WRITE_BODY))


def until_seen(emu, raw, key, wanted, attempts=40):
    """Send ``raw`` on new connections until every ``key(answer)`` in ``wanted`` was seen."""
    seen = {}
    for _ in range(attempts):
        answer = exchange(emu.url, raw)
        seen.setdefault(key(answer), answer)
        if set(seen) >= set(wanted):
            return seen
    raise AssertionError(f"saw only {sorted(seen)} of {sorted(wanted)}")


def token_request(**overrides):
    body = urlencode({**TOKEN_FORM, **overrides}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return request_bytes("POST", "/oauth/v2/token", headers, body)


# ---------------------------------------------------------------------- defaults


def test_new_kinds_are_opt_in(emu):
    config = emu.config()
    assert config["faults"] == ["500", "429", "drop", "revoke"]
    assert config["token_fault_rate"] == 0
    assert config["max_body_bytes"] == 8 * 1024 * 1024
    assert config["idle_timeout_s"] == 30
    assert config["slow_drip_seconds"] == 1
    for kind in ("html", "truncate", "short-body", "reset-body", "error200", "slow", "redirect"):
        assert emu.config(faults=kind)["faults"] == [kind]
    bad = requests.post(f"{emu.url}/__emulator/config", json={"token_faults": "500"}, timeout=30)
    assert bad.status_code == 400
    assert "500" in bad.json()["error"]


# ---------------------------------------------------------------------- API faults


def test_html_page_with_200_or_502_and_no_write(emu, org, token):
    faulty(emu, "html")
    seen = until_seen(
        emu, api_request("GET", "/crm/v8/users", token), lambda a: a.status, {200, 502}
    )
    for answer in seen.values():
        assert answer.ending == "complete"
        assert answer.headers["content-type"] == HTML_TYPE
        assert answer.content_length == len(answer.body)
    assert seen[502].body == NGINX_502
    assert seen[200].body.startswith(b"<!DOCTYPE html>")
    assert b"<h1>Network login required</h1>" in seen[200].body
    answer = write(emu, token)
    assert answer.headers["content-type"] == HTML_TYPE
    assert NEW_PAIR not in org.assignments()  # html strikes before the write
    stats = emu.stats()
    assert stats["faults_injected"] == {"html": stats["total_requests"]}
    assert stats["faults_after_processing"] == {}


def test_truncate_cuts_a_2xx_body_in_half_with_a_matching_length(emu, org, token):
    faulty(emu, "truncate")
    with connect(emu.url) as sock:
        sock.sendall(api_request("GET", "/crm/v8/users", token))
        cut = receive(sock)
        emu.config(fault_rate=0)
        sock.sendall(api_request("GET", "/crm/v8/users", token))  # same connection: still usable
        whole = receive(sock)
    assert cut.status == whole.status == 200
    assert cut.ending == whole.ending == "complete"
    assert cut.headers["content-type"] == JSON_TYPE
    assert cut.content_length == len(cut.body) == len(whole.body) // 2
    assert whole.body.startswith(cut.body)
    with pytest.raises(ValueError):
        json.loads(cut.body)
    assert json.loads(whole.body)["users"]
    faulty(emu, "truncate")
    answer = write(emu, token)
    assert answer.status == 200
    assert answer.content_length == len(answer.body)
    assert NEW_PAIR in org.assignments()  # the write WAS applied
    # Nothing to cut in a 204: it goes out whole and is not counted.
    assert exchange(emu.url, api_request("GET", "/crm/v8/users?page=99", token)).status == 204
    stats = emu.stats()
    assert stats["faults_injected"] == {"truncate": 2}
    assert stats["faults_after_processing"] == {"truncate": 2}


@pytest.mark.parametrize(("kind", "ending"), [("short-body", "eof"), ("reset-body", "reset")])
def test_body_shorter_than_its_length_then_closed_or_reset(emu, org, token, kind, ending):
    """short-body closes (FIN) after half the body, reset-body resets (RST) there."""
    whole = clean_users(emu, token)
    faulty(emu, kind)
    cut = exchange(emu.url, api_request("GET", "/crm/v8/users", token))
    assert cut.status == 200
    assert cut.ending == ending
    assert cut.content_length == len(whole.body)
    assert cut.body == whole.body[: len(whole.body) // 2]
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(
            f"{emu.url}/crm/v8/users", headers={"Authorization": f"Zoho-oauthtoken {token}"}
        )
    assert write(emu, token).ending == ending
    assert NEW_PAIR in org.assignments()  # the write WAS applied
    stats = emu.stats()
    assert stats["faults_injected"] == stats["faults_after_processing"] == {kind: 3}


def test_error200_is_zohos_error_envelope_with_200_and_no_write(emu, org, token):
    faulty(emu, "error200")
    answer = exchange(emu.url, api_request("GET", "/crm/v8/users", token))
    assert answer.status == 200
    assert answer.headers["content-type"] == JSON_TYPE
    assert answer.body == (
        b'{"code":"INTERNAL_ERROR","details":{},"message":"Internal Server Error","status":"error"}'
    )
    groups = exchange(emu.url, api_request("GET", "/crm/v8/settings/user_groups", token))
    assert json.loads(groups.body)["code"] == "INTERNAL_SERVER_ERROR"
    assert write(emu, token).status == 200
    assert NEW_PAIR not in org.assignments()
    assert emu.stats()["faults_injected"] == {"error200": 3}


def first_bytes(emu, raw):
    """What arrives before the emulator pauses (with a drip every 30 s, nothing more comes)."""
    with connect(emu.url) as sock:
        sock.sendall(raw)
        return receive(sock, idle=0.5, until_length=False)


def test_slow_drips_the_headers_or_the_body_a_few_bytes_at_a_time(emu, org, token):
    faulty(emu, "slow", slow_drip_seconds=30, slow_drip_bytes=4)
    raw = api_request("GET", "/crm/v8/users", token)
    phases = {}
    for _ in range(12):
        answer = first_bytes(emu, raw)
        assert answer.ending == "timeout"
        phases.setdefault("headers" if answer.data == b"HTTP" else "body", answer)
        if len(phases) == 2:
            break
    assert set(phases) == {"headers", "body"}
    body_phase = phases["body"]
    assert body_phase.status == 200
    assert body_phase.content_length > 4
    assert len(body_phase.body) == 4  # the head at once, then 4 body bytes, then a pause
    assert body_phase.body == b'{"us'


def test_slow_sends_the_whole_real_answer_in_the_end(emu, org, token):
    whole = clean_users(emu, token)
    faulty(emu, "slow", slow_drip_seconds=0.001, slow_drip_bytes=512)
    slow = exchange(emu.url, api_request("GET", "/crm/v8/users", token))
    assert slow.ending == "complete"
    assert slow.status == 200
    assert slow.body == whole.body
    assert write(emu, token).status == 200
    assert NEW_PAIR in org.assignments()
    assert emu.stats()["faults_after_processing"] == {"slow": 2}


def test_redirect_points_to_another_port_and_nothing_is_written(emu, org, token):
    target = "/crm/v8/users?type=AllUsers&page=1"
    default = emu.config()["redirect_to"]
    parts = urlsplit(default)
    assert parts.hostname == "127.0.0.1"
    assert parts.port != urlsplit(emu.url).port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((parts.hostname, parts.port), timeout=10).close()
    with Recorder() as other:
        faulty(emu, "redirect", redirect_to=other.url)
        seen = until_seen(emu, api_request("GET", target, token), lambda a: a.status, REASONS)
        for status, answer in seen.items():
            assert answer.headers["location"] == other.url + target
            assert answer.headers["content-type"] == HTML_TYPE
            title = f"{status} {REASONS[status]}".encode()
            assert answer.body.startswith(b"<html>\r\n<head><title>" + title + b"</title>")
            assert answer.content_length == len(answer.body)
        followed = requests.get(
            emu.url + target, headers={"Authorization": f"Zoho-oauthtoken {token}"}, timeout=30
        )
        assert followed.json() == {}  # what "another host" answered
        assert other.requests[-1]["path"] == target
        assert write(emu, token).status in REASONS
        assert NEW_PAIR not in org.assignments()


# ---------------------------------------------------------------------- token faults


def token_faulty(emu, kind):
    emu.config(token_fault_rate=1, token_faults=kind)


def test_token_html_and_redirect_grant_nothing(emu):
    before = emu.issued_tokens()
    token_faulty(emu, "html")
    seen = until_seen(emu, token_request(), lambda a: a.status, {200, 502})
    assert seen[502].body == NGINX_502
    assert all(a.headers["content-type"] == HTML_TYPE for a in seen.values())
    with Recorder() as other:
        emu.config(token_faults="redirect", redirect_to=other.url)
        seen = until_seen(emu, token_request(), lambda a: a.status, {307, 308})
        for answer in seen.values():
            assert answer.headers["location"] == other.url + "/oauth/v2/token"
        # A client that follows a 307/308 posts the credentials again, to the other host.
        requests.post(f"{emu.url}/oauth/v2/token", data=TOKEN_FORM, timeout=30)
        assert other.requests[-1]["method"] == "POST"
        assert other.requests[-1]["body"] == urlencode(TOKEN_FORM).encode()
    assert emu.issued_tokens() == before
    injected = emu.stats()["token_faults_injected"]
    assert set(injected) == {"html", "redirect"}
    assert emu.stats()["faults_injected"] == {}


@pytest.mark.parametrize(
    ("kind", "ending"), [("truncate", "complete"), ("short-body", "eof"), ("reset-body", "reset")]
)
def test_token_answer_cut_after_the_grant(emu, kind, ending):
    before = len(emu.issued_tokens())
    token_faulty(emu, kind)
    answer = exchange(emu.url, token_request())
    assert answer.status == 200
    assert answer.ending == ending
    assert answer.body.startswith(b'{"access_token":"1000.')
    issued = emu.issued_tokens()[before:]
    assert len(issued) == 1  # granted: it counts against the refresh throttle
    config = emu.config()
    grant = {
        "access_token": issued[0],
        "scope": " ".join(config["scopes"]),
        "api_domain": emu.url,
        "token_type": "Bearer",
        "expires_in": 3600,
    }
    whole = json.dumps(grant, separators=(",", ":")).encode()
    assert answer.body == whole[: len(whole) // 2]
    assert answer.content_length == (len(answer.body) if kind == "truncate" else len(whole))
    assert emu.stats()["token_faults_injected"] == {kind: 1}


def test_token_slow_and_drop(emu):
    emu.config(token_fault_rate=1, token_faults="slow", slow_drip_seconds=30, slow_drip_bytes=4)
    first = first_bytes(emu, token_request())
    assert first.ending == "timeout"
    assert first.data == b"HTTP" or first.body == b'{"ac'
    emu.config(token_faults="drop")
    dropped = exchange(emu.url, token_request())
    assert (dropped.data, dropped.ending) == (b"", "eof")


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("token-newline", lambda t: t.endswith("\n") and t.count("\n") == 1),
        ("token-space", lambda t: " " in t and t.replace(" ", "").startswith("1000.")),
    ],
)
def test_malformed_access_tokens_are_listed_and_never_valid(emu, kind, check):
    token_faulty(emu, kind)
    grant = json.loads(exchange(emu.url, token_request()).body)
    bad = grant["access_token"]
    assert check(bad)
    assert set(grant) == {"access_token", "scope", "api_domain", "token_type", "expires_in"}
    assert bad in emu.issued_tokens()
    api = ZohoApi(emu.url)
    assert_error(api.get("/users", token=bad.replace("\n", "")), 401, "INVALID_TOKEN")
    assert emu.stats()["token_faults_injected"] == {kind: 1}


@pytest.mark.parametrize(
    ("kind", "expires"),
    [("expires-missing", None), ("expires-negative", -100), ("expires-text", "one hour")],
)
def test_bad_expires_in_with_a_valid_token(emu, kind, expires):
    token_faulty(emu, kind)
    grant = json.loads(exchange(emu.url, token_request()).body)
    assert grant.get("expires_in") == expires
    assert ("expires_in" in grant) is (expires is not None)
    assert ZohoApi(emu.url).get("/users", token=grant["access_token"]).status_code == 200


def test_a_refused_grant_is_not_spoiled(emu):
    token_faulty(emu, "expires-negative")
    grant = json.loads(exchange(emu.url, token_request(client_secret="wrong")).body)
    assert grant == {"error": "invalid_client"}
    assert emu.stats()["token_faults_injected"] == {}


def test_token_faults_never_shift_the_api_fault_sequence(emu):
    api = ZohoApi(emu.url)

    def codes(with_token_faults):
        emu.config(fault_seed=11, fault_rate=0.5, faults="500,429", token_fault_rate=0)
        token = api.refresh()
        if with_token_faults:
            emu.config(token_fault_rate=1, token_faults="expires-negative")
        out = []
        for _ in range(12):  # fewer than 15 tokens: the API token is never evicted
            if with_token_faults:
                exchange(emu.url, token_request())
            out.append(api.get("/users", token=token).status_code)
        return out

    plain = codes(False)
    assert codes(True) == plain
    assert {200, 429, 500} <= set(plain)


# ---------------------------------------------------------------------- bodies


def test_deeply_nested_body_is_invalid_data(emu, token):
    depth = 100_000
    body = b'{"territories":' + b"[" * depth + b"]" * depth + b"}"
    answer = exchange(emu.url, api_request("PUT", WRITE_PATH, token, body))
    assert answer.status == 400
    assert json.loads(answer.body) == {
        "code": "INVALID_DATA",
        "details": {"expected_data_type": "jsonobject"},
        "message": "the input data is not a valid JSON",
        "status": "error",
    }
    config = requests.post(f"{emu.url}/__emulator/config", data=b"[" * depth, timeout=30)
    assert config.status_code == 400
    assert "Traceback" not in emu.stderr_text()


def test_oversized_body_is_invalid_data_and_the_connection_stays_usable(emu, token):
    emu.config(max_body_bytes=1000)
    conn = http.client.HTTPConnection(
        urlsplit(emu.url).hostname, urlsplit(emu.url).port, timeout=30
    )
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    big = json.dumps({"territories": [{"id": CHENNAI_SOUTH}] * 40}).encode()
    assert len(big) > 1000
    conn.request("PUT", WRITE_PATH, body=big, headers=headers)
    answer = conn.getresponse()
    assert answer.status == 400
    assert json.loads(answer.read()) == {
        "code": "INVALID_DATA",
        "details": {"maximum_length": 1000},
        "message": "the request body is larger than 1000 bytes",
        "status": "error",
    }
    conn.request("GET", "/crm/v8/users", headers=headers)  # the same connection
    assert conn.getresponse().status == 200
    conn.close()
    chunked = requests.put(
        emu.url + WRITE_PATH, data=iter([big[:600], big[600:]]), headers=headers, timeout=30
    )
    assert_error(chunked, 400, "INVALID_DATA", {"maximum_length": 1000})
    assert emu.stats()["rejected"] == {"body_too_large": 2}


def test_default_limit_is_8_mb(emu, token):
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    answer = requests.put(
        emu.url + WRITE_PATH, data=b" " * (8 * 1024 * 1024 + 1), headers=headers, timeout=60
    )
    assert_error(answer, 400, "INVALID_DATA", {"maximum_length": 8 * 1024 * 1024})


# ---------------------------------------------------------------------- idle connections


def wait_for_open_connections(emu, most):
    for _ in range(200):
        connections = emu.stats()["connections"]
        if connections["open"] <= most:
            return connections
        threading.Event().wait(0.05)
    raise AssertionError(emu.stats()["connections"])


def test_400_connections_that_never_finish_their_headers_are_dropped(emu):
    emu.config(idle_timeout_s=0.5)
    emu.reset_stats()
    before = emu.stats()["connections"]["open"]  # this call's own and other tests' idle ones
    sockets = [connect(emu.url) for _ in range(400)]
    try:
        for sock in sockets:
            sock.sendall(b"GET /crm/v8/users HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for sock in sockets:
            assert sock.recv(1024) == b""  # closed by the emulator, no answer
    finally:
        for sock in sockets:
            sock.close()
    connections = wait_for_open_connections(emu, before)
    assert connections["timed_out"] >= 400


def test_headers_dripped_byte_by_byte_are_cut_at_the_deadline(emu):
    emu.config(idle_timeout_s=0.5)
    header = b"GET /crm/v8/users HTTP/1.1\r\nX-Slow: " + b"a" * 150 + b"\r\n\r\n"
    sent = []
    with connect(emu.url) as sock:

        def drip():
            try:
                for byte in header:
                    sock.sendall(bytes([byte]))
                    sent.append(byte)
                    threading.Event().wait(0.05)
            except OSError:
                pass

        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()
        assert sock.recv(1024) == b""
    dripper.join(30)
    assert len(sent) < len(header)  # closed before the request was complete


def test_an_idle_keep_alive_connection_is_closed(emu, token):
    emu.config(idle_timeout_s=0.5)
    with connect(emu.url) as sock:
        sock.sendall(api_request("GET", "/crm/v8/users", token))
        assert receive(sock).status == 200
        assert sock.recv(1024) == b""
