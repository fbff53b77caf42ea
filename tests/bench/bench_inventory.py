# -*- coding: utf-8 -*-
"""Benchmark: the endpoint_ops.sepm.sepm inventory over emulated fleets of 1,000, 20,000 and 50,000 computers.

Runs real ``ansible-inventory`` against the emulator and prints one table row per run:
wall time, peak memory of the ansible-inventory process, the SEPM requests it made and
the plugin's own share (its -vvv line), beside the aims of issue 12. Per fleet:

- ``cold --list``: empty cache, every computer read from the SEPM;
- ``cached --list`` and ``cached --list --export`` (what AWX runs), with the SEPM down (a
  closed port), so a request would fail the load;
- ``cached --graph``: about what a playbook's start costs, without printing variables;
- the same cold and cached ``--list`` with four compose / keyed_groups / groups expressions;
- what AWX's sync of the shipped example source (``extensions/awx/inventory_source.sepm.yml``) runs;
- ansible-core's floor, the control: ``floor_inventory/floor.py``, a plugin that only loads the
  cold run's ``--list`` output (the same groups, hosts and host variables, or the same groups
  and hosts without variables), run with the same ``--list`` / ``--export`` / ``--graph``
  arguments. No inventory plugin can be faster than that. The table's ``floor`` column puts
  the same-inventory floor beside each plain run.

Exits 1 when a request budget is broken (cold: more than one ``GET computers`` per 1000
computers plus 5; cached: any request, or a cached load that rewrote the cache) or a cached
load came back without every host, 2 when a run fails; never on timing. Figures depend on
the machine's load: the load average is printed before and after.

Run: python tests/bench/bench_inventory.py [--fleet 1000 --fleet 20000 --fleet 50000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.emulator.harness import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position
from tests.integration.ansible_runner import ansible_bin, collections_root  # noqa: E402  pylint: disable=wrong-import-position

FLEETS = (1000, 20000, 50000)
# Issue 12's aims: (fleet, run) -> (seconds, MB); None where it sets none. Reported, never asserted.
AIMS = {
    (20000, "cold --list"): (10.0, None),
    (20000, "cached --list"): (3.0, None),
    (20000, "constructed cold --list"): (None, 400),
    (20000, "constructed cached --list"): (None, 400),
    (50000, "cold --list"): (30.0, 600),
    (50000, "cached --list"): (5.0, None),
}
BASE = """plugin: endpoint_ops.sepm.sepm
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: {cache}
cache_timeout: 86400
"""
CONSTRUCTED = """compose:
  ha_cluster: "sepm_name | regex_replace('-N[0-9]+$', '') if sepm_name is regex('-N[0-9]+$') else ''"
keyed_groups:
  - key: sepm_agent_version
    prefix: agent
  - key: ha_cluster
    prefix: cluster
groups:
  needs_reboot: sepm_reboot_required
"""
AWX_EXAMPLE = Path(__file__).resolve().parents[2] / "extensions" / "awx" / "inventory_source.sepm.yml"
PLUGIN_LINE = re.compile(r"SEPM inventory: .*")
GRAPH_HOST = re.compile(r"\|--(?!@)")


def closed_port():
    """A local port nothing listens on: the SEPM is down for the cached runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


FLOOR_PLUGINS = Path(__file__).resolve().parent / "floor_inventory"


def run_inventory(emulator, workdir, source, args, sepm_down=False, floor=False):
    """One ansible-inventory run: (returncode, wall seconds, peak RSS in MB, plugin line, hosts in the output, stderr)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SEPM_", "ANSIBLE_"))}
    if floor:
        env.update({"ANSIBLE_INVENTORY_PLUGINS": str(FLOOR_PLUGINS), "ANSIBLE_INVENTORY_ENABLED": "floor"})
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(collections_root()),
        "ANSIBLE_VERBOSE_TO_STDERR": "1",
        "ANSIBLE_NOCOLOR": "1",
        # a failed source must fail the run, not leave an empty inventory that looks fast
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
        "SEPM_HOST": emulator.host,
        "SEPM_PORT": str(closed_port() if sepm_down else emulator.port),
        "SEPM_USERNAME": emulator.username,
        "SEPM_PASSWORD": emulator.password,
        "SEPM_CA_PATH": str(emulator.ca_path),
    })
    command = [ansible_bin("ansible-inventory"), "-vvv", "-i", str(source), *args]
    with open(workdir / "stdout", "wb") as stdout, open(workdir / "stderr", "wb") as stderr:
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=stdout, stderr=stderr)  # pylint: disable=consider-using-with
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.monotonic() - started
    returncode = os.waitstatus_to_exitcode(status)
    text = (workdir / "stderr").read_text(encoding="utf-8", errors="replace")
    found = PLUGIN_LINE.search(text)
    hosts = count_hosts(workdir / "stdout", args) if returncode == 0 else 0
    return returncode, elapsed, usage.ru_maxrss / 1024.0, found.group(0) if found else "", hosts, text[-3000:]


def count_hosts(path, args):
    if "--graph" in args:
        with open(path, encoding="utf-8") as handle:
            return len({line.split("|--", 1)[1].strip() for line in handle if GRAPH_HOST.search(line)})
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    listed = {host for group in data.values() if isinstance(group, dict) for host in group.get("hosts", ())}
    if "--export" in args:
        return len(listed)
    # a host without variables is missing from hostvars, but listed in a group
    return len(listed | set(data["_meta"]["hostvars"]))


def plugin_seconds(line):
    """The plugin's own seconds from its -vvv line (fetch, cache read and encode, populate)."""
    return sum(float(value) for value in re.findall(r"\b[a-z_]+ ([0-9.]+)(?:,|$)", line.split("seconds:", 1)[-1]))


def aim_text(value, aim, unit):
    if aim is None:
        return ""
    return "%s%g%s" % ("met <= " if value <= aim else "MISSED > ", aim, unit)


def bench_fleet(fleet, quick, rows, broken):
    runs = [
        ("cold --list", "plain", ("--list",), False),
        ("cached --list", "plain", ("--list",), True),
        ("cached --list --export", "plain", ("--list", "--export"), True),
        ("cached --graph", "plain", ("--graph",), True),
        ("constructed cold --list", "constructed", ("--list",), False),
        ("constructed cached --list", "constructed", ("--list",), True),
        # what an AWX inventory sync of the shipped example source runs (it has no cache)
        ("AWX example source --list --export", "awx", ("--list", "--export"), False),
    ]
    if quick:
        runs = [run for run in runs if run[0] in ("cold --list", "cached --list", "cached --graph")]
    with EmulatorProcess(fleet=fleet, seed=7) as emulator, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sources = {}
        for kind, extra in (("plain", ""), ("constructed", CONSTRUCTED)):
            sources[kind] = (workdir / ("%s.sepm.yml" % kind), workdir / ("cache-%s" % kind))
            sources[kind][0].write_text(BASE.format(cache=sources[kind][1]) + extra, encoding="utf-8")
        sources["awx"] = (workdir / "awx.sepm.yml", workdir / "no-cache")
        sources["awx"][0].write_text(AWX_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
        for label, kind, args, cached in runs:
            source, cache_dir = sources[kind]
            cache_files = sorted(cache_dir.glob("*"))
            ages = [path.stat().st_mtime for path in cache_files]
            emulator.reset_requests()
            returncode, elapsed, peak_mb, plugin_line, hosts, tail = run_inventory(emulator, workdir, source, args,
                                                                                   sepm_down=cached)
            counts = emulator.requests_count()
            computers = counts["by_endpoint"].get("GET computers", 0)
            if returncode != 0:
                print("%d %s FAILED (rc=%d)\n%s" % (fleet, label, returncode, tail))
                return False
            aim_s, aim_mb = AIMS.get((fleet, label), (None, None))
            if fleet == 50000 and label == "cold --list":
                aim_requests = 60
            else:
                aim_requests = 0 if cached else None
            rows.append((fleet, label, elapsed, aim_text(elapsed, aim_s, " s"), plugin_seconds(plugin_line), None, peak_mb,
                         aim_text(peak_mb, aim_mb, " MB"), counts["total"],
                         aim_text(counts["total"], aim_requests, "") if aim_requests is not None else ""))
            print("%6d %-26s wall=%6.2fs peak=%5.0fMB requests=%d hosts=%d | %s" % (
                fleet, label, elapsed, peak_mb, counts["total"], hosts, plugin_line or "(no -vvv line)"), flush=True)
            # the AWX example leaves out the Default Group and Linux and Mac computers
            if hosts != fleet if kind != "awx" else not 0 < hosts < fleet:
                broken.append("%d %s: %d hosts of %d" % (fleet, label, hosts, fleet))
            if not cached and computers > fleet // 1000 + 5:
                broken.append("%d %s: %d GET computers" % (fleet, label, computers))
            if cached and counts["total"] > 0:
                broken.append("%d %s: %d SEPM requests from cache" % (fleet, label, counts["total"]))
            if cached and cache_files and [path.stat().st_mtime for path in cache_files] != ages:
                broken.append("%d %s: reading the cache rewrote it (its age was reset)" % (fleet, label))
            if label == "cold --list":
                write_floor_sources(workdir)
        floors = {}
        for label, name, args in FLOOR_RUNS:
            if quick and "--export" in args:
                continue
            returncode, elapsed, peak_mb, _line, hosts, tail = run_inventory(
                emulator, workdir, workdir / name, args, sepm_down=True, floor=True)
            if returncode != 0 or hosts != fleet:
                print("%d %s FAILED (rc=%d, %d hosts)\n%s" % (fleet, label, returncode, hosts, tail))
                return False
            if name == "same.floor.json":
                floors[args] = elapsed
            rows.append((fleet, label, elapsed, "", None, None, peak_mb, "", 0, ""))
            print("%6d %-26s wall=%6.2fs peak=%5.0fMB hosts=%d | ansible-core alone" % (
                fleet, label, elapsed, peak_mb, hosts), flush=True)
        # each plain run beside the floor for the same inventory and arguments
        for index, row in enumerate(rows):
            if row[0] == fleet and row[1] in PLAIN_RUN_ARGS and PLAIN_RUN_ARGS[row[1]] in floors:
                rows[index] = row[:5] + (floors[PLAIN_RUN_ARGS[row[1]]],) + row[6:]
    return True


# The control: the same inventory through a plugin that does nothing else (see floor_inventory/floor.py),
# with the plugin's host variables or with none.
FLOOR_RUNS = (
    ("floor, same inventory --list", "same.floor.json", ("--list",)),
    ("floor, same inventory --list --export", "same.floor.json", ("--list", "--export")),
    ("floor, same inventory --graph", "same.floor.json", ("--graph",)),
    ("floor, no variables --list", "bare.floor.json", ("--list",)),
    ("floor, no variables --list --export", "bare.floor.json", ("--list", "--export")),
    ("floor, no variables --graph", "bare.floor.json", ("--graph",)),
)
PLAIN_RUN_ARGS = {"cold --list": ("--list",), "cached --list": ("--list",), "cached --list --export": ("--list", "--export"),
                  "cached --graph": ("--graph",)}


def write_floor_sources(workdir):
    """The control's sources from the cold --list output: the same inventory, and its groups and hosts bare."""
    listing = (workdir / "stdout").read_text(encoding="utf-8")
    (workdir / "same.floor.json").write_text(listing, encoding="utf-8")
    bare = json.loads(listing)
    bare["_meta"]["hostvars"] = {}
    (workdir / "bare.floor.json").write_text(json.dumps(bare), encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fleet", type=int, action="append", help="fleet size; repeat for several (default 1k, 20k, 50k)")
    parser.add_argument("--quick", action="store_true", help="only cold --list, cached --list and cached --graph")
    options = parser.parse_args()
    fleets = options.fleet or FLEETS
    rows, broken = [], []
    print("ansible-inventory %s; load average before: %s" % (
        ansible_bin("ansible-inventory"), " ".join("%.2f" % value for value in os.getloadavg())), flush=True)
    for fleet in fleets:
        if not bench_fleet(fleet, options.quick, rows, broken):
            return 2
    print("\nload average after: %s (%d cores)" % (" ".join("%.2f" % value for value in os.getloadavg()),
                                                   os.cpu_count() or 0))
    print("| fleet | run | wall | aim | plugin | floor | peak memory | aim | SEPM requests | aim |")
    print("|---:|---|---:|---|---:|---:|---:|---|---:|---|")
    for fleet, label, elapsed, aim_s, plugin, floor, peak_mb, aim_mb, requests, aim_requests in rows:
        print("| %s | %s | %.1f s | %s | %s | %s | %.0f MB | %s | %d | %s |" % (
            format(fleet, ","), label, elapsed, aim_s, "-" if plugin is None else "%.1f s" % plugin,
            "-" if floor is None else "%.1f s" % floor, peak_mb, aim_mb, requests, aim_requests))
    print("\nrequest budgets and host counts: %s" % ("BROKEN: " + "; ".join(broken) if broken else "met"))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
