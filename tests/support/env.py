"""The one environment cleaner: what every test process (tap, target, Meltano) runs with."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

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

# The plugins keep access tokens in $XDG_CACHE_HOME/zoho-crm-singer/tokens.json. Tests never
# touch the developer's real cache, and no run reuses a token another test left behind (that
# would change the calls and token requests tests count): every process gets an empty cache
# directory of its own. Tests of the cache pass XDG_CACHE_HOME or token_cache themselves.
# uv and pip (Meltano's installs) keep using the real caches.
REAL_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path("~/.cache").expanduser())
TOOL_CACHES = {"UV_CACHE_DIR": REAL_CACHE / "uv", "PIP_CACHE_DIR": REAL_CACHE / "pip"}
_CACHE_ROOT = Path(tempfile.mkdtemp(prefix="zoho-test-caches-"))
atexit.register(shutil.rmtree, _CACHE_ROOT, ignore_errors=True)


def fresh_cache_home() -> str:
    """An empty directory to use as XDG_CACHE_HOME."""
    return tempfile.mkdtemp(dir=_CACHE_ROOT)


def isolate_this_process() -> None:
    """Give the test process itself (in-process tap and target tests) a cache of its own."""
    for name, path in TOOL_CACHES.items():
        os.environ.setdefault(name, str(path))
    os.environ["XDG_CACHE_HOME"] = fresh_cache_home()


def clean_env(**extra: str) -> dict[str, str]:
    """The process environment without stray plugin settings, logging at DEBUG, plus `extra`.

    XDG_CACHE_HOME is a new empty directory unless `extra` names one.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(LEAKY_PREFIXES)}
    for name, path in TOOL_CACHES.items():
        env.setdefault(name, str(path))
    env["XDG_CACHE_HOME"] = fresh_cache_home()
    env.update(DEBUG_ENV)
    env.update(extra)
    return env
