"""Each seed's sample request answers with a response of the seed's shape (and values)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from zoho_crm_emulator.org_sample import J_SMITH_SEED, PATRICIA_SEED
from zoho_crm_emulator.process import EmulatorProcess

SEEDS = Path("/work/shared/seeds")
CHENNAI = "431581000000744113"
PATRICIA = "431581000000258001"
J_SMITH = "431581000000278001"

S000_COUNTS = [
    ("1", "Zoho", "431581000000272796"),
    ("2", "Chennai", "431581000000744113"),
    ("1", "Chennai-South", "431581000000744125"),
    ("1", "Chennai North", "431581000000744137"),
    ("1", "Parent", "431581000000744159"),
    ("1", "Child", "431581000000744169"),
    ("1", "Chennai Leads", "431581000000744183"),
]


def _s003_users() -> list[dict]:
    """The two user objects of seed S003 (read from the seed when it is available)."""
    seed = SEEDS / "003_584cae2f237a02c3.txt"
    if seed.exists():
        text = seed.read_text()
        start = text.index('Copied{\n    "users"') + len("Copied")
        end = text.index("```", start)
        return json.loads(text[start:end].replace("\\\n", "\n"))["users"]
    return [PATRICIA_SEED, J_SMITH_SEED]


@pytest.fixture(scope="module")
def api(sample_emulator, zoho_api):
    return zoho_api(sample_emulator)


def test_s000_territory_associated_users_count(api):
    answer = api.get("/settings/territories/actions/associated_users_count")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json;charset=utf-8"
    body = answer.json()
    assert list(body) == ["associated_users_count", "info"]
    assert body["associated_users_count"] == [
        {"count": count, "territory": {"name": name, "id": tid}} for count, name, tid in S000_COUNTS
    ]
    assert body["info"] == {"per_page": 200, "count": 7, "page": 1, "more_records": False}
    assert all(isinstance(item["count"], str) for item in body["associated_users_count"])


def test_s001_user_group_associated_users_count_with_seed_filter(api):
    filters = (
        "%7B%22group_operator%22%3A%20%22or%22%2C%22group%22%3A%20%5B%7B%22field%22%3A%20%7B"
        "%22api_name%22%3A%20%22name%22%7D%2C%22comparator%22%3A%20%22equal%22%2C%22value%22"
        "%3A%20%22Tier1%22%7D%2C%7B%22field%22%3A%20%7B%22api_name%22%3A%20%22name%22%7D%2C"
        "%22comparator%22%3A%20%22equal%22%2C%22value%22%3A%20%22Tier2%22%7D%5D%7D"
    )
    answer = api.get(f"/settings/user_groups/actions/associated_users_count?filters={filters}")
    assert answer.status_code == 200
    assert answer.json() == {
        "associated_users_count": [
            {"user_group": {"name": "Tier1", "id": "3652397000012454002"}, "count": 4}
        ],
        "info": {"per_page": 200, "count": 1, "page": 1, "more_records": False},
    }


def test_s003_users_of_a_territory(api):
    answer = api.get(f"/crm/v7/settings/territories/{CHENNAI}/users")
    assert answer.status_code == 200
    body = answer.json()
    assert body["info"] == {"per_page": 200, "count": 2, "page": 1, "more_records": False}
    expected = _s003_users()
    assert [user["id"] for user in body["users"]] == [PATRICIA, J_SMITH]
    for got, want in zip(body["users"], expected, strict=True):
        extra = set(got) - set(want)
        assert extra == {"Reporting_To"}
        assert {key: got[key] for key in want} == want
    assert body["users"][0]["Reporting_To"] is None
    assert body["users"][1]["Reporting_To"] == {"name": "Patricia Boyle", "id": PATRICIA}


def test_s004_sources_count(api):
    answer = api.get("/crm/v7/settings/user_groups/3652397000009952001/actions/sources_count")
    assert answer.status_code == 200
    assert answer.json() == {
        "sources_count": [
            {
                "territories": 2,
                "roles": 2,
                "groups": 0,
                "users": {"inactive": 0, "deleted": 0, "active": 2},
            }
        ]
    }


def test_s002_add_territory_to_user_shape(sample_emulator, zoho_api):
    """S002's sample request with this org's ids (the seed's ids are from another org).

    Uses a private emulator: it writes.
    """
    with EmulatorProcess() as emulator:
        api = zoho_api(emulator, "v8")
        territory = "431581000000744125"  # Chennai-South
        answer = api.put(f"/users/{J_SMITH}/territories", json={"territories": [{"id": territory}]})
        assert answer.status_code == 200
        assert answer.json() == {
            "territories": [
                {
                    "code": "SUCCESS",
                    "details": {"id": territory},
                    "message": "Territory associated to the user successfully",
                    "status": "success",
                }
            ]
        }


def test_seed_filter_is_url_encoded_json(api):
    """The S001 sample's filter decodes to the JSON the emulator parses."""
    raw = json.dumps({"field": {"api_name": "name"}, "comparator": "equal", "value": "Tier1"})
    answer = api.get(f"/settings/user_groups/actions/associated_users_count?filters={quote(raw)}")
    assert [item["user_group"]["name"] for item in answer.json()["associated_users_count"]] == [
        "Tier1"
    ]
    group = answer.json()["associated_users_count"][0]["user_group"]
    assert re.fullmatch(r"\d{18,19}", group["id"])
