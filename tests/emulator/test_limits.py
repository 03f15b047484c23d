"""Latency, the concurrency limit (exact max_in_flight), credits and each fault kind."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.envelope import assert_error
from zoho_crm_emulator.process import EmulatorProcess

J_SMITH = "431581000000278001"
CHILD = "431581000000744169"


def burst(api, count, path="/settings/territories"):
    """``count`` requests released at the same moment, each on its own connection."""
    api.refresh()
    barrier = threading.Barrier(count)
    token = api.token

    def one(_):
        barrier.wait()
        return requests.get(
            f"{api.base_url}/crm/v8{path}",
            headers={"Authorization": f"Zoho-oauthtoken {token}"},
            timeout=60,
        )

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_latency_is_added_to_every_answer(zoho_api):
    with EmulatorProcess("--latency-ms", "300") as emulator:
        api = zoho_api(emulator)
        api.refresh()
        for path in ("/settings/territories", "/settings/territories/1"):  # success and error
            start = time.monotonic()
            api.get(path)
            assert time.monotonic() - start >= 0.3
        start = time.monotonic()
        api.refresh()  # the token endpoint is not delayed
        assert time.monotonic() - start < 0.3
        emulator.config(latency_ms=0)
        start = time.monotonic()
        api.get("/settings/territories")
        assert time.monotonic() - start < 0.3


def test_max_in_flight_is_exact(zoho_api):
    with EmulatorProcess("--latency-ms", "400") as emulator:
        answers = burst(zoho_api(emulator), 12)
        assert all(answer.status_code == 200 for answer in answers)
        stats = emulator.stats()
        assert stats["max_in_flight"] == 12
        assert stats["in_flight"] == 0
        assert stats["requests"]["GET /settings/territories"] == 12


def test_concurrency_limit(zoho_api):
    with EmulatorProcess("--latency-ms", "400", "--max-concurrency", "3") as emulator:
        answers = burst(zoho_api(emulator), 10)
        codes = sorted(answer.status_code for answer in answers)
        assert codes == [200] * 3 + [429] * 7
        refused = next(answer for answer in answers if answer.status_code == 429)
        body = assert_error(refused, 429, "TOO_MANY_REQUESTS")
        assert "concurrency" in body["message"]
        stats = emulator.stats()
        assert stats["max_admitted_in_flight"] == 3
        assert stats["max_in_flight"] == 10
        assert stats["rejected"] == {"concurrency": 7}
        assert stats["credits_used"] == 3  # refused requests cost nothing
        # Sequential requests are never refused.
        api = zoho_api(emulator)
        assert all(api.get("/users").status_code == 200 for _ in range(5))


def test_credits(zoho_api):
    with EmulatorProcess("--credits", "3") as emulator:
        api = zoho_api(emulator)
        answers = [api.get("/settings/territories") for _ in range(3)]
        assert [answer.status_code for answer in answers] == [200] * 3
        assert "X-API-CREDITS-REMAINING" not in answers[0].headers  # below half the credits
        assert answers[1].headers["X-API-CREDITS-REMAINING"] == "1"
        assert answers[2].headers["X-API-CREDITS-REMAINING"] == "0"
        body = assert_error(api.get("/settings/territories"), 429, "TOO_MANY_REQUESTS")
        assert "24 hour" in body["message"]
        stats = emulator.stats()
        assert stats["credits_used"] == 3
        assert stats["credits_remaining"] == 0
        assert stats["total_requests"] == 4
        # Setting credits anew resets the credits used.
        emulator.config(credits=2)
        assert emulator.stats()["credits_remaining"] == 2
        assert api.get("/users").status_code == 200
        emulator.config(credits=None)
        assert emulator.stats()["credits_remaining"] is None
        assert api.get("/users").status_code == 200


def test_fault_500(zoho_api):
    with EmulatorProcess("--fault-rate", "1", "--faults", "500") as emulator:
        answer = zoho_api(emulator).get("/settings/territories")
        assert_error(answer, 500, "INTERNAL_ERROR")
        assert emulator.stats()["faults_injected"] == {"500": 1}


def test_fault_429(zoho_api):
    with EmulatorProcess("--fault-rate", "1", "--faults", "429") as emulator:
        assert_error(zoho_api(emulator).get("/users"), 429, "TOO_MANY_REQUESTS")
        assert emulator.stats()["faults_injected"] == {"429": 1}


def test_fault_drop(zoho_api):
    with EmulatorProcess("--fault-rate", "1", "--faults", "drop") as emulator:
        api = zoho_api(emulator)
        api.refresh()
        with pytest.raises(requests.ConnectionError):
            api.get("/users")
        assert emulator.stats()["responses"] == {"dropped": 1}


def test_fault_revoke(zoho_api):
    with EmulatorProcess("--fault-rate", "1", "--faults", "revoke") as emulator:
        api = zoho_api(emulator)
        token = api.refresh()
        assert_error(api.get("/users"), 401, "INVALID_TOKEN")
        emulator.config(fault_rate=0)
        assert_error(api.get("/users", token=token), 401, "INVALID_TOKEN")
        assert api.get("/users", token=api.refresh()).status_code == 200


def test_faults_after_processing_apply_writes(zoho_api):
    """A 500 or a drop may strike after the write was applied (idempotency tests need it)."""
    with EmulatorProcess("--fault-rate", "1", "--faults", "500", "--fault-seed", "7") as emulator:
        api = zoho_api(emulator)
        applied_after_error = 0
        territories = [t["id"] for t in emulator.state()["territories"]][1:]
        for territory in territories:
            answer = api.put(
                f"/users/{J_SMITH}/territories", json={"territories": [{"id": territory}]}
            )
            assert answer.status_code == 500
        pairs = {(a["user_id"], a["territory_id"]) for a in emulator.state()["assignments"]}
        stats = emulator.stats()
        applied_after_error = stats["faults_after_processing"].get("500", 0)
        new_pairs = sum(1 for t in territories if (J_SMITH, t) in pairs) - 3  # 3 were his already
        assert 0 < applied_after_error < len(territories)
        assert new_pairs <= applied_after_error


def test_fault_rate_is_seeded_and_mixed(zoho_api):
    def run():
        args = ("--fault-rate", "0.5", "--faults", "500,429", "--fault-seed", "11")
        with EmulatorProcess(*args) as emulator:
            api = zoho_api(emulator)
            codes = [api.get("/users").status_code for _ in range(30)]
            return codes, emulator.stats()["faults_injected"]

    first, second = run(), run()
    assert first == second
    codes, faults = first
    assert {200, 500, 429} <= set(codes)
    assert sum(faults.values()) == sum(1 for code in codes if code != 200)


def test_faults_config_live(zoho_api):
    with EmulatorProcess() as emulator:
        api = zoho_api(emulator)
        emulator.config(fault_rate=1, faults="429")
        assert api.get("/users").status_code == 429
        emulator.config(fault_rate=0)
        assert api.get("/users").status_code == 200
