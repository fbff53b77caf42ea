# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's control: the least any inventory plugin can do for the same hosts.

Reads ``{host: {variable: value}}`` from a ``*.floor.json`` file and hands every host and
variable to ansible-core, with no filtering, naming, grouping, cache or wrapping. What
``ansible-inventory`` then spends is ansible-core's own floor for that many hosts and
variables, which no inventory plugin can go below.
"""

from __future__ import annotations

import json

from ansible.plugins.inventory import BaseInventoryPlugin

DOCUMENTATION = r'''
name: floor
short_description: Benchmark control that adds hosts and variables from a JSON file
description:
  - Adds every host and variable of a C(*.floor.json) file; only for tests/bench/bench_inventory.py.
'''


class InventoryModule(BaseInventoryPlugin):
    NAME = "floor"

    def verify_file(self, path):
        return path.endswith(".floor.json")

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        with open(path, encoding="utf-8") as handle:
            hosts = json.load(handle)
        for name, variables in hosts.items():
            host = inventory.add_host(name, group="all")
            for variable, value in variables.items():
                inventory.set_variable(host, variable, value)
