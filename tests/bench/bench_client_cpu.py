# -*- coding: utf-8 -*-
"""Benchmark: the controller CPU the SEPM client spends per request (issue 19's "controller CPU per batch").

Against an emulated fleet (20,000 by default) it reads ``GET groups/{id}/computers`` pages and
``GET command-queue/{id}`` pages, the reads a rollout batch makes most, with pages of 1,000
records (about 3 MB of JSON each, where decoding the JSON is most of the cost) and of 25 (about
the 80 KB a request of a rollout batch reads on average, where the cost of a request itself
shows), then splits a long ``computer_ids`` list as ``send_command`` does (measured, nothing
sent), and prints the controller's CPU time (``time.process_time()``, this process only: the
emulator's CPU is its own) in all and per request. Figures, never a verdict: they depend on the
machine and its load (printed before and after).

Run: python tests/bench/bench_client_cpu.py [--fleet 20000] [--requests 500] [--split-ids 20000]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.emulator.harness import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position
from tests.integration.ansible_runner import collections_root  # noqa: E402  pylint: disable=wrong-import-position

sys.path.insert(0, str(collections_root()))

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmClient  # noqa: E402  pylint: disable=wrong-import-position,import-error

# The client's default page, and about the records a request of a rollout batch reads on average.
PAGE_SIZES = (1000, 25)
RESTART_BODY = {"prompt_type": "no_prompt", "schedule_type": "now"}


def cpu_of(work):
    """``(result, CPU seconds)`` of ``work()`` in this process."""
    started = time.process_time()
    result = work()
    return result, time.process_time() - started


def reads(client, groups, command_id, count, page_size):
    """``count`` requests, alternating a computers page of the next group with a page of the command's status."""
    group_pages = itertools.cycle([(group["id"], index) for group in groups for index in (1, 2)])
    received = 0
    for number in range(count):
        if number % 2 == 0:
            group_id, page_index = next(group_pages)
            reply = client.request("GET", "groups/%s/computers" % group_id,
                                   params={"pageSize": page_size, "pageIndex": page_index})
        else:
            reply = client.request("GET", "command-queue/%s" % command_id,
                                   params={"pageSize": page_size, "pageIndex": 1})
        received += len((reply or {}).get("content") or [])
    return received


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fleet", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--split-ids", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3, help="repeat the reads, print each round")
    options = parser.parse_args()
    print("load average before: %.2f %.2f %.2f" % os.getloadavg())
    with EmulatorProcess(fleet=options.fleet, seed=7) as emulator:
        client = SepmClient(emulator.host, port=emulator.port, username=emulator.username,
                            password=emulator.password, ca_path=emulator.ca_path)
        groups = [group for group in client.groups() if group.get("numberOfPhysicalComputers", 1)]
        computers = list(itertools.islice(client.computers(), 1000))
        sent = client.send_command("restart", computer_ids=[computer["uniqueId"] for computer in computers],
                                   body=RESTART_BODY)
        command_id = sent["computers"][0]
        for page_size in PAGE_SIZES:
            for number in range(1, options.rounds + 1):
                emulator.reset_requests()
                received, cpu = cpu_of(lambda size=page_size: reads(client, groups, command_id, options.requests, size))
                made = emulator.requests_count()["total"]
                print("pages of %4d, round %d: %d requests (%d records): CPU %.3f s, %.2f ms a request" % (
                    page_size, number, made, received, cpu, 1000.0 * cpu / max(1, made)))
        ids = ["%032X" % number for number in range(options.split_ids)]
        chunks, cpu = cpu_of(lambda: client.split_for_url(
            "POST", "command-queue/restart", ids, lambda chunk: {"computer_ids": ",".join(chunk)}, RESTART_BODY))
        print("split %d computer ids into %d requests (none sent): CPU %.3f s" % (len(ids), len(chunks), cpu))
        client.close()
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    return 0


if __name__ == "__main__":
    sys.exit(main())
