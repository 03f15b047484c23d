"""E18 ``GET /settings/roles[/{role_id}]``: no paging, no ``info`` (zoho-api.md §10)."""

from __future__ import annotations

from zoho_crm_emulator import render
from zoho_crm_emulator.api import Request, Response, invalid_path_id, is_digits


def list_roles(request: Request) -> Response:
    """Every role, in ascending id order: ``{"roles": [...]}``."""
    org = request.org
    return Response(
        200, {"roles": [render.role(org, org.roles[rid]) for rid in sorted(org.roles, key=int)]}
    )


def get_role(request: Request) -> Response:
    """One role: ``{"roles": [one]}``; an unknown id is 400 ``INVALID_DATA``."""
    org = request.org
    raw = request.params["id"]
    found = org.roles.get(raw) if is_digits(raw) else None
    if found is None:
        raise invalid_path_id(1, "the role id given seems to be invalid")
    return Response(200, {"roles": [render.role(org, found)]})
