"""The tap's stdout writer: RECORDs go out in blocks, every other message at once, in order."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator

from singer_sdk.singerlib import RecordMessage, StateMessage

from tap_zoho_territories.output import BlockWriter


@contextlib.contextmanager
def unbuffered_pipe() -> Iterator[int]:
    """stdout as PYTHONUNBUFFERED=1 makes it (a bare file under the text layer), into a pipe.

    Set inside the test (pytest puts its own capture back as sys.stdout after fixtures).
    """
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    raw = io.FileIO(write_end, "wb", closefd=False)  # as Python opens its std streams
    saved = sys.stdout
    sys.stdout = io.TextIOWrapper(raw, write_through=True)
    try:
        yield read_end
    finally:
        sys.stdout.flush()
        sys.stdout = saved
        os.close(read_end)
        os.close(write_end)


def pending(read_end: int) -> bytes:
    try:
        return os.read(read_end, 1 << 20)
    except BlockingIOError:
        return b""


def test_records_wait_for_a_state_even_when_stdout_is_unbuffered() -> None:
    writer = BlockWriter()
    with unbuffered_pipe() as pipe:
        writer.write_message(RecordMessage(stream="users", record={"id": "1"}))
        writer.write_message(RecordMessage(stream="users", record={"id": "2"}))
        assert pending(pipe) == b""

        writer.write_message(StateMessage(value={"done": 1}))

        lines = pending(pipe).splitlines()
    assert [line.split(b'"type":')[1][:8] for line in lines] == [
        b'"RECORD"',
        b'"RECORD"',
        b'"STATE",',
    ]
    assert b'"id":"1"' in lines[0]
    assert b'"id":"2"' in lines[1]


def test_exiting_flushes_what_is_left() -> None:
    writer = BlockWriter()
    with unbuffered_pipe() as pipe:
        writer.write_message(RecordMessage(stream="users", record={"id": "1"}))
        assert pending(pipe) == b""
        sys.stdout.flush()  # what exit_now and the interpreter's exit do
        assert b'"id":"1"' in pending(pipe)
