"""The singer-sdk standard target tests, against a live emulator.

The standard streams have no user_id/territory_id, so the target ignores their records (one
warning per stream) and makes no call; the SDK's own checks (a record before its schema, a
missing key property, an invalid schema) still raise. One extra test in the same suite writes
an assignment, so the class exercises the real write path too.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from singer_sdk.testing import SuiteConfig, get_target_test_class
from singer_sdk.testing.suites import SingerTestSuite
from singer_sdk.testing.templates import TargetTestTemplate

from target_zoho_territories.target import TargetZohoTerritories
from tests.support.org import MANY_REFRESHES
from tests.support.target_run import SCHEMA, record
from zoho_crm_emulator.process import EmulatorProcess

# Filled in by the class-scoped emulator fixture before any runner is made: the factory
# keeps this very dict.
CONFIG: dict[str, Any] = {}
WRITTEN: dict[str, Any] = {}


class TargetWritesAnAssignment(TargetTestTemplate):
    """An assignment record reaches the emulator and is answered."""

    name = "writes_an_assignment"

    def test(self) -> None:
        """Add the second user of the sample org to a territory it lacks."""
        user, territory = WRITTEN["pair"]
        lines = [SCHEMA, record(user, territory), {"type": "STATE", "value": {"done": 1}}]
        self.runner.input_io = io.StringIO("".join(json.dumps(m) + "\n" for m in lines))
        self.runner.sync_all()
        assert self.runner.state_messages == [{"done": 1}]
        emulator: EmulatorProcess = WRITTEN["emulator"]
        held = {(a["user_id"], a["territory_id"]) for a in emulator.state()["assignments"]}
        assert (user, territory) in held


_StandardTests = get_target_test_class(
    TargetZohoTerritories,
    config=CONFIG,
    custom_suites=[SingerTestSuite(kind="target", tests=[TargetWritesAnAssignment])],
    suite_config=SuiteConfig(),
    parse_env_config=False,
)


class TestTargetZohoTerritoriesStandard(_StandardTests):  # type: ignore[misc,valid-type]
    """Standard tests with a class-scoped emulator (sample org)."""

    @pytest.fixture(scope="class", autouse=True)
    def emulator(self) -> Iterator[EmulatorProcess]:
        with EmulatorProcess(*MANY_REFRESHES) as emulator:
            CONFIG.clear()
            CONFIG.update(emulator.config_for_tap())
            state = emulator.state()
            held = {(a["user_id"], a["territory_id"]) for a in state["assignments"]}
            user = next(
                u["id"]
                for u in state["users"]
                if u["status"] == "active" and u["id"] != state["current_user_id"]
            )
            territory = next(t["id"] for t in state["territories"] if (user, t["id"]) not in held)
            WRITTEN.update(emulator=emulator, pair=(user, territory))
            yield emulator
