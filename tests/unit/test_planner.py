"""The planner on its own: collapsing records, and the fewest calls (no HTTP)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from target_zoho_territories.planner import (
    MAX_ITEMS,
    Change,
    _max_matching,
    collapse,
    cost,
    plan,
)
from target_zoho_territories.records import Result, read_assignment


def _result(user: str, territory: str, action: str = "add", line: int = 0) -> Result:
    body = {"user_id": user, "territory_id": territory, "action": action}
    return read_assignment("s", line, body)


def _changes(pairs, action: str = "add") -> list[Change]:
    return [Change(u, t, action, _result(u, t, action)) for u, t in pairs]


def test_collapse_keeps_the_last_record_per_pair() -> None:
    results = [
        _result("1", "10", line=1),
        _result("1", "10", "remove", line=2),
        _result("2", "10", line=3),
        _result("1", "10", line=4),
    ]

    changes, answers = collapse(results)

    assert [(c.pair, c.action, c.result.line) for c in changes] == [
        (("2", "10"), "add", 3),
        (("1", "10"), "add", 4),
    ]
    assert [result for result, _ in answers] == results[:2]
    assert {(a.outcome, a.code) for _, a in answers} == {("unchanged", "SUPERSEDED")}
    assert "line 2" in str(answers[0][1].message)
    assert "line 4" in str(answers[1][1].message)
    assert all(result.outcome is None for result in results)  # recorded by the engine


def test_one_territory_with_300_users_is_3_calls() -> None:
    changes = _changes((str(u), "9") for u in range(300))

    result = plan(changes)

    assert len(result.calls) == 3
    assert result.grouping == {"add": "territory"}
    assert {c.endpoint for c in result.calls} == {"PUT /settings/territories/{id}/users"}
    assert result.lower_bound == 3


def test_adds_and_removes_are_planned_apart() -> None:
    changes = _changes([("1", "8"), ("1", "9")]) + _changes([("2", "9"), ("3", "9")], "remove")

    result = plan(changes)

    assert sorted(c.endpoint for c in result.calls) == [
        "DELETE /settings/territories/{id}/users",
        "PUT /users/{id}/territories",
    ]


def test_a_mixed_plan_when_neither_side_alone_is_cheap() -> None:
    pairs = [("u0", f"t{n}") for n in range(1, 40)] + [(f"u{n}", "t0") for n in range(1, 40)]

    result = plan(_changes(pairs))

    assert len(result.calls) == 2
    assert result.grouping == {"add": "mixed"}
    assert result.lower_bound == 2


def test_write_via_forces_a_side() -> None:
    pairs = [(str(u), "9") for u in range(5)]

    assert len(plan(_changes(pairs), "user").calls) == 5
    assert len(plan(_changes(pairs), "territory").calls) == 1


def test_maximum_matching_on_a_known_graph() -> None:
    edges = [("a", "1"), ("a", "2"), ("b", "1"), ("c", "1"), ("c", "3"), ("d", "3")]

    match_u, match_t = _max_matching(edges)

    assert len(match_u) == 3
    assert {match_t[t] for t in match_u.values()} == set(match_u)


pairs_strategy = st.lists(
    st.tuples(st.integers(0, 40).map(str), st.integers(0, 12).map(str)),
    max_size=400,
    unique=True,
)


@settings(max_examples=150, deadline=None)
@given(pairs=pairs_strategy, removes=st.lists(st.booleans(), max_size=400))
def test_plans_are_optimal_and_cover_each_change_once(pairs, removes) -> None:
    changes = [
        Change(u, t, "remove" if n < len(removes) and removes[n] else "add", _result(u, t))
        for n, (u, t) in enumerate(pairs)
    ]

    result = plan(changes)

    seen = [id(change) for call in result.calls for change in call.changes]
    assert sorted(seen) == sorted(id(change) for change in changes)
    for call in result.calls:
        assert 0 < len(call.changes) <= MAX_ITEMS
        side = {c.user_id if call.via == "user" else c.territory_id for c in call.changes}
        assert side == {call.key}
        assert len({call.item_id(c) for c in call.changes}) == len(call.changes)
    # No id has more than 100 changes here, so the fewest calls is a minimum vertex cover,
    # which equals a maximum matching (Konig): the plan is optimal.
    assert len(result.calls) == result.lower_bound
    for action in ("add", "remove"):
        todo = [c for c in changes if c.action == action]
        mine = [call for call in result.calls if call.action == action]
        by_user: dict[str, list] = {}
        by_territory: dict[str, list] = {}
        for c in todo:
            by_user.setdefault(c.user_id, []).append(c)
            by_territory.setdefault(c.territory_id, []).append(c)
        assert len(mine) <= min(cost(by_user.values()), cost(by_territory.values()))
