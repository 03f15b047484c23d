"""How the tap writes Singer messages to stdout: msgspec, RECORDs in blocks."""

from __future__ import annotations

import io
import sys

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import Message, SingerMessageType
from typing_extensions import override

# stdout's buffer when PYTHONUNBUFFERED took Python's away (its default size).
BUFFER_BYTES = 1 << 16
# The streams replaced: kept, so that no finaliser of theirs closes the descriptor under ours.
_REPLACED: list[object] = []


def give_stdout_a_buffer() -> None:
    """Put a buffer back under stdout when `PYTHONUNBUFFERED` (or `python -u`) removed it.

    Docker images commonly set PYTHONUNBUFFERED=1; stdout's binary layer is then a bare file,
    and every RECORD became one system call (100,000 users: 24 s instead of 18 s into a pipe).
    The new text stream writes through its own file object on the same descriptor (never
    closing it), so flushing `sys.stdout` at exit or before `os._exit` still sends everything.
    """
    binary = getattr(sys.stdout, "buffer", None)
    if not isinstance(binary, io.RawIOBase):
        return
    old = sys.stdout
    old.flush()
    _REPLACED.append(old)
    raw = io.FileIO(binary.fileno(), "wb", closefd=False)
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(raw, BUFFER_BYTES), encoding=old.encoding, errors=old.errors
    )


class BlockWriter(MsgSpecWriter):
    """The SDK's msgspec writer (about twice as fast as its default), flushing less often.

    The SDK's writer flushes stdout after every message: one system call per RECORD. Here
    RECORDs fill stdout's buffer and go out when it is full; every other message (SCHEMA,
    STATE, ACTIVATE_VERSION) flushes it, so a target never sees a STATE before the records it
    covers, and nothing waits behind a STATE. Exiting flushes what is left.
    """

    _buffered = False

    @override
    def write_message(self, message: Message) -> None:
        """Write one message; flush unless it is a RECORD."""
        if not self._buffered:
            give_stdout_a_buffer()
            self._buffered = True
        sys.stdout.buffer.write(self.format_message(message))
        if message.type != SingerMessageType.RECORD:
            sys.stdout.flush()
