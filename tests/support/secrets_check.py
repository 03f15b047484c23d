"""One check for every test: no credential or access token in anything a run leaves behind.

Every run helper (`tests/singer_run.py` `run_tap`, `tests/test_target_helpers.py`
`run_target`, and the tests that start a process themselves) passes what the run printed
(stdout with its STATE messages, stderr logged at DEBUG) and wrote (the results file) to
`check_run`, which looks for:

- the sample credentials (client secret, refresh token) and the ones in the run's config;
- every access token the emulator named in the config has issued (`GET /__emulator/tokens`),
  and each of its two random halves (a token cut in a log line must not leak either);
- anything shaped like a Zoho access token (`1000.<32 hex>.<32 hex>`), whoever issued it.

`tests/conftest.py` applies `assert_no_secrets` to what pytest captured in-process as well
(logs at DEBUG, stdout, stderr), so tests that run the tap or the target in-process (the
SDK's standard test classes) are checked too.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from zoho_crm_api.datacenters import is_loopback
from zoho_crm_emulator.config import CLIENT_SECRET, REFRESH_TOKEN

# The values sample_config.json holds.
SECRETS = (CLIENT_SECRET, REFRESH_TOKEN)
ACCESS_TOKEN_SHAPE = re.compile(r"1000\.[0-9a-f]{32}\.[0-9a-f]{32}")
# Shorter config values (a test's "x") would match by chance; real secrets are long.
MIN_SECRET_LENGTH = 8
SECRET_SETTINGS = ("client_secret", "refresh_token")


def emulator_tokens(base_url: Any) -> list[str]:
    """Access tokens issued by the emulator at `base_url`; none for any other server."""
    if not isinstance(base_url, str):
        return []
    parts = urlsplit(base_url)
    if parts.scheme != "http" or not parts.hostname or not is_loopback(parts.hostname):
        return []
    try:
        with urllib.request.urlopen(  # a loopback URL
            base_url.rstrip("/") + "/__emulator/tokens", timeout=30
        ) as answer:
            return [str(token) for token in json.loads(answer.read())["access_tokens"]]
    except (urllib.error.URLError, OSError, ValueError, KeyError):
        return []  # not an emulator, or already stopped; the token shape is still checked


def secrets_of(config: Mapping[str, Any] | None, tokens: Iterable[str] = ()) -> dict[str, str]:
    """Every value that must not leak, by a name for messages."""
    found = {"the sample client_secret": CLIENT_SECRET, "the sample refresh_token": REFRESH_TOKEN}
    for key in SECRET_SETTINGS:
        value = str((config or {}).get(key) or "").strip()
        if len(value) >= MIN_SECRET_LENGTH:
            found[f"config {key}"] = value
    for number, token in enumerate(tokens, start=1):
        found[f"access token #{number}"] = token
        for half, part in enumerate(token.split(".")[1:], start=1):
            if len(part) >= MIN_SECRET_LENGTH:
                found[f"part {half} of access token #{number}"] = part
    return found


def _masked_context(text: str, start: int, end: int) -> str:
    before = text[max(0, start - 60) : start]
    after = text[end : end + 60]
    return f"...{before}<SECRET>{after}...".replace("\n", "\\n")


def assert_no_secrets(
    *texts: str,
    config: Mapping[str, Any] | None = None,
    tokens: Iterable[str] = (),
    where: str = "output",
) -> None:
    """Fail, naming the secret and showing its surroundings (masked), if any text has one."""
    secrets = secrets_of(config, tokens)
    for number, text in enumerate(texts, start=1):
        if not text:
            continue
        for name, value in secrets.items():
            at = text.find(value)
            if at >= 0:
                raise AssertionError(
                    f"{name} appears in {where} (text {number}): "
                    f"{_masked_context(text, at, at + len(value))}"
                )
        shaped = ACCESS_TOKEN_SHAPE.search(text)
        if shaped:
            raise AssertionError(
                f"an access token appears in {where} (text {number}): "
                f"{_masked_context(text, shaped.start(), shaped.end())}"
            )


def read_text(path: str | Path | None) -> str:
    """A regular file's text, or '' when there is no such file (or it is /dev/full)."""
    if not path or not Path(path).is_file():
        return ""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return ""


def check_run(config: Mapping[str, Any] | None, *texts: str, where: str) -> None:
    """Check what one run printed and wrote, with the tokens its emulator issued."""
    tokens = emulator_tokens((config or {}).get("accounts_server"))
    assert_no_secrets(*texts, config=config, tokens=tokens, where=where)
