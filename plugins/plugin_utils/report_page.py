# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rollout report's HTML page: the role's template ``report.html.j2`` over the JSON report, rendered with Jinja2 itself.

The page lists every computer, so at fleet scale its template runs over tens of thousands of hosts.
Through ``ansible.builtin.template`` each host costs ansible-core's templating of every value it
touches (on 2.19, its lazy containers and trust checks: about 8 s for a report of 20,000);
with Jinja2 alone the same template takes 0.6 s. So ``rollout_report`` renders it
here, with the template module's defaults (``trim_blocks``, no trailing newline kept) and the two
Ansible filters the template uses (``bool``, ``dict2items``). The report is data, never a template:
nothing in it is rendered. The sandbox keeps the template itself to formatting; autoescaping is on,
and the template escapes what it prints anyway.
"""

from __future__ import annotations

import os

from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment

from ansible.module_utils.parsing.convert_bool import boolean

TEMPLATE_NAME = "report.html.j2"
# The collection's own copy: roles/rollout/templates/, beside plugins/.
DEFAULT_TEMPLATE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "roles", "rollout", "templates", TEMPLATE_NAME)


def _dict2items(mapping, key_name="key", value_name="value"):
    return [{key_name: key, value_name: value} for key, value in mapping.items()]


def _bool(value):
    return boolean(value, strict=False)


def render_page(report, template_path=DEFAULT_TEMPLATE):
    """The HTML page of a JSON report (a dict), from the template at ``template_path`` (which sees it as ``rollout_report``)."""
    folder, name = os.path.split(os.path.abspath(template_path))
    environment = SandboxedEnvironment(loader=FileSystemLoader(folder), autoescape=True, trim_blocks=True,
                                       keep_trailing_newline=False)
    environment.filters.update(bool=_bool, dict2items=_dict2items)
    return environment.get_template(name).render(rollout_report=report)
