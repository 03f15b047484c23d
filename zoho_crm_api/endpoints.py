"""Every Zoho CRM endpoint the plugins call, once: method, path, envelope, limits and scopes.

Keys are zoho-api.md's (§2 and §10). `path` is the template after `/crm/{version}`, as the client
counts calls and the emulator's stats name them. `scopes` lists alternatives, each a tuple of
scopes that are all required (zoho-api.md follows the docs where they and the OAS disagree).
"""

from __future__ import annotations

from dataclasses import dataclass

TERRITORIES = "ZohoCRM.settings.territories"
USERS = "ZohoCRM.users"
GROUPS = "ZohoCRM.settings.user_groups"
ROLES = "ZohoCRM.settings.roles"
PROFILES = "ZohoCRM.settings.profiles"
ORG = "ZohoCRM.org"

Scopes = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Endpoint:
    """One endpoint of Zoho CRM's REST API."""

    key: str
    method: str
    path: str
    # The key of the answer's array (records of a read, per-item results of a write).
    envelope: str
    scopes: Scopes
    # The largest page a list allows (`per_page`); None when the endpoint does not page.
    per_page: int | None = None
    # The most items one write call may carry.
    max_items: int | None = None
    # True when the answer carries an `info` block with `more_records`.
    paged: bool = False
    # The JSON type of the envelope's value: an array everywhere but E9's integer `count`.
    envelope_type: type = list
    # Statuses with no body that zoho-api.md documents as "nothing to return" (§7 note 15:
    # 204 on E1-E3, E5, E8, E10, E13-E16; 304 on E8 with If-Modified-Since). Anywhere else a
    # 204 is not an answer, never an empty page.
    no_content: tuple[int, ...] = ()
    # The fewest records a successful answer holds: GET /org always names the one org, so an
    # empty `org` array is not Zoho's answer (a read would lose the organization silently).
    min_items: int = 0

    @property
    def route(self) -> str:
        """`METHOD /path`, the name calls are counted under."""
        return f"{self.method} {self.path}"

    @property
    def is_write(self) -> bool:
        """True for PUT and DELETE: Zoho may have applied a call whose answer was lost."""
        return self.method != "GET"

    @property
    def scope_hint(self) -> str:
        """The scopes to grant, in words: `A and B`, or `A or C` for alternatives."""
        return " or ".join(" and ".join(alternative) for alternative in self.scopes)


def _read(scope: str) -> Scopes:
    return ((f"{scope}.READ",),)


EMPTY = (204,)


# E1: 2000 per page per the v7 text and sample (the v8 OAS says 200; zoho-api.md §7 note 4).
# Zoho clamps larger values, so asking for 2000 is never worse than asking for 200.
TERRITORIES_LIST = Endpoint(
    "E1",
    "GET",
    "/settings/territories",
    "territories",
    _read(TERRITORIES),
    2000,
    paged=True,
    no_content=EMPTY,
)
TERRITORY = Endpoint(
    "E2", "GET", "/settings/territories/{id}", "territories", _read(TERRITORIES), no_content=EMPTY
)
# E4 needs .ALL of both territories and users [S000].
TERRITORY_USER_COUNTS = Endpoint(
    "E4",
    "GET",
    "/settings/territories/actions/associated_users_count",
    "associated_users_count",
    ((f"{TERRITORIES}.ALL", f"{USERS}.ALL"),),
    200,
    paged=True,
)
TERRITORY_USERS = Endpoint(
    "E5",
    "GET",
    "/settings/territories/{id}/users",
    "users",
    _read(USERS),
    200,
    paged=True,
    no_content=EMPTY,
)
ADD_TERRITORY_USERS = Endpoint(
    "E6",
    "PUT",
    "/settings/territories/{id}/users",
    "users",
    ((f"{TERRITORIES}.ALL", f"{USERS}.ALL"),),
    max_items=100,
)
REMOVE_TERRITORY_USERS = Endpoint(
    "E7",
    "DELETE",
    "/settings/territories/{id}/users",
    "users",
    ((f"{TERRITORIES}.ALL",), (f"{TERRITORIES}.DELETE", f"{USERS}.ALL")),
    max_items=100,
)
USERS_LIST = Endpoint(
    "E8", "GET", "/users", "users", _read(USERS), 200, paged=True, no_content=(204, 304)
)
USER = Endpoint("E8", "GET", "/users/{id}", "users", _read(USERS), no_content=EMPTY)
USERS_COUNT = Endpoint(
    "E9", "GET", "/users/actions/count", "count", _read(USERS), envelope_type=int
)
USER_TERRITORIES = Endpoint(
    "E10",
    "GET",
    "/users/{id}/territories",
    "territories",
    ((f"{USERS}.READ",), (f"{TERRITORIES}.READ",)),
    200,
    paged=True,
    no_content=EMPTY,
)
ADD_USER_TERRITORIES = Endpoint(
    "E11",
    "PUT",
    "/users/{id}/territories",
    "territories",
    ((f"{USERS}.UPDATE",), (f"{TERRITORIES}.UPDATE",)),
    max_items=100,
)
REMOVE_USER_TERRITORIES = Endpoint(
    "E12",
    "DELETE",
    "/users/{id}/territories",
    "territories",
    ((f"{USERS}.DELETE", f"{TERRITORIES}.DELETE"),),
    max_items=100,
)
USER_GROUPS = Endpoint(
    "E13",
    "GET",
    "/settings/user_groups",
    "user_groups",
    _read(GROUPS),
    200,
    paged=True,
    no_content=EMPTY,
)
GROUP_USER_COUNTS = Endpoint(
    "E14",
    "GET",
    "/settings/user_groups/actions/associated_users_count",
    "associated_users_count",
    _read(GROUPS),
    200,
    paged=True,
    no_content=EMPTY,
)
GROUP_SOURCES = Endpoint(
    "E15",
    "GET",
    "/settings/user_groups/{id}/sources",
    "sources",
    _read(GROUPS),
    200,
    paged=True,
    no_content=EMPTY,
)
GROUP_SOURCES_COUNT = Endpoint(
    "E16",
    "GET",
    "/settings/user_groups/{id}/actions/sources_count",
    "sources_count",
    _read(GROUPS),
    no_content=EMPTY,
)
ROLES_LIST = Endpoint("E18", "GET", "/settings/roles", "roles", _read(ROLES))
PROFILES_LIST = Endpoint("E19", "GET", "/settings/profiles", "profiles", _read(PROFILES))
ORGANIZATION = Endpoint("E20", "GET", "/org", "org", _read(ORG), min_items=1)

ENDPOINTS: tuple[Endpoint, ...] = (
    TERRITORIES_LIST,
    TERRITORY,
    TERRITORY_USER_COUNTS,
    TERRITORY_USERS,
    ADD_TERRITORY_USERS,
    REMOVE_TERRITORY_USERS,
    USERS_LIST,
    USER,
    USERS_COUNT,
    USER_TERRITORIES,
    ADD_USER_TERRITORIES,
    REMOVE_USER_TERRITORIES,
    USER_GROUPS,
    GROUP_USER_COUNTS,
    GROUP_SOURCES,
    GROUP_SOURCES_COUNT,
    ROLES_LIST,
    PROFILES_LIST,
    ORGANIZATION,
)
BY_ROUTE: dict[str, Endpoint] = {endpoint.route: endpoint for endpoint in ENDPOINTS}
