"""Fetching pages ahead of the one thread that writes Singer messages.

The SDK syncs streams, and each parent's children, one after another on one thread. Here every
HTTP page is a task on a pool of `max_concurrency` workers; the writer thread only reads pages
that are (usually) already there, in the API's order. Memory stays bounded: a list endpoint runs
at most `ahead` pages in front of its reader, and at most `window` child partitions are started
before the writer reaches them. The most urgent task (the stream being written, then the next
ones) runs first.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from zoho_crm_api.client import Page

Priority = tuple[int, ...]


class Scheduler:
    """A fixed pool of worker threads running tasks lowest-priority-value first."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._heap: list[tuple[Priority, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._closed = False

    def submit(self, priority: Priority, task: Callable[[], None]) -> None:
        """Queue `task`; it must not raise (errors are the task's to record)."""
        with self._cond:
            if self._closed:
                return
            heapq.heappush(self._heap, (priority, next(self._seq), task))
            if len(self._threads) < self._workers:
                thread = threading.Thread(target=self._run, name="zoho-fetch", daemon=True)
                self._threads.append(thread)
                thread.start()
            self._cond.notify()

    def close(self, timeout: float = 60.0) -> None:
        """Drop queued tasks and give the workers up to `timeout` s to finish running ones."""
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                _, _, task = heapq.heappop(self._heap)
            task()


class PageChain:
    """The pages of one list call (one partition), fetched in order ahead of the reader."""

    def __init__(
        self,
        scheduler: Scheduler,
        priority: Priority,
        fetch: Callable[[int], Page],
        *,
        ahead: int,
        on_page: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self._scheduler = scheduler
        self._priority = priority
        self._fetch = fetch
        self._ahead = max(1, ahead)
        self._on_page = on_page
        self._cond = threading.Condition()
        self._pages: deque[list[dict[str, Any]]] = deque()
        self._next = 1
        self._in_flight = False
        self._done = False
        self._error: BaseException | None = None

    def start(self) -> PageChain:
        """Begin fetching the first pages."""
        with self._cond:
            self._submit_next()
        return self

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        """Each page's records in order; re-raises a fetch error where it happened."""
        while True:
            with self._cond:
                self._submit_next()
                while not (self._pages or self._error or (self._done and not self._in_flight)):
                    self._cond.wait()
                if self._pages:
                    records = self._pages.popleft()
                    self._submit_next()
                elif self._error is not None:
                    raise self._error
                else:
                    return
            yield records

    def _submit_next(self) -> None:
        if self._done or self._in_flight or self._error or len(self._pages) >= self._ahead:
            return
        self._in_flight = True
        number = self._next
        self._next += 1
        self._scheduler.submit(self._priority, lambda: self._run(number))

    def _run(self, number: int) -> None:
        try:
            page = self._fetch(number)
            if self._on_page is not None:
                self._on_page(page.records)
        except BaseException as exc:  # handed to the reader thread
            with self._cond:
                self._error = exc
                self._in_flight = False
                self._cond.notify_all()
            return
        with self._cond:
            self._pages.append(page.records)
            self._in_flight = False
            self._done = not page.more
            self._submit_next()
            self._cond.notify_all()


class ChildPartitions:
    """Child partitions (one per parent record and child stream), started ahead of the writer.

    Parent pages register their children as they arrive. Each child stream has its own window
    of `window` started-but-not-taken partitions, so one stream's prefetch never starves
    another's (a shared window let a later stream's children block the current one's). The
    writer takes partitions in parent order; any it skips (a stream map filtered the parent
    out) are dropped. A waiting partition costs only its key.
    """

    def __init__(self, window: int) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._queues: dict[str, _ChildQueue] = {}

    def register(self, stream: str, keys: list[str], make: Callable[[str], PageChain]) -> None:
        """Announce a page's child partitions; they start when the window has room."""
        with self._lock:
            queue = self._queues.get(stream)
            if queue is None:
                queue = self._queues[stream] = _ChildQueue(make)
            for key in keys:
                queue.waiting[key] = None
                queue.order.append(key)
            queue.fill(self._window)

    def take(self, stream: str, key: str) -> PageChain | None:
        """The chain for `key`, started now if it was still waiting; None if never registered."""
        with self._lock:
            queue = self._queues.get(stream)
            if queue is None or (key not in queue.started and key not in queue.waiting):
                return None
            while queue.order[0] != key:
                skipped = queue.order.popleft()
                queue.started.pop(skipped, None)
                queue.waiting.pop(skipped, None)
            queue.order.popleft()
            chain = queue.started.pop(key, None)
            if chain is None:
                del queue.waiting[key]
                chain = queue.make(key).start()
            queue.fill(self._window)
            return chain


class _ChildQueue:
    """One child stream's partitions: started ones, waiting ones, and the parent order."""

    def __init__(self, make: Callable[[str], PageChain]) -> None:
        self.make = make
        self.order: deque[str] = deque()
        self.started: dict[str, PageChain] = {}
        # Insertion-ordered, so the first waiting key is the next in parent order.
        self.waiting: dict[str, None] = {}

    def fill(self, window: int) -> None:
        while self.waiting and len(self.started) < window:
            key = next(iter(self.waiting))
            del self.waiting[key]
            self.started[key] = self.make(key).start()
