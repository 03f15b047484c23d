"""What one sync shares between streams: the client, and how the run is going.

It fetches what the prefetcher asks for (gating a stream that Zoho refuses), and opens the
prefetcher with the calls in flight the settings (or the org's edition) allow.

It also knows how the run is going: once it must stop (a Zoho error, a signal), the client
sends nothing more, pages already fetched are still written, and streams left incomplete are
not reported as completed.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from tap_zoho_territories.derived import Membership, cheaper_to_derive
from tap_zoho_territories.prefetch import CountRequest, PageChain, PageRequest, Prefetcher
from tap_zoho_territories.progress import PlannedStream, SyncProgress, progress_line, start_line
from zoho_crm_api import endpoints
from zoho_crm_api.client import Page, ZohoClient
from zoho_crm_api.errors import ZohoAccessError, ZohoAPIError, ZohoError
from zoho_crm_api.settings import ConnectionSettings
from zoho_crm_singer.progress import Ticker

if TYPE_CHECKING:
    from tap_zoho_territories.streams import ZohoStream

# Fetch threads hold the GIL only briefly, but wait up to the switch interval (5 ms by default)
# to get it back from the busy writer thread after every answer arrives; the CLI sets this.
SWITCH_INTERVAL = 0.001
# How long closing waits for the workers: after a stop each ends within a second.
CLOSE_TIMEOUT = 2.0
# GET /org for `max_concurrency: auto` goes before every page.
EDITION_PRIORITY = (-1,)
# The stream whose one call (GET /org) says the edition.
ORGANIZATION = "organization"
USERS, USER_TERRITORIES = "users", "user_territories"
TERRITORIES, TERRITORY_USERS = "territories", "territory_users"
# The writer's order when user_territories is derived: the territories and their users first,
# so that the membership is whole when the first user's territories are written.
DERIVED_ORDER = (
    ORGANIZATION,
    "territory_associated_user_counts",
    TERRITORIES,
    USERS,
    "user_group_associated_user_counts",
    "user_groups",
)
# The membership's own reads go with the territories'.
DERIVED_RANK = DERIVED_ORDER.index(TERRITORIES)


class SyncRuntime:
    """The client, which streams are skipped, and why the run stops, for one tap run."""

    def __init__(
        self,
        settings: ConnectionSettings,
        logger: logging.Logger,
        user_agent: str,
        prefetcher: Prefetcher,
        *,
        completed: Collection[str] = (),
        progress_interval: float = 0.0,
    ) -> None:
        self.logger = logger
        self.settings = settings
        self.client = ZohoClient(settings, logger, user_agent=user_agent)
        self.prefetcher = prefetcher
        prefetcher.open(self, settings.max_concurrency, settings.concurrency_ceiling)
        # The pool follows the client's limit: the edition's (`auto`), lowered after a 429.
        self.client.concurrency.watch(prefetcher.set_workers)
        # Whether `auto` has its edition (or gave up on it).
        self._edition_known = False
        self._counts: dict[tuple[str, tuple[tuple[str, Any], ...]], int | None] = {}
        self._membership: Membership | None = None
        self._count_lock = threading.Lock()
        # How far the run is (`completed`: the top-level streams done), logged every
        # `progress_interval` seconds from the first page on.
        self.progress = SyncProgress(self.client.stats, completed)
        self._ticker = Ticker(progress_interval, self._log_progress, logger, "zoho-progress")
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

    # The prefetcher's fetcher (worker threads)

    def page(self, request: PageRequest, number: int) -> Page:
        """One page of a stream's request; nothing for a stream found unreadable."""
        if request.gate and self.is_gated(request.stream):
            return Page([], more=False, number=number)
        try:
            return self.client.get_page(
                request.endpoint,
                path=request.path,
                params=request.params,
                headers=request.headers,
                page=number,
            )
        except ZohoAccessError as exc:
            # Gate at once, so the stream's other prefetched partitions make no call.
            if request.gate:
                self.gate(request.stream, exc)
            raise
        except ZohoAPIError as exc:
            gone = exc.code == "INVALID_DATA" and "resource_path_index" in exc.details
            if request.child and gone:
                # The parent was deleted between listing it and reading its children.
                self.logger.warning("Skipping %s for %s: %s", request.stream, request.path, exc)
                return Page([], more=False, number=number)
            raise

    def count(self, request: CountRequest) -> int | None:
        """The count a count endpoint (E9) gives, or None: then pages follow one another.

        Each count is asked once per run (the plan may need it before the stream's pages).
        """
        key = (request.endpoint.route, tuple(sorted(request.params.items())))
        with self._count_lock:
            if key not in self._counts:
                self._counts[key] = self._ask_count(request)
            return self._counts[key]

    def _ask_count(self, request: CountRequest) -> int | None:
        endpoint = request.endpoint
        try:
            answer = self.client.request(endpoint, params=request.params)
        except ZohoError as exc:
            if not self.stopping:
                self.logger.info("%s failed (%s); reading page after page.", endpoint.route, exc)
            return None
        value = answer.body.get(endpoint.envelope) if answer.body else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def _read_edition(self) -> None:
        """`max_concurrency: auto`: GET /org sets the limit (a task on the pool; never raises)."""
        self._edition_known = True
        try:
            self.client.read_edition()
        except ZohoError as exc:  # the streams' own calls meet it and say so
            self.logger.debug("max_concurrency auto: GET /org failed: %s", exc)

    def organization_page(self, records: list[dict[str, Any]]) -> None:
        """The organization stream's GET /org answer sets the limit (`auto`; a worker thread)."""
        with self._lock:
            if self._edition_known or not self.settings.auto_concurrency:
                return
            self._edition_known = True
        self.client.use_edition({endpoints.ORGANIZATION.envelope: records})

    def plan(self, streams: list[ZohoStream]) -> None:
        """Prefetch these streams' pages once the first of them starts syncing.

        With `max_concurrency: auto` the edition is read first, beside the first pages: from the
        organization stream's page when it is selected (its one call comes first), else by a
        call of its own.
        """
        self._planned = [
            s
            for s in streams
            if s.parent_stream_type is None and (s.selected or s.has_selected_descendents)
        ]
        self.progress.plan(s.name for s in self._planned)
        self._streams = {s.name: s for s in streams}
        reads_org = any(s.name == ORGANIZATION for s in self._planned)
        if self.settings.auto_concurrency and not reads_org:
            self.prefetcher.scheduler.submit(EDITION_PRIORITY, self._read_edition)
        user_territories = self._streams.get(USER_TERRITORIES)
        if user_territories is not None and user_territories.selected:
            self._plan_user_territories(self._streams)

    def _plan_user_territories(self, streams: dict[str, ZohoStream]) -> None:
        """Derive user_territories from E1 and E5 when that costs fewer calls than E10 per user.

        With territory_users selected, E1 and E5 are read anyway: derived at no cost, from those
        streams' pages. Otherwise the counts decide: E9 (the users stream's own count, asked
        now) and every page of E1 (read now, beside it); E5 then costs a call per territory.
        Both parents are read in full (the SDK forces full table on a parent whose child is
        selected), so a bookmark never narrows the membership.
        """
        territory_users = streams.get(TERRITORY_USERS)
        membership = Membership(self._territory_members, observes_streams=True)
        self._membership = membership
        if territory_users is not None and territory_users.selected:
            self._derive(membership, "territory_users reads every territory's users anyway")
            return
        membership.observes_streams = False
        users = streams[USERS]
        listing = PageRequest(USER_TERRITORIES, endpoints.TERRITORIES_LIST, gate=False)
        chain = self.prefetcher.chain(
            listing, (DERIVED_RANK, 0), membership.add_territories, keep=False
        )
        membership.listing(chain)
        chain.start()
        count = self.count(CountRequest(endpoints.USERS_COUNT, users.request_params(None)))
        territories: int | None = None
        try:
            chain.wait()
            territories = membership.territories
        except ZohoError as exc:
            self.logger.info("user_territories: GET /settings/territories failed (%s).", exc)
        if cheaper_to_derive(count, territories, e5_read_anyway=False, e1_calls_left=0):
            self._derive(
                membership, f"{territories} territories cost fewer calls than {count} users"
            )
            membership.read_all()
        else:
            self.logger.info(
                "user_territories: one call per user (%s users, %s territories).",
                count,
                territories,
            )

    def _derive(self, membership: Membership, why: str) -> None:
        self.prefetcher.membership = membership
        self.prefetcher.order = DERIVED_ORDER
        self.logger.info("user_territories: derived from the territories' users (%s).", why)

    def _territory_members(self, territory: str) -> PageChain:
        """A chain of one territory's users (E5) for derived user_territories, not started."""
        prefetcher, membership = self.prefetcher, self._membership
        assert membership is not None
        request = PageRequest(
            USER_TERRITORIES,
            endpoints.TERRITORY_USERS,
            path={"id": territory},
            total=prefetcher.member_counts.get(territory),
            child=True,
            gate=False,
        )
        on_page = functools.partial(membership.add_members, territory)
        return prefetcher.chain(request, (DERIVED_RANK, 1), on_page, keep=False)

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
            unread_edition = stream == ORGANIZATION and not self._edition_known
            self._edition_known = True
        if unread_edition and self.settings.auto_concurrency:
            self.client.edition_unreadable(error)
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
        self.prefetcher.close(timeout=CLOSE_TIMEOUT)
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
