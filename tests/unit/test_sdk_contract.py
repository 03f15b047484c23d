"""The singer-sdk internals the plugins rely on, in one list: a new SDK that changes one fails here.

Every private member (`_name`) of an SDK class that the tap or the target overrides, calls or
reads is listed with the parameters it has in singer-sdk 0.54.9, and so are the two `@final`
methods the tap overrides. Instance attributes are checked on a real instance. When you use
another SDK internal, add it here and say so in a comment where it is used.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest
from singer_sdk import Stream, Tap, Target
from singer_sdk.helpers import _util
from singer_sdk.io_base import SingerReader
from singer_sdk.plugin_base import PluginBase, SingerCommand
from singer_sdk.sinks import Sink

from tap_zoho_territories.tap import TapZohoTerritories
from target_zoho_territories.target import TargetZohoTerritories
from zoho_crm_singer.logs import DEMOTED

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
    # Overridden with these keyword parameters (the target turns every stop into one line).
    (Target, "invoke", ("about", "about_format", "config", "file_input")),
    (Sink, "_remove_sdc_metadata_from_record", ("record",)),
    (Sink, "_validate_and_parse", ("record",)),
    (Sink, "_singer_validate_message", ("record",)),
]
# @final in the SDK, overridden by the tap (it reorders streams and wraps the sync).
FINAL_OVERRIDDEN = [(Tap, "load_streams"), (Tap, "sync_all")]
ROOT = Path(__file__).resolve().parents[2]
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


def test_the_streams_dict_is_the_one_sync_all_iterates() -> None:
    # The tap reorders `Tap.streams` in place for the run (derived user_territories writes the
    # territories first); that works while the property returns its cached dict and sync_all
    # iterates `self.streams.values()`.
    tap: Any = TapZohoTerritories(config=dict(CONFIG), validate_config=False)
    assert tap.streams is tap.streams
    assert "self.streams.values()" in inspect.getsource(Tap.sync_all)


# The target's classes and their SDK bases: every SDK internal they define, call or read must
# be listed above (METHODS) or in INSTANCE_ATTRIBUTES.
TARGET_CLASSES = [
    ("target_zoho_territories/target.py", "TargetZohoTerritories", Target),
    ("target_zoho_territories/sinks.py", "AssignmentSink", Sink),
    ("target_zoho_territories/reader.py", "LineReader", SingerReader),
]
INSTANCE_ATTRIBUTES = {(Target, "_latest_state"), (Tap, "_state_writer"), (PluginBase, "_config")}


def _sdk_internals_used(path: str, name: str, base: type) -> set[str]:
    """`_names` a class defines or reads on `self`/`super()` that its SDK base also has."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    owner = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == name)
    own = {n.name for n in owner.body if isinstance(n, ast.FunctionDef)}
    used: set[str] = set()
    for node in ast.walk(owner):
        if isinstance(node, ast.FunctionDef):
            used.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, (ast.Name, ast.Call)):
            target = node.value
            is_self = isinstance(target, ast.Name) and target.id == "self"
            is_super = isinstance(target, ast.Call) and getattr(target.func, "id", "") == "super"
            if is_self or is_super:
                used.add(node.attr)
    private = {n for n in used if n.startswith("_") and not n.startswith("__")}
    sdk_instance = {attr for owner_cls, attr in INSTANCE_ATTRIBUTES if issubclass(base, owner_cls)}
    return {n for n in private if hasattr(base, n) or (n in sdk_instance and n not in own)}


@pytest.mark.parametrize(("path", "name", "base"), TARGET_CLASSES)
def test_every_sdk_internal_the_target_uses_is_listed(path: str, name: str, base: type) -> None:
    listed = {member for owner, member, _ in METHODS if issubclass(base, owner)}
    listed |= {member for owner, member in INSTANCE_ATTRIBUTES if issubclass(base, owner)}
    assert _sdk_internals_used(path, name, base) - listed == set()


def test_the_internals_check_sees_what_the_target_uses() -> None:
    # The rule above would pass on a scan that found nothing.
    found = _sdk_internals_used(
        "target_zoho_territories/target.py", "TargetZohoTerritories", Target
    )
    assert {"_latest_state", "_process_state_message", "_handle_termination"} <= found


def _sdk_string_constants() -> set[str]:
    """Every string constant in the SDK's source (implicit concatenation already joined)."""
    package = Path(inspect.getfile(PluginBase)).parent
    found: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_the_sdk_notices_logged_at_debug_are_still_the_sdks() -> None:
    # zoho_crm_singer/logs.py matches these format strings exactly; a reworded notice would be
    # logged at its old level again. A text is one constant, or two the SDK joins (`msg += ...`).
    constants = _sdk_string_constants()
    missing = [
        text
        for text in sorted(DEMOTED)
        if text not in constants
        and not any(text.startswith(a) and text[len(a) :] in constants for a in constants)
    ]
    assert missing == []
