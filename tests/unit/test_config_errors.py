"""Config error messages: unknown settings and misspelt required ones are named (pure functions)."""

from __future__ import annotations

from zoho_crm_singer.plugin import name_near_misses, no_credentials_hint, unknown_settings

KNOWN = ["client_id", "client_secret", "refresh_token", "max_concurrency"]


def test_unknown_settings_name_the_nearest_known_one() -> None:
    problem = unknown_settings({"max_concurency": 3, "client_id": "x", "_comment": "ok"}, KNOWN)
    assert problem is not None
    assert "'max_concurency' (did you mean 'max_concurrency'?)" in problem
    assert "_comment" not in problem
    assert unknown_settings({"client_id": "x", "_note": 1}, KNOWN) is None


def test_a_missing_required_setting_names_its_misspelling() -> None:
    errors = [
        "'client_secret' is a required property",
        "'refresh_token' is a required property",
        "5 is not of type 'string' in config['client_id']",
    ]
    explained = name_near_misses(errors, {"client_secert": "x", "_client_secret": "y"}, KNOWN)
    assert explained == [
        "'client_secret' is a required property (the config has 'client_secert': "
        "did you mean 'client_secret'?)",
        "'refresh_token' is a required property",
        "5 is not of type 'string' in config['client_id']",
    ]


REQUIRED = ["client_id", "client_secret", "refresh_token"]


def test_no_credentials_at_all_give_one_hint_to_pass_config() -> None:
    errors = [f"'{name}' is a required property" for name in REQUIRED]
    hinted = no_credentials_hint([*errors, "3 is not of type 'string'"], REQUIRED, "tap-x")
    assert len(hinted) == 2
    assert hinted[0].startswith("No Zoho credentials were given: client_id, client_secret,")
    assert "pass --config config.json" in hinted[0]
    assert "TAP_X_CLIENT_ID, TAP_X_CLIENT_SECRET, TAP_X_REFRESH_TOKEN" in hinted[0]
    assert hinted[1] == "3 is not of type 'string'"


def test_some_credentials_given_keep_their_own_errors() -> None:
    errors = ["'client_secret' is a required property", "'refresh_token' is a required property"]
    assert no_credentials_hint(errors, REQUIRED, "tap-x") == errors
    misspelt = [*errors, "'client_id' is a required property (the config has 'clientid': ...)"]
    assert no_credentials_hint(misspelt, REQUIRED, "tap-x") == misspelt
