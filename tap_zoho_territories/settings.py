"""Connection settings shared by the tap and the target (DESIGN §2), and their validation."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import click
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.plugin_base import PluginBase

from tap_zoho_territories.datacenters import (
    DATA_CENTERS,
    ENVIRONMENTS,
    check_url,
    data_center,
)
from tap_zoho_territories.errors import ZohoConfigError

DEFAULT_MAX_CONCURRENCY = 5
DEFAULT_REQUEST_TIMEOUT = 60
DEFAULT_MAX_RETRIES = 5

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
        th.IntegerType,
        default=DEFAULT_MAX_CONCURRENCY,
        title="Max concurrency",
        description="Requests in flight at once. Zoho allows 5 (Free) to 25 (Ultimate) per org; "
        "going over gives 429s.",
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
        description="Seconds to wait for one HTTP answer.",
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        default=DEFAULT_MAX_RETRIES,
        title="Max retries",
        description="Retries of one call on 429, 5xx and dropped connections, with "
        "exponential backoff and jitter.",
    ),
)

SECRET_SETTINGS = ("client_id", "client_secret", "refresh_token")
REDACTED = "<redacted>"
# Shorter fragments of a secret are not worth hiding (and would mangle every message).
_MIN_REDACTED_LENGTH = 4


def check_unknown_settings(config: Mapping[str, Any], known: Iterable[str]) -> None:
    """Refuse settings the plugin does not know: a misspelt `dry_run` must not mean "write".

    Keys starting with `_` are left alone (a common way to comment a JSON config).
    """
    names = sorted(set(known))
    unknown = sorted(key for key in config if key not in names and not str(key).startswith("_"))
    if not unknown:
        return
    described = []
    for key in unknown:
        close = difflib.get_close_matches(str(key), names, n=1)
        described.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    msg = (
        f"unknown setting(s) in the config: {', '.join(described)}. Nothing was read or sent. "
        "What to do: correct or remove them (--about lists every setting)."
    )
    raise ZohoConfigError(msg)


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


class SecretSafeConfig(PluginBase):
    """Plugin mixin: the SDK's config validation, with secret values taken out of its messages.

    jsonschema echoes the offending value (`98765 is not of type 'string'`); for a secret
    setting that value is the secret. A `--config` file that is missing or not a JSON object
    is a one-line config error (exit 1) instead of a traceback.
    """

    @classmethod
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

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        try:
            errors = super()._validate_config(raise_errors=raise_errors)
        except ConfigValidationError as exc:
            raise ConfigValidationError(
                str(exc), errors=redact_secrets(exc.errors, self._config), schema=exc.schema
            ) from None
        return redact_secrets(errors, self._config)


@dataclass(frozen=True)
class ConnectionSettings:
    """Validated connection settings, resolved to URLs."""

    client_id: str
    client_secret: str
    refresh_token: str
    accounts_server: str
    api_domain: str | None
    default_api_domain: str
    data_center: str
    environment: str
    api_version: str
    max_concurrency: int
    api_credit_budget: int | None
    request_timeout: float
    max_retries: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ConnectionSettings:
        """Resolve and validate a tap/target config; raise ZohoConfigError with advice."""
        try:
            dc = data_center(str(config.get("data_center") or "us"))
            environment = str(config.get("environment") or "production")
            if environment not in ENVIRONMENTS:
                msg = f"environment must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}."
                raise ValueError(msg)
            accounts = check_url(
                config.get("accounts_server") or dc.accounts_server, "accounts_server"
            )
            api_domain = config.get("api_domain")
            if api_domain:
                api_domain = check_url(api_domain, "api_domain")
            elif environment != "production":
                # The token answer names the production domain; sandbox/developer orgs live on
                # their own hosts of the same data centre.
                api_domain = dc.api_domain(environment)
            for key in SECRET_SETTINGS:
                if not str(config.get(key) or "").strip():
                    msg = f"{key} is required (see the README for creating a self-client)."
                    raise ValueError(msg)
            positive = {
                "max_concurrency": DEFAULT_MAX_CONCURRENCY,
                "request_timeout": DEFAULT_REQUEST_TIMEOUT,
            }
            for key, default in positive.items():
                value = config.get(key, default)
                if value is None or int(value) < 1:
                    msg = f"{key} must be a whole number of at least 1, got {value!r}."
                    raise ValueError(msg)
            retries = config.get("max_retries", DEFAULT_MAX_RETRIES)
            if retries is None or int(retries) < 0:
                msg = f"max_retries must be 0 or more, got {retries!r}."
                raise ValueError(msg)
            budget = config.get("api_credit_budget")
            if budget is not None and int(budget) < 0:
                msg = f"api_credit_budget must be 0 or more, got {budget!r}."
                raise ValueError(msg)
        except ValueError as exc:
            raise ZohoConfigError(str(exc)) from None
        return cls(
            client_id=str(config["client_id"]),
            client_secret=str(config["client_secret"]),
            refresh_token=str(config["refresh_token"]),
            accounts_server=accounts,
            api_domain=api_domain or None,
            default_api_domain=dc.api_domain(environment),
            data_center=dc.code,
            environment=environment,
            api_version=str(config.get("api_version") or "v8"),
            max_concurrency=int(config.get("max_concurrency") or DEFAULT_MAX_CONCURRENCY),
            api_credit_budget=None if budget is None else int(budget),
            request_timeout=float(config.get("request_timeout") or DEFAULT_REQUEST_TIMEOUT),
            max_retries=int(retries),
        )

    def __repr__(self) -> str:
        """Never show the secrets."""
        return (
            f"ConnectionSettings(data_center={self.data_center!r}, "
            f"accounts_server={self.accounts_server!r}, api_domain={self.api_domain!r})"
        )
