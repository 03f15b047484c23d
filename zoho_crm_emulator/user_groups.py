"""User-group endpoints E13-E16 (``/settings/user_groups...``)."""

from __future__ import annotations

from zoho_crm_emulator import render
from zoho_crm_emulator.api import ApiError, Request, Response, id_list, invalid_path_id, is_digits
from zoho_crm_emulator.api import paginate as _paginate
from zoho_crm_emulator.filters import Field, parse_filters
from zoho_crm_emulator.org import SOURCE_TYPES, Org, Source, UserGroup

MAX_PER_PAGE = 200
INCLUDES = frozenset({"sources_count", "sources"})
USER_TYPES = ("active", "inactive", "deleted")

# E13 [D7:User Groups]: name with contains / starts_with, group_operator "and".
_LIST_FIELDS: dict[str, Field[UserGroup]] = {
    "name": Field("text", frozenset({"contains", "starts_with"}), lambda g: g.name),
}
# E14 [S001]: name and description with starts_with / equal; several criteria, and / or.
_COUNT_FIELDS: dict[str, Field[UserGroup]] = {
    "name": Field("text", frozenset({"starts_with", "equal"}), lambda g: g.name),
    "description": Field("text", frozenset({"starts_with", "equal"}), lambda g: g.description),
}


def group_or_error(org: Org, raw: str) -> UserGroup:
    """The group named in the URL path, or 400 INVALID_DATA (``resource_path_index`` 1)."""
    found = org.groups.get(raw) if is_digits(raw) else None
    if found is None:
        raise invalid_path_id(1, "The given group id is invalid")
    return found


def _includes(request: Request) -> set[str]:
    values = set(id_list(request, "include") or ())
    if not values <= INCLUDES:
        raise ApiError(
            400,
            "INVALID_DATA",
            "invalid data",
            {"param_name": "include", "supported_values": sorted(INCLUDES)},
        )
    return values


def list_groups(request: Request) -> Response:
    """E13 GET /settings/user_groups: ``filters``, ``name`` (contains), ``include``, paging."""
    org = request.org
    includes = _includes(request)
    predicate = parse_filters(request.arg("filters"), _LIST_FIELDS, frozenset({"and"}))
    rows = [org.groups[gid] for gid in org.group_ids]
    name = request.arg("name")
    if name:
        # The `name` parameter's matching is not documented: case-insensitive "contains".
        rows = [row for row in rows if name.lower() in row.name.lower()]
    if predicate is not None:
        rows = [row for row in rows if predicate(row)]
    return _paginate(
        request,
        rows,
        MAX_PER_PAGE,
        "user_groups",
        lambda row: render.user_group(
            org,
            row,
            with_counts="sources_count" in includes,
            with_sources="sources" in includes,
        ),
    )


def get_group(request: Request) -> Response:
    """E13 GET /settings/user_groups/{id}: ``{"user_groups": [one]}`` without ``info``."""
    includes = _includes(request)
    row = group_or_error(request.org, request.params["id"])
    body = render.user_group(
        request.org,
        row,
        with_counts="sources_count" in includes,
        with_sources="sources" in includes,
    )
    return Response(200, {"user_groups": [body]})


def associated_users_count(request: Request) -> Response:
    """E14 GET /settings/user_groups/actions/associated_users_count: ``count`` is an INT."""
    org = request.org
    predicate = parse_filters(request.arg("filters"), _COUNT_FIELDS, frozenset({"and", "or"}))
    rows = [org.groups[gid] for gid in org.group_ids]
    if predicate is not None:
        rows = [row for row in rows if predicate(row)]
    return _paginate(
        request,
        rows,
        MAX_PER_PAGE,
        "associated_users_count",
        lambda row: {
            "user_group": {"name": row.name, "id": row.id},
            "count": len(org.group_members(row.id)),
        },
    )


def _pattern(param: str, allowed: tuple[str, ...]) -> ApiError:
    return ApiError(
        400,
        "PATTERN_NOT_MATCHED",
        "Please check whether the input values are correct",
        {"regex": "|".join(allowed), "param_name": param},
    )


def sources(request: Request) -> Response:
    """E15 GET /settings/user_groups/{id}/sources: ``type`` and ``user_type`` filters.

    ``user_type`` keeps the user sources of that status; other source types are unaffected
    (combine with ``type=users`` to list users only).
    """
    org = request.org
    row = group_or_error(org, request.params["id"])
    kind = request.arg("type")
    if kind is not None and kind not in SOURCE_TYPES:
        raise _pattern("type", SOURCE_TYPES)
    user_type = request.arg("user_type")
    if user_type is not None and user_type not in USER_TYPES:
        raise _pattern("user_type", USER_TYPES)

    def keep(item: Source) -> bool:
        if kind is not None and item.type != kind:
            return False
        if user_type is not None and item.type == "users":
            user = org.users.get(item.id)
            return user is not None and user.status == user_type
        return True

    items = [item for item in row.sources if keep(item)]
    return _paginate(request, items, MAX_PER_PAGE, "sources", lambda item: render.source(org, item))


def sources_count(request: Request) -> Response:
    """E16 GET /settings/user_groups/{id}/actions/sources_count: one element, no ``info``."""
    row = group_or_error(request.org, request.params["id"])
    return Response(200, {"sources_count": [render.sources_count(request.org, row)]})
