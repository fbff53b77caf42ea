#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: rollout_batch
short_description: Patch one batch of SEP clients through the SEPM - stage, deliver, restart in the window, verify, return home
version_added: 0.1.0
description:
  - Runs on the controller (an action plugin) and runs one batch of a run planned by
    M(endpoint_ops.sepm.rollout_plan), the liveupdate way, with one progress line per step while it runs
    (batch, step, done / failed / waiting, time left in the window; retries of a busy SEPM in one line).
  - B(Gate) - the maintenance window must be open with at least the cutoff left, or nothing starts and
    every computer is C(deferred); the run then stops and succeeds, and the next run goes on.
  - B(Stage) - moves the batch, in one request, into a C(Patch Staging) child of each computer's own group.
    A staging group is created on demand with inheritance off; at every use its security policies are made
    equal to its parent's, it gets the allowing LiveUpdate policy at every location, and its SEPM restart
    schedule is off, so the SEPM never restarts a staged computer on its own.
  - B(Deliver) - waits until every client runs the staging group's policy (its C(profileSerialNo) equals
    the group's C(policySerialNumber)), then sends one C(updatecontent) and waits until each has the patch
    pending a restart, or installed.
  - B(Restart) - only when the whole restart still fits in the window; one C(restart) command for the
    computers that need it; waits until each is back online at the target version.
  - B(Return) - moves every computer back to its own group, failed ones included.
  - B(Pipelining) - while this batch restarts, the next batch is staged and its patch delivered, never
    restarted; the next task restarts it. If the run stops first, those computers go home C(deferred)
    with "patch delivered, restart pending"; a killed controller leaves them staged for the next run.
  - B(Rules) - members of an HA cluster another member of which failed are held back (C(skipped)); the run
    stops when more than the failure budget failed, or more than the batch percentage of a batch; after a
    stop the batches not started end C(skipped) (failures, the run fails) or C(deferred) (window closed).
  - B(Errors) - when the SEPM fails in the middle of a batch (an HTTP 500, a lost connection) or anything else
    goes wrong, the computers this batch and the pre-staged next one moved go home first; those the SEPM will
    not take back are named in the run as left staged (the next run finishes them); the task then fails in one
    line and the run's file keeps the outcome for M(endpoint_ops.sepm.rollout_report).
  - B(Quality gates) - a computer back at the target is judged by the health checks against its own record from before
    the batch before it counts as patched; a soak holds the batches after the first ones; group budgets shape the batches;
    the next batch takes the patch ahead only while the run is clean and never an HA partner of a computer in flight
    (see M(endpoint_ops.sepm.rollout_plan)).
  - In check mode the gate and the preflight run for real and nothing is written.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes
  - endpoint_ops.sepm.rollout_run
options:
  batch:
    description:
      - The batch to run - its number from 1, or C(resume) for computers an interrupted run left staged.
    type: str
    required: true
  step:
    description:
      - V(run) runs the batch. V(describe) returns it as a hook sees it (RV(hosts), RV(results), RV(counts), RV(will_run),
        RV(ran)) and changes nothing. V(stop) stops the run before it as an exceeded failure budget does, with O(reason)
        (a hook around the batch failed); what went ahead of it goes home unrestarted.
    type: str
    choices: [run, describe, stop]
    default: run
  reason:
    description:
      - Why the run stops, for O(step=stop); it is the report's stop reason.
    type: str
    default: ""
notes:
  - Runs on the controller as an action plugin; the module file holds its documentation.
'''

EXAMPLES = r'''
- name: Run every batch of the plan
  endpoint_ops.sepm.rollout_batch:
    run: "{{ plan.run }}"
    batch: "{{ item }}"
  loop: "{{ plan.run.labels }}"
'''

RETURN = r'''
batch:
  description:
    - The batch's entry in the run's log - its label, method, number of computers, start and end (null when it never
      ran; C(not_run) says why), whether the window held it back (C(gated)), failed and deferred counts; in check
      mode its C(preview). The computers' own results are in the run's report.
  returned: success
  type: dict
stopped:
  description: Why the run stops after this batch, or null.
  returned: success
  type: str
run_failed:
  description: The run has failed (a stop on failures, or an error) and will fail after its report is written.
  returned: success
  type: bool
totals:
  description: Computers by state so far (C(total), C(patched), C(compliant), C(failed), C(deferred), C(skipped)).
  returned: success
  type: dict
hosts:
  description: For O(step=describe), the batch's computers.
  returned: step is describe
  type: list
  elements: str
results:
  description: For O(step=describe), each computer's C(state) (null while not settled) and C(reason).
  returned: step is describe
  type: dict
counts:
  description: For O(step=describe), the batch's computers by state.
  returned: step is describe
  type: dict
will_run:
  description: For O(step=describe), the batch has not run yet and no stop keeps it from running.
  returned: step is describe
  type: bool
ran:
  description: For O(step=describe), the batch ran (it started on the SEPM).
  returned: step is describe
  type: bool
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import controller_only
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import BATCH_OPTIONS


def main():
    controller_only("rollout_batch", BATCH_OPTIONS)


if __name__ == "__main__":
    main()
