"""Turning Zoho's JSON into tap records: key normalisation, integer counts, UTC timestamps."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_LENIENT_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{1,2}):(\d{2}):(\d{2})(.*)$")


_KEYS: dict[str, str] = {}
_KEYS_MAX = 10_000


def normalize_keys(value: Any) -> Any:
    """Lower-case every object key and drop a leading `$`, recursively.

    Zoho mixes `created_time` with `Modified_Time`, and capitalises `Manager`/`Name` in E10.
    This runs on every record, so known keys come from a cache.
    """
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            new = _KEYS.get(key)
            if new is None:
                new = (key[1:] if key.startswith("$") else key).lower()
                if len(_KEYS) < _KEYS_MAX:
                    _KEYS[key] = new
            out[new] = normalize_keys(item) if isinstance(item, (dict, list)) else item
        return out
    if isinstance(value, list):
        return [normalize_keys(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def parse_time(value: str) -> dt.datetime:
    """Parse a Zoho timestamp, also the malformed `2022-11-23T9:59:12+05:30` (zoho-api §7.11)."""
    text = value.strip().replace("Z", "+00:00")
    match = _LENIENT_TIME.match(text)
    if match:
        date, hour, minute, second, rest = match.groups()
        text = f"{date}T{int(hour):02d}:{minute}:{second}{rest}"
    parsed = dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def to_utc(value: Any) -> Any:
    """An ISO timestamp as the same instant in UTC (`...+00:00`), so that bookmarks compare.

    Values that are not timestamps are returned unchanged.
    """
    if not isinstance(value, str) or not value:
        return value
    try:
        return parse_time(value).astimezone(dt.timezone.utc).isoformat()
    except ValueError:
        return value


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
