"""/__emulator/stats, reset-stats, state, config, reset-org; the process wrapper and the CLI."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from zoho_crm_emulator.process import EmulatorProcess

CHENNAI = "431581000000744113"
J_SMITH = "431581000000278001"
TIER1 = "3652397000012454002"


def test_stats_keys_use_path_templates(zoho_api):
    with EmulatorProcess() as emulator:
        api = zoho_api(emulator)
        calls = [
            ("GET", "/settings/territories"),
            ("GET", f"/settings/territories/{CHENNAI}"),
            ("GET", f"/settings/territories/{CHENNAI}/__child_territories"),
            ("GET", "/settings/territories/actions/associated_users_count"),
            ("GET", f"/settings/territories/{CHENNAI}/users"),
            ("GET", f"/settings/territories/{CHENNAI}/users/{J_SMITH}"),
            ("PUT", f"/settings/territories/{CHENNAI}/users"),
            ("DELETE", f"/settings/territories/{CHENNAI}/users?ids=1"),
            ("GET", "/users"),
            ("GET", f"/users/{J_SMITH}"),
            ("GET", "/users/actions/count"),
            ("GET", f"/users/{J_SMITH}/territories"),
            ("PUT", f"/users/{J_SMITH}/territories"),
            ("DELETE", f"/users/{J_SMITH}/territories?ids=1"),
            ("GET", f"/users/{J_SMITH}/actions/associated_groups"),
            ("GET", "/settings/user_groups"),
            ("GET", "/settings/user_groups/actions/associated_users_count"),
            ("GET", f"/settings/user_groups/{TIER1}"),
            ("GET", f"/settings/user_groups/{TIER1}/sources"),
            ("GET", f"/settings/user_groups/{TIER1}/actions/sources_count"),
        ]
        for method, path in calls:
            api.call(method, path, json={})
        api.get(f"/crm/v7/settings/territories/{CHENNAI}/users")
        stats = emulator.stats()
        assert stats["requests"] == {
            "DELETE /settings/territories/{id}/users": 1,
            "DELETE /users/{id}/territories": 1,
            "GET /settings/territories": 1,
            "GET /settings/territories/actions/associated_users_count": 1,
            "GET /settings/territories/{id}": 1,
            "GET /settings/territories/{id}/__child_territories": 1,
            "GET /settings/territories/{id}/users": 2,
            "GET /settings/territories/{id}/users/{user_id}": 1,
            "GET /settings/user_groups": 1,
            "GET /settings/user_groups/actions/associated_users_count": 1,
            "GET /settings/user_groups/{id}": 1,
            "GET /settings/user_groups/{id}/actions/sources_count": 1,
            "GET /settings/user_groups/{id}/sources": 1,
            "GET /users": 1,
            "GET /users/actions/count": 1,
            "GET /users/{id}": 1,
            "GET /users/{id}/actions/associated_groups": 1,
            "GET /users/{id}/territories": 1,
            "POST /oauth/v2/token": 1,
            "PUT /settings/territories/{id}/users": 1,
            "PUT /users/{id}/territories": 1,
        }
        assert stats["total_requests"] == len(calls) + 1
        assert stats["credits_used"] == len(calls) + 1
        assert stats["max_in_flight"] == 1
        assert set(stats) >= {
            "requests",
            "total_requests",
            "credits_used",
            "credits_remaining",
            "max_in_flight",
            "in_flight",
            "faults_injected",
        }


def test_counting_is_exact_under_concurrency(zoho_api):
    with EmulatorProcess("--refresh-limit", "1000") as emulator:
        api = zoho_api(emulator)
        token = api.refresh()
        local = threading.local()

        def one(n):
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            path = "/users" if n % 2 else "/settings/territories"
            answer = session.get(
                f"{emulator.url}/crm/v8{path}",
                headers={"Authorization": f"Zoho-oauthtoken {token}"},
                timeout=60,
            )
            return answer.status_code

        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(one, range(400)))
        assert codes == [200] * 400
        stats = emulator.stats()
        assert stats["requests"]["GET /users"] == 200
        assert stats["requests"]["GET /settings/territories"] == 200
        assert stats["total_requests"] == 400
        assert stats["credits_used"] == 400
        assert 1 <= stats["max_in_flight"] <= 16
        assert stats["in_flight"] == 0


def test_reset_stats(zoho_api):
    with EmulatorProcess("--credits", "100") as emulator:
        api = zoho_api(emulator)
        api.get("/users")
        assert emulator.stats()["total_requests"] == 1
        emulator.reset_stats()
        stats = emulator.stats()
        assert stats["requests"] == {}
        assert stats["total_requests"] == 0
        assert stats["credits_used"] == 0
        assert stats["max_in_flight"] == 0
        assert emulator.config()["credits"] == 100  # the setting stays


def test_inspection_is_never_gated_or_counted():
    args = ("--credits", "1", "--fault-rate", "1", "--latency-ms", "2000", "--max-concurrency", "1")
    with EmulatorProcess(*args) as emulator:
        for _ in range(3):
            emulator.stats()
            emulator.state(sections="assignments")
            emulator.config()
        assert emulator.stats()["total_requests"] == 0


def test_state(sample_emulator):
    state = sample_emulator.state()
    assert {"territories", "users", "user_groups", "assignments", "current_user_id"} <= set(state)
    assert state["current_user_id"] == "431581000000258001"
    assert len(state["territories"]) == 7
    assert len(state["users"]) == 6  # every status, deleted included
    assert {"user_id": J_SMITH, "territory_id": CHENNAI} in state["assignments"]
    assert len(state["assignments"]) == 8
    assert state["territories"][0]["reporting_to"] is None
    assert "Modified_Time" in state["users"][0]
    group = next(g for g in state["user_groups"] if g["id"] == TIER1)
    assert group["associated_users_count"] == 4
    only = sample_emulator.state(sections="assignments")
    assert "users" not in only
    assert len(only["assignments"]) == 8


def test_config_get_and_post(zoho_api):
    with EmulatorProcess("--latency-ms", "5") as emulator:
        config = emulator.config()
        assert {
            "latency_ms",
            "max_concurrency",
            "credits",
            "fault_rate",
            "faults",
            "fault_seed",
            "token_ttl",
            "scopes",
            "disable_territories",
            "mixed_status",
            "refresh_limit",
            "refresh_window",
        } <= set(config)
        assert config["latency_ms"] == 5
        assert config["faults"] == ["500", "429", "drop", "revoke"]
        changed = emulator.config(
            latency_ms=0,
            max_concurrency=4,
            token_ttl=2,
            scopes="ZohoCRM.users.READ",
            faults=["429"],
        )
        assert changed["max_concurrency"] == 4
        assert changed["scopes"] == ["ZohoCRM.users.READ"]
        assert changed["faults"] == ["429"]
        token = zoho_api(emulator).token_request().json()
        assert token["expires_in"] == 2
        assert token["scope"] == "ZohoCRM.users.READ"
        bad = requests.post(f"{emulator.url}/__emulator/config", json={"nonsense": 1}, timeout=30)
        assert bad.status_code == 400
        bad = requests.post(
            f"{emulator.url}/__emulator/config", json={"faults": "boom"}, timeout=30
        )
        assert bad.status_code == 400


def test_config_for_tap(sample_emulator):
    config = sample_emulator.config_for_tap(max_concurrency=3)
    assert config["accounts_server"] == sample_emulator.url
    assert config["client_id"] == "1000.EMULATORCLIENTID"
    assert config["refresh_token"] == "1000.emulator-refresh-token"
    assert config["max_concurrency"] == 3


def test_stop_exits_cleanly():
    emulator = EmulatorProcess().start()
    assert emulator.url.startswith("http://127.0.0.1:")
    assert emulator.stop() == 0


def test_cli_prints_url_first_and_stops_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "zoho_crm_emulator", "--port", "0", "--users", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={
            **__import__("os").environ,
            "PYTHONPATH": str(__import__("pathlib").Path(__file__).resolve().parents[2]),
        },
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(f"{url}/__emulator/stats", timeout=30).status_code == 200
        proc.terminate()
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()


def test_bad_cli_arguments_fail_fast():
    proc = subprocess.run(
        [sys.executable, "-m", "zoho_crm_emulator", "--faults", "explode"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **__import__("os").environ,
            "PYTHONPATH": str(__import__("pathlib").Path(__file__).resolve().parents[2]),
        },
        check=False,
    )
    assert proc.returncode == 2
    assert "explode" in proc.stderr


def test_api_version_list_option(zoho_api):
    with EmulatorProcess("--api-version-list", "v8") as emulator:
        api = zoho_api(emulator)
        assert api.get("/crm/v8/users").status_code == 200
        assert api.get("/crm/v7/users").status_code == 404


def test_tokens_lists_every_access_token_issued(zoho_api):
    with EmulatorProcess("--refresh-limit", "100") as emulator:
        assert emulator.issued_tokens() == []
        api = zoho_api(emulator)
        first = api.refresh()
        second = emulator.access_token()
        emulator.revoke_refresh_token()  # revoked tokens stay listed
        assert emulator.issued_tokens() == [first, second]
        answer = requests.get(f"{emulator.url}/__emulator/tokens", timeout=10).json()
        assert answer == {"access_tokens": [first, second], "count": 2}
        assert emulator.stats()["total_requests"] == 0
