"""Zoho data centres and environments: which accounts server and API domain serve an org.

Source: Zoho's official Python SDK v8 `dc/*_data_center.py` (US, EU, IN, AU, JP, CN, CA, SA) and
Zoho Accounts' multi-DC page (UK), as collected in zoho-api.md §5.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

ENVIRONMENTS = ("production", "sandbox", "developer")


@dataclass(frozen=True)
class DataCenter:
    """One Zoho data centre: its accounts server and the top-level domain of its API hosts."""

    code: str
    accounts_server: str
    api_tld: str

    def api_domain(self, environment: str = "production") -> str:
        """The API domain for an environment (`www.`, `sandbox.` or `developer.zohoapis...`)."""
        prefix = {"production": "www", "sandbox": "sandbox", "developer": "developer"}[environment]
        return f"https://{prefix}.zohoapis.{self.api_tld}"


DATA_CENTERS: dict[str, DataCenter] = {
    dc.code: dc
    for dc in (
        DataCenter("us", "https://accounts.zoho.com", "com"),
        DataCenter("eu", "https://accounts.zoho.eu", "eu"),
        DataCenter("in", "https://accounts.zoho.in", "in"),
        DataCenter("au", "https://accounts.zoho.com.au", "com.au"),
        DataCenter("jp", "https://accounts.zoho.jp", "jp"),
        DataCenter("cn", "https://accounts.zoho.com.cn", "com.cn"),
        # Canada's accounts server is on zohocloud.ca while its API stays on zohoapis.ca.
        DataCenter("ca", "https://accounts.zohocloud.ca", "ca"),
        DataCenter("sa", "https://accounts.zoho.sa", "sa"),
        # UK: from Zoho Accounts' multi-DC page; the v8 SDK has no UK entry (zoho-api.md §5).
        DataCenter("uk", "https://accounts.zoho.uk", "uk"),
    )
}


def data_center(code: str) -> DataCenter:
    """Look up a data centre by its code, with a message that lists the valid ones."""
    try:
        return DATA_CENTERS[code.lower()]
    except KeyError:
        valid = ", ".join(DATA_CENTERS)
        msg = f"Unknown data_center {code!r}: use one of {valid}."
        raise ValueError(msg) from None


def data_center_of_api_domain(url: str) -> DataCenter | None:
    """The data centre whose API hosts serve `url`, or None for a host that is not Zoho's."""
    host = (urlsplit(url).hostname or "").lower()
    return next(
        (dc for dc in DATA_CENTERS.values() if host.endswith(f".zohoapis.{dc.api_tld}")), None
    )


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback IP addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, setting: str) -> str:
    """Validate a base URL: https, or plain http only to a loopback host (the emulator).

    Returns the URL without a trailing slash.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        msg = f"{setting} must be an absolute https:// URL, got {url!r}."
        raise ValueError(msg)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        msg = (
            f"{setting} {url!r} uses plain http:// to a non-loopback host; credentials would "
            "travel unencrypted. Use https://, or http:// only to 127.0.0.1/localhost."
        )
        raise ValueError(msg)
    return url.rstrip("/")
