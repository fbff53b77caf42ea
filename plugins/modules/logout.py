#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: logout
short_description: End the SEPM session that M(endpoint_ops.sepm.login) opened
version_added: 0.1.0
description:
  - Logs out the session of O(sepm_token), so its token stops working at once instead of
    when the SEPM lets it expire.
  - Put it in the C(always) section of the block that logged in, so a failed task still ends the session.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes.info_module
notes:
  - Logging out changes no SEPM configuration, so the module never reports a change and runs in check mode.
'''

EXAMPLES = r'''
- name: Work with one session, and end it whatever happens
  block:
    - name: Log in once
      endpoint_ops.sepm.login:
      register: sepm_login

    - name: Read the groups
      endpoint_ops.sepm.group_info:
        sepm_token: "{{ sepm_login.token }}"
  always:
    - name: Log out
      endpoint_ops.sepm.logout:
        sepm_token: "{{ sepm_login.token }}"
      when: sepm_login.token is defined
'''

RETURN = r'''
logged_out:
  description: Whether a session was ended (false when the token had already expired).
  returned: success
  type: bool
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmAuthError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule


def log_out(module):
    if not (module.params["sepm_token"] or "").strip():
        raise SepmInputError("sepm_token: give the token that endpoint_ops.sepm.login returned; there is no session to end")
    client = module.client
    try:
        client.logout()
    except SepmAuthError:
        # The token expired or was revoked already: the session is over, which is what was asked.
        return {"changed": False, "logged_out": False}
    return {"changed": False, "logged_out": True}


def main():
    module = SepmModule(supports_check_mode=True)
    module.run(log_out)


if __name__ == "__main__":
    main()
