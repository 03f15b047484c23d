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
