# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Writes a run's JSON report and its HTML page on the controller (see the rollout_report module for its documentation).

It reads the run's file, not the SEPM, so it takes no connection options. The page is the role's
template rendered with Jinja2 itself (``plugin_utils/report_page.py`` says why).
"""

from __future__ import annotations

import os
import traceback

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rollout
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.plugin_utils.report_page import DEFAULT_TEMPLATE, render_page


class ActionModule(ActionBase):

    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        validated = ArgumentSpecValidator(rollout.REPORT_OPTIONS).validate(dict(self._task.args))
        if validated.error_messages:
            result.update(failed=True, msg="; ".join(validated.error_messages))
            return result
        params = validated.validated_parameters
        template = params["html_template"] or DEFAULT_TEMPLATE
        page = (lambda report: render_page(report, template)) if params["html"] else None
        try:
            if params["html_template"] and not os.path.isfile(template):
                raise SepmInputError("html_template: %s is not a file" % template)
            result.update(rollout.report(params["run"], params["error"], keep_run=params["keep_run"],
                                         write=not self._play_context.check_mode, page=page))
            result["report_html"] = result["report_html"] if params["html"] else None
        except (SepmInputError, OSError) as exc:
            result.update(failed=True, msg=str(exc))
        except Exception as exc:  # pylint: disable=broad-except
            result.update(failed=True, msg="%s: %s (a bug in endpoint_ops.sepm; please report it)" % (type(exc).__name__, exc),
                          exception=traceback.format_exc())
        return result
