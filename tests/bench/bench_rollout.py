# -*- coding: utf-8 -*-
"""Benchmark: roll a patch out to 1,000 emulated endpoints in batches of 100.

Prints, against the ideal - the emulator's simulated download, install and restart time of
each batch, summed - the span from the first batch's start to the last batch's end (on the
SEPM's clock) and the whole run's wall time; the SEPM requests per endpoint per batch step
(stage, policy, deliver, restart, return) beside what the same job written as per-host
``ansible.builtin.uri`` calls would need; and, on a smaller fleet, the wall time under the
emulator's throttle (50 requests a minute) beside the same run unthrottled.
Figures only: nothing here fails on time.
Run: python tests/bench/bench_rollout.py [--fleet 1000] [--batch 100] [--time-scale 20] [--throttle-fleet 100]
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.emulator.harness import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position
from tests.integration.ansible_runner import PlaybookRunner  # noqa: E402  pylint: disable=wrong-import-position

STEPS_PER_BATCH = 5
# A per-host job moves each host in and out, sends it its own updatecontent and restart (4 writes),
# and reads each host's state once per poll.
PER_HOST_WRITES = 4


def rollout(fleet, batch, time_scale, poll_interval, throttle=None):
    """One rollout against a fresh emulator; returns (wall seconds, report, request counts, settings)."""
    with EmulatorProcess(fleet=fleet, seed=11, time_scale=time_scale, profile="windows") as emulator, \
            tempfile.TemporaryDirectory() as workdir:
        settings = emulator.state()["settings"]
        variables = {
            "rollout_groups": ["My Company"],
            "rollout_windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00",
                                 "duration": "24h", "timezone": "UTC"}],
            "rollout_serial": [batch],
            "rollout_poll_interval": poll_interval,
            "rollout_policy_timeout": 1800, "rollout_delivery_timeout": 3600, "rollout_restart_timeout": 3600,
            "rollout_report_dir": str(Path(workdir) / "reports"),
        }
        runner = PlaybookRunner(emulator, workdir)
        emulator.reset_requests()
        if throttle:
            emulator.settings(throttle=throttle)
        started = time.monotonic()
        run = runner.run("endpoint_ops.sepm.rollout", extra_vars=variables, timeout=7200)
        wall = time.monotonic() - started
        if run.returncode != 0:
            print(run.output[-3000:])
            raise SystemExit(2)
        report = json.loads(next((Path(workdir) / "reports").glob("*.json")).read_text())
        return wall, report, emulator.requests_count(), settings


def span_seconds(batches):
    began = min(datetime.datetime.fromisoformat(b["started"]) for b in batches)
    ended = max(datetime.datetime.fromisoformat(b["finished"]) for b in batches)
    return (ended - began).total_seconds()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fleet", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--time-scale", type=float, default=20)
    parser.add_argument("--poll-interval", type=float, default=1.0)
    parser.add_argument("--throttle-fleet", type=int, default=100, help="fleet of the throttled comparison; 0 skips it")
    options = parser.parse_args()

    wall, report, requests_made, settings = rollout(options.fleet, options.batch, options.time_scale, options.poll_interval)
    per_batch_sim = settings["download_s"] + settings["install_s"] + settings["restart_s"]
    batches = [b for b in report["batches"] if not b["gated"] and b["started"] and b["finished"]]
    patched = report["totals"]["patched"]
    ideal_sim = len(batches) * per_batch_sim
    span_sim = span_seconds(batches)
    ideal = ideal_sim / options.time_scale
    per_step = requests_made["total"] / float(max(1, patched) * STEPS_PER_BATCH)
    by_endpoint = requests_made["by_endpoint"]
    poll_rounds = by_endpoint.get("GET command-queue/{command_id}", 0) / float(max(1, len(batches)))
    per_host_job = patched * (PER_HOST_WRITES + poll_rounds)
    print("rollout of %d endpoints (%d patched, %d compliant) in %d batches of up to %d, time scale %gx" % (
        report["totals"]["total"], patched, report["totals"]["compliant"], len(batches), options.batch, options.time_scale))
    print("first batch start to last batch end: %.0fs simulated, ideal %.0fs (download+install+restart %ds per batch): %.2f x ideal" % (
        span_sim, ideal_sim, per_batch_sim, span_sim / ideal_sim if ideal_sim else 0.0))
    print("whole run (login, plan, report included): wall %.1fs, ideal %.1fs: %.2f x ideal" % (wall, ideal, wall / ideal if ideal else 0.0))
    print("SEPM requests: %d in all, %.3f per endpoint per batch step" % (requests_made["total"], per_step))
    print("  the same job as per-host uri calls: at least %d requests (%d writes per host, one read per host per poll round,"
          " %.0f rounds per batch): %.0f x more" % (per_host_job, PER_HOST_WRITES, poll_rounds,
                                                    per_host_job / max(1, requests_made["total"])))
    busiest = sorted(by_endpoint.items(), key=lambda item: -item[1])[:6]
    print("  busiest: " + ", ".join("%s %d" % item for item in busiest))

    if options.throttle_fleet:
        fleet = options.throttle_fleet
        free_wall, free_report, free_requests, _settings = rollout(fleet, max(1, fleet // 4), options.time_scale, options.poll_interval)
        slow_wall, slow_report, slow_requests, _settings = rollout(fleet, max(1, fleet // 4), options.time_scale, options.poll_interval,
                                                                   throttle={"limit": 50, "window_s": 60})
        for label, run_wall, run_report, run_requests in (("unthrottled", free_wall, free_report, free_requests),
                                                          ("throttled at 50 requests a minute", slow_wall, slow_report, slow_requests)):
            totals = run_report["totals"]
            print("%d endpoints, %s: wall %.1fs, %d patched, %d failed, %d SEPM requests (429s included)" % (
                fleet, label, run_wall, totals["patched"], totals["failed"], run_requests["total"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
