"""Config error messages: unknown settings and misspelt required ones are named (pure functions)."""

from __future__ import annotations

from zoho_crm_singer.plugin import name_near_misses, unknown_settings

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
