#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: group_info
short_description: Read SEPM groups, as a list or a tree, with their policy assignments per location
version_added: 0.1.0
description:
  - Reads the group tree of the SEP Manager and, for each group, its locations and the
    policies assigned at each location (by id and name), from one policy summary call.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes.info_module
options:
  path:
    description:
      - Full path of one group, for example C(My Company\Servers). All groups when not given.
    type: str
  include_subgroups:
    description:
      - With O(path), also return every group below it.
    type: bool
    default: false
  include_policies:
    description:
      - Read each group's locations and policy assignments (one more request per group).
    type: bool
    default: true
  mode:
    description:
      - V(list) returns RV(groups) only; V(tree) also returns RV(tree), the groups nested by path.
    type: str
    choices: [list, tree]
    default: list
'''

EXAMPLES = r'''
- name: Which LiveUpdate policy does each server group use?
  endpoint_ops.sepm.group_info:
    path: My Company\Servers
    include_subgroups: true
  register: server_groups

- name: Show it
  ansible.builtin.debug:
    msg: "{{ item.path }}: {{ item.locations | map(attribute='policies') | map(attribute='lu', default={}) | map(attribute='name', default='inherited') }}"
  loop: "{{ server_groups.groups }}"
'''

RETURN = r'''
groups:
  description: The groups, sorted by path.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Group id.
      type: str
    path:
      description: Full path.
      type: str
    parent:
      description: Full path of the parent group (null for the root).
      type: str
    description:
      description: Description.
      type: str
    inherits:
      description: Whether the group inherits policies from its parent.
      type: bool
    computers:
      description: Number of computers in the group.
      type: int
    policy_serial:
      description: The group's policy serial number; a client that reports the same serial runs the group's current policies.
      type: str
    locations:
      description:
        - The group's locations with the policies assigned directly at each, by type.
        - A type missing here is inherited from the parent when RV(groups[].inherits) is true.
      type: list
      elements: dict
      sample: [{"id": "7D1E...", "name": "Default", "default": true, "policies": {"lu": {"id": "A1B2...", "name": "LiveUpdate Settings policy"}}}]
    group_policies:
      description: Location-independent policies assigned to the group (C(lucontent)).
      type: dict
tree:
  description: With O(mode=tree), the groups nested by path; each node has RV(groups) fields and C(children).
  returned: when O(mode=tree)
  type: dict
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.groups import SEPARATOR, group_facts
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import check_group_path
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.targets import group_named
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.policies import assignments_by_group
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.settings import default_location


def _policy_ref(summary):
    return {"id": summary.get("id"), "name": summary.get("name")}


def selected_groups(module):
    client = module.client
    params = module.params
    if params["path"] is None:
        return list(client.groups())
    # An empty path is a mistake (an unset variable), not a request for every group.
    path = check_group_path("path", params["path"])
    top = group_named(client, "path", path)
    if not params["include_subgroups"]:
        return [top]
    prefix = path.lower() + SEPARATOR
    return [top] + [g for g in client.groups() if (g.get("fullPathName") or "").lower().startswith(prefix)]


def with_policies(client, facts, assignments):
    assigned = assignments.get(facts["id"], {})
    locations = client.group_locations(facts["id"])
    default = default_location(locations, {"defaultLocationId": facts["default_location_id"]})
    facts["locations"] = []
    for location in locations:
        policies = assigned.get(location["id"], {})
        facts["locations"].append({
            "id": location["id"],
            "name": location["name"],
            "default": location is default,
            "policies": {policy_type: _policy_ref(summary) for policy_type, summary in sorted(policies.items())},
        })
    facts["group_policies"] = {t: _policy_ref(s) for t, s in sorted(assigned.get(None, {}).items())}
    return facts


def as_tree(groups):
    nodes = {g["path"]: dict(g, children=[]) for g in groups}
    roots = {}
    for path, node in nodes.items():
        parent = nodes.get(node["parent"])
        if parent is None:
            roots[path] = node
        else:
            parent["children"].append(node)
    return roots


def read_groups(module):
    client = module.client
    groups = [group_facts(record) for record in selected_groups(module)]
    if module.params["include_policies"]:
        assignments = assignments_by_group(client.policy_summaries())
        groups = [with_policies(client, facts, assignments) for facts in groups]
    groups.sort(key=lambda facts: (facts["path"] or "").lower())
    result = {"changed": False, "groups": groups}
    if module.params["mode"] == "tree":
        result["tree"] = as_tree(groups)
    return result


def main():
    module = SepmModule(
        argument_spec_extra=dict(
            path=dict(type="str"),
            include_subgroups=dict(type="bool", default=False),
            include_policies=dict(type="bool", default=True),
            mode=dict(type="str", choices=["list", "tree"], default="list"),
        ),
        supports_check_mode=True,
    )
    module.run(read_groups)


if __name__ == "__main__":
    main()
