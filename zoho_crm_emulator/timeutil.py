"""Timestamps as Zoho writes them (ISO-8601 with a UTC offset) and lenient parsing of them."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

_ISO = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.(\d+))?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)


def tz_for(offset_minutes: int) -> timezone:
    """The fixed-offset time zone for an offset in minutes east of UTC."""
    return timezone(timedelta(minutes=offset_minutes))


def format_ts(epoch: int, offset_minutes: int) -> str:
    """Format epoch seconds as Zoho does, e.g. ``2023-02-01T10:09:10+05:30``."""
    t = time.gmtime(epoch + offset_minutes * 60)
    hours, minutes = divmod(abs(offset_minutes), 60)
    sign = "-" if offset_minutes < 0 else "+"
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:"
        f"{t.tm_sec:02d}{sign}{hours:02d}:{minutes:02d}"
    )


def parse_ts(text: str, default_offset_minutes: int = 0) -> float | None:
    """Parse an ISO-8601 timestamp (leniently) or an HTTP date into epoch seconds.

    Accepts single-digit fields (zoho-api.md §7 note 11: ``2022-11-23T9:59:12+05:30``),
    ``Z``, ``+0530`` and ``+05:30`` offsets, and RFC 1123 dates (``Tue, 09 Jul 2024
    15:20:29 GMT``).  A timestamp without an offset is read in ``default_offset_minutes``.
    Returns ``None`` when the text is not a timestamp.
    """
    if not isinstance(text, str):
        return None
    match = _ISO.match(text)
    if match:
        year, month, day, hour, minute, second, frac, off = match.groups()
        try:
            if off is None:
                tz = tz_for(default_offset_minutes)
            elif off == "Z":
                tz = timezone.utc
            else:
                sign = -1 if off[0] == "-" else 1
                digits = off[1:].replace(":", "")
                tz = tz_for(sign * (int(digits[:2]) * 60 + int(digits[2:])))
            moment = datetime(
                int(year),
                int(month),
                int(day),
                int(hour),
                int(minute),
                int(second or 0),
                int((frac or "0")[:6].ljust(6, "0")),
                tzinfo=tz,
            )
        except ValueError:
            return None
        return moment.timestamp()
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
