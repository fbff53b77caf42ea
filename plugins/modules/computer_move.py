#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: computer_move
short_description: Move SEPM computers to a group, in bulk
version_added: 0.1.0
description:
  - Moves computers, found by name, id or hardware key, to a group found by its full path,
    in one SEPM request for many computers.
  - Computers already in the group are left alone, so a second run changes nothing.
  - A computer takes its new group's policies at its next heartbeat.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes
options:
  group:
    description:
      - Full path of the group to move the computers to.
    type: str
    required: true
  computers:
    description:
      - Computer names. A name that matches more than one computer is an error.
    type: list
    elements: str
    default: []
  ids:
    description:
      - Computer ids (the SEPM's C(uniqueId)).
    type: list
    elements: str
    default: []
  hardware_keys:
    description:
      - Computer hardware keys.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Move two SQL nodes into their staging group
  endpoint_ops.sepm.computer_move:
    group: My Company\Servers\SQL\Patch Staging
    computers:
      - SQL-01-N1
      - SQL-02-N1
'''

RETURN = r'''
moved:
  description: Names of the computers moved (or that would be moved in check mode).
  returned: success
  type: list
  elements: str
group:
  description: Full path of the target group.
  returned: success
  type: str
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import (
    COMPUTER_NAME_MAX,
    check_group_path,
    check_guids,
    check_names,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.targets import group_named, resolve_computers


def move(module):
    client = module.client
    params = module.params
    path = check_group_path("group", params["group"])
    names = check_names("computers", params["computers"], COMPUTER_NAME_MAX)
    ids = check_guids("ids", params["ids"])
    hardware_keys = check_names("hardware_keys", params["hardware_keys"], COMPUTER_NAME_MAX)
    if not (names or ids or hardware_keys):
        raise SepmInputError("name the computers to move with computers, ids or hardware_keys")
    group = group_named(client, "group", path)
    target = group["fullPathName"]
    computers = resolve_computers(client, names, ids, hardware_keys)
    to_move = [c for c in computers if (c["group"] or "").lower() != target.lower()]
    before = {c["name"]: c["group"] for c in computers}
    after = {c["name"]: target for c in computers}

    def apply():
        replies = client.move_computers([(c["hardware_key"], group["id"]) for c in to_move])
        refused = ["%s (%s %s)" % (c["name"], r.get("responseCode"), r.get("responseMessage"))
                   for c, r in zip(to_move, replies) if str(r.get("responseCode")) != "200"]
        if refused:
            raise SepmError("the SEPM did not move %d of %d computers to '%s': %s" % (
                len(refused), len(to_move), target, "; ".join(refused)))

    result = module.change(before, after, apply)
    result.update(moved=[c["name"] for c in to_move], group=target)
    return result


def main():
    module = SepmModule(
        argument_spec_extra=dict(
            group=dict(type="str", required=True),
            computers=dict(type="list", elements="str", default=[]),
            ids=dict(type="list", elements="str", default=[]),
            hardware_keys=dict(type="list", elements="str", default=[], no_log=False),
        ),
        supports_check_mode=True,
    )
    module.run(move)


if __name__ == "__main__":
    main()
