#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: policy_info
short_description: Read SEPM policies, where they are assigned, and the client-patch setting of LiveUpdate policies
version_added: 0.1.0
description:
  - Reads policy summaries of the SEP Manager, by type and name, with the group paths and
    location names each policy is assigned to.
  - For LiveUpdate Settings policies (type C(lu)) it also reads whether the policy lets
    clients take client patches through LiveUpdate (C(allow_patch_by_lu)) per platform,
    and whether clients use the management server for content.
  - The API can read LiveUpdate Settings policies but not write them; change the
    C(Download Client Patches) setting in the SEPM console (Policies > LiveUpdate >
    LiveUpdate Settings > Advanced Settings).
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes.info_module
options:
  type:
    description:
      - Only policies of this type, for example C(lu), C(av), C(fw), C(upgrade).
      - One of the types a SEPM 14.3 knows (C(adc), C(av), C(exceptions), C(fw), C(hi), C(hid), C(ips), C(lu),
        C(lucontent), C(mem), C(msl), C(ntr), C(tdad), C(upgrade)); another value fails the task.
    type: str
  name:
    description:
      - Only the policy with this name (compared without case), at most 255 characters.
    type: str
'''

EXAMPLES = r'''
- name: Does the allowing LiveUpdate policy really allow client patches?
  endpoint_ops.sepm.policy_info:
    type: lu
    name: LiveUpdate - Client Patches Allowed
  register: allow_policy

- name: Stop if not
  ansible.builtin.assert:
    that: allow_policy.policies[0].allow_patch_by_lu.windows
'''

RETURN = r'''
policies:
  description: The matching policies, sorted by type and name.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Policy id.
      type: str
    name:
      description: Policy name.
      type: str
    type:
      description: Policy type.
      type: str
    description:
      description: Description.
      type: str
    enabled:
      description: Whether the policy is enabled.
      type: bool
    assigned_to:
      description: Where the policy is assigned, by group path and location name.
      type: list
      elements: dict
      sample: [{"group": "My Company", "group_id": "E5E6...", "location": "Default", "location_id": "7D1E..."}]
    allow_patch_by_lu:
      description: For C(lu) policies, whether clients may take client patches through LiveUpdate, per platform.
      returned: for lu policies
      type: dict
      sample: {"windows": true, "mac": false, "linux": false}
    use_management_server:
      description: For C(lu) policies, whether clients take content from the management server, per platform.
      returned: for lu policies
      type: dict
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import POLICY_NAME_MAX, check_name
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.policies import check_policy_type, lu_patch_settings, policy_facts


class GroupNames:
    """Group paths and location names by id, read once and only when a policy is assigned somewhere."""

    def __init__(self, client):
        self._client = client
        self._paths = None
        self._locations = {}

    def path(self, group_id):
        if self._paths is None:
            self._paths = {g["id"]: g.get("fullPathName") for g in self._client.groups()}
        return self._paths.get(group_id)

    def location(self, group_id, location_id):
        if group_id not in self._locations:
            self._locations[group_id] = {loc["id"]: loc["name"] for loc in self._client.group_locations(group_id)}
        return self._locations[group_id].get(location_id)


def assigned_to(summary, names):
    places = []
    for assigned in summary.get("assignedtolocations") or []:
        group_id = assigned.get("groupId")
        location_ids = assigned.get("locationIds") or [None]
        for location_id in location_ids:
            places.append({
                "group": names.path(group_id),
                "group_id": group_id,
                "location": names.location(group_id, location_id) if location_id else None,
                "location_id": location_id,
            })
    return places


def read_policies(module):
    client = module.client
    params = module.params
    check_policy_type(params["type"])
    if params["name"] is not None:
        check_name("name", params["name"], POLICY_NAME_MAX)
    summaries = client.policy_summaries(params["type"])
    if params["name"]:
        summaries = [s for s in summaries if (s.get("name") or "").lower() == params["name"].lower()]
    names = GroupNames(client)
    policies = []
    for summary in summaries:
        facts = policy_facts(summary)
        facts["assigned_to"] = assigned_to(summary, names)
        if facts["type"] == "lu":
            facts.update(lu_patch_settings(client.lu_policy(facts["id"])))
        policies.append(facts)
    policies.sort(key=lambda p: (p["type"] or "", (p["name"] or "").lower()))
    return {"changed": False, "policies": policies}


def main():
    module = SepmModule(
        argument_spec_extra=dict(
            type=dict(type="str"),
            name=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    module.run(read_policies)


if __name__ == "__main__":
    main()
