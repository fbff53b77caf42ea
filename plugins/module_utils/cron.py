# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Cron expressions of maintenance windows (``window.py``): five fields, parsed once. Pure Python.

``minute hour day-of-month month day-of-week``: ``*``, lists, ranges, steps and the names JAN-DEC /
SUN-SAT. When both day-of-month and day-of-week are restricted, a day matches when either does
(standard cron); as in Vixie cron, a field that begins with ``*`` (``*/2`` included) counts as
unrestricted for that rule. Day-of-week 0 and 7 are Sunday.
"""

from __future__ import annotations

import datetime

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError

__all__ = ["Cron"]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, low, high, names or None, offset of the first name)
_CRON_FIELDS = (
    ("minute", 0, 59, None, 0),
    ("hour", 0, 23, None, 0),
    ("day-of-month", 1, 31, None, 0),
    ("month", 1, 12, _MONTHS, 1),
    ("day-of-week", 0, 7, _CRON_DAYS, 0),
)
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class Cron:
    """A parsed 5-field cron expression; a malformed one raises ``error`` with one line that says where."""

    def __init__(self, text, where, error=SepmInputError):
        self.text = text
        fields = text.split()
        if len(fields) != 5:
            raise error("%s: cron %r must have 5 fields (minute hour day-of-month month day-of-week), got %d"
                        % (where, text, len(fields)))
        sets = []
        for field, spec in zip(fields, _CRON_FIELDS):
            sets.append(self._parse_field(field, spec, "%s: cron %r" % (where, text), error))
        self.minutes, self.hours, self.mdays, self.months, wdays = sets
        self.wdays = frozenset(day % 7 for day in wdays)
        self.mday_star = fields[2].startswith("*")
        self.wday_star = fields[4].startswith("*")
        self.times = tuple(datetime.time(hour, minute) for hour in sorted(self.hours) for minute in sorted(self.minutes))
        if self.wday_star and not any(day <= _MONTH_DAYS[month - 1] for month in self.months for day in self.mdays):
            raise error("%s: cron %r never matches: no month given has those days" % (where, text))

    @staticmethod
    def _value(token, spec, where, error):
        name, low, high, names, offset = spec
        if names and token.lower() in names:
            return names.index(token.lower()) + offset
        if not token.isdigit():
            raise error("%s: %s %r is not a number%s" % (where, name, token, " or a name" if names else ""))
        value = int(token)
        if not low <= value <= high:
            raise error("%s: %s %d out of range %d-%d" % (where, name, value, low, high))
        return value

    @classmethod
    def _parse_field(cls, field, spec, where, error):
        name, low, high = spec[0], spec[1], spec[2]
        values = set()
        for item in field.split(","):
            if not item:
                raise error("%s: %s has an empty list item" % (where, name))
            base, _sep, step_text = item.partition("/")
            step = 1
            if _sep:
                if not step_text.isdigit() or int(step_text) == 0:
                    raise error("%s: %s step %r must be a whole number above 0" % (where, name, step_text))
                step = int(step_text)
            if base == "*":
                first, last = low, high
            elif "-" in base:
                first_text, last_text = base.split("-", 1)
                first, last = cls._value(first_text, spec, where, error), cls._value(last_text, spec, where, error)
                if first > last:
                    raise error("%s: %s range %s runs backwards" % (where, name, base))
            else:
                first = cls._value(base, spec, where, error)
                last = high if _sep else first
            values.update(range(first, last + 1, step))
        return frozenset(values)

    def matches_day(self, day):
        if day.month not in self.months:
            return False
        in_month = day.day in self.mdays
        in_week = (day.weekday() + 1) % 7 in self.wdays
        if self.mday_star or self.wday_star:
            return in_month and in_week
        return in_month or in_week
