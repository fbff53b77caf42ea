#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: group
short_description: Ensure a SEPM group exists, or does not, by its full path
version_added: 0.1.0
description:
  - Creates, updates or deletes a group of the SEP Manager, found by its full path.
  - Creates missing parent groups only when O(create_parents=true).
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes
options:
  path:
    description:
      - Full path of the group with backslashes, for example C(My Company\Servers\Patch Staging).
        C(/) separates names too.
      - Each name in the path is at most 256 characters (the SEPM's limit).
      - The path starts at the root group (C(My Company)), which the SEPM owns; it can be
        updated but neither created nor deleted.
    type: str
    required: true
  state:
    description:
      - Whether the group should exist.
      - Deleting a group that still holds computers fails on the SEPM side.
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - Description of the group, at most 1024 characters. Left as it is when not given.
      - V('') gives a new group no description. The SEPM API takes a description of 1 to 1024
        characters only, so it cannot clear an existing one; asked to, the module fails before
        any change and says to clear it in the SEPM console (the group's Properties on the
        Clients page).
    type: str
  inherits:
    description:
      - Whether the group inherits policies from its parent. Left as it is when not given;
        a new group inherits unless this is V(false).
    type: bool
  create_parents:
    description:
      - Create missing parent groups (inheriting, without description) instead of failing.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: A staging group under the SQL servers, with its own policies
  endpoint_ops.sepm.group:
    path: My Company\Servers\SQL\Patch Staging
    description: Computers taking a client patch now
    inherits: false

- name: Remove a group no longer used
  endpoint_ops.sepm.group:
    path: My Company\Old Lab
    state: absent
'''

RETURN = r'''
group:
  description: The group after the change (null when absent). The id is null in check mode for a new group.
  returned: success
  type: dict
  contains:
    id:
      description: Group id.
      type: str
    path:
      description: Full path.
      type: str
    description:
      description: Description.
      type: str
    inherits:
      description: Whether the group inherits policies from its parent.
      type: bool
  sample:
    id: 5A3D8C1E0A0B0C0D0E0F101112131415
    path: My Company\Servers\SQL\Patch Staging
    description: Computers taking a client patch now
    inherits: false
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.groups import (
    ancestors,
    describe_group,
    name_of,
    parent_of,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import (
    GROUP_DESCRIPTION_MAX,
    check_group_path,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule


def checked_path(params):
    """The normalized path, refused before any SEPM call when it cannot be what the task asks."""
    path = check_group_path("path", params["path"])
    if parent_of(path) is None and params["state"] == "absent":
        raise SepmInputError("path: '%s' is a root group; the SEPM owns it, it cannot be deleted" % path)
    description = params["description"]
    if description is not None and len(description) > GROUP_DESCRIPTION_MAX:
        raise SepmInputError("description is %d characters long; the SEPM takes at most %d"
                             % (len(description), GROUP_DESCRIPTION_MAX))
    return path


def remove(module, path, existing):
    client = module.client
    before = describe_group(existing) if existing else None
    result = module.change(before, None, lambda: client.delete_group(existing["id"]))
    result["group"] = None
    return result


def create(module, path):
    client = module.client
    params = module.params
    parent = parent_of(path)
    if parent is None:
        raise SepmInputError("path: group '%s' is a root group; the SEPM creates it, it cannot be created through the API" % path)
    missing = [ancestor for ancestor in ancestors(path) if client.find_group(ancestor) is None]
    if missing and parent_of(missing[0]) is None:
        # Nothing can be created above a root, so create_parents cannot help.
        raise SepmInputError("path: root group '%s' does not exist in the SEPM; a path starts at the root, "
                             "for example 'My Company\\Servers'" % missing[0])
    if missing and not params["create_parents"]:
        raise SepmInputError("parent group '%s' does not exist: create it first or set create_parents: true" % missing[-1])
    inherits = True if params["inherits"] is None else params["inherits"]
    after = {"path": path, "description": params["description"] or "", "inherits": inherits}

    def apply():
        for ancestor in missing:
            client.create_group(client.group_by_path(parent_of(ancestor))["id"], name_of(ancestor))
        client.create_group(client.group_by_path(parent)["id"], name_of(path), params["description"], inherits)

    result = module.change(None, after, apply)
    created = None if module.check_mode else client.find_group(path)
    result["group"] = dict(after, id=created["id"] if created else None)
    return result


def update(module, existing):
    client = module.client
    params = module.params
    before = describe_group(existing)
    after = dict(before)
    if params["description"] is not None:
        if params["description"] == "" and before["description"]:
            raise SepmInputError("description: the SEPM API cannot clear the description of '%s' (it takes 1 to %d "
                                 "characters); clear it in the SEPM console, in the group's Properties on the Clients page"
                                 % (before["path"], GROUP_DESCRIPTION_MAX))
        after["description"] = params["description"]
    if params["inherits"] is not None:
        after["inherits"] = params["inherits"]

    def apply():
        changes = {"name": existing["name"], "inherits": after["inherits"]}
        if after["description"] != before["description"]:
            changes["description"] = after["description"]
        client.update_group(existing["id"], changes)

    result = module.change(before, after, apply)
    result["group"] = dict(after, id=existing["id"])
    return result


def ensure_group(module):
    path = checked_path(module.params)
    existing = module.client.find_group(path)
    if module.params["state"] == "absent":
        return remove(module, path, existing)
    if existing is None:
        return create(module, path)
    return update(module, existing)


def main():
    module = SepmModule(
        argument_spec_extra=dict(
            path=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            description=dict(type="str"),
            inherits=dict(type="bool"),
            create_parents=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    module.run(ensure_group)


if __name__ == "__main__":
    main()
