#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: preflight
short_description: Check a SEPM before the first rollout - rights, release, patches, policies, groups, clock, limits
version_added: 0.2.0
description:
  - Runs on the controller (an action plugin). A few harmless reads of the SEPM, each judged in one verdict - C(ok),
    C(warn) (the rollout runs, but read the line), C(fail) (the rollout would fail or do harm) or C(skip) (not
    checked because an earlier check failed) - with what to do.
  - B(The checks, in order) - C(reachable) (C(GET version)); C(tls) (the certificate verified, or a warning when
    O(validate_certs) is off); C(login); C(rights) (the session's role and permission set - the login reply, or
    C(GET sessions/currentuser) for a given O(sepm_token) - against what the rollout does - commands, policies,
    groups); C(version) (the SEPM's version and release; client patches arrive through LiveUpdate from 14.3 RU2 on);
    C(client_releases) (C(GET stats/client/version)); C(client_patches) (whether the site downloads client patches,
    from its C(New software package available) notices and the clients' versions, or the console step when that
    cannot tell); C(allowing_policy) and C(denying_policy) (each named LiveUpdate Settings policy exists and allows,
    or denies, Windows client patches); C(groups) (each of O(groups) exists); C(targets) (the inventory hosts of
    O(targets), a sample of 10 looked up by their SEPM name); C(computer_fields) (one page of computers carries every
    field the rollout reads, with a count of the records that lack one); C(command_queue) (C(GET
    command-queue/{id}) of an id that cannot exist answers 410, not 403); C(clock) (the SEPM's clock, from the Date
    header of its replies, against the controller's; the rollout runs on the SEPM's clock); C(request_limit) (the
    largest request line plus headers the server accepts, found with a few reads of C(GET version) with a long
    query string, against the split size the client uses); C(page_size) (the page size it honours).
  - B(The shape bundle) - with O(bundle_dir), writes C(preflight-<host>-<UTC time>.json) there (mode 0600) with each
    verdict's check, level, code and measured numbers, and for every reply read only its shape - the keys of each
    object, the JSON type of each value and the lengths of lists - under the vendor reference's template of the
    call (C(GET policies/lu/{id})). It holds no value the SEPM sent - no name, id, address or token - and no
    password, so it can be shared; C(python -m tests.emulator.compare_shapes BUNDLE) in the collection's source
    compares it with the emulator the collection is tested against.
  - Reads only (logging in and out aside); changes nothing in the SEPM. Only a C(fail) verdict makes RV(passed)
    false; the task itself fails only for bad options. The role M(endpoint_ops.sepm.preflight) (playbook
    C(endpoint_ops.sepm.preflight)) prints the lines and fails the run on a C(fail).
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes.info_module
options:
  groups:
    description: Full paths of the SEPM groups the rollout takes its computers from (the rollout's C(rollout_groups)).
    type: list
    elements: str
    default: []
  targets:
    description:
      - An inventory pattern of the hosts the rollout targets (the rollout's C(rollout_targets)); a host's SEPM name is
        its C(sepm_name) variable, else its inventory name.
    type: str
    default: ""
  allowing_policies:
    description:
      - Names of the LiveUpdate Settings policies that must allow Windows client patches (the rollout's
        C(rollout_allow_policy), the patch_policy role's C(patch_policy_allowing_policy)).
    type: list
    elements: str
    default: [LiveUpdate - Client Patches Allowed]
  denying_policies:
    description: Names of the LiveUpdate Settings policies that must deny Windows client patches (C(patch_policy_denying_policy)).
    type: list
    elements: str
    default: [LiveUpdate - Client Patches Denied]
  target_version:
    description: The version the rollout will target (C(rollout_target_version)); empty means the newest client patch the SEPM announces.
    type: str
    default: ""
  clock:
    description: The clock the rollout runs on (C(rollout_clock)), for the words of the clock check.
    type: str
    choices: [sepm, controller]
    default: sepm
  bundle_dir:
    description: Folder for the shape bundle; created when missing. Left out, no bundle is written (nor in check mode).
    type: path
notes:
  - Runs on the controller as an action plugin; the module file holds its documentation.
seealso:
  - module: endpoint_ops.sepm.rollout_plan
  - module: endpoint_ops.sepm.patch_permission
'''

EXAMPLES = r'''
- name: Check the SEPM before the first rollout
  endpoint_ops.sepm.preflight:
    groups: ['My Company\Servers']
    bundle_dir: reports
  register: preflight

- name: Show one line per check
  ansible.builtin.debug:
    msg: "{{ preflight.lines }}"

- name: Stop on a fail
  ansible.builtin.fail:
    msg: "{{ preflight.summary_line }}"
  when: not preflight.passed
'''

RETURN = r'''
lines:
  description: "One line per check (C(<level> <check>: <what it found and what to do>)), then the summary line."
  returned: success
  type: list
  elements: str
  sample:
    - "ok   reachable: https://sepm01.example.com:8446 answered GET version in 0.04 s"
    - "warn clock: the SEPM's clock is 10m00s ahead of this controller's: ..."
    - "preflight passed with 1 warning(s): read the warn lines before the first rollout"
verdicts:
  description: Each check's verdict.
  returned: success
  type: list
  elements: dict
  contains:
    check:
      description: The check (C(reachable), C(tls), C(login), C(rights), ...).
      type: str
    level:
      description: C(ok), C(warn), C(fail) or C(skip).
      type: str
    message:
      description: What the check found and what to do.
      type: str
    code:
      description: A short code of the outcome (C(missing), C(wrong_switch), C(skewed), ...), the same in the bundle.
      type: str
    line:
      description: The verdict as one line.
      type: str
summary:
  description: How many checks ended in each level.
  returned: success
  type: dict
  sample: {"ok": 15, "warn": 1, "fail": 0, "skip": 0}
summary_line:
  description: The summary in one line.
  returned: success
  type: str
passed:
  description: No check failed.
  returned: success
  type: bool
failed_checks:
  description: The checks that failed.
  returned: success
  type: list
  elements: str
bundle:
  description: Path of the shape bundle written, or null without O(bundle_dir) (and in check mode).
  returned: success
  type: str
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import controller_only
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.preflight import PREFLIGHT_OPTIONS


def main():
    controller_only("preflight", PREFLIGHT_OPTIONS)


if __name__ == "__main__":
    main()
