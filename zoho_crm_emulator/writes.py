"""Shared rules of the assignment writes E6, E7, E11 and E12 (answered item by item)."""

from __future__ import annotations

from typing import Any

from zoho_crm_emulator.api import ApiError, Request, Response, id_list, is_digits

MAX_ITEMS = 100


def success(other_id: str, message: str) -> dict[str, Any]:
    """A per-item success; ``details.id`` is the id named by the item."""
    return {"code": "SUCCESS", "details": {"id": other_id}, "message": message, "status": "success"}


def item_error(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A per-item error."""
    return {"code": code, "details": details or {}, "message": message, "status": "error"}


def json_path(wrapper: str, index: int) -> dict[str, Any]:
    """``{"api_name": "id", "json_path": "$.<wrapper>[i].id"}``."""
    return {"api_name": "id", "json_path": f"$.{wrapper}[{index}].id"}


def outcome(request: Request, wrapper: str, items: list[dict[str, Any]]) -> Response:
    """The whole answer: 200 when every item succeeded, 400 when none did, else 207.

    The status of mixed results is NOT FOUND in the docs; ``--mixed-status 200`` changes it.
    """
    successes = sum(1 for item in items if item["status"] == "success")
    if successes == len(items):
        status = 200
    elif successes == 0:
        status = 400
    else:
        status = request.config.mixed_status
    return Response(status, {wrapper: items})


def body_items(request: Request, wrapper: str) -> list[Any]:
    """The ``{"<wrapper>": [...]}`` array of a PUT body, with the top-level checks."""
    body = request.json_body()
    items = body.get(wrapper) if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ApiError(
            400,
            "MANDATORY_NOT_FOUND",
            "required field not found",
            {"api_name": wrapper, "json_path": f"$.{wrapper}"},
        )
    if len(items) > MAX_ITEMS:
        raise ApiError(
            400,
            "LIMIT_EXCEEDED",
            f"You can add or update only up to {MAX_ITEMS} {wrapper} in an API call",
            {"limit": MAX_ITEMS},
        )
    return items


def query_ids(request: Request, what: str) -> list[str]:
    """The ``ids`` of a bulk DELETE, with the top-level checks."""
    ids = id_list(request)
    if not ids:
        raise ApiError(
            400,
            "REQUIRED_PARAM_MISSING",
            "One of the expected parameter is missing",
            {"param_name": "ids"},
        )
    if len(ids) > MAX_ITEMS:
        raise ApiError(
            400,
            "LIMIT_EXCEEDED",
            f"You can remove only up to {MAX_ITEMS} {what} in an API call",
            {"limit": MAX_ITEMS},
        )
    return ids


def item_id(item: Any, wrapper: str, index: int) -> tuple[str | None, dict[str, Any] | None]:
    """The id of a PUT item as a digit string, or the per-item error for it.

    IDs may be digit strings or JSON numbers (the official SDK sends numbers, zoho-api.md §9).
    """
    if not isinstance(item, dict) or item.get("id") in (None, ""):
        return None, item_error(
            "MANDATORY_NOT_FOUND", "required field not found", json_path(wrapper, index)
        )
    raw = item["id"]
    if not is_digits(raw):
        return None, item_error(
            "INVALID_DATA",
            "invalid data",
            {"expected_data_type": "long", **json_path(wrapper, index)},
        )
    return str(raw), None
