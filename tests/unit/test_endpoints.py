"""The endpoint catalogue is the one place for method, path, envelope, limits, scopes and 204s."""

from __future__ import annotations

import pytest

from zoho_crm_api import endpoints
from zoho_crm_api.endpoints import BY_ROUTE, ENDPOINTS

# zoho-api.md §7 note 15: 204 documented on E1-E3, E5, E8, E10, E13-E16; 304 on E8 with
# If-Modified-Since. Nothing else may read a 204 as "no records".
DOCUMENTED_EMPTY = {"E1", "E2", "E3", "E5", "E8", "E10", "E13", "E14", "E15", "E16"}


def test_routes_are_unique_and_indexed() -> None:
    assert len(BY_ROUTE) == len(ENDPOINTS)
    for endpoint in ENDPOINTS:
        assert BY_ROUTE[endpoint.route] is endpoint
        assert endpoint.route == f"{endpoint.method} {endpoint.path}"


def test_keys_are_those_of_zoho_api_md() -> None:
    keys = {endpoint.key for endpoint in ENDPOINTS}
    used = (1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20)
    assert keys == {f"E{n}" for n in used}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.route)
def test_no_content_only_where_documented(endpoint: endpoints.Endpoint) -> None:
    if endpoint.key in DOCUMENTED_EMPTY:
        assert 204 in endpoint.no_content
    else:
        assert endpoint.no_content == ()
    assert (304 in endpoint.no_content) == (endpoint is endpoints.USERS_LIST)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.route)
def test_writes_carry_at_most_100_items_and_reads_page_as_far_as_allowed(
    endpoint: endpoints.Endpoint,
) -> None:
    if endpoint.is_write:
        assert endpoint.method in ("PUT", "DELETE")
        assert endpoint.max_items == 100
        assert endpoint.per_page is None
    else:
        assert endpoint.max_items is None
        assert endpoint.paged == (endpoint.per_page is not None)
    assert endpoint.scopes
    assert all(endpoint.scopes)


def test_page_sizes() -> None:
    assert endpoints.TERRITORIES_LIST.per_page == 2000  # §7 note 4: Zoho clamps, never worse
    paged = [e for e in ENDPOINTS if e.paged and e is not endpoints.TERRITORIES_LIST]
    assert paged
    assert {e.per_page for e in paged} == {200}


def test_scope_hints_read_as_words() -> None:
    assert endpoints.TERRITORY_USER_COUNTS.scope_hint == (
        "ZohoCRM.settings.territories.ALL and ZohoCRM.users.ALL"
    )
    assert endpoints.USER_TERRITORIES.scope_hint == (
        "ZohoCRM.users.READ or ZohoCRM.settings.territories.READ"
    )


def test_envelopes() -> None:
    assert endpoints.USERS_COUNT.envelope_type is int
    assert endpoints.ADD_TERRITORY_USERS.envelope == "users"
    assert endpoints.REMOVE_USER_TERRITORIES.envelope == "territories"
    assert all(e.envelope_type is list for e in ENDPOINTS if e is not endpoints.USERS_COUNT)
