#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: policy_assignment
short_description: Assign a SEPM policy to a group at its default location, a named location, or all locations
version_added: 0.1.0
description:
  - Assigns an existing policy, by name or id, to a group found by its full path.
  - Location policies (C(av), C(fw), C(ips), C(adc), C(hi), C(hid), C(mem), C(lu), C(exceptions), C(tdad))
    are assigned per location; C(lucontent) is assigned to the group whatever the location.
  - Reads the current assignment first and changes only the locations that differ.
  - To let a group take client patches, assign it a LiveUpdate Settings (C(lu)) policy whose
    C(Download Client Patches) setting is on; see M(endpoint_ops.sepm.policy_info).
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes
options:
  policy:
    description:
      - Name or id of the policy to assign (a name is at most 255 characters, the SEPM's limit).
    type: str
    required: true
  policy_type:
    description:
      - Type of the policy, to pick between policies of different types with the same name.
      - Found from the policy when not given. A type that cannot be assigned to a group fails the task.
    type: str
  group:
    description:
      - Full path of the group, for example C(My Company\Servers\SQL).
    type: str
    required: true
  location:
    description:
      - V(default) for the group's default location, V(all) for every location of the group,
        or the name of one location. Ignored for location-independent types (C(lucontent)).
    type: str
    default: default
'''

EXAMPLES = r'''
- name: SQL servers may take client patches, at every location
  endpoint_ops.sepm.policy_assignment:
    policy: LiveUpdate - Client Patches Allowed
    policy_type: lu
    group: My Company\Servers\SQL
    location: all

- name: Workstations at the Remote location may not
  endpoint_ops.sepm.policy_assignment:
    policy: LiveUpdate - Client Patches Denied
    group: My Company\Workstations
    location: Remote
'''

RETURN = r'''
policy:
  description: The policy assigned.
  returned: success
  type: dict
  sample: {"id": "A1B2C3D4E5F60718293A4B5C6D7E8F90", "name": "LiveUpdate - Client Patches Allowed", "type": "lu"}
group:
  description: Full path of the group.
  returned: success
  type: str
changed_locations:
  description: Names of the locations whose assignment changed (or would change in check mode).
  returned: success
  type: list
  elements: str
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.assignments import Assignment
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import (
    LOCATION_NAME_MAX,
    POLICY_NAME_MAX,
    check_group_path,
    check_name,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.targets import group_named
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.policies import check_assignable, find_policy


def assign(module):
    client = module.client
    params = module.params
    # Every option checked before the first SEPM call.
    policy_name = check_name("policy", params["policy"], POLICY_NAME_MAX)
    if params["policy_type"] is not None:
        check_assignable(params["policy_type"])
    path = check_group_path("group", params["group"])
    check_name("location", params["location"], LOCATION_NAME_MAX)

    summaries = client.policy_summaries()
    policy = find_policy(summaries, policy_name, params["policy_type"])
    check_assignable(policy["policytype"])
    group = group_named(client, "group", path)
    names = {s["id"]: s["name"] for s in summaries}
    assignment = Assignment(client, group, policy, params["location"])
    result = module.change(assignment.before(names), assignment.after(names), lambda: assignment.apply(client))
    result.update(
        policy={"id": policy["id"], "name": policy["name"], "type": policy["policytype"]},
        group=group.get("fullPathName"),
        changed_locations=assignment.to_change,
    )
    return result


def main():
    module = SepmModule(
        argument_spec_extra=dict(
            policy=dict(type="str", required=True),
            policy_type=dict(type="str"),
            group=dict(type="str", required=True),
            location=dict(type="str", default="default"),
        ),
        supports_check_mode=True,
    )
    module.run(assign)


if __name__ == "__main__":
    main()
