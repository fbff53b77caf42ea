#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: version_info
short_description: Read the SEP Manager's version and release
version_added: 0.1.0
description:
  - Reads C(GET version), which needs no login, and derives the SEP release (for
    example C(14.3 RU9)) that client versions must match to take patches from this SEPM.
  - Also a cheap check that the SEPM is reachable and its certificate trusted.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes.info_module
notes:
  - O(sepm_username) and O(sepm_password) are not needed; the version call takes no token.
'''

EXAMPLES = r'''
- name: Which SEPM release are we patching against?
  endpoint_ops.sepm.version_info:
    sepm_host: sepm01.example.com
    ca_path: /etc/pki/sepm-ca.pem
  register: sepm

- name: Stop unless the SEPM runs 14.3 RU9
  ansible.builtin.assert:
    that: sepm.release == '14.3 RU9'
'''

RETURN = r'''
version:
  description: The SEPM's full version.
  returned: success
  type: str
  sample: 14.3.25029.9000
release:
  description: The SEP release the version belongs to; clients take patches from the SEPM only in the same release.
  returned: success
  type: str
  sample: 14.3 RU9
api_version:
  description: Version of the REST API.
  returned: success
  type: str
  sample: 14.3.9000
api_sequence:
  description: Build sequence of the REST API.
  returned: success
  type: str
  sample: "240604011"
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import release_of


def read_version(module):
    reply = module.client.version() or {}
    version = reply.get("version")
    return {
        "changed": False,
        "version": version,
        "release": release_of(version),
        "api_version": reply.get("API_VERSION"),
        "api_sequence": reply.get("API_SEQUENCE"),
    }


def main():
    module = SepmModule(supports_check_mode=True)
    module.run(read_version)


if __name__ == "__main__":
    main()
