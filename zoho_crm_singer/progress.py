"""Progress lines on long runs: the setting, a ticker thread, and the pure pieces of a line."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from zoho_crm_api.errors import ZohoConfigError

DEFAULT_INTERVAL_S = 10
SETTING = "progress_interval"


def progress_interval(config: Mapping[str, Any]) -> float:
    """Seconds between progress lines (0: none), or ZohoConfigError with the fix."""
    value = config.get(SETTING)
    if value is None:
        return DEFAULT_INTERVAL_S
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)) or value < 0:
        msg = (
            f"{SETTING} must be a number of seconds, 0 or more (0 turns progress lines off), "
            f"got {value!r}."
        )
        raise ZohoConfigError(msg)
    return float(value)


def duration(seconds: float) -> str:
    """`42 s`, `3 min 05 s`, `2 h 07 min`."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def eta(done: int, total: int, elapsed: float) -> float | None:
    """Seconds left if the rest goes as fast as what is done; None before anything is done."""
    if done <= 0 or total <= 0 or elapsed <= 0:
        return None
    return elapsed * max(0, total - done) / done


def counts(values: Mapping[str, int] | Iterable[tuple[str, int]]) -> str:
    """`users 1000, territories 60`, in the order given."""
    items = values.items() if isinstance(values, Mapping) else values
    return ", ".join(f"{name} {n}" for name, n in items)


class Ticker:
    """Calls `tick()` every `interval` seconds on a daemon thread until stopped.

    An interval of 0 means never. `tick` must be quick and thread-safe; an error it raises is
    logged at DEBUG and the ticker goes on.
    """

    def __init__(
        self, interval: float, tick: Callable[[], None], logger: logging.Logger, name: str
    ) -> None:
        self.interval = interval
        self._tick = tick
        self._logger = logger
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Ticker:
        """Start ticking (a no-op for an interval of 0)."""
        if self.interval > 0 and not self._thread.is_alive() and not self._stopped.is_set():
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop ticking; returns at once (the thread ends within its current tick)."""
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self._tick()
            except Exception:  # a progress line must never end a run
                self._logger.debug("A progress line failed:", exc_info=True)
