# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rollout, as the modules' documentation and the action plugins use it.

A run is planned once (``plan``), kept in a file on the controller, and named by a small handle
that every later task passes (``run_batch``, ``package_step``, ``report``): so a task's cost
does not grow with the fleet, and the run never travels through task arguments or facts. The
engine itself is private (``_rollout/``, whose ``__init__.py`` stays empty as ansible-test wants);
this module is what the rest of the collection calls. The engine's parts:

``_rollout.model``       the run: its hosts' results, its batches' log entries, its stop (typed, ``to_dict`` / ``from_dict``)
``_rollout.options``     the run's options, checked and normalised once when the run is planned
``_rollout.planning``    reading the SEPM and planning a run
``_rollout.store``       the run's file on the controller (tasks pass a handle, not the run) and the drain journal
``_rollout.staging``     staging groups: created, their policies kept equal to their parent's, restarts off, moves home
``_rollout.driver``      what both delivery methods share: gate, holds, budget, health watch, progress lines, preview, poll loop
``_rollout.liveupdate``  the liveupdate method: its batches, pipelined, and what happens on an error
``_rollout.track``       one liveupdate batch's steps (stage, policy, deliver, restart, verify, health, return)
``_rollout.package``     the package method's decisions around each host's install, and the drained members
``_rollout.forecasting`` the forecast of what is left of a run
``_rollout.report``      the plan's lines, the report's timeline and its JSON
"""

from __future__ import annotations

import os

from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout import store
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.forecasting import forecast_state
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.liveupdate import LiveUpdate
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.options import (  # noqa: F401  pylint: disable=unused-import
    BATCH_OPTIONS, FORECAST_OPTIONS, METHODS, PACKAGE_OPTIONS, PLAN_OPTIONS, REPORT_OPTIONS, RUN_OPTIONS, STAGING_GROUP,
    VARIABLE_NAMES, check_options)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.package import PackageBatch, drained_members
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.planning import plan_run
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.report import (
    plan_lines, report_base, report_of, write_page, write_report)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.staging import home_of, staging_path  # noqa: F401  pylint: disable=unused-import
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rules import Stop, totals as rules_totals
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.forecast import forecast_lines

__all__ = ["RUN_OPTIONS", "PLAN_OPTIONS", "FORECAST_OPTIONS", "BATCH_OPTIONS", "PACKAGE_OPTIONS", "REPORT_OPTIONS", "METHODS",
           "STAGING_GROUP", "VARIABLE_NAMES", "check_options", "home_of", "staging_path", "plan", "forecast", "run_batch",
           "package_step", "report"]


def _plan(client, options, inventory_hosts, groups, cluster_pattern, prefix, history, journal=""):
    """The planned run and its clock's now; with ``journal``, what an interrupted package run left drained is held."""
    run = plan_run(client, options, inventory_hosts, groups, cluster_pattern, prefix, history)
    run.journal = journal
    restore_first = []
    if journal:
        restore_first, held = drained_members(client, run)
        for name, why in held.items():
            if name in run.results:
                run.settle(name, "skipped", why)
    now = LiveUpdate(client, run).now()
    run.forecast = forecast_state(run, now)
    # Kept as it was when the run began, so the report can set the real finish beside it.
    run.forecast_planned = {key: run.forecast[key] for key in ("start", "finish", "windows_needed", "line")}
    return run, now, restore_first


def plan(client, options, inventory_hosts=(), groups=(), cluster_pattern=None, prefix="", history=None, report_dir="",
         check_mode=False):
    """Plan a run and keep it; returns (the handle later tasks pass, the plan's lines).

    In check mode the run's file goes to the controller's temporary folder: a dry run leaves the report folder alone.
    """
    run, now, restore_first = _plan(client, options, inventory_hosts, groups, cluster_pattern, prefix, history,
                                    store.journal_path(report_dir))
    path = store.create(run, "" if check_mode else report_dir)
    return _handle(path, run, report_dir, restore_first), plan_lines(run, now, len(run.results))


def forecast(client, options, inventory_hosts=(), groups=(), cluster_pattern=None, prefix="", history=None, start=None):
    """The forecast of a run planned now, from ``start`` (default: now on the run's clock); nothing is kept."""
    run, _now, _restore = _plan(client, options, inventory_hosts, groups, cluster_pattern, prefix, history)
    result = forecast_state(run, start) if start else run.forecast
    return result, forecast_lines(result, run.options["windows"])


def _handle(path, run, report_dir, restore_first):
    """What the role's tasks read of a run: small, whatever the fleet (the run stays in its file)."""
    options = run.options
    package = options.get("package") or {}
    return {
        "file": path,
        "labels": run.labels,
        "methods": {batch.label: batch.method for batch in run.plan},
        "batches": run.batch_count,
        "started": run.started,
        "target_version": run.target,
        "report_dir": os.path.abspath(report_dir) if report_dir else "",
        "restart_message": options["restart_message"],
        "restart_timeout": options["restart_timeout"],
        "package": {key: package[key] for key in ("path", "layout", "installer", "files", "version") if key in package},
        "restore_first": restore_first,
    }


def _file_of(handle):
    if not isinstance(handle, dict) or not handle.get("file"):
        raise SepmInputError("run: give the run handle that endpoint_ops.sepm.rollout_plan returned (its run)")
    return handle["file"]


def _entry_summary(entry):
    summary = {key: value for key, value in entry.items() if key not in ("hosts", "steps")}
    summary["computers"] = len(entry.get("hosts") or ())
    return summary


def _outcome(run):
    return {"stopped": run.stop.reason if run.stop else None, "run_failed": run.run_failed, "totals": run.totals()}


def run_batch(client, handle, label, say=None, check_mode=False, diff=False, step="run", reason=""):
    """One batch of the run the handle names: run it (liveupdate), describe it (for hooks), or stop the run before it.

    The run's file holds the outcome, even after an error.
    """
    path = _file_of(handle)
    run = store.load(path)
    batch = run.batch(label)
    if step == "describe":
        return dict(_outcome(run), changed=False, **describe(run, batch))
    driver = LiveUpdate(client, run, say=say, check_mode=check_mode)
    if step == "stop":
        try:
            stop_before(driver, batch, reason)
        finally:
            store.save(path, run)
        return dict(_outcome(run), changed=driver.changed)
    if batch.method != "liveupdate":
        raise SepmInputError("batch %s is a package batch: the rollout role runs it host by host with endpoint_ops.sepm.rollout_package"
                             % batch.label)
    try:
        entry = driver.run_batch(batch.label).to_dict()
    finally:
        store.save(path, run)
    result = dict(_outcome(run), changed=driver.changed, batch=_entry_summary(entry))
    if diff:
        result["diff"] = {
            "before": {name: run.results[name].version_before for name in entry["hosts"]},
            "after": {name: run.results[name].version_after for name in entry["hosts"]},
        }
    return result


def describe(run, batch):
    """A batch as a hook sees it: its label, method, computers and what became of each so far; whether it will run."""
    entry = next((entry for entry in reversed(run.log) if entry.batch == batch.label), None)
    return {"batch": batch.label, "method": batch.method, "hosts": list(batch.hosts), "will_run": run.stop is None and entry is None,
            "ran": bool(entry and entry.ran), "stopped": run.stop.reason if run.stop else None,
            "counts": dict(rules_totals({name: run.results[name].state for name in batch.hosts})),
            "results": {name: {"state": run.results[name].state, "reason": run.results[name].reason} for name in batch.hosts}}


def stop_before(driver, batch, reason):
    """A hook around a batch failed: the run stops as on an exceeded budget, and what went ahead goes home unrestarted."""
    run = driver.run
    if run.stop is None:
        run.stop = Stop(" ".join(str(reason or "a batch hook failed").split())[:300], "skipped")
    if run.pipeline:
        pipeline, run.pipeline = run.pipeline, None
        driver.abandon_pipeline(pipeline, run.stop.reason)


def package_step(client, handle, step, say=None, check_mode=False, **params):
    """One decision of a package batch (see ``_rollout/package.py``); the run's file holds the outcome."""
    path = _file_of(handle)
    run = store.load(path)
    driver = PackageBatch(client, run, say=say, check_mode=check_mode)
    try:
        if step in ("begin", "end"):
            batch = run.batch(params.get("batch"))
            if batch.method != "package":
                raise SepmInputError("batch %s is a liveupdate batch: run it with endpoint_ops.sepm.rollout_batch" % batch.label)
            result = driver.begin(batch.label) if step == "begin" else driver.end(batch.label)
            result["entry"] = _entry_summary(result["entry"]) if result.get("entry") else None
        else:
            host = params.get("host")
            if not host:
                raise SepmInputError("step %s needs host (a member's name)" % step)
            if step == "gate":
                result = driver.gate(host, bool(params.get("pending_reboot")))
            elif step == "copied":
                result = driver.copied(host, params.get("checksums") or {})
            elif step == "drain":
                result = driver.drain(host)
            elif step == "restored":
                result = driver.restored(host)
            elif step == "restart":
                result = driver.restart(host)
            elif step == "verify":
                result = driver.verify(host)
            else:
                result = driver.fail(host, params.get("failed_step") or "", params.get("failure") or "")
    finally:
        store.save(path, run)
    result.update(_outcome(run), changed=step in ("begin", "end") and driver.changed)
    return result


def report(handle, error="", keep_run=False, write=True, page=None):
    """Write the run's JSON report (with ``error`` when the run failed on one); returns its paths and the outcome.

    ``page(report)``, when given, makes the HTML page from the report (a dict), written beside the JSON. The run's
    file is removed afterwards unless ``keep_run``: a later run starts from the SEPM. Check mode (``write`` false)
    writes no report.
    """
    path = _file_of(handle)
    run = store.load(path)
    if error and not run.error:
        run.error = " ".join(str(error).split())[:1000]
    document = report_of(run)
    base = report_base(handle.get("report_dir") or "", run)
    if write:
        write_report(document, base + ".json")
        if page is not None:
            write_page(page(document), base + ".html")
    if keep_run:
        store.save(path, run)
    else:
        store.remove(path)
    failed = [name for name, result in run.results.items() if result.state == "failed"]
    return dict(_outcome(run), changed=False, written=write, report_json=base + ".json", report_html=base + ".html",
                error=run.error or None,
                target_version=run.target, failed_hosts=failed[:50], failed_count=len(failed),
                forecast_line=run.forecast.get("line") if run.forecast.get("computers") else None)
