# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs the preflight on the controller (see the preflight module for its documentation).

On the controller because it reads the inventory (the hosts of ``targets``) and writes the
shape bundle where the playbook runs.
"""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.action.rollout_plan import ActionModule as PlanAction
from ansible_collections.endpoint_ops.sepm.plugins.module_utils import preflight
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.connection import client_for
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import check_version
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.preflight_rules import FAIL, summary


class ActionModule(PlanAction):

    OPTIONS = preflight.PREFLIGHT_OPTIONS

    def make_client(self, params):
        self._recorder = preflight.ReplyRecorder()  # pylint: disable=attribute-defined-outside-init
        return client_for(params, session=preflight.RecordingSession(self._recorder))

    def work(self, params, client, task_vars):
        if params["target_version"]:
            check_version("target_version", params["target_version"])
        if params["bundle_dir"] is not None and not str(params["bundle_dir"]).strip():
            raise SepmInputError("bundle_dir must name a folder, or be left out for no bundle")
        hosts = []
        if params["targets"]:
            try:
                hosts = self.inventory_hosts(params["targets"], "", task_vars)
            except SepmInputError:
                hosts = []  # a pattern that matches nothing is the targets check's fail line
        settings = preflight.Settings(params, hosts)
        verdicts = preflight.run(client, self._recorder, settings, preflight.probe_client(params, self._recorder))
        counts, line = summary(verdicts)
        result = {
            "changed": False,
            "verdicts": [verdict.to_dict() for verdict in verdicts],
            "lines": [verdict.line for verdict in verdicts] + [line],
            "summary": counts,
            "summary_line": line,
            "passed": not counts[FAIL],
            "failed_checks": [verdict.check for verdict in verdicts if verdict.level == FAIL],
            "bundle": None,
        }
        if params["bundle_dir"] and not self._task.check_mode:
            created = preflight.utc_now()
            content = preflight.bundle(verdicts, self._recorder, created)
            try:
                result["bundle"] = preflight.write_bundle(params["bundle_dir"], params["sepm_host"], content, created)
            except SepmInputError as exc:
                # The verdicts are what the user came for: a folder that cannot be written costs only the bundle.
                result["warnings"] = ["no shape bundle: %s" % exc]
        return result
