"""Why a target run ends early or unsuccessfully, and with which exit code."""

from __future__ import annotations

EXIT_FAILURES = 1
EXIT_STOPPED = 2


class TargetStop(Exception):
    """Ends the run with a one-line reason on stderr and a non-zero exit code."""

    exit_code = EXIT_STOPPED


class RunAborted(TargetStop):
    """Zoho cannot be used any more (credentials, scopes, retries or credit budget).

    The results of the batch in progress are written; no STATE is emitted for it.
    """


class InputStopped(TargetStop):
    """The input stopped the run: a line that is not a Singer message, or a signal."""


class RecordsFailed(TargetStop):
    """Some records failed or were rejected and `allow_failures` is off."""

    exit_code = EXIT_FAILURES
