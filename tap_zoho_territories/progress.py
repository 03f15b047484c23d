"""How far a sync is: records read per stream, child partitions read of those found, calls.

The writer thread and the fetch workers count; the progress ticker and the closing summary
read a `Snapshot`, and the lines are pure functions of it. Child partitions are one per parent
record (a territory's users, a group's sources), found as the parent's pages arrive, so the ETA
counts the partitions found so far: it can grow while a parent is still being listed.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from zoho_crm_api.client import CallStats
from zoho_crm_api.datacenters import DATA_CENTERS
from zoho_crm_api.settings import ConnectionSettings
from zoho_crm_singer.progress import counts, duration, eta


@dataclass(frozen=True)
class PlannedStream:
    """A top-level stream as the start line shows it."""

    name: str
    written: bool
    # None for full table; else where the incremental read starts ("" for no bookmark).
    since: str | None
    # Read in full although it has a replication key (a child stream is selected).
    forced_full: bool
    children: tuple[str, ...] = ()


def start_line(settings: ConnectionSettings, streams: Iterable[PlannedStream]) -> str:
    """The one line a sync starts with: where it reads from, how, and which streams."""
    where = f"data centre {settings.data_center} ({settings.environment}, API "
    where += f"{settings.api_version}"
    usual = DATA_CENTERS.get(settings.data_center)
    if usual is None or settings.accounts_server != usual.accounts_server:
        where += f", accounts server {settings.accounts_server}"
    if settings.api_domain:
        where += f", API domain {settings.api_domain}"
    planned = list(streams)
    shown = [_planned(stream) for stream in planned]
    children = sum(len(stream.children) for stream in planned)
    total = f"{len(shown)} stream(s)" + (f" and {children} child stream(s)" if children else "")
    return (
        f"Reading {total} from Zoho CRM, {where}), max_concurrency {settings.max_concurrency}: "
        + "; ".join(shown)
        + "."
    )


def _planned(stream: PlannedStream) -> str:
    notes = []
    if not stream.written:
        notes.append("not selected, read for its child streams")
    if stream.since is not None:
        notes.append(f"incremental since {stream.since}" if stream.since else "incremental, all")
    elif stream.forced_full:
        notes.append("full table")
    text = stream.name + (f" ({', '.join(notes)})" if notes else "")
    if stream.children:
        text += " with " + ", ".join(stream.children)
    return text


@dataclass(frozen=True)
class Snapshot:
    """The counts at one moment."""

    elapsed: float
    # Seconds since the first child partition was read (what the ETA is paced by).
    partitions_for: float
    records: dict[str, int]
    # Child stream -> (partitions read, partitions found).
    partitions: dict[str, tuple[int, int]]
    streams_done: int
    streams_total: int
    calls: int
    retries: int
    credits_left: int | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def total_records(self) -> int:
        """Records read, all streams."""
        return sum(self.records.values())


def progress_line(now: Snapshot) -> str:
    """One progress line: where the run is, and when it should end."""
    parts = [f"streams {now.streams_done} of {now.streams_total} done"]
    if now.records:
        parts.append(f"records {counts(now.records)}")
    if now.partitions:
        shown = ", ".join(f"{name} {d} of {t}" for name, (d, t) in now.partitions.items())
        parts.append(f"partitions {shown}")
    calls = f"{now.calls} calls ({now.retries} retries)"
    if now.credits_left is not None:
        calls += f", {now.credits_left} credits left"
    parts.append(calls)
    done = sum(d for d, _ in now.partitions.values())
    total = sum(t for _, t in now.partitions.values())
    left = eta(done, total, now.partitions_for)
    parts.append(f"ETA {duration(left)}" if left is not None else "ETA not known yet")
    return f"Progress after {duration(now.elapsed)}: " + "; ".join(parts) + "."


def summary_head(now: Snapshot, *, stopped: bool, what: str = "Sync") -> str:
    """The closing summary's first line: how long, and the records per stream."""
    how = "stopped after" if stopped else "finished in"
    line = f"{what} {how} {duration(now.elapsed)}: {now.total_records} records read"
    if now.records:
        line += f" ({counts(now.records)})"
    if now.skipped:
        line += "; skipped (see the warnings above): " + ", ".join(
            f"{name} ({code})" for name, code in now.skipped.items()
        )
    return line + "."


class SyncProgress:
    """Counts of one sync, shared by the writer thread and the ticker."""

    def __init__(
        self,
        stats: CallStats,
        completed: Collection[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stats = stats
        self._completed = completed
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()
        self._records: Counter[str] = Counter()
        self._found: Counter[str] = Counter()
        self._read: Counter[str] = Counter()
        self._planned: tuple[str, ...] = ()
        # When the first child partition was read: the ETA is paced from then.
        self._first_read: float | None = None

    def plan(self, streams: Iterable[str]) -> None:
        """The top-level streams this run reads."""
        self._planned = tuple(streams)

    def read(self, stream: str, records: int) -> None:
        """The writer took a page of `records` records of `stream`."""
        with self._lock:
            self._records[stream] += records

    def found(self, children: Iterable[str], parents: int) -> None:
        """A page of `parents` records arrived: one partition each for these child streams."""
        with self._lock:
            for child in children:
                self._found[child] += parents

    def partition_read(self, stream: str) -> None:
        """One partition of a child stream was read to its end."""
        with self._lock:
            if self._first_read is None:
                self._first_read = self._clock()
            self._read[stream] += 1

    def snapshot(self, skipped: dict[str, str] | None = None) -> Snapshot:
        """The counts now."""
        now = self._clock()
        with self._lock:
            records = dict(self._records)
            partitions = {name: (self._read[name], n) for name, n in self._found.items()}
            first = self._first_read
        return Snapshot(
            elapsed=now - self._started,
            partitions_for=now - first if first is not None else 0.0,
            records=records,
            partitions=partitions,
            streams_done=sum(1 for name in self._planned if name in self._completed),
            streams_total=len(self._planned),
            calls=self._stats.api_calls,
            retries=self._stats.retries,
            credits_left=self._stats.credits_left,
            skipped=skipped or {},
        )
