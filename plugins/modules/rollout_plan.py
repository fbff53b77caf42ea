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
  - B(Forecast) - when the run will be done, as M(endpoint_ops.sepm.rollout_forecast) gives it, is the last
    line of RV(plan) and the C(forecast) of the fact; each batch task updates it at the run's pace.
  - Every option is checked before anything is read or written; a bad one fails in one line.
  - Reads only.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.rollout_plan
  - endpoint_ops.sepm.attributes.info_module
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
