# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""SEPM computer records in the collection's own stable, snake_case shape, and their filters.

Pure Python: the modules and the inventory plugin read computers through here, so a
user sees the same names everywhere.
"""

from __future__ import annotations

import fnmatch

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import is_below, version_key


def _flag(value):
    """SEPM sends 0/1 integers, sometimes as strings."""
    try:
        return int(value) == 1
    except (TypeError, ValueError):
        return bool(value)


def _code(value):
    """An integer status code (a protection switch), or None when the SEPM sent none."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def group_path_of(record):
    # In a computer record the full path is in group.name and group.fullPathName is null.
    group = record.get("group") or {}
    return group.get("fullPathName") or group.get("name")


# The record fields a rollout decides on (through normalize_computer): the preflight checks that
# a sample of the SEPM's records carries each one. A dot goes into a nested object.
ROLLOUT_RECORD_FIELDS = (
    "uniqueId", "hardwareKey", "computerName", "group.id", "group.name", "agentVersion", "onlineStatus",
    "rebootRequired", "osName", "operatingSystem", "profileSerialNo", "deploymentTargetVersion", "lastUpdateTime",
)


def normalize_computer(record):
    """The fields a patch rollout needs, under names that do not change with the SEPM release."""
    group = record.get("group") or {}
    return {
        "id": record.get("uniqueId"),
        "hardware_key": record.get("hardwareKey"),
        "name": record.get("computerName"),
        "group": group_path_of(record),
        "group_id": group.get("id"),
        "agent_version": record.get("agentVersion"),
        "running_version": record.get("deploymentRunningVersion"),
        "target_version": record.get("deploymentTargetVersion"),
        "deployment_status": record.get("deploymentStatus"),
        "deployment_message": record.get("deploymentMessage"),
        "online": _flag(record.get("onlineStatus")),
        "reboot_required": _flag(record.get("rebootRequired")),
        "reboot_reason": record.get("rebootReason") or "",
        "os_name": record.get("osName"),
        "operating_system": record.get("operatingSystem"),
        "os_function": record.get("osFunction"),
        "ip_addresses": list(record.get("ipAddresses") or []),
        "mac_addresses": list(record.get("macAddresses") or []),
        "domain_or_workgroup": record.get("domainOrWorkgroup"),
        "last_update_time": record.get("lastUpdateTime"),
        "profile_serial": record.get("profileSerialNo"),
        "profile_version": record.get("profileVersion"),
        # Protection switches as the SEPM codes them (1 on, 0 disabled, 3 disabled by policy, ...: health.py).
        "ap_on_off": _code(record.get("apOnOff")),
        "av_engine_on_off": _code(record.get("avEngineOnOff")),
        "firewall_on_off": _code(record.get("firewallOnOff")),
        "tamper_on_off": _code(record.get("tamperOnOff")),
        "infected": _flag(record.get("infected")),
        "worst_infection_idx": record.get("worstInfectionIdx"),
        "av_defset_version": record.get("avDefsetVersion"),
        "last_deployment_time": record.get("lastDeploymentTime"),
    }


class ComputerFilter:
    """What a user asked for, applied to normalized computers (the SEPM filters only some of it)."""

    def __init__(self, group=None, include_subgroups=False, name=None, ids=None, online=None,
                 reboot_required=None, version_below=None):
        self.group = group.lower() if group else None
        self.include_subgroups = include_subgroups
        self.name = name.lower() if name else None
        self.ids = set(ids) if ids else None
        self.online = online
        self.reboot_required = reboot_required
        self.version_below = version_below

    def __call__(self, computer):
        if self.group is not None:
            path = (computer["group"] or "").lower()
            if path != self.group and not (self.include_subgroups and path.startswith(self.group + "\\")):
                return False
        if self.name is not None and not fnmatch.fnmatchcase((computer["name"] or "").lower(), self.name):
            return False
        if self.ids is not None and computer["id"] not in self.ids:
            return False
        if self.online is not None and computer["online"] != self.online:
            return False
        if self.reboot_required is not None and computer["reboot_required"] != self.reboot_required:
            return False
        return not (self.version_below and not is_below(computer["agent_version"], self.version_below))


def summarize(computers):
    """Counts by version and by state, for a status report or an AWX summary."""
    by_version = {}
    online = reboot_required = 0
    for computer in computers:
        version = computer["agent_version"] or "unknown"
        by_version[version] = by_version.get(version, 0) + 1
        online += computer["online"]
        reboot_required += computer["reboot_required"]
    ordered = dict(sorted(by_version.items(), key=lambda item: version_key(item[0]), reverse=True))
    return {
        "total": len(computers),
        "online": online,
        "offline": len(computers) - online,
        "reboot_required": reboot_required,
        "by_version": ordered,
    }
