"""E20 ``GET /org``: one organisation, its edition in ``license_details`` (zoho-api.md §10)."""

from __future__ import annotations

from typing import Any

from zoho_crm_emulator.api import Request, Response
from zoho_crm_emulator.org import ACTIVE, Org

#: ``--edition`` -> ``license_details`` (zoho-api.md §10 "Edition"; Zoho has no edition key).
#: ``standard`` and ``ultimate`` as a ``paid_type`` are NOT FOUND in Zoho's docs: by analogy.
EDITIONS: dict[str, dict[str, Any]] = {
    "free": {"paid": False, "paid_type": "free"},
    "standard": {"paid": True, "paid_type": "standard"},
    "professional": {"paid": True, "paid_type": "professional"},
    "enterprise": {"paid": True, "paid_type": "enterprise"},
    "ultimate": {"paid": True, "paid_type": "ultimate"},
}

# The generated orgs' time zones -> (country, country code).
_COUNTRIES = {
    "Asia/Kolkata": ("India", "IN"),
    "America/Los_Angeles": ("United States", "US"),
    "America/New_York": ("United States", "US"),
    "Europe/Paris": ("France", "FR"),
    "Europe/London": ("United Kingdom", "GB"),
    "Australia/Sydney": ("Australia", "AU"),
}


def license_details(org: Org, edition: str) -> dict[str, Any]:
    """``license_details`` for an edition (no trial, no expiry date)."""
    active = sum(1 for row in org.users.values() if row.status == ACTIVE)
    return {
        "paid_expiry": None,
        "users_license_purchased": active,
        "trial_type": None,
        "trial_expiry": None,
        **EDITIONS[edition],
    }


def organization(org: Org, edition: str) -> dict[str, Any]:
    """The one element of ``org``: every key §10 lists, lower snake_case."""
    current = org.users[org.current_user_id]
    country, code = _COUNTRIES.get(org.time_zone, ("United States", "US"))
    return {
        "country": country,
        "photo_id": None,
        "city": None,
        "description": None,
        "mc_status": False,
        "gapps_enabled": False,
        "domain_name": f"org{org.org_id}",
        "translation_enabled": False,
        "street": None,
        "alias": None,
        "currency": "US Dollar",
        "id": org.org_id,
        "state": None,
        "fax": None,
        "employee_count": str(len(org.users)),
        "zip": None,
        "created_time": org.ts(current.created_at),
        "website": None,
        "currency_symbol": "$",
        "mobile": None,
        "currency_locale": "en_US",
        "primary_zuid": current.zuid,
        "zia_portal_id": None,
        "time_zone": org.time_zone,
        "zgid": org.org_id,
        "country_code": code,
        "license_details": license_details(org, edition),
        "phone": None,
        "ezgid": f"{int(org.org_id):x}",
        "company_name": org.name,
        "privacy_settings": False,
        "primary_email": current.email,
        "hipaa_compliance_enabled": False,
        "iso_code": "USD",
        "max_per_page": 200,
        "deletable_org_account": False,
        "lite_users_enabled": False,
        "oauth_presence": True,
        "zia_zgid": int(org.org_id),
        "call_icon": None,
        "type": "production",
        "hierarchy_preferences": {"type": "Role_Hierarchy", "strictly_reporting": False},
        "checkin_preferences": {"restricted_event_types": None},
    }


def get_org(request: Request) -> Response:
    """``{"org": [one]}`` (the official SDK reads ``org[0].zgid`` after a refresh)."""
    return Response(200, {"org": [organization(request.org, request.config.edition)]})
