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
  - Runs one batch of a rollout planned by M(endpoint_ops.sepm.rollout_plan), the liveupdate way.
  - B(Gate) - the maintenance window must be open with at least O(cutoff) seconds left, or
    nothing is done and every computer is C(deferred).
  - B(Stage) - moves the batch, in one request, into a C(Patch Staging) child of each computer's
    own group. A staging group is created on demand with inheritance off and its parent's
    policies, and gets O(allow_policy) (a LiveUpdate Settings policy that allows client patches)
    at every location; the computers keep their security policies.
  - B(Deliver) - waits until every client runs the staging group's policy (its C(profileSerialNo)
    equals the group's C(policySerialNumber)), then sends one C(updatecontent) command and waits
    until each has the patch pending a restart, or installed.
  - B(Restart) - only when the whole restart still fits in the window; one C(restart) command for
    the computers that need it (O(restart)); waits until each is back online at the target version.
  - B(Return) - moves every computer back to its own group, failed ones included.
  - Each computer ends C(patched), C(failed) (with the reason) or C(deferred) (with the reason).
  - Computers of an interrupted run (found in a staging group) go through the same steps; the
    ones already done are only verified and moved home.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes
options:
  computers:
    description:
      - The batch, as M(endpoint_ops.sepm.rollout_plan) returns them in RV(endpoint_ops.sepm.rollout_plan#module:computers)
        (each needs C(name), C(id), C(hardware_key), C(group) and C(agent_version)).
    type: list
    elements: dict
    required: true
  target_version:
    description:
      - The client version the batch must reach.
    type: str
    required: true
  allow_policy:
    description:
      - Name or id of the LiveUpdate Settings policy that allows client patches, assigned to the staging groups.
    type: str
    required: true
  staging_group:
    description:
      - Name of the staging child group.
    type: str
    default: Patch Staging
  windows:
    description:
      - Maintenance windows (see the rollout role); none means no window restricts the batch.
    type: list
    elements: dict
    default: []
  cutoff:
    description:
      - Seconds that must be left in the window before the batch starts. Defaults to the sum of the three timeouts.
    type: int
  clock:
    description:
      - V(sepm) measures windows and timeouts on the SEPM's clock (the Date of its replies), the clock its
        restarts happen on; V(controller) on this machine's.
    type: str
    choices: [sepm, controller]
    default: sepm
  restart:
    description:
      - V(if_needed) restarts computers with a restart pending, V(always) every computer of the batch,
        V(never) none (they end C(deferred) with the patch waiting for a restart).
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
      - Seconds to wait until every client runs the staging group's policy (about two heartbeats).
    type: int
    default: 900
  delivery_timeout:
    description:
      - Seconds to wait for LiveUpdate to deliver the patch.
    type: int
    default: 3600
  restart_timeout:
    description:
      - Seconds to wait for a computer to come back at the target version after its restart.
    type: int
    default: 1800
  poll_interval:
    description:
      - Seconds between status reads.
    type: float
    default: 30
notes:
  - In check mode nothing is moved, sent or restarted; the result says what would happen.
'''

EXAMPLES = r'''
- name: Patch one batch
  endpoint_ops.sepm.rollout_batch:
    computers: "{{ batch_names | map('extract', plan.computers) | list }}"
    target_version: "{{ plan_target }}"
    allow_policy: LiveUpdate - Client Patches Allowed
    windows:
      - days: [sat, sun]
        start: "22:00"
        duration: 6h
        timezone: Europe/Berlin
  register: batch
'''

RETURN = r'''
hosts:
  description: What became of each computer, by name.
  returned: success
  type: dict
  sample:
    SQL-01-N1:
      state: patched
      reason: ""
      version_before: 14.3.10148.9000
      version_after: 14.3.10148.9100
      steps: {"staged": "2026-11-28T22:00:04+00:00", "delivered": "2026-11-28T22:09:40+00:00", "returned": "2026-11-28T22:16:02+00:00"}
gated:
  description: True when the window did not allow the batch to start; nothing was changed.
  returned: success
  type: bool
started:
  description: When the batch started (ISO 8601, on the chosen clock).
  returned: success
  type: str
finished:
  description: When the batch finished.
  returned: success
  type: str
steps:
  description: When each step of the batch finished.
  returned: success
  type: dict
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.policies import find_policy
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import Batch, Clock, Options, iso
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import is_open, parse_windows, time_left

REQUIRED_KEYS = ("name", "id", "hardware_key", "group")


def options_from(module, allow_policy_id, windows):
    params = module.params
    return Options(
        target_version=params["target_version"], allow_policy_id=allow_policy_id, windows=windows,
        cutoff=params["cutoff"], restart=params["restart"], restart_prompt=params["restart_prompt"],
        restart_message=params["restart_message"], policy_timeout=params["policy_timeout"],
        delivery_timeout=params["delivery_timeout"], restart_timeout=params["restart_timeout"],
        poll_interval=params["poll_interval"], staging_name=params["staging_group"],
    )


def preview(module, batch):
    """Check mode: what the batch would do, from the gate alone; nothing changes."""
    clock = batch.clock.now(refresh=True)
    windows = batch.options.windows
    open_now = not windows or (is_open(windows, clock) and time_left(windows, clock).total_seconds() >= batch.options.cutoff)
    state, reason = ("patched", "would be staged, updated and restarted as needed") if open_now else \
        ("deferred", "maintenance window closed or closing")
    for name in batch.hosts:
        batch.hosts[name].update(state=state, reason=reason)
    return {"changed": open_now, "hosts": batch.hosts, "gated": not open_now, "started": iso(clock),
            "finished": iso(clock), "steps": {}}


def run_batch(module):
    client = module.client
    params = module.params
    windows = parse_windows(params["windows"]) if params["windows"] else []
    for computer in params["computers"]:
        missing = [key for key in REQUIRED_KEYS if not computer.get(key)]
        if missing:
            raise ValueError("computer %s lacks %s: pass the computers rollout_plan returned" % (
                computer.get("name", "?"), ", ".join(missing)))
    allow = find_policy(client.policy_summaries("lu"), params["allow_policy"], "lu")
    batch = Batch(client, params["computers"], options_from(module, allow["id"], windows), Clock(client, params["clock"]))
    if module.check_mode:
        return preview(module, batch)
    result = batch.run()
    if module._diff:
        result["diff"] = {
            "before": {name: host["version_before"] for name, host in result["hosts"].items()},
            "after": {name: host["version_after"] for name, host in result["hosts"].items()},
        }
    return result


def main():
    module = SepmModule(
        argument_spec_extra=dict(
            computers=dict(type="list", elements="dict", required=True),
            target_version=dict(type="str", required=True),
            allow_policy=dict(type="str", required=True),
            staging_group=dict(type="str", default="Patch Staging"),
            windows=dict(type="list", elements="dict", default=[]),
            cutoff=dict(type="int"),
            clock=dict(type="str", choices=["sepm", "controller"], default="sepm"),
            restart=dict(type="str", choices=["if_needed", "always", "never"], default="if_needed"),
            restart_prompt=dict(type="bool", default=False),
            restart_message=dict(type="str",
                                 default="Symantec Endpoint Protection client patch - restarting within the maintenance window"),
            policy_timeout=dict(type="int", default=900),
            delivery_timeout=dict(type="int", default=3600),
            restart_timeout=dict(type="int", default=1800),
            poll_interval=dict(type="float", default=30),
        ),
        supports_check_mode=True,
    )
    module.run(run_batch)


if __name__ == "__main__":
    main()
