# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Group locations and their restart settings. Pure Python."""

from __future__ import annotations

import copy

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError


def default_location(locations, group):
    """The group's default location: by the group's defaultLocationId, which list replies lack, else by its name."""
    by_id = [loc for loc in locations if group.get("defaultLocationId") and loc["id"] == group["defaultLocationId"]]
    by_name = [loc for loc in locations if (loc["name"] or "").lower() == "default"]
    found = by_id or by_name or locations[:1]
    return found[0] if found else None


def select_locations(locations, group, wanted):
    """The locations a task names: ``default``, ``all`` or one location's name (one-line error otherwise)."""
    if wanted.lower() == "all":
        return locations
    if wanted.lower() == "default":
        default = default_location(locations, group)
        return [default] if default else []
    named = [loc for loc in locations if (loc["name"] or "").lower() == wanted.lower()]
    if not named:
        raise SepmInputError("group '%s' has no location '%s' (its locations: %s)" % (
            group.get("fullPathName"), wanted, ", ".join(loc["name"] for loc in locations)))
    return named


def _check_range(value, low, high, name):
    if value is not None and not low <= value <= high:
        raise SepmInputError("notification.%s must be from %d to %d minutes, got %d" % (name, low, high, value))


def check_notification(notification):
    """The notification's minutes within the SEPM's ranges (the reference: countdown 1-60, pause 5-60)."""
    if notification:
        _check_range(notification.get("countdown"), 1, 60, "countdown")
        _check_range(notification.get("user_pause_ttl"), 5, 60, "user_pause_ttl")


def desired_restart(current, params, schedule):
    """The restart section as it should be: the current one with what the task sets laid over it."""
    desired = copy.deepcopy(current)
    desired["enabled"] = params["enabled"]
    desired["force"] = params["force"]
    if params.get("force_when_logged_out") is not None:
        desired["force_when_logged_out"] = params["force_when_logged_out"]
    if schedule is not None:
        desired["schedule"] = dict(desired.get("schedule") or {}, **schedule)
    notification = params.get("notification")
    if notification:
        check_notification(notification)
        wanted = {"enabled": notification["enabled"]}
        if notification.get("text") is not None:
            wanted["endpoint_notification_message"] = notification["text"]
        if notification.get("countdown") is not None:
            wanted["countdown"] = notification["countdown"]
        if notification.get("user_pause_ttl") is not None:
            wanted["user_pause_TTL"] = notification["user_pause_ttl"]
        desired["endpoint_notification"] = dict(desired.get("endpoint_notification") or {}, **wanted)
    return desired
