"""The emulator's settings: set on the command line, changeable live via ``/__emulator/config``."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field, fields
from typing import Any

DEFAULT_SCOPES = ["ZohoCRM.settings.ALL", "ZohoCRM.users.ALL", "ZohoCRM.org.ALL"]
FAULT_KINDS = ("500", "429", "drop", "revoke")

CLIENT_ID = "1000.EMULATORCLIENTID"
CLIENT_SECRET = "emulator-client-secret"
REFRESH_TOKEN = "1000.emulator-refresh-token"


@dataclass
class EmulatorConfig:
    """Live settings.  ``credits`` / ``max_concurrency`` of ``None`` mean unlimited."""

    latency_ms: float = 0.0
    max_concurrency: int | None = None
    credits: int | None = None
    fault_rate: float = 0.0
    faults: list[str] = field(default_factory=lambda: list(FAULT_KINDS))
    fault_seed: int = 0
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
            normalised[name] = _coerce(name, value)
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


def _coerce(name: str, value: Any) -> Any:
    """Convert a setting's JSON/CLI value to its type."""
    if name in ("max_concurrency", "credits", "max_users_per_territory"):
        return _optional_int(value)
    if name in ("latency_ms", "token_ttl", "refresh_window", "fault_rate"):
        number = float(value)
        if number < 0 or (name == "fault_rate" and number > 1):
            raise ValueError(f"{name} out of range: {value!r}")
        return number
    if name in ("fault_seed", "refresh_limit", "territories_max_per_page"):
        return int(value)
    if name == "mixed_status":
        if int(value) not in (200, 207):
            raise ValueError("mixed_status must be 200 or 207")
        return int(value)
    if name == "disable_territories":
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if name == "faults":
        kinds = _split(value)
        unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; use {', '.join(FAULT_KINDS)}")
        return kinds
    if name in ("scopes", "api_versions", "refresh_tokens"):
        return _split(value)
    if name == "child_territories":
        if value not in ("direct", "all"):
            raise ValueError("child_territories must be 'direct' or 'all'")
        return value
    return str(value)
