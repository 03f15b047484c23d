"""Why a target run ends early or unsuccessfully, and with which exit code."""

from __future__ import annotations

import threading

from zoho_crm_singer.plugin import EXIT_FAILURES, EXIT_STOPPED


class TargetStop(Exception):
    """Ends the run with a one-line reason on stderr and a non-zero exit code."""

    exit_code = EXIT_STOPPED


class RunAborted(TargetStop):
    """The run cannot go on: Zoho cannot be used any more, or a signal asked it to stop.

    The results of the batch in progress are written; no STATE is emitted for it.
    """


class ResultsUnwritable(RunAborted):
    """`results_path` could not be written: the run stops, the lost lines go to stderr."""

    def __init__(self, path: str, exc: OSError) -> None:
        self.path = path
        super().__init__(
            f"results_path {path!r} cannot be written ({exc.strerror or exc}): the results it "
            "could not record are on stderr above ('unrecorded result:' lines), no STATE was "
            "emitted for them, and nothing more was sent. What to do: free space or point "
            "results_path at a writable file, then re-run (re-running is safe)."
        )


class Interrupted(RunAborted):
    """SIGTERM or SIGINT arrived while writing: calls in flight finished, later ones not sent."""


class StopRequest:
    """Set by the signal handler; the writer starts no call once it is set."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def request(self, reason: str) -> None:
        """Ask the run to stop (the first reason is kept)."""
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    def is_set(self) -> bool:
        """True once a stop was requested."""
        return self._event.is_set()


class InputStopped(TargetStop):
    """The input stopped the run: a line that is not a Singer message, or a signal."""


class RecordsFailed(TargetStop):
    """Some records failed or were rejected and `allow_failures` is off."""

    exit_code = EXIT_FAILURES


class NoAssignmentStream(TargetStop):
    """The input had records, none of an assignment stream: nothing could be written."""

    exit_code = EXIT_FAILURES

    def __init__(self, streams: list[str]) -> None:
        self.streams = streams
        super().__init__(
            f"the input has records of {', '.join(streams)} but no assignment stream (a stream "
            "whose SCHEMA has user_id and territory_id), so nothing was written and no STATE "
            "was emitted. What to do: send assignments; from the tap, map territory_users (the "
            'user is its id) with the stream map {"territory_users": {"user_id": "id", '
            '"territory_id": "territory_id", "__else__": "__NULL__", "__key_properties__": '
            '["territory_id", "user_id"]}} (docs/meltano.md, "Copying territory membership") and '
            "mode mirror."
        )
