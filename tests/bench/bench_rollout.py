# -*- coding: utf-8 -*-
"""Benchmark: roll a patch out to an emulated fleet, from 1,000 endpoints in batches of 100 to 50,000 in batches of 5,000.

Each row is one ``endpoint_ops.sepm.rollout`` run of ``rollout_groups: ['My Company']`` (Windows clients),
a window open all day, against a fresh emulator at its real limits (Tomcat's 8 KB request head). It prints:
- the span from the first batch's start to the last batch's end on the SEPM's clock, against the ideal: the
  emulator's download, install and restart time of each batch, summed (and the whole run's wall time);
- the controller CPU of each batch task: the CPU of the worker process that ran the rollout_batch task (and
  its children) plus what ansible-playbook's own process spent on it, not counting the meter's own sampling
  thread (``tests/bench/callback_plugins/bench_meter.py``);
- the peak controller memory: the largest peak resident set of ansible-playbook's processes, and which task's it was;
- the SEPM requests per endpoint per batch step (stage, policy, deliver, restart, return) and the largest request
  line plus headers the emulator received;
- the bytes a batch task receives (its templated arguments) and returns (its result): these must not grow with the fleet;
- and, on a small fleet, the wall time under the emulator's throttle (50 requests a minute) beside the same run unthrottled.
Every run reads the checkout's ``ansible.cfg``, as the README's rollout command does (``--ansible-defaults``
runs without it). Figures only: nothing here fails on time. The machine's load average is printed with each row.

Run: python tests/bench/bench_rollout.py                  (every row of the README's table, then the throttle comparison)
     python tests/bench/bench_rollout.py --fleet 20000 --batch 2000        (one row; --serial '[1, "10%", "25%"]')
     [--time-scale 60] [--poll-interval 0.5] [--throttle-fleet 100] [--health-checks '[]'] [--batches-ahead 2]
     [--keep-dir DIR] [--profile-dir DIR] [--ansible-defaults]
``--profile-dir`` keeps a cProfile of every task's worker process there (``profile_hook/sitecustomize.py``) and
one of the emulator (``profiled_emulator.py``): profiled runs are slower, so their figures are not the table's.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.emulator.harness import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position
from tests.integration.ansible_runner import PlaybookRunner, collections_root  # noqa: E402  pylint: disable=wrong-import-position

HERE = Path(__file__).resolve().parent
PROJECT_CONFIG = HERE.parents[1] / "ansible.cfg"
STEPS_PER_BATCH = 5
# A per-host job moves each host in and out, sends it its own updatecontent and restart (4 writes),
# and reads each host's state once per poll.
PER_HOST_WRITES = 4
# The README's table: (fleet, serial, time scale).
ROWS = (
    (1000, [100], 20),
    (20000, [2000], 60),
    (20000, [1, "10%", "25%"], 60),
    (50000, [5000], 60),
)
BATCH_ACTION = "rollout_batch"
# The role's rollout_poll_interval, in seconds on the SEPM's clock: a row polls as often at its time scale.
ROLE_DEFAULTS = HERE.parents[1] / "roles" / "rollout" / "defaults" / "main.yml"


class RunFileWatch:
    """The largest size the run's file (``<report_dir>/.runs/``) reaches while the run goes on."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.largest = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while not self._stop.wait(0.2):
            for path in self.folder.glob("run-*.json"):
                try:
                    self.largest = max(self.largest, path.stat().st_size)
                except OSError:
                    pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()


def rollout(fleet, serial, time_scale, poll_interval, throttle=None, profile_dir=None, keep_dir=None,  # pylint: disable=too-many-arguments
            role_vars=None, project_config=True):
    """One rollout against a fresh emulator; returns what the row prints from."""
    wrapped = {}
    if profile_dir:
        Path(profile_dir).mkdir(parents=True, exist_ok=True)
        wrapped = {"module": "tests.bench.profiled_emulator",
                   "extra_args": ("--profile-out", str(Path(profile_dir).resolve() / ("emulator-%d.prof" % fleet)))}
    with EmulatorProcess(fleet=fleet, seed=11, time_scale=time_scale, profile="windows", **wrapped) as emulator, \
            tempfile.TemporaryDirectory() as workdir:
        settings = emulator.state()["settings"]
        variables = {
            "rollout_groups": ["My Company"],
            "rollout_windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00",
                                 "duration": "24h", "timezone": "UTC"}],
            "rollout_serial": serial,
            "rollout_poll_interval": poll_interval,
            "rollout_policy_timeout": 1800, "rollout_delivery_timeout": 3600, "rollout_restart_timeout": 3600,
            "rollout_report_dir": str(Path(workdir) / "reports"),
        }
        variables.update(role_vars or {})
        meter_path = Path(workdir) / "meter.json"
        env = {
            "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "bench_meter",
            "BENCH_METER_PATH": str(meter_path),
        }
        if project_config:
            # The checkout's ansible.cfg, as the README's rollout command and an AWX project's job read theirs.
            env["ANSIBLE_CONFIG"] = str(PROJECT_CONFIG)
        if profile_dir:
            env.update(PYTHONPATH=os.pathsep.join(filter(None, (str(HERE / "profile_hook"), os.environ.get("PYTHONPATH")))),
                       BENCH_PROFILE_DIR=str(Path(profile_dir).resolve()))
        runner = PlaybookRunner(emulator, workdir)
        emulator.reset_requests()
        if throttle:
            emulator.settings(throttle=throttle)
        load_before = os.getloadavg()
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        with RunFileWatch(Path(workdir) / "reports" / ".runs") as watch:
            run = runner.run("endpoint_ops.sepm.rollout", env=env, extra_vars=variables, timeout=7200)
        wall = time.monotonic() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        reports = sorted((Path(workdir) / "reports").glob("*.json"))
        if keep_dir or profile_dir:
            # Beside the profiles, what they explain: the report, the per-task meter and the play's output.
            kept = Path(keep_dir or profile_dir)
            kept.mkdir(parents=True, exist_ok=True)
            # Named by fleet and serial: two rows of one fleet size keep their own files.
            row = "-".join([str(fleet)] + [str(size).replace("%", "pct") for size in serial])
            for path in reports:
                shutil.copy(path, kept / ("report-%s.json" % row))
            if meter_path.exists():
                shutil.copy(meter_path, kept / ("meter-%s.json" % row))
            (kept / ("output-%s.txt" % row)).write_text(run.output)
        if run.returncode != 0:
            print(run.output[-3000:])
            if reports:
                hosts = json.loads(reports[0].read_text()).get("hosts") or {}
                failed = [(name, host.get("reason")) for name, host in hosts.items() if host.get("state") == "failed"]
                print("failed computers: " + "; ".join("%s: %s" % item for item in failed[:20]))
            raise SystemExit(2)
        report_path = reports[0]
        report = json.loads(report_path.read_text())
        return {
            "run_file_bytes": watch.largest, "report_bytes": report_path.stat().st_size,
            "earlier_reports": read_earlier_reports(report_path),
            "wall": wall, "report": report, "requests": emulator.requests_count(), "settings": settings,
            "meter": json.loads(meter_path.read_text()), "load": (load_before, os.getloadavg()),
            "controller_cpu": (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime),
        }


def read_earlier_reports(report_path, runs=20):
    """What planning pays to read ``runs`` earlier reports of this size (the forecast reads the last 20): (seconds, MB)."""
    with tempfile.TemporaryDirectory() as folder:
        for number in range(runs):
            os.link(report_path, Path(folder) / ("rollout-20260101T%06dZ.json" % number))
        code = ("import resource, sys, time; sys.path.insert(0, %r); "
                "from ansible_collections.endpoint_ops.sepm.plugins.module_utils.forecast import durations_from_reports, load_reports; "
                "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; started = time.process_time(); "
                "durations_from_reports(load_reports(%r)[0]); "
                "print(time.process_time() - started, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024.0)"
                % (str(collections_root()), folder))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        seconds, megabytes = done.stdout.split()
        return float(seconds), float(megabytes)


def span_seconds(batches):
    began = min(datetime.datetime.fromisoformat(b["started"]) for b in batches)
    ended = max(datetime.datetime.fromisoformat(b["finished"]) for b in batches)
    return (ended - began).total_seconds()


def measure(fleet, serial, time_scale, poll_interval, profile_dir=None, keep_dir=None,  # pylint: disable=too-many-arguments
            role_vars=None, project_config=True):
    """Run one row and print its figures; returns the row's summary for the closing table."""
    outcome = rollout(fleet, serial, time_scale, poll_interval, profile_dir=profile_dir, keep_dir=keep_dir,
                      role_vars=role_vars, project_config=project_config)
    # The meter's sampling thread runs in ansible-playbook's process: its CPU is the benchmark's, not the controller's.
    meter_cpu = outcome["meter"].get("meter_cpu_s", 0.0)
    report, settings, requests_made, meter = outcome["report"], outcome["settings"], outcome["requests"], outcome["meter"]
    per_batch_sim = settings["download_s"] + settings["install_s"] + settings["restart_s"]
    batches = [b for b in report["batches"] if not b["gated"] and b["started"] and b["finished"]]
    patched = report["totals"]["patched"]
    ideal_sim = len(batches) * per_batch_sim
    span_sim = span_seconds(batches)
    ideal = ideal_sim / time_scale
    per_step = requests_made["total"] / float(max(1, patched) * STEPS_PER_BATCH)
    by_endpoint = requests_made["by_endpoint"]
    poll_rounds = by_endpoint.get("GET command-queue/{command_id}", 0) / float(max(1, len(batches)))
    per_host_job = patched * (PER_HOST_WRITES + poll_rounds)
    tasks = meter["tasks"]
    batch_tasks = [task for task in tasks if task["action"].endswith(BATCH_ACTION) and task["status"] != "skipped"]
    batch_cpu = [task["worker_cpu_s"] + task["main_cpu_s"] for task in batch_tasks]
    # Between two batch tasks the delivered next batch waits for its restart: ansible's task switch, the run's file.
    gaps = [after["started_at"] - before["ended_at"] for before, after in zip(batch_tasks, batch_tasks[1:])]
    peak_task = max(tasks, key=lambda task: task["worker_peak_mb"]) if tasks else None
    peak = max(meter["main_peak_mb"], peak_task["worker_peak_mb"] if peak_task else 0.0)
    peak_of = "ansible-playbook itself" if peak == meter["main_peak_mb"] else "the worker of %r" % peak_task["task"]
    (load_before, load_after) = outcome["load"]
    print("rollout of %d endpoints (%d patched, %d compliant) in %d batches, serial %s, time scale %gx; load average %.2f "
          "before, %.2f after (1 min)" % (report["totals"]["total"], patched, report["totals"]["compliant"], len(batches),
                                          json.dumps(serial), time_scale, load_before[0], load_after[0]))
    print("  Ansible's settings: %s; a reading every %gs (%gs on the SEPM's clock)" % (
        "the checkout's ansible.cfg" if project_config else "Ansible's own defaults", poll_interval, poll_interval * time_scale))
    if role_vars:
        print("  role variables set beyond the bench's own: %s" % json.dumps(role_vars, sort_keys=True))
    print("  first batch start to last batch end: %.0fs simulated, ideal %.0fs (download+install+restart %ds per batch): "
          "%.2f x ideal" % (span_sim, ideal_sim, per_batch_sim, span_sim / ideal_sim if ideal_sim else 0.0))
    wall_ratio = outcome["wall"] / ideal if ideal else 0.0
    run_cpu = outcome["controller_cpu"] - meter_cpu
    print("  whole run (login, plan, report included): wall %.1fs, ideal %.1fs: %.2f x ideal; controller CPU %.1fs in all "
          "(not counting the meter's own %.1fs)" % (outcome["wall"], ideal, wall_ratio, run_cpu, meter_cpu))
    if batch_cpu:
        print("  controller CPU per batch task: mean %.2fs, max %.2fs (%s; of the mean, ansible-playbook's own process %.2fs)" % (
            sum(batch_cpu) / len(batch_cpu), max(batch_cpu), ", ".join("%.1f" % value for value in batch_cpu),
            sum(task["main_cpu_s"] for task in batch_tasks) / len(batch_tasks)))
    if gaps:
        print("  from one batch task's end to the next one's start: mean %.2fs wall, max %.2fs (%.0fs simulated each)"
              % (sum(gaps) / len(gaps), max(gaps), time_scale * sum(gaps) / len(gaps)))
    print("  peak controller memory: %.0f MB (%s; ansible-playbook itself %.0f MB)" % (peak, peak_of, meter["main_peak_mb"]))
    print("  SEPM requests: %d in all, %.4f per endpoint per batch step; largest request line plus headers %d bytes "
          "(%d refused)" % (requests_made["total"], per_step, requests_made["largest_head_bytes"], requests_made["refused_heads"]))
    print("    the same job as per-host uri calls: at least %d requests (%d writes per host, one read per host per poll round,"
          " %.0f rounds per batch): %.0f x more" % (per_host_job, PER_HOST_WRITES, poll_rounds,
                                                    per_host_job / max(1, requests_made["total"])))
    busiest = sorted(by_endpoint.items(), key=lambda item: -item[1])[:6]
    print("    busiest: " + ", ".join("%s %d" % item for item in busiest))
    if batch_tasks:
        print("  a batch task receives %d-%d bytes of arguments and returns %d-%d bytes" % (
            min(task["args_bytes"] for task in batch_tasks), max(task["args_bytes"] for task in batch_tasks),
            min(task["result_bytes"] for task in batch_tasks), max(task["result_bytes"] for task in batch_tasks)))
    earlier_s, earlier_mb = outcome["earlier_reports"]
    print("  the run's file on the controller: largest %.1f MB; the JSON report %.1f MB; planning beside 20 earlier reports "
          "like it reads them in %.2fs CPU (%.0f MB more memory)" % (
              outcome["run_file_bytes"] / 1e6, outcome["report_bytes"] / 1e6, earlier_s, earlier_mb))
    costly = sorted(tasks, key=lambda task: -(task["worker_cpu_s"] + task["main_cpu_s"]))[:5]
    print("  costliest tasks (CPU s, wall s, peak MB): " + "; ".join(
        "%s %.1f/%.1f/%.0f" % (task["task"], task["worker_cpu_s"] + task["main_cpu_s"], task["wall_s"], task["worker_peak_mb"])
        for task in costly))
    return {
        "row": "%s / %s" % ("{:,}".format(fleet), ", ".join(str(size) for size in serial)),
        "span": span_sim / ideal_sim if ideal_sim else 0.0,
        "cpu": max(batch_cpu) if batch_cpu else 0.0,
        "cpu_mean": sum(batch_cpu) / len(batch_cpu) if batch_cpu else 0.0,
        "peak": peak, "per_step": per_step, "head": requests_made["largest_head_bytes"],
        "args": max((task["args_bytes"] for task in batch_tasks), default=0),
        "result": max((task["result_bytes"] for task in batch_tasks), default=0),
        "load": max(load_before[0], load_after[0]),
    }


def throttled(fleet, time_scale, poll_interval):
    serial = [max(1, fleet // 4)]
    runs = (("unthrottled", None), ("throttled at 50 requests a minute", {"limit": 50, "window_s": 60}))
    for label, throttle in runs:
        outcome = rollout(fleet, serial, time_scale, poll_interval, throttle=throttle)
        totals = outcome["report"]["totals"]
        print("%d endpoints, %s: wall %.1fs, %d patched, %d failed, %d SEPM requests (429s included)" % (
            fleet, label, outcome["wall"], totals["patched"], totals["failed"], outcome["requests"]["total"]))


def serial_option(text):
    value = json.loads(text)
    if not isinstance(value, list) or not value:
        raise argparse.ArgumentTypeError("--serial takes a JSON list such as '[1, \"10%%\", \"25%%\"]'")
    return value


def role_var(text):
    """NAME=JSON, for --var."""
    name, sep, value = text.partition("=")
    if not sep or not name.startswith("rollout_"):
        raise argparse.ArgumentTypeError("expected rollout_NAME=JSON, got %r" % text)
    try:
        return name, json.loads(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("%s: the value is not JSON (%s)" % (name, exc)) from exc


def role_poll_interval():
    for line in ROLE_DEFAULTS.read_text(encoding="utf-8").splitlines():
        if line.startswith("rollout_poll_interval:"):
            return float(line.split(":", 1)[1])
    raise SystemExit("%s sets no rollout_poll_interval" % ROLE_DEFAULTS)


def poll_interval_at(time_scale, given=None):
    """The wall seconds between readings: ``given``, else the role's default on the SEPM's clock at ``time_scale``."""
    return given if given is not None else role_poll_interval() / time_scale


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fleet", type=int, help="endpoints of one row (default: every row of the table)")
    parser.add_argument("--batch", type=int, help="batch size of one row: serial [BATCH]")
    parser.add_argument("--serial", type=serial_option, help="serial of one row as JSON, e.g. '[1, \"10%%\", \"25%%\"]'")
    parser.add_argument("--time-scale", type=float, help="simulated seconds per second (default 20 at 1,000 endpoints, else 60)")
    parser.add_argument("--poll-interval", type=float, help="rollout_poll_interval in wall seconds (default: the role's "
                        "%gs on the SEPM's clock, over the row's time scale: 0.5 s at 60x)" % role_poll_interval())
    parser.add_argument("--throttle-fleet", type=int, help="fleet of the throttled comparison; 0 skips it "
                        "(default 100 for the whole table, 0 for one row)")
    parser.add_argument("--health-checks", type=json.loads, help="rollout_health_checks as JSON ('[]' runs none; "
                        "default: the role's, every check settling two heartbeats)")
    parser.add_argument("--batches-ahead", type=int, help="rollout_batches_ahead (default: the role's, 1)")
    parser.add_argument("--var", action="append", default=[], type=role_var, metavar="NAME=JSON",
                        help="any other variable of the rollout role, e.g. rollout_hand_off_restarts=false (repeatable)")
    parser.add_argument("--ansible-defaults", action="store_true", help="run without the checkout's ansible.cfg "
                        "(Ansible's own settings: internal_poll_interval 0.001)")
    parser.add_argument("--keep-dir", help="keep each row's JSON report, per-task meter and play output in this folder")
    parser.add_argument("--profile-dir", help="keep a cProfile of each rollout task's worker process in this folder")
    options = parser.parse_args()

    one_row = options.fleet is not None or options.batch is not None or options.serial is not None
    if one_row:
        fleet = options.fleet or 1000
        serial = options.serial or [options.batch or max(1, fleet // 10)]
        scale = options.time_scale or next((row[2] for row in ROWS if row[:2] == (fleet, serial)), 60)
        rows = [(fleet, serial, scale)]
    else:
        rows = [(fleet, serial, options.time_scale or scale) for fleet, serial, scale in ROWS]
    role_vars = dict(options.var)
    if options.health_checks is not None:
        role_vars["rollout_health_checks"] = options.health_checks
    if options.batches_ahead is not None:
        role_vars["rollout_batches_ahead"] = options.batches_ahead
    summaries = []
    for fleet, serial, scale in rows:
        summaries.append(measure(fleet, serial, scale, poll_interval_at(scale, options.poll_interval), options.profile_dir,
                                 options.keep_dir, role_vars, not options.ansible_defaults))
    print()
    print("| fleet / batch | span / ideal | controller CPU per batch (max) | peak controller memory | requests per endpoint per step "
          "| largest request head | batch task arguments / result | load |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in summaries:
        print("| %s | %.2f | %.2f s (mean %.2f s) | %.0f MB | %.4f | %d bytes | %d / %d bytes | %.1f |" % (
            row["row"], row["span"], row["cpu"], row["cpu_mean"], row["peak"], row["per_step"], row["head"], row["args"],
            row["result"], row["load"]))
    throttle_fleet = options.throttle_fleet if options.throttle_fleet is not None else (0 if one_row else 100)
    if throttle_fleet:
        throttled(throttle_fleet, rows[0][2], poll_interval_at(rows[0][2], options.poll_interval))
    return 0


if __name__ == "__main__":
    sys.exit(main())
