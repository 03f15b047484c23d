"""E19 ``GET /settings/profiles[/{id}]``: ``info`` is only ``{license_limit}`` (zoho-api.md §10)."""

from __future__ import annotations

from zoho_crm_emulator import render
from zoho_crm_emulator.api import ApiError, Request, Response, is_digits


def list_profiles(request: Request) -> Response:
    """Every profile, in ascending id order, and ``info: {"license_limit": null}``.

    ``include_lite_profile`` is accepted (its meaning is UNCERTAIN; the emulator's orgs have
    no lite profiles).
    """
    org = request.org
    profiles = [render.profile(org, org.profiles[pid]) for pid in sorted(org.profiles, key=int)]
    return Response(200, {"profiles": profiles, "info": {"license_limit": None}})


def get_profile(request: Request) -> Response:
    """One profile with its ``permissions_details``; an unknown id is 400 ``INVALID_DATA``."""
    org = request.org
    raw = request.params["id"]
    found = org.profiles.get(raw) if is_digits(raw) else None
    if found is None:
        raise ApiError(400, "INVALID_DATA", "the id given seems to be invalid or already deleted")
    return Response(200, {"profiles": [render.profile(org, found, permissions=True)]})
