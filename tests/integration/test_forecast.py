# -*- coding: utf-8 -*-
"""endpoint_ops.sepm.rollout_forecast through real ansible-playbook against the emulator.

The forecast plans like rollout_plan (same targets, preflight and clusters) and places the
batches in the windows; the run that shows its real finish inside the spread is in
test_rollout.py.
"""

from __future__ import annotations

import datetime
import json

SERVERS = "My Company\\Servers"
WEEKEND = {"days": ["sat", "sun"], "start": "22:00", "duration": "4h", "timezone": "Europe/Berlin"}
START = "2026-12-07T09:00:00+00:00"  # a Monday: the first window opens on Saturday
CHANGE_EVENTS = frozenset(("move", "policy_assigned", "group_created", "group_deleted", "settings_changed", "command"))


def forecast_play(report_dir, **options):
    arguments = {"groups": [SERVERS], "serial": [1, 2], "windows": [WEEKEND], "report_dir": str(report_dir),
                 "start": START, "target_version": "14.3.10148.9100"}
    arguments.update(options)
    return """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: step
      endpoint_ops.sepm.rollout_forecast: %s
""" % json.dumps(arguments)


def earlier_report(report_dir):
    """One earlier run: a first batch of 40 minutes, then one every 25 minutes, planned 5 minutes before."""
    start = datetime.datetime(2026, 11, 28, 21, 0, tzinfo=datetime.timezone.utc)

    def batch(label, begins, ends):
        return {"batch": label, "method": "liveupdate", "hosts": ["X"], "gated": False, "deferred": 0, "failed": 0,
                "started": (start + datetime.timedelta(minutes=begins)).isoformat(),
                "finished": (start + datetime.timedelta(minutes=ends)).isoformat(),
                "steps": {"staged": "", "verified": "", "returned": ""}}
    report = {"run": {"started": (start - datetime.timedelta(minutes=5)).isoformat()},
              "batches": [batch("1", 0, 40), batch("2", 20, 65), batch("3", 45, 90), batch("4", 70, 115)]}
    report_dir.mkdir()
    (report_dir / "rollout-20261128T2055000000.json").write_text(json.dumps(report), encoding="utf-8")


def moment(text):
    return datetime.datetime.fromisoformat(text)


def test_the_forecast_places_every_batch_in_a_window_and_changes_nothing(runner, clean_emulator, tmp_path):
    earlier_report(tmp_path / "reports")
    seq = clean_emulator.events()["last_seq"]
    run = runner.run(forecast_play(tmp_path / "reports"))
    assert run.returncode == 0, run.output[-3000:]
    result = run.result("step")
    forecast = result["forecast"]
    assert result["changed"] is False
    assert forecast["start"] == START and forecast["computers"] > 0
    assert forecast["durations"]["first"]["expected"] == 40 * 60 and forecast["durations"]["pace"]["expected"] == 25 * 60
    assert result["basis"].startswith("batch durations from 4 measured batch(es) of 1 run(s)")
    windows = {row["number"]: row for row in forecast["windows"]}
    for row in forecast["batches"]:
        window = windows[row["window"]["number"]]
        assert moment(window["opens"]) <= moment(row["starts"]) and moment(row["finishes"]) <= moment(window["closes"]), row
    assert forecast["windows"][0]["opens"] == "2026-12-12T21:00:00+00:00", "Saturday 22:00 in Berlin"
    groups = {row["group"]: row for row in forecast["groups"]}
    assert {SERVERS + "\\SQL", SERVERS + "\\File"} <= set(groups)
    assert forecast["finish"]["expected"] == max(row["finishes"] for row in groups.values())
    assert moment(forecast["finish"]["best"]) <= moment(forecast["finish"]["expected"]) <= moment(forecast["finish"]["worst"])
    assert result["line"].startswith("at this pace, done on ") and "Europe/Berlin in %d window" % forecast["windows_needed"]["expected"] \
        in result["line"]
    assert result["lines"][2].startswith("window 1, Sat 12 Dec 2026 22:00 Europe/Berlin to Sun 13 Dec 2026 02:00 Europe/Berlin: ")
    changes = [event for event in clean_emulator.events(since=seq)["events"] if event["kind"] in CHANGE_EVENTS]
    assert changes == []
    assert clean_emulator.password not in run.output


def test_without_reports_the_forecast_states_its_assumption_and_runs_in_check_mode(runner, clean_emulator, tmp_path):
    run = runner.run(forecast_play(tmp_path / "none"), "--check")
    assert run.returncode == 0, run.output[-3000:]
    result = run.result("step")
    assert result["basis"].startswith("no run measured yet: a batch is assumed to take")
    assert result["forecast"]["durations"]["first"]["measured"] == 0


def test_a_bad_start_fails_in_one_line_before_the_sepm_is_read(runner, clean_emulator, tmp_path):
    clean_emulator.reset_requests()
    run = runner.run(forecast_play(tmp_path / "none", start="next saturday"))
    assert run.returncode != 0
    message = run.result("step")["msg"]
    assert "\n" not in message and "start" in message and "ISO-8601" in message, message
    assert clean_emulator.requests_count()["total"] <= 1, "at most the login"


def test_the_forecast_playbook_takes_the_rollout_variables(runner, clean_emulator, tmp_path):
    earlier_report(tmp_path / "reports")
    run = runner.run("endpoint_ops.sepm.forecast", extra_vars={
        "rollout_groups": [SERVERS], "rollout_windows": [WEEKEND], "rollout_serial": [1, 2],
        "rollout_report_dir": str(tmp_path / "reports"), "rollout_forecast_start": START,
        "rollout_target_version": "14.3.10148.9100"})
    assert run.returncode == 0, run.output[-3000:]
    assert "at this pace, done on " in run.output and "window 1, Sat 12 Dec 2026 22:00 Europe/Berlin" in run.output
    assert "changed=0" in run.output
