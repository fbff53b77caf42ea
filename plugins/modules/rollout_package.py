#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: rollout_package
short_description: One decision of a package-method rollout batch - gate, checksum, restart, verify, account
version_added: 0.2.0
description:
  - Runs on the controller (an action plugin). The rollout role's package method calls it around the tasks that
    run on each host (read its pending restart, copy, install silently, restart, see the SEP service run) and the
    user's drain and restore hooks; every decision is taken here, on the run that O(run) names.
  - B(begin) - a stop of an earlier batch settles the batch; members of a cluster another member of which failed
    are held back (C(skipped)); the window must be open with one host's install and restart left, else every host
    is C(deferred). Returns RV(hosts), the hosts to patch one at a time.
  - B(gate) - before anything touches a host - the failure budget, the window (install and restart, and a restart
    first when Windows has one pending), an HA partner failed in this run, the partners healthy in the SEPM (online;
    at most C(max_unavailable_per_cluster) members down, this one counted) and the pending restart. Returns
    RV(decision) C(proceed), C(restart_first), C(skip) or C(defer) and RV(reason); a host with a restart pending
    that is not allowed or does not fit the window is C(skipped) with that reason.
  - B(copied) - compares the SHA-256 of every file copied to the host (O(checksums)) with the package; a mismatch
    fails the host before anything is installed.
  - B(drain) - before the member's drain hook runs, writes it into the drain journal (C(drain-journal.json) in the
    run's report folder); B(restored) takes it out after its restore hook ran. A run killed in between leaves the
    member in the journal, and the next run's plan lists it in C(restore_first), restored before anyone is drained.
  - B(restart) - the restart that completes the install is sent only while the whole restart timeout fits the window;
    else the host is C(deferred) with "patch delivered, restart pending".
  - B(verify) - waits until the SEPM shows the host online, reporting after the restart, at the target version with
    no restart pending, or the restart timeout passed; settles it C(patched) or C(failed) with the reason and says
    whether its restore hook may run (RV(restore)).
  - B(fail) - a host task failed at O(failed_step); the host fails with that step's words and O(failure).
  - B(end) - the batch's stop decision (failure budget, batch percentage, window) and its log entry.
  - Every host ends in the run's results with C(method=package), in the same report as liveupdate hosts.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes.info_module
  - endpoint_ops.sepm.rollout_run
options:
  step:
    description:
      - The step to take.
    type: str
    required: true
    choices: [begin, gate, copied, drain, restart, verify, restored, fail, end]
  batch:
    description:
      - The batch, for O(step=begin) and O(step=end).
    type: str
    default: ""
  host:
    description:
      - The host (its SEPM computer name), for every other step.
    type: str
    default: ""
  pending_reboot:
    description:
      - For O(step=gate), whether Windows on the host has a restart pending.
    type: bool
    default: false
  checksums:
    description:
      - For O(step=copied), the SHA-256 of every file of the copy on the host, by path relative to the package.
    type: dict
    default: {}
  failed_step:
    description:
      - For O(step=fail), the host step that failed (probe, copy, drain, restart_first, install, restart, ready, verify, restore).
    type: str
    default: ""
  failure:
    description:
      - For O(step=fail), what the failed task said.
    type: str
    default: ""
notes:
  - Runs on the controller as an action plugin; the module file holds its documentation.
  - Changes nothing in the SEPM; the host tasks of the role change the host.
'''

EXAMPLES = r'''
- name: Gate a host
  endpoint_ops.sepm.rollout_package:
    run: "{{ plan.run }}"
    step: gate
    host: SQL-01-N1
    pending_reboot: false
  register: gate
'''

RETURN = r'''
hosts:
  description: For O(step=begin), the hosts to patch one at a time, each with C(name), C(host) (its inventory name),
    C(cluster) and C(partners).
  returned: step is begin
  type: list
  elements: dict
decision:
  description: C(proceed), C(restart_first), C(skip) or C(defer).
  returned: step is gate, copied or restart
  type: str
reason:
  description: Why, in words for the report.
  returned: always
  type: str
restore:
  description: For O(step=verify) and O(step=fail), whether the host's restore hook may run.
  returned: step is verify or fail
  type: bool
stopped:
  description: Why the run stops, or null.
  returned: success
  type: str
run_failed:
  description: The run has failed (a stop on failures, or an error) and will fail after its report is written.
  returned: success
  type: bool
totals:
  description: Computers by state so far.
  returned: success
  type: dict
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import controller_only
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import PACKAGE_OPTIONS


def main():
    controller_only("rollout_package", PACKAGE_OPTIONS)


if __name__ == "__main__":
    main()
