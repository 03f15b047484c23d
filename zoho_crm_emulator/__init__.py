"""A faithful local Zoho CRM emulator: territories, users, user groups and OAuth.

Start it with ``zoho-crm-emulator`` (or ``python -m zoho_crm_emulator``); drive it from
tests with :class:`zoho_crm_emulator.process.EmulatorProcess`.  See ``docs/emulator.md``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["EmulatorProcess"]

# One version for the distribution and its three programs: pyproject.toml's `version`.
try:
    __version__ = version("tap-zoho-territories")
except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
    __version__ = "0+unknown"


def __getattr__(name: str) -> object:
    if name == "EmulatorProcess":
        from zoho_crm_emulator.process import EmulatorProcess  # noqa: PLC0415

        return EmulatorProcess
    raise AttributeError(name)
