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
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes.info_module
options:
  command_id:
    description:
      - The command id, as returned by M(endpoint_ops.sepm.command).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: How far is the restart?
  endpoint_ops.sepm.command_info:
    command_id: "{{ restart.command_ids.computers }}"
  register: restart_status
'''

RETURN = r'''
computers:
  description: Each computer's state.
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
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import check_guid
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule


def read(module):
    command_id = check_guid("command_id", module.params["command_id"])
    rows = read_named_command(module.client, command_id)
    return {"changed": False, "computers": rows, "counts": summarize_rows(rows)}


def main():
    module = SepmModule(argument_spec_extra=dict(command_id=dict(type="str", required=True)), supports_check_mode=True)
    module.run(read)


if __name__ == "__main__":
    main()
