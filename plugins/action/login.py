# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs the login module and marks its result no_log.

The token must reach ``register`` but never a log line, at any verbosity, even when a
playbook forgets ``no_log: true``. A module cannot ask for that itself (Ansible strips
``_ansible_*`` keys from module results); an action plugin can.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):

    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(self._execute_module(
            module_name="endpoint_ops.sepm.login",
            module_args=self._task.args,
            task_vars=task_vars,
        ))
        if not result.get("failed"):
            # A failed login carries no token, and its one-line reason must stay readable.
            result["_ansible_no_log"] = True
        return result
