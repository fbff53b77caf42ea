# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs one rollout batch on the controller, with a progress line per step (see the rollout_batch module)."""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import BATCH_OPTIONS, Engine
from ansible_collections.endpoint_ops.sepm.plugins.plugin_utils.sepm_action import SepmAction


class ActionModule(SepmAction):

    OPTIONS = BATCH_OPTIONS

    def work(self, params, client, task_vars):
        state = params["rollout"]
        if params["batch"] not in state.get("labels", []):
            raise SepmInputError("batch %r is not a batch of this rollout (%s)" % (params["batch"], ", ".join(state.get("labels", []))))
        engine = Engine(client, state, say=self.say, check_mode=self._play_context.check_mode)
        if engine.batch_method(params["batch"]) != "liveupdate":
            raise ValueError("batch %s is a package batch: the rollout role runs it host by host with endpoint_ops.sepm.rollout_package"
                             % params["batch"])
        entry = engine.run_batch(params["batch"])
        result = {"changed": engine.changed, "batch": entry, "stopped": (state.get("stop") or {}).get("reason"),
                  "ansible_facts": {"sepm_rollout": state}}
        if self._play_context.diff:
            names = entry["hosts"]
            result["diff"] = {
                "before": {name: state["results"].get(name, {}).get("version_before") for name in names},
                "after": {name: state["results"].get(name, {}).get("version_after") for name in names},
            }
        return result
