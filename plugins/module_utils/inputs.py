# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks of option values that need no SEPM: ranges, SEP versions, ids, name lengths. Pure Python.

Every check raises SepmInputError with one line that names the option, so a module can
run them all before its first SEPM call and fail before anything is written.
"""

from __future__ import annotations

import re

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.groups import normalize_path, split_path

# Limits from the vendor reference (Groups.json GroupPayload, policies.json PolicySummary).
GROUP_NAME_MAX = 256
GROUP_DESCRIPTION_MAX = 1024
POLICY_NAME_MAX = 255
# The reference states no limit for computer names or location names; Windows host names
# are at most 255 characters (DNS), so a longer one cannot name a SEPM computer.
COMPUTER_NAME_MAX = 255
LOCATION_NAME_MAX = 255
# Ids are 32-character hex GUIDs without dashes (sepm-api-notes.md: upper case on real servers).
_GUID = re.compile(r"^[0-9A-Fa-f]{32}$")
# A SEP version: major.minor with up to two more numeric parts, e.g. 14.3, 14.3.10148.9100.
_SEP_VERSION = re.compile(r"^\d{1,4}(\.\d{1,9}){1,3}$")


def check_range(option, value, low, high, unit=""):
    """``value`` (an int already, from the argument spec) within ``low..high``; None passes."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SepmInputError("%s must be a whole number from %d to %d%s, got %r" % (
            option, low, high, " " + unit if unit else "", value))
    return value


def check_version(option, value):
    """A SEP version such as 14.3.10148.9100, stripped; None passes."""
    if value is None:
        return None
    text = str(value).strip()
    if not _SEP_VERSION.match(text):
        raise SepmInputError("%s must be a SEP version such as 14.3.10148.9100, got %r" % (option, value))
    return text


def check_guid(option, value):
    """A SEPM id (32 hex characters), returned upper-case; anything else could reach another URL."""
    text = str(value if value is not None else "").strip()
    if not _GUID.match(text):
        raise SepmInputError("%s must be a SEPM id of 32 hexadecimal characters, such as "
                             "1CA9D4F37DD94CA88A9D93D09402E3D3, got %r" % (option, value))
    return text.upper()


def check_guids(option, values):
    return [check_guid(option, value) for value in values or ()]


def check_command_ids(option, values):
    """At least one SEPM command id, each checked, without repeats (a command sent in several requests has several)."""
    ids = unique(check_guids(option, values))
    if not ids:
        raise SepmInputError("%s must name at least one SEPM command id of 32 hexadecimal characters" % option)
    return ids


def check_name(option, value, limit):
    """A name that is not empty and not longer than the SEPM takes."""
    text = "" if value is None else str(value)
    if not text.strip():
        raise SepmInputError("%s must not be empty" % option)
    if len(text) > limit:
        raise SepmInputError("%s is %d characters long; the SEPM takes at most %d" % (option, len(text), limit))
    return text


def check_names(option, values, limit):
    return [check_name(option, value, limit) for value in values or ()]


def check_group_path(option, path):
    """A normalized group path whose every name fits the SEPM's limit; one line naming the option otherwise."""
    if path is None or not str(path).strip():
        raise SepmInputError("%s must be a group path such as 'My Company\\Servers', got %r" % (option, path))
    try:
        normalized = normalize_path(path)
    except SepmInputError as exc:
        raise SepmInputError("%s: %s" % (option, exc)) from None
    for name in split_path(normalized):
        if len(name) > GROUP_NAME_MAX:
            raise SepmInputError("%s: group name '%s...' is %d characters long; the SEPM takes at most %d" % (
                option, name[:40], len(name), GROUP_NAME_MAX))
    return normalized


def check_group_paths(option, paths):
    return [check_group_path(option, path) for path in paths or ()]


def unique(values, key=lambda value: value):
    """``values`` without repeats (by ``key``), first one kept, order kept."""
    seen = set()
    kept = []
    for value in values:
        marker = key(value)
        if marker not in seen:
            seen.add(marker)
            kept.append(value)
    return kept
