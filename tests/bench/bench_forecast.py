# -*- coding: utf-8 -*-
"""Benchmark: how long the rollout forecast takes for a large fleet.

The rollout recomputes the forecast after every batch, so it must stay small beside a batch.
Prints one line per case: computers, serial, windows, group budget, batches, windows needed, seconds (best of 3).

Run: python tests/bench/bench_forecast.py [--computers 20000]
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.integration.ansible_runner import collections_root  # noqa: E402  pylint: disable=wrong-import-position

sys.path.insert(0, str(collections_root()))

# pylint: disable=wrong-import-position,wrong-import-order
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.forecast import forecast_run  # noqa: E402
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.plan import group_rooms, split_batches  # noqa: E402

WEEKEND = [{"days": ["sat", "sun"], "start": "22:00", "duration": "4h", "timezone": "Europe/Berlin"}]
NIGHTLY = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "01:00", "duration": "5h", "timezone": "America/New_York"}]
SAMPLES = {"lead": [60, 90], "first": [2400, 3000, 2700], "pace": [1500, 1800, 1600]}
OPTIONS = {"cutoff": 6300, "install_timeout": 1800, "restart_timeout": 1800}


def case(computers, serial, windows, label, budget=None):
    names = ["EP-%05d" % number for number in range(computers)]
    # one in ten computers is a member of a two-node HA cluster; with a budget, the fleet is 100 SEPM groups
    clusters = {name: "HA-%05d" % (number // 2) for number, name in enumerate(names[:computers // 10])}
    room = dict.fromkeys(set(clusters.values()), 1)
    groups_of = {name: "G%03d" % (number % 100) for number, name in enumerate(names)} if budget else {}
    group_room = group_rooms(budget, dict.fromkeys(set(groups_of.values()), computers // 100))
    queue = [(name, clusters.get(name), groups_of.get(name)) for name in names]
    batches = [{"label": str(number), "method": "liveupdate", "hosts": hosts}
               for number, hosts in enumerate(split_batches(queue, serial, room, group_room), 1)]
    options = dict(OPTIONS, serial=serial, package_serial=serial)
    start = datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.timezone.utc)
    timings, result = [], None
    for _attempt in range(3):
        began = time.perf_counter()
        result = forecast_run(batches, windows, start, SAMPLES, options, clusters, room, groups_of, group_room=group_room)
        timings.append(time.perf_counter() - began)
    print("%6d computers  serial %-14s %-8s %-16s %4d batches  %3d windows  %.3f s" % (
        computers, serial, label, "group budget %s" % budget if budget else "", len(batches),
        result["windows_needed"]["expected"], min(timings)), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--computers", type=int, default=20000)
    options = parser.parse_args()
    for serial in ([1, "10%", "25%"], [1, 100], [1, 25]):
        for windows, label in ((WEEKEND, "weekend"), (NIGHTLY, "nightly")):
            case(options.computers, serial, windows, label)
    for budget in ("10%", 1):
        case(options.computers, [1, "10%", "25%"], WEEKEND, "weekend", budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
