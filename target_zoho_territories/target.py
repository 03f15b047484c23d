"""target-zoho-territories: the Singer target."""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import sys
import typing as t

import click
from singer_sdk import Target
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from typing_extensions import override

from target_zoho_territories.engine import MODES, Engine
from target_zoho_territories.errors import (
    InputStopped,
    NoAssignmentStream,
    RecordsFailed,
    RunAborted,
    TargetStop,
)
from target_zoho_territories.mirror import SCOPES, USER
from target_zoho_territories.planner import WRITE_VIA
from target_zoho_territories.reader import INPUT_STOP, LineReader, ReadInterrupted
from target_zoho_territories.sinks import AssignmentSink
from zoho_crm_api.errors import ZohoConfigError
from zoho_crm_singer.logs import QuietLogs
from zoho_crm_singer.plugin import (
    CONNECTION_PROPERTIES,
    EXIT_FAILURES,
    EXIT_STOPPED,
    RUN_PROPERTIES,
    DocumentedCommand,
    SecretSafeConfig,
    check_unknown_settings,
    cli_epilog,
    user_agent,
)

if t.TYPE_CHECKING:
    from pathlib import PurePath
    from types import FrameType

    from singer_sdk.singerlib.encoding.base import GenericSingerReader


CLI_HELP = (
    "Write Zoho CRM user-territory assignments from Singer messages on stdin: the records of "
    "every stream whose schema has user_id and territory_id (and an optional action, add or "
    "remove). Every record gets one result line (results_path); progress and a summary go to "
    "stderr."
)
CLI_EPILOG = cli_epilog(
    '   "data_center": "eu", "mode": "apply", "dry_run": true,\n   "results_path": "results.jsonl"',
    """\
  target-zoho-territories --config config.json < assignments.singer
  target-zoho-territories --config config.json --input assignments.singer
  (examples/ holds inputs; docs/meltano.md feeds the tap's territory_users in)""",
    """\
  0  every record was added, removed, unchanged or planned
  1  a config error; records failed or were rejected (unless allow_failures);
     an input without an assignment stream
  2  the run stopped early (a malformed input line, Zoho cannot be used,
     SIGTERM): each record read has its result, and re-running is safe""",
)


class TargetZohoTerritories(QuietLogs, DocumentedCommand, SecretSafeConfig, Target):
    """Singer target that writes Zoho CRM user-territory assignments, safely.

    Any stream whose schema has user_id and territory_id is an assignment stream; action is
    add (default) or remove, and _sdc_deleted_at means remove. Records are checked, duplicates
    collapsed, and the changes sent with the fewest calls (grouped by user or by territory, at
    most 100 items a call, in parallel). Every record gets an outcome (added, removed,
    unchanged, planned, rejected, failed) in results_path. Modes: apply, or mirror (make each
    named user's territories, or with mirror_scope territory each named territory's users,
    exactly the wanted set); dry_run writes nothing.
    """

    name = "target-zoho-territories"
    package_name = "tap-zoho-territories"
    cli_help = CLI_HELP
    cli_epilog = CLI_EPILOG
    default_sink_class = AssignmentSink
    message_reader_class = LineReader

    config_jsonschema = th.PropertiesList(
        *CONNECTION_PROPERTIES.wrapped.values(),
        *RUN_PROPERTIES.wrapped.values(),
        th.Property(
            "mode",
            th.StringType,
            default="apply",
            allowed_values=list(MODES),
            title="Mode",
            description="apply: do what each record says. mirror: the records are the complete "
            "wanted set of territories for every user they name (or, with mirror_scope "
            "territory, of users for every territory they name); read what Zoho holds for "
            "them, by user or by territory, whichever takes fewer calls, and add and remove "
            "only the difference (users and territories not named are never touched; the "
            "organisation territory and territories the user manages are kept).",
        ),
        th.Property(
            "mirror_scope",
            th.StringType,
            default=USER,
            allowed_values=list(SCOPES),
            title="Mirror scope",
            description="Mirror mode only. user: the records are the complete wanted set of "
            "territories of each user they name. territory: the complete membership of each "
            "territory they name (for a warehouse that owns territory membership); users of a "
            "named territory that no record names are removed from it (its manager, and the "
            "organisation territory's users, are kept). Users or territories not named are "
            "never touched.",
        ),
        th.Property(
            "dry_run",
            th.BooleanType,
            default=False,
            title="Dry run",
            description="Plan and report (outcome 'planned'), write nothing. Mirror mode still "
            "reads the named users' territories.",
        ),
        th.Property(
            "results_path",
            th.StringType,
            title="Results path",
            description="JSONL file (overwritten) with one line per input record: stream, line, "
            "user_id, territory_id, action, outcome, Zoho's code and message, the record.",
        ),
        th.Property(
            "allow_failures",
            th.BooleanType,
            default=False,
            title="Allow failures",
            description="When false, any failed or rejected record makes the run exit with "
            "code 1 after everything else is written.",
        ),
        th.Property(
            "write_via",
            th.StringType,
            default="auto",
            allowed_values=list(WRITE_VIA),
            title="Write via",
            description="auto: group each batch by user (PUT/DELETE /users/{id}/territories), "
            "by territory (PUT/DELETE /settings/territories/{id}/users) or a mix, whichever "
            "needs fewer calls; user; territory.",
        ),
    ).to_dict()

    def __init__(
        self,
        *,
        config: dict | PurePath | str | list[PurePath | str] | None = None,
        parse_env_config: bool = False,
        validate_config: bool = True,
        setup_mapper: bool = True,
        message_reader: GenericSingerReader | None = None,
    ) -> None:
        super().__init__(
            config=config,
            parse_env_config=parse_env_config,
            validate_config=validate_config,
            setup_mapper=setup_mapper,
            message_reader=message_reader,
        )
        # Sinks share one batch; draining them one after another keeps that simple.
        self.max_parallelism = 1
        self._state_written: dict | None = None
        # The latest STATE all of whose records have their final answer (what SIGTERM emits).
        self._safe_state: dict | None = None
        self._finished = False
        self.append_builtin_config(self.config_jsonschema)
        check_unknown_settings(self.config, self.config_jsonschema.get("properties", {}))
        self.engine = Engine(self.config, self.logger, user_agent(self.name))

    # Input

    @property
    def reader(self) -> LineReader:
        """The line-counting reader."""
        return t.cast("LineReader", self.message_reader)

    def message_reader_line(self) -> int:
        """The input line number of the message being processed."""
        return self.reader.line_number

    @override
    def _handle_max_record_age(self) -> None:
        """Mirror mode needs the whole input at once: no time-based drains."""
        # SDK internal, listed in tests/unit/test_sdk_contract.py.
        if not self.engine.mirror:
            super()._handle_max_record_age()

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Stop: calls in flight finish, no new call starts, what is done is reported."""
        # SDK internal (the handler PluginBase installs), in tests/unit/test_sdk_contract.py.
        name = signal.Signals(signum).name
        self.logger.warning(
            "Received %s: finishing the calls in flight, sending nothing more.", name
        )
        self.engine.request_stop(f"interrupted by {name}")
        self.reader.interrupted = name
        if self.reader.waiting:
            raise ReadInterrupted

    # STATE

    def checkpoint(self) -> None:
        """Emit the latest STATE: called when every record read so far has its answer."""
        # `_latest_state` is an SDK internal, listed in tests/unit/test_sdk_contract.py.
        if self._latest_state:
            self._safe_state = copy.deepcopy(self._latest_state)
            self._write_state_message(copy.deepcopy(self._latest_state))

    @override
    def _process_state_message(self, message_dict: dict) -> None:
        """Remember a STATE; emit it at once when no record before it waits for an answer.

        (Apply mode: mirror mode answers its records only at the end of the input.)
        """
        # SDK internal, listed in tests/unit/test_sdk_contract.py.
        super()._process_state_message(message_dict)
        if self.engine.pending == 0 and self._latest_state is not None and not self.engine.mirror:
            self.checkpoint()

    @override
    def _write_state_message(self, state: dict) -> None:
        """Write a STATE message, never the same one twice in a row.

        None while the input has records but no assignment stream: nothing was written for
        them, and a pipeline that saved that STATE would not send them again.
        """
        # SDK internal, listed in tests/unit/test_sdk_contract.py.
        if state == self._state_written or self.engine.no_assignment_stream:
            return
        super()._write_state_message(state)
        self._state_written = copy.deepcopy(state)

    # End of input

    @override
    def process_endofpipe(self) -> None:
        """Write what is left, emit STATE, print the summary, and decide the exit."""
        stop = self.reader.stop
        interrupted = self.reader.interrupted
        try:
            if stop is not None and isinstance(stop.error, RunAborted):
                raise stop.error
            if interrupted is not None and not self.engine.mirror:
                self._stop_on_signal(interrupted)
            if self.engine.mirror:
                if stop is not None or interrupted is not None:
                    why = stop.reason if stop else f"interrupted by {interrupted}"
                    self.engine.abandon(
                        f"not sent: mirror mode needs the complete input, and the run stopped "
                        f"early ({why})"
                    )
                    raise InputStopped(why)
                self.engine.run_mirror()
            super().process_endofpipe()
        finally:
            self._finish()
        if stop is not None:
            if stop.error is not None:
                self.logger.error("Input stopped at %s", stop.reason)
                raise stop.error
            raise InputStopped(stop.reason)
        if interrupted is not None:
            msg = f"interrupted by {interrupted}; every record read was written"
            raise InputStopped(msg)
        if self.engine.no_assignment_stream:
            raise NoAssignmentStream(sorted(self.engine.summary.ignored))
        summary = self.engine.summary
        if summary.problems and not self.engine.options.allow_failures:
            where = self.engine.options.results_path
            msg = summary.problem_text() + (f"; see {where}" if where else "")
            raise RecordsFailed(msg)

    def _stop_on_signal(self, name: str) -> None:
        """Apply mode after SIGTERM/SIGINT: records read but not sent fail; emit the safe STATE."""
        waiting = self.engine.pending
        self.engine.abandon(
            f"not sent: interrupted by {name} before this record was sent; re-running is safe"
        )
        if self._safe_state is not None:
            self._write_state_message(copy.deepcopy(self._safe_state))
        if waiting:
            msg = (
                f"interrupted by {name}: {waiting} record(s) read but not sent (failed, "
                "NOT_SENT); the last STATE emitted covers every record before it"
            )
        else:
            msg = f"interrupted by {name}; every record read was written"
        raise InputStopped(msg)

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        self.engine.close()
        # Result lines the results file could not take go to stderr as they are (not logged):
        # what was applied must be said somewhere, whatever the logging config.
        sys.stderr.write(self.engine.results.unrecorded_lines())
        sys.stderr.flush()
        self.logger.info("%s", self.engine.summary_text())
        failures = self.engine.summary.failures_text(self.engine.options.results_path)
        if failures:
            self.logger.warning("%s", failures)

    @override
    @classmethod
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: t.Any = None,
        file_input: t.IO[str] | None = None,
    ) -> None:
        """Run the target; any way it ends early is one line on stderr and an exit code.

        The traceback of an unexpected error is logged at DEBUG only.
        """
        try:
            super().invoke(
                about=about, about_format=about_format, config=config, file_input=file_input
            )
        except (ConfigValidationError, click.exceptions.Exit, click.ClickException):
            raise  # the SDK's command reports these itself, in one line each
        except ZohoConfigError as exc:
            code, line = EXIT_FAILURES, f"Config error: {exc}"
        except TargetStop as exc:
            code, line = exc.exit_code, f"target-zoho-territories: {exc}"
        except Exception as exc:
            # A message the SDK refused (a RECORD before its SCHEMA, a missing key, a BATCH file
            # that cannot be read): the reader stopped there and everything before it was
            # written; one line with the input line number instead of a traceback.
            reason = getattr(exc, INPUT_STOP, None)
            code = EXIT_STOPPED
            if reason is not None:
                line = f"target-zoho-territories: {reason}; reading stopped there"
            else:
                cls.logger.debug("The unexpected error, for a bug report:", exc_info=exc)
                line = (
                    f"target-zoho-territories: unexpected error: {type(exc).__name__}: {exc}. "
                    "What to do: re-run with LOGLEVEL=DEBUG for the traceback and report it; "
                    "the results file and the summary above say what was done (re-running is "
                    "safe)."
                )
        else:
            return
        _quiet_stdout()
        cls.logger.error("%s", line)
        sys.exit(code)


def _quiet_stdout() -> None:
    """Stdout that cannot take what is buffered (a closed pipe, a full disk) goes to devnull.

    Otherwise the interpreter reports the failed flush at exit, after the one-line reason.
    """
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
