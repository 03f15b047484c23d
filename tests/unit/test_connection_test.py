"""`--test`'s verdicts and table: pure functions of what each stream's first page said."""

from __future__ import annotations

from tap_zoho_territories.connection_test import (
    NO,
    NOT_TRIED,
    YES,
    StreamCheck,
    headline,
    judge,
    table,
    unreadable_selected,
)

STREAMS = ["users", "user_groups", "user_group_sources", "territories", "territory_users"]
PARENTS = {
    "users": None,
    "user_groups": None,
    "user_group_sources": "user_groups",
    "territories": None,
    "territory_users": "territories",
}
GROUPS = "the OAuth scope ZohoCRM.settings.user_groups.READ"


def test_a_child_is_judged_with_its_parent() -> None:
    rows = judge(
        STREAMS,
        PARENTS,
        refused={"user_groups": ("OAUTH_SCOPE_MISMATCH", GROUPS)},
        tried=["users", "territories", "territory_users"],
        selected=STREAMS,
    )
    by_name = {row.stream: row for row in rows}
    assert by_name["user_groups"] == StreamCheck(
        "user_groups", True, NO, "OAUTH_SCOPE_MISMATCH", GROUPS
    )
    # Never called (its parent's list was refused), yet not readable: it is read through it.
    assert by_name["user_group_sources"] == StreamCheck(
        "user_group_sources", True, NO, "its parent stream user_groups is not readable", GROUPS
    )
    assert by_name["territory_users"].readable == YES
    assert unreadable_selected(rows) == ["user_groups", "user_group_sources"]


def test_a_refused_parent_wins_over_the_childs_own_refusal() -> None:
    refused = {
        "user_groups": ("OAUTH_SCOPE_MISMATCH", GROUPS),
        "user_group_sources": ("NO_PERMISSION", "the permission"),
    }
    rows = judge(STREAMS, PARENTS, refused, tried=[], selected=[])
    assert rows[2].why_not == "its parent stream user_groups is not readable"


def test_a_child_whose_parent_had_no_record_was_not_tried() -> None:
    rows = judge(STREAMS, PARENTS, {}, tried=["territories"], selected=["territory_users"])
    row = rows[4]
    assert (row.readable, row.why_not) == (NOT_TRIED, "territories had no record")
    assert unreadable_selected(rows) == []  # not tried is not a failure


def test_an_unreadable_stream_that_is_not_selected_does_not_fail_the_test() -> None:
    refused = {"user_groups": ("OAUTH_SCOPE_MISMATCH", GROUPS)}
    rows = judge(STREAMS, PARENTS, refused, tried=STREAMS, selected=["users", "territories"])
    assert unreadable_selected(rows) == []
    assert headline(rows) == "Connection test: 3 of 5 streams readable."


def test_the_table_has_a_header_and_aligned_columns() -> None:
    rows = [
        StreamCheck("users", True, YES),
        StreamCheck("user_groups", False, NO, "OAUTH_SCOPE_MISMATCH", GROUPS),
    ]
    assert table(rows).splitlines() == [
        "stream       selected  readable  why not               to enable",
        "users        yes       yes",
        f"user_groups  no        no        OAUTH_SCOPE_MISMATCH  {GROUPS}",
    ]
    assert headline([*rows, StreamCheck("roles", True, NO, "NO_PERMISSION")]) == (
        "Connection test: 1 of 3 streams readable; selected but not readable: roles (exit 1)."
    )
