# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Forecasts a rollout on the controller (see the rollout_forecast module for its documentation)."""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.action.rollout_plan import ActionModule as PlanAction
from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rollout
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import as_datetime


class ActionModule(PlanAction):

    OPTIONS = rollout.FORECAST_OPTIONS
    VARIABLES = tuple(name for name in rollout.FORECAST_OPTIONS if name not in ("variable_prefix", "package"))

    def work(self, params, client, task_vars):
        # Checked before the plan reads the SEPM.
        start = as_datetime(params["start"], params["variable_prefix"] + rollout.VARIABLE_NAMES["start"]) if params["start"] else None
        forecast, lines = rollout.forecast(client, start=start, **self.planning(params, task_vars))
        return {"changed": False, "forecast": forecast, "line": forecast["line"], "basis": forecast["basis"], "lines": lines}
