"""Access tokens kept between runs, so that each run does not spend one of Zoho's 10 per 10 minutes.

One JSON file, mode 0600, in the user's cache directory (`$XDG_CACHE_HOME` or `~/.cache`,
then `zoho-crm-singer/tokens.json`), shared by the tap and the target. Entries are keyed by a
sha256 of accounts server, client id and refresh token, and hold the access token, its expiry
(Unix time) and the API domain: never the client secret or the refresh token. Writes are atomic
(a new file renamed over the old one); a file that cannot be read is ignored with a warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # POSIX: one writer at a time across processes; elsewhere the rename still keeps it whole
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

CACHE_DIR = "zoho-crm-singer"
CACHE_FILE = "tokens.json"
FORMAT_VERSION = 1


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """The cache file in the user's cache directory (XDG_CACHE_HOME, else ~/.cache)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(base).expanduser() / CACHE_DIR / CACHE_FILE


def cache_key(accounts_server: str, client_id: str, refresh_token: str) -> str:
    """The entry's key: a sha256 of what identifies a token's issuer and grant."""
    material = "\n".join((accounts_server, client_id, refresh_token)).encode("utf-8")
    return hashlib.sha256(material).hexdigest()


@dataclass(frozen=True)
class CachedToken:
    """An access token as kept between runs."""

    access_token: str
    expires_at: float
    api_domain: str

    @classmethod
    def parse(cls, entry: Any) -> CachedToken | None:
        """An entry read from the file, or None when it is not well-formed."""
        if not isinstance(entry, dict):
            return None
        token, expires, domain = (
            entry.get(k) for k in ("access_token", "expires_at", "api_domain")
        )
        if not (isinstance(token, str) and isinstance(domain, str)):
            return None
        if isinstance(expires, bool) or not isinstance(expires, (int, float)):
            return None
        return cls(token, float(expires), domain)

    def as_entry(self) -> dict[str, Any]:
        """The entry as written to the file."""
        return {
            "access_token": self.access_token,
            "expires_at": self.expires_at,
            "api_domain": self.api_domain,
        }


class TokenCache:
    """The token file; safe to share between threads and processes."""

    def __init__(
        self, path: Path, logger: logging.Logger, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path
        self._logger = logger
        self._clock = clock
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    def get(self, key: str) -> CachedToken | None:
        """The cached token for `key` if it has not expired."""
        with self._lock:
            cached = CachedToken.parse(self._read().get(key))
        if cached is None or cached.expires_at <= self._clock():
            return None
        return cached

    def put(self, key: str, token: CachedToken) -> None:
        """Keep `token` for `key`, replacing what was there."""
        self._update(lambda entries: entries.__setitem__(key, token.as_entry()))

    def drop(self, key: str, access_token: str) -> None:
        """Forget `key`'s entry if it still holds `access_token` (Zoho rejected it)."""

        def change(entries: dict[str, Any]) -> None:
            cached = CachedToken.parse(entries.get(key))
            if cached is not None and cached.access_token == access_token:
                del entries[key]

        self._update(change)

    def _update(self, change: Callable[[dict[str, Any]], None]) -> None:
        with self._lock, self._file_lock():
            entries = self._read()
            change(entries)
            now = self._clock()
            live = {
                key: entry
                for key, entry in entries.items()
                if (cached := CachedToken.parse(entry)) is not None and cached.expires_at > now
            }
            self._write(live)

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            self._warn("read", f"it cannot be read ({type(exc).__name__})")
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            self._warn("corrupt", "it is not valid JSON; it is ignored and will be replaced")
            return {}
        tokens = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, dict):
            self._warn("corrupt", "it is not a token cache; it is ignored and will be replaced")
            return {}
        return dict(tokens)

    def _write(self, entries: dict[str, Any]) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump({"version": FORMAT_VERSION, "tokens": entries}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink()
            self._warn("write", f"it cannot be written ({type(exc).__name__}); tokens are not kept")

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if fcntl is None:  # pragma: no cover - Windows
            yield
            return
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            lock_path = self.path.with_name(self.path.name + ".lock")
            handle = os.fdopen(os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600), "w")
        except OSError:
            yield  # the write below reports the problem
            return
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield

    def _warn(self, kind: str, problem: str) -> None:
        if kind in self._warned:
            return
        self._warned.add(kind)
        self._logger.warning(
            "Token cache %s: %s. What to do: nothing is needed (a new access token is requested "
            "instead); set token_cache to another path, or to false to turn the cache off.",
            self.path,
            problem,
        )
