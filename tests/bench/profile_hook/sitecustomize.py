# -*- coding: utf-8 -*-
"""Benchmark-only: a cProfile of each ansible-playbook worker process, when BENCH_PROFILE_DIR names a folder.

``bench_rollout.py --profile-dir DIR`` puts this folder first on the PYTHONPATH of ansible-playbook. In a
forked worker it wraps ``WorkerProcess.run`` in a profile of CPU time and writes ``DIR/<pid>-<task name>.prof``
(read it with ``python -m pstats``). Without BENCH_PROFILE_DIR it does nothing.
"""

import os

FOLDER = os.environ.get("BENCH_PROFILE_DIR")


def _profile_worker():
    import sys  # pylint: disable=import-outside-toplevel
    worker = sys.modules.get("ansible.executor.process.worker")
    if worker is None or getattr(worker.WorkerProcess, "_bench_profiled", False):
        return
    original = worker.WorkerProcess.run

    def run(self):
        import cProfile  # pylint: disable=import-outside-toplevel
        import re  # pylint: disable=import-outside-toplevel
        import time  # pylint: disable=import-outside-toplevel
        # CPU time, not wall time: what the benchmark's controller CPU figure counts (waits on the SEPM drop out).
        profile = cProfile.Profile(time.process_time)
        try:
            return profile.runcall(original, self)
        finally:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", self._task.get_name())[:80]
            profile.dump_stats(os.path.join(FOLDER, "%d-%s.prof" % (os.getpid(), name)))

    worker.WorkerProcess.run = run
    worker.WorkerProcess._bench_profiled = True


if FOLDER:
    os.makedirs(FOLDER, exist_ok=True)
    os.register_at_fork(after_in_child=_profile_worker)
