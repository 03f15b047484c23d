"""The singer-sdk internals the plugins rely on, in one list: a new SDK that changes one fails here.

Every private member (`_name`) of an SDK class that the tap or the target overrides, calls or
reads is listed with the parameters it has in singer-sdk 0.54.9, and so are the two `@final`
methods the tap overrides. Instance attributes are checked on a real instance. When you use
another SDK internal, add it here and say so in a comment where it is used.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from singer_sdk import Stream, Tap, Target
from singer_sdk.helpers import _util
from singer_sdk.plugin_base import PluginBase, SingerCommand
from singer_sdk.sinks import Sink

from tap_zoho_territories.tap import TapZohoTerritories
from target_zoho_territories.target import TargetZohoTerritories

# (class, member, parameter names after self/cls)
METHODS: list[tuple[type, str, tuple[str, ...]]] = [
    (Stream, "_write_starting_replication_value", ("context",)),
    (Stream, "_generate_record_messages", ("record",)),
    (Stream, "_write_schema_message", ()),
    (Stream, "_write_activate_version_message", ("full_table_version",)),
    (Stream, "_increment_stream_state", ("latest_record", "context")),
    (Tap, "load_streams", ()),
    (Tap, "sync_all", ()),
    (Tap, "_handle_termination", ("signum", "frame")),
    # Overridden with these keyword parameters (the tap checks --state and --catalog first).
    (Tap, "invoke", ("about", "about_format", "config", "state", "catalog")),
    (PluginBase, "get_singer_command", ()),
    (PluginBase, "_validate_config", ("raise_errors",)),
    (PluginBase, "cb_config", ("ctx", "param", "value")),
    (Target, "_handle_max_record_age", ()),
    (Target, "_process_state_message", ("message_dict",)),
    (Target, "_write_state_message", ("state",)),
    (Target, "_handle_termination", ("signum", "frame")),
    (Sink, "_remove_sdc_metadata_from_record", ("record",)),
    (Sink, "_validate_and_parse", ("record",)),
    (Sink, "_singer_validate_message", ("record",)),
]
# @final in the SDK, overridden by the tap (it reorders streams and wraps the sync).
FINAL_OVERRIDDEN = [(Tap, "load_streams"), (Tap, "sync_all")]
CONFIG = {"client_id": "id", "client_secret": "secret", "refresh_token": "refresh"}


def _parameters(owner: type, name: str) -> tuple[str, ...]:
    member = inspect.getattr_static(owner, name)
    function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
    names = list(inspect.signature(function).parameters)
    return tuple(names[1:])


@pytest.mark.parametrize(("owner", "name", "parameters"), METHODS)
def test_sdk_member_exists_with_the_same_parameters(
    owner: type, name: str, parameters: tuple[str, ...]
) -> None:
    assert _parameters(owner, name) == parameters


@pytest.mark.parametrize(("owner", "name"), FINAL_OVERRIDDEN)
def test_final_methods_the_tap_overrides_are_still_final(owner: type, name: str) -> None:
    # If the SDK stops marking them final, the override can become a plain hook.
    assert getattr(getattr(owner, name), "__final__", False)


def test_the_command_installs_its_own_excepthook() -> None:
    # OneLineErrors replaces the command's `excepthook` attribute, which the SDK's command
    # installs as sys.excepthook when it runs.
    source = inspect.getsource(SingerCommand.invoke)
    assert "sys.excepthook = self.excepthook" in source
    assert callable(SingerCommand.excepthook)


def test_private_helpers_the_tap_imports() -> None:
    assert not inspect.signature(_util.utc_now).parameters


def test_instance_attributes_the_plugins_read() -> None:
    tap: Any = TapZohoTerritories(config=dict(CONFIG), validate_config=False)
    assert hasattr(tap, "_state_writer")
    assert hasattr(tap, "_config")
    stream = tap.streams["territories"]
    assert hasattr(stream, "_stream_version")
    target: Any = TargetZohoTerritories(config=dict(CONFIG), validate_config=False)
    assert hasattr(target, "_latest_state")
