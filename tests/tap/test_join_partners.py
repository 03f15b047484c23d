"""roles, profiles and organization: what users, user groups and the org's limits refer to.

Records are compared with the emulator's own answers (E18-E20, read here with a plain HTTP
client) and with its state dump, independently of the tap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.api import ZohoApi
from tests.support.org_truth import same_instant
from tests.support.tap_run import TapRun, connection_table, run_ok, run_tap
from zoho_crm_api.concurrency import edition
from zoho_crm_emulator.config import DEFAULT_SCOPES
from zoho_crm_emulator.process import EmulatorProcess

PARTNERS = ("roles", "profiles", "organization")
# The scope each stream needs, and the others the tap needs.
SCOPES = {
    "roles": "ZohoCRM.settings.roles.READ",
    "profiles": "ZohoCRM.settings.profiles.READ",
    "organization": "ZohoCRM.org.READ",
}
OTHERS = "ZohoCRM.settings.territories.ALL,ZohoCRM.settings.user_groups.ALL,ZohoCRM.users.ALL"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess("--refresh-limit", "1000") as emu:
        yield emu


@pytest.fixture(scope="module")
def api(emulator: EmulatorProcess, zoho_api: Callable[..., ZohoApi]) -> ZohoApi:
    return zoho_api(emulator)


@pytest.fixture(scope="module")
def run(emulator: EmulatorProcess) -> TapRun:
    emulator.reset_stats()
    return run_ok(emulator.config_for_tap())


def lowered(value: Any) -> Any:
    """Zoho's object as the tap writes it: keys lower-cased (E18-E20 are already)."""
    if isinstance(value, dict):
        return {k.lower(): lowered(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lowered(v) for v in value]
    return value


def same_record(record: dict[str, Any], answer: dict[str, Any], times: tuple[str, ...]) -> None:
    expected = lowered(answer)
    for field in times:
        assert same_instant(record.pop(field), expected.pop(field)), field
    assert record == expected


def test_one_call_each_selected_by_default(emulator: EmulatorProcess, run: TapRun) -> None:
    assert set(PARTNERS) <= set(run.records)
    calls = emulator.stats()["requests"]
    assert calls["GET /settings/roles"] == 1
    assert calls["GET /settings/profiles"] == 1
    assert calls["GET /org"] == 1


def test_roles_are_zohos_with_parent_id(
    run: TapRun, api: ZohoApi, emulator: EmulatorProcess
) -> None:
    answer = api.get("/settings/roles").json()["roles"]
    records = {r["id"]: dict(r) for r in run.records["roles"]}
    assert records.keys() == {role["id"] for role in answer}
    for role in answer:
        record = records[role["id"]]
        assert record.pop("parent_id") == (role["reporting_to"] or {}).get("id")
        same_record(record, role, ("created_time__s", "modified_time__s"))
    truth = {r["id"]: r for r in emulator.state("roles")["roles"]}
    assert {r["id"]: (r["name"], r["parent_id"]) for r in run.records["roles"]} == {
        rid: (r["name"], (r["reporting_to"] or {}).get("id")) for rid, r in truth.items()
    }


def test_profiles_are_zohos(run: TapRun, api: ZohoApi, emulator: EmulatorProcess) -> None:
    answer = api.get("/settings/profiles").json()["profiles"]
    records = {r["id"]: dict(r) for r in run.records["profiles"]}
    assert records.keys() == {p["id"] for p in answer}
    for profile in answer:
        same_record(records[profile["id"]], profile, ("created_time", "modified_time"))
    names = {p["id"]: p["name"] for p in emulator.state("profiles")["profiles"]}
    assert {p["id"]: p["name"] for p in run.records["profiles"]} == names


def test_users_join_their_role_and_profile(run: TapRun) -> None:
    roles = {r["id"] for r in run.records["roles"]}
    profiles = {p["id"] for p in run.records["profiles"]}
    for user in run.records["users"]:
        assert user["role"]["id"] in roles
        assert user["profile"]["id"] in profiles


def test_the_organization_is_zohos_with_its_edition(
    run: TapRun, api: ZohoApi, emulator: EmulatorProcess
) -> None:
    (answer,) = api.get("/org").json()["org"]
    (record,) = (dict(r) for r in run.records["organization"])
    assert record.pop("edition") == "enterprise"  # the emulator's default edition
    same_record(record, answer, ("created_time",))
    org = emulator.state()["org"]
    assert (record["id"], record["company_name"], record["time_zone"]) == (
        org["id"],
        org["name"],
        org["time_zone"],
    )
    assert record["currency"] == "US Dollar"


@pytest.mark.parametrize("name", ["free", "standard", "professional", "enterprise", "ultimate"])
def test_the_edition_follows_license_details(emulator: EmulatorProcess, name: str) -> None:
    emulator.config(edition=name)
    try:
        run = run_ok(emulator.config_for_tap())
    finally:
        emulator.config(edition="enterprise")
    (record,) = run.records["organization"]
    assert record["edition"] == name
    assert "names no known edition" not in run.stderr


def test_edition_rules() -> None:
    assert edition({"paid": False, "paid_type": "free", "trial_type": "enterprise"}) == (
        "free",
        None,
    )
    assert edition({"paid": True, "paid_type": "Enterprise"}) == ("enterprise", None)
    assert edition({"paid": True, "paid_type": "starter"}) == ("standard", None)
    # Unknown: the lowest limits, and the value is handed back to be reported.
    assert edition({"paid": True, "paid_type": "zoho_one"}) == ("free", "'zoho_one'")
    assert edition(None) == ("free", "None")


@pytest.mark.parametrize("stream", PARTNERS)
def test_a_missing_scope_skips_only_that_stream(emulator: EmulatorProcess, stream: str) -> None:
    granted = ",".join([OTHERS, *(scope for name, scope in SCOPES.items() if name != stream)])
    emulator.config(scopes=granted)
    try:
        run = run_ok(emulator.config_for_tap())
        tested = run_tap(emulator.config_for_tap(), "--test")
    finally:
        emulator.config(scopes=",".join(DEFAULT_SCOPES))
    assert stream not in run.records
    assert set(PARTNERS) - {stream} <= set(run.records)
    warnings = [line for line in run.stderr.splitlines() if f"Skipping stream '{stream}'" in line]
    assert len(warnings) == 1, warnings
    assert SCOPES[stream] in warnings[0]
    # --test names it as not readable (and fails: it is selected), and the others as readable.
    assert tested.returncode == 1
    table = connection_table(tested)
    assert table[stream][1:] == ["no", "OAUTH_SCOPE_MISMATCH", f"the OAuth scope {SCOPES[stream]}"]
    assert all(table[other][1] == "yes" for other in set(PARTNERS) - {stream})


def test_connection_test_reads_one_row_of_each(emulator: EmulatorProcess) -> None:
    tested = run_ok(emulator.config_for_tap(), "--test")
    for stream in PARTNERS:
        assert len(tested.records[stream]) == 1, stream
