"""The token cache file: where it lives, what it holds, and what it survives."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from zoho_crm_api.errors import ZohoConfigError
from zoho_crm_api.settings import ConnectionSettings, token_cache_path
from zoho_crm_api.token_cache import CachedToken, TokenCache, cache_key, default_path

LOG = logging.getLogger("test-token-cache")
KEY = cache_key("https://accounts.zoho.eu", "1000.CLIENT", "1000.refresh-secret")
TOKEN = CachedToken("1000.aaaa.bbbb", 2_000_000_000.0, "https://www.zohoapis.eu")


def cache(path: Path, now: float = 1_900_000_000.0) -> TokenCache:
    return TokenCache(path, LOG, clock=lambda: now)


def test_default_path_is_in_the_users_cache_directory(tmp_path: Path) -> None:
    assert default_path({"XDG_CACHE_HOME": str(tmp_path)}) == (
        tmp_path / "zoho-crm-singer" / "tokens.json"
    )
    assert default_path({}) == Path("~/.cache/zoho-crm-singer/tokens.json").expanduser()


def test_key_is_a_hash_of_accounts_server_client_and_refresh_token() -> None:
    assert len(KEY) == 64
    assert "refresh-secret" not in KEY
    others = {
        cache_key("https://accounts.zoho.com", "1000.CLIENT", "1000.refresh-secret"),
        cache_key("https://accounts.zoho.eu", "1000.OTHER", "1000.refresh-secret"),
        cache_key("https://accounts.zoho.eu", "1000.CLIENT", "1000.other-refresh"),
    }
    assert KEY not in others
    assert len(others) == 3


def test_a_kept_token_comes_back_from_a_file_only_its_owner_can_read(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "tokens.json"
    cache(path).put(KEY, TOKEN)
    assert cache(path).get(KEY) == TOKEN
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    written = json.loads(path.read_text())
    assert written == {"version": 1, "tokens": {KEY: TOKEN.as_entry()}}
    assert "refresh-secret" not in path.read_text()
    assert [p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")] == [
        "tokens.json"
    ]


def test_another_clients_entry_is_never_used(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    cache(path).put(KEY, TOKEN)
    other = cache_key("https://accounts.zoho.eu", "1000.OTHER", "1000.refresh-secret")
    assert cache(path).get(other) is None


def test_an_expired_token_is_not_returned_and_is_pruned(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    cache(path).put(KEY, TOKEN)
    later = cache(path, now=TOKEN.expires_at + 1)
    assert later.get(KEY) is None
    other = cache_key("a", "b", "c")
    later.put(other, CachedToken("1000.c.d", TOKEN.expires_at + 100, TOKEN.api_domain))
    assert set(json.loads(path.read_text())["tokens"]) == {other}


def test_drop_forgets_only_the_rejected_token(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    cache(path).put(KEY, TOKEN)
    cache(path).drop(KEY, "1000.some.other")
    assert cache(path).get(KEY) == TOKEN
    cache(path).drop(KEY, TOKEN.access_token)
    assert cache(path).get(KEY) is None


@pytest.mark.parametrize(
    "content", ["{not json", "[]", '{"tokens": []}', '{"tokens": {"k": 5}}', "\x00\xff"]
)
def test_a_corrupt_file_is_ignored_with_a_warning_and_replaced(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(content)
    with caplog.at_level(logging.WARNING):
        assert cache(path).get(KEY) is None
        kept = cache(path)
        kept.put(KEY, TOKEN)
    assert cache(path).get(KEY) == TOKEN
    if content != '{"tokens": {"k": 5}}':  # a bad entry alone is just skipped
        assert "Token cache" in caplog.text


def test_an_unwritable_place_is_a_warning_not_a_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    broken = cache(blocker / "tokens.json")
    with caplog.at_level(logging.WARNING):
        broken.put(KEY, TOKEN)
        broken.put(KEY, TOKEN)
    assert broken.get(KEY) is None
    assert caplog.text.count("cannot be written") == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "default"),
        (True, "default"),
        ("", "default"),
        (False, None),
        ("false", None),
        ("OFF", None),
        ("~/zoho/tokens.json", str(Path("~/zoho/tokens.json").expanduser())),
    ],
)
def test_the_token_cache_setting(tmp_path: Path, value: object, expected: str | None) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    path = token_cache_path(value, env)
    if expected == "default":
        assert path == tmp_path / "zoho-crm-singer" / "tokens.json"
    else:
        assert (str(path) if path else None) == expected


def test_the_cache_is_never_in_the_meltano_project(tmp_path: Path) -> None:
    env = {"MELTANO_PROJECT_ROOT": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / ".cache")}
    creds = {"client_id": "id", "client_secret": "secret", "refresh_token": "refresh"}
    with pytest.raises(ZohoConfigError, match="inside the Meltano project directory"):
        ConnectionSettings.from_config(creds, env)
    with pytest.raises(ZohoConfigError, match="inside the Meltano project directory"):
        ConnectionSettings.from_config({**creds, "token_cache": str(tmp_path / "t.json")}, env)
    outside = {"MELTANO_PROJECT_ROOT": str(tmp_path / "project")}
    settings = ConnectionSettings.from_config(
        {**creds, "token_cache": str(tmp_path / "t.json")}, outside
    )
    assert settings.token_cache == tmp_path / "t.json"
    with pytest.raises(ZohoConfigError, match="token_cache must be a file path or false"):
        ConnectionSettings.from_config({**creds, "token_cache": 5}, outside)
