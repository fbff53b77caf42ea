# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""One step of a package batch on the controller (see the rollout_package module for its documentation)."""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.package_method import PACKAGE_OPTIONS, PackageBatch
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import Engine
from ansible_collections.endpoint_ops.sepm.plugins.plugin_utils.sepm_action import SepmAction


class ActionModule(SepmAction):

    OPTIONS = PACKAGE_OPTIONS

    def work(self, params, client, task_vars):
        state = params["rollout"]
        step = params["step"]
        engine = Engine(client, state, say=self.say, check_mode=self._play_context.check_mode)
        batch = PackageBatch(engine)
        if step in ("begin", "end"):
            if params["batch"] not in state.get("labels", []):
                raise ValueError("batch %r is not a batch of this rollout (%s)" % (params["batch"], ", ".join(state.get("labels", []))))
            if engine.batch_method(params["batch"]) != "package":
                raise ValueError("batch %s is a liveupdate batch: run it with endpoint_ops.sepm.rollout_batch" % params["batch"])
            result = batch.begin(params["batch"], self._play_context.check_mode) if step == "begin" else batch.end(params["batch"])
        else:
            if not params["host"]:
                raise ValueError("step %s needs host" % step)
            if step == "gate":
                result = batch.gate(params["host"], params["pending_reboot"])
            elif step == "copied":
                result = batch.copied(params["host"], params["checksums"])
            elif step == "restart":
                result = batch.restart(params["host"])
            elif step == "verify":
                result = batch.verify(params["host"])
            else:
                result = batch.fail(params["host"], params["failed_step"], params["failure"])
        result.update(changed=step in ("begin", "end") and engine.changed, stopped=(state.get("stop") or {}).get("reason"),
                      ansible_facts={"sepm_rollout": state})
        return result
