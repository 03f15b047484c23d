"""The organisation of the seed samples (``--org sample``).

IDs, names and values are the seeds' own:

* S000 (territory associated-user counts): the seven territories Zoho, Chennai, Chennai-South,
  Chennai North, Parent, Child, Chennai Leads with counts 1, 2, 1, 1, 1, 1, 1.
* S003 (users of territory Chennai 431581000000744113): Patricia Boyle and J Smith with every
  key and value of the sample (the emulator adds ``Reporting_To``, an E8 key the sample lacks).
* S001 (user-group associated-user counts): group Tier1 3652397000012454002 reaching 4 users.
* S004 (sources count of group 3652397000009952001): 2 territories, 2 roles, 0 groups and
  2 active users as sources.

The seeds come from two Zoho orgs (ids 431581... and 3652397...); the group ids of S001/S004
are kept as they are.  S002's sample ids (user 3652397000001460001, territory
3652397000007622003) are NOT in this org: adding that territory would break S000's seven
territories, so S002 is reproduced with this org's ids.  Patricia Boyle is the current user
(the token's owner).  Users added to reach S001's count of 4: Ravi Kumar (active), Anita Rao
(inactive); also Deepak Menon (deleted) and Karthik Subramanian (active, in no territory).
"""

from __future__ import annotations

import copy
from typing import Any

from zoho_crm_emulator.org import (
    ACTIVE,
    ADMINISTRATOR_PROFILE,
    CEO_ROLE,
    DELETED,
    INACTIVE,
    MANAGER_ROLE,
    STANDARD_PROFILE,
    Org,
    Profile,
    Role,
    Source,
    Territory,
    User,
    UserGroup,
    api_name_of,
)
from zoho_crm_emulator.timeutil import parse_ts

IST = 330  # +05:30, the offset of every timestamp in the seeds

PATRICIA = "431581000000258001"
J_SMITH = "431581000000278001"
RAVI = "431581000000291001"
ANITA = "431581000000302001"
DEEPAK = "431581000000315001"
KARTHIK = "431581000000320001"

ZOHO = "431581000000272796"
CHENNAI = "431581000000744113"
CHENNAI_SOUTH = "431581000000744125"
CHENNAI_NORTH = "431581000000744137"
PARENT = "431581000000744159"
CHILD = "431581000000744169"
CHENNAI_LEADS = "431581000000744183"

ROLE_CEO = "431581000000031151"
ROLE_MANAGER = "431581000000031154"
ROLE_SALES = "431581000000031169"
ROLE_SUPPORT = "431581000000031172"
PROFILE_ADMIN = "431581000000031157"
PROFILE_STANDARD = "431581000000031160"

TIER1 = "3652397000012454002"
CHENNAI_SALES = "3652397000009952001"
ESCALATIONS = "3652397000013001003"

# The two user objects of S003, verbatim.
PATRICIA_SEED: dict[str, Any] = {
    "country": "IN",
    "name_format__s": "Salutation,First Name,Last Name",
    "language": "en_US",
    "microsoft": False,
    "$shift_effective_from": None,
    "id": PATRICIA,
    "state": "Karnataka",
    "fax": None,
    "country_locale": "en_US",
    "sandboxDeveloper": False,
    "zip": None,
    "decimal_separator": "Period",
    "created_time": "2023-02-01T10:09:10+05:30",
    "time_format": "hh:mm a",
    "offset": 19800000,
    "profile": {"name": "Administrator", "id": PROFILE_ADMIN},
    "created_by": {"name": "Patricia Boyle", "id": PATRICIA},
    "zuid": "60019394663",
    "full_name": "Patricia Boyle",
    "phone": None,
    "dob": None,
    "sort_order_preference__s": "First Name,Last Name",
    "status": "active",
    "role": {"name": "CEO", "id": ROLE_CEO},
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
    "Isonline": True,
    "default_tab_group": "0",
    "Modified_By": {"name": "Patricia Boyle", "id": PATRICIA},
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
    "first_name": "Patricia Boyle",
    "email": "patricia@zohotest.com",
    "status_reason__s": None,
    "Modified_Time": "2023-05-24T17:37:14+05:30",
    "website": None,
    "$next_shift": None,
    "mobile": None,
    "last_name": None,
    "time_zone": "Asia/Kolkata",
    "number_separator": "Comma",
    "confirm": True,
    "date_format": "dd/MM/yyyy",
    "category": "regular_user",
}

J_SMITH_SEED: dict[str, Any] = {
    "country": None,
    "role": {"name": "Manager", "id": ROLE_MANAGER},
    "city": None,
    "language": "en_US",
    "locale": "en_US",
    "microsoft": False,
    "Isonline": False,
    "Modified_By": {"name": "Patricia Boyle", "id": PATRICIA},
    "$shift_effective_from": None,
    "street": None,
    "$current_shift": None,
    "alias": None,
    "id": J_SMITH,
    "state": None,
    "fax": None,
    "country_locale": "en_US",
    "sandboxDeveloper": False,
    "first_name": "J Smith",
    "email": "jsmith@zohotest.com",
    "zip": None,
    "status_reason__s": None,
    "decimal_separator": "Period",
    "created_time": "2023-02-03T10:05:00+05:30",
    "Modified_Time": "2023-05-24T17:37:26+05:30",
    "website": None,
    "time_format": "hh:mm a",
    "$next_shift": None,
    "offset": 19800000,
    "profile": {"name": "Standard", "id": PROFILE_STANDARD},
    "mobile": None,
    "last_name": None,
    "time_zone": "Asia/Kolkata",
    "number_separator": "Comma",
    "created_by": {"name": "Patricia Boyle", "id": PATRICIA},
    "zuid": "60019445391",
    "confirm": True,
    "full_name": "J Smith",
    "phone": None,
    "dob": None,
    "sort_order_preference__s": "null",
    "date_format": "MMM d, yyyy",
    "category": "regular_user",
    "status": "active",
}


def _t(text: str) -> int:
    value = parse_ts(text)
    assert value is not None, text
    return int(value)


def _user(  # noqa: PLR0917 - a row of the table below
    uid: str,
    first: str,
    last: str | None,
    email: str,
    status: str,
    role: str,
    profile: str,
    reporting_to: str | None,
    created: str,
    modified: str,
    zuid: str,
    fixed: dict[str, Any] | None = None,
) -> User:
    return User(
        id=uid,
        first_name=first,
        last_name=last,
        email=email,
        status=status,
        confirm=True,
        role_id=role,
        profile_id=profile,
        reporting_to_id=reporting_to,
        created_by_id=PATRICIA,
        modified_by_id=PATRICIA,
        created_at=_t(created),
        modified_at=_t(modified),
        zuid=zuid,
        fixed=copy.deepcopy(fixed) if fixed else None,
    )


def _territory(  # noqa: PLR0917 - a row of the table below
    tid: str,
    name: str,
    parent: str | None,
    manager: str,
    description: str | None,
    created: str,
    modified: str,
    permission_type: str = "read_write_delete",
    depth: int = 0,
) -> Territory:
    return Territory(
        id=tid,
        name=name,
        api_name=api_name_of(name),
        description=description,
        parent_id=parent,
        manager_id=manager,
        permission_type=permission_type,
        created_by_id=PATRICIA,
        modified_by_id=PATRICIA,
        created_at=_t(created),
        modified_at=_t(modified),
        depth=depth,
    )


def sample_org() -> Org:
    """Build the sample organisation."""
    org = Org("Zylker Chennai", "60019394660", IST, "Asia/Kolkata")
    created = _t("2023-02-01T10:15:00+05:30")
    for role in (
        Role(ROLE_CEO, "CEO", None, CEO_ROLE, share_with_peers=True, admin_user=True),
        Role(ROLE_MANAGER, "Manager", ROLE_CEO, MANAGER_ROLE),
        Role(ROLE_SALES, "Sales Representative", ROLE_MANAGER, None, False, False, PATRICIA,
             created, PATRICIA, created),
        Role(ROLE_SUPPORT, "Support Agent", ROLE_MANAGER, None, False, False, PATRICIA,
             created, PATRICIA, created),
    ):  # fmt: skip
        org.roles[role.id] = role
    for profile in (
        Profile(PROFILE_ADMIN, "Administrator", ADMINISTRATOR_PROFILE),
        Profile(PROFILE_STANDARD, "Standard", STANDARD_PROFILE),
    ):
        org.profiles[profile.id] = profile

    for user in (
        _user(
            PATRICIA,
            "Patricia Boyle",
            None,
            "patricia@zohotest.com",
            ACTIVE,
            ROLE_CEO,
            PROFILE_ADMIN,
            None,
            "2023-02-01T10:09:10+05:30",
            "2023-05-24T17:37:14+05:30",
            "60019394663",
            PATRICIA_SEED,
        ),
        _user(
            J_SMITH,
            "J Smith",
            None,
            "jsmith@zohotest.com",
            ACTIVE,
            ROLE_MANAGER,
            PROFILE_STANDARD,
            PATRICIA,
            "2023-02-03T10:05:00+05:30",
            "2023-05-24T17:37:26+05:30",
            "60019445391",
            J_SMITH_SEED,
        ),
        _user(
            RAVI,
            "Ravi",
            "Kumar",
            "ravi.kumar@zohotest.com",
            ACTIVE,
            ROLE_SALES,
            PROFILE_STANDARD,
            J_SMITH,
            "2023-03-10T09:15:00+05:30",
            "2024-01-15T11:20:45+05:30",
            "60019501120",
        ),
        _user(
            ANITA,
            "Anita",
            "Rao",
            "anita.rao@zohotest.com",
            INACTIVE,
            ROLE_SALES,
            PROFILE_STANDARD,
            J_SMITH,
            "2023-04-02T14:30:00+05:30",
            "2024-06-30T18:05:12+05:30",
            "60019522873",
        ),
        _user(
            DEEPAK,
            "Deepak",
            "Menon",
            "deepak.menon@zohotest.com",
            DELETED,
            ROLE_MANAGER,
            PROFILE_STANDARD,
            PATRICIA,
            "2023-04-20T10:00:00+05:30",
            "2024-09-12T08:45:30+05:30",
            "60019533014",
        ),
        _user(
            KARTHIK,
            "Karthik",
            "Subramanian",
            "karthik.s@zohotest.com",
            ACTIVE,
            ROLE_SUPPORT,
            PROFILE_STANDARD,
            J_SMITH,
            "2024-02-05T12:00:00+05:30",
            "2025-01-20T16:40:00+05:30",
            "60019548862",
        ),
    ):
        org.add_user(user)

    for territory in (
        _territory(
            ZOHO,
            "Zoho",
            None,
            PATRICIA,
            "Organization Parent Territory",
            "2023-02-01T10:09:10+05:30",
            "2023-02-01T10:09:10+05:30",
        ),
        _territory(
            CHENNAI,
            "Chennai",
            ZOHO,
            J_SMITH,
            "Chennai region",
            "2023-05-24T17:30:05+05:30",
            "2023-05-24T17:36:40+05:30",
            depth=1,
        ),
        _territory(
            CHENNAI_SOUTH,
            "Chennai-South",
            CHENNAI,
            RAVI,
            None,
            "2023-05-24T17:31:12+05:30",
            "2024-01-15T11:21:02+05:30",
            depth=2,
        ),
        _territory(
            CHENNAI_NORTH,
            "Chennai North",
            CHENNAI,
            J_SMITH,
            "",
            "2023-05-24T17:32:40+05:30",
            "2023-05-24T17:32:40+05:30",
            depth=2,
        ),
        _territory(
            PARENT,
            "Parent",
            ZOHO,
            PATRICIA,
            "Parent territory",
            "2023-05-24T17:33:51+05:30",
            "2023-05-24T17:33:51+05:30",
            "read_only",
            depth=1,
        ),
        _territory(
            CHILD,
            "Child",
            PARENT,
            J_SMITH,
            "Child of Parent",
            "2023-05-24T17:34:27+05:30",
            "2024-03-02T09:12:33+05:30",
            "read_only",
            depth=2,
        ),
        _territory(
            CHENNAI_LEADS,
            "Chennai Leads",
            CHENNAI,
            RAVI,
            "Leads from Chennai",
            "2023-05-24T17:35:58+05:30",
            "2024-07-09T20:50:29+05:30",
            depth=2,
        ),
    ):
        org.add_territory(territory)

    for uid, tid in (
        (PATRICIA, ZOHO),
        (PATRICIA, CHENNAI),
        (J_SMITH, CHENNAI),
        (RAVI, CHENNAI_SOUTH),
        (J_SMITH, CHENNAI_NORTH),
        (PATRICIA, PARENT),
        (J_SMITH, CHILD),
        (RAVI, CHENNAI_LEADS),
    ):
        org.assign(uid, tid)

    org.groups[TIER1] = UserGroup(
        TIER1,
        "Tier1",
        "First-line support",
        PATRICIA,
        PATRICIA,
        _t("2023-06-12T10:00:00+05:30"),
        _t("2024-02-01T09:30:00+05:30"),
        [
            Source("users", J_SMITH),
            Source("users", ANITA),
            Source("roles", ROLE_CEO, False),
            Source("territories", CHENNAI_SOUTH, False),
        ],
    )
    org.groups[CHENNAI_SALES] = UserGroup(
        CHENNAI_SALES,
        "Chennai Sales",
        "groups API",
        PATRICIA,
        None,
        _t("2023-06-01T11:45:00+05:30"),
        None,
        [
            Source("territories", CHENNAI_NORTH, False),
            Source("territories", PARENT, True),
            Source("roles", ROLE_MANAGER, False),
            Source("roles", ROLE_SALES, True),
            Source("users", J_SMITH),
            Source("users", RAVI),
        ],
    )
    org.groups[ESCALATIONS] = UserGroup(
        ESCALATIONS,
        "Escalations",
        None,
        PATRICIA,
        PATRICIA,
        _t("2024-04-18T15:10:00+05:30"),
        _t("2024-04-18T15:10:00+05:30"),
        [Source("groups", TIER1), Source("users", PATRICIA), Source("users", DEEPAK)],
    )
    org.current_user_id = PATRICIA
    return org.finish()
