#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: rollout_plan
short_description: Plan a SEP client patch rollout - preflight, batches, HA clusters and computers left staged
version_added: 0.1.0
description:
  - Reads the target computers from the SEPM in bulk and splits them into batches with Ansible
    C(serial) semantics (the last size repeating; percentages round down, at least 1).
  - Puts at most O(max_unavailable_per_cluster) members of one HA cluster in a batch, so members
    of a cluster restart in different batches. A cluster with a member offline is held back.
  - Preflight, per computer - already at the target version (C(compliant)), not a Windows client,
    a release other than the SEPM's (clients take patches from the SEPM only in its own release),
    offline (with O(offline=skip)) - leaves it out of the batches with a state and a reason.
  - Computers found in a staging group come from an interrupted run; they are returned in
    RV(resume), to be finished and moved home before new batches start.
  - Reads only; the M(endpoint_ops.sepm.rollout_batch) module does the work.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes.info_module
options:
  computers:
    description:
      - Names of the target computers, in the order to patch them (a canary first).
    type: list
    elements: str
    required: true
  target_version:
    description:
      - The client version to reach, for example C(14.3.10148.9100).
    type: str
    required: true
  serial:
    description:
      - Batch sizes, as Ansible's C(serial) - an int, a percentage such as C(10%), or a list of them.
    type: raw
    default: [1, "10%", "25%"]
  clusters:
    description:
      - HA cluster of each computer that belongs to one, by computer name.
    type: dict
    default: {}
  max_unavailable_per_cluster:
    description:
      - How many members of one HA cluster may be in one batch.
    type: int
    default: 1
  offline:
    description:
      - V(skip) leaves offline computers out, with a reason; V(wait) batches them and lets the batch's timeouts decide.
    type: str
    choices: [skip, wait]
    default: skip
  staging_group:
    description:
      - Name of the staging groups the rollout uses.
    type: str
    default: Patch Staging
'''

EXAMPLES = r'''
- name: Plan the rollout of the newest patch to the SQL servers, canary first
  endpoint_ops.sepm.rollout_plan:
    computers: "{{ groups['sepm_my_company_servers_sql'] }}"
    target_version: 14.3.10148.9100
    serial: [1, "50%"]
    clusters: "{{ dict(groups['sepm_my_company_servers_sql'] | zip(groups['sepm_my_company_servers_sql']
                  | map('extract', hostvars, 'ha_cluster'))) }}"
  register: plan
'''

RETURN = r'''
batches:
  description: The batches, each a list of computer names.
  returned: success
  type: list
  elements: list
  sample: [["SQL-01-N1"], ["SQL-03-N1", "FS-02-N1"], ["SQL-01-N2", "SQL-03-N2", "FS-02-N2"]]
accounted:
  description: Computers left out of the batches, with their state (C(compliant) or C(skipped)) and the reason.
  returned: success
  type: dict
  sample: {"LNX-APP-01": {"state": "skipped", "reason": "not a Windows client"}}
resume:
  description: Computers found in a staging group, left there by an interrupted run.
  returned: success
  type: list
  elements: str
computers:
  description: What the SEPM says of each target computer now (the keys of M(endpoint_ops.sepm.computer_info)), with its C(cluster) and C(home) group.
  returned: success
  type: dict
sepm_version:
  description: The SEPM's version.
  returned: success
  type: str
sepm_time:
  description: The SEPM's clock when the plan was made (ISO 8601, UTC).
  returned: success
  type: str
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import normalize_computer
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.plan import plan_rollout
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import home_of, iso
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.targets import fetch_records


def read_targets(client, names):
    """Normalized computers by lower-case name, every match of each name (duplicates are the caller's to judge)."""
    wanted = {name.lower() for name in names}
    found = {}
    for record in fetch_records(client, names=names):
        computer = normalize_computer(record)
        if (computer["name"] or "").lower() in wanted:
            found.setdefault(computer["name"].lower(), []).append(computer)
    return found


def plan(module):
    client = module.client
    params = module.params
    names = list(dict.fromkeys(params["computers"]))
    found = read_targets(client, names)
    sepm_version = (client.version() or {}).get("version")
    accounted, computers, resume, hosts = {}, {}, [], []
    for name in names:
        matches = found.get(name.lower(), [])
        if len(matches) != 1:
            accounted[name] = {"state": "skipped", "reason": "not found in the SEPM" if not matches else
                               "%d SEPM computers have this name" % len(matches)}
            continue
        computer = dict(matches[0], cluster=params["clusters"].get(name),
                        home=home_of(matches[0]["group"], params["staging_group"]))
        computers[name] = computer
        if computer["home"] != computer["group"]:
            resume.append(name)
        else:
            hosts.append(dict(computer, name=name))
    rollout = plan_rollout(hosts, params["target_version"], sepm_version, params["serial"],
                           params["max_unavailable_per_cluster"], params["offline"]).to_dict()
    accounted.update(rollout["accounted"])
    for name, entry in accounted.items():
        entry["version_before"] = entry["version_after"] = (computers.get(name) or {}).get("agent_version")
    return {
        "changed": False,
        "batches": rollout["batches"],
        "accounted": accounted,
        "resume": resume,
        "computers": computers,
        "sepm_version": sepm_version,
        "sepm_time": iso(client.server_time()),
    }


def main():
    module = SepmModule(
        argument_spec_extra=dict(
            computers=dict(type="list", elements="str", required=True),
            target_version=dict(type="str", required=True),
            serial=dict(type="raw", default=[1, "10%", "25%"]),
            clusters=dict(type="dict", default={}),
            max_unavailable_per_cluster=dict(type="int", default=1),
            offline=dict(type="str", choices=["skip", "wait"], default="skip"),
            staging_group=dict(type="str", default="Patch Staging"),
        ),
        supports_check_mode=True,
    )
    module.run(plan)


if __name__ == "__main__":
    main()
