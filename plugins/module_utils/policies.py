# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""SEPM policies: which types the API can assign where, summaries, LiveUpdate patch settings. Pure Python."""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
# Types the API assigns per group location (PUT groups/{g}/locations/{l}/policies/{type}).
LOCATION_POLICY_TYPES = ("av", "fw", "ips", "adc", "hi", "hid", "mem", "lu", "exceptions", "tdad")
# Types the API assigns per group, whatever the location (PUT groups/{g}/policies/{type}).
GROUP_POLICY_TYPES = ("lucontent",)
ASSIGNABLE_POLICY_TYPES = LOCATION_POLICY_TYPES + GROUP_POLICY_TYPES
PLATFORMS = ("windows", "mac", "linux")
# Every type a real SEPM 14.3 lists in policies/summary (sepm-api-notes.md), and the assignable ones.
POLICY_TYPES = tuple(sorted(set(ASSIGNABLE_POLICY_TYPES) | {
    "adc", "av", "exceptions", "fw", "hi", "hid", "ips", "lu", "lucontent", "mem", "msl", "ntr", "upgrade"}))


def check_policy_type(policy_type, option="type"):
    """A policy type the SEPM knows; anything else would be a SEPM 400 that does not say which option was wrong."""
    if policy_type is not None and policy_type not in POLICY_TYPES:
        raise SepmInputError("%s %r is not a SEPM policy type (one of: %s)" % (option, policy_type, ", ".join(POLICY_TYPES)))
    return policy_type


def check_assignable(policy_type):
    if policy_type not in ASSIGNABLE_POLICY_TYPES:
        raise SepmInputError("policy_type %r cannot be assigned to a group through the SEPM API (assignable: %s)" % (
            policy_type, ", ".join(ASSIGNABLE_POLICY_TYPES)))


def find_policy(summaries, policy, policy_type=None):
    """The summary of the policy named or identified by ``policy``; one line of error otherwise."""
    candidates = [s for s in summaries if policy_type is None or s.get("policytype") == policy_type]
    by_id = [s for s in candidates if (s.get("id") or "").upper() == policy.upper()]
    if by_id:
        return by_id[0]
    by_name = [s for s in candidates if s.get("name") == policy]
    if not by_name:
        by_name = [s for s in candidates if (s.get("name") or "").lower() == policy.lower()]
    if len(by_name) > 1:
        types = sorted({s.get("policytype") for s in by_name})
        raise SepmInputError("policy name %r is used by policies of types %s: set policy_type" % (policy, ", ".join(types)))
    if not by_name:
        kind = "%s policy" % policy_type if policy_type else "policy"
        raise SepmInputError("no %s named or with id %r exists in the SEPM" % (kind, policy))
    return by_name[0]


def assignments_by_group(summaries):
    """``{group_id: {location_id: {policy_type: summary}}}`` from the policy summaries' assignedtolocations.

    ``None`` as location id holds the location-independent (``lucontent``) assignments.
    """
    found = {}
    for summary in summaries:
        policy_type = summary.get("policytype")
        for assigned in summary.get("assignedtolocations") or []:
            group_id = assigned.get("groupId")
            if policy_type in GROUP_POLICY_TYPES:
                location_ids = [None]
            else:
                default = assigned.get("defaultLocationId")
                location_ids = assigned.get("locationIds") or ([default] if default else [])
            for location_id in location_ids:
                found.setdefault(group_id, {}).setdefault(location_id, {})[policy_type] = summary
    return found


def lu_patch_settings(lu_policy):
    """The client-patch switch per platform, and whether clients take content from the SEPM."""
    configuration = (lu_policy or {}).get("configuration") or {}
    allow = {}
    management_server = {}
    for platform in PLATFORMS:
        settings = configuration.get(platform) or {}
        allow[platform] = (settings.get("advanced") or {}).get("allow_patch_by_lu")
        management_server[platform] = (settings.get("server") or {}).get("use_default_mgmt_server")
    return {"allow_patch_by_lu": allow, "use_management_server": management_server}


def policy_facts(summary):
    return {
        "id": summary.get("id"),
        "name": summary.get("name"),
        "type": summary.get("policytype"),
        "description": summary.get("desc") or "",
        "enabled": bool(summary.get("enabled")),
        "last_modified": summary.get("lastmodifiedtime"),
    }
