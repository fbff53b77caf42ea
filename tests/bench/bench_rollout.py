# -*- coding: utf-8 -*-
"""Benchmark: roll a patch out to 1,000 emulated endpoints in batches of 100.

Prints the wall time against the ideal - the emulator's simulated download, install and
restart time of each batch, summed, in real seconds at the chosen time scale - and the
SEPM requests per endpoint per batch step (stage, policy, deliver, restart, return).
Figures only: nothing here fails on time.
Run: python tests/bench/bench_rollout.py [--fleet 1000] [--batch 100] [--time-scale 20]
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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fleet", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--time-scale", type=float, default=20)
    parser.add_argument("--poll-interval", type=float, default=1.0)
    options = parser.parse_args()
    with EmulatorProcess(fleet=options.fleet, seed=11, time_scale=options.time_scale, profile="windows") as emulator, \
            tempfile.TemporaryDirectory() as workdir:
        settings = emulator.state()["settings"]
        per_batch_sim = settings["download_s"] + settings["install_s"] + settings["restart_s"]
        variables = {
            "rollout_groups": ["My Company"],
            "rollout_windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00",
                                 "duration": "24h", "timezone": "UTC"}],
            "rollout_serial": [options.batch],
            "rollout_poll_interval": options.poll_interval,
            "rollout_policy_timeout": 1800, "rollout_delivery_timeout": 3600, "rollout_restart_timeout": 3600,
            "rollout_report_dir": str(Path(workdir) / "reports"),
        }
        runner = PlaybookRunner(emulator, workdir)
        emulator.reset_requests()
        started = time.monotonic()
        run = runner.run("endpoint_ops.sepm.rollout", extra_vars=variables, timeout=3600)
        wall = time.monotonic() - started
        if run.returncode != 0:
            print(run.output[-3000:])
            return 2
        report = json.loads(next((Path(workdir) / "reports").glob("*.json")).read_text())
        requests_made = emulator.requests_count()
    batches = [b for b in report["batches"] if not b["gated"]]
    patched = report["totals"]["patched"]
    ideal = len(batches) * per_batch_sim / options.time_scale
    per_step = requests_made["total"] / float(max(1, patched) * STEPS_PER_BATCH)
    print("rollout of %d endpoints (%d patched, %d compliant) in %d batches of up to %d, time scale %gx" % (
        report["totals"]["total"], patched, report["totals"]["compliant"], len(batches), options.batch, options.time_scale))
    print("wall %.1fs, ideal %.1fs (download+install+restart %ds simulated per batch), overhead %.0f%%" % (
        wall, ideal, per_batch_sim, 100.0 * (wall - ideal) / ideal if ideal else 0.0))
    for batch in batches[:3]:
        began = datetime.datetime.fromisoformat(batch["started"])
        ended = datetime.datetime.fromisoformat(batch["finished"])
        print("  batch %s: %d endpoints, %.0fs simulated" % (batch["batch"], len(batch["hosts"]), (ended - began).total_seconds()))
    print("SEPM requests: %d in all, %.3f per endpoint per batch step" % (requests_made["total"], per_step))
    busiest = sorted(requests_made["by_endpoint"].items(), key=lambda item: -item[1])[:6]
    print("  busiest: " + ", ".join("%s %d" % item for item in busiest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
