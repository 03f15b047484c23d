"""Shared fixtures (emulators started as subprocesses, the `org` fixture, a Zoho API client),
a marker per test tier, and the secrets check applied to everything pytest captures."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the project need not be installed to run its tests
    sys.path.insert(0, str(ROOT))

from tests.support.api import ZohoApi  # noqa: E402
from tests.support.env import isolate_this_process  # noqa: E402
from tests.support.org import DEFAULT_ORG_ARGS, Org, emulator_org  # noqa: E402
from tests.support.secrets_check import assert_no_secrets  # noqa: E402
from zoho_crm_emulator.process import EmulatorProcess  # noqa: E402

# Each folder of tests is a tier with a marker of its own (`pytest -m unit`, `make test-fast`).
TIERS = ("unit", "emulator", "tap", "target", "pipeline", "reliability")


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


@pytest.fixture(scope="module")
def module_org(request: pytest.FixtureRequest) -> Iterator[Org]:
    """One emulator for a test module, started with the module's `ORG_ARGS` (or the default)."""
    yield from emulator_org(*getattr(request.module, "ORG_ARGS", DEFAULT_ORG_ARGS))


@pytest.fixture
def org(module_org: Org) -> Org:
    """The module's org, reset before each test (org, call counts and live settings)."""
    module_org.reset()
    return module_org


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier, the folder it lives in."""
    for item in items:
        parts = item.path.relative_to(ROOT / "tests").parts
        if parts and parts[0] in TIERS:
            item.add_marker(parts[0])


def pytest_configure(config: pytest.Config) -> None:
    """Register the tier markers; capture in-process logs at DEBUG for the secrets check.

    In-process runs keep their access tokens in a cache directory of the session's own.
    """
    isolate_this_process()
    for tier in TIERS:
        config.addinivalue_line("markers", f"{tier}: tests in tests/{tier}/")
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
