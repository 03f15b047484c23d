"""Fault injection: each API request fails with probability ``fault_rate``.

The fault kind is drawn uniformly from ``faults``: ``500`` (500 INTERNAL_ERROR), ``429``
(429 TOO_MANY_REQUESTS), ``drop`` (the connection is closed with no answer) and ``revoke``
(the access token used is revoked; 401 INVALID_TOKEN).  For ``500`` and ``drop`` the same
seeded generator also decides whether the fault strikes *before* the request is processed
or *after* it (a write then has been applied although the client saw no success: this is
what makes idempotency tests real).  ``429`` and ``revoke`` always strike before.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from zoho_crm_emulator.config import EmulatorConfig


@dataclass(frozen=True)
class Fault:
    """One injected fault."""

    kind: str
    after: bool = False


class FaultInjector:
    """Draws faults from one seeded generator (under a lock, so draws are never lost)."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._seed = config.fault_seed
        self._rng = random.Random(config.fault_seed)

    def reseed(self, seed: int) -> None:
        """Restart the generator from ``seed``."""
        with self._lock:
            self._seed = seed
            self._rng = random.Random(seed)

    def draw(self) -> Fault | None:
        """A fault for this request, or ``None``."""
        rate = self._config.fault_rate
        kinds = list(self._config.faults)
        if rate <= 0 or not kinds:
            return None
        with self._lock:
            if self._rng.random() >= rate:
                return None
            kind = kinds[self._rng.randrange(len(kinds))]
            after = kind in ("500", "drop") and self._rng.random() < 0.5
        return Fault(kind, after)
