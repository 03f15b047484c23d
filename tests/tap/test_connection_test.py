"""`tap-zoho-territories --test` against the emulator: a table, no ERROR line, the exit code."""

from __future__ import annotations

from tests.support.tap_run import INFO, connection_table, discover, log_levels, run_tap, select
from zoho_crm_emulator.process import EmulatorProcess

# Territories and users, read only: no user group scope, no .ALL for the territory user counts.
READ_ONLY = "ZohoCRM.settings.territories.READ,ZohoCRM.users.READ"
# The README's read-only scopes: all but territory_associated_user_counts (it needs .ALL).
README_READ_ONLY = (
    f"{READ_ONLY},ZohoCRM.settings.user_groups.READ,ZohoCRM.settings.roles.READ,"
    "ZohoCRM.settings.profiles.READ,ZohoCRM.org.READ"
)


def test_every_stream_readable_exits_0_with_no_warning_or_error() -> None:
    with EmulatorProcess("--org", "sample") as emulator:
        streams = len(discover(emulator.config_for_tap())["streams"])
        run = run_tap(emulator.config_for_tap(), "--test", env=INFO)
    assert run.returncode == 0, run.stderr
    counts = log_levels(run.stderr)
    assert (counts["WARNING"], counts["ERROR"]) == (0, 0), run.stderr
    table = connection_table(run)
    assert len(table) == streams
    assert all(cells[1] == "yes" for cells in table.values()), table
    assert f"Connection test: {streams} of {streams} streams readable." in run.stderr


def test_a_child_of_an_unreadable_parent_is_not_readable_and_the_test_fails() -> None:
    with EmulatorProcess("--org", "sample", "--scopes", READ_ONLY) as emulator:
        run = run_tap(emulator.config_for_tap(), "--test", env=INFO)
    assert run.returncode == 1, run.stderr
    assert log_levels(run.stderr)["ERROR"] == 0, run.stderr
    assert "An unhandled error occurred" not in run.stderr
    table = connection_table(run)
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
    blocking = run.stderr.split("selected but not readable: ", 1)[1].split(" (exit 1)", 1)[0]
    assert "territory_associated_user_counts" in blocking.split(", ")


def test_only_the_selected_streams_decide_the_exit_code() -> None:
    with EmulatorProcess("--org", "sample", "--scopes", README_READ_ONLY) as emulator:
        config = emulator.config_for_tap()
        everything = run_tap(config, "--test", env=INFO)
        # `--catalog` after `--test` on the command line: the selection is still the catalog's.
        catalog = select(discover(config), "territories", "territory_users", "users")
        streams = len(catalog["streams"])
        chosen = run_tap(config, "--test", catalog=catalog, env=INFO)
    assert everything.returncode == 1, everything.stderr
    assert connection_table(everything)["territory_associated_user_counts"][:2] == ["yes", "no"]
    assert chosen.returncode == 0, chosen.stderr
    assert connection_table(chosen)["territory_associated_user_counts"][:2] == ["no", "no"]
    assert f"Connection test: {streams - 1} of {streams} streams readable." in chosen.stderr
