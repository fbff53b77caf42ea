#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: login
short_description: Log in to the SEP Manager once and hand the token to later tasks
version_added: 0.1.0
description:
  - Logs in with O(sepm_username) and O(sepm_password) and returns the session token,
    so the tasks of a long play pass O(sepm_token) instead of logging in each time
    (every module run is a new process; thousands of logins trip the SEPM's throttle).
  - The result is always hidden from the output, as with C(no_log), at any verbosity; the
    token still reaches C(register). Never print it yourself.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes.info_module
notes:
  - Logging in changes nothing on the SEPM, so the module never reports a change and runs in check mode.
'''

EXAMPLES = r'''
- name: Log in once
  endpoint_ops.sepm.login:
    sepm_host: sepm01.example.com
    sepm_username: apiadmin
    sepm_password: "{{ vault_sepm_password }}"
    ca_path: /etc/pki/sepm-ca.pem
  register: sepm_login
  no_log: true

- name: Later tasks reuse the token (and may log in again with the password if it expires)
  endpoint_ops.sepm.computer_info:
    sepm_host: sepm01.example.com
    sepm_token: "{{ sepm_login.token }}"
    ca_path: /etc/pki/sepm-ca.pem
    summary_only: true
'''

RETURN = r'''
token:
  description: The session token; pass it as O(sepm_token).
  returned: success
  type: str
expires_in:
  description: Seconds until the SEPM lets the token expire.
  returned: success
  type: int
  sample: 3600
admin_id:
  description: Id of the administrator logged in.
  returned: success
  type: str
role:
  description: The administrator's role (C(bitMask) 8 is a system administrator).
  returned: success
  type: dict
  sample: {"bitMask": 8, "title": "SYSADMIN"}
domain_id:
  description: Id of the domain logged in to.
  returned: success
  type: str
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule


def log_in(module):
    reply = module.client.login()
    module.client.keep_session()
    # The action plugin marks this result no_log, so the token reaches register but no log line.
    return {
        "changed": False,
        "token": reply["token"],
        "expires_in": reply.get("tokenExpiration"),
        "admin_id": reply.get("adminId"),
        "role": reply.get("role"),
        "domain_id": reply.get("domainid"),
    }


def main():
    module = SepmModule(supports_check_mode=True)
    module.run(log_in)


if __name__ == "__main__":
    main()
