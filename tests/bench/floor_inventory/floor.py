# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's control: the least any inventory plugin can do for the same inventory.

Reads a ``*.floor.json`` file in the shape ``ansible-inventory --list`` prints (groups with
their ``children`` and ``hosts``, and ``_meta.hostvars``) and hands the same groups, hosts
and variables to ansible-core, with no filtering, naming, cache or grouping logic of its
own. What ``ansible-inventory`` then spends is ansible-core's own floor for that inventory,
which no inventory plugin can go below.

A value printed as ``{"__ansible_unsafe": ...}`` is handed over as the string it stands
for, marked unsafe the way a plugin must before ansible-core 2.19 (from 2.19 every plugin
value is untrusted without it), so the control carries the same values, not dicts.
"""

from __future__ import annotations

import json

from ansible.plugins.inventory import BaseInventoryPlugin
from ansible.utils.unsafe_proxy import wrap_var

DOCUMENTATION = r'''
name: floor
short_description: Benchmark control that loads an inventory from ansible-inventory's JSON
description:
  - Adds every group, host and variable of a C(*.floor.json) file; only for tests/bench/bench_inventory.py.
'''

UNSAFE_KEY = "__ansible_unsafe"
# ansible-core 2.19 and later distrust plugin data themselves (see plugins/inventory/sepm.py's unsafe()).
MARK_UNSAFE = not hasattr(BaseInventoryPlugin, "trusted_by_default")
CORE_GROUPS = ("all", "ungrouped")


def plain(value):
    """The value ansible-inventory printed, with its unsafe marks turned back into values."""
    if isinstance(value, dict):
        if set(value) == {UNSAFE_KEY}:
            return wrap_var(value[UNSAFE_KEY]) if MARK_UNSAFE else value[UNSAFE_KEY]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


class InventoryModule(BaseInventoryPlugin):
    NAME = "floor"

    def verify_file(self, path):
        return path.endswith(".floor.json")

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        with open(path, encoding="utf-8") as handle:
            listing = json.load(handle)
        hostvars = listing.pop("_meta", {}).get("hostvars", {})
        for name in listing:
            if name not in CORE_GROUPS:
                inventory.add_group(name)
        for name, group in listing.items():
            for child in group.get("children", ()):
                if name != "all" and child not in CORE_GROUPS:
                    inventory.add_child(name, child)
            for host in group.get("hosts", ()):
                inventory.add_host(host, group=None if name in CORE_GROUPS else name)
        for host, variables in hostvars.items():
            inventory.add_host(host)
            for variable, value in variables.items():
                # inventory_file and inventory_dir are ansible-core's own, set by add_host
                if not variable.startswith("inventory_"):
                    inventory.set_variable(host, variable, plain(value))
