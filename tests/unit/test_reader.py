"""The input reader's pure checks (no HTTP)."""

from __future__ import annotations

import json

import pytest

from target_zoho_territories.reader import MAX_NESTING, nested_too_deep


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[" * 200_000 + "]" * 200_000, True),
        ('{"a":' * 200_000 + "1" + "}" * 200_000, True),
        ("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1), True),
        ("[" * MAX_NESTING + "]" * MAX_NESTING, False),
        # Many brackets, none deep: a long flat array of objects.
        (json.dumps([{"id": n} for n in range(5_000)]), False),
        # Brackets inside strings do not count, escaped quotes included.
        (json.dumps({"text": "[" * 5_000 + '\\"' + "{" * 5_000}), False),
        ('{"type": "RECORD", "stream": "s", "record": {"user_id": "1"}}', False),
    ],
)
def test_nesting_depth(text: str, deep: bool) -> None:
    assert nested_too_deep(text) is deep
