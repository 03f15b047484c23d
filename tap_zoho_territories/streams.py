"""The tap's streams, one class each (DESIGN §3)."""

from __future__ import annotations

import functools
import json
from collections.abc import Generator, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib import RecordMessage, StateMessage
from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE
from typing_extensions import override

from tap_zoho_territories import schemas
from tap_zoho_territories.prefetch import CountRequest, PageChain, PageRequest, Prefetcher
from tap_zoho_territories.records import RecordShaper, to_utc
from zoho_crm_api import endpoints
from zoho_crm_api.concurrency import edition
from zoho_crm_api.endpoints import Endpoint
from zoho_crm_api.errors import ZohoAccessError, ZohoAPIError, ZohoError
from zoho_crm_api.values import ref_id, to_int, zoho_time

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_zoho_territories.runtime import SyncRuntime
    from tap_zoho_territories.tap import TapZohoTerritories

ALL_USERS, DELETED_USERS, DELETED = "AllUsers", "DeletedUsers", "deleted"

# The order in which the writer takes streams: long chains of sequential pages first, so that
# the child partitions of territories and groups are fetched in parallel meanwhile.
SYNC_ORDER = (
    # One call, first: with `max_concurrency: auto` its answer sets the calls in flight.
    "organization",
    "users",
    "territory_associated_user_counts",
    "user_group_associated_user_counts",
    "territories",
    "user_groups",
)


class ZohoStream(Stream):
    """A Zoho list endpoint read page by page through the shared fetch pool."""

    name: str
    # What the stream reads (its page size is the largest the endpoint allows).
    endpoint: ClassVar[Endpoint]
    schema_dict: ClassVar[dict]
    # For children: the context key that carries the parent's id, used as `{id}` in the path.
    context_key: ClassVar[str | None] = None
    # Timestamps written in UTC, and the `{name, id}` reference whose id becomes `parent_id`.
    time_fields: ClassVar[tuple[str, ...]] = ("created_time", "modified_time")
    parent_ref: ClassVar[str | None] = None
    # Records are parsed JSON with counts made integers in `transform`: every value already has
    # its schema type, so the SDK's per-value conformance pass (the largest CPU cost) is skipped.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: TapZohoTerritories, prefetcher: Prefetcher) -> None:
        super().__init__(tap, schema=self.schema_dict, name=self.name)
        self.prefetcher = prefetcher
        # Selected child streams and what each partition of theirs asks for (see make_chain).
        self._children: list[tuple[ZohoStream, PageRequest]] | None = None
        # The selected child streams, one partition per record (progress lines count them).
        self._partitioned: list[str] = []
        self._schema_written = False
        self._shape = RecordShaper(self.schema_dict["properties"])
        self._unknown_reported: set[str] = set()

    @property
    def runtime(self) -> SyncRuntime:
        """The run's shared client and fetch pool."""
        return self._tap.runtime  # type: ignore[attr-defined]

    @property
    def lineage(self) -> list[str]:
        """The names of this stream and its ancestors, the top-level stream last."""
        names = []
        stream: type[Stream] | None = type(self)
        while stream is not None:
            names.append(stream.name)  # type: ignore[misc]
            stream = stream.parent_stream_type
        return names

    @property
    def rank(self) -> int:
        """Position of this stream (or its top-level ancestor) in the writer's order."""
        name, order = self.lineage[-1], self.prefetcher.order
        return order.index(name) if name in order else len(order)

    # Requests

    def request_params(self, context: Context | None) -> dict[str, Any]:
        """Query parameters besides paging."""
        return {}

    def request_headers(self, context: Context | None) -> dict[str, str]:
        """Extra request headers."""
        return {}

    def bookmark(self, context: Context | None) -> str | None:
        """Where an incremental run starts (state, else start_date); None for full table."""
        if self.replication_method != "INCREMENTAL":
            return None
        # The SDK records the starting value when the stream starts syncing; pages are
        # requested before that, so record it now (the same value, from state and config).
        self._write_starting_replication_value(context)
        value = self.get_starting_replication_key_value(context)
        return str(value) if value else None

    def page_request(self, context: Context | None) -> PageRequest:
        """What to ask Zoho for one partition (on the writer thread: it reads the bookmark)."""
        return PageRequest(
            stream=self.name,
            endpoint=self.endpoint,
            path={"id": str(context[self.context_key])} if context and self.context_key else None,
            params=self.request_params(context),
            headers=self.request_headers(context),
            total=self.page_total(context),
            child=context is not None,
        )

    def child_template(self) -> PageRequest:
        """What each partition of this child stream asks for, but its parent's id.

        Stated once, on the writer thread, so that a parent's page can start its children's
        reads in a worker thread without reading the SDK's state there.
        """
        return PageRequest(
            stream=self.name,
            endpoint=self.endpoint,
            params=self.request_params(None),
            headers=self.request_headers(None),
            child=True,
        )

    def for_parent(self, template: PageRequest, parent_id: str) -> PageRequest:
        """The template for one parent (in a worker thread: no SDK state is read)."""
        total = self.page_total({str(self.context_key): parent_id})
        return replace(template, path={"id": parent_id}, total=total)

    def page_total(self, context: Context | None) -> int | CountRequest | None:
        """The records the list holds, when known, or the call that counts them.

        Then every page is fetched at once; None: one page after another.
        """
        return None

    def observe_page(self, request: PageRequest, records: list[dict[str, Any]]) -> None:
        """Look at a page's raw records before anything else does (in a worker thread)."""

    @property
    def read_per_parent(self) -> bool:
        """True for a child stream whose partitions each parent's page starts (its own calls)."""
        return True

    def priority(self, child: bool) -> tuple[int, int]:
        """The pool runs the pages the writer needs first: by stream, parents before children."""
        return (self.rank, int(child))

    def make_chain(self, context: Context | None) -> PageChain:
        """A not-yet-started chain of this stream's pages for one partition (writer thread)."""
        self._prepare_children()
        return self.chain_for(self.page_request(context))

    def chain_for(self, request: PageRequest) -> PageChain:
        """A not-yet-started chain of a request's pages; each page announces its children."""
        children, partitioned = self._children, self._partitioned

        def on_page(records: list[dict[str, Any]]) -> None:
            self.observe_page(request, records)
            if partitioned:
                self.runtime.progress.found(partitioned, len(records))
            if children and self.prefetcher.prefetch_children:
                keys = [str(record["id"]) for record in records]
                for child, template in children:
                    make = functools.partial(child.chain_from, template)
                    self.prefetcher.children.register(child.name, keys, make)

        return self.prefetcher.chain(request, self.priority(request.child), on_page)

    def chain_from(self, template: PageRequest, parent_id: str) -> PageChain:
        """A not-yet-started chain of this child stream for one parent (a worker thread)."""
        return self.chain_for(self.for_parent(template, parent_id))

    def _prepare_children(self) -> None:
        """The selected child streams and their requests, once (on the writer thread)."""
        if self._children is not None:
            return
        self._children = []
        for child in self.child_streams:
            wanted = child.selected or child.has_selected_descendents
            if isinstance(child, ZohoStream) and wanted:
                self._partitioned.append(child.name)
                if child.read_per_parent:
                    child._prepare_children()
                    self._children.append((child, child.child_template()))

    # Records

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Records of one partition, from pages fetched ahead by the pool."""
        runtime = self.runtime
        if runtime.is_gated(self.name):
            return
        try:
            for chain in self.chains(context):
                for page in chain:
                    runtime.progress.read(self.name, len(page))
                    for raw in page:
                        yield self.transform(raw, context)
        except ZohoAccessError as exc:
            runtime.gate(self.name, exc)
        except ZohoError as exc:
            if context is None:
                raise  # the SDK ends the stream here; its bookmark does not advance
            # A child partition that cannot be read stops the run, but the parent's records
            # and the partitions already fetched are still written; the stream is not complete.
            runtime.stop(exc)
            runtime.mark_incomplete(self)
            return
        if context is not None:
            runtime.progress.partition_read(self.name)
        unknown = self._shape.unknown - self._unknown_reported
        if unknown:
            self.logger.warning(
                "Zoho sent fields that the %s schema lacks; they were left out: %s",
                self.name,
                ", ".join(sorted(unknown)),
            )
            self._unknown_reported |= unknown

    def chains(self, context: Context | None) -> list[PageChain]:
        """The started list calls whose pages make up one partition, read in this order."""
        if context is None:
            return [self.runtime.top_chain(self)]
        key = str(context[self.context_key])  # type: ignore[index]
        taken = self.prefetcher.children.take(self.name, key)
        return [taken or self.make_chain(context).start()]

    def transform(self, raw: dict[str, Any], context: Context | None) -> dict[str, Any]:
        """One API object as a record: lower-case keys, schema fields only, UTC timestamps."""
        record = self._shape(raw)
        for field in self.time_fields:
            if field in record:
                record[field] = to_utc(record[field])
        if context and self.context_key:
            record[self.context_key] = context[self.context_key]
        if self.parent_ref:
            record["parent_id"] = ref_id(record.get(self.parent_ref))
        return record

    @override
    def get_child_context(self, record: dict, context: Context | None) -> dict:
        """Children are keyed by this record's id (see each child's `context_key`)."""
        return {child.context_key: record["id"] for child in self.child_streams}  # type: ignore[attr-defined]

    @override
    def finalize_state_progress_markers(self, state: dict | None = None) -> None:
        """Called by the SDK once a top-level stream, and then each child, synced completely."""
        super().finalize_state_progress_markers(state)
        if state is None:
            self._activate_version()
        top_level = state is None and self.parent_stream_type is None
        if top_level and not self.runtime.is_incomplete(self.name):
            self._tap.completed_streams.add(self.name)  # type: ignore[attr-defined]

    # ACTIVATE_VERSION

    @override
    def _write_activate_version_message(self, full_table_version: int) -> None:
        """Deferred: the SDK calls this when each partition starts; see `_activate_version`.

        SDK internal (in tests/unit/test_sdk_contract.py). The SDK writes ACTIVATE_VERSION before
        the records, once per parent record for a child stream: a target that acts on it would
        drop the old rows before the new ones arrive (and for good if the run then fails), and
        do it once per parent. RECORD messages still carry the version the SDK sets here.
        """

    def _activate_version(self) -> None:
        """One ACTIVATE_VERSION for the whole stream, after all its records, when it is complete.

        Only for a selected full-table stream that was read in full: not after `--test` (the SDK
        does not finalize it), in a run that is stopping, when a partition of it or of its
        parent could not be read, or when this stream or a parent was skipped.
        """
        if not (
            self.selected
            and self.replication_method == REPLICATION_FULL_TABLE
            and self.emit_activate_version_messages
        ):
            return
        runtime = self.runtime
        if runtime.stopping or runtime.is_incomplete(self.lineage[-1]):
            return  # a partition was not read, or later calls were refused
        if any(runtime.is_gated(name) for name in self.lineage):
            return
        # A child whose parents had no record never synced: the target needs its SCHEMA first.
        self._write_schema_message()
        super()._write_activate_version_message(self.table_version)
        # And STATE after it, as after the records: a target checkpoints on STATE. (The SDK's
        # state writer sends nothing when the state did not change, so it is written here.)
        self._tap.write_message(StateMessage(value=self.tap_state))

    @property
    def table_version(self) -> int:
        """The run's version of every full-table stream: the tap's start in seconds (as the SDK)."""
        return self._tap.initialized_at // 1000

    @override
    def _generate_record_messages(self, record: dict) -> Generator[RecordMessage, None, None]:
        """RECORD messages, without the SDK's per-record walks when they cannot change anything.

        The SDK prunes deselected properties and conforms types for every record; records here
        carry only schema fields with JSON types already, so both are skipped unless the catalog
        deselects a property (then the SDK's own path runs).
        """
        if self._prune_needed:
            yield from super()._generate_record_messages(record)
            return
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=utc_now(),
                )

    @property
    def _prune_needed(self) -> bool:
        """True when the catalog deselects any property of this stream."""
        needed = self.__dict__.get("_prune_cache")
        if needed is None:
            needed = not all(self.mask.values())
            self.__dict__["_prune_cache"] = needed
        return needed

    @override
    def _write_schema_message(self) -> None:
        """Write SCHEMA once per stream, not once per parent record as the SDK would."""
        if not self._schema_written:
            self._schema_written = True
            super()._write_schema_message()


class TerritoriesStream(ZohoStream):
    """E1 GET /settings/territories: every territory, with `parent_id`."""

    name = "territories"
    endpoint = endpoints.TERRITORIES_LIST
    schema_dict = schemas.TERRITORY
    primary_keys = ["id"]
    replication_key = "modified_time"
    parent_ref = "reporting_to"

    @property
    @override
    def replication_method(self) -> str:
        """Full table while ACTIVATE_VERSION is on: that is how a deleted territory is found.

        Zoho lists 2000 territories a page, so a full read costs what an incremental one does
        in orgs of up to 2000 territories; the target then marks or drops the ones gone.
        """
        if self.emit_activate_version_messages:
            return REPLICATION_FULL_TABLE
        return super().replication_method

    def request_params(self, context: Context | None) -> dict[str, Any]:
        """Incremental runs ask Zoho only for territories modified since the bookmark."""
        start = self.bookmark(context)
        if not start:
            return {}
        # Zoho has no greater-or-equal comparator; a second's overlap keeps it at-least-once.
        criterion = {
            "field": {"api_name": "modified_time"},
            "comparator": "greater_than",
            "value": zoho_time(start, minus_seconds=1),
        }
        return {"filters": json.dumps(criterion, separators=(",", ":"))}

    @override
    def chain_for(self, request: PageRequest) -> PageChain:
        """The list of territories is also where derived user_territories learns them."""
        chain = super().chain_for(request)
        membership = self.prefetcher.membership
        if membership is not None and membership.observes_streams and not request.child:
            membership.listing(chain)
        return chain

    @override
    def observe_page(self, request: PageRequest, records: list[dict[str, Any]]) -> None:
        """Derived user_territories takes each territory's name, manager and parent."""
        super().observe_page(request, records)
        membership = self.prefetcher.membership
        if membership is not None and membership.observes_streams:
            membership.add_territories(records)


class TerritoryUsersStream(ZohoStream):
    """E5 GET /settings/territories/{id}/users, for each territory."""

    name = "territory_users"
    endpoint = endpoints.TERRITORY_USERS
    schema_dict = schemas.TERRITORY_USER
    primary_keys = ["territory_id", "id"]
    parent_stream_type = TerritoriesStream
    context_key = "territory_id"
    state_partitioning_keys = []
    ignore_parent_replication_key = True

    def page_total(self, context: Context | None) -> int | None:
        """The territory's E4 count, when territory_associated_user_counts read it already.

        (Also called in a worker thread, from `for_parent`: it reads no SDK state.)
        """
        return (
            self.prefetcher.member_counts.get(str(context[self.context_key])) if context else None
        )

    @override
    def chain_for(self, request: PageRequest) -> PageChain:
        """A territory's users are also what derived user_territories is made of."""
        chain = super().chain_for(request)
        membership = self.prefetcher.membership
        if membership is not None and membership.observes_streams and request.path:
            membership.tracking(request.path["id"], chain)
        return chain

    @override
    def observe_page(self, request: PageRequest, records: list[dict[str, Any]]) -> None:
        """Derived user_territories takes the territory's users."""
        super().observe_page(request, records)
        membership = self.prefetcher.membership
        if membership is not None and membership.observes_streams and request.path:
            membership.add_members(request.path["id"], records)


class AssociatedUserCountsStream(ZohoStream):
    """Counts of associated users, one per `{name, id}` reference named by `counted`."""

    counted: ClassVar[str]

    def transform(self, raw: dict[str, Any], context: Context | None) -> dict[str, Any]:
        """Adds `<counted>_id`; `count` becomes an integer (E4 sends a string, E14 a number)."""
        record = super().transform(raw, context)
        record[f"{self.counted}_id"] = ref_id(record.get(self.counted))
        record["count"] = to_int(record.get("count"))
        return record


class TerritoryAssociatedUserCountsStream(AssociatedUserCountsStream):
    """E4 GET /settings/territories/actions/associated_users_count."""

    name = "territory_associated_user_counts"
    endpoint = endpoints.TERRITORY_USER_COUNTS
    counted = "territory"
    schema_dict = schemas.TERRITORY_USER_COUNT
    primary_keys = ["territory_id"]

    def observe_page(self, request: PageRequest, records: list[dict[str, Any]]) -> None:
        """Each territory's count, so that its users' pages (E5) can be fetched at once."""
        for raw in records:
            territory, count = ref_id(raw.get("territory")), raw.get("count")
            if territory is not None and isinstance(count, (str, int)) and str(count).isdigit():
                self.prefetcher.member_counts[territory] = int(count)


class UsersStream(ZohoStream):
    """E8 GET /users?type=AllUsers (setting `user_type`), incremental by If-Modified-Since."""

    name = "users"
    endpoint = endpoints.USERS_LIST
    schema_dict = schemas.USER
    primary_keys = ["id"]
    replication_key = "modified_time"

    @property
    def user_type(self) -> str:
        """The `type` of users read (setting `user_type`)."""
        return str(self.config.get("user_type") or ALL_USERS)

    @property
    def reads_deleted_users(self) -> bool:
        """True for AllUsers (the default), which is active and inactive users only.

        Not when only a child stream is selected: deleted users have no territories.
        """
        return self.user_type == ALL_USERS and self.selected

    def request_params(self, context: Context | None) -> dict[str, Any]:
        """The kind of users to read."""
        return {"type": self.user_type}

    def request_headers(self, context: Context | None) -> dict[str, str]:
        """Incremental runs send If-Modified-Since; Zoho answers 304 when nothing changed."""
        start = self.bookmark(context)
        return {"If-Modified-Since": zoho_time(start, minus_seconds=1)} if start else {}

    def page_total(self, context: Context | None) -> CountRequest | None:
        """A full read counts the users first (E9, beside page 1), then asks for every page.

        Not on incremental runs: E9 takes no If-Modified-Since, so its count is of all users.
        """
        if self.bookmark(context):
            return None
        return CountRequest(endpoints.USERS_COUNT, self.request_params(context))

    @override
    def chains(self, context: Context | None) -> list[PageChain]:
        """AllUsers, then every deleted user (`type=DeletedUsers`, in full: one call per 200).

        Deleted users are read on incremental runs too and without If-Modified-Since: whether
        Zoho moves `Modified_Time` when it deletes a user is not documented, and a deletion
        missed once would never be read again. They are fetched alongside AllUsers's pages.
        """
        chains = super().chains(context)
        if self.reads_deleted_users:
            request = PageRequest(self.name, self.endpoint, params={"type": DELETED_USERS})
            deleted = self.prefetcher.chain(request, self.priority(False), _mark_deleted)
            chains.append(deleted.start())
        return chains

    def _is_listed_deleted(self, record: dict[str, Any]) -> bool:
        return self.reads_deleted_users and record.get("status") == DELETED

    @override
    def _increment_stream_state(
        self, latest_record: dict[str, Any], *, context: Context | None = None
    ) -> None:
        """The bookmark follows AllUsers only (SDK internal, in tests/unit/test_sdk_contract.py).

        Deleted users are all read again each run: their older `modified_time` would otherwise
        pull the bookmark back when AllUsers has nothing newer.
        """
        if not self._is_listed_deleted(latest_record):
            super()._increment_stream_state(latest_record, context=context)

    @override
    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterable[Context | None]:
        """No child partition for a deleted user: Zoho took their territories away."""
        if not self._is_listed_deleted(record):
            yield from super().generate_child_contexts(record, context)


def _mark_deleted(records: list[dict[str, Any]]) -> None:
    """Each user of a `type=DeletedUsers` page gets `status: deleted` (a worker thread)."""
    for raw in records:
        raw["status"] = DELETED


class UserTerritoriesStream(ZohoStream):
    """E10 GET /users/{id}/territories, for each user (not selected by default)."""

    name = "user_territories"
    endpoint = endpoints.USER_TERRITORIES
    schema_dict = schemas.USER_TERRITORY
    primary_keys = ["user_id", "id"]
    parent_stream_type = UsersStream
    context_key = "user_id"
    state_partitioning_keys = []
    ignore_parent_replication_key = True
    selected_by_default = False
    # E10 capitalises `Name`, `Manager` and `Reporting_To` (lower-cased like every key).
    parent_ref = "reporting_to"

    def __init__(self, tap: TapZohoTerritories, prefetcher: Prefetcher) -> None:
        super().__init__(tap, prefetcher)
        # Why deriving failed, after which each user's territories are read with E10.
        self._derive_failed: ZohoError | None = None

    @property
    def derived(self) -> bool:
        """True when this run builds user_territories from E1 and E5 (see derived.py)."""
        return self.prefetcher.membership is not None and self._derive_failed is None

    @property
    @override
    def read_per_parent(self) -> bool:
        """Derived, no E10 call is made per user."""
        return not self.derived

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """E10's records for one user: derived from the membership, or read with E10."""
        membership = self.prefetcher.membership
        if membership is None or not self.derived or context is None:
            yield from super().get_records(context)
            return
        try:
            membership.wait()
        except ZohoError as exc:
            if self.runtime.stopping or not isinstance(exc, ZohoAPIError):
                self.runtime.stop(exc)
                self.runtime.mark_incomplete(self)
                return
            self._derive_failed = exc
            self.logger.warning(
                "user_territories: the territories' users could not be read (%s); reading "
                "each user's territories instead (one call per user).",
                exc,
            )
            yield from super().get_records(context)
            return
        records = membership.records(str(context[self.context_key]))
        self.runtime.progress.read(self.name, len(records))
        yield from records
        self.runtime.progress.partition_read(self.name)


class UserGroupsStream(ZohoStream):
    """E13 GET /settings/user_groups."""

    name = "user_groups"
    endpoint = endpoints.USER_GROUPS
    schema_dict = schemas.USER_GROUP
    primary_keys = ["id"]

    def transform(self, raw: dict[str, Any], context: Context | None) -> dict[str, Any]:
        """Counts live in their own stream; drop the list's optional copy."""
        record = super().transform(raw, context)
        record.pop("sources_count", None)
        return record


class UserGroupAssociatedUserCountsStream(AssociatedUserCountsStream):
    """E14 GET /settings/user_groups/actions/associated_users_count."""

    name = "user_group_associated_user_counts"
    endpoint = endpoints.GROUP_USER_COUNTS
    counted = "user_group"
    schema_dict = schemas.USER_GROUP_USER_COUNT
    primary_keys = ["user_group_id"]


class UserGroupSourcesCountsStream(ZohoStream):
    """E16 GET /settings/user_groups/{id}/actions/sources_count, for each group."""

    name = "user_group_sources_counts"
    endpoint = endpoints.GROUP_SOURCES_COUNT
    schema_dict = schemas.USER_GROUP_SOURCES_COUNT
    primary_keys = ["user_group_id"]
    parent_stream_type = UserGroupsStream
    context_key = "user_group_id"
    state_partitioning_keys = []

    def transform(self, raw: dict[str, Any], context: Context | None) -> dict[str, Any]:
        """Counts as integers; `users` split by status."""
        record = super().transform(raw, context)
        for key in ("roles", "territories", "groups"):
            record[key] = to_int(record.get(key))
        users = record.get("users")
        if isinstance(users, dict):
            record["users"] = {k: to_int(v) for k, v in users.items()}
        elif users is not None:
            # The v7 sample sends a bare number of users (zoho-api.md §7 note 9).
            record["users"] = {"active": to_int(users), "inactive": None, "deleted": None}
        return record


class UserGroupSourcesStream(ZohoStream):
    """E15 GET /settings/user_groups/{id}/sources, for each group."""

    name = "user_group_sources"
    endpoint = endpoints.GROUP_SOURCES
    schema_dict = schemas.USER_GROUP_SOURCE
    primary_keys = ["user_group_id", "type", "source_id"]
    parent_stream_type = UserGroupsStream
    context_key = "user_group_id"
    state_partitioning_keys = []

    def transform(self, raw: dict[str, Any], context: Context | None) -> dict[str, Any]:
        """Adds `source_id` from `source.id`."""
        record = super().transform(raw, context)
        record["source_id"] = ref_id(record.get("source"))
        return record


class RolesStream(ZohoStream):
    """E18 GET /settings/roles: every role (one call, no paging), with `parent_id`."""

    name = "roles"
    endpoint = endpoints.ROLES_LIST
    schema_dict = schemas.ROLE
    primary_keys = ["id"]
    # E18's audit keys end in `__s` (zoho-api.md §10).
    time_fields = ("created_time__s", "modified_time__s")
    parent_ref = "reporting_to"


class ProfilesStream(ZohoStream):
    """E19 GET /settings/profiles: every profile (one call; `info` holds no paging)."""

    name = "profiles"
    endpoint = endpoints.PROFILES_LIST
    schema_dict = schemas.PROFILE
    primary_keys = ["id"]


class OrganizationStream(ZohoStream):
    """E20 GET /org: the one organisation, with its `edition`."""

    name = "organization"
    endpoint = endpoints.ORGANIZATION
    schema_dict = schemas.ORGANIZATION
    primary_keys = ["id"]

    def observe_page(self, request: PageRequest, records: list[dict[str, Any]]) -> None:
        """The edition sets `max_concurrency: auto`: this call is the one the tap makes for it."""
        self.runtime.organization_page(records)

    def transform(self, raw: dict[str, Any], context: Context | None) -> dict[str, Any]:
        """Adds `edition`, derived from `license_details` (zoho-api.md §10 "Edition")."""
        record = super().transform(raw, context)
        record["edition"], unknown = edition(record.get("license_details"))
        if unknown is not None:
            self.logger.warning(
                "GET /org: license_details.paid_type %s names no known edition; edition is "
                "'free', the one with the lowest limits.",
                unknown,
            )
        return record


STREAM_TYPES: tuple[type[ZohoStream], ...] = (
    TerritoriesStream,
    TerritoryUsersStream,
    TerritoryAssociatedUserCountsStream,
    UsersStream,
    UserTerritoriesStream,
    UserGroupsStream,
    UserGroupAssociatedUserCountsStream,
    UserGroupSourcesCountsStream,
    UserGroupSourcesStream,
    RolesStream,
    ProfilesStream,
    OrganizationStream,
)
