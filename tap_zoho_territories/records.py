"""Turning Zoho's JSON into tap records: key normalisation, integer counts, UTC timestamps."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_LENIENT_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{1,2}):(\d{2}):(\d{2})(.*)$")


def _normal(key: str) -> str:
    """`Modified_Time` -> `modified_time`, `$current_shift` -> `current_shift`."""
    return (key[1:] if key.startswith("$") else key).lower()


def normalize_keys(value: Any) -> Any:
    """Lower-case every object key and drop a leading `$`, recursively, in place.

    Zoho mixes `created_time` with `Modified_Time`, and capitalises `Manager`/`Name` in E10.
    This runs on every record: keys that are already lower case are left where they are.
    """
    if type(value) is dict:
        for key in [k for k in value if not k.islower() or k.startswith("$")]:
            value[_normal(key)] = value.pop(key)
        for item in value.values():
            if type(item) is dict or type(item) is list:
                normalize_keys(item)
    elif type(value) is list:
        for item in value:
            if type(item) is dict or type(item) is list:
                normalize_keys(item)
    return value


class RecordShaper:
    """Normalises a stream's Zoho objects in place, keeping only the schema's top-level fields.

    Each key's fate (kept, renamed, dropped) is worked out once and cached, since every record
    of a stream has nearly the same keys. Dropped names are kept in `unknown` (Zoho adds
    fields over time).
    """

    def __init__(self, fields: frozenset[str]) -> None:
        self.fields = fields
        self.unknown: set[str] = set()
        self._fate: dict[str, str | None] = {}

    def __call__(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Shape one object (in place) and return it."""
        fate = self._fate
        for key in list(raw):
            new = fate.get(key, key) if key in fate else self._learn(key)
            if new is None:
                del raw[key]
                continue
            item = raw[key]
            if type(item) is dict or type(item) is list:
                normalize_keys(item)
            if new != key:
                del raw[key]
                raw[new] = item
        return raw

    def _learn(self, key: str) -> str | None:
        new = _normal(key)
        if new not in self.fields:
            self.unknown.add(new)
            self._fate[key] = None
            return None
        self._fate[key] = new
        return new


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
