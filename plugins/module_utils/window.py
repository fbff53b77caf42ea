# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Maintenance windows. Pure Python (datetime, zoneinfo, re): no Ansible or HTTP import.

A window is a dict as a user writes it in YAML::

    days: [sat, sun]          # weekday names (mon..sun or full names, any case)
    start: "22:00"            # local wall-clock start, 24 h (only with days)
    duration: 4h              # 4h, 90m, 1h30m, 2d or an int of minutes; > 0 and <= 7 days
    timezone: Europe/Berlin   # IANA name, required
    start_date: 2026-01-01    # optional, inclusive: first local date a window may START on
    end_date: 2026-12-31      # optional, inclusive: last local date a window may START on
    exclude_dates: [2026-12-24]   # optional: no window STARTS on these local dates

or, instead of ``days`` and ``start``, ``cron: "0 22 * * 1-5"`` (minute hour day-of-month
month day-of-week; ``*``, lists, ranges, steps and the names JAN-DEC / SUN-SAT). A window
opens at each cron match. When both day-of-month and day-of-week are restricted, a day
matches when either does (standard cron); as in Vixie cron, a field that begins with ``*``
(``*/2`` included) counts as unrestricted for that rule. Day-of-week 0 and 7 are Sunday.

Several windows form a schedule (a list): the schedule is open when any window is. Times
are half-open intervals: a window is open at its opening instant, closed at its end.

Days and dates
    An occurrence belongs to the local date it STARTS on: ``days``, ``start_date``,
    ``end_date`` and ``exclude_dates`` are checked against that date, so a Friday 22:00 + 4h
    window runs into Saturday and an excluded Saturday does not cut it short.

Daylight saving time (our choices)
    * The wall-clock start holds: a 22:00 window opens at 22:00 local time on both sides of
      a change.
    * The end is the wall-clock start plus the duration in wall-clock terms, then placed in
      the zone; the real length is what the zone gives on that night (01:00 + 3h across a
      spring-forward night lasts 2 real hours, across a fall-back night 4).
    * A start that does not exist (inside a spring-forward gap, e.g. 02:30 in Europe/Berlin
      on the last Sunday of March) opens at the first valid instant after the gap (03:00
      CEST). A nonexistent end moves the same way.
    * An ambiguous start (inside a fall-back overlap) opens ONCE, at its first occurrence
      (fold=0); an ambiguous end is its first occurrence too.
    * An occurrence whose start and end fall in the same gap has no real length and does
      not open that day.

Look-ahead limits
    ``next_open`` looks up to 8 years ahead (so ``0 0 29 2 *`` is found) and returns None
    when nothing opens before; ``time_left`` follows chained or overlapping windows for at
    most 35 days and returns that cap for a schedule that stays open longer.

The SEPM restart schedule (``to_restart_schedule``)
    The group location setting ``configuration.general_settings.restart.schedule`` has
    ``time`` ("HH:MM"), ``time_window`` (int), ``randomize_start_time`` and a boolean per
    weekday. The Groups.json reference gives ``time_window`` no description; the console
    calls it "Randomize the start time to be + or -" N hours (1 to 8 hours), so we read it
    as whole hours either side of ``time``. A window of 2h..16h in whole even hours is
    written with ``time`` at its middle and ``time_window`` half its length: restarts then
    fall inside the window whether the SEPM randomizes either side of ``time`` or only
    after it. The schedule has no time zone: the SEPM applies it in each client's local
    time, so the window's zone is returned alongside for the caller to warn about.
"""

from __future__ import annotations

import datetime
import heapq
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.cron import Cron
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError

__all__ = [
    "Window", "WindowError", "parse_window", "parse_windows", "is_open", "time_left", "next_open",
    "occurrences", "to_restart_schedule", "as_datetime", "parse_duration", "MAX_DURATION", "TIME_LEFT_CAP", "NEXT_OPEN_HORIZON",
]

MAX_DURATION = datetime.timedelta(days=7)
TIME_LEFT_CAP = datetime.timedelta(days=35)
NEXT_OPEN_HORIZON = datetime.timedelta(days=8 * 366)

_UTC = datetime.timezone.utc
_KEYS = ("days", "cron", "start", "duration", "timezone", "start_date", "end_date", "exclude_dates")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NAMES = dict((name, number) for number, name in enumerate(_WEEKDAYS))
_DAY_NAMES.update((name[:3], number) for number, name in enumerate(_WEEKDAYS))
_START = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


class WindowError(SepmInputError):
    """A malformed window; the message is one line naming the window and the field."""


class Window:
    """One parsed maintenance window (see the module docstring). Build it with parse_window()."""

    def __init__(self, index, zone, duration, days=None, start=None, cron=None,
                 start_date=None, end_date=None, exclude_dates=frozenset(), source=None):
        self.index = index
        self.zone = zone
        self.duration = duration
        self.days = days
        self.start = start
        self.cron = cron
        self.start_date = start_date
        self.end_date = end_date
        self.exclude_dates = exclude_dates
        self.source = source

    @property
    def timezone(self):
        return self.zone.key

    def __repr__(self):
        return "Window(%d, %r)" % (self.index, self.source)

    def starts_on(self, day):
        """Naive local wall-clock starts of the occurrences that start on local date ``day``."""
        if self.start_date and day < self.start_date or self.end_date and day > self.end_date:
            return []
        if day in self.exclude_dates:
            return []
        if self.cron is not None:
            if not self.cron.matches_day(day):
                return []
            return [datetime.datetime.combine(day, moment) for moment in self.cron.times]
        if day.weekday() not in self.days:
            return []
        return [datetime.datetime.combine(day, self.start)]

    def iter_occurrences(self, first_day, last_day):
        """(open, close) UTC pairs of the occurrences starting on local dates first_day..last_day, by open."""
        day = max(first_day, self.start_date) if self.start_date else first_day
        last = min(last_day, self.end_date) if self.end_date else last_day
        one_day = datetime.timedelta(days=1)
        while day <= last:
            for wall in self.starts_on(day):
                opens = _localize(wall, self.zone)
                closes = _localize(wall + self.duration, self.zone)
                if closes > opens:
                    yield opens, closes
            day += one_day


def _localize(wall, zone):
    """UTC instant of naive local ``wall`` in ``zone``: fold=0 when ambiguous, the end of the gap when nonexistent."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(_UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # Inside a gap: fold=0 uses the offset before the change (an instant after it), fold=1 the
    # offset after it (an instant before it). The change lies between; find it to the second.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(_UTC)
    high = first
    if low > high:
        low, high = high, low
    before = low.astimezone(zone).utcoffset()
    while high - low > datetime.timedelta(seconds=1):
        middle = low + (high - low) // 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            break
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high


def _where(index):
    return "window %d" % index


def parse_duration(value, where):
    if isinstance(value, bool) or value is None:
        raise WindowError("%s: duration %r is not a duration such as '4h', '90m', '1h30m', '2d' or a number of minutes"
                          % (where, value))
    if isinstance(value, int):
        minutes = value
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if text.isdigit():
            minutes = int(text)
        else:
            found = _DURATION.match(text)
            if not text or not found:
                raise WindowError("%s: duration %r is not a duration such as '4h', '90m', '1h30m', '2d' or a number of minutes"
                                  % (where, value))
            days, hours, mins = (int(part or 0) for part in found.groups())
            minutes = days * 1440 + hours * 60 + mins
    else:
        raise WindowError("%s: duration %r is not a duration such as '4h', '90m', '1h30m', '2d' or a number of minutes"
                          % (where, value))
    # Compared as minutes first: a huge count ("99999999999999d") overflows timedelta.
    if not 0 < minutes <= MAX_DURATION.total_seconds() // 60:
        raise WindowError("%s: duration must be more than 0 and at most 7 days, got %r" % (where, value))
    duration = datetime.timedelta(minutes=minutes)
    if not datetime.timedelta(0) < duration <= MAX_DURATION:
        raise WindowError("%s: duration must be more than 0 and at most 7 days, got %r" % (where, value))
    return duration


def _parse_start(value, where):
    if isinstance(value, int) and not isinstance(value, bool):
        raise WindowError("%s: start %d is not a time 'HH:MM': quote it, YAML 1.1 reads an unquoted 22:00 as the number 1320"
                          % (where, value))
    found = _START.match(value.strip()) if isinstance(value, str) else None
    if not found:
        raise WindowError("%s: start %r is not a 24-hour time 'HH:MM'" % (where, value))
    return datetime.time(int(found.group(1)), int(found.group(2)))


def _parse_date(value, field, where):
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise WindowError("%s: %s %r is not a date 'YYYY-MM-DD'" % (where, field, value))


def _parse_zone(value, where):
    if not isinstance(value, str) or not value.strip():
        raise WindowError("%s: timezone %r is not a known IANA time zone" % (where, value))
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise WindowError("%s: timezone %r is not a known IANA time zone" % (where, value)) from None


def _parse_days(value, where):
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not names:
        raise WindowError("%s: days must be a non-empty list of weekday names (mon..sun), got %r" % (where, value))
    days = set()
    for name in names:
        number = _DAY_NAMES.get(name.strip().lower()) if isinstance(name, str) else None
        if number is None:
            raise WindowError("%s: days: %r is not a weekday name (mon..sun or monday..sunday)" % (where, name))
        days.add(number)
    return frozenset(days)


def parse_window(data, index=1):
    """A Window from one user dict; WindowError (one line naming the field) when malformed."""
    if isinstance(data, Window):
        return data
    where = _where(index)
    if not isinstance(data, dict):
        raise WindowError("%s: must be a dict with days or cron, start, duration and timezone, got %s" % (where, type(data).__name__))
    unknown = sorted(str(key) for key in data if key not in _KEYS)
    if unknown:
        raise WindowError("%s: unknown key %s (known: %s)" % (where, ", ".join(repr(key) for key in unknown), ", ".join(_KEYS)))
    has_days, has_cron = data.get("days") is not None, data.get("cron") is not None
    if has_days and has_cron:
        raise WindowError("%s: days and cron are mutually exclusive: give exactly one" % where)
    if not has_days and not has_cron:
        raise WindowError("%s: days or cron is required: give exactly one" % where)
    if data.get("timezone") is None:
        raise WindowError("%s: timezone is required (an IANA name such as 'Europe/Berlin')" % where)
    if data.get("duration") is None:
        raise WindowError("%s: duration is required (such as '4h', '90m', '1h30m', '2d' or a number of minutes)" % where)
    zone = _parse_zone(data["timezone"], where)
    duration = parse_duration(data["duration"], where)
    days = start = cron = None
    if has_cron:
        if data.get("start") is not None:
            raise WindowError("%s: start is not allowed with cron: the cron expression gives the start times" % where)
        if not isinstance(data["cron"], str):
            raise WindowError("%s: cron must be a string such as '0 22 * * 1-5', got %r" % (where, data["cron"]))
        cron = Cron(data["cron"].strip(), where, WindowError)
    else:
        if data.get("start") is None:
            raise WindowError("%s: start is required with days (a 24-hour time 'HH:MM')" % where)
        days = _parse_days(data["days"], where)
        start = _parse_start(data["start"], where)
    start_date = _parse_date(data["start_date"], "start_date", where) if data.get("start_date") is not None else None
    end_date = _parse_date(data["end_date"], "end_date", where) if data.get("end_date") is not None else None
    if start_date and end_date and end_date < start_date:
        raise WindowError("%s: end_date %s is before start_date %s" % (where, end_date, start_date))
    excluded = data.get("exclude_dates")
    if excluded is None:
        excluded = []
    if not isinstance(excluded, (list, tuple)):
        raise WindowError("%s: exclude_dates must be a list of dates 'YYYY-MM-DD', got %r" % (where, excluded))
    exclude_dates = frozenset(_parse_date(value, "exclude_dates", where) for value in excluded)
    return Window(index, zone, duration, days=days, start=start, cron=cron, start_date=start_date,
                  end_date=end_date, exclude_dates=exclude_dates, source=dict(data))


def parse_windows(windows):
    """A list of Window from one window dict or a list of them (Window objects pass through)."""
    if isinstance(windows, (dict, Window)):
        windows = [windows]
    if not isinstance(windows, (list, tuple)):
        raise WindowError("windows must be a window dict or a list of them, got %s" % type(windows).__name__)
    if not windows:
        raise WindowError("windows: at least one window is required")
    return [parse_window(window, index) for index, window in enumerate(windows, 1)]


def _check_now(now, name="now"):
    if not isinstance(now, datetime.datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise SepmInputError("%s must be a timezone-aware datetime, got %r" % (name, now))
    return now.astimezone(_UTC)


def as_datetime(value, name="now"):
    """A timezone-aware datetime from a datetime, an ISO-8601 string with an offset or epoch seconds; None is now (UTC)."""
    if value is None:
        return datetime.datetime.now(_UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.datetime.fromtimestamp(value, _UTC)
        except (OverflowError, OSError, ValueError):
            # Epoch seconds beyond the years datetime can hold (1e13, inf, nan).
            raise SepmInputError("%s %r is not a time in epoch seconds that a calendar can hold" % (name, value)) from None
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            raise SepmInputError("%s %r is not an ISO-8601 date and time" % (name, value)) from None
    _check_now(value, name)
    return value


def _raw(windows, since, horizon):
    """Occurrences of all windows by open time, from those that may still be open at ``since``."""
    streams = []
    for window in windows:
        local = since.astimezone(window.zone).date()
        first = local - MAX_DURATION - datetime.timedelta(days=1)
        last = local + horizon + datetime.timedelta(days=1)
        streams.append(window.iter_occurrences(first, last))
    return heapq.merge(*streams, key=lambda pair: pair[0])


def is_open(windows, now):
    """True when any window is open at ``now`` (a timezone-aware datetime)."""
    windows = parse_windows(windows)
    now = _check_now(now)
    for opens, closes in _raw(windows, now, datetime.timedelta(days=1)):
        if opens > now:
            break
        if closes > now:
            return True
    return False


def time_left(windows, now):
    """How long the schedule stays open from ``now``: zero when closed; follows overlapping and chained windows."""
    windows = parse_windows(windows)
    now = _check_now(now)
    end = None
    for opens, closes in _raw(windows, now, TIME_LEFT_CAP):
        if opens > now and (end is None or opens > end):
            break
        if opens <= now and closes <= now:
            continue
        end = closes if end is None else max(end, closes)
        if end - now >= TIME_LEFT_CAP:
            return TIME_LEFT_CAP
    return end - now if end is not None else datetime.timedelta(0)


def next_open(windows, now):
    """``now`` when open, else the next opening (UTC); None when no window opens within 8 years."""
    windows = parse_windows(windows)
    now_utc = _check_now(now)
    for opens, closes in _raw(windows, now_utc, NEXT_OPEN_HORIZON):
        if closes > now_utc:
            return now if opens <= now_utc else opens
        if opens > now_utc + NEXT_OPEN_HORIZON:
            break
    return None


def occurrences(windows, start, end):
    """The open periods of the schedule within [start, end): sorted, disjoint (open, close) UTC pairs.

    Overlapping or touching occurrences (of one or several windows) are merged, and each pair
    is clipped to [start, end).
    """
    windows = parse_windows(windows)
    start = _check_now(start, "start")
    end = _check_now(end, "end")
    result = []
    if end <= start:
        return result
    for opens, closes in _raw(windows, start, end - start):
        if opens >= end:
            break
        if closes <= start:
            continue
        opens, closes = max(opens, start), min(closes, end)
        if result and opens <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], closes))
        else:
            result.append((opens, closes))
    return result


def to_restart_schedule(window):
    """Map a days/start/duration window onto the SEPM group restart schedule.

    Returns ``{"schedule": {...}, "timezone": "<IANA name>"}``: ``schedule`` has exactly the
    fields of ``configuration.general_settings.restart.schedule`` (see the module docstring for
    the reading of ``time_window``); ``timezone`` is the window's zone, which the SEPM schedule
    cannot carry (it runs in each client's local time).
    """
    window = parse_window(window)
    where = _where(window.index)
    if window.cron is not None:
        raise WindowError("%s: cron windows cannot be written as a SEPM restart schedule, which takes weekdays and a start time" % where)
    for field in ("start_date", "end_date", "exclude_dates"):
        if getattr(window, field):
            raise WindowError("%s: %s cannot be written as a SEPM restart schedule, which repeats every week" % (where, field))
    minutes = int(window.duration.total_seconds()) // 60
    if minutes % 120 or not 120 <= minutes <= 960:
        raise WindowError("%s: duration %r cannot be written as a SEPM restart schedule: it randomizes restarts by 1 to 8 whole hours "
                          "either side of its time, so the duration must be an even number of hours from 2h to 16h"
                          % (where, window.source.get("duration")))
    half = minutes // 2
    middle = window.start.hour * 60 + window.start.minute + half
    shift, middle = divmod(middle, 1440)
    days = frozenset((day + shift) % 7 for day in window.days)
    schedule = {
        "time": "%02d:%02d" % divmod(middle, 60),
        "time_window": half // 60,
        "randomize_start_time": True,
    }
    for number, name in enumerate(_WEEKDAYS):
        schedule[name] = number in days
    return {"schedule": schedule, "timezone": window.timezone}
