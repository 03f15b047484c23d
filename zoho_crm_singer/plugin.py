"""What both plugins share as Singer plugins: connection settings, secret redaction, CLI glue."""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import IO, Any, ClassVar

import click
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.plugin_base import PluginBase
from typing_extensions import override

from zoho_crm_api.client import redact_tokens
from zoho_crm_api.datacenters import DATA_CENTERS, ENVIRONMENTS
from zoho_crm_api.errors import ZohoConfigError, ZohoError
from zoho_crm_api.settings import (
    AUTO,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RESPONSE_MB,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_REQUEST_TIMEOUT,
    MAX_CONCURRENCY_LIMIT,
    MAX_RESPONSE_MB_LIMIT,
    MAX_RETRIES_LIMIT,
    MAX_RETRY_AFTER_LIMIT,
    REQUEST_TIMEOUT_LIMIT,
    SECRET_SETTINGS,
)
from zoho_crm_singer.progress import DEFAULT_INTERVAL_S
from zoho_crm_singer.progress import SETTING as PROGRESS_SETTING

CONNECTION_PROPERTIES = th.PropertiesList(
    th.Property(
        "client_id",
        th.StringType(nullable=False),
        required=True,
        secret=True,
        title="Client ID",
        description="OAuth client ID of a Zoho API Console self-client.",
    ),
    th.Property(
        "client_secret",
        th.StringType(nullable=False),
        required=True,
        secret=True,
        title="Client secret",
        description="OAuth client secret of the self-client. Never logged.",
    ),
    th.Property(
        "refresh_token",
        th.StringType(nullable=False),
        required=True,
        secret=True,
        title="Refresh token",
        description="OAuth refresh token (does not expire until revoked). Never logged.",
    ),
    th.Property(
        "data_center",
        th.StringType,
        default="us",
        allowed_values=list(DATA_CENTERS),
        title="Data centre",
        description="Where the Zoho org lives; picks the accounts server "
        "(us, eu, in, au, jp, cn, ca, sa, uk).",
    ),
    th.Property(
        "environment",
        th.StringType,
        default="production",
        allowed_values=list(ENVIRONMENTS),
        title="Environment",
        description="production, sandbox or developer; sandbox and developer use "
        "sandbox./developer.zohoapis.<tld>.",
    ),
    th.Property(
        "accounts_server",
        th.StringType,
        title="Accounts server",
        description="Overrides the accounts server URL derived from data_center "
        "(for example the emulator's URL). http:// only to a loopback host.",
    ),
    th.Property(
        "api_domain",
        th.StringType,
        title="API domain",
        description="Overrides the API domain; by default the one the token answer returns.",
    ),
    th.Property(
        "api_version",
        th.StringType,
        default="v8",
        allowed_values=["v7", "v8"],
        title="API version",
        description="Zoho CRM REST API version.",
    ),
    th.Property(
        "max_concurrency",
        th.CustomType({"type": ["integer", "string"]}),
        default=AUTO,
        title="Max concurrency",
        description="Requests in flight at once: auto, or a number. Zoho allows 5 (Free) to 25 "
        "(Ultimate) per org by edition and answers 429 beyond it; auto reads the edition from "
        f"GET /org ({DEFAULT_MAX_CONCURRENCY} if it cannot be read). A 429 for concurrency "
        f"lowers it for the rest of the run. At most {MAX_CONCURRENCY_LIMIT}.",
    ),
    th.Property(
        "api_credit_budget",
        th.IntegerType,
        title="API credit budget",
        description="Stop cleanly, with STATE written, before spending more than this many "
        "API credits in one run (one credit per call).",
    ),
    th.Property(
        "request_timeout",
        th.IntegerType,
        default=DEFAULT_REQUEST_TIMEOUT,
        title="Request timeout",
        description="Seconds for one whole HTTP answer (connecting, headers and body), not one "
        f"socket read; a slower answer counts as dropped and is retried. At most "
        f"{REQUEST_TIMEOUT_LIMIT}.",
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        default=DEFAULT_MAX_RETRIES,
        title="Max retries",
        description="Retries of one call on 429, 5xx, dropped connections and answers that are "
        "not Zoho's JSON, with exponential backoff and jitter. At most "
        f"{MAX_RETRIES_LIMIT}.",
    ),
    th.Property(
        "max_retry_after",
        th.IntegerType,
        default=DEFAULT_MAX_RETRY_AFTER,
        title="Max Retry-After",
        description="The longest Retry-After (seconds) waited for within a run; when Zoho asks "
        "for longer, the run stops cleanly (STATE written) so it can be re-run later. At most "
        f"{MAX_RETRY_AFTER_LIMIT}.",
    ),
    th.Property(
        "max_response_mb",
        th.IntegerType,
        default=DEFAULT_MAX_RESPONSE_MB,
        title="Max response size (MB)",
        description="Answers larger than this many megabytes are refused (a Zoho page is far "
        f"smaller). At most {MAX_RESPONSE_MB_LIMIT}.",
    ),
    th.Property(
        "token_cache",
        th.CustomType({"type": ["string", "boolean"]}),
        title="Token cache",
        description="Where access tokens are kept between runs of either plugin, so that a run "
        "does not spend one of Zoho's 10 new tokens per 10 minutes: a file path, or false to "
        "turn the cache off. Default: zoho-crm-singer/tokens.json in the user's cache directory "
        "(XDG_CACHE_HOME or ~/.cache), mode 0600; never the client secret or refresh token.",
    ),
)

# Settings of a run that both plugins have besides the connection.
RUN_PROPERTIES = th.PropertiesList(
    th.Property(
        PROGRESS_SETTING,
        th.NumberType,
        default=DEFAULT_INTERVAL_S,
        title="Progress interval",
        description="Seconds between progress lines (INFO) while a run goes on: the tap's "
        "records per stream, partitions done of total, calls, retries, credits left and an ETA; "
        "the target's changes planned, calls done of total and an ETA. 0 turns them off.",
    ),
)

REDACTED = "<redacted>"
DISTRIBUTION = "tap-zoho-territories"
# Exit codes of both plugins (docs/guarantees.md): 0 done; 1 a config error, a tap run that did not
# complete, or target records that failed or were rejected; 2 a target run stopped early.
EXIT_FAILURES = 1
EXIT_STOPPED = 2
# Shorter fragments of a secret are not worth hiding (and would mangle every message).
_MIN_REDACTED_LENGTH = 4
# jsonschema's message for a missing required property.
_REQUIRED = re.compile(r"'([^']+)' is a required property")


def describe_failure(exc: BaseException, config: Mapping[str, Any] | None = None) -> str:
    """One line for an error at the top of a plugin, without secrets.

    Zoho errors already say what went wrong and what to do; anything else is named with its
    type and a pointer to the traceback (logged at DEBUG).
    """
    if isinstance(exc, ZohoError):
        line = str(exc)
    else:
        first = (str(exc).splitlines() or [""])[0][:300]
        line = (
            f"Unexpected error: {type(exc).__name__}"
            + (f": {first.rstrip('.')}" if first else "")
            + ". What to do: re-run with LOGLEVEL=DEBUG for the traceback, and report it; a "
            "re-run resumes from the last STATE."
        )
    return redact_secrets([redact_tokens(line)], config or {})[0]


def log_failure(
    logger: logging.Logger, exc: BaseException, config: Mapping[str, Any] | None = None
) -> None:
    """Log `exc` as one ERROR line; an unexpected error's traceback at DEBUG.

    A ZohoError is an expected failure whose message is complete: it gets no traceback.
    """
    if not isinstance(exc, ZohoError):
        logger.debug("Traceback of the unexpected error below:", exc_info=exc)
    logger.error("%s", describe_failure(exc, config))


def read_json_object(handle: IO[str] | None, option: str) -> IO[str] | None:
    """The file given to `option` (--state, --catalog) checked to hold a JSON object.

    Returns a fresh stream of the same text for the SDK to read; raises ZohoConfigError with
    what is wrong and what to do.
    """
    if handle is None:
        return None
    name = getattr(handle, "name", option)
    text = handle.read()
    try:
        value = json.loads(text)
    except ValueError as exc:
        problem = f"is not valid JSON ({str(exc).splitlines()[0]})"
    except RecursionError:
        problem = "is nested too deeply to be read"
    else:
        if isinstance(value, dict):
            return io.StringIO(text)
        problem = f"holds a JSON {type(value).__name__}, not an object"
    msg = (
        f"the {option} file {name!r} {problem}. Nothing was read or sent. What to do: fix the "
        f"file, or run without {option}."
    )
    raise ZohoConfigError(msg)


def user_agent(program: str) -> str:
    """`program/version`, sent to Zoho with every call."""
    try:
        return f"{program}/{version(DISTRIBUTION)}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return program


def unknown_settings(config: Mapping[str, Any], known: Iterable[str]) -> str | None:
    """What is wrong when the config holds settings the plugin does not know, else None.

    Each unknown key is named with the known setting it most resembles. Keys starting with `_`
    are left alone (a common way to comment a JSON config).
    """
    names = sorted(set(known))
    unknown = sorted(key for key in config if key not in names and not str(key).startswith("_"))
    if not unknown:
        return None
    described = []
    for key in unknown:
        close = difflib.get_close_matches(str(key), names, n=1)
        described.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return (
        f"unknown setting(s) in the config: {', '.join(described)}. Nothing was read or sent. "
        "What to do: correct or remove them (--about lists every setting)."
    )


def check_unknown_settings(config: Mapping[str, Any], known: Iterable[str]) -> None:
    """Refuse settings the plugin does not know: a misspelt `dry_run` must not mean "write"."""
    problem = unknown_settings(config, known)
    if problem:
        raise ZohoConfigError(problem)


def name_near_misses(
    errors: Iterable[str], config: Mapping[str, Any], known: Iterable[str]
) -> list[str]:
    """Validation errors, a missing required setting followed by the config key that misspells it.

    `'client_secret' is a required property` becomes `... (the config has 'client_secert': did
    you mean 'client_secret'?)` when the config holds an unknown key close to it.
    """
    names = set(known)
    unknown = [str(key) for key in config if key not in names and not str(key).startswith("_")]
    out = []
    for error in errors:
        match = _REQUIRED.fullmatch(error)
        missing = match.group(1) if match else None
        near = difflib.get_close_matches(missing, unknown, n=1) if missing else []
        hint = f" (the config has {near[0]!r}: did you mean {missing!r}?)" if near else ""
        out.append(error + hint)
    return out


def log_config_errors(logger: logging.Logger, exc: ConfigValidationError) -> None:
    """Log a failed config validation as the SDK's CLI does: one line per error, no traceback."""
    for error in exc.errors:
        logger.error("%s", error)
    logger.error("Config validation failed")


def _secret_texts(value: Any) -> set[str]:
    """Every way a secret value can show up in a message: repr, str and each leaf."""
    found = {repr(value), str(value)}
    if isinstance(value, Mapping):
        for item in value.values():
            found |= _secret_texts(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            found |= _secret_texts(item)
    return {text for text in found if len(text) >= _MIN_REDACTED_LENGTH}


def redact_secrets(texts: Iterable[str], config: Mapping[str, Any]) -> list[str]:
    """`texts` with the values of secret settings replaced (config validation echoes values)."""
    secrets: set[str] = set()
    for key in SECRET_SETTINGS:
        if config.get(key) is not None:
            secrets |= _secret_texts(config[key])
    out = []
    for text in texts:
        clean = text
        for secret in sorted(secrets, key=len, reverse=True):
            clean = clean.replace(secret, REDACTED)
        out.append(clean)
    return out


class DocumentedCommand(PluginBase):
    """Plugin mixin: `--help` says what the program does, with examples and exit codes.

    `cli_help` replaces the SDK's one generic line; `cli_epilog` (a config example, examples,
    the exit codes, where the docs are) follows the options.
    """

    cli_help: ClassVar[str] = ""
    cli_epilog: ClassVar[str] = ""

    @classmethod
    @override
    def get_singer_command(cls) -> click.Command:
        """The SDK's command with this program's help and epilog."""
        command = super().get_singer_command()
        command.help = cls.cli_help or command.help
        command.epilog = cls.cli_epilog or command.epilog
        return command


def cli_epilog(settings: str, examples: str, exit_codes: str) -> str:
    r"""`--help`'s text after the options: a config example, examples, the exit codes.

    The config example holds the credentials, then `settings`; the end says where settings,
    logs and the docs are. Lines of 80 characters at most; click keeps each `\b` paragraph.
    """
    return f"""\b
A config file, with the credentials of your Zoho self-client (README, "Zoho
credentials"); sample_config.json holds the emulator's:
  {{"client_id": "1000.XXXX", "client_secret": "...",
   "refresh_token": "1000....",
{settings}}}

\b
Examples:
{examples}

\b
Exit codes:
{exit_codes}

\b
Every setting, with its default: --about (--format markdown for a table).
Logs go to stderr: LOGLEVEL=DEBUG for every request; JSON logs with
SINGER_SDK_LOG_CONFIG (README, "Logs").
Docs: README.md and docs/ of the tap-zoho-territories distribution (its PyPI
page shows the README)."""


class OneLineErrors(PluginBase):
    """Plugin mixin: an error that reaches the top is one line on stderr, not a traceback.

    The traceback is logged at DEBUG. `failure_exit_code` is the documented exit code.
    """

    failure_exit_code: ClassVar[int] = EXIT_FAILURES

    @classmethod
    @override
    def get_singer_command(cls) -> click.Command:
        """The SDK's command, with a one-line excepthook (also while options are parsed)."""
        command = super().get_singer_command()
        hook = cls.one_line_excepthook
        # SDK internal: SingerCommand.invoke installs `self.excepthook` as sys.excepthook when
        # it runs (tests/unit/test_sdk_contract.py checks it); options are parsed before that.
        command.excepthook = hook  # type: ignore[attr-defined]
        sys.excepthook = hook
        return command

    @classmethod
    def one_line_excepthook(
        cls,
        exc_type: type[BaseException],
        exc: BaseException,
        traceback: TracebackType | None,
    ) -> None:
        """Log an uncaught exception as one line and exit with `failure_exit_code`."""
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, traceback)
            return
        log_failure(cls.logger, exc.with_traceback(traceback))
        exit_now(cls.failure_exit_code)


def exit_now(code: int) -> None:
    """Exit with `code` from anywhere (an excepthook, a signal handler), output flushed first."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


class SecretSafeConfig(PluginBase):
    """Plugin mixin: the SDK's config validation, with secret values taken out of its messages.

    jsonschema echoes the offending value (`98765 is not of type 'string'`); for a secret
    setting that value is the secret. A `--config` file that is missing or not a JSON object
    is a one-line config error (exit 1) instead of a traceback.
    """

    @classmethod
    @override
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> Any:
        """Read the --config files; a missing or unreadable one is a one-line config error."""
        try:
            return super().cb_config(ctx, param, value)
        except (OSError, ValueError, TypeError) as exc:
            if isinstance(exc, TypeError):
                problem = "it is not a JSON object"
            else:
                problem = (str(exc).splitlines() or [type(exc).__name__])[0].rstrip(".")
            cls.logger.error(  # noqa: TRY400
                "Config error: the --config file cannot be used: %s. Nothing was read or sent. "
                "What to do: pass a JSON object file (see sample_config.json).",
                problem,
            )
            ctx.exit(1)

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        try:
            errors = super()._validate_config(raise_errors=raise_errors)
        except ConfigValidationError as exc:
            raise ConfigValidationError(
                str(exc), errors=self._explained(exc.errors), schema=exc.schema
            ) from None
        return self._explained(errors)

    def _explained(self, errors: Iterable[str]) -> list[str]:
        """Errors with secrets redacted and a misspelt required setting named.

        When no credential was given at all, one line says to pass --config instead.
        """
        known = self.config_jsonschema.get("properties", {})
        explained = name_near_misses(errors, self._config, known)
        required = self.config_jsonschema.get("required", [])
        return redact_secrets(no_credentials_hint(explained, required, self.name), self._config)


def no_credentials_hint(errors: list[str], required: Iterable[str], program: str) -> list[str]:
    """The errors, with one line saying to pass --config when every required setting is missing.

    (A run with no arguments, or an empty config.) A missing setting that another key misspells
    keeps its own error, which names that key.
    """
    names = list(required)
    bare = [f"'{name}' is a required property" for name in names]
    if not names or not set(bare) <= set(errors):
        return errors
    prefix = program.upper().replace("-", "_")
    hint = (
        f"No Zoho credentials were given: {', '.join(names)} are required. What to do: pass "
        "--config config.json (sample_config.json and --help show the keys), or --config ENV "
        f"with {', '.join(f'{prefix}_{name.upper()}' for name in names)} set."
    )
    return [hint, *(error for error in errors if error not in bare)]
