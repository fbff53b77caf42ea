# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The forecast of a run's rest (``forecast.py`` places batches in windows; this feeds it a run)."""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.model import RESUME, from_iso
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.forecast import (
    durations_from_log, forecast_run, plan_next_run, stop_line)


def batches_left(run, after=None, replan=False):
    """The batches still to run, as the forecast takes them: after label ``after``, without settled computers.

    With ``replan`` (the run stopped) every computer not settled for good, deferred ones included, is left
    for the next run, which plans its own batches.
    """
    results = run.results
    labels = run.labels
    position = labels.index(after) + 1 if after in labels and not replan else 0
    wanted = (None, "deferred") if replan else (None,)
    batches = []
    for batch in run.plan[position:]:
        names = [name for name in batch.hosts if results[name].state in wanted]
        if names:
            batches.append({"label": batch.label, "method": batch.method, "hosts": names})
    return batches


def forecast_state(run, now, after=None, replan=False):
    """The forecast of what is left of a run from ``now``: this run's measured pace first, then earlier runs'."""
    measured = durations_from_log([entry.to_dict() for entry in run.log], run_started=run.started)
    history = run.forecast_history or {}
    samples = {name: measured[name] or list(history.get(name) or ()) for name in measured}
    samples["runs"] = history.get("runs", 0) + bool(run.log)
    options = run.options
    batches, number = batches_left(run, after, replan), 1
    homes = {name: computer.get("home") for name, computer in run.computers.items()}
    if replan:
        # The next run plans its own batches, from the serial's start.
        number = 2
        batches = list(plan_next_run(batches, options, run.clusters, run.cluster_room, number, run.group_room, homes))
    return forecast_run(batches, options["windows"], now, samples, options, run.clusters, run.cluster_room, homes, run=number,
                        continuing=after is not None and not replan, group_room=run.group_room, soak=soak_ahead(run))


def soak_ahead(run):
    """The soak as the forecast places it: None (none, or over), its end while it runs, or the computers still to soak."""
    soak = run.options.get("soak")
    decision = run.soak or {}
    if not soak or decision.get("over"):
        return None
    if decision.get("until"):
        return {"until": from_iso(decision["until"])}
    first = [batch for batch in run.plan if batch.label != RESUME][:soak["after"]]
    hosts = sum(len(run.pending(batch.hosts)) for batch in first)
    return {"hosts": hosts, "for_s": soak["for_s"]} if hosts else None


def after_batch(run, label, now, window_stop):
    """The forecast once a batch ran; the progress line that says it, or "" when nothing is left."""
    forecast = forecast_state(run, now, after=label, replan=window_stop)
    if window_stop:
        forecast["line"] = stop_line(forecast, run.options["windows"])
    run.forecast = forecast
    if not forecast["computers"]:
        return ""
    return "%s: %s" % ("stopped at the window's close" if window_stop else "after batch %s" % label, forecast["line"])
