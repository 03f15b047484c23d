"""API objects built on demand from the org's rows, with Zoho's exact keys and casing."""

from __future__ import annotations

import copy
from typing import Any

from zoho_crm_emulator.org import (
    DELETED,
    INACTIVE,
    Org,
    Profile,
    Role,
    Source,
    Territory,
    User,
    UserGroup,
)

CRITERIA_KEYS = ("account_rule_criteria", "lead_rule_criteria", "deal_rule_criteria")
_MANAGER_STATUS = {"active": "active", INACTIVE: "disabled", DELETED: "deleted"}


def minified_user(org: Org, user_id: str | None) -> dict[str, str] | None:
    """``{"name", "id"}`` of a user, or ``None``."""
    if user_id is None:
        return None
    user = org.users.get(user_id)
    return {"name": user.full_name if user else "", "id": user_id}


def minified_territory(org: Org, territory_id: str | None) -> dict[str, str] | None:
    """``{"name", "id"}`` of a territory, or ``None``."""
    if territory_id is None:
        return None
    return {"name": org.territories[territory_id].name, "id": territory_id}


def territory(
    org: Org,
    row: Territory,
    *,
    includes: tuple[str, ...] = (),
    inner: tuple[str, ...] = (),
    criteria: bool = False,
) -> dict[str, Any]:
    """A territory as E1/E2/E3 return it (v7+ keys, all lowercase).

    ``includes`` adds the requested ``*_rule_criteria`` keys (``null``: the emulator keeps no
    assignment rules); ``criteria`` adds all three (the E3 sample shows them as ``null``);
    ``inner`` adds ``manager.zuid`` / ``manager.status`` (``include_inner_details``).
    """
    manager = minified_user(org, row.manager_id)
    if manager is not None and inner:
        user = org.users.get(row.manager_id or "")
        if user is not None and "manager.zuid" in inner:
            manager["zuid"] = user.zuid
        if user is not None and "manager.status" in inner:
            manager["status"] = _MANAGER_STATUS.get(user.status, user.status)
    out: dict[str, Any] = {
        "created_time": org.ts(row.created_at),
        "modified_time": org.ts(row.modified_at),
        "manager": manager,
        "reporting_to": minified_territory(org, row.parent_id),
        "permission_type": row.permission_type,
        "modified_by": minified_user(org, row.modified_by_id),
        "description": row.description,
        "id": row.id,
        "created_by": minified_user(org, row.created_by_id),
        "name": row.name,
        "api_name": row.api_name,
    }
    for key in CRITERIA_KEYS:
        if criteria or key in includes:
            out[key] = None
    return out


def user_territory(org: Org, row: Territory) -> dict[str, Any]:
    """A territory as E10 returns it: ``id``, ``Manager{Name,id}``, ``Name``, ``Reporting_To``.

    Capitalised ``Name`` inside ``Manager`` and ``Reporting_To`` as the OAS and the official
    SDK have it (zoho-api.md §9; the v7 doc sample's lowercase ``Manager.name`` is a doc slip).
    """
    manager = org.users.get(row.manager_id or "")
    parent = org.territories.get(row.parent_id or "")
    return {
        "id": row.id,
        "Manager": None if manager is None else {"Name": manager.full_name, "id": manager.id},
        "Name": row.name,
        "Reporting_To": None if parent is None else {"Name": parent.name, "id": parent.id},
    }


def user(org: Org, row: User) -> dict[str, Any]:
    """A user as E5/E8 return it, with Zoho's mixed key casing.

    The sample org's Patricia Boyle and J Smith are the S003 objects verbatim; every user also
    carries ``Reporting_To`` (an E8 key the S003 sample does not show).
    """
    if row.fixed is not None:
        out = copy.deepcopy(row.fixed)
        out["Reporting_To"] = minified_user(org, row.reporting_to_id)
        # What an admin can change (the seed's own values until then).
        out["status"] = row.status
        out["Modified_Time"] = org.ts(row.modified_at)
        out["Modified_By"] = minified_user(org, row.modified_by_id)
        return out
    role = org.roles.get(row.role_id)
    profile = org.profiles.get(row.profile_id)
    out = _USER_TEMPLATE.copy()  # constant values are shared, never mutated
    out["id"] = row.id
    out["created_time"] = org.ts(row.created_at)
    out["offset"] = org.offset_minutes * 60_000
    out["profile"] = {"name": profile.name if profile else "", "id": row.profile_id}
    out["created_by"] = minified_user(org, row.created_by_id)
    out["zuid"] = row.zuid
    out["full_name"] = row.full_name
    out["status"] = row.status
    out["role"] = {"name": role.name if role else "", "id": row.role_id}
    out["Modified_By"] = minified_user(org, row.modified_by_id)
    out["first_name"] = row.first_name
    out["email"] = row.email
    out["Modified_Time"] = org.ts(row.modified_at)
    out["last_name"] = row.last_name
    out["time_zone"] = org.time_zone
    out["confirm"] = row.confirm
    out["Reporting_To"] = minified_user(org, row.reporting_to_id)
    return out


# Every E8 key, in the order of the S003 sample (Patricia Boyle's object); ``None`` values for
# the per-user keys are filled in by :func:`user`.
_USER_TEMPLATE: dict[str, Any] = {
    "country": None,
    "name_format__s": "Salutation,First Name,Last Name",
    "language": "en_US",
    "microsoft": False,
    "$shift_effective_from": None,
    "id": None,
    "state": None,
    "fax": None,
    "country_locale": "en_US",
    "sandboxDeveloper": False,
    "zip": None,
    "decimal_separator": "Period",
    "created_time": None,
    "time_format": "hh:mm a",
    "offset": None,
    "profile": None,
    "created_by": None,
    "zuid": None,
    "full_name": None,
    "phone": None,
    "dob": None,
    "sort_order_preference__s": "First Name,Last Name",
    "status": None,
    "role": None,
    "customize_info": {
        "notes_desc": None,
        "show_right_panel": None,
        "bc_view": None,
        "show_home": False,
        "show_detail_view": True,
        "unpin_recent_item": None,
    },
    "city": None,
    "signature": None,
    "locale": "en_US",
    "personal_account": False,
    "Isonline": False,
    "default_tab_group": "0",
    "Modified_By": None,
    "street": None,
    "$current_shift": None,
    "alias": None,
    "theme": {
        "normal_tab": {"font_color": "#FFFFFF", "background": "#222222"},
        "selected_tab": {"font_color": "#FFFFFF", "background": "#222222"},
        "new_background": None,
        "background": "#F3F0EB",
        "screen": "fixed",
        "type": "default",
    },
    "first_name": None,
    "email": None,
    "status_reason__s": None,
    "Modified_Time": None,
    "website": None,
    "$next_shift": None,
    "mobile": None,
    "last_name": None,
    "time_zone": None,
    "number_separator": "Comma",
    "confirm": None,
    "date_format": "dd/MM/yyyy",
    "category": "regular_user",
    "Reporting_To": None,
}


def sources_count(org: Org, group: UserGroup) -> dict[str, Any]:
    """E16's object: source counts by type; ``users`` split by the users' status (S004)."""
    counts = {"territories": 0, "roles": 0, "groups": 0}
    users = {"inactive": 0, "deleted": 0, "active": 0}
    for source in group.sources:
        if source.type == "users":
            row = org.users.get(source.id)
            users[row.status if row else DELETED] += 1
        else:
            counts[source.type] += 1
    return {**counts, "users": users}


def source(org: Org, item: Source) -> dict[str, Any]:
    """One E15 source: ``{"source": {name, id}, "type", "subordinates"|"sub_territories"}``."""
    if item.type == "users":
        row = org.users.get(item.id)
        name = row.full_name if row else ""
    elif item.type == "roles":
        role = org.roles.get(item.id)
        name = role.name if role else ""
    elif item.type == "groups":
        group = org.groups.get(item.id)
        name = group.name if group else ""
    else:
        found = org.territories.get(item.id)
        name = found.name if found else ""
    out: dict[str, Any] = {"source": {"name": name, "id": item.id}, "type": item.type}
    if item.type == "roles":
        out["subordinates"] = item.flag
    elif item.type == "territories":
        out["sub_territories"] = item.flag
    return out


def user_group(
    org: Org, group: UserGroup, *, with_counts: bool = False, with_sources: bool = False
) -> dict[str, Any]:
    """A user group as E13 returns it (``sources_count`` / ``sources`` with ``include``)."""
    out: dict[str, Any] = {"created_time": org.ts(group.created_at)}
    if with_counts:
        out["sources_count"] = sources_count(org, group)
    out.update(
        {
            "modified_time": org.ts(group.modified_at),
            "name": group.name,
            "modified_by": minified_user(org, group.modified_by_id),
            "description": group.description,
            "id": group.id,
            "created_by": minified_user(org, group.created_by_id),
        }
    )
    if with_sources:
        out["sources"] = [source(org, item) for item in group.sources]
    return out


def role(org: Org, row: Role) -> dict[str, Any]:
    """A role as E18 returns it: audit keys end in ``__s`` (zoho-api.md §10)."""
    parent = org.roles.get(row.parent_id or "")
    return {
        "display_label": row.name,
        "forecast_manager": None,
        "share_with_peers": row.share_with_peers,
        "modified_by__s": minified_user(org, row.modified_by_id),
        "name": row.name,
        "description": row.description,
        "reporting_to": None if parent is None else {"name": parent.name, "id": parent.id},
        "admin_user": row.admin_user,
        "id": row.id,
        "created_by__s": minified_user(org, row.created_by_id),
        "created_time__s": org.ts(row.created_at),
        "modified_time__s": org.ts(row.modified_at),
    }


#: The permissions ``GET /settings/profiles/{id}`` lists, per module.
PERMISSION_MODULES = ("Leads", "Contacts", "Accounts", "Deals")
PERMISSION_ACTIONS = ("View", "Create", "Edit", "Delete")


def profile(org: Org, row: Profile, *, permissions: bool = False) -> dict[str, Any]:
    """A profile as E19 returns it (``permissions_details`` only for a single profile)."""
    out: dict[str, Any] = {
        "display_label": row.name,
        "created_time": org.ts(row.created_at),
        "modified_time": org.ts(row.modified_at),
        "custom": row.custom,
        "name": row.name,
        "modified_by": minified_user(org, row.modified_by_id),
        "description": row.description,
        "id": row.id,
        "type": "normal_profile",
        "created_by": minified_user(org, row.created_by_id),
    }
    if permissions:
        admin = row.name == "Administrator"
        out["permissions_details"] = [
            {
                "id": f"{row.id[:-6]}{100_001 + 10 * index:06d}",
                "name": f"Crm_Implied_{action}_{module}",
                "display_label": action,
                "module": module,
                "enabled": admin or action != "Delete",
                "customizable": not admin,
                "parent_permissions": [],
            }
            for index, (module, action) in enumerate(
                (m, a) for m in PERMISSION_MODULES for a in PERMISSION_ACTIONS
            )
        ]
    return out
