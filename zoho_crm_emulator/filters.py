"""The ``filters`` query parameter: URL-encoded JSON criteria (zoho-api.md E1, E13, E14).

A criterion is ``{"field": {"api_name": k}, "comparator": c, "value": v}``; a group is
``{"group_operator": "and"|"or", "group": [criterion, ...]}``.  Each endpoint says which
keys, comparators and group operators it allows; anything else is 400 INVALID_DATA with
``details: {"param_name": "filters"}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from zoho_crm_emulator.api import ApiError, is_digits
from zoho_crm_emulator.timeutil import parse_ts

T = TypeVar("T")
Predicate = Callable[[T], bool]

TEXT_COMPARATORS = {"equal", "not_equal", "starts_with", "ends_with", "contains", "not_contains"}
TIME_COMPARATORS = {"less_equal", "between", "greater_than", "less_than", "equal"}
ID_COMPARATORS = {"equal", "not_equal"}


@dataclass(frozen=True)
class Field(Generic[T]):
    """A filterable key: kind (``text``, ``time``, ``id``, ``enum``), comparators, getter."""

    kind: str
    comparators: frozenset[str]
    get: Callable[[T], Any]


def _bad(message: str) -> ApiError:
    return ApiError(400, "INVALID_DATA", message, {"param_name": "filters"})


def parse_filters(
    raw: str | None,
    fields: dict[str, Field[T]],
    operators: frozenset[str],
    default_offset_minutes: int = 0,
) -> Predicate[T] | None:
    """Parse ``filters`` into a predicate (``None`` when absent)."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise _bad("The JSON structure for the filters parameter is invalid") from exc
    return _node(data, fields, operators, default_offset_minutes)


def _node(
    data: Any, fields: dict[str, Field[T]], operators: frozenset[str], offset: int
) -> Predicate[T]:
    if not isinstance(data, dict):
        raise _bad("The JSON structure for the filters parameter is invalid")
    if "group_operator" in data or "group" in data:
        operator = str(data.get("group_operator", "")).lower()
        group = data.get("group")
        if operator not in operators:
            raise _bad(f"The given group_operator({data.get('group_operator')}) is not supported")
        if not isinstance(group, list) or not group:
            raise _bad("Specify Atleast one field")
        parts = [_node(item, fields, operators, offset) for item in group]
        if operator == "and":
            return lambda obj: all(part(obj) for part in parts)
        return lambda obj: any(part(obj) for part in parts)
    return _criterion(data, fields, offset)


def _criterion(data: dict[str, Any], fields: dict[str, Field[T]], offset: int) -> Predicate[T]:
    field = data.get("field")
    api_name = field.get("api_name") if isinstance(field, dict) else None
    if not api_name:
        raise _bad("Specify Atleast one field")
    spec = fields.get(str(api_name))
    if spec is None:
        # zoho-api.md E1 / OAS NotSupportedFieldsInFilters.
        raise _bad(f"The given api_name({api_name}) is not supported")
    comparator = data.get("comparator")
    if comparator not in spec.comparators:
        raise _bad(f"The given comparator({comparator}) is not supported for {api_name}")
    if "value" not in data:
        raise _bad(f"Specify a value for {api_name}")
    value = data["value"]
    if spec.kind == "time":
        return _time(spec, str(comparator), value, offset, str(api_name))
    if spec.kind == "text":
        return _text(spec, str(comparator), value, str(api_name))
    if spec.kind == "id":
        if value is not None and not is_digits(value):
            raise _bad(f"Invalid value given for {api_name}")
        wanted = None if value is None else str(value)
    else:
        wanted = None if value is None else str(value)
    if comparator == "equal":
        return lambda obj: spec.get(obj) == wanted
    return lambda obj: spec.get(obj) != wanted


def _text(spec: Field[T], comparator: str, value: Any, api_name: str) -> Predicate[T]:
    """Text comparisons are case-insensitive (a choice; Zoho's is not documented)."""
    if not isinstance(value, str):
        raise _bad(f"Invalid value given for {api_name}")
    wanted = value.lower()

    def text(obj: T) -> str:
        return (spec.get(obj) or "").lower()

    tests: dict[str, Predicate[T]] = {
        "equal": lambda obj: text(obj) == wanted,
        "not_equal": lambda obj: text(obj) != wanted,
        "starts_with": lambda obj: text(obj).startswith(wanted),
        "ends_with": lambda obj: text(obj).endswith(wanted),
        "contains": lambda obj: wanted in text(obj),
        "not_contains": lambda obj: wanted not in text(obj),
    }
    return tests[comparator]


def _time(spec: Field[T], comparator: str, value: Any, offset: int, api_name: str) -> Predicate[T]:
    """Timestamps compare as instants; values may carry any UTC offset."""

    def instant(text: Any) -> float:
        moment = parse_ts(text, offset) if isinstance(text, str) else None
        if moment is None:
            raise _bad(f"Invalid value given for {api_name}")
        return moment

    if comparator == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise _bad(f"Invalid value given for {api_name}: between takes two values")
        low, high = instant(value[0]), instant(value[1])
        return lambda obj: low <= spec.get(obj) <= high
    point = instant(value)
    tests: dict[str, Predicate[T]] = {
        "less_equal": lambda obj: spec.get(obj) <= point,
        "greater_than": lambda obj: spec.get(obj) > point,
        "less_than": lambda obj: spec.get(obj) < point,
        "equal": lambda obj: spec.get(obj) == point,
    }
    return tests[comparator]
