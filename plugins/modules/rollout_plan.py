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
    The run is kept in a file on the controller (under O(report_dir), in C(.runs/), readable by its owner
    only); the task returns a small handle, RV(run), that every later task of the run passes, so a task's
    cost does not grow with the fleet. M(endpoint_ops.sepm.rollout_report) writes the report and removes the file.
  - B(Options from variables) - with O(variable_prefix), an option the task does not give is read from the
    variable C(<prefix><option>) (C(rollout_serial) for O(serial); C(rollout_forecast_start) for the forecast's
    C(start)). The rollout role passes only O(variable_prefix=rollout_), so the plan and the forecast read the
    same variables.
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
    line of RV(plan); each batch task updates it at the run's pace.
  - B(Package) - with O(package_path), the exported client install package is inspected here (as
    M(endpoint_ops.sepm.install_package_info) does), before anything else.
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

- name: Run every batch of it
  endpoint_ops.sepm.rollout_batch:
    run: "{{ plan.run }}"
    batch: "{{ item }}"
  loop: "{{ plan.run.labels }}"
'''

RETURN = r'''
plan:
  description:
    - Lines that show the plan to an operator - the target, the window, the batch sizes, a line per batch with its first
      names (past 12 batches, one line for the rest), and the forecast. Every name is in the report.
  returned: success
  type: list
  elements: str
run:
  description: The run's handle; pass it as O(endpoint_ops.sepm.rollout_batch#module:run) to every later task of the run.
  returned: success
  type: dict
  contains:
    file:
      description: The run's file on the controller.
      type: str
    labels:
      description: The batches in order - C(resume) first when an interrupted run left computers staged, then 1, 2, ...
      type: list
      elements: str
    methods:
      description: Each batch's delivery method (C(liveupdate) or C(package)), by label.
      type: dict
    batches:
      description: How many numbered batches the plan has.
      type: int
    target_version:
      description: The version the run patches to.
      type: str
    restore_first:
      description: Members an interrupted package run drained and did not restore (the drain journal); restore them first.
      type: list
      elements: dict
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import controller_only
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import PLAN_OPTIONS


def main():
    controller_only("rollout_plan", PLAN_OPTIONS)


if __name__ == "__main__":
    main()
