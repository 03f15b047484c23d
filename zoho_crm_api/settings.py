"""Connection settings shared by the tap and the target (DESIGN §2), resolved and checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zoho_crm_api.datacenters import ENVIRONMENTS, check_url, data_center
from zoho_crm_api.errors import ZohoConfigError

DEFAULT_MAX_CONCURRENCY = 5
DEFAULT_REQUEST_TIMEOUT = 60
DEFAULT_MAX_RETRIES = 5
SECRET_SETTINGS = ("client_id", "client_secret", "refresh_token")


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
