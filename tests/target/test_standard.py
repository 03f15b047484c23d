"""The singer-sdk standard target tests, against a live emulator.

The standard streams have no user_id/territory_id, so the target ignores their records (one
warning per stream) and makes no call; having read such an input to its end, it refuses it
(NoAssignmentStream, exit 1: nothing could be written), which each of those tests expects in
place of a clean end. The SDK's own checks (a record before its schema, a missing key property,
an invalid schema) still raise before that. One extra test in the same suite writes an
assignment, so the class exercises the real write path too.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from singer_sdk.testing import SuiteConfig, get_target_test_class
from singer_sdk.testing.runners import TargetTestRunner
from singer_sdk.testing.suites import SingerTestSuite
from singer_sdk.testing.templates import TargetTestTemplate

from target_zoho_territories.errors import NoAssignmentStream
from target_zoho_territories.target import TargetZohoTerritories
from tests.support.org import MANY_REFRESHES
from tests.support.target_run import SCHEMA, record
from zoho_crm_emulator.process import EmulatorProcess

# The standard inputs read to their end, then refused: they hold no assignment stream.
REFUSED = {
    "array_data",
    "camelcase",
    "duplicate_records",
    "encoded_string_data",
    "no_primary_keys",
    "optional_attributes",
    "pk_updates",
    "record_missing_fields",
    "schema_no_properties",
    "schema_updates",
    "special_chars_in_attributes",
}
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

    @pytest.fixture(autouse=True)
    def refused_at_the_end(
        self,
        runner: TargetTestRunner,
        request: pytest.FixtureRequest,
        monkeypatch: pytest.MonkeyPatch,
    ) -> Iterator[None]:
        """An input without an assignment stream ends in NoAssignmentStream, and nothing else."""
        refused: list[NoAssignmentStream] = []
        sync_all = runner.sync_all

        def expecting_the_refusal(*args: Any, **kwargs: Any) -> Any:
            try:
                return sync_all(*args, **kwargs)
            except NoAssignmentStream as exc:
                refused.append(exc)
                return None

        monkeypatch.setattr(runner, "sync_all", expecting_the_refusal)
        yield
        name = request.node.name.removeprefix("test_target_")
        assert bool(refused) == (name in REFUSED), name
