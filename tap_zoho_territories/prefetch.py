"""Fetching pages ahead of the one thread that writes Singer messages.

The SDK syncs streams, and each parent's children, one after another on one thread. Here every
HTTP page is a task on a pool of `max_concurrency` workers; the writer thread only reads pages
that are (usually) already there, in the API's order. Where the number of records is known
(a count call, or counts read anyway), every page of a list is fetched at once; elsewhere one
page follows the other. Memory stays bounded: a list endpoint runs at most `ahead` pages in
front of its reader, and at most `window` child partitions are started before the writer
reaches them. The most urgent task (the stream being written, then the next ones) runs first.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from zoho_crm_api.client import Page
from zoho_crm_api.endpoints import Endpoint

if TYPE_CHECKING:
    from tap_zoho_territories.derived import Membership

Priority = tuple[int, ...]
OnPage = Callable[[list[dict[str, Any]]], None]
# Records a list may run ahead of its reader (at least one page), and child partitions (one
# list call each, usually one page) that may be started before the writer reaches their
# parent, per worker.
RECORDS_AHEAD = 800
CHILD_WINDOW_PER_WORKER = 16


@dataclass(frozen=True)
class CountRequest:
    """A call whose answer is the number of records a list holds (E9)."""

    endpoint: Endpoint
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PageRequest:
    """A list call a stream asks for, all but the page number: what the prefetcher fetches.

    Streams state it on the writer thread (where bookmarks are read). `total` is the number of
    records the list holds when known (E4's counts), or the call that counts them (E9): then
    every page is asked for at once.
    """

    stream: str
    endpoint: Endpoint
    path: Mapping[str, str] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    total: int | CountRequest | None = None
    # A child partition (one per parent record): its parent may be gone by the time it is read.
    child: bool = False
    # False for reads the tap makes for its own use: a refusal then skips no stream.
    gate: bool = True


class Fetcher(Protocol):
    """What fetches one page, or one count, of a request (the run's client, or a fake)."""

    def page(self, request: PageRequest, number: int) -> Page:
        """Page `number` of the request's list."""
        ...

    def count(self, request: CountRequest) -> int | None:
        """The count, or None when it cannot be had (then pages follow one another)."""
        ...


class Scheduler:
    """A pool of worker threads running tasks lowest-priority-value first."""

    def __init__(self, workers: int) -> None:
        self._workers = max(1, workers)
        self._heap: list[tuple[Priority, int, Callable[[], object]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._closed = False

    def submit(self, priority: Priority, task: Callable[[], object]) -> None:
        """Queue `task`; it must not raise (errors are the task's to record)."""
        with self._cond:
            if self._closed:
                return
            heapq.heappush(self._heap, (priority, next(self._seq), task))
            if len(self._threads) < self._workers:
                self._spawn()
            self._cond.notify()

    def _spawn(self) -> None:
        thread = threading.Thread(target=self._run, name="zoho-fetch", daemon=True)
        self._threads.append(thread)
        thread.start()

    @property
    def workers(self) -> int:
        """How many tasks run at once."""
        return self._workers

    def set_workers(self, workers: int) -> None:
        """Run up to `workers` tasks at once from now on (extra threads end after their task)."""
        with self._cond:
            self._workers = max(1, workers)
            while self._heap and len(self._threads) < self._workers:
                self._spawn()
            self._cond.notify_all()

    def close(self, timeout: float = 60.0) -> None:
        """Drop queued tasks and give the workers up to `timeout` s to finish running ones."""
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify_all()
            threads = list(self._threads)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        me = threading.current_thread()
        while True:
            with self._cond:
                while not self._heap and not self._closed and len(self._threads) <= self._workers:
                    self._cond.wait()
                if self._closed:
                    return
                if len(self._threads) > self._workers:
                    self._threads.remove(me)
                    return
                _, _, task = heapq.heappop(self._heap)
            task()


class PageChain:
    """The pages of one list call (one partition), fetched ahead of the reader in the API's order.

    Pages known to exist are fetched in parallel: the first one always, and every page up to
    `total` records (`total` a number known already, or a call that gives it, such as E9's
    count, made alongside the first page). Past the counted pages the chain goes on one page
    after another while a page says `more_records`; the first page that says no more (or comes
    back empty) is the last one, wherever it is: a list that grew between the count and the
    pages is read to its end, one that shrank stops there, and pages fetched past the last are
    dropped unread. At most `ahead` pages are fetched but not yet read.

    Pages are handed to `on_page` (in a worker thread) in order, before the reader sees them,
    so that a page's child partitions are announced before its records are written. With
    `keep=False` nothing reads the chain: pages only go to `on_page`.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        priority: Priority,
        fetch: Callable[[int], Page],
        *,
        ahead: int,
        per_page: int | None = None,
        total: int | Callable[[], int | None] | None = None,
        on_page: Callable[[list[dict[str, Any]]], None] | None = None,
        keep: bool = True,
    ) -> None:
        self._scheduler = scheduler
        self._priority = priority
        self._fetch = fetch
        self._ahead = max(1, ahead)
        self._per_page = per_page
        self._total = total
        self._on_page = on_page
        self._keep = keep
        self._cond = threading.Condition()
        # Pages 1.._known are fetched without waiting for the one before.
        self._known = 1
        self._submitted = 0
        self._fetched: dict[int, list[dict[str, Any]]] = {}
        self._more: dict[int, bool] = {}
        self._errors: dict[int, BaseException] = {}
        # Pages handed to on_page (so readable), and pages taken by the reader.
        self._announced = 0
        self._read = 0
        self._announcing = False
        # The number of the last page, once a page said there are no more.
        self._last: int | None = None

    def start(self) -> PageChain:
        """Begin fetching the first pages (and the count, if one is to be called)."""
        with self._cond:
            if callable(self._total):
                count = self._total
                self._scheduler.submit(self._priority, lambda: self._run_count(count))
            else:
                self._learn_total(self._total)
            self._submit_ready()
        return self

    @property
    def keep(self) -> bool:
        """True when a reader takes the pages (False: they only go to on_page)."""
        return self._keep

    @property
    def done(self) -> bool:
        """True once the last page was read (or handed to on_page, for a chain nobody reads)."""
        with self._cond:
            return self._last is not None and self._read >= self._last

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        """Each page's records in order; re-raises a fetch error at the page it happened."""
        while True:
            with self._cond:
                number = self._read + 1
                while True:
                    if self._last is not None and number > self._last:
                        return
                    if number <= self._announced and number in self._fetched:
                        records = self._fetched.pop(number)
                        break
                    if number in self._errors:
                        raise self._errors[number]
                    self._cond.wait()
                self._read = number
                self._submit_ready()
            yield records

    def wait(self) -> None:
        """Wait until a chain nobody reads has handed its last page to on_page; raise its error."""
        with self._cond:
            while not (self._last is not None and self._read >= self._last):
                error = self._errors.get(self._read + 1)
                if error is not None:
                    raise error
                self._cond.wait()

    # Under the lock

    def _learn_total(self, total: int | None) -> None:
        if total is not None and self._per_page:
            self._known = max(1, -(-total // self._per_page))

    def _submit_ready(self) -> None:
        """Submit every page that may be fetched now."""
        while True:
            number = self._submitted + 1
            if self._errors or (self._last is not None and number > self._last):
                return
            if number - 1 - self._read >= self._ahead:
                return
            if number > self._known and not self._more.get(number - 1, False):
                return
            self._submitted = number
            self._scheduler.submit(self._priority, functools.partial(self._run, number))

    # In worker threads

    def _run_count(self, count: Callable[[], int | None]) -> None:
        try:
            total = count()
        except Exception:  # the count only speeds things up: without it, one page at a time
            total = None
        with self._cond:
            self._learn_total(total)
            self._submit_ready()

    def _run(self, number: int) -> None:
        try:
            page = self._fetch(number)
        except BaseException as exc:  # handed to the reader, at this page
            with self._cond:
                self._errors[number] = exc
                self._cond.notify_all()
            return
        with self._cond:
            self._more[number] = page.more
            if not page.more and (self._last is None or number < self._last):
                self._last = number
                for later in [n for n in self._fetched if n > number]:
                    del self._fetched[later]
            if self._last is None or number <= self._last:
                self._fetched[number] = page.records
            self._submit_ready()
            self._cond.notify_all()
        self._announce()

    def _announce(self) -> None:
        """Hand fetched pages to on_page in page order, one thread at a time."""
        with self._cond:
            if self._announcing:
                return
            self._announcing = True
        while True:
            with self._cond:
                number = self._announced + 1
                beyond = self._last is not None and number > self._last
                if beyond or number not in self._fetched:
                    self._announcing = False
                    self._cond.notify_all()
                    return
                records = self._fetched[number]
            error: BaseException | None = None
            if self._on_page is not None:
                try:
                    self._on_page(records)
                except BaseException as exc:  # handed to the reader, at this page
                    error = exc
            with self._cond:
                self._announced = number
                if error is not None:
                    del self._fetched[number]
                    self._errors[number] = error
                elif not self._keep:
                    del self._fetched[number]
                    self._read = number
                    self._submit_ready()
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
        # Set again when the pool grows or shrinks.
        self.window = window
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
            queue.fill(self.window)

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
            queue.fill(self.window)
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


class Prefetcher:
    """Fetches the pages that streams ask for, ahead of the writer, on one pool of workers.

    The tap hands one to each stream when it builds them; the run opens it with the fetcher
    (the client) and the number of workers once the settings are known. Streams say what to
    request (`PageRequest`); the prefetcher pages it.
    """

    def __init__(self, order: tuple[str, ...] = ()) -> None:
        # The writer's order of top-level streams: the pool serves the first ones first.
        self.order = order
        self._fetcher: Fetcher | None = None
        self._ceiling = 1
        self.scheduler = Scheduler(1)
        self.children = ChildPartitions(window=CHILD_WINDOW_PER_WORKER)
        # Whether a parent's page announces its child partitions (not in `--test`).
        self.prefetch_children = True
        # Records per territory from E4, as its pages come: its users' pages go at once.
        self.member_counts: dict[str, int] = {}
        # Who is in which territory, when this run derives user_territories (derived.py).
        self.membership: Membership | None = None

    def open(self, fetcher: Fetcher, workers: int, ceiling: int) -> None:
        """Fetch with `fetcher` on `workers` threads (at most `ceiling` ever), for one run."""
        self._fetcher = fetcher
        self._ceiling = max(1, ceiling)
        self.scheduler = Scheduler(workers)
        self.children = ChildPartitions(window=max(1, workers) * CHILD_WINDOW_PER_WORKER)
        self.prefetch_children = True
        self.member_counts = {}
        self.membership = None

    def set_workers(self, workers: int) -> None:
        """Run `workers` fetches at once from now on (the limit was set or lowered)."""
        self.scheduler.set_workers(workers)
        self.children.window = max(1, workers) * CHILD_WINDOW_PER_WORKER

    def ahead(self, request: PageRequest) -> int:
        """Pages the request's list may fetch before its reader takes them.

        RECORDS_AHEAD records; for a list whose pages are fetched at once, enough pages to keep
        every worker busy.
        """
        pages = max(1, RECORDS_AHEAD // (request.endpoint.per_page or 1))
        return max(pages, self._ceiling) if request.total is not None else pages

    def chain(
        self,
        request: PageRequest,
        priority: Priority,
        on_page: OnPage | None = None,
        *,
        keep: bool = True,
    ) -> PageChain:
        """A not-yet-started chain of the request's pages.

        With `keep=False` nobody reads it: its pages only go to `on_page`.
        """
        fetcher = self._fetcher
        if fetcher is None:
            msg = "the prefetcher is not open: the run has not started"
            raise RuntimeError(msg)
        total = request.total
        return PageChain(
            self.scheduler,
            priority,
            functools.partial(fetcher.page, request),
            ahead=self.ahead(request),
            per_page=request.endpoint.per_page,
            total=functools.partial(fetcher.count, total)
            if isinstance(total, CountRequest)
            else total,
            on_page=on_page,
            keep=keep,
        )

    def close(self, timeout: float) -> None:
        """Drop what is queued; give running fetches up to `timeout` seconds."""
        self.scheduler.close(timeout=timeout)
