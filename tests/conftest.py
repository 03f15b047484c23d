"""Shared fixtures: emulators started as subprocesses and a small Zoho API client for tests."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the project need not be installed to run its tests
    sys.path.insert(0, str(ROOT))

from tests.secrets_check import assert_no_secrets  # noqa: E402
from zoho_crm_emulator.config import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN  # noqa: E402
from zoho_crm_emulator.process import EmulatorProcess  # noqa: E402

TOKEN_FORM = {
    "grant_type": "refresh_token",
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "refresh_token": REFRESH_TOKEN,
}


class ZohoApi:
    """A thin HTTP client for one emulator: refreshes a token, then calls /crm/{version}."""

    def __init__(self, base_url: str, version: str = "v8") -> None:
        self.base_url = base_url
        self.version = version
        self.session = requests.Session()
        self.token: str | None = None

    def token_request(self, **overrides: Any) -> requests.Response:
        """POST /oauth/v2/token with the sample credentials (form body) and overrides."""
        form = {**TOKEN_FORM, **overrides}
        return self.session.post(f"{self.base_url}/oauth/v2/token", data=form, timeout=30)

    def refresh(self) -> str:
        """Get a new access token and use it from now on."""
        answer = self.token_request().json()
        assert "access_token" in answer, answer
        self.token = str(answer["access_token"])
        return self.token

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """An API call; ``path`` is after ``/crm/{version}`` unless it starts with ``/crm``."""
        if self.token is None and token is None:
            self.refresh()
        sent = {"Authorization": f"Zoho-oauthtoken {token or self.token}"}
        sent.update(headers or {})
        url = path if path.startswith("/crm") else f"/crm/{self.version}{path}"
        kwargs.setdefault("timeout", 60)
        return self.session.request(method, self.base_url + url, headers=sent, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET."""
        return self.call("GET", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        """PUT."""
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        """DELETE."""
        return self.call("DELETE", path, **kwargs)


@pytest.fixture(scope="session")
def sample_emulator() -> Iterator[EmulatorProcess]:
    """One emulator with the sample org for the whole session: do not write to it.

    Many test modules refresh a token of their own, so the refresh throttle is raised.
    """
    with EmulatorProcess("--refresh-limit", "100000") as emulator:
        yield emulator


@pytest.fixture(scope="session")
def zoho_api() -> Callable[..., ZohoApi]:
    """Factory: ``zoho_api(emulator_or_url, version="v8")`` -> :class:`ZohoApi`."""

    def make(target: EmulatorProcess | str, version: str = "v8") -> ZohoApi:
        url = target if isinstance(target, str) else target.url
        return ZohoApi(url, version)

    return make


def pytest_configure(config: pytest.Config) -> None:
    """Capture in-process logs at DEBUG (unless asked otherwise), for the secrets check."""
    config.addinivalue_line(
        "markers",
        "secrets_in_test_client(reason): the test's own client code puts a credential in what "
        "pytest captures; the in-process secrets check is off for it (say why)",
    )
    if config.getoption("log_level", None) is None and not config.getini("log_level"):
        config.option.log_level = "DEBUG"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Fail any test phase whose captured logs, stdout or stderr hold a secret or a token.

    Subprocess output is checked by the run helpers (tests/secrets_check.py); this covers
    what runs in-process, such as the SDK's standard tap and target tests.
    """
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    captured = [
        content
        for name, content in report.sections
        if name.startswith("Captured") and name.endswith(f" {report.when}")
    ]
    if not captured or report.failed or item.get_closest_marker("secrets_in_test_client"):
        return
    try:
        assert_no_secrets(*captured, where=f"what pytest captured during {report.when}")
    except AssertionError as exc:
        report.outcome = "failed"
        report.longrepr = str(exc)
