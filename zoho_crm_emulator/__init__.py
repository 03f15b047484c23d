"""A faithful local Zoho CRM emulator: territories, users, user groups and OAuth.

Start it with ``zoho-crm-emulator`` (or ``python -m zoho_crm_emulator``); drive it from
tests with :class:`zoho_crm_emulator.process.EmulatorProcess`.  See ``docs/emulator.md``.
"""

from __future__ import annotations

__all__ = ["EmulatorProcess"]
__version__ = "1.0.0"


def __getattr__(name: str) -> object:
    if name == "EmulatorProcess":
        from zoho_crm_emulator.process import EmulatorProcess  # noqa: PLC0415

        return EmulatorProcess
    raise AttributeError(name)
