"""Shaping Zoho's JSON into tap records: keys, schema fields, nested objects, UTC timestamps."""

from __future__ import annotations

from typing import Any

import pytest

from tap_zoho_territories.records import RecordShaper, normalize_keys, to_utc

PROPERTIES: dict[str, Any] = {
    "id": {"type": ["string"]},
    "modified_time": {"type": ["string", "null"], "format": "date-time"},
    "modified_by": {"type": ["object", "null"], "properties": {}},
    "current_shift": {"anyOf": [{"type": "null"}, {"type": "object"}]},
    "tag": {"type": ["array", "null"]},
    "theme": {},
    "name": {"type": ["string", "null"]},
}


def user(**extra: Any) -> dict[str, Any]:
    return {
        "id": "1",
        "Modified_Time": "2024-07-09T20:50:29+05:30",
        "Modified_By": {"Name": "Patricia", "id": "2"},
        "$current_shift": {"name": "Day", "ID": "3"},
        "Tag": [{"Name": "vip", "id": "4"}],
        "theme": {"normal_tab": {"Font_Color": "#fff"}},
        "name": "Ann",
        "$shift_effective_from": None,
        **extra,
    }


def test_keys_are_lower_cased_and_unknown_fields_dropped_recursively() -> None:
    shaper = RecordShaper(PROPERTIES)
    record = shaper(user())
    assert record == {
        "id": "1",
        "theme": {"normal_tab": {"font_color": "#fff"}},
        "name": "Ann",
        "modified_time": "2024-07-09T20:50:29+05:30",
        "modified_by": {"name": "Patricia", "id": "2"},
        "current_shift": {"name": "Day", "id": "3"},
        "tag": [{"name": "vip", "id": "4"}],
    }
    assert shaper.unknown == {"shift_effective_from"}


def test_the_same_key_set_twice_gives_the_same_record_and_key_order() -> None:
    shaper = RecordShaper(PROPERTIES)
    first, second = shaper(user()), shaper(user())
    assert first == second
    assert (
        list(first)
        == list(second)
        == [
            "id",
            "theme",
            "name",
            "modified_time",
            "modified_by",
            "current_shift",
            "tag",
        ]
    )


def test_a_record_with_other_keys_gets_a_plan_of_its_own() -> None:
    shaper = RecordShaper(PROPERTIES)
    shaper(user())
    other = shaper({"id": "9", "Modified_By": None, "Surprise": 1})
    assert other == {"id": "9", "modified_by": None}
    assert "surprise" in shaper.unknown


def test_many_key_sets_are_shaped_without_a_plan_each() -> None:
    shaper = RecordShaper(PROPERTIES)
    for n in range(RecordShaper.MAX_PLANS + 10):
        assert shaper({"id": str(n), f"Extra_{n}": n, "Name": "x"}) == {"id": str(n), "name": "x"}


def test_objects_under_scalar_fields_are_left_as_they_came() -> None:
    # Only fields the schema lets hold objects are walked (a dict under a string field breaks
    # the schema either way).
    shaper = RecordShaper(PROPERTIES)
    assert shaper({"id": "1", "name": {"Odd": 1}})["name"] == {"Odd": 1}


def test_normalize_keys_handles_lists_dollars_and_keys_without_letters() -> None:
    value = [{"A": {"$b": [{"C_d": 1}]}, "1": 2}, "x", 3]
    assert normalize_keys(value) == [{"a": {"b": [{"c_d": 1}]}, "1": 2}, "x", 3]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-07-09T20:50:29+05:30", "2024-07-09T15:20:29+00:00"),
        ("2024-12-31T01:59:14-08:00", "2024-12-31T09:59:14+00:00"),
        ("2024-07-09T20:50:29+00:00", "2024-07-09T20:50:29+00:00"),
        ("2024-07-09T20:50:29Z", "2024-07-09T20:50:29+00:00"),
        ("2024-07-09T20:50:29", "2024-07-09T20:50:29+00:00"),
        ("2024-07-09T20:50:29.500+00:00", "2024-07-09T20:50:29.500000+00:00"),
        ("2022-11-23T9:59:12+05:30", "2022-11-23T04:29:12+00:00"),  # zoho-api.md §7.11
        ("not a time", "not a time"),
        ("", ""),
        (None, None),
        (5, 5),
    ],
)
def test_to_utc(given: Any, expected: Any) -> None:
    assert to_utc(given) == expected
