"""User endpoints: E8 users, E9 count, E10-E12 a user's territories, E17 groups."""

from __future__ import annotations

from collections.abc import Callable
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
from zoho_crm_emulator.org import ACTIVE, DELETED, INACTIVE, Org, User
from zoho_crm_emulator.territories import MANAGER, ORG_TERRITORY, territory_or_error
from zoho_crm_emulator.timeutil import parse_ts
from zoho_crm_emulator.writes import (
    MAX_ITEMS,
    body_items,
    item_error,
    item_id,
    json_path,
    outcome,
    query_ids,
    success,
)

MAX_PER_PAGE = 200
DEFAULT_TYPE = "AllUsers"  # the default when `type` is omitted is UNCERTAIN (zoho-api.md E8)

ADDED = "Territory associated to the user successfully"
REMOVED = "Territory removed from the user successfully"
SELF_UPDATE = "Logged in users cannot update their own territories"
SELF_DELETE = "You cannot update the territories you belong to"
NOT_LINKED = "The territory ID is not linked with the user"
BAD_TERRITORY = "The given territory id seems to be invalid"


def _types(org: Org) -> dict[str, Callable[[User], bool]]:
    admin = org.is_admin
    return {
        "AllUsers": lambda u: u.status in (ACTIVE, INACTIVE),
        "ActiveUsers": lambda u: u.status == ACTIVE,
        "AllActiveUsers": lambda u: u.status == ACTIVE,
        "DeactiveUsers": lambda u: u.status == INACTIVE,
        "ConfirmedUsers": lambda u: u.confirm and u.status != DELETED,
        "NotConfirmedUsers": lambda u: not u.confirm and u.status != DELETED,
        "DeletedUsers": lambda u: u.status == DELETED,
        "ActiveConfirmedUsers": lambda u: u.status == ACTIVE and u.confirm,
        "AdminUsers": lambda u: admin(u) and u.status != DELETED,
        "ActiveConfirmedAdmins": lambda u: admin(u) and u.status == ACTIVE and u.confirm,
        "CurrentUser": lambda u: u.id == org.current_user_id,
        "DeveloperUsers": lambda u: False,
        "ActiveLiteUser": lambda u: False,
    }


def _selected(request: Request) -> list[str]:
    """User ids for ``type`` / ``ids`` / ``If-Modified-Since`` (cached: users never change)."""
    org = request.org
    kind = request.arg("type") or DEFAULT_TYPE
    types = _types(org)
    if kind not in types:
        raise ApiError(
            400,
            "INVALID_DATA",
            "invalid data",
            {"param_name": "type", "supported_values": sorted(types)},
        )
    ids = id_list(request)
    if ids is not None:
        if len(ids) > MAX_ITEMS:
            raise ApiError(
                400, "LIMIT_EXCEEDED", "at most 100 ids", {"param_name": "ids", "limit": MAX_ITEMS}
            )
        if not all(is_digits(value) for value in ids):
            raise ApiError(400, "INVALID_DATA", "invalid data", {"param_name": "ids"})
    since: float | None = None
    header = request.header("If-Modified-Since")
    if header:
        since = parse_ts(header, org.offset_minutes)
        if since is None:
            raise ApiError(
                400,
                "INVALID_DATA",
                "invalid value for the If-Modified-Since header",
                {"header_name": "If-Modified-Since"},
            )
    test = types[kind]

    def build() -> list[str]:
        wanted = set(ids) if ids is not None else None
        out = []
        for uid in org.user_ids:
            row = org.users[uid]
            if wanted is not None and uid not in wanted:
                continue
            if since is not None and not row.modified_at > since:
                continue
            if test(row):
                out.append(uid)
        return out

    return org.cached_user_list((kind, tuple(ids or ()), since), build)


def list_users(request: Request) -> Response:
    """E8 GET /users: ``type`` (default AllUsers), ``ids``, ``If-Modified-Since`` (304)."""
    org = request.org
    selected = _selected(request)
    if not selected and request.header("If-Modified-Since"):
        return Response(304)
    return paginate(
        request, selected, MAX_PER_PAGE, "users", lambda uid: render.user(org, org.users[uid])
    )


def user_or_error(org: Org, raw: str, index: int = 1) -> User:
    """The user named in the URL path, or 400 INVALID_DATA with its path index."""
    found = org.users.get(raw) if is_digits(raw) else None
    if found is None:
        raise invalid_path_id(index, "the user id given seems to be invalid")
    return found


def get_user(request: Request) -> Response:
    """E8 GET /users/{id}: ``{"users": [one]}`` without ``info``."""
    row = user_or_error(request.org, request.params["id"])
    return Response(200, {"users": [render.user(request.org, row)]})


def users_count(request: Request) -> Response:
    """E9 GET /users/actions/count: ``{"count": int}``."""
    return Response(200, {"count": len(_selected(request))})


def user_territories(request: Request) -> Response:
    """E10 GET /users/{id}/territories[/{territory_id}] with capitalised keys."""
    org = request.org
    row = user_or_error(org, request.params["id"])
    tids = org.territories_of_user(row.id)
    territory_id = request.params.get("territory_id")
    if territory_id is not None:
        found = territory_or_error(org, territory_id, 3)
        if found.id not in org.user_territories[row.id]:
            return Response(204)
        # info is present "only while fetching all the territories related to the user" [D7].
        return Response(200, {"territories": [render.user_territory(org, found)]})
    return paginate(
        request,
        tids,
        MAX_PER_PAGE,
        "territories",
        lambda tid: render.user_territory(org, org.territories[tid]),
    )


def _writable_user(request: Request, self_message: str, *, allow_inactive: bool) -> User:
    org = request.org
    row = user_or_error(org, request.params["id"])
    if row.status == DELETED:
        raise invalid_path_id(1, "the user is deleted or not associated with CRM")
    if row.id == org.current_user_id:
        raise ApiError(400, "NOT_ALLOWED", self_message, {})
    if row.status != ACTIVE and not allow_inactive:
        raise invalid_path_id(1, "the user is inactive")
    return row


def add_territories(request: Request) -> Response:
    """E11 PUT /users/{id}/territories: additive; per-item results under ``territories``."""
    org = request.org
    row = _writable_user(request, SELF_UPDATE, allow_inactive=False)
    items = body_items(request, "territories")
    limit = request.config.max_users_per_territory
    results: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        territory_id, error = item_id(item, "territories", index)
        if error is None and territory_id is not None:
            path = json_path("territories", index)
            if territory_id not in org.territories:
                error = item_error("INVALID_DATA", "invalid territory id", path)
            elif territory_id in org.user_territories[row.id]:
                error = item_error(
                    "DUPLICATE_DATA", "Territory already associated with the user", path
                )
            elif limit is not None and len(org.territory_users[territory_id]) >= limit:
                error = item_error(
                    "LIMIT_EXCEEDED",
                    "Maximum Users Limit reached for a territory",
                    {**path, "limit": limit},
                )
            else:
                org.assign(row.id, territory_id)
        results.append(error or success(str(territory_id), ADDED))
    if any(result["status"] == "success" for result in results):
        org.touch()
    return outcome(request, "territories", results)


def remove_territories(request: Request) -> Response:
    """E12 DELETE /users/{id}/territories?ids=... or .../territories/{territory_id}.

    Error items have EMPTY ``details`` as in the doc sample (zoho-api.md §7 note 14), so a
    client can only match them to its ids by position.
    """
    org = request.org
    row = _writable_user(request, SELF_DELETE, allow_inactive=True)
    path_territory = request.params.get("territory_id")
    if path_territory is not None:
        ids = [territory_or_error(org, path_territory, 3).id]
    else:
        ids = query_ids(request, "territories")
    results: list[dict[str, Any]] = []
    for territory_id in ids:
        found = org.territories.get(territory_id) if is_digits(territory_id) else None
        if found is None:
            error = item_error("INVALID_DATA", BAD_TERRITORY)
        elif found.parent_id is None:
            error = item_error("INVALID_DATA", ORG_TERRITORY)
        elif found.id not in org.user_territories[row.id]:
            error = item_error("INVALID_DATA", NOT_LINKED)
        elif found.manager_id == row.id:
            error = item_error("INVALID_DATA", MANAGER)
        else:
            org.unassign(row.id, found.id)
            error = None
        results.append(error or success(territory_id, REMOVED))
    if any(result["status"] == "success" for result in results):
        org.touch()
    return outcome(request, "territories", results)


def associated_groups(request: Request) -> Response:
    """E17 GET /users/{id}/actions/associated_groups: the groups reaching this user."""
    org = request.org
    row = user_or_error(org, request.params["id"])
    groups = [gid for gid in org.group_ids if row.id in org.group_members(gid)]
    return paginate(
        request,
        groups,
        MAX_PER_PAGE,
        "user_groups",
        lambda gid: render.user_group(org, org.groups[gid]),
    )
