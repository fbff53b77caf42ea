#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: rollout_report
short_description: Write the JSON report and the HTML page of a rollout run and end the run
version_added: 0.2.0
description:
  - Runs on the controller (an action plugin). Reads the run that O(run) names (the handle of
    M(endpoint_ops.sepm.rollout_plan)), writes its JSON report C(rollout-<UTC start>Z.json) and its HTML page
    C(rollout-<UTC start>Z.html) into the run's report folder, returns the totals and the reports' paths, and removes
    the run's file.
  - The report holds every computer's state, reason, batch, method, versions before and after and step times; every
    batch's entry (a batch that never ran has no start, and C(not_run) says why); the totals, the timeline and the
    forecast. Its shape is C(docs/rollout-report.schema.json) in the collection. Nothing secret goes into it.
  - With O(error) (why a batch failed on an error), the report says the run failed on it, and every computer the run
    did not reach is C(skipped) with that reason.
  - The JSON report has one line per part, and one per computer and per batch, with the computers last; the forecast
    reads earlier reports up to their computers only.
  - The HTML page is the template C(roles/rollout/templates/report.html.j2) of the collection (or O(html_template))
    over the JSON report, rendered with Jinja2 itself rather than the template module, so a page of 20,000 computers
    takes under a second. The template sees the report as C(rollout_report), with the Jinja2 filters and tests and the
    C(bool) and C(dict2items) filters; nothing in the report is rendered as a template.
  - Reads no SEPM and takes no connection options. In check mode it writes no report and only ends the run.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.attributes.info_module
  - endpoint_ops.sepm.rollout_run
options:
  error:
    description:
      - Why the run failed on an error (a task's message), or empty.
    type: str
    default: ""
  keep_run:
    description:
      - Keep the run's file after the report (for a look at it); a later run never reads it.
    type: bool
    default: false
  html:
    description:
      - Write the HTML page beside the JSON report.
    type: bool
    default: true
  html_template:
    description:
      - A Jinja2 template of one's own for the HTML page (it sees the report as C(rollout_report)); empty for the
        collection's.
    type: path
    default: ""
notes:
  - Runs on the controller as an action plugin; the module file holds its documentation.
'''

EXAMPLES = r'''
- name: Write the report of the run
  endpoint_ops.sepm.rollout_report:
    run: "{{ plan.run }}"
  register: outcome
'''

RETURN = r'''
report_json:
  description: The JSON report's path.
  returned: success
  type: str
report_html:
  description: The HTML page's path (null with O(html=false)).
  returned: success
  type: str
totals:
  description: Computers by state (C(total), C(patched), C(compliant), C(failed), C(deferred), C(skipped)).
  returned: success
  type: dict
stopped:
  description: Why the run stopped, or null.
  returned: success
  type: str
run_failed:
  description: The run failed - it stopped on failures, or failed on an error.
  returned: success
  type: bool
error:
  description: The error the run failed on, or null.
  returned: success
  type: str
target_version:
  description: The version the run patched to.
  returned: success
  type: str
failed_count:
  description: How many computers failed.
  returned: success
  type: int
failed_hosts:
  description: The first 50 computers that failed (every one is in the report).
  returned: success
  type: list
  elements: str
forecast_line:
  description: When what is left will be done, or null when nothing is left.
  returned: success
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import REPORT_OPTIONS


def main():
    module = AnsibleModule(argument_spec=REPORT_OPTIONS, supports_check_mode=True)
    module.fail_json(msg="endpoint_ops.sepm.rollout_report runs on the controller through its action plugin; "
                         "call it as a task of a play on the controller")


if __name__ == "__main__":
    main()
