"""Requests, responses, Zoho's error envelope and paging, shared by the endpoint modules."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from zoho_crm_emulator.config import EmulatorConfig
    from zoho_crm_emulator.org import Org

T = TypeVar("T")


@dataclass
class Response:
    """An HTTP answer: status, JSON body (``None`` for 204/304) and extra headers.

    ``raw`` (with a ``Content-Type`` in ``headers``) is sent instead of a JSON body: the
    HTML pages and redirects of the injected faults.
    """

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


class ApiError(Exception):
    """Raise to answer with Zoho's single error envelope ``{code, details, message, status}``."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}

    def response(self) -> Response:
        """The error as a response."""
        return Response(self.status, error_body(self.code, self.message, self.details))


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Zoho's error envelope; all four keys always present (zoho-api.md §4)."""
    return {"code": code, "details": details or {}, "message": message, "status": "error"}


@dataclass
class Request:
    """What an endpoint handler gets: path parameters, query, headers, body and the org."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    org: Org
    config: EmulatorConfig
    version: str

    def arg(self, name: str) -> str | None:
        """The first value of a query parameter, or ``None``."""
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        """A request header (case-insensitive)."""
        return self.headers.get(name.lower())

    def json_body(self) -> Any:
        """The body parsed as JSON whatever the Content-Type (the official SDK sends none)."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            # RecursionError: nested deeper than the parser goes (100,000 levels, say).
            raise ApiError(
                400,
                "INVALID_DATA",
                "the input data is not a valid JSON",
                {"expected_data_type": "jsonobject"},
            ) from exc


def int_param(request: Request, name: str, default: int) -> int:
    """A positive integer query parameter, or 400 INVALID_DATA naming it."""
    raw = request.arg(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ApiError(400, "INVALID_DATA", f"invalid data for {name}", {"param_name": name})
    return value


def paginate(
    request: Request,
    items: Sequence[T],
    maximum: int,
    key: str,
    render: Callable[[T], Any],
    *,
    info: bool = True,
) -> Response:
    """One page of ``items`` in Zoho's envelope ``{key: [...], "info": {...}}``.

    ``per_page`` above ``maximum`` is clamped (``info.per_page`` shows the effective value);
    ``info.count`` is the number of records in this page; a page with nothing is 204.
    """
    page = int_param(request, "page", 1)
    per_page = min(int_param(request, "per_page", maximum), maximum)
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    if not chunk:
        return Response(204)
    body: dict[str, Any] = {key: [render(item) for item in chunk]}
    if info:
        body["info"] = {
            "per_page": per_page,
            "count": len(chunk),
            "page": page,
            "more_records": start + per_page < len(items),
        }
    return Response(200, body)


def is_digits(value: Any) -> bool:
    """Whether an id is a string of digits (or a non-negative JSON integer)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and value.isdigit() and value.isascii()


def id_list(request: Request, name: str = "ids") -> list[str] | None:
    """A comma-separated id list from the query (``None`` when absent); entries stripped."""
    raw = request.arg(name)
    if raw is None:
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


def invalid_path_id(index: int, message: str) -> ApiError:
    """400 INVALID_DATA for a bad id in the URL path.

    ``resource_path_index`` counts the path segments after ``/crm/{version}/``, from 0,
    without a leading ``settings`` segment: 1 for ``/settings/territories/{id}`` (as in the
    OAS example), 1 for ``/users/{id}``, 3 for ``/users/{id}/territories/{id}``.
    """
    return ApiError(400, "INVALID_DATA", message, {"resource_path_index": index})
