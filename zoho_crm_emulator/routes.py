"""The route table: method + path template (after ``/crm/{version}``) -> handler, scopes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from zoho_crm_emulator import organization, profiles, roles, territories, user_groups, users
from zoho_crm_emulator.api import ApiError, Request, Response

TERRITORIES = "ZohoCRM.settings.territories"
USERS = "ZohoCRM.users"
GROUPS = "ZohoCRM.settings.user_groups"

Scopes = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Route:
    """One endpoint.  ``scopes``: alternatives, each a tuple of scopes all required."""

    method: str
    template: str
    handler: Callable[[Request], Response]
    scopes: Scopes
    territory_feature: bool = False
    internal_error: str = "INTERNAL_ERROR"
    segments: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.template.strip("/").split("/")))

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """Path parameters when ``parts`` fit this template, else ``None``."""
        if len(parts) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for index, (want, got) in enumerate(zip(self.segments, parts, strict=True)):
            if want.startswith("{"):
                if not got:
                    return None
                params[want[1:-1]] = got
            elif want != got and not (index == 0 and want == "users" and got == "Users"):
                # The doc writes E12 as /Users/{id}/territories (zoho-api.md §7 note 10).
                return None
        return params

    @property
    def literals(self) -> int:
        """How many literal segments (more literals win: E4 is not E2 with id "actions")."""
        return sum(1 for seg in self.segments if not seg.startswith("{"))


def _r(scope: str, operation: str) -> str:
    return f"{scope}.{operation}"


READ_T: Scopes = ((_r(TERRITORIES, "READ"),),)
READ_G: Scopes = ((_r(GROUPS, "READ"),),)
READ_U: Scopes = ((_r(USERS, "READ"),),)
READ_ROLES: Scopes = (("ZohoCRM.settings.roles.READ",),)
READ_PROFILES: Scopes = (("ZohoCRM.settings.profiles.READ",),)
_SE = "INTERNAL_SERVER_ERROR"  # the user-group pages' 500 code [S001; OAS]

ROUTES: tuple[Route, ...] = (
    # E4 [S000]: territories.ALL and users.ALL.
    Route(
        "GET",
        "/settings/territories/actions/associated_users_count",
        territories.associated_users_count,
        ((_r(TERRITORIES, "ALL"), _r(USERS, "ALL")),),
        territory_feature=True,
    ),
    Route("GET", "/settings/territories", territories.list_territories, READ_T, True),
    Route("GET", "/settings/territories/{id}", territories.get_territory, READ_T, True),
    Route(
        "GET",
        "/settings/territories/{id}/__child_territories",
        territories.child_territories,
        READ_T,
        True,
    ),
    # E5 [S003]: users.READ.
    Route("GET", "/settings/territories/{id}/users", territories.territory_users, READ_U, True),
    Route(
        "GET",
        "/settings/territories/{id}/users/{user_id}",
        territories.territory_users,
        READ_U,
        True,
    ),
    # E6 [D7]: territories.ALL and users.ALL.
    *(
        Route(
            "PUT",
            template,
            territories.associate_users,
            ((_r(TERRITORIES, "ALL"), _r(USERS, "ALL")),),
            True,
        )
        for template in (
            "/settings/territories/{id}/users",
            "/settings/territories/{id}/users/{user_id}",
        )
    ),
    # E7 [D7]: territories.ALL, or territories.DELETE and users.ALL.
    *(
        Route(
            "DELETE",
            template,
            territories.disassociate_users,
            ((_r(TERRITORIES, "ALL"),), (_r(TERRITORIES, "DELETE"), _r(USERS, "ALL"))),
            True,
        )
        for template in (
            "/settings/territories/{id}/users",
            "/settings/territories/{id}/users/{user_id}",
        )
    ),
    Route("GET", "/users", users.list_users, READ_U),
    Route("GET", "/users/actions/count", users.users_count, READ_U),
    Route("GET", "/users/{id}", users.get_user, READ_U),
    # E10 [D7]: users.READ or territories.READ.
    *(
        Route(
            "GET",
            template,
            users.user_territories,
            ((_r(USERS, "READ"),), (_r(TERRITORIES, "READ"),)),
            True,
        )
        for template in ("/users/{id}/territories", "/users/{id}/territories/{territory_id}")
    ),
    # E11 [S002]: users.UPDATE or territories.UPDATE.
    Route(
        "PUT",
        "/users/{id}/territories",
        users.add_territories,
        ((_r(USERS, "UPDATE"),), (_r(TERRITORIES, "UPDATE"),)),
        True,
    ),
    # E12 [D7]: users.DELETE and territories.DELETE.
    *(
        Route(
            "DELETE",
            template,
            users.remove_territories,
            ((_r(USERS, "DELETE"), _r(TERRITORIES, "DELETE")),),
            True,
        )
        for template in ("/users/{id}/territories", "/users/{id}/territories/{territory_id}")
    ),
    # E17 [D7]: user_groups.READ and users.READ.
    Route(
        "GET",
        "/users/{id}/actions/associated_groups",
        users.associated_groups,
        ((_r(GROUPS, "READ"), _r(USERS, "READ")),),
        internal_error=_SE,
    ),
    Route("GET", "/settings/user_groups", user_groups.list_groups, READ_G, internal_error=_SE),
    Route(
        "GET",
        "/settings/user_groups/actions/associated_users_count",
        user_groups.associated_users_count,
        READ_G,
        internal_error=_SE,
    ),
    Route("GET", "/settings/user_groups/{id}", user_groups.get_group, READ_G, internal_error=_SE),
    Route(
        "GET",
        "/settings/user_groups/{id}/sources",
        user_groups.sources,
        READ_G,
        internal_error=_SE,
    ),
    Route(
        "GET",
        "/settings/user_groups/{id}/actions/sources_count",
        user_groups.sources_count,
        READ_G,
        internal_error=_SE,
    ),
    # E18-E20 [zoho-api.md §10]: READ suffices (ALL covers it).
    Route("GET", "/settings/roles", roles.list_roles, READ_ROLES),
    Route("GET", "/settings/roles/{id}", roles.get_role, READ_ROLES),
    Route("GET", "/settings/profiles", profiles.list_profiles, READ_PROFILES),
    Route("GET", "/settings/profiles/{id}", profiles.get_profile, READ_PROFILES),
    Route("GET", "/org", organization.get_org, (("ZohoCRM.org.READ",),)),
)

_ORDERED = sorted(ROUTES, key=lambda route: -route.literals)


@dataclass
class Match:
    """The outcome of routing: a route and its parameters, or the error to answer."""

    stats_key: str
    version: str = ""
    route: Route | None = None
    params: dict[str, str] = field(default_factory=dict)
    error: ApiError | None = None


def not_found() -> ApiError:
    """404 INVALID_URL_PATTERN."""
    return ApiError(
        404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
    )


def resolve(method: str, path: str, versions: list[str]) -> Match:
    """Route ``method path``.

    A known path with another method is 400 INVALID_REQUEST_METHOD; an unknown path or
    version is 404 INVALID_URL_PATTERN.
    """
    parts = path.strip("/").split("/") if path.strip("/") else []
    if len(parts) < 2 or parts[0] != "crm" or parts[1] not in versions:
        return Match(f"{method} {path}", error=not_found())
    version, rest = parts[1], parts[2:]
    other_method: Route | None = None
    for route in _ORDERED:
        params = route.match(rest)
        if params is None:
            continue
        if route.method == method:
            return Match(f"{method} {route.template}", version, route, params)
        other_method = other_method or route
    if other_method is not None:
        return Match(
            f"{method} {other_method.template}",
            version,
            error=ApiError(
                400, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one"
            ),
        )
    return Match(f"{method} /{'/'.join(rest)}", version, error=not_found())
