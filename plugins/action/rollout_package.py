# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""One step of a package batch on the controller (see the rollout_package module for its documentation)."""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rollout
from ansible_collections.endpoint_ops.sepm.plugins.plugin_utils.sepm_action import SepmAction


class ActionModule(SepmAction):

    OPTIONS = rollout.PACKAGE_OPTIONS

    def work(self, params, client, task_vars):
        step_params = {name: params[name] for name in ("batch", "host", "pending_reboot", "checksums", "failed_step", "failure")}
        return rollout.package_step(client, params["run"], params["step"], say=self.say, check_mode=self._play_context.check_mode,
                                    **step_params)
