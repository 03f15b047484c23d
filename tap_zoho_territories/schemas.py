"""JSON schemas of the tap's streams: the API's fields, lower-cased, `$` dropped (zoho-api.md §3).

IDs are strings (19-digit IDs overflow JSON numbers in many tools); counts are integers.
"""

from __future__ import annotations

from singer_sdk import typing as th

ID = th.StringType(nullable=False)


def _ref(*extra: th.Property) -> th.ObjectType:
    """A `{name, id}` reference to a user, territory, role, profile or group."""
    return th.ObjectType(
        th.Property("name", th.StringType), th.Property("id", th.StringType), *extra
    )


def _open_object() -> th.ObjectType:
    """An object whose keys Zoho does not document (criteria, theme, preferences)."""
    return th.ObjectType(additional_properties=True)


_CRITERIA = _open_object

TERRITORY = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("name", th.StringType),
    th.Property("api_name", th.StringType, description="v7 and later."),
    th.Property("description", th.StringType),
    th.Property(
        "manager",
        _ref(th.Property("zuid", th.StringType), th.Property("status", th.StringType)),
    ),
    th.Property("reporting_to", _ref(), description="The parent territory; null for the root."),
    th.Property("parent_id", th.StringType, description="reporting_to.id, null for the root."),
    th.Property("permission_type", th.StringType),
    th.Property("created_by", _ref(th.Property("email", th.StringType))),
    th.Property("modified_by", _ref(th.Property("email", th.StringType))),
    th.Property("created_time", th.DateTimeType),
    th.Property("modified_time", th.DateTimeType),
    th.Property("account_rule_criteria", _CRITERIA()),
    th.Property("lead_rule_criteria", _CRITERIA()),
    th.Property("deal_rule_criteria", _CRITERIA()),
).to_dict()

_USER_FIELDS = (
    th.Property("id", ID, required=True),
    th.Property("first_name", th.StringType),
    th.Property("last_name", th.StringType),
    th.Property("full_name", th.StringType),
    th.Property("email", th.StringType),
    th.Property("status", th.StringType),
    th.Property("confirm", th.BooleanType),
    th.Property("zuid", th.StringType),
    th.Property("ezuid", th.StringType),
    th.Property("role", _ref()),
    th.Property("profile", _ref()),
    th.Property("reporting_to", _ref(), description="The user's manager (user)."),
    th.Property("created_by", _ref(th.Property("email", th.StringType))),
    th.Property("created_time", th.DateTimeType),
    th.Property("modified_by", _ref(th.Property("email", th.StringType))),
    th.Property("modified_time", th.DateTimeType),
    th.Property("type__s", th.StringType),
    th.Property("category", th.StringType),
    th.Property("locale", th.StringType),
    th.Property("language", th.StringType),
    th.Property("country_locale", th.StringType),
    th.Property("time_zone", th.StringType),
    th.Property("offset", th.IntegerType, description="Time-zone offset in milliseconds."),
    th.Property("time_format", th.StringType),
    th.Property("date_format", th.StringType),
    th.Property("decimal_separator", th.StringType),
    th.Property("number_separator", th.StringType),
    th.Property("alias", th.StringType),
    th.Property("dob", th.StringType),
    th.Property("phone", th.StringType),
    th.Property("mobile", th.StringType),
    th.Property("fax", th.StringType),
    th.Property("website", th.StringType),
    th.Property("street", th.StringType),
    th.Property("city", th.StringType),
    th.Property("state", th.StringType),
    th.Property("zip", th.StringType),
    th.Property("country", th.StringType),
    th.Property("signature", th.StringType),
    th.Property("isonline", th.BooleanType),
    th.Property("microsoft", th.BooleanType),
    th.Property("sandboxdeveloper", th.BooleanType),
    th.Property("personal_account", th.BooleanType),
    th.Property("imap_status", th.BooleanType),
    th.Property("ntc_enabled", th.BooleanType),
    th.Property("telephony_enabled", th.BooleanType),
    th.Property("rtl_enabled", th.BooleanType),
    th.Property("name_format__s", th.StringType),
    th.Property("sort_order_preference__s", th.StringType),
    th.Property("status_reason__s", th.StringType),
    th.Property("default_tab_group", th.StringType),
    th.Property("customize_info", _open_object()),
    th.Property("theme", _open_object()),
    th.Property("current_shift", _ref()),
    th.Property("next_shift", _ref()),
    th.Property("shift_effective_from", th.StringType),
    th.Property("image_link", th.StringType),
    th.Property("currency", th.StringType),
    th.Property("tag", th.ArrayType(_open_object())),
    th.Property("share_among_subordinates", th.BooleanType),
)

USER = th.PropertiesList(*_USER_FIELDS).to_dict()

TERRITORY_USER = th.PropertiesList(
    th.Property("territory_id", ID, required=True),
    *_USER_FIELDS,
).to_dict()

USER_TERRITORY = th.PropertiesList(
    th.Property("user_id", ID, required=True),
    th.Property("id", ID, required=True),
    th.Property("name", th.StringType),
    th.Property("manager", _ref()),
    th.Property("reporting_to", _ref()),
    th.Property("parent_id", th.StringType, description="reporting_to.id, null for the root."),
).to_dict()

TERRITORY_USER_COUNT = th.PropertiesList(
    th.Property("territory_id", ID, required=True),
    th.Property("territory", _ref(th.Property("subordinates", th.BooleanType))),
    th.Property("count", th.IntegerType, description="Users in the territory (a string in Zoho)."),
).to_dict()

USER_GROUP = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("name", th.StringType),
    th.Property("description", th.StringType),
    th.Property("created_by", _ref()),
    th.Property("modified_by", _ref()),
    th.Property("created_time", th.DateTimeType),
    th.Property("modified_time", th.DateTimeType),
).to_dict()

USER_GROUP_USER_COUNT = th.PropertiesList(
    th.Property("user_group_id", ID, required=True),
    th.Property("user_group", _ref()),
    th.Property("count", th.IntegerType, description="Users in the group, inactive included."),
).to_dict()

_USER_STATUS_COUNTS = th.ObjectType(
    th.Property("active", th.IntegerType),
    th.Property("inactive", th.IntegerType),
    th.Property("deleted", th.IntegerType),
)

USER_GROUP_SOURCES_COUNT = th.PropertiesList(
    th.Property("user_group_id", ID, required=True),
    th.Property("users", _USER_STATUS_COUNTS),
    th.Property("roles", th.IntegerType),
    th.Property("territories", th.IntegerType),
    th.Property("groups", th.IntegerType),
).to_dict()

USER_GROUP_SOURCE = th.PropertiesList(
    th.Property("user_group_id", ID, required=True),
    th.Property("type", th.StringType(nullable=False), required=True),
    th.Property("source_id", ID, required=True),
    th.Property("source", _ref()),
    th.Property("subordinates", th.BooleanType, description="Roles: include subordinate roles."),
    th.Property(
        "sub_territories", th.BooleanType, description="Territories: include child territories."
    ),
).to_dict()

_AUDIT_USER = _ref(th.Property("email", th.StringType))

ROLE = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("name", th.StringType),
    th.Property("display_label", th.StringType),
    th.Property("description", th.StringType),
    th.Property("reporting_to", _ref(), description="The parent role; null for the top role."),
    th.Property("parent_id", th.StringType, description="reporting_to.id, null for the top role."),
    th.Property("forecast_manager", _ref()),
    th.Property("share_with_peers", th.BooleanType),
    th.Property("admin_user", th.BooleanType),
    th.Property("created_by__s", _AUDIT_USER, description="Null on Zoho's built-in roles."),
    th.Property("modified_by__s", _AUDIT_USER),
    th.Property("created_time__s", th.DateTimeType),
    th.Property("modified_time__s", th.DateTimeType),
).to_dict()

PROFILE = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("name", th.StringType),
    th.Property("display_label", th.StringType),
    th.Property("description", th.StringType),
    th.Property("custom", th.BooleanType, description="False for Administrator and Standard."),
    th.Property("default", th.BooleanType),
    th.Property("category", th.BooleanType),
    th.Property("permission_type", th.StringType),
    th.Property("type", th.StringType, description="normal_profile, lite_profile, ..."),
    th.Property("created_by", _ref(), description="Null on Zoho's built-in profiles."),
    th.Property("modified_by", _ref()),
    th.Property("created_time", th.DateTimeType),
    th.Property("modified_time", th.DateTimeType),
).to_dict()

_ORG_TEXT = (
    "company_name",
    "alias",
    "description",
    "primary_email",
    "phone",
    "mobile",
    "fax",
    "website",
    "street",
    "city",
    "state",
    "zip",
    "country",
    "country_code",
    "domain_name",
    "time_zone",
    "iso_code",
    "currency_symbol",
    "currency",
    "currency_locale",
    "employee_count",
    "primary_zuid",
    "zgid",
    "ezgid",
    "zia_portal_id",
    "photo_id",
    "call_icon",
)
_ORG_FLAGS = (
    "mc_status",
    "gapps_enabled",
    "translation_enabled",
    "privacy_settings",
    "deletable_org_account",
    "hipaa_compliance_enabled",
    "lite_users_enabled",
    "oauth_presence",
)

ORGANIZATION = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property(
        "edition",
        th.StringType,
        description="free, standard, professional, enterprise or ultimate, from "
        "license_details (Zoho has no edition key).",
    ),
    *(th.Property(name, th.StringType) for name in _ORG_TEXT),
    *(th.Property(name, th.BooleanType) for name in _ORG_FLAGS),
    th.Property("max_per_page", th.IntegerType),
    th.Property("zia_zgid", th.IntegerType),
    th.Property("created_time", th.DateTimeType),
    th.Property("type", th.StringType, description="production, sandbox, bigin or developer."),
    th.Property(
        "license_details",
        th.ObjectType(
            th.Property("paid", th.BooleanType),
            th.Property("paid_type", th.StringType),
            th.Property("paid_expiry", th.DateTimeType),
            th.Property("trial_type", th.StringType),
            th.Property("trial_expiry", th.StringType),
            th.Property("trial_action", th.StringType),
            th.Property("users_license_purchased", th.IntegerType),
            th.Property("portal_users_license_purchased", th.IntegerType),
        ),
    ),
    th.Property(
        "hierarchy_preferences",
        th.ObjectType(
            th.Property("type", th.StringType),
            th.Property("strictly_reporting", th.BooleanType),
        ),
    ),
    th.Property(
        "checkin_preferences", th.ObjectType(th.Property("restricted_event_types", th.StringType))
    ),
).to_dict()
