# -*- coding: utf-8 -*-
"""The rollout's HTML report as a person sees it: rendered by a real headless Chromium.

The browser (npm's @sparticuz/chromium, which carries its own Chromium) is installed by
scripts/test.sh into tests/output/browser when node and npm exist; without them this test
is skipped with that reason. The screenshot is kept in tests/output/report-screenshots/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_rollout import WORKSTATIONS, report, result_html, unpatched_workstations, window_with
from tests.integration.test_rollout import emulator, fleet, rollout  # noqa: F401  pylint: disable=unused-import

BROWSER = os.environ.get("REPORT_BROWSER_DIR", "")
ARTIFACTS = os.environ.get("REPORT_ARTIFACT_DIR", "")


def screenshot(html, png):
    if not BROWSER or not (Path(BROWSER) / "node_modules").is_dir() or not shutil.which("node"):
        pytest.skip("no headless browser: scripts/test.sh installs one into tests/output/browser when node and npm exist")
    done = subprocess.run(["node", str(Path(BROWSER) / "screenshot.js"), str(html), str(png), "1400", "900"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_report_shows_failures_first_and_the_batches_against_the_window(emulator, rollout, tmp_path):  # noqa: F811
    _api, names = unpatched_workstations(emulator)
    emulator.add_fault(kind="never_back", computers=names[1:3])
    window, _opens, _closes = window_with(emulator, minutes_left=20 * 60, duration_minutes=24 * 60)
    run = rollout(rollout_groups=[WORKSTATIONS], rollout_windows=[window], rollout_serial=[1, 4],
                  rollout_failure_budget=5, rollout_max_fail_percentage=100, rollout_restart="always")
    assert run.returncode == 0, run.output[-4000:]
    html_path = Path(result_html(tmp_path))
    html = html_path.read_text(encoding="utf-8")
    assert html.index("<h2>Forecast</h2>") < html.index("Failures and deferrals first") \
        < html.index("Batches against the maintenance windows") < html.index("Every computer")
    assert "When this run began: at this pace, done on " in html
    assert "did not come back online" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html, "the report must be self-contained"
    assert emulator.password not in html
    timeline = report(tmp_path)["timeline"]
    assert timeline["windows"] and len(timeline["batches"]) == len([b for b in report(tmp_path)["batches"] if not b["gated"]])

    out_dir = Path(ARTIFACTS or tmp_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / "rollout-report.png"
    seen = screenshot(html_path, png)
    assert seen["errors"] == [] and seen["requests"] == [], seen
    assert seen["title"].startswith("SEP client patch rollout")
    assert png.stat().st_size > 20000
