"""Zoho Accounts' OAuth refresh-token grant, the access-token store and scope checks.

``POST /oauth/v2/token`` answers HTTP 200 in every case, as Zoho Accounts does: a token, or
``{"error": "invalid_client"}`` (wrong client id/secret), ``{"error": "invalid_code"}`` (wrong
or revoked refresh token), or the "Access Denied" throttle answer after more than
``refresh_limit`` refreshes within ``refresh_window`` seconds for one refresh token.
At most 15 live access tokens per refresh token: the 16th evicts the oldest.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from zoho_crm_emulator.config import EmulatorConfig

MAX_LIVE_TOKENS = 15

THROTTLE_ANSWER = {
    "error_description": (
        "You have made too many requests continuously. Please try again after some time."
    ),
    "error": "Access Denied",
    "status": "failure",
}


@dataclass
class AccessToken:
    """An issued access token."""

    token: str
    refresh_token: str
    expires_at: float
    scopes: tuple[str, ...]
    revoked: bool = False

    def live(self, now: float) -> bool:
        """Neither revoked nor expired."""
        return not self.revoked and now < self.expires_at


@dataclass
class _RefreshState:
    revoked: bool = False
    issued: deque[float] = field(default_factory=deque)
    tokens: OrderedDict[str, AccessToken] = field(default_factory=OrderedDict)


class TokenStore:
    """Refresh tokens, the access tokens issued from them, and the refresh throttle."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._refresh: dict[str, _RefreshState] = {}
        self._access: dict[str, AccessToken] = {}
        # Every access token ever issued, in order (live, expired, revoked or evicted alike):
        # tests check that none of them appears in a log, a results file or a STATE.
        self._issued: list[str] = []

    def grant(self, params: dict[str, str], api_domain: str) -> dict[str, Any]:
        """Answer a token request (the JSON body; the HTTP status is always 200)."""
        cfg = self._config
        grant_type = params.get("grant_type", "")
        if (
            params.get("client_id") != cfg.client_id
            or params.get("client_secret") != cfg.client_secret
        ):
            return {"error": "invalid_client"}
        if grant_type != "refresh_token":
            if grant_type == "authorization_code":
                return {"error": "invalid_code"}
            return {"error": "unsupported_grant_type"}
        refresh_token = params.get("refresh_token", "")
        now = time.monotonic()
        with self._lock:
            if refresh_token not in cfg.refresh_tokens:
                return {"error": "invalid_code"}
            state = self._refresh.setdefault(refresh_token, _RefreshState())
            if state.revoked:
                return {"error": "invalid_code"}
            while state.issued and state.issued[0] <= now - cfg.refresh_window:
                state.issued.popleft()
            if len(state.issued) >= cfg.refresh_limit:
                return dict(THROTTLE_ANSWER)
            state.issued.append(now)
            for old in [t for t in state.tokens.values() if not t.live(now)]:
                state.tokens.pop(old.token, None)
                self._access.pop(old.token, None)
            while len(state.tokens) >= MAX_LIVE_TOKENS:
                _, oldest = state.tokens.popitem(last=False)
                oldest.revoked = True
                self._access.pop(oldest.token, None)
            token = AccessToken(
                token=f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}",
                refresh_token=refresh_token,
                expires_at=now + cfg.token_ttl,
                scopes=tuple(cfg.scopes),
            )
            state.tokens[token.token] = token
            self._access[token.token] = token
            self._issued.append(token.token)
        return {
            "access_token": token.token,
            "scope": " ".join(token.scopes),
            "api_domain": api_domain,
            "token_type": "Bearer",
            "expires_in": math.ceil(cfg.token_ttl),  # seconds, an integer as Zoho sends
        }

    def revoke(self, token: str) -> bool:
        """Revoke a refresh token (and its access tokens) or one access token."""
        with self._lock:
            if token in self._config.refresh_tokens:
                state = self._refresh.setdefault(token, _RefreshState())
                state.revoked = True
                for access in state.tokens.values():
                    access.revoked = True
                    self._access.pop(access.token, None)
                state.tokens.clear()
                return True
            if token not in self._access:
                return False
            self._access.pop(token).revoked = True
            return True

    def revoke_access(self, token: str) -> None:
        """Revoke one access token (the ``revoke`` fault)."""
        with self._lock:
            found = self._access.pop(token, None) if token in self._access else None
            if found is not None:
                found.revoked = True

    def replace_issued(self, token: str, spoiled: str) -> None:
        """A token fault sent ``spoiled`` instead of ``token``.

        ``token`` never reached the client, so it is revoked; ``spoiled`` is listed as
        issued (it is never valid).
        """
        with self._lock:
            found = self._access.pop(token, None)
            if found is not None:
                found.revoked = True
                state = self._refresh.get(found.refresh_token)
                if state is not None:
                    state.tokens.pop(token, None)
            self._issued.append(spoiled)

    def lookup(self, token: str) -> AccessToken | None:
        """The live access token, or ``None`` (unknown, expired, revoked or evicted)."""
        with self._lock:
            found = self._access.get(token)
            if found is None or not found.live(time.monotonic()):
                return None
            return found

    def issued(self) -> list[str]:
        """Every access token issued so far, oldest first."""
        with self._lock:
            return list(self._issued)

    def live_tokens(self) -> int:
        """How many access tokens are live now."""
        now = time.monotonic()
        with self._lock:
            return sum(1 for token in self._access.values() if token.live(now))


def grants(granted: Iterable[str], needed: str) -> bool:
    """Whether granted scopes cover ``needed`` (e.g. ``ZohoCRM.settings.territories.READ``).

    Case-insensitive; ``X.ALL`` covers every operation on ``X``; ``ZohoCRM.settings.ALL``
    covers every ``ZohoCRM.settings.*`` scope.
    """
    have = {scope.strip().lower() for scope in granted}
    want = needed.lower()
    resource, _, _operation = want.rpartition(".")
    if want in have or f"{resource}.all" in have:
        return True
    return resource.startswith("zohocrm.settings.") and "zohocrm.settings.all" in have


def satisfies(granted: Iterable[str], alternatives: Iterable[Iterable[str]]) -> bool:
    """Whether any alternative's scopes are all granted."""
    granted = list(granted)
    return any(all(grants(granted, scope) for scope in option) for option in alternatives)
