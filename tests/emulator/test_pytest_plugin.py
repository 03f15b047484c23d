"""The pytest plugin (zoho_crm_emulator.pytest_plugin): loaded through its entry point, its
fixtures start and stop emulators with the options asked for, and its names clash with none
of this repo's fixtures."""

from __future__ import annotations

import ast
import json
import socket
from importlib.metadata import entry_points
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from zoho_crm_emulator.pytest_plugin import cli_args

pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parents[1]
# Other plugins installed here that the runs below do not need (they only cost start-up time).
QUIET = ("-p", "no:cacheprovider", "-p", "no:singer_testing", "-p", "no:hypothesispytest")
PLUGIN = TESTS.parent / "zoho_crm_emulator" / "pytest_plugin.py"

USER_TESTS = """
import json
import os
from pathlib import Path

import pytest
import requests

OUT = Path(os.environ["PLUGIN_TEST_OUT"])


def record(name, value):
    OUT.joinpath(name).write_text(json.dumps(value))


@pytest.mark.zoho_emulator(users=40, territories=8, groups=2, seed=3, latency_ms=1)
def test_marker_options(zoho_emulator):
    record("url", zoho_emulator.url)
    config = zoho_emulator.tap_config
    assert config["accounts_server"] == zoho_emulator.url
    assert config["client_id"] == "1000.EMULATORCLIENTID"
    state = zoho_emulator.state(sections="users,territories")
    assert len(state["users"]) == 40
    assert len(state["territories"]) == 8
    assert zoho_emulator.config()["latency_ms"] == 1
    token = zoho_emulator.access_token()
    answer = requests.get(
        zoho_emulator.url + "/crm/v8/users",
        headers={"Authorization": "Zoho-oauthtoken " + token},
        timeout=30,
    )
    assert answer.status_code == 200
    assert zoho_emulator.stats()["requests"]["GET /users"] == 1


@pytest.mark.zoho_emulator(fault_rate=1, faults=["429"])
class TestClassMarker:
    @pytest.mark.zoho_emulator(faults=["500"])
    def test_the_closest_marker_wins(self, zoho_emulator):
        config = zoho_emulator.config()
        assert (config["fault_rate"], config["faults"]) == (1, ["500"])


def test_factory_and_reset(zoho_emulator_factory):
    first = zoho_emulator_factory(edition="free", disable_territories=True)
    second = zoho_emulator_factory(users=5)
    record("factory_urls", [first.url, second.url])
    assert first.url != second.url
    assert first.config()["edition"] == "free"
    assert first.config()["disable_territories"] is True
    first.config(latency_ms=5)
    first.add_users(2)
    first.reset()
    assert first.config()["latency_ms"] == 0
    assert len(first.state(sections="users")["users"]) == 6
    env = second.meltano_env("tap-zoho-territories")
    assert env["TAP_ZOHO_TERRITORIES_ACCOUNTS_SERVER"] == second.url
    assert env["TAP_ZOHO_TERRITORIES_MAX_CONCURRENCY"] == "5"
    target = second.meltano_env("target-zoho-territories--mirror", dry_run=True)
    assert target["TARGET_ZOHO_TERRITORIES__MIRROR_DRY_RUN"] == "true"


def test_without_the_fixture_nothing_starts():
    pass
"""


def refused(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_registered_as_a_pytest11_entry_point():
    found = {e.name: e.value for e in entry_points(group="pytest11")}
    assert found.get("zoho_crm_emulator") == "zoho_crm_emulator.pytest_plugin"


def test_a_users_tests_get_the_fixtures_from_the_installed_plugin(pytester, tmp_path, monkeypatch):
    """In a fresh pytest process, without -p: only the entry point can provide the fixtures."""
    monkeypatch.setenv("PLUGIN_TEST_OUT", str(tmp_path))
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("--strict-markers", *QUIET)
    result.assert_outcomes(passed=4)
    urls = [json.loads((tmp_path / "url").read_text())]
    urls += json.loads((tmp_path / "factory_urls").read_text())
    assert all(refused(url) for url in urls)  # every emulator was stopped


def test_the_marker_is_described(pytester):
    result = pytester.runpytest("--markers", *QUIET)
    result.stdout.fnmatch_lines(["@pytest.mark.zoho_emulator(**options): *"])


def test_bad_options_are_errors_saying_why(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.zoho_emulator("--users", "5")
        def test_positional(zoho_emulator):
            pass

        @pytest.mark.zoho_emulator(fault_rate=3)
        def test_bad_value(zoho_emulator):
            pass
        """
    )
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*takes keyword options only*"])
    result.stdout.fnmatch_lines(["*--fault-rate: '3' is not a probability from 0 to 1*"])


def fixture_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if ast.unparse(target) == "pytest.fixture":
                    names.add(node.name)
    return names


def test_no_fixture_name_clashes_with_this_repos_fixtures():
    plugin = fixture_names(PLUGIN)
    assert plugin == {"zoho_emulator", "zoho_emulator_factory"}
    ours = set().union(*(fixture_names(path) for path in TESTS.rglob("conftest.py")))
    assert "org" in ours
    assert "sample_emulator" in ours
    assert not plugin & ours


@pytest.mark.zoho_emulator(users=12, seed=2)
def test_usable_in_this_repos_own_tests(zoho_emulator, org):
    """Next to this repo's own `org` fixture: two emulators, each with its own org."""
    assert zoho_emulator.url != org.emulator.url
    assert len(zoho_emulator.state(sections="users")["users"]) == 12
    assert requests.get(zoho_emulator.url + "/__emulator/health", timeout=10).ok


def test_cli_args():
    assert cli_args(users=5, disable_territories=True, log_requests=False, seed=None) == [
        "--users",
        "5",
        "--disable-territories",
    ]
    assert cli_args(faults=["500", "truncate"], refresh_token=["a", "b"]) == [
        "--faults",
        "500,truncate",
        "--refresh-token",
        "a",
        "--refresh-token",
        "b",
    ]
