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
      - Name or id of the policy to assign.
    type: str
    required: true
  policy_type:
    description:
      - Type of the policy, to pick between policies of different types with the same name.
      - Found from the policy when not given.
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

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.groups import normalize_path
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.policies import (
    GROUP_POLICY_TYPES,
    check_assignable,
    find_policy,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.settings import select_locations

GROUP_WIDE = "(all locations)"


def assign(module):
    client = module.client
    params = module.params
    summaries = client.policy_summaries()
    policy = find_policy(summaries, params["policy"], params["policy_type"])
    policy_type = policy["policytype"]
    check_assignable(policy_type)
    group = client.group_by_path(normalize_path(params["group"]))
    names = {s["id"]: s["name"] for s in summaries}

    if policy_type in GROUP_POLICY_TYPES:
        location_ids = {GROUP_WIDE: None}
        current = {GROUP_WIDE: client.group_policy(group["id"], policy_type)}
    else:
        locations = select_locations(client.group_locations(group["id"]), group, params["location"])
        location_ids = {loc["name"]: loc["id"] for loc in locations}
        current = {loc["name"]: client.location_policy(group["id"], loc["id"], policy_type) for loc in locations}

    to_change = sorted(name for name, policy_id in current.items() if policy_id != policy["id"])
    before = {name: names.get(policy_id, policy_id) for name, policy_id in current.items()}
    after = dict(before, **{name: policy["name"] for name in to_change})

    def apply():
        for name in to_change:
            if location_ids[name] is None:
                client.assign_group_policy(group["id"], policy_type, policy["id"])
            else:
                client.assign_location_policy(group["id"], location_ids[name], policy_type, policy["id"])

    result = module.change(before, after, apply)
    result.update(
        policy={"id": policy["id"], "name": policy["name"], "type": policy_type},
        group=group.get("fullPathName"),
        changed_locations=to_change,
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
