#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: command_info
short_description: Read the per-computer status of a SEPM command
version_added: 0.1.0
description:
  - Reads every page of a command's status and returns each computer's state and sub-state by name,
    with counts per state and whether every computer is done.
  - A command that M(endpoint_ops.sepm.command) sent in several requests (a long list of targets) has an id
    per request; give them all in O(command_id) and they are read as one command (one paged read per id).
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes.info_module
options:
  command_id:
    description:
      - The command's ids (32 hexadecimal characters each), as M(endpoint_ops.sepm.command) returns them in
        RV(endpoint_ops.sepm.command#module:command_ids); a comma-separated string works too.
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
- name: How far is the restart? (all the ids it took, read as one)
  endpoint_ops.sepm.command_info:
    command_id: "{{ restart.command_ids.computers }}"
  register: restart_status

- name: One id from the console's Command Status
  endpoint_ops.sepm.command_info:
    command_id: 1CA9D4F37DD94CA88A9D93D09402E3D3
'''

RETURN = r'''
computers:
  description: Each computer's state, of all the ids together.
  returned: success
  type: list
  elements: dict
  sample: [{"computer": "SQL-01-N1", "state": "COMPLETED", "state_id": 3, "sub_state": "Success", "sub_state_id": 0, "final": true}]
counts:
  description: Number of computers per state, and whether all are in a final state.
  returned: success
  type: dict
  sample: {"total": 2, "by_state": {"COMPLETED": 1, "IN_PROGRESS": 1}, "done": false}
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.commands import read_named_command, summarize_rows
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import check_command_ids
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule


def read(module):
    command_ids = check_command_ids("command_id", module.params["command_id"])
    rows = read_named_command(module.client, command_ids)
    return {"changed": False, "computers": rows, "counts": summarize_rows(rows)}


def main():
    module = SepmModule(argument_spec_extra=dict(command_id=dict(type="list", elements="str", required=True)), supports_check_mode=True)
    module.run(read)


if __name__ == "__main__":
    main()
