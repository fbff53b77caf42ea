# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Plans a rollout on the controller (see the rollout_plan module for its documentation)."""

from __future__ import annotations

from ansible.plugins.loader import lookup_loader
from ansible.utils.display import Display

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rollout
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.forecast import durations_from_reports, load_reports
from ansible_collections.endpoint_ops.sepm.plugins.plugin_utils.sepm_action import SepmAction

display = Display()


class ActionModule(SepmAction):

    OPTIONS = rollout.PLAN_OPTIONS
    VARIABLES = tuple(name for name in rollout.PLAN_OPTIONS if name not in ("variable_prefix", "package"))
    VARIABLE_NAMES = rollout.VARIABLE_NAMES

    def inventory_hosts(self, pattern, cluster_var, task_vars, method_var="", package_targets=""):
        """The hosts an inventory pattern names, in inventory order, with their SEPM name, cluster and method."""
        if not pattern:
            return []
        lookup = lookup_loader.get("ansible.builtin.inventory_hostnames", loader=self._loader, templar=self._templar)
        hostvars = task_vars.get("hostvars") or {}
        package_hosts = set(lookup.run([package_targets], variables=task_vars)) if package_targets else set()
        hosts = []
        for host in lookup.run([pattern], variables=task_vars):
            variables = hostvars.get(host) or {}
            method = (variables.get(method_var) if method_var else None) or ("package" if host in package_hosts else None)
            hosts.append({"host": host, "sepm_name": variables.get("sepm_name") or host,
                          "cluster": variables.get(cluster_var) or None, "method": method})
        if not hosts:
            raise SepmInputError("targets pattern %r matches no inventory host" % pattern)
        return hosts

    def planning(self, params, task_vars):
        """What a plan (or a forecast) starts from, every option checked before the inventory and the SEPM are read."""
        prefix = params["variable_prefix"]
        if not params["targets"] and not params["groups"]:
            raise SepmInputError("name the targets with %stargets (an inventory pattern) or %sgroups (SEPM group paths)" % (prefix, prefix))
        options = rollout.check_options({name: params[name] for name in rollout.RUN_OPTIONS}, prefix)
        reports, unreadable = load_reports(params["report_dir"])
        for path in unreadable:
            display.warning("%s is not a rollout report (JSON with its batches): the forecast leaves it out" % path)
        hosts = self.inventory_hosts(params["targets"], params["cluster_var"], task_vars, params["method_var"],
                                     params["package_targets"])
        return dict(options=options, inventory_hosts=hosts, groups=params["groups"], cluster_pattern=params["cluster_pattern"],
                    prefix=prefix, history=durations_from_reports(reports))

    def work(self, params, client, task_vars):
        handle, lines = rollout.plan(client, report_dir=params["report_dir"], check_mode=self._play_context.check_mode,
                                     **self.planning(params, task_vars))
        return {"changed": False, "plan": lines, "run": handle}
