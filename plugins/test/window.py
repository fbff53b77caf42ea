# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Maintenance window test: ``when: windows is endpoint_ops.sepm.window_open``.

The documentation is in window_open.yml next to this file.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import as_datetime, is_open, parse_windows


def window_open(windows, now=None):
    """True when any of the windows is open at ``now`` (default: the current time)."""
    try:
        return is_open(parse_windows(windows), as_datetime(now))
    except ValueError as error:  # WindowError included
        raise AnsibleFilterError(str(error)) from None


class TestModule:
    """Maintenance window tests."""

    def tests(self):
        return {"window_open": window_open}
