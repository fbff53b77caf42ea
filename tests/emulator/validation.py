"""Request-body checks the reference states (lengths, enums, ranges): a bad body answers 400."""

import re

from .state import ApiError

TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Restart, EndpointNotification and Schedule of GroupSettingsConfiguration (Groups.json):
# a type, an (int, low, high) range, or a nested rule table.
NOTIFICATION_RULES = {
    "enabled": bool, "endpoint_notification_message": str, "user_pause_TTL": (int, 5, 60),
    "countdown": (int, 1, 60), "user_pause_till_schedule": dict,
}
SCHEDULE_RULES = {"randomize_start_time": bool, "time_window": (int, 1, 24), "time": "time", **{day: bool for day in DAYS}}
RESTART_RULES = {
    "enabled": bool, "force": bool, "force_when_logged_out": bool, "endpoint_notification": NOTIFICATION_RULES,
    "immediate": dict, "schedule": SCHEDULE_RULES,
}


def _bad(where, why):
    return ApiError(400, f"The parameters are invalid: {where} {why}.")


def _check_value(where, rule, value):
    if isinstance(rule, dict):
        check_rules(where, rule, value)
    elif rule == "time":
        if not isinstance(value, str) or not TIME_OF_DAY.match(value):
            raise _bad(where, "must be a time of day HH:MM")
    elif isinstance(rule, tuple):
        kind, low, high = rule
        if not isinstance(value, kind) or isinstance(value, bool) or not low <= value <= high:
            raise _bad(where, f"must be an integer from {low} to {high}")
    elif rule is bool:
        if not isinstance(value, bool):
            raise _bad(where, "must be true or false")
    elif not isinstance(value, rule):
        raise _bad(where, f"must be of type {rule.__name__}")


def check_rules(where, rules, value):
    if not isinstance(value, dict):
        raise _bad(where, "must be an object")
    for key, item in value.items():
        if key not in rules:
            raise _bad(f"{where}.{key}", "is not a known setting")
        _check_value(f"{where}.{key}", rules[key], item)


def validate_location_settings(body):
    """The `configuration` of a settings PATCH, checked where the reference states rules."""
    if not isinstance(body, dict) or not isinstance(body.get("configuration"), dict):
        raise ApiError(400, "The parameters are invalid: configuration is required.")
    configuration = body["configuration"]
    for section, value in configuration.items():
        if not isinstance(value, dict):
            raise _bad(f"configuration.{section}", "must be an object")
    restart = configuration.get("general_settings", {}).get("restart")
    if restart is not None:
        check_rules("configuration.general_settings.restart", RESTART_RULES, restart)
    return configuration


def merge_settings(target, patch):
    """Deep-merge a PATCH into stored settings."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge_settings(target[key], value)
        else:
            target[key] = value


def validate_group_payload(body):
    """GroupPayload: name 1-256 characters (required), description 1-1024 when sent, inherits boolean."""
    if not isinstance(body, dict):
        raise ApiError(400, "The parameters are invalid: a group object is required.")
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 256 or "\\" in name:
        raise ApiError(400, "The parameters are invalid: name must be 1 to 256 characters without a backslash.")
    description = body.get("description")
    if description is not None and (not isinstance(description, str) or not 1 <= len(description) <= 1024):
        raise ApiError(400, "The parameters are invalid: description must be 1 to 1024 characters.")
    if "inherits" in body and not isinstance(body["inherits"], bool):
        raise ApiError(400, "The parameters are invalid: inherits must be true or false.")
    return body
