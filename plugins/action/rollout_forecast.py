# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Forecasts a rollout on the controller (see the rollout_forecast module for its documentation)."""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.action.rollout_plan import ActionModule as PlanAction
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.forecast import forecast_lines
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import FORECAST_OPTIONS, forecast_state
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import as_datetime


class ActionModule(PlanAction):

    OPTIONS = FORECAST_OPTIONS

    def work(self, params, client, task_vars):
        # Checked before the plan reads the SEPM.
        start = as_datetime(params["start"], params["variable_prefix"] + "start") if params["start"] else None
        state, _lines = self.plan(params, client, task_vars)
        forecast = forecast_state(state, start) if start else state["forecast"]
        windows = state["options"]["windows"]
        return {"changed": False, "forecast": forecast, "line": forecast["line"], "basis": forecast["basis"],
                "lines": forecast_lines(forecast, windows)}
