"""Connection settings shared by the tap and the target (DESIGN §2), resolved and checked."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoho_crm_api.datacenters import ENVIRONMENTS, DataCenter, check_url, data_center
from zoho_crm_api.errors import ZohoConfigError
from zoho_crm_api.token_cache import default_path

# `max_concurrency: auto` (the default): the org's edition sets it; until GET /org answers, and
# when it cannot be read, Free's 5 (zoho-api.md §6).
AUTO = "auto"
DEFAULT_MAX_CONCURRENCY = 5
DEFAULT_REQUEST_TIMEOUT = 60
DEFAULT_MAX_RETRIES = 5
DEFAULT_MAX_RETRY_AFTER = 300
DEFAULT_MAX_RESPONSE_MB = 64
# Upper bounds: Zoho's largest edition allows 25 requests in flight; more retries than 10 only
# hide an outage; every wait of a run has a bound.
MAX_CONCURRENCY_LIMIT = 25
MAX_RETRIES_LIMIT = 10
REQUEST_TIMEOUT_LIMIT = 600
MAX_RETRY_AFTER_LIMIT = 3600
MAX_RESPONSE_MB_LIMIT = 1024
SECRET_SETTINGS = ("client_id", "client_secret", "refresh_token")
# `token_cache` values that turn the cache off (Meltano may pass a boolean as text).
TOKEN_CACHE_OFF = ("false", "off", "no", "none")


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
    # The calls in flight allowed at the start (fixed unless `auto_concurrency`).
    max_concurrency: int
    api_credit_budget: int | None
    request_timeout: float
    max_retries: int
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    max_response_mb: float = DEFAULT_MAX_RESPONSE_MB
    # Where access tokens are kept between runs; None when the cache is off.
    token_cache: Path | None = None
    # True for `max_concurrency: auto`: the org's edition (GET /org) sets the limit.
    auto_concurrency: bool = False

    @property
    def concurrency_ceiling(self) -> int:
        """The most calls that may ever be in flight in a run."""
        return MAX_CONCURRENCY_LIMIT if self.auto_concurrency else self.max_concurrency

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], environ: Mapping[str, str] | None = None
    ) -> ConnectionSettings:
        """Resolve and validate a tap/target config; raise ZohoConfigError with advice."""
        env = os.environ if environ is None else environ
        try:
            dc = data_center(str(config.get("data_center") or "us"))
            environment = _environment(config)
            for key in SECRET_SETTINGS:
                if not str(config.get(key) or "").strip():
                    msg = f"{key} is required (see the README for creating a self-client)."
                    raise ValueError(msg)
            budget = config.get("api_credit_budget")
            if budget is not None:
                budget = _whole(config, "api_credit_budget", 0, 0, None)
            return cls(
                client_id=str(config["client_id"]),
                client_secret=str(config["client_secret"]),
                refresh_token=str(config["refresh_token"]),
                accounts_server=check_url(
                    config.get("accounts_server") or dc.accounts_server, "accounts_server"
                ),
                api_domain=_api_domain(config, dc, environment),
                default_api_domain=dc.api_domain(environment),
                data_center=dc.code,
                environment=environment,
                api_version=str(config.get("api_version") or "v8"),
                max_concurrency=_max_concurrency(config),
                api_credit_budget=budget,
                request_timeout=_whole(
                    config, "request_timeout", DEFAULT_REQUEST_TIMEOUT, 1, REQUEST_TIMEOUT_LIMIT
                ),
                max_retries=_whole(
                    config, "max_retries", DEFAULT_MAX_RETRIES, 0, MAX_RETRIES_LIMIT
                ),
                max_retry_after=_whole(
                    config, "max_retry_after", DEFAULT_MAX_RETRY_AFTER, 0, MAX_RETRY_AFTER_LIMIT
                ),
                max_response_mb=_whole(
                    config, "max_response_mb", DEFAULT_MAX_RESPONSE_MB, 1, MAX_RESPONSE_MB_LIMIT
                ),
                token_cache=token_cache_path(config.get("token_cache"), env),
                auto_concurrency=_is_auto(config.get("max_concurrency")),
            )
        except ValueError as exc:
            raise ZohoConfigError(str(exc)) from None

    def __repr__(self) -> str:
        """Never show the secrets."""
        return (
            f"ConnectionSettings(data_center={self.data_center!r}, "
            f"accounts_server={self.accounts_server!r}, api_domain={self.api_domain!r})"
        )


def _environment(config: Mapping[str, Any]) -> str:
    environment = str(config.get("environment") or "production")
    if environment not in ENVIRONMENTS:
        msg = f"environment must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}."
        raise ValueError(msg)
    return environment


def _api_domain(config: Mapping[str, Any], dc: DataCenter, environment: str) -> str | None:
    """The configured API domain; sandbox/developer orgs live on hosts of their own."""
    api_domain = config.get("api_domain")
    if api_domain:
        return check_url(str(api_domain), "api_domain")
    if environment != "production":
        # The token answer names the production domain.
        return dc.api_domain(environment)
    return None


def _is_auto(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() == AUTO)


def _max_concurrency(config: Mapping[str, Any]) -> int:
    """`auto` (or absent): the start value; else a whole number from 1 to 25."""
    value = config.get("max_concurrency")
    if _is_auto(value):
        return DEFAULT_MAX_CONCURRENCY
    try:
        return _whole(config, "max_concurrency", DEFAULT_MAX_CONCURRENCY, 1, MAX_CONCURRENCY_LIMIT)
    except ValueError as exc:
        msg = str(exc).replace("must be a whole number", f"must be {AUTO} or a whole number")
        raise ValueError(msg) from None


def _whole(config: Mapping[str, Any], key: str, default: int, low: int, high: int | None) -> int:
    """A whole-number setting within [low, high], with a message that names the range."""
    value = config.get(key)
    if value is None:
        return default
    number = _as_whole(value)
    if number is not None and number >= low and (high is None or number <= high):
        return number
    allowed = f"from {low} to {high}" if high is not None else f"of at least {low}"
    msg = f"{key} must be a whole number {allowed}, got {value!r}."
    if number is not None and high is not None and number > high:
        msg += f" The cap is there because {_WHY_CAPPED.get(key, 'every wait is bounded')}."
    raise ValueError(msg)


def _as_whole(value: Any) -> int | None:
    """An int from an int, an integral float or a string of digits; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


_WHY_CAPPED = {
    "max_concurrency": "Zoho's largest edition allows 25 requests in flight",
    "max_retries": "more retries only hide an outage; a re-run resumes from the last STATE",
    "max_response_mb": "a Zoho page is far smaller",
}


def token_cache_path(value: Any, environ: Mapping[str, str]) -> Path | None:
    """Where tokens are kept: the user's cache directory by default, None when turned off.

    Never inside the Meltano project directory (`MELTANO_PROJECT_ROOT`): a token there could
    end up in version control.
    """
    if value is False or (isinstance(value, str) and value.strip().lower() in TOKEN_CACHE_OFF):
        return None
    if value is None or value is True or (isinstance(value, str) and not value.strip()):
        path = default_path(environ)
    elif isinstance(value, str):
        path = Path(value.strip()).expanduser()
    else:
        msg = f"token_cache must be a file path or false, got {value!r}."
        raise ValueError(msg)
    path = Path(os.path.abspath(path))
    project = environ.get("MELTANO_PROJECT_ROOT")
    if project and path.is_relative_to(Path(os.path.abspath(project))):
        msg = (
            f"token_cache {str(path)!r} is inside the Meltano project directory {project!r}, "
            "where an access token could be committed. Use a path outside it (the default is "
            "the user's cache directory), or false to turn the cache off."
        )
        raise ValueError(msg)
    return path
