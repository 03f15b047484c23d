"""Mirror mode's choice of reads, from counts: the other way only when it costs fewer calls."""

from __future__ import annotations

import pytest

from target_zoho_territories.engine import Options
from target_zoho_territories.mirror import read_choice
from zoho_crm_api.errors import ZohoConfigError


@pytest.mark.parametrize(
    ("named", "others", "list_pages", "other_way"),
    [
        (60, 30, 0, True),  # 60 users named, 30 territories listed already: 30 E5 calls
        (30, 30, 0, False),  # a tie keeps the direct reads
        (5, 30, 0, False),
        (300, 290, 2, True),  # 300 territories named, 290 users: 2 E8 pages + 290 E10 calls
        (291, 290, 2, False),
        (1000, None, 0, False),  # not counted: never guessed
    ],
)
def test_read_choice(named: int, others: int | None, list_pages: int, other_way: bool) -> None:
    assert read_choice(named, others, list_pages) is other_way


def test_mirror_scope_is_user_by_default_and_checked() -> None:
    assert Options.from_config({}).mirror_scope == "user"
    assert Options.from_config({"mirror_scope": "territory"}).mirror_scope == "territory"
    with pytest.raises(ZohoConfigError, match="mirror_scope must be one of user, territory"):
        Options.from_config({"mirror_scope": "region"})
