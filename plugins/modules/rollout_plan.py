#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: rollout_plan
short_description: Plan a SEP client patch rollout - targets, preflight, batches, HA clusters, computers left staged
version_added: 0.1.0
description:
  - Runs on the controller (an action plugin) and plans a run for M(endpoint_ops.sepm.rollout_batch).
    The plan, with every option of the run, comes back as the fact C(sepm_rollout), which each batch
    task takes and returns updated.
  - B(Targets) - the hosts of the inventory pattern O(targets) (their C(sepm_name) host variable, else
    the inventory name) and the computers of the SEPM groups O(groups) and their subgroups, each once.
    HA clusters come from the host variable O(cluster_var), else from the name and O(cluster_pattern).
  - B(Target version) - O(target_version), else the newest Windows client patch of the SEPM's own
    release that the SEPM's critical events announce.
  - B(Batches) - Ansible C(serial) semantics (the last size repeating; percentages round down, at
    least 1). At most O(max_unavailable_per_cluster) members of one HA cluster are down at once;
    members already offline count as down whatever their own state, and a cluster with no room
    left is held back (C(skipped)).
  - B(Preflight) - already at the target version (C(compliant)), not a Windows client, a release
    other than the SEPM's (clients take patches from the SEPM only in its own release), offline
    (with O(offline=skip)) - left out of the batches with a state and a reason.
  - Computers found in a staging group come from an interrupted run; they form the C(resume)
    batch, finished and moved home before new batches start.
  - Every option is checked before anything is read or written; a bad one fails in one line.
  - Reads only.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes.info_module
options:
  targets:
    description:
      - An inventory pattern naming the target hosts, in the order to patch them (a canary first).
    type: str
    default: ""
  groups:
    description:
      - SEPM group paths whose computers (and their subgroups' computers) are targets.
    type: list
    elements: str
    default: []
  cluster_var:
    description:
      - Host variable that names a host's HA cluster.
    type: str
    default: ha_cluster
  cluster_pattern:
    description:
      - Regular expression on the computer name for hosts without O(cluster_var); its first group is the cluster.
    type: str
    default: '^(.+)-N\d+$'
  target_version:
    description:
      - The client version to reach, for example C(14.3.10148.9100); empty takes the newest patch the SEPM has.
    type: str
    default: ""
  serial:
    description:
      - Batch sizes, as Ansible's C(serial) - an int, a percentage such as C(10%), or a list of them.
    type: raw
    default: [1, "10%", "25%"]
  max_unavailable_per_cluster:
    description:
      - How many members of one HA cluster may be down at once.
    type: int
    default: 1
  offline:
    description:
      - V(skip) leaves offline computers out, with a reason; V(wait) batches them and lets the batch's timeouts decide.
    type: str
    choices: [skip, wait]
    default: skip
  allow_policy:
    description:
      - Name or id of the LiveUpdate Settings policy that allows client patches, assigned to the staging groups.
    type: str
    default: LiveUpdate - Client Patches Allowed
  staging_group:
    description:
      - Name of the staging child group (one name, no separator).
    type: str
    default: Patch Staging
  windows:
    description:
      - Maintenance windows (see the rollout role). Required unless O(ignore_windows=true).
    type: list
    elements: dict
    default: []
  ignore_windows:
    description:
      - Run without a window; batches and restarts may then happen at any time.
    type: bool
    default: false
  cutoff:
    description:
      - Seconds that must be left in the window before a batch starts; 0 is the sum of the three timeouts.
    type: int
    default: 0
  clock:
    description:
      - V(sepm) measures windows and timeouts on the SEPM's clock (the Date of its replies), the clock its
        restarts happen on; V(controller) on this machine's.
    type: str
    choices: [sepm, controller]
    default: sepm
  restart:
    description:
      - V(if_needed) restarts computers with a restart pending, V(always) every computer of a batch,
        V(never) none (they end C(deferred) with "patch delivered, restart pending"; the run goes on).
    type: str
    choices: [if_needed, always, never]
    default: if_needed
  restart_prompt:
    description:
      - Let users postpone the restart.
    type: bool
    default: false
  restart_message:
    description:
      - Message shown to users before the restart.
    type: str
    default: Symantec Endpoint Protection client patch - restarting within the maintenance window
  policy_timeout:
    description:
      - Seconds to wait until every client runs the staging group's policy (about two heartbeats), 1 to 604800.
    type: int
    default: 900
  delivery_timeout:
    description:
      - Seconds to wait for LiveUpdate to deliver the patch, 1 to 604800.
    type: int
    default: 3600
  restart_timeout:
    description:
      - Seconds to wait for a computer to come back at the target version after its restart, 1 to 604800.
    type: int
    default: 1800
  poll_interval:
    description:
      - Seconds between two readings of the SEPM while a batch waits (0.01 to 3600).
    type: float
    default: 30
  failure_budget:
    description:
      - The run stops when MORE than this many computers failed.
    type: int
    default: 5
  max_fail_percentage:
    description:
      - The run stops when MORE than this percentage of a batch failed.
    type: float
    default: 20
  method:
    description:
      - How the patch reaches a host without its own method - C(liveupdate) (staging group and LiveUpdate) or
        C(package) (the exported client install package, installed by the rollout role over WinRM).
      - A host's own method comes from its host variable O(method_var), else from O(package_targets).
      - Liveupdate batches come first, then package batches; an HA cluster must use one method.
    type: str
    choices: [liveupdate, package]
    default: liveupdate
  method_var:
    description:
      - Host variable that names a host's method (C(liveupdate) or C(package)).
    type: str
    default: sepm_rollout_method
  package_targets:
    description:
      - Inventory pattern of hosts that take the package method (for example an inventory group of HA servers).
    type: str
    default: ""
  package:
    description:
      - The package the package method installs, as M(endpoint_ops.sepm.install_package_info) returned it.
      - Needed when a host takes the package method. Its release must be the SEPM's, and its version the target.
    type: dict
    default: {}
  package_serial:
    description:
      - Batch sizes of the package batches (Ansible serial semantics); null takes O(serial).
    type: raw
    default: null
  install_timeout:
    description:
      - Seconds a package install (copy and silent install) may take on one host; a host starts only with it and the
        restart timeout (twice, when Windows has a restart pending) left in the window.
    type: int
    default: 1800
  variable_prefix:
    description:
      - Error messages name each option with this prefix, so a role's user reads the variable they set
        (the rollout role passes C(rollout_)).
    type: str
    default: ""
notes:
  - Runs on the controller as an action plugin; the module file holds its documentation.
'''

EXAMPLES = r'''
- name: Plan a rollout to the SQL servers
  endpoint_ops.sepm.rollout_plan:
    groups: ['My Company\Servers\SQL']
    windows:
      - {days: [sat], start: "22:00", duration: 6h, timezone: Europe/Berlin}
    serial: [1, "50%"]
  register: plan
'''

RETURN = r'''
plan:
  description: Lines that show the plan to an operator.
  returned: success
  type: list
  elements: str
batches:
  description: The computer names of each batch, in order.
  returned: success
  type: list
  elements: list
resume:
  description: Computers an interrupted run left in a staging group; they are finished first.
  returned: success
  type: list
  elements: str
ansible_facts:
  description: The run's state.
  returned: success
  type: complex
  contains:
    sepm_rollout:
      description: The plan, the options of the run and every computer's state so far; pass it to M(endpoint_ops.sepm.rollout_batch).
      type: dict
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import controller_only
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import PLAN_OPTIONS


def main():
    controller_only("rollout_plan", PLAN_OPTIONS)


if __name__ == "__main__":
    main()
