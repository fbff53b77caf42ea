#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: patch_permission
short_description: Decide which SEPM groups may take SEP client patches, checking everything before the first assignment
version_added: 0.1.0
description:
  - Assigns a LiveUpdate Settings policy that allows Windows client patches to the allowed groups
    and one that denies them to the denied groups, at the locations O(location) names.
  - Checks everything before it assigns anything; any of these fails the task with one line and
    no change - a group named both allowed and denied, a named group that does not exist, a
    policy that does not exist, an allowing policy with client patches off for Windows or a
    denying one with them on (the API cannot change that switch; the message gives the console steps).
  - Group paths are compared without case and with C(/) or C(\) as separator, so
    C(My Company/Servers/SQL) and C(My Company\Servers\SQL) are the same group.
  - Reads the current assignments and changes only locations that differ, so a second run reports no change.
  - The C(endpoint_ops.sepm.patch_policy) role runs this module between a login and a logout.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes
options:
  allowed_groups:
    description: Full paths of the groups that may take client patches.
    type: list
    elements: str
    default: []
  denied_groups:
    description: Full paths of the groups that may not take client patches.
    type: list
    elements: str
    default: []
  deny_every_other_group:
    description:
      - Deny every group not in O(allowed_groups) as well as O(denied_groups). Groups named
        O(staging_group_name) (the rollout's staging groups) are left alone.
    type: bool
    default: false
  allowing_policy:
    description: Name of the LiveUpdate Settings policy that allows client patches (at most 255 characters).
    type: str
    default: LiveUpdate - Client Patches Allowed
  denying_policy:
    description: Name of the LiveUpdate Settings policy that denies client patches (at most 255 characters).
    type: str
    default: LiveUpdate - Client Patches Denied
  location:
    description: V(all) for every location of a group, V(default), or a location name every group has.
    type: str
    default: all
  staging_group_name:
    description: Name of the rollout's staging groups, which O(deny_every_other_group) leaves alone.
    type: str
    default: Patch Staging
'''

EXAMPLES = r'''
- name: SQL and file servers may take client patches, every other group may not
  endpoint_ops.sepm.patch_permission:
    sepm_token: "{{ sepm_login.token }}"
    allowed_groups: ['My Company\Servers\SQL', 'My Company/Servers/File']
    deny_every_other_group: true
'''

RETURN = r'''
allowed:
  description: Full paths of the allowed groups, as the SEPM spells them.
  returned: success
  type: list
  elements: str
denied:
  description: Full paths of the denied groups, as the SEPM spells them.
  returned: success
  type: list
  elements: str
assigned:
  description: Each group whose assignment changed (or would in check mode), the policy and the locations.
  returned: success
  type: list
  elements: dict
  sample: [{"group": "My Company\\Servers\\SQL", "policy": "LiveUpdate - Client Patches Allowed", "locations": ["Default"]}]
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.assignments import Assignment
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import (
    GROUP_NAME_MAX,
    LOCATION_NAME_MAX,
    POLICY_NAME_MAX,
    check_group_paths,
    check_name,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.permissions import check_conflicts, check_patch_switches, decide
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.policies import find_policy, lu_patch_settings


def lu_policy_named(client, summaries, option, name):
    """The LiveUpdate Settings policy a task names, and whether it allows Windows client patches."""
    try:
        policy = find_policy(summaries, name, "lu")
    except SepmInputError as exc:
        raise SepmInputError("%s: %s; nothing was assigned" % (option, exc)) from None
    windows = lu_patch_settings(client.lu_policy(policy["id"]))["allow_patch_by_lu"]["windows"]
    return policy, bool(windows)


def set_permissions(module):
    client = module.client
    params = module.params
    # Every option checked before the first SEPM call, every SEPM object before the first assignment.
    allowed = check_group_paths("allowed_groups", params["allowed_groups"])
    denied = check_group_paths("denied_groups", params["denied_groups"])
    allowing_name = check_name("allowing_policy", params["allowing_policy"], POLICY_NAME_MAX)
    denying_name = check_name("denying_policy", params["denying_policy"], POLICY_NAME_MAX)
    check_name("location", params["location"], LOCATION_NAME_MAX)
    check_name("staging_group_name", params["staging_group_name"], GROUP_NAME_MAX)
    check_conflicts(allowed, denied)

    summaries = client.policy_summaries("lu")
    allowing, allowing_windows = lu_policy_named(client, summaries, "allowing_policy", allowing_name)
    denying, denying_windows = lu_policy_named(client, summaries, "denying_policy", denying_name)
    check_patch_switches(allowing["name"], allowing_windows, denying["name"], denying_windows)
    to_allow, to_deny = decide(list(client.groups()), allowed, denied, params["deny_every_other_group"],
                               params["staging_group_name"])
    assignments = [Assignment(client, group, allowing, params["location"]) for group in to_allow]
    assignments += [Assignment(client, group, denying, params["location"]) for group in to_deny]

    names = {s["id"]: s["name"] for s in summaries}
    before = {a.group["fullPathName"]: a.before(names) for a in assignments if a.to_change}
    after = {a.group["fullPathName"]: a.after(names) for a in assignments if a.to_change}

    def apply():
        for assignment in assignments:
            assignment.apply(client)

    result = module.change(before, after, apply)
    result.update(
        allowed=[group["fullPathName"] for group in to_allow],
        denied=[group["fullPathName"] for group in to_deny],
        assigned=[{"group": a.group["fullPathName"], "policy": a.policy["name"], "locations": a.to_change}
                  for a in assignments if a.to_change],
    )
    return result


def main():
    module = SepmModule(
        argument_spec_extra=dict(
            allowed_groups=dict(type="list", elements="str", default=[]),
            denied_groups=dict(type="list", elements="str", default=[]),
            deny_every_other_group=dict(type="bool", default=False),
            allowing_policy=dict(type="str", default="LiveUpdate - Client Patches Allowed"),
            denying_policy=dict(type="str", default="LiveUpdate - Client Patches Denied"),
            location=dict(type="str", default="all"),
            staging_group_name=dict(type="str", default="Patch Staging"),
        ),
        supports_check_mode=True,
    )
    module.run(set_permissions)


if __name__ == "__main__":
    main()
