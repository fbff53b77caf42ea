# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""When a rollout will be done: its planned batches placed in the maintenance windows. Pure Python.

The forecast takes the batches ``plan.py`` made and the windows of ``window.py`` and places
each batch by the rules a run obeys (``rollout.py``):

* a liveupdate batch starts only with the window open and at least ``cutoff`` seconds left
  (the run's gate), and only one batch restarts at a time;
* the next liveupdate batch is pre-staged while this one restarts, when ``cutoff`` still fits
  the window at that moment: it then finishes one *pace* after this one (the time between
  two batches' ends in a pipelined run), else it starts after this one, as a first batch;
* a package batch goes host by host, each host needing ``install_timeout`` +
  ``restart_timeout`` in the window;
* a run that finds the window closed (or too short for the next step) stops, and the next
  run, scheduled in the next window, goes on: the forecast moves the batch to the next
  opening with room for it;
* a soak ends a run once its soaked computers are placed, as a closed window does: the next
  batch waits until the soak's end, and so maybe for a later window;
* a later run plans its batches anew from the serial's start, with the plan's HA and group
  budget rooms: the batches it places are the budgeted ones, with HA partners two batches
  apart as ``plan.py`` keeps them, planned one at a time (``iter_batches``), so without the
  plan's check against the batches planned without that (where the check would drop the
  spacing, a later run may be forecast a batch longer).

Durations come from earlier runs (the ``batches`` of their JSON reports, or this run's log; ``forecast_samples.py``):
a liveupdate batch that started alone gives a *first* duration (its start to its end), one
pre-staged during the batch before gives a *pace* (the previous batch's end to its own); a
package batch gives a duration per host. The spread is the shortest (best), the median
(expected) and the longest (worst) of each, and at least 25 % either side of the median while
fewer than 5 were measured. With nothing measured the forecast assumes
``DEFAULT_SHARE`` of the step's budget (``cutoff``; install + restart timeouts per package
host): a quarter at best, half expected, all of it at worst, since a step's waits time out
there.

A forecast leaves out what a run cannot know ahead: failures that stop it, computers
offline or held back at their batch, and the time a run takes to start in a window.
"""

from __future__ import annotations

import datetime
import itertools
from collections import Counter

# The measurements are forecast's API too: callers import them from here.
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.forecast_samples import (
    CASES, DEFAULT_SHARE, durations_from_log, durations_from_reports, load_reports, moment_of, spread)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.plan import iter_batches, spaces_partners
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import next_open, occurrences, parse_windows, time_left

__all__ = ["CASES", "DEFAULT_SHARE", "durations_from_log", "durations_from_reports", "spread", "forecast_run",
           "forecast_line", "forecast_lines", "forecast_basis", "stop_line", "load_reports", "display_zone", "plan_next_run"]

# How far ahead a batch is looked for a window with room; beyond that the forecast says never.
HORIZON = datetime.timedelta(days=2 * 366)
LOOKBACK = datetime.timedelta(days=8)
_UTC = datetime.timezone.utc


def _iso(moment):
    return moment.astimezone(_UTC).isoformat(timespec="seconds") if moment else None


class _Schedule:
    """The windows as open periods (overlapping and touching windows merged): where a step may start."""

    def __init__(self, windows):
        self.windows = parse_windows(windows) if windows else []
        self.periods = []

    def room_at(self, moment):
        """(opens, closes) of the open period holding ``moment``, or None when the windows are closed then."""
        if not self.windows:
            return (moment, moment + HORIZON * 4)
        left = time_left(self.windows, moment)
        if not left:
            return None
        opens = moment
        for since, until in occurrences(self.windows, moment - LOOKBACK, moment + datetime.timedelta(seconds=1)):
            if since <= moment < until:
                opens = since
        return (opens, moment + left)

    def fits(self, moment, need, period=None):
        """True when ``need`` seconds from ``moment`` lie in one open period (the ``period``-th one, if given)."""
        if period is not None:
            opens, closes = self.periods[period]
            return opens <= moment and (closes - moment).total_seconds() >= need
        room = self.room_at(moment)
        return room is not None and (room[1] - moment).total_seconds() >= need

    def earliest(self, moment, need):
        """The first moment from ``moment`` with ``need`` seconds of open window ahead; None within the horizon."""
        limit = moment + HORIZON
        while moment <= limit:
            if not self.windows:
                return moment
            opens = next_open(self.windows, moment)
            if opens is None or opens > limit:
                return None
            closes = opens + time_left(self.windows, opens)
            if (closes - opens).total_seconds() >= need:
                return opens
            moment = closes
        return None

    def period(self, moment):
        """The number (from 0, in order of first use) of the open period holding ``moment``."""
        for index, (opens, closes) in enumerate(self.periods):
            if opens <= moment < closes:
                return index
        self.periods.append(self.room_at(moment))
        return len(self.periods) - 1


def _step_need(batch, options, durations):
    """Seconds the next step of ``batch`` needs in the window: a liveupdate batch, or one host of a package batch.

    A step is given its budget (the cutoff, or install and restart timeouts) or its measured
    duration, whichever is longer.
    """
    if batch["method"] == "package":
        return max(float(options["install_timeout"] + options["restart_timeout"]), durations["package_host"])
    return max(float(options["cutoff"]), durations["first"])


def _place_run(batches, schedule, moment, durations, options):
    """One run from ``moment``: its batches (an iterable) in order inside one open period, until one does not fit.

    Returns the batches placed; a package batch may be placed in part. The next run takes the rest.
    """
    cutoff = float(options["cutoff"])
    first, pace, per_host = durations["first"], durations["pace"], durations["package_host"]
    period = schedule.period(moment)
    placed, previous = [], None
    for batch in batches:
        need = _step_need(batch, options, durations)
        if batch["method"] == "package":
            previous, done, starts = None, 0, moment
            while done < len(batch["hosts"]) and schedule.fits(moment, need, period):
                done += 1
                moment += datetime.timedelta(seconds=per_host)
            if done:
                placed.append(dict(batch, hosts=batch["hosts"][:done], starts=starts, restarts=starts, finishes=moment))
            if done < len(batch["hosts"]):
                break
            continue
        if previous is not None:
            # Pre-staged while the batch before restarts (when the cutoff fits then): it ends one pace after it ...
            length = max(first, pace)
            early = max(previous["starts"], previous["finishes"] - datetime.timedelta(seconds=length - pace))
            # ... and its restart, after the batch before, still needs the restart timeout in the window (its gate).
            if schedule.fits(early, max(cutoff, length), period) and schedule.fits(moment, options["restart_timeout"], period):
                previous = dict(batch, starts=early, restarts=moment, finishes=early + datetime.timedelta(seconds=length))
                placed.append(previous)
                moment = previous["finishes"]
                continue
        if not schedule.fits(moment, need, period):
            break
        previous = dict(batch, starts=moment, restarts=moment, finishes=moment + datetime.timedelta(seconds=first))
        placed.append(previous)
        moment = previous["finishes"]
    return placed


def plan_next_run(left, options, clusters, cluster_room, run, group_room=None, groups_of=None):
    """The batches the next run plans for the hosts of ``left`` (batches), liveupdate first, then package, each by its serial.

    The plan's rules hold: ``cluster_room`` per cluster and ``group_room`` per SEPM group
    (``groups_of``: a host's own group). A generator: a run that fits only a few batches in its
    window does not pay for splitting the rest.
    """
    rules = _Rules(clusters, cluster_room, group_room, groups_of)
    return _next_run(_waiting_hosts(left, rules), options, rules, run)


class _Rules:
    """What a later run plans by, beside the options: the plan's clusters and groups and their rooms, and the soak."""

    def __init__(self, clusters=None, cluster_room=None, group_room=None, groups_of=None, soak=None):  # pylint: disable=too-many-arguments
        self.clusters = clusters or {}
        self.cluster_room = cluster_room or {}
        self.group_room = group_room or {}
        self.groups_of = groups_of or {}
        self.soak = soak


def _waiting_hosts(batches, rules):
    """``{method: {name: (name, cluster, group)}}`` of the hosts of ``batches``, in their order: a run's queue."""
    waiting = {"liveupdate": {}, "package": {}}
    for batch in batches:
        pool = waiting[batch["method"]]
        for name in batch["hosts"]:
            pool[name] = (name, rules.clusters.get(name), rules.groups_of.get(name))
    return waiting


def _next_run(waiting, options, rules, run, members=None):
    """The batches of run ``run`` over the hosts of ``waiting``; ``members`` counts each cluster's waiting members."""
    number = 0
    # The run's options are normalised (``_rollout/options.py``): each method has its own serial.
    for method, serial in (("liveupdate", options["serial"]), ("package", options["package_serial"])):
        queue = list(waiting[method].values())
        spaced = spaces_partners(method, options.get("deliver_ahead"), options.get("batches_ahead"))
        for hosts in iter_batches(queue, serial, rules.cluster_room, rules.group_room, None, spaced, members) if queue else ():
            number += 1
            yield {"label": "%d.%d" % (run, number), "method": method, "hosts": hosts}


def _until_soak(batches, hosts):
    """``batches`` up to the one that completes ``hosts`` computers: the soaked ones; the run stops there."""
    for batch in batches:
        yield batch
        hosts -= len(batch["hosts"])
        if hosts <= 0:
            return


def _simulate(batches, schedule, start, durations, options, rules, run, continuing):  # pylint: disable=too-many-arguments
    """Every batch placed, run after run (one per open period), for one case's durations; and the soak's (begins, ends).

    ``continuing``: the first run is under way already, so it has no lead to spend. A soak
    (``rules.soak``: ``{"hosts": N, "for_s": s}`` or ``{"until": moment}``) ends a run once N more
    computers are placed, like a closed window, and the next run starts no earlier than its end.
    """
    placed, moment = [], start
    soak = rules.soak or {}
    hold = soak.get("hosts") if (soak.get("hosts") or 0) > 0 else None
    not_before = soak.get("until")
    span = (None, not_before) if not_before else None
    # Carried from run to run and emptied as batches are placed, so a run costs what it places.
    waiting = _waiting_hosts(batches, rules)
    members = Counter(item[1] for pool in waiting.values() for item in pool.values() if item[1] is not None)
    pending = iter(batches)
    while True:
        head = next(pending, None)
        if head is None:
            break
        # A run spends its lead (planning) before its first batch, inside the window it starts in.
        lead = 0.0 if continuing and not placed else durations["lead"]
        need = _step_need(head, options, durations) + lead
        earliest = max(moment, not_before) if not_before else moment
        at = earliest if schedule.fits(earliest, need) else schedule.earliest(earliest, need)
        if at is None:
            placed.extend(dict(batch, starts=None, restarts=None, finishes=None) for batch in itertools.chain([head], pending))
            break
        schedule.period(at)
        run_batches = itertools.chain([head], pending)
        done = _place_run(run_batches if hold is None else _until_soak(run_batches, hold), schedule,
                          at + datetime.timedelta(seconds=lead), durations, options)
        for batch in done:
            batch["window"] = schedule.period(batch["starts"])
            pool = waiting[batch["method"]]
            for name in batch["hosts"]:
                item = pool.pop(name, None)
                if item is not None and item[1] is not None:
                    members[item[1]] -= 1
        placed.extend(done)
        moment = schedule.room_at(at)[1]
        if hold is not None and done:
            hold -= sum(len(batch["hosts"]) for batch in done)
            if hold <= 0:
                # The soaked computers are placed: the run ends with them, the next starts after the soak.
                moment = max(batch["finishes"] for batch in done)
                not_before = moment + datetime.timedelta(seconds=soak["for_s"])
                span, hold = (moment, not_before), None
        run += 1
        pending = _next_run(waiting, options, rules, run, members)
    return placed, span


def forecast_run(batches, windows, start, samples, options, clusters=None, cluster_room=None, groups_of=None, run=1,  # pylint: disable=too-many-arguments
                 with_hosts=False, continuing=False, group_room=None, soak=None):
    """The forecast of ``batches`` (dicts: label, method, hosts), a run planned to start at ``start``.

    ``samples`` are measured durations (``durations_from_reports`` / ``durations_from_log``);
    ``options`` the run's (``cutoff``, timeouts, ``serial``, ``package_serial``); ``clusters``
    and ``cluster_room`` the plan's HA clusters, and ``group_room`` its group budgets (a
    batch's room per SEPM group), for the later runs' batches; ``groups_of`` maps a host to its
    own SEPM group, for those budgets and the window each group finishes in; ``run`` numbers the
    run ``batches`` belong to (later runs' batches are labelled ``<run>.<batch>``) and ``continuing``
    says that run is under way (no lead before its next batch); ``with_hosts`` lists each batch's
    hosts in its row. ``soak``: ``{"hosts": N, "for_s": seconds}`` when the soaked computers are
    the next N of ``batches`` (the soak has not begun), ``{"until": datetime}`` while it runs, else
    None (no soak, or it is over); the result's ``soak`` says when it begins and ends.
    """
    samples = samples or {}
    cutoff = float(options["cutoff"])
    durations = {
        "lead": spread(samples.get("lead") or [], 0.0),
        "first": spread(samples.get("first") or samples.get("pace") or [], cutoff),
        "pace": spread(samples.get("pace") or samples.get("first") or [], cutoff),
        "package_host": spread(samples.get("package_host") or [], float(options["install_timeout"] + options["restart_timeout"])),
    }
    cases = {}
    rules = _Rules(clusters, cluster_room, group_room, groups_of, soak)
    for case in CASES:
        schedule = _Schedule(windows)
        placed, span = _simulate([dict(batch, hosts=list(batch["hosts"])) for batch in batches], schedule, start,
                                 {name: value[case] for name, value in durations.items()}, options, rules, run, continuing)
        ends = [batch["finishes"] for batch in placed]
        cases[case] = {"placed": placed, "periods": schedule.periods, "soak": span,
                       "finishes": None if None in ends else max(ends, default=start),
                       "windows": len({batch["window"] for batch in placed if batch["finishes"] is not None})}
    expected = cases["expected"]
    periods = expected["periods"]
    rows = [_placed_row(batch, periods, with_hosts) for batch in expected["placed"]]
    window_rows = []
    for index in sorted({batch["window"] for batch in expected["placed"] if batch["finishes"] is not None}):
        inside = [row for row in rows if row["window"] and row["window"]["number"] == index + 1]
        window_rows.append({"number": index + 1, "opens": _iso(periods[index][0]), "closes": _iso(periods[index][1]),
                            "batches": [row["label"] for row in inside], "computers": sum(row["computers"] for row in inside)})
    groups = {}
    for batch, row in zip(expected["placed"], rows):
        for host in batch["hosts"]:
            group = (groups_of or {}).get(host)
            if group is None:
                continue
            known = groups.get(group)
            if known is None or known["finishes"] is not None and (row["finishes"] is None or row["finishes"] > known["finishes"]):
                groups[group] = {"group": group, "finishes": row["finishes"], "window": row["window"]}
    result = {
        "start": _iso(start),
        "computers": sum(len(batch["hosts"]) for batch in batches),
        "batches": rows,
        "windows": window_rows,
        "groups": sorted(groups.values(), key=lambda row: (row["finishes"] is None, row["finishes"] or "", row["group"])),
        "finish": {case: _iso(cases[case]["finishes"]) for case in CASES},
        "windows_needed": {case: cases[case]["windows"] for case in CASES},
        "durations": {name: dict({case: round(value[case]) for case in CASES}, measured=value["measured"])
                      for name, value in durations.items()},
        "runs_measured": samples.get("runs", 0),
        "soak": {"begins": _iso(expected["soak"][0]), "ends": _iso(expected["soak"][1])} if expected["soak"] else None,
    }
    result["line"] = forecast_line(result, windows)
    result["basis"] = forecast_basis(result)
    return result


def _placed_row(batch, periods, with_hosts):
    window = None
    if batch.get("finishes") is not None:
        opens, closes = periods[batch["window"]]
        window = {"number": batch["window"] + 1, "opens": _iso(opens), "closes": _iso(closes)}
    row = {"label": batch["label"], "method": batch["method"], "computers": len(batch["hosts"]),
           "starts": _iso(batch.get("starts")), "restarts": _iso(batch.get("restarts")),
           "finishes": _iso(batch.get("finishes")), "window": window}
    if with_hosts:
        row["hosts"] = list(batch["hosts"])
    return row


def _when(text, zone):
    moment = moment_of(text).astimezone(zone)
    return "%s %s" % (moment.strftime("%a %d %b %Y %H:%M"), moment.tzname() if zone is _UTC else zone.key)


def display_zone(windows):
    """The zone dates are shown in: the first window's, else UTC."""
    parsed = parse_windows(windows) if windows else []
    return parsed[0].zone if parsed else _UTC


def forecast_line(forecast, windows):
    """'at this pace, done on <date> in <n> windows (best ..., worst ...)' for progress lines and the report."""
    if not forecast["computers"] or not forecast["batches"]:
        return "nothing left to patch"
    zone = display_zone(windows)
    finish = forecast["finish"]
    if finish["expected"] is None:
        return "at this pace, never: no maintenance window within %d days has room for a batch" % HORIZON.days
    count = forecast["windows_needed"]["expected"]
    spread_text = ", ".join("%s %s%s" % (case, _when(finish[case], zone) if finish[case] else "never",
                                         " in %d windows" % forecast["windows_needed"][case]
                                         if finish[case] and forecast["windows_needed"][case] not in (count, 1) else "")
                            for case in ("best", "worst"))
    return "at this pace, done on %s in %d window%s (%s)" % (_when(finish["expected"], zone), count,
                                                             "" if count == 1 else "s", spread_text)


def forecast_basis(forecast):
    """Where the forecast's durations come from, in words."""
    first = forecast["durations"]["first"]
    if first["measured"]:
        return "batch durations from %d measured batch(es) of %d run(s): first %s, then one every %s (median)" % (
            first["measured"] + forecast["durations"]["pace"]["measured"], max(forecast["runs_measured"], 1),
            _minutes(first["expected"]), _minutes(forecast["durations"]["pace"]["expected"]))
    return "no run measured yet: a batch is assumed to take %s to %s (a quarter to all of the cutoff), %s expected" % (
        _minutes(first["best"]), _minutes(first["worst"]), _minutes(first["expected"]))


def _minutes(seconds):
    minutes = int(round(seconds / 60.0))
    return "%dh%02dm" % divmod(minutes, 60) if minutes >= 60 else "%dm" % minutes


def stop_line(forecast, windows):
    """After a run stopped at a window's close: what the next window will finish, and when all is done."""
    if not forecast["windows"] or forecast["finish"]["expected"] is None:
        return forecast_line(forecast, windows)
    zone = display_zone(windows)
    first = forecast["windows"][0]
    ends = [row["finishes"] for row in forecast["batches"] if row["window"] and row["window"]["number"] == first["number"]]
    lead = _stop_lead(forecast, first, zone)
    if forecast["windows_needed"]["expected"] <= 1:
        return "%s and at this pace finishes the remaining %d computers by %s" % (lead, first["computers"], _when(max(ends), zone))
    return "%s and at this pace finishes %d of the remaining %d computers by %s; %s" % (
        lead, first["computers"], forecast["computers"], _when(max(ends), zone), forecast_line(forecast, windows))


def _stop_lead(forecast, first, zone):
    """What the rest waits for: the next window's opening, or (the window open already) the soak's end, or nothing."""
    begins = moment_of(forecast["start"])
    if moment_of(first["opens"]) > begins:
        return "the next window opens %s" % _when(first["opens"], zone)
    soak_ends = (forecast.get("soak") or {}).get("ends")
    if soak_ends and moment_of(soak_ends) > begins:
        return "the soak ends %s" % _when(soak_ends, zone)
    return "the window is open"


def forecast_lines(forecast, windows):
    """The forecast for an operator: when, on what it rests, each window's batches and each group's last window."""
    zone = display_zone(windows)
    lines = [forecast["line"], forecast["basis"]]
    for row in forecast["windows"]:
        labels = row["batches"]
        lines.append("window %d, %s to %s: %s, %d computers" % (
            row["number"], _when(row["opens"], zone), _when(row["closes"], zone),
            "batch %s" % labels[0] if len(labels) == 1 else "batches %s to %s" % (labels[0], labels[-1]), row["computers"]))
    soak = forecast.get("soak")
    if soak and soak["ends"]:
        lines.append("soak: the batches after the soaked ones wait until %s%s" % (
            _when(soak["ends"], zone), ", %s after the soaked ones are done" % _minutes(
                (moment_of(soak["ends"]) - moment_of(soak["begins"])).total_seconds()) if soak["begins"] else ""))
    for row in forecast["groups"]:
        lines.append("%s: done %s" % (row["group"], "in window %d, by %s" % (row["window"]["number"], _when(row["finishes"], zone))
                                      if row["finishes"] else "never (no window has room)"))
    return lines
