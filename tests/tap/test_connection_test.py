"""`tap-zoho-territories --test` against the emulator: a table, no ERROR line, the exit code."""

from __future__ import annotations

import re

from tests.support.tap_run import TapRun, discover, run_tap, select
from tests.tap.test_logs import INFO, levels
from zoho_crm_emulator.process import EmulatorProcess

# Territories and users, read only: no user group scope, no .ALL for the territory user counts.
READ_ONLY = "ZohoCRM.settings.territories.READ,ZohoCRM.users.READ"
# The README's read-only scopes: the user groups too.
README_READ_ONLY = f"{READ_ONLY},ZohoCRM.settings.user_groups.READ"


def rows(run: TapRun) -> dict[str, list[str]]:
    """The table's rows by stream: the cells, split on runs of two spaces or more."""
    lines = run.stderr.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("stream "))
    out = {}
    for line in lines[header + 1 :]:
        if re.match(r"^\d{4}-", line):  # the next log line ends the table
            break
        cells = re.split(r"\s{2,}", line.strip())
        out[cells[0]] = cells[1:]
    return out


def test_every_stream_readable_exits_0_with_no_warning_or_error() -> None:
    with EmulatorProcess("--org", "sample") as emulator:
        run = run_tap(emulator.config_for_tap(), "--test", env=INFO)
    assert run.returncode == 0, run.stderr
    counts = levels(run.stderr)
    assert (counts["WARNING"], counts["ERROR"]) == (0, 0), run.stderr
    table = rows(run)
    assert len(table) == 9
    assert all(cells[1] == "yes" for cells in table.values()), table
    assert "Connection test: 9 of 9 streams readable." in run.stderr


def test_a_child_of_an_unreadable_parent_is_not_readable_and_the_test_fails() -> None:
    with EmulatorProcess("--org", "sample", "--scopes", READ_ONLY) as emulator:
        run = run_tap(emulator.config_for_tap(), "--test", env=INFO)
    assert run.returncode == 1, run.stderr
    assert levels(run.stderr)["ERROR"] == 0, run.stderr
    assert "An unhandled error occurred" not in run.stderr
    table = rows(run)
    groups = "the OAuth scope ZohoCRM.settings.user_groups.READ"
    assert table["user_groups"] == ["yes", "no", "OAUTH_SCOPE_MISMATCH", groups]
    for child in ("user_group_sources", "user_group_sources_counts"):
        assert table[child] == [
            "yes",
            "no",
            "its parent stream user_groups is not readable",
            groups,
        ]
    assert table["territories"][:2] == ["yes", "yes"]
    assert table["territory_users"][:2] == ["yes", "yes"]
    assert table["user_territories"][:2] == ["no", "yes"]  # readable, not selected by default
    # Each stream Zoho refused is warned about once.
    for stream in ("user_groups", "territory_associated_user_counts"):
        assert run.stderr.count(f"Skipping stream '{stream}'") == 1, run.stderr
    assert "selected but not readable: territory_associated_user_counts" in run.stderr


def test_only_the_selected_streams_decide_the_exit_code() -> None:
    with EmulatorProcess("--org", "sample", "--scopes", README_READ_ONLY) as emulator:
        config = emulator.config_for_tap()
        everything = run_tap(config, "--test", env=INFO)
        # `--catalog` after `--test` on the command line: the selection is still the catalog's.
        catalog = select(discover(config), "territories", "territory_users", "users")
        chosen = run_tap(config, "--test", catalog=catalog, env=INFO)
    assert everything.returncode == 1, everything.stderr
    assert rows(everything)["territory_associated_user_counts"][:2] == ["yes", "no"]
    assert chosen.returncode == 0, chosen.stderr
    assert rows(chosen)["territory_associated_user_counts"][:2] == ["no", "no"]
    assert "Connection test: 8 of 9 streams readable." in chosen.stderr
