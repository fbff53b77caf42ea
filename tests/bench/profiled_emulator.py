# -*- coding: utf-8 -*-
"""Benchmark-only: the emulator with every connection's thread under cProfile, the stats written at exit.

    python -m tests.bench.profiled_emulator --profile-out OUT.prof --port 0 --fleet 20000 ...

takes the emulator's own arguments beside ``--profile-out``; ``bench_rollout.py --profile-dir DIR``
runs the emulator so (``DIR/emulator.prof``; read it with ``python -m pstats``), to see what the
emulator's own work costs at fleet scale.
"""

import cProfile
import pstats
import sys
import threading
import time

from tests.emulator import __main__ as emulator_main
from tests.emulator import server

_PROFILES = []
_LOCK = threading.Lock()
_HANDLE = server.SepmRequestHandler.handle


def _profiled_handle(self):
    # CPU time of the connection's thread: an idle kept-alive connection costs nothing.
    profile = cProfile.Profile(time.thread_time)
    with _LOCK:
        _PROFILES.append(profile)
    profile.runcall(_HANDLE, self)


def main(argv):
    out = argv[argv.index("--profile-out") + 1]
    rest = argv[:argv.index("--profile-out")] + argv[argv.index("--profile-out") + 2:]
    server.SepmRequestHandler.handle = _profiled_handle
    try:
        return emulator_main.main(rest)
    finally:
        stats = None
        with _LOCK:
            for profile in _PROFILES:
                profile.create_stats()
                if profile.stats:
                    stats = pstats.Stats(profile) if stats is None else stats.add(profile)
        if stats is not None:
            stats.dump_stats(out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
