# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Maintenance window filters: window_open, window_time_left, window_next_open.

The documentation of each filter is in the YAML file of the same name next to this one.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import (
    as_datetime,
    is_open,
    next_open,
    parse_windows,
    time_left,
)


def _call(function, windows, now):
    try:
        return function(parse_windows(windows), as_datetime(now))
    except ValueError as error:  # WindowError included
        raise AnsibleFilterError(str(error)) from None


def window_open(windows, now=None):
    """True when any of the windows is open at ``now`` (default: the current time)."""
    return _call(is_open, windows, now)


def window_time_left(windows, now=None):
    """Whole seconds the schedule stays open from ``now``; 0 when closed."""
    return int(_call(time_left, windows, now).total_seconds())


def window_next_open(windows, now=None):
    """ISO-8601 time of the next opening (``now`` when open), or None when no window opens again."""
    moment = _call(next_open, windows, now)
    return moment.isoformat() if moment is not None else None


class FilterModule:
    """Maintenance window filters."""

    def filters(self):
        return {
            "window_open": window_open,
            "window_time_left": window_time_left,
            "window_next_open": window_next_open,
        }
