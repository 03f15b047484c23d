"""What a mirror run (mirror_scope user) may read: the cheaper way round for its input."""

from __future__ import annotations

from collections.abc import Mapping

TERRITORIES = "GET /settings/territories"
BY_TERRITORY = "GET /settings/territories/{id}/users"
BY_USER = "GET /users/{id}/territories"


def assert_read_the_cheaper_way(
    calls: Mapping[str, int], *, territories: int, named_users: int
) -> None:
    """The territories listed once (E1, to choose), then every territory's users (E5) when
    there are fewer territories than named users, else each named user's territories (E10):
    one page each (no territory or user here holds over 200)."""
    by_territory = territories < named_users
    assert calls.get(TERRITORIES, 0) == 1, calls
    assert calls.get(BY_TERRITORY, 0) == (territories if by_territory else 0), calls
    assert calls.get(BY_USER, 0) == (0 if by_territory else named_users), calls
