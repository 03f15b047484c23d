"""Fault injection: API requests (``fault_rate``) and token requests (``token_fault_rate``).

The kind is drawn uniformly from ``faults`` (``token_faults``), from one seeded generator per
endpoint kind (so token faults never shift the API's sequence).  Some kinds draw a variant:
``500`` and ``drop`` whether they strike *before* the request is processed or *after* it (a
write then has been applied although the client saw no success: what idempotency tests
need); ``html`` its status (200 or 502); ``redirect`` its status (301/302/307/308, at the
token endpoint 307/308); ``slow`` whether the headers or only the body are dripped.

Whether a kind strikes before or after processing is fixed per kind (``AFTER``): the wire
faults ``truncate``, ``short-body``, ``reset-body`` and ``slow`` send the real answer badly,
so a write they hit WAS applied; ``html``, ``error200``, ``redirect``, ``429`` and ``revoke``
answer instead of processing, so nothing was applied.  See docs/emulator.md for the bytes.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from zoho_crm_emulator.config import EmulatorConfig

#: Kinds that send the real (processed) answer badly; applied when the answer is written.
WIRE_KINDS = frozenset({"truncate", "short-body", "reset-body", "slow"})
#: Kinds that always strike after processing.
AFTER = WIRE_KINDS
#: Kinds whose before/after is drawn.
EITHER = frozenset({"500", "drop"})
#: Token-answer kinds: the grant is processed, then its JSON is spoiled.
TOKEN_SPOILERS = frozenset(
    {"token-newline", "token-space", "expires-missing", "expires-negative", "expires-text"}
)

_VARIANTS: dict[tuple[str, str], tuple[int | str, ...]] = {
    ("api", "html"): (200, 502),
    ("api", "redirect"): (301, 302, 307, 308),
    ("api", "slow"): ("headers", "body"),
    ("token", "html"): (200, 502),
    ("token", "redirect"): (307, 308),
    ("token", "slow"): ("headers", "body"),
}


@dataclass(frozen=True)
class Fault:
    """One injected fault: its kind, whether it strikes after processing, and its variant."""

    kind: str
    after: bool = False
    variant: int | str | None = None


class _Generator:
    """One seeded generator, drawn under a lock (so draws are never lost or reordered)."""

    def __init__(self, seed: int | str) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)

    def draw(self, rate: float, kinds: list[str], where: str) -> Fault | None:
        if rate <= 0 or not kinds:
            return None
        with self._lock:
            rng = self._rng
            if rng.random() >= rate:
                return None
            kind = kinds[rng.randrange(len(kinds))]
            after = kind in AFTER or (kind in EITHER and rng.random() < 0.5)
            options = _VARIANTS.get((where, kind))
            variant = None if options is None else options[rng.randrange(len(options))]
        return Fault(kind, after, variant)


class FaultInjector:
    """Draws API faults and token-endpoint faults from two generators seeded by ``fault_seed``."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self.reseed(config.fault_seed)

    def reseed(self, seed: int) -> None:
        """Restart both generators from ``seed``."""
        self._api = _Generator(seed)
        self._token = _Generator(f"token:{seed}")

    def draw(self) -> Fault | None:
        """A fault for this API request, or ``None``."""
        return self._api.draw(self._config.fault_rate, list(self._config.faults), "api")

    def draw_token(self) -> Fault | None:
        """A fault for this token request, or ``None``."""
        config = self._config
        return self._token.draw(config.token_fault_rate, list(config.token_faults), "token")
