#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: rollout_forecast
short_description: Forecast when a SEP client patch rollout will be done - batches per window, each group's window, the last date
version_added: 0.2.0
description:
  - Runs on the controller (an action plugin). Plans the rollout exactly as M(endpoint_ops.sepm.rollout_plan) does
    (same options, same targets, preflight, batches and HA clusters), then places the batches in the maintenance
    windows by the rules a run obeys.
  - B(The rules) - a batch starts only with the window open and at least O(cutoff) left; one batch restarts at a time
    (so the members of an HA cluster in different batches are never down together); the next batch is pre-staged
    while one restarts when the cutoff still fits the window; a package batch goes host by host, each host needing
    O(install_timeout) + O(restart_timeout) in the window. A run that finds the window closed stops, and the next
    run, scheduled in the next window, plans the computers left anew, from the start of O(serial) (a canary again).
  - B(Durations) - from the JSON reports of earlier runs in O(report_dir) (the last 20). A batch that started alone
    gives a first duration (start to end); a batch pre-staged during the one before gives a pace (the previous end
    to its own); a package batch gives a duration per host. The spread is the shortest (best), the median
    (expected) and the longest (worst) measured. With no report the forecast says so and assumes a batch takes a
    quarter (best), half (expected) or all (worst) of O(cutoff), the most a batch's waits allow.
  - B(Left out) - failures that stop a run, computers that go offline or are held back at their batch, and the time
    a scheduled job takes to start in its window. The forecast assumes a run starts at each window's opening (an
    AWX schedule inside every window, see C(extensions/awx)).
  - Reads only; changes nothing.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.rollout_plan
  - endpoint_ops.sepm.attributes.info_module
options:
  start:
    description:
      - When the run would start, as ISO 8601 with an offset (C(2026-12-05T21:00:00+00:00)); empty is now, on the
        O(clock). With O(variable_prefix), read from C(<prefix>forecast_start).
    type: str
    default: ""
notes:
  - Runs on the controller as an action plugin; the module file holds its documentation.
  - The rollout role shows the same forecast in its progress lines and reports, updated after each batch at the run's
    own pace.
seealso:
  - module: endpoint_ops.sepm.rollout_plan
'''

EXAMPLES = r'''
- name: When will the servers be patched?
  endpoint_ops.sepm.rollout_forecast:
    groups: ['My Company\Servers']
    serial: [1, "25%"]
    windows:
      - {days: [sat, sun], start: "22:00", duration: 4h, timezone: Europe/Berlin}
    report_dir: /var/lib/sepm/reports
  register: forecast

- name: Show it
  ansible.builtin.debug:
    msg: "{{ forecast.lines }}"
'''

RETURN = r'''
line:
  description: The forecast in one line.
  returned: success
  type: str
  sample: >-
    at this pace, done on Sun 13 Dec 2026 00:40 Europe/Berlin in 2 windows
    (best Sat 12 Dec 2026 23:55 Europe/Berlin, worst Sun 20 Dec 2026 00:10 Europe/Berlin in 3 windows)
basis:
  description: Where the batch durations come from (measured runs, or the stated default).
  returned: success
  type: str
lines:
  description: The line, the basis, one line per window (its batches and computers) and one per SEPM group (its last window).
  returned: success
  type: list
  elements: str
forecast:
  description: The forecast in full.
  returned: success
  type: dict
  contains:
    start:
      description: When the forecast starts (ISO 8601, UTC).
      type: str
    computers:
      description: Computers the forecast places.
      type: int
    finish:
      description: When the last computer is patched - C(best), C(expected) and C(worst) (ISO 8601, UTC; null when no window has room).
      type: dict
    windows_needed:
      description: How many windows the rollout takes - C(best), C(expected) and C(worst).
      type: dict
    windows:
      description: The windows used (expected case) - C(number), C(opens), C(closes), C(batches) (labels) and C(computers).
      type: list
      elements: dict
    batches:
      description: >-
        Each batch (expected case) - C(label) (C(<run>.<batch>) for the batches a later run plans), C(method),
        C(computers), C(starts), C(restarts), C(finishes) and its C(window).
      type: list
      elements: dict
    groups:
      description: Each SEPM group - C(group), C(finishes) and the C(window) its last computer is patched in.
      type: list
      elements: dict
    durations:
      description: Seconds of a C(first) batch, of the C(pace) after it and of a C(package_host) - best, expected, worst, and how many were measured.
      type: dict
    runs_measured:
      description: Earlier runs whose reports gave durations.
      type: int
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import controller_only
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import FORECAST_OPTIONS


def main():
    controller_only("rollout_forecast", FORECAST_OPTIONS)


if __name__ == "__main__":
    main()
