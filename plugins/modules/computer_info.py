#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: computer_info
short_description: Query SEPM computers in bulk, with their versions and patch state
version_added: 0.1.0
description:
  - Reads computers from the SEP Manager in pages of up to 1000, so a fleet of 20,000
    takes about twenty requests.
  - Filters the SEPM applies itself (name pattern, operating system, group) go to the
    server; the rest (online, reboot pending, version below a target, ids) are applied
    to the result.
  - Returns each computer with stable snake_case keys, and counts by version and state.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes.info_module
options:
  group:
    description:
      - Full path of a SEPM group, with backslashes, for example C(My Company\Servers).
      - Only computers in this group are returned; see O(include_subgroups).
      - An empty string is an error; leave the option out to query every computer.
    type: str
  include_subgroups:
    description:
      - With O(group), also return computers of every group below it.
    type: bool
    default: false
  name:
    description:
      - Computer name pattern; C(*) is a wildcard. The SEPM compares without case.
    type: str
  ids:
    description:
      - Computer ids (the SEPM's C(uniqueId), 32 hexadecimal characters) to return.
    type: list
    elements: str
  os:
    description:
      - SEPM operating system codes, for example C(Win10), C(Win2K19), C(RedHat).
    type: list
    elements: str
  online:
    description:
      - Only computers that are online (V(true)) or offline (V(false)).
    type: bool
  reboot_required:
    description:
      - Only computers with (V(true)) or without (V(false)) a restart pending.
    type: bool
  version_below:
    description:
      - Only computers whose agent version is older than this, for example C(14.3.10148.9100).
      - Must be a SEP version (numbers separated by dots); anything else fails the task.
    type: str
  summary_only:
    description:
      - Return only RV(counts), not every computer; useful for status reports of large fleets.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Computers in the SQL group that still need the patch
  endpoint_ops.sepm.computer_info:
    sepm_host: sepm01.example.com
    sepm_username: apiadmin
    sepm_password: "{{ vault_sepm_password }}"
    ca_path: /etc/pki/sepm-ca.pem
    group: My Company\Servers\SQL
    version_below: 14.3.10148.9100
  register: sql_pending

- name: Fleet patch status, counts only (connection from SEPM_* variables)
  endpoint_ops.sepm.computer_info:
    summary_only: true
  register: fleet

- name: Show computers waiting for a restart
  ansible.builtin.debug:
    msg: "{{ sql_pending.computers | selectattr('reboot_required') | map(attribute='name') | list }}"
'''

RETURN = r'''
computers:
  description: The matching computers, sorted by name (empty with O(summary_only)).
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The SEPM computer id (C(uniqueId)), used by commands.
      type: str
    hardware_key:
      description: The hardware key, used to move the computer between groups.
      type: str
    name:
      description: Computer name.
      type: str
    group:
      description: Full path of the computer's group.
      type: str
    group_id:
      description: Id of the computer's group.
      type: str
    agent_version:
      description: Version of the SEP client.
      type: str
    running_version:
      description: Deployment running version the client reports.
      type: str
    target_version:
      description: Deployment target version (a staged patch shows here before the restart).
      type: str
    online:
      description: Whether the client is online.
      type: bool
    reboot_required:
      description: Whether the client waits for a restart.
      type: bool
    reboot_reason:
      description: Why the client waits for a restart.
      type: str
    os_name:
      description: Operating system name.
      type: str
    ip_addresses:
      description: IP addresses.
      type: list
      elements: str
  sample:
    - id: 01ECF4E8092E5BB91E4D52E4AB7C3A51
      name: SQL-01-N1
      group: My Company\Servers\SQL
      agent_version: 14.3.10148.9000
      online: true
      reboot_required: false
counts:
  description: Counts over the matching computers.
  returned: success
  type: dict
  contains:
    total:
      description: Number of matching computers.
      type: int
    online:
      description: How many are online.
      type: int
    offline:
      description: How many are offline.
      type: int
    reboot_required:
      description: How many wait for a restart.
      type: int
    by_version:
      description: Number of computers per agent version, newest first.
      type: dict
  sample:
    total: 3
    online: 3
    offline: 0
    reboot_required: 1
    by_version: {"14.3.10148.9100": 1, "14.3.10148.9000": 2}
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import (
    ComputerFilter,
    normalize_computer,
    summarize,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import (
    COMPUTER_NAME_MAX,
    check_group_path,
    check_guids,
    check_name,
    check_names,
    check_version,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.targets import LOOKED_UP_SINGLY, fetch_records, group_named


def checked_options(params):
    """Every filter checked before the first SEPM call: an empty group is a mistake, not 'every computer'."""
    checked = dict(params)
    if params["group"] is not None:
        checked["group"] = check_group_path("group", params["group"])
    if params["name"] is not None:
        checked["name"] = check_name("name", params["name"], COMPUTER_NAME_MAX)
    if params["ids"] is not None:
        checked["ids"] = check_guids("ids", params["ids"])
    if params["os"] is not None:
        checked["os"] = check_names("os", params["os"], COMPUTER_NAME_MAX)
    checked["version_below"] = check_version("version_below", params["version_below"])
    return checked


def read_records(module, params):
    client = module.client
    if params["ids"] and len(params["ids"]) <= LOOKED_UP_SINGLY:
        return fetch_records(client, ids=params["ids"])
    group_id = None
    if params["group"]:
        # Resolved even with include_subgroups: an unknown group is an error, not an empty answer.
        group_id = group_named(client, "group", params["group"])["id"]
    if params["include_subgroups"]:
        group_id = None
    return client.computers(group_id=group_id, name=params["name"], os=params["os"])


def query(module):
    params = checked_options(module.params)
    computer_filter = ComputerFilter(
        group=params["group"], include_subgroups=params["include_subgroups"], name=params["name"],
        ids=params["ids"], online=params["online"], reboot_required=params["reboot_required"],
        version_below=params["version_below"],
    )
    selected = [computer for computer in map(normalize_computer, read_records(module, params)) if computer_filter(computer)]
    selected.sort(key=lambda computer: (computer["name"] or "").lower())
    return {
        "changed": False,
        "computers": [] if params["summary_only"] else selected,
        "counts": summarize(selected),
    }


def main():
    module = SepmModule(
        argument_spec_extra=dict(
            group=dict(type="str"),
            include_subgroups=dict(type="bool", default=False),
            name=dict(type="str"),
            ids=dict(type="list", elements="str"),
            os=dict(type="list", elements="str"),
            online=dict(type="bool"),
            reboot_required=dict(type="bool"),
            version_below=dict(type="str"),
            summary_only=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    module.run(query)


if __name__ == "__main__":
    main()
