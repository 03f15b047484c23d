"""`--test`: which streams the token can read, judged from one page each, as a table.

A child stream is read through its parent's records, so it is readable only when its parent is:
with `user_groups` unreadable, `user_group_sources` is not readable either, whatever its own
scopes. A child whose parent had no record was never tried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

YES, NO, NOT_TRIED = "yes", "no", "not tried"
HEADER = ("stream", "selected", "readable", "why not", "to enable")


@dataclass(frozen=True)
class StreamCheck:
    """One row of the table."""

    stream: str
    selected: bool
    readable: str
    why_not: str = ""
    to_enable: str = ""


def judge(
    streams: Iterable[str],
    parents: Mapping[str, str | None],
    refused: Mapping[str, tuple[str, str]],
    tried: Iterable[str],
    selected: Iterable[str],
) -> list[StreamCheck]:
    """A row per stream.

    `refused` maps a stream Zoho refused to (its code, what to enable); `tried` holds the
    streams that read a page; `selected` those the run would write.
    """
    tried, selected = set(tried), set(selected)
    rows = []
    for name in streams:
        chosen = name in selected
        ancestor = parents.get(name)
        while ancestor is not None and ancestor not in refused:
            ancestor = parents.get(ancestor)
        if ancestor is not None:
            why = f"its parent stream {ancestor} is not readable"
            rows.append(StreamCheck(name, chosen, NO, why, refused[ancestor][1]))
        elif name in refused:
            code, enable = refused[name]
            rows.append(StreamCheck(name, chosen, NO, code, enable))
        elif name in tried:
            rows.append(StreamCheck(name, chosen, YES))
        else:
            why = f"{parents[name]} had no record" if parents.get(name) else "no page was read"
            rows.append(StreamCheck(name, chosen, NOT_TRIED, why))
    return rows


def table(rows: Iterable[StreamCheck]) -> str:
    """The rows as a text table with a header, columns padded to their widest cell."""
    cells = [HEADER] + [
        (r.stream, YES if r.selected else NO, r.readable, r.why_not, r.to_enable) for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def headline(rows: list[StreamCheck]) -> str:
    """The line above the table: how many streams are readable, and which selected ones not."""
    readable = sum(1 for r in rows if r.readable == YES)
    line = f"Connection test: {readable} of {len(rows)} streams readable"
    blocking = unreadable_selected(rows)
    if blocking:
        line += f"; selected but not readable: {', '.join(blocking)} (exit 1)"
    return line + "."


def unreadable_selected(rows: Iterable[StreamCheck]) -> list[str]:
    """The selected streams that are not readable: the test fails for them."""
    return [r.stream for r in rows if r.selected and r.readable == NO]
