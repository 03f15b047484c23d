"""tap-zoho-territories: the Singer tap."""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
from collections.abc import Mapping
from functools import cached_property
from types import FrameType
from typing import IO, Any, NoReturn, cast

import click
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_zoho_territories.connection_test import YES, headline, judge, table, unreadable_selected
from tap_zoho_territories.output import BlockWriter
from tap_zoho_territories.prefetch import Prefetcher
from tap_zoho_territories.progress import summary_head
from tap_zoho_territories.runtime import SWITCH_INTERVAL, SyncRuntime
from tap_zoho_territories.streams import STREAM_TYPES, SYNC_ORDER, ZohoStream
from zoho_crm_api.errors import ZohoConfigError, ZohoError
from zoho_crm_api.settings import ConnectionSettings
from zoho_crm_api.values import parse_time
from zoho_crm_singer.logs import QuietLogs
from zoho_crm_singer.plugin import (
    CONNECTION_PROPERTIES,
    EXIT_FAILURES,
    RUN_PROPERTIES,
    DocumentedCommand,
    OneLineErrors,
    SecretSafeConfig,
    cli_epilog,
    log_config_errors,
    log_failure,
    read_json_object,
    unknown_settings,
    user_agent,
)
from zoho_crm_singer.progress import progress_interval

# A run stopped by a Zoho error (credits, budget, retries) leaves this in STATE: the top-level
# streams it completed. The next run within RESUME_WINDOW skips them, so a day's credits are not
# spent twice on the same data; a run that completes removes the marker.
RESUME_KEY = "zoho_resume"
# Set by `--test` (the click context's meta) for `invoke` to run the connection test.
TEST_MODE = "tap_zoho_territories.connection_test"
RESUME_WINDOW = dt.timedelta(hours=24)

USER_TYPES = [
    "AllUsers",
    "ActiveUsers",
    "DeactiveUsers",
    "ConfirmedUsers",
    "NotConfirmedUsers",
    "DeletedUsers",
    "ActiveConfirmedUsers",
    "AdminUsers",
    "ActiveConfirmedAdmins",
    "CurrentUser",
]


def bookmark_problem(state: Mapping[str, Any]) -> str | None:
    """What is wrong with a state's bookmarks (a value that is not a date-time), or None."""
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        return f"'bookmarks' is a JSON {type(bookmarks).__name__}, not an object"
    for name, bookmark in bookmarks.items():
        if not isinstance(bookmark, dict):
            return f"the bookmark of stream {name!r} is not a JSON object"
        value = bookmark.get("replication_key_value")
        if value is None or str(bookmark.get("replication_key", "")) not in INCREMENTAL_KEYS:
            continue
        try:
            parse_time(str(value))
        except ValueError:
            return f"the bookmark of stream {name!r} is {str(value)[:60]!r}, not a date-time"
    return None


def resume_advice(records: int, completed: list[str]) -> str | None:
    """What a stopped run says about re-running; None when nothing was read (no STATE helps)."""
    if not records:
        return None
    if not completed:
        return "Stopped early, before any stream was complete: a re-run reads every stream."
    return (
        f"Stopped early. Streams completed: {', '.join(completed)}. Re-run with the last STATE "
        "to continue with the others."
    )


CLI_HELP = (
    "Read Zoho CRM territory data (territories and their users, users, user groups with their "
    "sources and counts, roles, profiles, the organisation) and write it as Singer messages on "
    "stdout; logs, progress and a summary go to stderr."
)
CLI_EPILOG = cli_epilog(
    '   "data_center": "eu", "start_date": "2024-01-01T00:00:00Z"',
    """\
  tap-zoho-territories --config config.json --test   (which streams it reads)
  tap-zoho-territories --config config.json --discover > catalog.json
  tap-zoho-territories --config config.json --catalog catalog.json \\
      --state state.json > data.singer""",
    """\
  0  every selected stream was read (one Zoho refuses is skipped, with a
     warning)
  1  a config or input error, or a run that stopped early (its STATE lets the
     next run resume); --test: a selected stream is not readable""",
)


# The replication key of the incremental streams (territories, users): a date-time.
INCREMENTAL_KEYS = frozenset({"modified_time"})


class TapZohoTerritories(QuietLogs, DocumentedCommand, OneLineErrors, SecretSafeConfig, Tap):
    """Singer tap for Zoho CRM territories, territory users, user groups and their counts.

    Reads territories and their users, users and their territories, user groups, their
    sources, and associated-user counts, and the roles, profiles and organisation they refer
    to; pages are fetched in parallel up to max_concurrency with the fewest calls Zoho's API
    allows.
    """

    name = "tap-zoho-territories"
    package_name = "tap-zoho-territories"
    # msgspec, RECORDs in blocks (output.py).
    message_writer_class = BlockWriter
    cli_help = CLI_HELP
    cli_epilog = CLI_EPILOG
    # The streams log on children of the tap's logger (QuietLogs quiets them too).
    child_loggers = tuple(stream_type.name for stream_type in STREAM_TYPES)

    config_jsonschema = th.PropertiesList(
        *CONNECTION_PROPERTIES.wrapped.values(),
        *RUN_PROPERTIES.wrapped.values(),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start date",
            description="Incremental streams (users; territories when "
            "emit_activate_version_messages is off) start from records modified after this time "
            "on the first run.",
        ),
        th.Property(
            "emit_activate_version_messages",
            th.BooleanType,
            default=True,
            title="Emit ACTIVATE_VERSION messages",
            description="After each full-table stream is read completely, send ACTIVATE_VERSION, "
            "so that targets which support it (target-postgres) mark or delete the rows Zoho no "
            "longer has. Targets without support ignore it. With it on, territories is read in "
            "full each run.",
        ),
        th.Property(
            "user_type",
            th.StringType,
            default="AllUsers",
            allowed_values=USER_TYPES,
            title="User type",
            description="Which users the users stream reads (GET /users?type=...).",
        ),
    ).to_dict()

    @override
    def discover_streams(self) -> list[Stream]:
        """Every stream of STREAM_TYPES; discovery makes no API call."""
        return [stream_type(self, self.prefetcher) for stream_type in STREAM_TYPES]

    @override  # type: ignore[misc]  # final in the SDK; we reorder
    def load_streams(self) -> list[Stream]:
        """Streams in the writer's order (long sequential page chains first)."""
        return sorted(super().load_streams(), key=_writer_order)

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Validate the config; a misspelt setting is refused in every mode.

        A misspelt setting (say `max_concurency`) must not silently fall back to a default. The
        SDK validates `--discover`'s config without raising (discovery needs no credentials);
        unknown settings are refused there too. (SDK internal, see SecretSafeConfig.)
        """
        problems: list[str] = []
        try:
            errors = super()._validate_config(raise_errors=raise_errors)
        except ConfigValidationError as exc:
            errors, problems = exc.errors, exc.errors
        unknown = unknown_settings(self._config, self.config_jsonschema.get("properties", {}))
        if unknown:
            problems = [*problems, unknown]
        if problems:
            raise ConfigValidationError("Config validation failed", errors=problems)
        return errors

    @cached_property
    def runtime(self) -> SyncRuntime:
        """The client and fetch pool of this run (built on first use)."""
        settings = ConnectionSettings.from_config(self.config)
        start = self.config.get("start_date")
        if start is not None:
            try:
                parse_time(str(start))
            except ValueError:
                msg = (
                    f"start_date {str(start)[:60]!r} is not a date-time. What to do: give one "
                    "like 2024-01-31T00:00:00Z."
                )
                raise ZohoConfigError(msg) from None
        return SyncRuntime(
            settings,
            self.logger,
            user_agent(self.name),
            self.prefetcher,
            completed=self.completed_streams,
            progress_interval=progress_interval(self.config),
        )

    @cached_property
    def prefetcher(self) -> Prefetcher:
        """Fetches the pages the streams ask for; handed to each stream when it is built."""
        return Prefetcher(order=SYNC_ORDER)

    @classmethod
    @override
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: Any = None,
        state: IO[str] | None = None,
        catalog: IO[str] | None = None,
    ) -> None:
        """Run the tap; a state or catalog file that cannot be used is one line, exit 1."""
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            state = read_json_object(state, "--state")
            catalog = read_json_object(catalog, "--catalog")
            ctx = click.get_current_context(silent=True)
            if ctx is not None and ctx.meta.get(TEST_MODE) and not about:
                cls.connection_test(config, catalog)
            super().invoke(
                about=about, about_format=about_format, config=config, state=state, catalog=catalog
            )
        except ZohoConfigError as exc:
            cls.logger.error("Input error: %s", exc)  # noqa: TRY400
            sys.exit(EXIT_FAILURES)

    @override
    def load_state(self, state: dict[str, Any]) -> None:
        """Load bookmarks, and the resume marker the SDK would drop."""
        problem = bookmark_problem(state)
        if problem is not None:
            msg = (
                f"the state cannot be used: {problem}. Nothing was read or sent. What to do: "
                "fix or remove that bookmark (the stream is then read from start_date)."
            )
            raise ZohoConfigError(msg)
        super().load_state(state)
        if RESUME_KEY in state:
            self._raw_state[RESUME_KEY] = state[RESUME_KEY]

    @cached_property
    def completed_streams(self) -> set[str]:
        """Top-level streams fully synced in this run (or by the interrupted run it resumes)."""
        return set()

    @override  # type: ignore[misc]  # final in the SDK; we keep fetched pages and STATE
    def sync_all(self) -> None:
        """Sync every selected stream, fetching ahead in parallel; summarise calls at the end.

        When the run must stop (a Zoho error, a signal, anything unexpected), no call is sent
        any more, the pages already fetched are written, and the STATE reached so far is
        written, marked so that the next run resumes; then exit 1 with one line saying why.
        """
        try:
            self._skip_resumed_streams()
            self.runtime.plan([s for s in self.streams.values() if isinstance(s, ZohoStream)])
            self._reorder_streams()
            super().sync_all()
        except Exception as exc:
            self._keep_fetched_pages(exc)
        finally:
            if "runtime" in self.__dict__ and self.runtime.cause is not None:
                self._fail(self.runtime.cause)
            self._close_runtime()
        if self._raw_state.pop(RESUME_KEY, None) is not None:
            self._state_writer.write_state(self.state)

    def _reorder_streams(self) -> None:
        """Put the streams in the writer's order for this run (the plan may have changed it).

        SDK internal: `Tap.streams` returns the dict the SDK's `sync_all` iterates (checked in
        tests/unit/test_sdk_contract.py); it is reordered in place.
        """
        streams = self.streams
        ordered = sorted(streams.values(), key=_writer_order)
        streams.clear()
        streams.update((stream.name, stream) for stream in ordered)

    def _keep_fetched_pages(self, exc: Exception) -> None:
        """Stop the run, then write what was already fetched of the streams not yet started."""
        if "runtime" not in self.__dict__:
            self._fail(exc)
        runtime = self.runtime
        runtime.stop(exc)
        for stream in self.streams.values():
            wanted = stream.selected or stream.has_selected_descendents
            if stream.parent_stream_type is not None or not wanted:
                continue
            if stream.name in runtime.started:
                continue
            try:
                stream.sync()
                stream.finalize_state_progress_markers()
            except Exception:  # the stream stays incomplete; keep going
                self.logger.debug("Stream '%s' stopped at its first unfetched page.", stream.name)

    @property
    def _raw_state(self) -> dict[str, Any]:
        """The state as a plain dict (the SDK types it as bookmarks only)."""
        return cast("dict[str, Any]", self.state)

    def _skip_resumed_streams(self) -> None:
        marker = self._raw_state.get(RESUME_KEY)
        if not isinstance(marker, dict):
            return
        try:
            stopped = parse_time(str(marker["stopped_at"]))
            done = [str(name) for name in marker["completed_streams"]]
        except (KeyError, TypeError, ValueError):
            self.logger.warning("Ignoring an unreadable %s entry in the state.", RESUME_KEY)
            return
        if dt.datetime.now(dt.timezone.utc) - stopped > RESUME_WINDOW:
            self.logger.info("The run stopped at %s is over a day old; reading all.", stopped)
            return
        self.logger.info(
            "Resuming the run stopped at %s: skipping the streams it completed: %s.",
            stopped.isoformat(),
            ", ".join(done) or "none",
        )
        for name in done:
            stream = self.streams.get(name)
            if stream is not None:
                for skipped in (stream, *stream.descendent_streams):
                    skipped.selected = False
                self.completed_streams.add(name)

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM/SIGINT end the run like a Zoho error: STATE to resume from, exit 1.

        The first signal stops the client (no new call, every wait ends) and lets the writer
        write the pages already fetched; a second one ends the run at once. The SDK's own
        handler exits 0, which would make a partial sync look complete.
        """
        reason = f"Stopped by {signal.Signals(signum).name} before the sync finished."
        runtime: SyncRuntime | None = self.__dict__.get("runtime")
        if runtime is None or runtime.stopping:
            self._fail(reason)
        runtime.stop(reason)

    def _fail(self, reason: BaseException | str) -> NoReturn:
        if isinstance(reason, BaseException):
            log_failure(self.logger, reason, self.config)
        else:
            self.logger.error("%s", reason)
        if "runtime" in self.__dict__:
            self._raw_state[RESUME_KEY] = {
                "stopped_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "completed_streams": sorted(self.completed_streams),
            }
            self._state_writer.write_state(self.state)
            advice = resume_advice(
                self.runtime.progress.snapshot().total_records, sorted(self.completed_streams)
            )
            if advice:
                self.logger.error("%s", advice)
        self._close_runtime(stopped=True)
        sys.exit(EXIT_FAILURES)

    def _close_runtime(self, *, stopped: bool = False, what: str = "Sync") -> None:
        """Stop the runtime and log the closing summary (records, calls, tokens, credits)."""
        runtime: SyncRuntime | None = self.__dict__.pop("runtime", None)
        if runtime is None:
            return
        runtime.close()
        now = runtime.progress.snapshot(runtime.skipped())
        head = summary_head(now, stopped=stopped, what=what)
        self.logger.info("%s\n%s", head, runtime.client.stats.summary())

    @classmethod
    @override
    def cb_test(
        cls,
        ctx: click.Context,
        param: click.Option,
        value: str,
    ) -> None:
        """`--test` is left to `invoke`, which has the config and the catalog (`connection_test`).

        `--test=schema` writes every SCHEMA message. A bad setting is reported as in a sync.
        """
        if value == CliTestOptionValue.Disabled.value:
            return
        if value == CliTestOptionValue.All.value:
            ctx.meta[TEST_MODE] = True
            return
        config: Any = ctx.params.get("config")
        try:
            tap = cls(
                config=config.config if config else None,
                parse_env_config=config.parse_env if config else False,
                validate_config=True,
            )
        except ConfigValidationError as exc:
            log_config_errors(cls.logger, exc)
            ctx.exit(EXIT_FAILURES)
        tap.write_schemas()
        ctx.exit(0)

    @classmethod
    def connection_test(cls, config: Any, catalog: IO[str] | None) -> NoReturn:
        """Read one page of every stream; print which are readable; exit 1 if a selected one is not.

        Selected: as the catalog (or, without one, the defaults) says, before the SDK's test
        selects every stream. A bad setting is reported by the SDK's command, as in a sync.
        """
        cls.print_version(print_fn=cls.logger.info)
        tap = cls(
            config=config.config if config else None,
            catalog=json.loads(catalog.read()) if catalog is not None else None,
            parse_env_config=config.parse_env if config else False,
            validate_config=True,
        )
        selected = [name for name, stream in tap.streams.items() if stream.selected]
        try:
            tap.runtime.prefetcher.prefetch_children = False
            tap.run_connection_test()
            if tap.runtime.cause is not None:
                tap._fail(tap.runtime.cause)
        except ZohoError as exc:
            tap._fail(exc)
        rows = judge(
            tap.streams,
            parents={
                name: stream.parent_stream_type.name if stream.parent_stream_type else None  # type: ignore[misc]
                for name, stream in tap.streams.items()
            },
            refused={name: (e.code, e.what_to_enable) for name, e in tap.runtime.gated.items()},
            tried=tap.runtime.progress.snapshot().records,
            selected=selected,
        )
        tap.logger.info("%s\n%s", headline(rows), table(rows))
        tap._close_runtime(what="Connection test")
        readable = any(row.readable == YES for row in rows)
        sys.exit(EXIT_FAILURES if unreadable_selected(rows) or not readable else 0)


def _writer_order(stream: Stream) -> tuple[int, bool, str]:
    """Top-level streams in the writer's order, each before its children."""
    rank = stream.rank if isinstance(stream, ZohoStream) else 99
    return rank, stream.parent_stream_type is not None, stream.name


if __name__ == "__main__":
    TapZohoTerritories.cli()
