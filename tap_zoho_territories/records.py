"""Turning Zoho's JSON into tap records: key normalisation, schema fields, UTC timestamps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from zoho_crm_api.values import parse_time


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


# license_details.paid_type -> the edition (zoho-api.md §10 "Edition", named as §6's table).
# Seen: free, enterprise, professional (as a trial). Standard/Starter and Ultimate: by analogy.
EDITIONS = {
    "free": "free",
    "standard": "standard",
    "starter": "standard",
    "professional": "professional",
    "enterprise": "enterprise",
    "ultimate": "ultimate",
}
FREE = "free"


def edition(license_details: Any) -> tuple[str, str | None]:
    """The org's edition from GET /org's `license_details`, and the `paid_type` not understood.

    Zoho has no edition key: `paid: false` is Free (a trial shows only in `trial_type`), else
    `paid_type` names it. An unknown `paid_type` counts as Free, the edition with the lowest
    limits, and is returned second (as its repr) so that the caller can say so.
    """
    details = license_details if isinstance(license_details, dict) else {}
    paid_type = str(details.get("paid_type") or "").strip().lower()
    if details.get("paid") is False:
        return FREE, None
    found = EDITIONS.get(paid_type)
    return (found, None) if found else (FREE, repr(details.get("paid_type")))
