"""The emulator's settings: set on the command line, changeable live via ``/__emulator/config``."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

DEFAULT_SCOPES = [
    "ZohoCRM.settings.ALL",
    "ZohoCRM.settings.roles.ALL",
    "ZohoCRM.settings.profiles.ALL",
    "ZohoCRM.users.ALL",
    "ZohoCRM.org.ALL",
]
EDITIONS = ("free", "standard", "professional", "enterprise", "ultimate")
#: The default fault set (``--faults``): Zoho's own failures.
FAULT_KINDS = ("500", "429", "drop", "revoke")
#: Opt-in API faults: what broken proxies, load balancers and networks do.
NETWORK_FAULT_KINDS = (
    "html",
    "truncate",
    "short-body",
    "reset-body",
    "error200",
    "slow",
    "redirect",
)
API_FAULT_KINDS = FAULT_KINDS + NETWORK_FAULT_KINDS
#: Faults of ``POST /oauth/v2/token`` (``token_faults``); all of them by default.
TOKEN_FAULT_KINDS = (
    "html",
    "truncate",
    "short-body",
    "reset-body",
    "slow",
    "redirect",
    "drop",
    "token-newline",
    "token-space",
    "expires-missing",
    "expires-negative",
    "expires-text",
)

CLIENT_ID = "1000.EMULATORCLIENTID"
CLIENT_SECRET = "emulator-client-secret"
REFRESH_TOKEN = "1000.emulator-refresh-token"
MAX_BODY_BYTES = 8 * 1024 * 1024


@dataclass
class EmulatorConfig:
    """Live settings.  ``credits`` / ``max_concurrency`` of ``None`` mean unlimited."""

    latency_ms: float = 0.0
    max_concurrency: int | None = None
    credits: int | None = None
    fault_rate: float = 0.0
    faults: list[str] = field(default_factory=lambda: list(FAULT_KINDS))
    fault_seed: int = 0
    token_fault_rate: float = 0.0
    token_faults: list[str] = field(default_factory=lambda: list(TOKEN_FAULT_KINDS))
    slow_drip_seconds: float = 1.0
    slow_drip_bytes: int = 4
    redirect_to: str = ""
    max_body_bytes: int = MAX_BODY_BYTES
    idle_timeout_s: float = 30.0
    edition: str = "enterprise"
    token_ttl: float = 3600.0
    scopes: list[str] = field(default_factory=lambda: list(DEFAULT_SCOPES))
    disable_territories: bool = False
    mixed_status: int = 207
    refresh_limit: int = 10
    refresh_window: float = 600.0
    api_versions: list[str] = field(default_factory=lambda: ["v7", "v8"])
    territories_max_per_page: int = 2000
    child_territories: str = "direct"
    max_users_per_territory: int | None = None
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    refresh_tokens: list[str] = field(default_factory=lambda: [REFRESH_TOKEN])
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON (secrets included: this is a local test server)."""
        with self.lock:
            return {
                f.name: copy.copy(getattr(self, f.name)) for f in fields(self) if f.name != "lock"
            }

    def update(self, changes: dict[str, Any]) -> list[str]:
        """Apply a JSON object of changes; returns the names changed.

        Raises ``ValueError`` for an unknown name or a value of the wrong kind.
        """
        names = {f.name for f in fields(self)} - {"lock"}
        normalised: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in names:
                raise ValueError(f"unknown setting {name!r}")
            normalised[name] = coerce(name, value)
        with self.lock:
            for name, value in normalised.items():
                setattr(self, name, value)
        return list(normalised)


def _split(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(" ", ",").split(",") if part.strip()]
    if isinstance(value, list):
        return [str(part).strip() for part in value if str(part).strip()]
    raise ValueError(f"expected a list or a comma-separated string, got {value!r}")


def _optional_int(value: Any) -> int | None:
    if value is None or value in ("", 0):
        return None
    number = int(value)
    if number < 0:
        raise ValueError("must not be negative")
    return number


def _number(low: float, high: float | None = None) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        number = float(value)
        if not number >= low or (high is not None and number > high):
            bound = f"from {low:g}" + ("" if high is None else f" to {high:g}")
            raise ValueError(f"must be a number {bound}, got {value!r}")
        return number

    return convert


def _integer(low: int) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"must be an integer, got {value!r}")
        number = int(value)
        if number < low:
            raise ValueError(f"must be at least {low}, got {value!r}")
        return number

    return convert


def _choice(*allowed: Any) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        for option in allowed:
            if str(value) == str(option):
                return option
        raise ValueError(f"must be one of {', '.join(map(str, allowed))}, got {value!r}")

    return convert


def _kinds(allowed: tuple[str, ...]) -> Callable[[Any], list[str]]:
    def convert(value: Any) -> list[str]:
        kinds = _split(value)
        unknown = [kind for kind in kinds if kind not in allowed]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; use {', '.join(allowed)}")
        return kinds

    return convert


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _url(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        return ""  # the server fills in its own dead port
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http(s)://host[:port] URL, got {value!r}")
    return text.rstrip("/")


_COERCE: dict[str, Callable[[Any], Any]] = {
    "max_concurrency": _optional_int,
    "credits": _optional_int,
    "max_users_per_territory": _optional_int,
    "latency_ms": _number(0),
    "token_ttl": _number(0),
    "refresh_window": _number(0),
    "slow_drip_seconds": _number(0),
    "idle_timeout_s": _number(0.05),
    "fault_rate": _number(0, 1),
    "token_fault_rate": _number(0, 1),
    "fault_seed": int,
    "refresh_limit": int,
    "territories_max_per_page": int,
    "slow_drip_bytes": _integer(1),
    "max_body_bytes": _integer(1),
    "mixed_status": _choice(200, 207),
    "child_territories": _choice("direct", "all"),
    "edition": _choice(*EDITIONS),
    "disable_territories": _flag,
    "faults": _kinds(API_FAULT_KINDS),
    "token_faults": _kinds(TOKEN_FAULT_KINDS),
    "scopes": _split,
    "api_versions": _split,
    "refresh_tokens": _split,
    "redirect_to": _url,
}


def coerce(name: str, value: Any) -> Any:
    """Convert a setting's JSON/CLI value to its type (``ValueError`` naming the setting)."""
    convert = _COERCE.get(name, str)
    try:
        return convert(value)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        raise ValueError(message if name in message else f"{name}: {message}") from None
