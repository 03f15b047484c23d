"""Settings are checked alike in every mode: a sync, `--discover`, `--test` and `--test=schema`."""

from __future__ import annotations

import pytest

from tests.support.tap_run import run_tap
from zoho_crm_emulator.process import EmulatorProcess

MODES = [(), ("--discover",), ("--test",), ("--test=schema",)]


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode[0] if mode else "sync")
def test_a_misspelt_setting_is_refused_in_every_mode(
    sample_emulator: EmulatorProcess, mode: tuple[str, ...]
) -> None:
    sample_emulator.reset_stats()
    run = run_tap(sample_emulator.config_for_tap(max_concurency=3), *mode)
    assert run.returncode == 1, run.stderr[-2000:]
    assert "'max_concurency' (did you mean 'max_concurrency'?)" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout == ""  # no catalog, no SCHEMA, no record
    assert sample_emulator.stats()["total_requests"] == 0


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode[0] if mode else "sync")
def test_a_misspelt_required_setting_names_the_near_miss(
    sample_emulator: EmulatorProcess, mode: tuple[str, ...]
) -> None:
    config = sample_emulator.config_for_tap()
    config["client_secert"] = config.pop("client_secret")
    run = run_tap(config, *mode)
    assert run.returncode == 1, run.stderr[-2000:]
    assert "'client_secert' (did you mean 'client_secret'?)" in run.stderr
    if mode != ("--discover",):  # discovery needs no credentials; it names only the typo
        assert (
            "'client_secret' is a required property (the config has 'client_secert': "
            "did you mean 'client_secret'?)" in run.stderr
        )
    assert "Traceback" not in run.stderr
    assert run.stdout == ""


def test_discovery_still_needs_no_credentials() -> None:
    run = run_tap({}, "--discover")
    assert run.returncode == 0, run.stderr[-2000:]
    assert '"tap_stream_id"' in run.stdout
