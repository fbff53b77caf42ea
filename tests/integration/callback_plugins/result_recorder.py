# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test-only callback: writes every task result of a playbook run to a JSON file.

The integration tests read what a module returned from this file instead of parsing
the human output. Enabled by tests/integration/ansible_runner.py only.
"""

from __future__ import annotations

DOCUMENTATION = r'''
name: result_recorder
type: aggregate
short_description: Record task results to a JSON file (integration tests only)
description:
  - Writes a list of task results to the file named by the RESULT_RECORDER_PATH environment variable.
requirements:
  - enable in configuration
'''

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "result_recorder"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._records = []

    def _record(self, result, status):
        self._records.append({
            "task": result._task.get_name(),
            "host": result._host.get_name(),
            "status": status,
            "result": result._result,
        })

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("RESULT_RECORDER_PATH")
        if not path:
            return
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self._records, handle, default=str, indent=1)
