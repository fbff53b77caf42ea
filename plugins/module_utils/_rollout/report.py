# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a run shows: the plan's lines, and the report (its JSON, and the timeline the HTML page draws).

The report's shape is written down in ``docs/rollout-report.schema.json``; a test holds every
report the tests write to it.
"""

from __future__ import annotations

import datetime
import os
import secrets

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rules
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.driver import duration
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.model import RESUME, from_iso, iso
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.options import hands_off_restarts
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.report_file import report_text
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import is_open, next_open, occurrences, time_left

# How many names of each batch the plan shows, and how many batches it lists one by one: the report has them all.
NAMES_SHOWN = 5
BATCHES_SHOWN = 12
UNREACHED = "the run failed on an error before it reached it"


def _names(names, shown=NAMES_SHOWN):
    if len(names) <= shown:
        return ", ".join(names)
    return "%s and %d more" % (", ".join(names[:shown]), len(names) - shown)


def batch_lines(run):
    """A line per batch (label, method, size, first names); past ``BATCHES_SHOWN`` batches one line says the rest."""
    lines = []
    numbered = [batch for batch in run.plan if batch.label != RESUME]
    for batch in numbered[:BATCHES_SHOWN]:
        held = "; a group budget keeps %d for later (%s)" % (len(batch.held_back), _names(sorted(batch.held_back))) \
            if batch.held_back else ""
        lines.append("batch %s (%s): %d computer(s): %s%s" % (batch.label, batch.method, len(batch.hosts), _names(batch.hosts), held))
    rest = numbered[BATCHES_SHOWN:]
    if rest:
        lines.append("batches %s to %s: %d more batches, %d computers (every name in the report)" % (
            rest[0].label, rest[-1].label, len(rest), sum(len(batch.hosts) for batch in rest)))
    return lines


def plan_lines(run, now, target_count):
    options = run.options
    windows = options["windows"]
    if not windows:
        window = "no maintenance window (ignore_windows): batches and restarts may run at any time"
    elif is_open(windows, now):
        window = "window open now (%s clock), %s left" % (options["clock"], duration(time_left(windows, now).total_seconds()))
    else:
        opens = next_open(windows, now)
        window = "window closed now (%s clock), next opens %s" % (options["clock"], iso(opens) if opens else "never")
    totals = run.totals()
    methods = {}
    for batch in run.plan:
        if batch.label != RESUME:
            methods[batch.method] = methods.get(batch.method, 0) + len(batch.hosts)
    return [
        "Target version %s on SEPM %s (%d computers)" % (options["target_version"], run.sepm_version, target_count),
        window,
        "Left by an interrupted run, finished first: %s" % (_names(run.resume) if run.resume else "none"),
        "%d batches: %s" % (run.batch_count, _sizes([len(batch.hosts) for batch in run.plan if batch.label != RESUME])),
        "Methods: %s" % ", ".join("%d %s" % (count, method) for method, count in sorted(methods.items())),
        "Left out: %d compliant, %d skipped" % (totals["compliant"], totals["skipped"]),
        "Each batch moves into '<own group>\\%s', takes %s and restarts (%s) only inside the window." % (
            options["staging_group"], options["target_version"], options["restart"]),
    ] + gate_lines(options) + batch_lines(run) + [
        "Forecast: %s; %s" % (run.forecast["line"], run.forecast["basis"]),
    ]


def gate_lines(options):
    """What a batch must pass before the next goes on: the health checks, the soak, the group budgets, delivering ahead."""
    settle = options["health_settle"]
    lines = ["Health checks after the patch: %s" % ("%s (settle: %s)" % (", ".join(options["health_checks"]), (
        "%d heartbeat(s)" % settle["heartbeats"]) if "heartbeats" in settle else duration(settle["seconds"]))
        if options["health_checks"] else "none")]
    if options.get("soak"):
        lines.append("Soak: after batch %d the rest wait until its computers have run the patch %s and stay healthy" % (
            options["soak"]["after"], duration(options["soak"]["for_s"])))
    budgets = [("restarting", options.get("max_restarting_per_group")), ("downloading", options.get("max_downloading_per_group"))]
    budgets = ["at most %s of a SEPM group %s at once" % (budget, what) for what, budget in budgets if budget]
    if budgets:
        lines.append("Group budgets: %s" % "; ".join(budgets))
    ahead = options.get("batches_ahead", 1)
    lines.append("Delivering ahead: %s" % ("the next %s the patch while one restarts, only while the run is clean" % (
        "batch takes" if ahead == 1 else "%d batches take" % ahead) if options["deliver_ahead"] else
        "off: each batch takes the patch in its own turn"))
    if options.get("hand_off_restarts") and options["deliver_ahead"]:
        lines.append("Restart hand-off: %s" % (
            "each batch's task sends the next batch's restart once its own batch is back and healthy"
            if hands_off_restarts(options) else "off - a before- or after-batch hook runs between batches"))
    return lines


def gates_of(run):
    """The gates of a run, for its report: what was asked, and what the soak decided last."""
    options = run.options
    return {"health_checks": list(options["health_checks"]), "health_settle": options["health_settle"],
            "soak": dict(options["soak"], decision=run.soak) if options.get("soak") else None,
            "max_restarting_per_group": options.get("max_restarting_per_group"),
            "max_downloading_per_group": options.get("max_downloading_per_group"), "deliver_ahead": options["deliver_ahead"],
            "batches_ahead": options.get("batches_ahead", 1), "hand_off_restarts": hands_off_restarts(options)}


def _sizes(sizes):
    """Batch sizes in few words: [1, 10, 10, 10, 7] is '1, 3 x 10, 7'."""
    runs = []
    for size in sizes:
        if runs and runs[-1][0] == size:
            runs[-1][1] += 1
        else:
            runs.append([size, 1])
    return ", ".join("%d x %d" % (count, size) if count > 1 else str(size) for size, count in runs) or "none"


def timeline(run):
    """Where the batches and the open windows fall on the run's time axis, in percent: for the HTML report."""
    started, finished = from_iso(run.started), from_iso(run.finished)
    spans = [(from_iso(entry.started), from_iso(entry.finished), entry) for entry in run.log
             if entry.started and entry.finished and not entry.gated]
    if spans:
        started = min(started, min(span[0] for span in spans))
        finished = max(finished, max(span[1] for span in spans))
    length = max((finished - started).total_seconds(), 60.0)
    margin = datetime.timedelta(seconds=length * 0.05)
    axis_start, axis_end = started - margin, finished + margin
    total = (axis_end - axis_start).total_seconds()

    def place(opens, closes):
        left = max(0.0, (opens - axis_start).total_seconds() / total * 100)
        right = min(100.0, (closes - axis_start).total_seconds() / total * 100)
        return {"left": round(left, 2), "width": round(max(right - left, 0.4), 2)}

    windows = []
    if run.options["windows"]:
        windows = [dict(place(opens, closes), opens=iso(opens), closes=iso(closes))
                   for opens, closes in occurrences(run.options["windows"], axis_start, axis_end)]
    states = run.states()
    batches = []
    for opens, closes, entry in spans:
        counts = {state: rules.count_state(states, state, entry.hosts) for state in rules.FINAL_STATES}
        batches.append(dict(place(opens, closes), batch=entry.batch, computers=len(entry.hosts), **counts))
    versions = {}
    for result in run.results.values():
        pair = (result.version_before or "unknown", result.version_after or "unknown")
        versions[pair] = versions.get(pair, 0) + 1
    return {
        "start": iso(axis_start), "end": iso(axis_end), "windows": windows, "batches": batches,
        "versions": [{"before": before, "after": after, "computers": count}
                     for (before, after), count in sorted(versions.items(), key=lambda item: -item[1])],
    }


def report_of(run):
    """The run's report (the JSON written beside the HTML page): everything a reader needs, and no secret."""
    if run.error:
        run.settle_unreached(UNREACHED)
    options = run.options
    return {
        "run": {
            "started": run.started, "finished": run.finished, "sepm_version": run.sepm_version,
            "target_version": options["target_version"], "serial": options["serial"], "windows": options["windows"],
            "restart": options["restart"], "clock": options["clock"], "failure_budget": options["failure_budget"],
            "max_fail_percentage": options["max_fail_percentage"], "stopped": run.stop.reason if run.stop else None,
            "failed": run.run_failed, "error": run.error or None, "gates": gates_of(run),
        },
        "totals": run.totals(),
        "timeline": timeline(run),
        "forecast": run.forecast,
        "forecast_planned": run.forecast_planned,
        "batches": [entry.to_dict() for entry in run.log],
        "hosts": {name: result.to_dict() for name, result in run.results.items()},
    }


def report_base(report_dir, run):
    """``<report_dir>/rollout-<UTC start>Z``, without its extension: names sort by the run's start."""
    stamp = "".join(character for character in (run.started or "")[:19] if character.isdigit() or character == "T")
    return os.path.join(os.path.abspath(report_dir or "."), "rollout-%sZ" % stamp)


def _write_public(text, path):
    """Write a report file atomically, readable by anyone who may read the folder (a report holds no secret)."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    temporary = "%s.%s.tmp" % (path, secrets.token_hex(4))
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def write_report(report, path):
    """Write the JSON report; its layout (``report_file.report_text``: an entry a line, the hosts last) lets the
    forecast read earlier reports without their hosts."""
    _write_public(report_text(report), path)


def write_page(html, path):
    """Write the HTML page of a report (made by the caller from the report: ``rollout_report`` renders the role's template)."""
    _write_public(html, path)
