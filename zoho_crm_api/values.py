"""Zoho's value formats: digit-string ids, `{name, id}` references, timestamps, counts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_LENIENT_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{1,2}):(\d{2}):(\d{2})(.*)$")
_DIGITS = re.compile(r"[0-9]+")
MAX_ID_DIGITS = 19


def parse_time(value: str) -> dt.datetime:
    """Parse a Zoho timestamp, also the malformed `2022-11-23T9:59:12+05:30` (zoho-api §7.11)."""
    text = value.strip().replace("Z", "+00:00")
    match = _LENIENT_TIME.match(text)
    if match:
        date, hour, minute, second, rest = match.groups()
        text = f"{date}T{int(hour):02d}:{minute}:{second}{rest}"
    parsed = dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def zoho_time(value: str | dt.datetime, *, minus_seconds: int = 0) -> str:
    """A timestamp in the form Zoho's filters and If-Modified-Since take (`...+00:00`)."""
    moment = parse_time(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    moment -= dt.timedelta(seconds=minus_seconds)
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def to_int(value: Any) -> int | None:
    """Zoho sends some counts as strings (`"2"` in E4): return an int."""
    if value is None or value == "":
        return None
    return int(value)


def ref_id(value: Any) -> str | None:
    """The `id` of a `{name, id}` reference, or None."""
    return str(value["id"]) if isinstance(value, dict) and value.get("id") is not None else None


def is_zoho_id(value: Any) -> bool:
    """True for a string of 1 to 19 digits (zoho-api.md §1)."""
    return isinstance(value, str) and bool(_DIGITS.fullmatch(value)) and len(value) <= MAX_ID_DIGITS
