# -*- coding: utf-8 -*-
"""Benchmark: computer_info over a 20,000-computer emulator fleet.

Prints the SEPM requests the module made and the wall time; exits non-zero when the
request budget (25) is exceeded, since that is a count, not a timing.
Run: python tests/bench/bench_computer_info.py [--fleet 20000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.emulator.harness import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position
from tests.integration.ansible_runner import PlaybookRunner  # noqa: E402  pylint: disable=wrong-import-position

REQUEST_BUDGET = 25
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: query
      endpoint_ops.sepm.computer_info:
        summary_only: {summary_only}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fleet", type=int, default=20000)
    options = parser.parse_args()
    failed = False
    with EmulatorProcess(fleet=options.fleet, seed=7) as emulator, tempfile.TemporaryDirectory() as workdir:
        runner = PlaybookRunner(emulator, workdir)
        for summary_only in ("false", "true"):
            emulator.reset_requests()
            started = time.monotonic()
            run = runner.run(PLAYBOOK.format(summary_only=summary_only))
            elapsed = time.monotonic() - started
            if run.returncode != 0:
                print(run.output[-3000:])
                return 2
            result = run.result("query")
            requests_made = emulator.requests_count()["total"]
            print("computer_info summary_only=%-5s fleet=%d returned=%d requests=%d wall=%.2fs" % (
                summary_only, options.fleet, result["counts"]["total"], requests_made, elapsed))
            failed |= requests_made > REQUEST_BUDGET or result["counts"]["total"] != options.fleet
    print("request budget %d: %s" % (REQUEST_BUDGET, "EXCEEDED" if failed else "met"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
