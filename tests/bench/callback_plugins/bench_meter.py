# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Benchmark-only callback: what each task cost the controller, written to a JSON file.

For every task result it records the wall time since the task started, the CPU of the worker
process that ran it (``/proc/<pid>/stat``: user and system time, its reaped children's too, read
when its result arrives, after the task's work; when the worker is gone by then, its last reading
by the sampling thread, at most 50 ms old) plus the CPU ansible-playbook's own process spent
on the task meanwhile (templating its arguments, reading its result; not this callback's own sampling
thread, whose CPU is kept apart as ``meter_cpu_s``), the worker's peak resident
memory (``VmHWM``), and the bytes of the task's templated arguments and of its result as JSON. At
the end it adds the main process's peak memory. A thread reads the workers' peak memory every 50 ms
while they run (a worker has exited by the time its result arrives). ``tests/bench/bench_rollout.py`` enables it and
reads the file named by ``BENCH_METER_PATH``. Linux only (``/proc``).
"""

from __future__ import annotations

DOCUMENTATION = r'''
name: bench_meter
type: aggregate
short_description: Record each task's controller CPU, memory and argument and result sizes (benchmarks only)
description:
  - Writes one record per task result to the file named by the BENCH_METER_PATH environment variable.
requirements:
  - enable in configuration
'''

import json
import os
import threading
import time

from ansible.plugins.callback import CallbackBase

TICKS = os.sysconf("SC_CLK_TCK")
# How often the peak memory of the worker processes is read: a worker is gone by the time its result arrives.
SAMPLE_S = 0.05
# A token's value never goes into the file; only its length counts towards the arguments' size.
SECRET_ARGS = ("sepm_token", "sepm_password")


def _stat(pid):
    """(start tick, cpu seconds of the process and its reaped children) of a process, or None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command's closing parenthesis: state is field 3, utime 14, stime 15, cutime 16, cstime 17, starttime 22.
    cpu = sum(int(value) for value in fields[11:15]) / float(TICKS)
    return int(fields[19]), cpu


def _peak_rss_mb(pid):
    try:
        with open("/proc/%d/status" % pid, encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def _children(pid):
    """The child processes of ``pid`` (each of its threads' ``children`` file: cheap, no scan of /proc)."""
    found = []
    try:
        threads = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return found
    for thread in threads:
        try:
            with open("/proc/%d/task/%s/children" % (pid, thread), encoding="ascii") as handle:
                found.extend(int(value) for value in handle.read().split())
        except (OSError, ValueError):
            continue
    return found


def _now_tick():
    """Clock ticks since boot: the unit of a process's start time in ``/proc/<pid>/stat``."""
    with open("/proc/uptime", encoding="ascii") as handle:
        return int(float(handle.read().split()[0]) * TICKS)


def _own_cpu():
    times = os.times()
    return times.user + times.system


def _size(value):
    return len(json.dumps(value, default=str, separators=(",", ":")))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_meter"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._records = []
        self._task = None
        self._seen = set()
        self._peaks = {}
        # Each child's latest (start tick, CPU) as sampled: a worker may be reaped before its result is recorded.
        self._last_stat = {}
        self._lock = threading.Lock()
        # The sampling thread's own CPU: it runs in ansible-playbook's process, but it is the meter's cost, not the task's.
        self._sampler_cpu = 0.0
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self):
        """Keep each child's peak resident memory while it lives (VmHWM only grows, and a zombie has none)."""
        main = os.getpid()
        while True:
            for pid in _children(main):
                peak = _peak_rss_mb(pid)
                if peak > self._peaks.get(pid, 0.0):
                    self._peaks[pid] = peak
                stat = _stat(pid)
                if stat is not None:
                    with self._lock:
                        self._last_stat[pid] = stat
            self._sampler_cpu = time.thread_time()
            time.sleep(SAMPLE_S)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task = {"started": time.monotonic(), "own_cpu": _own_cpu(), "meter_cpu": self._sampler_cpu, "tick": _now_tick()}

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _worker(self, since_tick=0):
        """The newest child of ansible-playbook not measured before, started since the task did: the worker that ran it."""
        newest = None
        children = set(_children(os.getpid()))
        with self._lock:
            sampled = dict(self._last_stat)
        for pid in children | set(sampled):
            stat = (_stat(pid) if pid in children else None) or sampled.get(pid)
            if stat is not None and pid not in self._seen and stat[0] >= since_tick - 1 and (newest is None or stat[0] > newest[1]):
                newest = (pid, stat[0], stat[1])
        if newest is None:
            return None, 0.0, 0.0
        self._seen.add(newest[0])
        return newest[0], newest[2], max(_peak_rss_mb(newest[0]), self._peaks.get(newest[0], 0.0))

    def _record(self, result, status):
        started = self._task or {"started": time.monotonic(), "own_cpu": _own_cpu(), "meter_cpu": self._sampler_cpu, "tick": 0}
        meter_cpu = self._sampler_cpu - started["meter_cpu"]
        pid, worker_cpu, worker_peak = self._worker(started["tick"])
        fields = getattr(result, "task_fields", None) or getattr(result, "_task_fields", None) or {}
        args = dict(fields.get("args") or result._task.args or {})
        for name in SECRET_ARGS:
            if name in args:
                args[name] = "x" * len(str(args[name]))
        self._records.append({
            "task": result._task.get_name(),
            "action": str(fields.get("action") or result._task.action),
            "status": status,
            "wall_s": time.monotonic() - started["started"],
            "started_at": started["started"],
            "ended_at": time.monotonic(),
            "worker_pid": pid,
            "worker_cpu_s": worker_cpu,
            "main_cpu_s": max(0.0, _own_cpu() - started["own_cpu"] - meter_cpu),
            "meter_cpu_s": meter_cpu,
            "worker_peak_mb": worker_peak,
            "args_bytes": _size(args),
            "result_bytes": _size(result._result),
        })

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_METER_PATH")
        if not path:
            return
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"tasks": self._records, "main_peak_mb": _peak_rss_mb(os.getpid()),
                       "main_cpu_s": _own_cpu() - self._sampler_cpu, "meter_cpu_s": self._sampler_cpu}, handle)
