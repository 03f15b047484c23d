"""How far a target run is: the records read, then each step's calls done of its total.

The engine names the step (mirror's reads, a batch's writes with the changes it plans); the
run's workers count the step's tasks as they end; the progress ticker reads both. The line is a
pure function of what they say.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from zoho_crm_singer.progress import duration, eta


@dataclass(frozen=True)
class Step:
    """What the workers are doing now: `label`, `total` tasks counted in `unit`."""

    label: str
    unit: str
    total: int
    started: float


class StepProgress:
    """The current step and its tasks ended so far (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._step: Step | None = None
        self._done = 0

    def begin(self, label: str, unit: str, total: int) -> None:
        """A new step of `total` tasks starts."""
        with self._lock:
            self._step = Step(label, unit, total, self._clock())
            self._done = 0

    def task_ended(self) -> None:
        """One task of the current step ended (done, failed or not started after a stop)."""
        with self._lock:
            self._done += 1

    def end(self) -> None:
        """The step is over; progress lines speak of the input again."""
        with self._lock:
            self._step = None

    def line(self, records_read: int) -> str:
        """The progress line now."""
        with self._lock:
            step, done = self._step, self._done
        if step is None:
            return reading_line(records_read)
        return step_line(step, done, self._clock() - step.started)


def reading_line(records: int) -> str:
    """Progress while the input is read (records wait for their batch)."""
    return f"Progress: reading the input, {records} record(s) so far."


def step_line(step: Step, done: int, elapsed: float) -> str:
    """Progress of a step: done of total, and when it should end."""
    left = eta(done, step.total, elapsed)
    when = f"ETA {duration(left)}" if left is not None else "ETA not known yet"
    return (
        f"Progress: {step.label}: {done} of {step.total} {step.unit} done after "
        f"{duration(elapsed)}; {when}."
    )
