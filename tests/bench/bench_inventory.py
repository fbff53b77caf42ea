# -*- coding: utf-8 -*-
"""Benchmark: the endpoint_ops.sepm.sepm inventory over a 20,000-computer emulator fleet.

Runs real ``ansible-inventory`` against the emulator, first cold (empty jsonfile cache),
then from the cache, and prints per run: wall time, peak memory of the ansible-inventory
process, the SEPM requests it made and the plugin's own timings (its -vvv line). Extra
cached runs show where the time goes: ``--list --export`` (what AWX runs), ``--graph``
(the plugin's load without the CLI writing 500,000 variables) and ``--list`` with
compose/keyed_groups/groups.

Exits 1 only when a request budget is broken (cold: more than 25 ``GET computers``;
cached: any SEPM request at all), 2 when a run fails; never on timing.
Run: python tests/bench/bench_inventory.py [--fleet 20000]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.emulator.harness import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position
from tests.integration.ansible_runner import ansible_bin, collections_root  # noqa: E402  pylint: disable=wrong-import-position

COLD_COMPUTER_REQUEST_BUDGET = 25
AIMS = {"cold": 20.0, "cached": 3.0}  # seconds, reported only
MEMORY_AIM_MB = 500
BASE = """plugin: endpoint_ops.sepm.sepm
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: {cache}
cache_timeout: 3600
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
PLUGIN_LINE = re.compile(r"SEPM inventory: .*")


def run_inventory(emulator, workdir, source, *args):
    """One ansible-inventory run: (returncode, wall seconds, peak RSS in MB, plugin line, stderr tail)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SEPM_", "ANSIBLE_"))}
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(collections_root()),
        "ANSIBLE_VERBOSE_TO_STDERR": "1",
        "ANSIBLE_NOCOLOR": "1",
        "SEPM_HOST": emulator.host,
        "SEPM_PORT": str(emulator.port),
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
    process.returncode = os.waitstatus_to_exitcode(status)
    text = (workdir / "stderr").read_text(encoding="utf-8", errors="replace")
    found = PLUGIN_LINE.search(text)
    return process.returncode, elapsed, usage.ru_maxrss / 1024.0, found.group(0) if found else "", text[-3000:]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fleet", type=int, default=20000)
    options = parser.parse_args()
    broken = []
    with EmulatorProcess(fleet=options.fleet, seed=7) as emulator, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        cache_dir = workdir / "cache"
        plain = workdir / "fleet.sepm.yml"
        plain.write_text(BASE.format(cache=cache_dir), encoding="utf-8")
        constructed = workdir / "constructed.sepm.yml"
        constructed.write_text(BASE.format(cache=workdir / "cache-constructed") + CONSTRUCTED, encoding="utf-8")
        runs = [
            ("cold", plain, ("--list",)),
            ("cached", plain, ("--list",)),
            ("cached", plain, ("--list", "--export")),
            ("cached", plain, ("--graph",)),
            ("cold", constructed, ("--list",)),
            ("cached", constructed, ("--list",)),
        ]
        print("fleet=%d computers, ansible-inventory %s" % (options.fleet, ansible_bin("ansible-inventory")))
        for kind, source, args in runs:
            cache_files = sorted(cache_dir.glob("*")) if source == plain else []
            ages = [path.stat().st_mtime for path in cache_files]
            emulator.reset_requests()
            returncode, elapsed, peak_mb, plugin_line, tail = run_inventory(emulator, workdir, source, *args)
            counts = emulator.requests_count()
            computers = counts["by_endpoint"].get("GET computers", 0)
            label = "%-6s %-18s %-21s" % (kind, source.name, " ".join(args))
            if returncode != 0:
                print("%s FAILED (rc=%d)\n%s" % (label, returncode, tail))
                return 2
            print("%s wall=%6.2fs (aim %4.1fs) peak=%4.0fMB (aim %d) requests=%d (GET computers=%d)" % (
                label, elapsed, AIMS[kind], peak_mb, MEMORY_AIM_MB, counts["total"], computers))
            print("       plugin: %s" % (plugin_line or "(no -vvv line)"))
            if kind == "cold" and computers > COLD_COMPUTER_REQUEST_BUDGET:
                broken.append("%s: %d GET computers > %d" % (label, computers, COLD_COMPUTER_REQUEST_BUDGET))
            if kind == "cached" and counts["total"] > 0:
                broken.append("%s: %d SEPM requests from cache" % (label, counts["total"]))
            if kind == "cached" and cache_files and [path.stat().st_mtime for path in cache_files] != ages:
                broken.append("%s: reading the cache rewrote it (its age was reset)" % label)
    print("request budgets (cold <= %d GET computers, cached 0 requests, cache age kept): %s" % (
        COLD_COMPUTER_REQUEST_BUDGET, "BROKEN: " + "; ".join(broken) if broken else "met"))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
