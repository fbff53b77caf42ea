# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What earlier runs measured, for the forecast: batch durations from run logs and JSON reports. Pure Python.

A liveupdate batch that started alone gives a *first* duration (its start to its end), one
pre-staged during the batch before gives a *pace* (the previous batch's end to its own); a
package batch gives a duration per host; the time from a run's plan to its first batch is a
*lead*. ``spread`` turns them into best, expected and worst (see ``forecast.py``).
"""

from __future__ import annotations

import datetime
import os
import statistics

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.report_file import read_report

__all__ = ["CASES", "DEFAULT_SHARE", "durations_from_log", "durations_from_reports", "spread", "load_reports", "moment_of"]

CASES = ("best", "expected", "worst")
DEFAULT_SHARE = {"best": 0.25, "expected": 0.5, "worst": 1.0}
FEW = 5
FEW_SPREAD = 0.25


def moment_of(text):
    """A datetime from ISO 8601 text, None from nothing."""
    return datetime.datetime.fromisoformat(text) if text else None


def _empty_samples():
    return {"lead": [], "first": [], "pace": [], "package_host": []}


def durations_from_log(log, samples=None, run_started=None):
    """Add the durations one run measured (its log entries, as in a report's ``batches``) to ``samples``.

    With ``run_started`` (when the run planned), the time until its first batch started is a *lead*.
    """
    samples = samples if samples is not None else _empty_samples()
    ran = [entry for entry in log or [] if entry.get("started") and not entry.get("gated")]
    if run_started and ran and moment_of(ran[0]["started"]) >= moment_of(run_started):
        samples["lead"].append((moment_of(ran[0]["started"]) - moment_of(run_started)).total_seconds())
    previous = None
    for entry in log or []:
        started, finished = moment_of(entry.get("started")), moment_of(entry.get("finished"))
        ran = started is not None and finished is not None and finished > started and not entry.get("gated")
        if not ran:
            previous = None
            continue
        if entry.get("method") == "package":
            hosts = len(entry.get("hosts") or ()) - int(entry.get("deferred") or 0)
            if hosts > 0:
                samples["package_host"].append((finished - started).total_seconds() / hosts)
            previous = None
            continue
        if "verified" not in (entry.get("steps") or {}) and "returned" not in (entry.get("steps") or {}):
            previous = None  # nothing was patched: its time says nothing about a batch's
            continue
        if previous is not None and started < previous and finished > previous:
            samples["pace"].append((finished - previous).total_seconds())
        else:
            samples["first"].append((finished - started).total_seconds())
        previous = finished
    return samples


def durations_from_reports(reports):
    """Samples from earlier runs' JSON reports (dicts): ``{first, pace, package_host, runs}``."""
    samples = _empty_samples()
    runs = 0
    for report in reports:
        before = sum(len(values) for values in samples.values())
        durations_from_log((report or {}).get("batches"), samples, ((report or {}).get("run") or {}).get("started"))
        runs += sum(len(values) for values in samples.values()) > before
    samples["runs"] = runs
    return samples


def spread(values, budget):
    """``{best, expected, worst}`` seconds from measured values, else the stated share of ``budget``.

    A handful of measurements says little about how far a duration strays: with fewer than
    ``FEW`` the spread is at least ``FEW_SPREAD`` either side of the median.
    """
    if values:
        middle = statistics.median(values)
        best, worst = min(values), max(values)
        if len(values) < FEW:
            best, worst = min(best, middle * (1 - FEW_SPREAD)), max(worst, middle * (1 + FEW_SPREAD))
        return {"best": best, "expected": middle, "worst": worst, "measured": len(values)}
    result = {case: budget * DEFAULT_SHARE[case] for case in CASES}
    result["measured"] = 0
    return result


def load_reports(directory, limit=20):
    """The JSON reports of the last ``limit`` runs in ``directory`` (by name, which is the run's start): (reports, unreadable).

    Only their batches count, so each is read without its hosts where its layout allows (``report_file``):
    20 reports of 50,000 computers cost their batches' lines, not a million host entries.
    """
    reports, unreadable = [], []
    if not directory or not os.path.isdir(directory):
        return reports, unreadable
    names = sorted(name for name in os.listdir(directory) if name.startswith("rollout-") and name.endswith(".json"))
    for name in names[-limit:]:
        path = os.path.join(directory, name)
        try:
            report = read_report(path, hosts=False)
        except (OSError, ValueError):
            unreadable.append(path)
            continue
        if isinstance(report, dict) and isinstance(report.get("batches"), list):
            reports.append(report)
        else:
            unreadable.append(path)
    return reports, unreadable
