"""A pytest plugin: the emulator as a fixture, for tests of your own pipelines.

Installed with the package and loaded by pytest through its ``pytest11`` entry point::

    @pytest.mark.zoho_emulator(users=500, territories=60, latency_ms=20)
    def test_my_pipeline(zoho_emulator):
        run_my_pipeline(zoho_emulator.tap_config)  # or zoho_emulator.meltano_env(...)
        assert zoho_emulator.stats()["total_requests"] > 0

``zoho_emulator`` starts one emulator on a free port for the test (options from the
``zoho_emulator`` marker) and stops it afterwards; ``zoho_emulator_factory(**options)``
starts as many as a test needs.  Options are the command line's without the dashes
(``users=500``, ``fault_rate=0.1``, ``faults=["500", "truncate"]``, ``disable_territories=True``,
``refresh_token=["a", "b"]``).  See docs/emulator.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from zoho_crm_emulator.process import EmulatorProcess

MARKER = "zoho_emulator"
#: Options given more than once on the command line when a list is passed.
REPEATABLE = frozenset({"refresh_token"})


def cli_args(**options: Any) -> list[str]:
    """Command-line arguments for options given as keywords.

    ``True`` is a flag, ``False``/``None`` leave the option out, a list is comma-joined
    (repeated for ``refresh_token``), anything else is ``str()``-ed.
    """
    args: list[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)) and name in REPEATABLE:
            for item in value:
                args += [flag, str(item)]
        elif isinstance(value, (list, tuple)):
            args += [flag, ",".join(str(item) for item in value)]
        else:
            args += [flag, str(value)]
    return args


class ZohoEmulator(EmulatorProcess):
    """A running emulator: its URL, settings for the tap and the target, and helpers.

    Everything of :class:`~zoho_crm_emulator.process.EmulatorProcess` (``stats()``,
    ``state()``, ``config(**changes)``, ``reset()``, ``delete_user()``, ...), plus
    :attr:`tap_config` and :meth:`meltano_env`.
    """

    def __init__(self, **options: Any) -> None:
        self.options = dict(options)
        super().__init__(*cli_args(**options))

    @property
    def tap_config(self) -> dict[str, Any]:
        """Settings for tap-zoho-territories and target-zoho-territories (a new dict)."""
        return self.config_for_tap()

    def meltano_env(self, plugin: str = "tap-zoho-territories", **overrides: Any) -> dict[str, str]:
        """Environment variables pointing a Meltano plugin at this emulator.

        ``<PLUGIN>_<SETTING>`` in upper case (``TAP_ZOHO_TERRITORIES_ACCOUNTS_SERVER``, ...),
        which Meltano puts before meltano.yml and ``.env``; add them to ``os.environ``.
        """
        prefix = re.sub(r"[^A-Za-z0-9]", "_", plugin).upper()
        settings = self.config_for_tap(**overrides)
        return {f"{prefix}_{key.upper()}": _env_value(value) for key, value in settings.items()}


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): options of the zoho_emulator fixture's emulator, the command "
        "line's without the dashes (users=500, latency_ms=20, fault_rate=0.1, ...)",
    )


@pytest.fixture
def zoho_emulator_factory() -> Iterator[Callable[..., ZohoEmulator]]:
    """``zoho_emulator_factory(**options)`` starts an emulator; all are stopped at the end."""
    started: list[ZohoEmulator] = []

    def start(**options: Any) -> ZohoEmulator:
        emulator = ZohoEmulator(**options)
        started.append(emulator)
        return emulator.start()

    yield start
    for emulator in reversed(started):
        emulator.stop()


@pytest.fixture
def zoho_emulator(
    request: pytest.FixtureRequest, zoho_emulator_factory: Callable[..., ZohoEmulator]
) -> ZohoEmulator:
    """One emulator for this test, with the options of its ``zoho_emulator`` marker.

    Markers closer to the test win (a function's over its class's over its module's).
    """
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword options only")
        options.update(marker.kwargs)
    return zoho_emulator_factory(**options)
