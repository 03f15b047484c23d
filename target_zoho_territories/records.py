"""The record contract: which records are assignments, and what each one asks for.

A record of an assignment stream names `user_id` and `territory_id` (strings of digits) and an
optional `action` (`add`, the default, or `remove`, any case); `_sdc_deleted_at` set means
`remove`. Anything else is rejected here, with a reason, and never reaches Zoho.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from target_zoho_territories.outcomes import ACTIONS, ADD, REMOVE, Outcome, blank, rejected
from zoho_crm_api.values import MAX_ID_DIGITS

_DIGITS = re.compile(r"[0-9]+")
_SHOWN = 40


def is_assignment_schema(schema: Mapping[str, Any]) -> bool:
    """True when a stream's SCHEMA declares both `user_id` and `territory_id`."""
    properties = schema.get("properties") or {}
    return "user_id" in properties and "territory_id" in properties


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages (`number`, not `Decimal`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def shown(value: Any) -> str:
    """A value as a short, printable text for messages (numbers as JSON writes them)."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = json.dumps(value)  # NaN and Infinity as JSON writes them
    elif isinstance(value, (int, Decimal)):
        text = str(value)
    else:
        text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


@dataclass(eq=False)
class Result:
    """One line of the results file: an input record (or a mirror removal) and its outcome."""

    stream: str
    line: int | None
    record: dict[str, Any] | None
    user_id: str | None = None
    territory_id: str | None = None
    action: str | None = None
    outcome: str | None = None
    code: str | None = None
    message: str | None = None
    endpoint: str | None = None
    extra: bool = field(default=False, repr=False)

    def settle(self, answer: Outcome) -> None:
        """Record the outcome: once, by whoever decided it (a second answer is a bug)."""
        if self.outcome is not None:
            msg = f"line {self.line}: an outcome was recorded twice ({self.outcome}, then {answer})"
            raise RuntimeError(msg)
        self.outcome = answer.outcome
        self.code = answer.code
        self.message = answer.message
        self.endpoint = answer.endpoint

    @property
    def pair(self) -> tuple[str, str]:
        """`(user_id, territory_id)` of a valid assignment."""
        assert self.user_id is not None
        assert self.territory_id is not None
        return self.user_id, self.territory_id

    def to_json(self) -> dict[str, Any]:
        """The results-file object."""
        return {
            "stream": self.stream,
            "line": self.line,
            "user_id": self.user_id,
            "territory_id": self.territory_id,
            "action": self.action,
            "outcome": self.outcome,
            "code": self.code,
            "message": self.message,
            "endpoint": self.endpoint,
            "record": self.record,
        }


# Outcomes decided for results, for the engine to record.
Answers = list[tuple[Result, Outcome]]


def _check_id(record: Mapping[str, Any], key: str) -> str | None:
    """The reason `record[key]` is not a usable Zoho ID, or None when it is.

    Spaces around the digits (a spreadsheet cell typed " 123 ") are allowed and dropped.
    """
    if key not in record:
        return f"{key} is missing"
    value = record[key]
    if value is None:
        return f"{key} is empty (null)"
    if not isinstance(value, str):
        return f"{key} must be a string of digits, got {json_type(value)} {shown(value)}"
    digits = value.strip()
    if not digits:
        return f"{key} is empty"
    if not _DIGITS.fullmatch(digits):
        return f"{key} must contain only digits, got {shown(value)}"
    if len(digits) > MAX_ID_DIGITS:
        return f"{key} has {len(digits)} digits, more than Zoho's {MAX_ID_DIGITS}: {shown(value)}"
    return None


def _action(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """`(action, None)` or `(None, reason)`."""
    if record.get("_sdc_deleted_at") is not None:
        return REMOVE, None
    value = record.get("action")
    if value is None or (isinstance(value, str) and not value.strip()):
        return ADD, None  # no action, or an empty spreadsheet cell
    if isinstance(value, str) and value.strip().lower() in ACTIONS:
        return value.strip().lower(), None
    return None, f"action must be 'add' or 'remove', got {shown(value)}"


def _is_blank(record: Mapping[str, Any]) -> bool:
    """True for a spreadsheet's empty row: the id fields are there, and no field has a value.

    (`_sdc_` fields aside.) A record without the id fields is not blank but malformed.
    """
    return (
        "user_id" in record
        and "territory_id" in record
        and not any(
            value is not None and (not isinstance(value, str) or value.strip())
            for key, value in record.items()
            if not key.startswith("_sdc_")
        )
    )


def read_assignment(stream: str, line: int | None, record: dict[str, Any]) -> Result:
    """Check one record of an assignment stream; a failed check is decided as `rejected`.

    A record with no values at all (an empty spreadsheet row) asks for nothing: `unchanged`.
    """
    result = Result(stream=stream, line=line, record=record)
    if _is_blank(record):
        result.settle(blank())
        return result
    user = record.get("user_id")
    territory = record.get("territory_id")
    result.user_id = user.strip() if isinstance(user, str) else None
    result.territory_id = territory.strip() if isinstance(territory, str) else None
    action, action_problem = _action(record)
    result.action = action
    problems = [
        problem
        for problem in (
            _check_id(record, "user_id"),
            _check_id(record, "territory_id"),
            action_problem,
        )
        if problem
    ]
    if problems:
        result.settle(rejected("; ".join(problems)))
    return result
