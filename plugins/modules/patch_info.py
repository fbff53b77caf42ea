#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: patch_info
short_description: What the SEPM has of client patches, from the signals its API gives
version_added: 0.1.0
description:
  - The SEPM API has no call that lists LiveUpdate downloads or client packages. This module
    reads the two documented signals instead - the critical events C(New software package
    available) that the SEPM raises when it downloaded a package, and the client version
    statistics - and returns the versions seen, the newest client patch, when it arrived,
    and how many clients run each version.
  - When no event shows the SEPM downloading Windows client patches, RV(downloading_client_patches)
    is false and RV(console_steps) says how to turn the download on in the console (there is no API for it).
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes.info_module
'''

EXAMPLES = r'''
- name: What client patch can we roll out?
  endpoint_ops.sepm.patch_info:
  register: patches

- name: Stop when the SEPM has not downloaded one
  ansible.builtin.assert:
    that: patches.newest_patch is not none
    fail_msg: "{{ patches.console_steps }}"
'''

RETURN = r'''
sepm_version:
  description: The SEPM's version.
  returned: success
  type: str
  sample: 14.3.25029.9000
sepm_release:
  description: The SEPM's release; clients take patches from the SEPM only in this release.
  returned: success
  type: str
  sample: 14.3 RU9
packages:
  description: Every package the critical events say the SEPM downloaded, newest version first.
  returned: success
  type: list
  elements: dict
  contains:
    product:
      description: The package as the SEPM names it.
      type: str
    platform:
      description: windows, mac or linux.
      type: str
    version:
      description: Full version when the event names one.
      type: str
    release:
      description: Release, for example C(14.3 RU9).
      type: str
    is_patch:
      description: Whether the package is a client patch.
      type: bool
    arrived:
      description: When the SEPM raised the event.
      type: str
client_patches:
  description: The Windows client patches of the SEPM's release, newest first (a subset of RV(packages)).
  returned: success
  type: list
  elements: dict
newest_patch:
  description: Version of the newest Windows client patch of the SEPM's release, or null.
  returned: success
  type: str
  sample: 14.3.10148.9100
newest_patch_arrived:
  description: When the newest patch arrived, or null.
  returned: success
  type: str
clients_by_version:
  description: How many clients run each version, newest first.
  returned: success
  type: dict
  sample: {"14.3.10148.9100": 12, "14.3.10148.9000": 160}
downloading_client_patches:
  description: Whether any event shows the SEPM downloading Windows client patches.
  returned: success
  type: bool
console_steps:
  description: When RV(downloading_client_patches) is false, the console steps that turn the download on.
  returned: success
  type: str
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.patches import (
    CONSOLE_STEPS,
    client_versions,
    packages_from_events,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import release_of


def read_patches(module):
    client = module.client
    sepm_version = (client.version() or {}).get("version")
    sepm_release = release_of(sepm_version)
    packages = packages_from_events(client.critical_events())
    patches = [p for p in packages if p["platform"] == "windows" and p["is_patch"] and p["version"]
               and p["release"] == sepm_release]
    downloading = any(p["platform"] == "windows" and p["is_patch"] for p in packages)
    newest = patches[0] if patches else None
    result = {
        "changed": False,
        "sepm_version": sepm_version,
        "sepm_release": sepm_release,
        "packages": packages,
        "client_patches": patches,
        "newest_patch": newest["version"] if newest else None,
        "newest_patch_arrived": newest["arrived"] if newest else None,
        "clients_by_version": client_versions(client.client_version_stats()),
        "downloading_client_patches": downloading,
        "console_steps": "" if downloading else CONSOLE_STEPS,
    }
    if not downloading:
        module.warn("No critical event shows this SEPM downloading Windows client patches. " + CONSOLE_STEPS)
    return result


def main():
    module = SepmModule(supports_check_mode=True)
    module.run(read_patches)


if __name__ == "__main__":
    main()
