# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The handle every task of a run passes after the plan (rollout_batch, rollout_package, rollout_report).
    DOCUMENTATION = r'''
options:
  run:
    description:
      - The run's handle, RV(endpoint_ops.sepm.rollout_plan#module:run) of the plan. The run itself stays in its file on
        the controller, so what a task receives does not grow with the fleet.
    type: dict
    required: true
    aliases: [rollout]
'''
