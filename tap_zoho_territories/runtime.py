"""What one sync shares between streams: the client, the fetch pool and child partitions.

It also knows how the run is going: once it must stop (a Zoho error, a signal), the client
sends nothing more, pages already fetched are still written, and streams left incomplete are
not reported as completed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from tap_zoho_territories.prefetch import ChildPartitions, PageChain, Scheduler
from tap_zoho_territories.progress import PlannedStream, SyncProgress, progress_line, start_line
from zoho_crm_api.client import ZohoClient
from zoho_crm_api.errors import ZohoAccessError
from zoho_crm_api.settings import ConnectionSettings
from zoho_crm_singer.progress import Ticker

if TYPE_CHECKING:
    from tap_zoho_territories.streams import ZohoStream

# Records a list endpoint may run ahead of the writer (at least one page), and child partitions
# (one list call each, usually one page) that may be started before the writer reaches their
# parent, per worker.
RECORDS_AHEAD = 800
CHILD_WINDOW_PER_WORKER = 16
# Fetch threads hold the GIL only briefly, but wait up to the switch interval (5 ms by default)
# to get it back from the busy writer thread after every answer arrives; the CLI sets this.
SWITCH_INTERVAL = 0.001
# How long closing waits for the workers: after a stop each ends within a second.
CLOSE_TIMEOUT = 2.0


class SyncRuntime:
    """The client, the fetch pool, and which streams are skipped, for one tap run."""

    def __init__(
        self,
        settings: ConnectionSettings,
        logger: logging.Logger,
        user_agent: str,
        *,
        completed: Collection[str] = (),
        progress_interval: float = 0.0,
    ) -> None:
        self.logger = logger
        self.settings = settings
        self.client = ZohoClient(settings, logger, user_agent=user_agent)
        # How far the run is (`completed`: the top-level streams done), logged every
        # `progress_interval` seconds from the first page on.
        self.progress = SyncProgress(self.client.stats, completed)
        self._ticker = Ticker(progress_interval, self._log_progress, logger, "zoho-progress")
        workers = settings.max_concurrency
        self.scheduler = Scheduler(workers)
        self.children = ChildPartitions(window=workers * CHILD_WINDOW_PER_WORKER)
        self.prefetch_children = True
        self._top: dict[str, PageChain] = {}
        self._planned: list[ZohoStream] = []
        self._streams: dict[str, ZohoStream] = {}
        self._gated: dict[str, ZohoAccessError] = {}
        self._lock = threading.Lock()
        # Top-level streams whose writing began, and those that cannot be complete.
        self.started: set[str] = set()
        self._incomplete: set[str] = set()
        # Why the run stops: the first error, or the signal's message.
        self.cause: BaseException | str | None = None

    def plan(self, streams: list[ZohoStream]) -> None:
        """Prefetch these streams' pages once the first of them starts syncing."""
        self._planned = [
            s
            for s in streams
            if s.parent_stream_type is None and (s.selected or s.has_selected_descendents)
        ]
        self.progress.plan(s.name for s in self._planned)
        self._streams = {s.name: s for s in streams}

    def top_chain(self, stream: ZohoStream) -> PageChain:
        """The chain of a top-level stream.

        The first call starts every planned stream's chain: by then the SDK has settled each
        stream's replication method (a selected child forces its parent to full table).
        """
        self.started.add(stream.name)
        planned, self._planned = self._planned, []
        chains = {other.name: other.make_chain(None) for other in planned}
        if planned:
            # Each stream's replication method and starting bookmark are settled now, and no
            # call was made yet.
            self.logger.info("%s", start_line(self.settings, map(_as_planned, planned)))
            self._ticker.start()
        for name, planned_chain in chains.items():
            self._top[name] = planned_chain.start()
        chain = self._top.pop(stream.name, None)
        return chain if chain is not None else stream.make_chain(None).start()

    def is_gated(self, stream: str) -> bool:
        """True once a stream was found unreadable (scope missing or feature off)."""
        return stream in self._gated

    def gate(self, stream: str, error: ZohoAccessError) -> None:
        """Skip a stream for the rest of the run, with one warning naming what to enable."""
        with self._lock:
            if stream in self._gated:
                return
            self._gated[stream] = error
        children = self._children_of(stream)
        self.logger.warning(
            "Skipping stream '%s'%s: Zoho answered %s (%s). To read it, enable %s.",
            stream,
            f" and its child streams {', '.join(children)}" if children else "",
            error.code,
            error.message,
            error.what_to_enable,
        )

    def _children_of(self, name: str) -> list[str]:
        """The selected descendants of a planned stream (read only through it)."""
        stream = self._streams.get(name)
        if stream is None:
            return []
        return [d.name for d in stream.descendent_streams if d.selected]

    @property
    def gated(self) -> dict[str, ZohoAccessError]:
        """Streams skipped in this run and why."""
        return dict(self._gated)

    def stop(self, cause: BaseException | str) -> None:
        """Stop the run: no new call; pages already fetched are still written (thread-safe).

        The first cause is kept: a ZohoStopped that follows from it only repeats it.
        """
        with self._lock:
            if self.cause is None:
                self.cause = cause
        self.client.stop(str(cause))

    @property
    def stopping(self) -> bool:
        """True once the run must stop."""
        return self.client.stopped

    def mark_incomplete(self, stream: ZohoStream) -> None:
        """A partition of `stream` could not be read: its top-level stream is not complete."""
        top: Any = type(stream)
        while top.parent_stream_type is not None:
            top = top.parent_stream_type
        with self._lock:
            self._incomplete.add(str(top.name))

    def is_incomplete(self, stream: str) -> bool:
        """True when a partition of this top-level stream (or of a child) was not read."""
        return stream in self._incomplete

    def skipped(self) -> dict[str, str]:
        """Streams skipped as unreadable, and why (Zoho's code, or the parent skipped)."""
        out: dict[str, str] = {}
        for name, error in self.gated.items():
            out[name] = error.code
            for child in self._children_of(name):
                out.setdefault(child, f"{name} not readable")
        return out

    def _log_progress(self) -> None:
        self.logger.info("%s", progress_line(self.progress.snapshot(self.skipped())))

    def close(self) -> None:
        """Stop the progress lines and the workers; release connections."""
        self._ticker.stop()
        self.client.stop("the run is over")
        self.scheduler.close(timeout=CLOSE_TIMEOUT)
        self.client.close()


def _as_planned(stream: ZohoStream) -> PlannedStream:
    """How the start line shows a top-level stream (its method and bookmark are settled)."""
    since: str | None = None
    if stream.replication_method == "INCREMENTAL":
        value = stream.get_starting_replication_key_value(None)
        since = str(value) if value else ""
    return PlannedStream(
        name=stream.name,
        written=stream.selected,
        since=since,
        forced_full=since is None and type(stream).replication_key is not None,
        children=tuple(
            child.name
            for child in stream.child_streams
            if child.selected or child.has_selected_descendents
        ),
    )
