"""meltano.yml and the Meltano Hub definitions cannot drift from what the plugins report.

Both plugins' settings in meltano.yml and in hub/{extractors,loaders}/*.yml must be exactly
the settings of `--about --format=json`, with a `kind` that fits each setting's JSON schema,
`sensitive: true` exactly on the secrets, the enum values as `options` and the defaults as
`value`. meltano.yml must also be valid for the installed Meltano (its own JSON schema).
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support.meltano_project import MELTANO, ROOT

BIN = Path(sys.executable).parent
PLUGINS = {
    "tap-zoho-territories": ("extractors", ROOT / "hub/extractors/tap-zoho-territories.yml"),
    "target-zoho-territories": ("loaders", ROOT / "hub/loaders/target-zoho-territories.yml"),
}
# Capabilities --about reports that Meltano's schemas do not list (they are informational).
NOT_IN_MELTANO_SCHEMA = {"validate-records"}


@cache
def about(executable: str) -> dict[str, Any]:
    proc = subprocess.run(
        [str(BIN / executable), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return dict(json.loads(proc.stdout))


@cache
def meltano_yml() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "meltano.yml").read_text()))


def meltano_plugin(name: str) -> dict[str, Any]:
    kind, _ = PLUGINS[name]
    return next(p for p in meltano_yml()["plugins"][kind] if p["name"] == name)


def hub_plugin(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load(PLUGINS[name][1].read_text()))


def expected_kind(schema: dict[str, Any]) -> str:
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "enum" in schema:
        return "options"
    if "string" in types and ("boolean" in types or "integer" in types):
        # A path or `false` (token_cache), `auto` or a number (max_concurrency): Meltano's string
        # kind passes "false" and "10" through as text.
        return "string"
    for json_type in ("object", "array", "boolean", "integer"):
        if json_type in types:
            return json_type
    if "number" in types:
        return "decimal"
    return "date_iso8601" if schema.get("format") == "date-time" else "string"


DEFINITIONS = [
    pytest.param(name, source, id=f"{name}-{source}")
    for name in PLUGINS
    for source in ("meltano.yml", "hub")
]


def definition(name: str, source: str) -> dict[str, Any]:
    return meltano_plugin(name) if source == "meltano.yml" else hub_plugin(name)


@pytest.mark.parametrize(("name", "source"), DEFINITIONS)
def test_settings_are_exactly_those_of_about(name: str, source: str) -> None:
    properties = about(name)["settings"]["properties"]
    settings = definition(name, source)["settings"]
    names = [s["name"] for s in settings]
    assert len(names) == len(set(names)), "a setting is declared twice"
    assert set(names) == set(properties)


@pytest.mark.parametrize(("name", "source"), DEFINITIONS)
def test_each_setting_matches_its_schema(name: str, source: str) -> None:
    properties = about(name)["settings"]["properties"]
    for setting in definition(name, source)["settings"]:
        schema = properties[setting["name"]]
        where = f"{source}: {name}.{setting['name']}"
        assert setting["kind"] == expected_kind(schema), where
        assert setting.get("sensitive", False) == schema.get("secret", False), where
        assert setting.get("label"), where
        assert setting.get("description"), where
        if "enum" in schema:
            assert [o["value"] for o in setting["options"]] == schema["enum"], where
        assert setting.get("value") == schema.get("default"), where


@pytest.mark.parametrize(("name", "source"), DEFINITIONS)
def test_plugin_fields(name: str, source: str) -> None:
    plugin = definition(name, source)
    info = about(name)
    assert plugin["name"] == name
    assert plugin["namespace"] == name.replace("-", "_")
    assert plugin["executable"] == name
    assert set(plugin["capabilities"]) == set(info["capabilities"]) - NOT_IN_MELTANO_SCHEMA
    assert plugin["settings_group_validation"] == [info["settings"]["required"]]
    assert plugin["pip_url"] == ("-e ." if source == "meltano.yml" else "tap-zoho-territories")


@pytest.mark.parametrize("name", PLUGINS)
def test_hub_metadata(name: str) -> None:
    plugin = hub_plugin(name)
    for key in ("variant", "label", "description", "repo", "domain_url", "keywords"):
        assert plugin[key], key
    assert plugin["maintenance_status"] in ("active", "beta", "development", "inactive", "unknown")
    assert plugin["repo"].startswith("https://github.com/")
    assert "meltano_sdk" in plugin["keywords"]


def test_meltano_yml_is_valid_for_the_installed_meltano() -> None:
    """meltano.yml validates against the JSON schema shipped with .venv-meltano's Meltano."""
    schemas = list(MELTANO.parent.parent.glob("lib/python*/site-packages/meltano/schemas"))
    assert schemas, f"no Meltano next to {MELTANO}: run `make meltano` (make test does it)"
    schema = json.loads((schemas[0] / "meltano.schema.json").read_text())
    errors = [
        f"{e.json_path}: {e.message}"
        for e in jsonschema.Draft202012Validator(schema).iter_errors(meltano_yml())
    ]
    assert not errors


def test_meltano_yml_project_settings() -> None:
    doc = meltano_yml()
    assert doc["requires_meltano"] == ">=4.0"
    assert "version" not in doc
    assert doc["send_anonymous_usage_stats"] is False
    assert doc["project_id"]  # else Meltano writes one into the file on first use
    assert {e["name"] for e in doc["environments"]} == {"dev", "demo", "prod"}
    assert doc["default_environment"] == "dev"


def test_inherited_plugins_point_at_declared_ones() -> None:
    plugins = meltano_yml()["plugins"]
    for kind in ("extractors", "loaders"):
        names = {p["name"] for p in plugins[kind]}
        for plugin in plugins[kind]:
            if "inherit_from" in plugin:
                assert plugin["inherit_from"] in names
                assert "pip_url" not in plugin  # shares the parent's venv


@pytest.mark.parametrize("environment", ["dev", "demo"])
def test_emulator_environments_use_the_emulator_credentials(environment: str) -> None:
    """dev and demo point both plugins at the emulator of sample_config.json, never at Zoho."""
    sample = json.loads((ROOT / "sample_config.json").read_text())
    env = next(e for e in meltano_yml()["environments"] if e["name"] == environment)
    for name, (kind, _) in PLUGINS.items():
        config = next(p for p in env["config"]["plugins"][kind] if p["name"] == name)["config"]
        for key in ("client_id", "client_secret", "refresh_token", "accounts_server"):
            assert config[key] == sample[key], (environment, name, key)


def test_prod_reads_credentials_from_the_environment() -> None:
    env = next(e for e in meltano_yml()["environments"] if e["name"] == "prod")
    for name, (kind, _) in PLUGINS.items():
        config = next(p for p in env["config"]["plugins"][kind] if p["name"] == name)["config"]
        assert config["client_id"] == "${ZOHO_CLIENT_ID}"
        assert config["client_secret"] == "${ZOHO_CLIENT_SECRET}"
        assert config["refresh_token"] == "${ZOHO_REFRESH_TOKEN}"
        assert "accounts_server" not in config
