"""The one environment cleaner: what every test process (tap, target, Meltano) runs with."""

from __future__ import annotations

import os

# Variables that would steer Meltano or the plugins away from what a test sets.
LEAKY_PREFIXES = (
    "MELTANO_",
    "TAP_ZOHO",
    "TARGET_ZOHO",
    "TARGET_JSONL",
    "TARGET_POSTGRES",
    "TAP_POSTGRES",
    "ZOHO_",
)
# Every run logs at DEBUG, so the secrets check sees the most a run can say.
DEBUG_ENV = {"LOGLEVEL": "DEBUG"}


def clean_env(**extra: str) -> dict[str, str]:
    """The process environment without stray plugin settings, logging at DEBUG, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(LEAKY_PREFIXES)}
    env.update(DEBUG_ENV)
    env.update(extra)
    return env
