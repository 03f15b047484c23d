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
    This runs on every record: an object whose keys are all lower case already (most nested
    `{name, id}` references) is only looked at once, as one joined string.
    """
    if type(value) is dict:
        joined = "".join(value)
        if "$" in joined or not joined.islower():
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

    What happens to each key (kept, renamed, dropped) is worked out once per set of keys and
    cached, since every record of a stream has nearly the same keys in the same order. Dropped
    names are kept in `unknown` (Zoho adds fields over time).
    """

    # Distinct key sets remembered; past that, plans are worked out record by record.
    MAX_PLANS = 64

    def __init__(self, properties: dict[str, Any]) -> None:
        self.fields = frozenset(properties)
        # Fields whose values may hold objects (with keys to normalise): per the schema.
        self.nesting = frozenset(name for name, prop in properties.items() if _may_nest(prop))
        self.unknown: set[str] = set()
        self._plans: dict[tuple[str, ...], _Plan] = {}

    def __call__(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Shape one object (in place) and return it."""
        keys = tuple(raw)
        plan = self._plans.get(keys)
        if plan is None:
            plan = self._plan(keys)
            if len(self._plans) < self.MAX_PLANS:
                self._plans[keys] = plan
        dropped, renamed, nesting = plan
        for key in dropped:
            del raw[key]
        for old, new in renamed:
            raw[new] = raw.pop(old)
        for key in nesting:
            item = raw[key]
            if type(item) is dict or type(item) is list:
                normalize_keys(item)
        return raw

    def _plan(self, keys: tuple[str, ...]) -> _Plan:
        dropped: list[str] = []
        renamed: list[tuple[str, str]] = []
        nesting: list[str] = []
        for key in keys:
            new = _normal(key)
            if new not in self.fields:
                self.unknown.add(new)
                dropped.append(key)
                continue
            if new != key:
                renamed.append((key, new))
            if new in self.nesting:
                nesting.append(new)
        return tuple(dropped), tuple(renamed), tuple(nesting)


# Keys to drop, (old, new) keys to rename, and the kept keys (new names) whose values may hold
# objects, for one key set.
_Plan = tuple[tuple[str, ...], tuple[tuple[str, str], ...], tuple[str, ...]]
_SCALARS = frozenset({"string", "integer", "number", "boolean", "null"})


def _may_nest(prop: dict[str, Any]) -> bool:
    """True unless a JSON schema allows only scalar values."""
    for key in ("anyOf", "oneOf"):
        if key in prop:
            return any(_may_nest(option) for option in prop[key])
    kind = prop.get("type")
    kinds = {kind} if isinstance(kind, str) else set(kind or ())
    return not kinds or not kinds <= _SCALARS


def to_utc(value: Any) -> Any:
    """An ISO timestamp as the same instant in UTC (`...+00:00`), so that bookmarks compare.

    Values that are not timestamps are returned unchanged.
    """
    if not isinstance(value, str) or not value:
        return value
    if len(value) == _UTC_LENGTH and value.endswith(_UTC_SUFFIX) and value[10] == "T":
        return value  # already `YYYY-MM-DDTHH:MM:SS+00:00`
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parse_time(value)
        except ValueError:
            return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc).isoformat()


_UTC_SUFFIX = "+00:00"
_UTC_LENGTH = len("2024-01-31T00:00:00+00:00")
