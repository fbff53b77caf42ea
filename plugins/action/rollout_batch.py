# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs one rollout batch on the controller, with a progress line per step (see the rollout_batch module)."""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rollout
from ansible_collections.endpoint_ops.sepm.plugins.plugin_utils.sepm_action import SepmAction


class ActionModule(SepmAction):

    OPTIONS = rollout.BATCH_OPTIONS

    def work(self, params, client, task_vars):
        return rollout.run_batch(client, params["run"], params["batch"], say=self.say, check_mode=self._play_context.check_mode,
                                 diff=self._play_context.diff, step=params["step"], reason=params["reason"])
