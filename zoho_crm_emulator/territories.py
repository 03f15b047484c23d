"""Territory endpoints E1-E7 (``/settings/territories...``)."""

from __future__ import annotations

from typing import Any

from zoho_crm_emulator import render
from zoho_crm_emulator.api import (
    ApiError,
    Request,
    Response,
    id_list,
    invalid_path_id,
    is_digits,
    paginate,
)
from zoho_crm_emulator.filters import (
    ID_COMPARATORS,
    TEXT_COMPARATORS,
    TIME_COMPARATORS,
    Field,
    Predicate,
    parse_filters,
)
from zoho_crm_emulator.org import ACTIVE, Org, Territory
from zoho_crm_emulator.writes import (
    body_items,
    item_error,
    item_id,
    json_path,
    outcome,
    query_ids,
    success,
)

CHILD_MAX_PER_PAGE = 200
COUNT_MAX_PER_PAGE = 200
USERS_MAX_PER_PAGE = 200
INCLUDES = frozenset(render.CRITERIA_KEYS)
INNER_DETAILS = frozenset({"manager.zuid", "manager.status"})

ADDED = "Given User added to the mentioned territory Successfully"
REMOVED = "Given User Removed from the mentioned territory Successfully"
ORG_TERRITORY = "Organization Territory cannot be removed from the user"
MANAGER = "This user cannot be removed as the user is a manager of the mentioned Territory."
NOT_MEMBER = "user is not a member of this territory"
SELF = "Logged in users cannot update their own territories"

_FIELDS: dict[str, Field[Territory]] = {
    "modified_time": Field("time", frozenset(TIME_COMPARATORS), lambda t: t.modified_at),
    "created_time": Field("time", frozenset(TIME_COMPARATORS), lambda t: t.created_at),
    "name": Field("text", frozenset(TEXT_COMPARATORS), lambda t: t.name),
    "reporting_to.id": Field("id", frozenset(ID_COMPARATORS), lambda t: t.parent_id),
    "manager.id": Field("id", frozenset(ID_COMPARATORS), lambda t: t.manager_id),
    "id": Field("id", frozenset(ID_COMPARATORS), lambda t: t.id),
    "permission_type": Field("enum", frozenset(ID_COMPARATORS), lambda t: t.permission_type),
    "created_by": Field("id", frozenset(ID_COMPARATORS), lambda t: t.created_by_id),
    "modified_by": Field("id", frozenset(ID_COMPARATORS), lambda t: t.modified_by_id),
    "created_by.id": Field("id", frozenset(ID_COMPARATORS), lambda t: t.created_by_id),
    "modified_by.id": Field("id", frozenset(ID_COMPARATORS), lambda t: t.modified_by_id),
}
# Whether group criteria are accepted in territory filters is UNCERTAIN: accepted (and/or).
_OPERATORS = frozenset({"and", "or"})


def _filter(request: Request) -> Predicate[Territory] | None:
    return parse_filters(request.arg("filters"), _FIELDS, _OPERATORS, request.org.offset_minutes)


def _options(request: Request) -> dict[str, Any]:
    includes = tuple(id_list(request, "include") or ())
    for value in includes:
        if value not in INCLUDES:
            raise ApiError(
                400,
                "INVALID_DATA",
                "invalid data",
                {"param_name": "include", "supported_values": sorted(INCLUDES)},
            )
    inner = tuple(id_list(request, "include_inner_details") or ())
    for value in inner:
        if value not in INNER_DETAILS:
            raise ApiError(
                400,
                "INVALID_DATA",
                "invalid data",
                {"param_name": "include_inner_details", "supported_values": sorted(INNER_DETAILS)},
            )
    return {"includes": includes, "inner": inner}


def territory_or_error(org: Org, raw: str, index: int = 1) -> Territory:
    """The territory named in the URL path, or 400 INVALID_DATA with its path index."""
    found = org.territories.get(raw) if is_digits(raw) else None
    if found is None:
        raise invalid_path_id(index, "The given territory id is invalid")
    return found


def list_territories(request: Request) -> Response:
    """E1 GET /settings/territories: ``filters``, ``ids``, ``include``, paging (max 2000)."""
    org = request.org
    predicate = _filter(request)
    options = _options(request)
    rows = [org.territories[tid] for tid in org.territory_ids]
    ids = id_list(request)
    if ids is not None:
        if not all(is_digits(value) for value in ids):
            raise ApiError(400, "INVALID_DATA", "invalid data", {"param_name": "ids"})
        wanted = set(ids)
        rows = [row for row in rows if row.id in wanted]
    if predicate is not None:
        rows = [row for row in rows if predicate(row)]
    return paginate(
        request,
        rows,
        request.config.territories_max_per_page,
        "territories",
        lambda row: render.territory(org, row, **options),
    )


def get_territory(request: Request) -> Response:
    """E2 GET /settings/territories/{id}: one-element array, no ``info``."""
    options = _options(request)
    row = territory_or_error(request.org, request.params["id"])
    return Response(200, {"territories": [render.territory(request.org, row, **options)]})


def child_territories(request: Request) -> Response:
    """E3 GET /settings/territories/{id}/__child_territories (direct children by default)."""
    org = request.org
    parent = territory_or_error(org, request.params["id"])
    predicate = _filter(request)
    options = _options(request)
    if request.config.child_territories == "all":
        ids = sorted(org.descendants(parent.id), key=int)
    else:
        ids = org.children(parent.id)
    rows = [org.territories[tid] for tid in ids]
    if predicate is not None:
        rows = [row for row in rows if predicate(row)]
    return paginate(
        request,
        rows,
        CHILD_MAX_PER_PAGE,
        "territories",
        lambda row: render.territory(org, row, criteria=True, **options),
    )


def associated_users_count(request: Request) -> Response:
    """E4 GET /settings/territories/actions/associated_users_count: ``count`` is a STRING."""
    org = request.org
    return paginate(
        request,
        org.territory_ids,
        COUNT_MAX_PER_PAGE,
        "associated_users_count",
        lambda tid: {
            "count": str(len(org.territory_users[tid])),
            "territory": render.minified_territory(org, tid),
        },
    )


def territory_users(request: Request) -> Response:
    """E5 GET /settings/territories/{id}/users[/{user_id}]."""
    org = request.org
    row = territory_or_error(org, request.params["id"])
    user_id = request.params.get("user_id")
    members = org.users_of_territory(row.id)
    if user_id is not None:
        if not is_digits(user_id) or user_id not in org.users:
            raise invalid_path_id(3, "The given user id is invalid")
        members = [user_id] if user_id in org.territory_users[row.id] else []
    return paginate(
        request,
        members,
        USERS_MAX_PER_PAGE,
        "users",
        lambda uid: render.user(org, org.users[uid]),
    )


def associate_users(request: Request) -> Response:
    """E6 PUT /settings/territories/{id}/users (body) or .../users/{user_id} (no body)."""
    org = request.org
    row = territory_or_error(org, request.params["id"])
    path_user = request.params.get("user_id")
    if path_user is not None:
        if not is_digits(path_user) or path_user not in org.users:
            raise invalid_path_id(3, "The given user id is invalid")
        items: list[Any] = [{"id": path_user}]
    else:
        items = body_items(request, "users")
    results = []
    limit = request.config.max_users_per_territory
    for index, item in enumerate(items):
        user_id, error = item_id(item, "users", index)
        if error is None and user_id is not None:
            error = _add_user(org, row, user_id, index, limit)
        results.append(error or success(str(user_id), ADDED))
    if any(result["status"] == "success" for result in results):
        org.touch()
    return outcome(request, "users", results)


def _add_user(
    org: Org, row: Territory, user_id: str, index: int, limit: int | None
) -> dict[str, Any] | None:
    path = json_path("users", index)
    user = org.users.get(user_id)
    if user is None:
        return item_error("INVALID_DATA", "the user id given seems to be invalid", path)
    if user.status != ACTIVE:
        return item_error("INVALID_DATA", "the user is inactive or deleted", path)
    if user_id == org.current_user_id:
        return item_error("NOT_ALLOWED", SELF, path)
    if user_id in org.territory_users[row.id]:
        return item_error(
            "DUPLICATE_DATA", "the user is already associated with the territory", path
        )
    if limit is not None and len(org.territory_users[row.id]) >= limit:
        return item_error(
            "LIMIT_EXCEEDED",
            "Maximum Users Limit reached for a territory. "
            "Note: manager is also considered as a user",
            {**path, "limit": limit},
        )
    org.assign(user_id, row.id)
    return None


def disassociate_users(request: Request) -> Response:
    """E7 DELETE /settings/territories/{id}/users?ids=... or .../users/{user_id}.

    Error items carry ``details: {}`` like E12's (zoho-api.md §7 note 14): a choice, E7's
    error details are not documented.
    """
    org = request.org
    row = territory_or_error(org, request.params["id"])
    path_user = request.params.get("user_id")
    if path_user is not None:
        if not is_digits(path_user) or path_user not in org.users:
            raise invalid_path_id(3, "The given user id is invalid")
        ids = [path_user]
    else:
        ids = query_ids(request, "users")
    results = []
    for user_id in ids:
        error = _remove_user(org, row, user_id)
        results.append(error or success(user_id, REMOVED))
    if any(result["status"] == "success" for result in results):
        org.touch()
    return outcome(request, "users", results)


def _remove_user(org: Org, row: Territory, user_id: str) -> dict[str, Any] | None:
    if not is_digits(user_id) or user_id not in org.users:
        return item_error("INVALID_DATA", "the user id given seems to be invalid")
    if user_id == org.current_user_id:
        return item_error("NOT_ALLOWED", SELF)
    if row.parent_id is None:
        return item_error("INVALID_DATA", ORG_TERRITORY)
    if user_id not in org.territory_users[row.id]:
        return item_error("INVALID_DATA", NOT_MEMBER)
    if row.manager_id == user_id:
        return item_error("INVALID_DATA", MANAGER)
    org.unassign(user_id, row.id)
    return None
