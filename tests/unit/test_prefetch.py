"""The prefetcher with a fake fetch function: paging by count or chain, order, window, errors.

Most tests run the chain's tasks by hand (`ManualScheduler`), so every step is deterministic;
a few use the real thread pool to show that counted pages are in flight together.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import pytest

from tap_zoho_territories.prefetch import (
    RECORDS_AHEAD,
    ChildPartitions,
    CountRequest,
    PageChain,
    PageRequest,
    Prefetcher,
    Scheduler,
)
from zoho_crm_api.client import Page
from zoho_crm_api.endpoints import Endpoint

PER_PAGE = 3
# A barrier that is never met fails the test instead of hanging it.
BARRIER_TIMEOUT = 20


class ManualScheduler(Scheduler):
    """Keeps submitted tasks until the test runs them."""

    def __init__(self) -> None:
        super().__init__(1)
        self.tasks: list[Callable[[], object]] = []

    def submit(self, priority: tuple[int, ...], task: Callable[[], object]) -> None:
        self.tasks.append(task)

    def run_all(self) -> int:
        """Run tasks (and the ones they submit) until none is left; return how many ran."""
        ran = 0
        while self.tasks:
            self.tasks.pop(0)()
            ran += 1
        return ran


class FakeList:
    """A list endpoint over `records`, `PER_PAGE` a page, as Zoho pages it (a 204 past the end)."""

    def __init__(self, n: int) -> None:
        self.records = [{"id": str(i)} for i in range(n)]
        self.calls: list[int] = []
        self.lock = threading.Lock()
        # Called with the page number before the page is cut from `records`.
        self.before: Callable[[int], None] | None = None

    def fetch(self, number: int) -> Page:
        with self.lock:
            self.calls.append(number)
        if self.before is not None:
            self.before(number)
        with self.lock:
            start = (number - 1) * PER_PAGE
            chunk = [dict(r) for r in self.records[start : start + PER_PAGE]]
            more = start + PER_PAGE < len(self.records) and bool(chunk)
        return Page(chunk, more=more, number=number)

    def add(self, n: int) -> None:
        with self.lock:
            first = len(self.records)
            self.records += [{"id": str(first + i)} for i in range(n)]

    def drop_last(self, n: int) -> None:
        with self.lock:
            del self.records[-n:]


def chain(scheduler: Scheduler, source: FakeList, *, ahead: int = 100, **options: Any) -> PageChain:
    return PageChain(scheduler, (0,), source.fetch, ahead=ahead, per_page=PER_PAGE, **options)


def ids(pages: list[list[dict[str, Any]]]) -> list[str]:
    return [r["id"] for page in pages for r in page]


def read_all(scheduler: ManualScheduler, pages: PageChain) -> list[list[dict[str, Any]]]:
    """Read a chain to its end, running the fetch tasks whenever the reader would wait."""
    out: list[list[dict[str, Any]]] = []
    iterator = iter(pages)
    while True:
        scheduler.run_all()
        try:
            out.append(next(iterator))
        except StopIteration:
            return out


def test_without_a_total_pages_follow_one_another() -> None:
    scheduler, source = ManualScheduler(), FakeList(10)
    pages = chain(scheduler, source).start()
    # Only page 1 may be asked for: page 2 exists only if page 1 says more_records.
    assert len(scheduler.tasks) == 1
    scheduler.tasks.pop(0)()
    assert len(scheduler.tasks) == 1  # page 2, now that page 1 said there is more
    assert ids(read_all(scheduler, pages)) == [str(i) for i in range(10)]
    assert source.calls == [1, 2, 3, 4]


def test_with_a_known_total_every_page_is_asked_for_at_once() -> None:
    scheduler, source = ManualScheduler(), FakeList(10)
    pages = chain(scheduler, source, total=10).start()
    assert len(scheduler.tasks) == 4  # ceil(10 / 3): no page waits for the one before
    assert ids(read_all(scheduler, pages)) == [str(i) for i in range(10)]
    assert sorted(source.calls) == [1, 2, 3, 4]


def test_an_exact_multiple_makes_no_call_past_the_last_page() -> None:
    scheduler, source = ManualScheduler(), FakeList(9)
    assert ids(read_all(scheduler, chain(scheduler, source, total=9).start())) == [
        str(i) for i in range(9)
    ]
    assert sorted(source.calls) == [1, 2, 3]


def test_a_total_of_zero_still_reads_the_first_page() -> None:
    scheduler, source = ManualScheduler(), FakeList(0)
    assert ids(read_all(scheduler, chain(scheduler, source, total=0).start())) == []
    assert source.calls == [1]


def test_a_count_call_runs_beside_the_first_page() -> None:
    scheduler, source = ManualScheduler(), FakeList(10)
    counted: list[str] = []

    def count() -> int:
        counted.append("count")
        return len(source.records)

    pages = chain(scheduler, source, total=count).start()
    assert len(scheduler.tasks) == 2  # the count and page 1, side by side
    scheduler.tasks.pop(0)()  # the count: pages 2-4 may now go
    assert counted == ["count"]
    assert len(scheduler.tasks) == 4
    assert ids(read_all(scheduler, pages)) == [str(i) for i in range(10)]
    assert sorted(source.calls) == [1, 2, 3, 4]


def test_a_failed_count_falls_back_to_one_page_after_another() -> None:
    scheduler, source = ManualScheduler(), FakeList(7)

    def count() -> int:
        raise RuntimeError("E9 refused")

    pages = chain(scheduler, source, total=count).start()
    assert ids(read_all(scheduler, pages)) == [str(i) for i in range(7)]
    assert source.calls == [1, 2, 3]


def test_records_added_after_the_count_are_read_past_the_counted_last_page() -> None:
    scheduler, source = ManualScheduler(), FakeList(6)
    # The count says 6 (2 pages); before any page is read, 5 records are added (as the
    # emulator's add-users puts them last).
    pages = chain(scheduler, source, total=6).start()
    source.add(5)
    got = ids(read_all(scheduler, pages))
    assert got == [str(i) for i in range(11)]  # nothing lost, nothing twice
    assert sorted(source.calls) == [1, 2, 3, 4]


def test_records_removed_after_the_count_end_the_list_at_the_short_page() -> None:
    scheduler, source = ManualScheduler(), FakeList(12)
    pages = chain(scheduler, source, total=12).start()  # 4 pages asked for at once
    source.drop_last(8)  # 4 left: page 2 comes back short, pages 3 and 4 empty
    got = ids(read_all(scheduler, pages))
    assert got == ["0", "1", "2", "3"]
    assert sorted(source.calls) == [1, 2, 3, 4]


def test_a_page_that_says_no_more_ends_the_list_even_if_a_later_one_came_first() -> None:
    scheduler, source = ManualScheduler(), FakeList(12)
    pages = chain(scheduler, source, total=12).start()
    page1, page2, page3, page4 = scheduler.tasks
    scheduler.tasks.clear()
    page4()  # fetched while the list still had 12 records
    source.drop_last(7)  # then it shrinks to 5: page 2 is the last
    page1()
    page2()
    page3()
    got = ids(read_all(scheduler, pages))
    assert got == ["0", "1", "2", "3", "4"]


def test_at_most_ahead_pages_are_fetched_before_the_reader_takes_them() -> None:
    scheduler, source = ManualScheduler(), FakeList(30)
    pages = chain(scheduler, source, total=30, ahead=3).start()
    assert scheduler.run_all() == 3
    assert sorted(source.calls) == [1, 2, 3]
    iterator = iter(pages)
    next(iterator)  # the reader takes page 1: one more may go
    assert scheduler.run_all() == 1
    assert sorted(source.calls) == [1, 2, 3, 4]
    rest = [next(iterator)]
    while True:
        scheduler.run_all()
        try:
            rest.append(next(iterator))
        except StopIteration:
            break
    assert len(rest) == 9
    assert len(source.calls) == 10


def test_pages_are_announced_in_order_before_the_reader_sees_them() -> None:
    scheduler, source = ManualScheduler(), FakeList(9)
    announced: list[list[str]] = []
    pages = chain(
        scheduler, source, total=9, on_page=lambda records: announced.append(ids([records]))
    ).start()
    first, second, third = scheduler.tasks
    scheduler.tasks.clear()
    third()
    second()
    assert announced == []  # page 1 is not there yet: nothing after it is announced
    first()
    assert announced == [["0", "1", "2"], ["3", "4", "5"], ["6", "7", "8"]]
    assert ids(list(pages)) == [str(i) for i in range(9)]


def test_an_error_is_raised_at_its_page_after_the_pages_before_it() -> None:
    scheduler, source = ManualScheduler(), FakeList(12)

    def fail_on_three(number: int) -> None:
        if number == 3:
            raise ConnectionError("page 3 broke")

    source.before = fail_on_three
    pages = chain(scheduler, source, total=12).start()
    scheduler.run_all()
    iterator = iter(pages)
    assert ids([next(iterator), next(iterator)]) == ["0", "1", "2", "3", "4", "5"]
    with pytest.raises(ConnectionError, match="page 3 broke"):
        next(iterator)


def test_an_error_past_the_last_page_is_not_raised() -> None:
    scheduler, source = ManualScheduler(), FakeList(12)
    pages = chain(scheduler, source, total=12).start()
    source.drop_last(9)  # page 1 is the last now

    def fail_on_four(number: int) -> None:
        if number == 4:
            raise TimeoutError

    source.before = fail_on_four
    assert ids(read_all(scheduler, pages)) == ["0", "1", "2"]


def test_an_error_in_on_page_is_raised_at_that_page() -> None:
    scheduler, source = ManualScheduler(), FakeList(6)

    def refuse(records: list[dict[str, Any]]) -> None:
        if records[0]["id"] == "3":
            raise ValueError("cannot announce")

    pages = chain(scheduler, source, on_page=refuse).start()
    scheduler.run_all()
    iterator = iter(pages)
    assert ids([next(iterator)]) == ["0", "1", "2"]
    with pytest.raises(ValueError, match="cannot announce"):
        next(iterator)


def test_a_chain_nobody_reads_hands_every_page_to_on_page() -> None:
    scheduler, source = ManualScheduler(), FakeList(20)
    seen: list[str] = []
    pages = chain(
        scheduler, source, total=20, ahead=2, keep=False, on_page=lambda r: seen.extend(ids([r]))
    ).start()
    scheduler.run_all()
    pages.wait()
    assert pages.done
    assert seen == [str(i) for i in range(20)]
    assert sorted(source.calls) == list(range(1, 8))


def test_counted_pages_are_in_flight_together_on_the_real_pool() -> None:
    source = FakeList(5 * PER_PAGE)
    barrier = threading.Barrier(5, timeout=BARRIER_TIMEOUT)

    def meet(number: int) -> None:
        barrier.wait()

    source.before = meet
    scheduler = Scheduler(5)
    try:
        pages = chain(scheduler, source, total=5 * PER_PAGE).start()
        # Each fetch waits at the barrier until all five are in flight.
        assert ids(list(pages)) == [str(i) for i in range(5 * PER_PAGE)]
    finally:
        scheduler.close()


def test_the_pool_runs_the_most_urgent_task_first() -> None:
    scheduler = Scheduler(1)
    release = threading.Event()
    order: list[int] = []
    done = threading.Event()
    try:
        scheduler.submit((0,), lambda: release.wait(BARRIER_TIMEOUT))
        for priority in (5, 1, 3):
            scheduler.submit((priority,), functools.partial(order.append, priority))
        scheduler.submit((9,), done.set)
        release.set()
        assert done.wait(BARRIER_TIMEOUT)
        assert order == [1, 3, 5]
    finally:
        scheduler.close()


def test_the_pool_grows_and_shrinks() -> None:
    scheduler = Scheduler(1)
    try:
        barrier = threading.Barrier(3, timeout=BARRIER_TIMEOUT)
        scheduler.set_workers(3)
        done = [threading.Event() for _ in range(3)]

        def meet_then(event: threading.Event) -> None:
            barrier.wait()
            event.set()

        for event in done:
            scheduler.submit((0,), functools.partial(meet_then, event))
        assert all(event.wait(BARRIER_TIMEOUT) for event in done)
        scheduler.set_workers(1)
        assert scheduler.workers == 1
        finished = threading.Event()
        scheduler.submit((0,), finished.set)
        assert finished.wait(BARRIER_TIMEOUT)
    finally:
        scheduler.close()


def test_child_partitions_start_within_the_window_and_in_parent_order() -> None:
    scheduler = ManualScheduler()
    sources: dict[str, FakeList] = {}

    def make(key: str) -> PageChain:
        sources[key] = FakeList(2)
        return chain(scheduler, sources[key])

    children = ChildPartitions(window=2)
    children.register("child", ["a", "b", "c", "d"], make)
    assert sorted(sources) == ["a", "b"]  # two started ahead, two waiting
    taken = children.take("child", "a")
    assert taken is not None
    assert sorted(sources) == ["a", "b", "c"]
    # "b" is skipped (a stream map filtered its parent out): dropped; "d" starts on demand.
    assert children.take("child", "c") is not None
    assert children.take("child", "b") is None
    assert children.take("child", "d") is not None
    assert children.take("child", "zzz") is None


class FakeFetcher:
    """A Fetcher over one FakeList per endpoint route, counting what it is asked."""

    def __init__(self, source: FakeList) -> None:
        self.source = source
        self.counts: list[CountRequest] = []
        self.requests: list[PageRequest] = []

    def page(self, request: PageRequest, number: int) -> Page:
        self.requests.append(request)
        return self.source.fetch(number)

    def count(self, request: CountRequest) -> int | None:
        self.counts.append(request)
        return len(self.source.records)


def test_the_prefetcher_pages_what_a_stream_asks_for() -> None:
    source = FakeList(10)
    fetcher = FakeFetcher(source)
    prefetcher = Prefetcher()
    endpoint = Endpoint("E8", "GET", "/users", "users", (), PER_PAGE, paged=True)
    count = CountRequest(Endpoint("E9", "GET", "/users/actions/count", "count", ()), {"a": 1})
    request = PageRequest("users", endpoint, params={"type": "AllUsers"}, total=count)
    prefetcher.open(fetcher, workers=4, ceiling=4)
    try:
        assert prefetcher.ahead(request) == max(4, RECORDS_AHEAD // PER_PAGE)
        chain = prefetcher.chain(request, (0,)).start()
        assert ids(list(chain)) == [str(i) for i in range(10)]
    finally:
        prefetcher.close(timeout=BARRIER_TIMEOUT)
    assert fetcher.counts == [count]
    assert {r.params["type"] for r in fetcher.requests} == {"AllUsers"}
    assert sorted(source.calls) == [1, 2, 3, 4]


def test_a_closed_prefetcher_is_opened_afresh_for_the_next_run() -> None:
    prefetcher = Prefetcher()
    endpoint = Endpoint("E1", "GET", "/settings/territories", "territories", (), PER_PAGE)
    with pytest.raises(RuntimeError, match="not open"):
        prefetcher.chain(PageRequest("territories", endpoint), (0,))
    for _ in range(2):
        source = FakeList(4)
        prefetcher.open(FakeFetcher(source), workers=2, ceiling=2)
        try:
            assert ids(list(prefetcher.chain(PageRequest("t", endpoint), (0,)).start())) == [
                "0",
                "1",
                "2",
                "3",
            ]
        finally:
            prefetcher.close(timeout=BARRIER_TIMEOUT)
