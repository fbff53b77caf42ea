# -*- coding: utf-8 -*-
"""The package method of the rollout role against the emulator, its hosts emulated through the control API.

The role runs its host steps from tests/emulator/ansible/endpoint_tasks.yml (selected with
rollout_package_endpoint_tasks) and its drain and restore hooks record their calls as events,
so each test reads what a user would: the emulator's event log and state, and the JSON report.
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import time
from pathlib import Path

import pytest

from tests.emulator.harness import EmulatorProcess
from tests.integration.ansible_runner import PlaybookRunner
from tests.integration.conftest import SepmApi

TIME_SCALE = 60
PATCH = "14.3.10148.9100"
ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HOOKS = Path(__file__).resolve().parents[1] / "emulator" / "ansible"


@pytest.fixture(scope="module")
def fleet():
    with EmulatorProcess(fleet=80, seed=11, time_scale=TIME_SCALE, profile="windows") as process:
        yield process


@pytest.fixture
def emulator(fleet):  # pylint: disable=redefined-outer-name
    return fleet.fresh(TIME_SCALE, restart_s=60)


@pytest.fixture
def package(tmp_path):
    """An exported package folder: Setup.exe, Sep64.msi and a setup.ini that states the version."""
    folder = tmp_path / "SEP_14.3_RU9_MP1_Win64"
    folder.mkdir()
    (folder / "Setup.exe").write_bytes(b"MZ setup " * 64)
    (folder / "Sep64.msi").write_bytes(b"MSI sep64 " * 256)
    (folder / "setup.ini").write_text("[Startup]\nProductVersion=%s\n" % PATCH)
    return folder


def computers(emulator):
    api = SepmApi(emulator)
    api.login()
    return api, api.ok("GET", "computers", params={"pageSize": 1000})["content"]


def candidates(emulator, count):
    """Names of patchable, online Windows clients not in a cluster of the fleet's own."""
    _api, listed = computers(emulator)
    names = sorted(c["computerName"] for c in listed if c["agentVersion"] != PATCH and c["onlineStatus"] == 1
                   and "-N" not in c["computerName"])
    assert len(names) >= count, len(names)
    return names[:count]


def inventory(tmp_path, members):
    """An ini inventory: {name: (cluster or None, method)}; hosts are only named, never connected to."""
    lines = ["[servers]"]
    for name, (cluster, method) in members.items():
        line = "%s sepm_name=%s sepm_rollout_method=%s" % (name.lower(), name, method)
        lines.append(line + (" ha_cluster=%s" % cluster if cluster else ""))
    path = tmp_path / "servers.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def sim_now(emulator):
    return datetime.datetime.fromtimestamp(emulator.state()["clock_ms"] / 1000, datetime.timezone.utc)


def open_window(emulator, minutes_left, duration_minutes=24 * 60):
    now = sim_now(emulator).replace(second=0, microsecond=0)
    opens = now - datetime.timedelta(minutes=duration_minutes - minutes_left)
    window = {"days": ALL_DAYS, "start": opens.strftime("%H:%M"), "duration": "%dm" % duration_minutes, "timezone": "UTC"}
    return window, opens, opens + datetime.timedelta(minutes=duration_minutes)


def rollout_variables(emulator, tmp_path, package_path, **overrides):
    variables = {
        "rollout_targets": "servers", "rollout_poll_interval": 0.5, "rollout_report_dir": str(tmp_path / "reports"),
        "rollout_policy_timeout": 600, "rollout_delivery_timeout": 1200, "rollout_restart_timeout": 1200,
        "rollout_install_timeout": 600, "rollout_package_path": str(package_path), "rollout_package_version": PATCH,
        "rollout_package_endpoint_tasks": str(HOOKS / "endpoint_tasks.yml"),
        "rollout_drain_tasks": str(HOOKS / "drain.yml"), "rollout_restore_tasks": str(HOOKS / "restore.yml"),
        "rollout_emulator_url": emulator.url, "rollout_emulator_ca": str(emulator.ca_path),
        "rollout_cluster_pattern": "^never-matches$",
    }
    variables.update(overrides)
    return variables


def run_rollout(emulator, tmp_path, package_path, inventory_path, *cli, **overrides):  # pylint: disable=too-many-arguments
    variables = rollout_variables(emulator, tmp_path, package_path, **overrides)
    runner = PlaybookRunner(emulator, tmp_path)
    return runner.run("endpoint_ops.sepm.ha_rollout", "-i", str(inventory_path), *cli, extra_vars=variables)


def report(tmp_path):
    paths = sorted(glob.glob(str(tmp_path / "reports" / "rollout-*.json")), key=os.path.getmtime)
    assert paths, "the rollout wrote no report"
    with open(paths[-1], encoding="utf-8") as handle:
        return json.load(handle)


def timeline(emulator, since=0):
    """Per computer, its events in order: (kind or mark label, seq, time_ms)."""
    by_name = {}
    for event in emulator.events(since=since)["events"]:
        name = event.get("computer")
        if name is None:
            continue
        kind = event["label"] if event["kind"] == "mark" else event["kind"]
        by_name.setdefault(name, []).append((kind, event["seq"], event["time_ms"]))
    return by_name


def assert_no_pair_down_together(emulator, seq, members):
    """No two members of one cluster drained or down at once (``members``: name -> (cluster, ...))."""
    by_cluster = {}
    for name, first, last in down_spans(emulator, seq):
        by_cluster.setdefault(members[name][0], []).append((first, last, name))
    for cluster, cluster_spans in by_cluster.items():
        cluster_spans.sort()
        for (_first, last, name), (next_first, _last, other) in zip(cluster_spans, cluster_spans[1:]):
            assert next_first > last, "%s of %s was drained or down while %s was" % (other, cluster, name)


def down_spans(emulator, since=0):
    """(computer, first seq, last seq) from its drain (or restart) to its restore (or restart end)."""
    spans = []
    for name, events in timeline(emulator, since).items():
        marks = [seq for kind, seq, _ms in events if kind in ("drain", "restore", "restart_begin", "restart_end")]
        if marks:
            spans.append((name, min(marks), max(marks)))
    return spans


def restart_times(emulator, since=0):
    return [(event["computer"], event["time_ms"]) for event in emulator.events(since=since)["events"] if event["kind"] == "restart_begin"]


def test_ha_clusters_one_member_at_a_time_with_hooks_in_a_dst_window(emulator, tmp_path, package):
    # A window crossing midnight in a zone with DST: 22:00 for 10 wall-clock hours in America/New_York, on the
    # night the clocks go forward (2027-03-14 02:00 EST -> 03:00 EDT); the run starts at 23:00 EST.
    zone = "America/New_York"
    start = datetime.datetime(2027, 3, 14, 4, 0, tzinfo=datetime.timezone.utc)
    emulator.control("POST", "clock", {"advance_s": max(0.0, (start - sim_now(emulator)).total_seconds())})
    window = {"days": ALL_DAYS, "start": "22:00", "duration": "10h", "timezone": zone}
    names = candidates(emulator, 18)
    members = {}
    for index in range(6):
        for member in range(2):
            members[names[index * 2 + member]] = ("pair%d" % index, "package")
    for index in range(2):
        for member in range(3):
            members[names[12 + index * 3 + member]] = ("trio%d" % index, "package")
    seq = emulator.events()["last_seq"]
    run = run_rollout(emulator, tmp_path, package, inventory(tmp_path, members), rollout_windows=[window],
                      rollout_package_serial=[4])
    assert run.returncode == 0, run.output[-6000:]
    result = report(tmp_path)
    for name in members:
        assert result["hosts"][name]["state"] == "patched", (name, result["hosts"][name])
        assert result["hosts"][name]["method"] == "package"
    api, listed = computers(emulator)
    del api
    assert {c["computerName"]: c["agentVersion"] for c in listed if c["computerName"] in members} == {name: PATCH for name in members}
    events = timeline(emulator, seq)
    for name in members:
        kinds = [kind for kind, _seq, _ms in events[name] if kind in ("drain", "restart_begin", "restart_end", "restore")]
        assert kinds == ["drain", "restart_begin", "restart_end", "restore"], (name, kinds)
    assert_no_pair_down_together(emulator, seq, members)
    # Every restart inside the window on the New York clock: from 22:00 EST (03:00 UTC) to 08:00 EDT (12:00 UTC).
    opens = datetime.datetime(2027, 3, 14, 3, 0, tzinfo=datetime.timezone.utc)
    closes = datetime.datetime(2027, 3, 14, 12, 0, tzinfo=datetime.timezone.utc)
    restarted = restart_times(emulator, seq)
    assert len(restarted) == len(members)
    for name, when_ms in restarted:
        moment = datetime.datetime.fromtimestamp(when_ms / 1000, datetime.timezone.utc)
        assert opens <= moment < closes, (name, moment)


def test_pending_reboot_skipped_when_the_restart_first_does_not_fit_and_restarted_first_when_it_does(emulator, tmp_path, package):
    first, second = candidates(emulator, 2)
    emulator.control("PATCH", "computers", {"names": [first, second], "reboot_required": True})
    # 45 minutes left: an install and a restart (10 + 20 minutes) fit, a restart first as well (50) does not.
    window, _opens, _closes = open_window(emulator, minutes_left=45, duration_minutes=360)
    seq = emulator.events()["last_seq"]
    run = run_rollout(emulator, tmp_path, package, inventory(tmp_path, {first: (None, "package")}), rollout_windows=[window])
    assert run.returncode == 0, run.output[-6000:]
    host = report(tmp_path)["hosts"][first]
    assert host["state"] == "skipped" and "restart pending" in host["reason"] and "does not fit the window" in host["reason"], (host, run.output[-5000:])
    assert first not in timeline(emulator, seq)

    window, _opens, _closes = open_window(emulator, minutes_left=20 * 60)
    run = run_rollout(emulator, tmp_path, package, inventory(tmp_path, {second: (None, "package")}), rollout_windows=[window])
    assert run.returncode == 0, run.output[-6000:]
    host = report(tmp_path)["hosts"][second]
    assert host["state"] == "patched", host
    kinds = [kind for kind, _seq, _ms in timeline(emulator, seq)[second]]
    assert kinds.index("restart_begin") < kinds.index("package_installed") < len(kinds) - 1 - kinds[::-1].index("restart_begin"), kinds


def test_a_corrupt_copy_fails_the_host_before_anything_is_installed(emulator, tmp_path, package):
    bad, good = candidates(emulator, 2)
    emulator.add_fault(kind="corrupt_copy", computers=[bad])
    window, _opens, _closes = open_window(emulator, minutes_left=20 * 60)
    seq = emulator.events()["last_seq"]
    run = run_rollout(emulator, tmp_path, package, inventory(tmp_path, {bad: (None, "package"), good: (None, "package")}),
                      rollout_windows=[window], rollout_max_fail_percentage=100)
    assert run.returncode == 0, run.output[-6000:]
    result = report(tmp_path)
    assert result["hosts"][bad]["state"] == "failed"
    assert "does not match its SHA-256" in result["hosts"][bad]["reason"]
    assert result["hosts"][good]["state"] == "patched"
    kinds = [kind for kind, _seq, _ms in timeline(emulator, seq)[bad]]
    assert "package_installed" not in kinds and "restart_begin" not in kinds and "drain" not in kinds, kinds


def test_a_package_of_another_release_fails_the_plan_before_anything_changes(emulator, tmp_path, package):
    (package / "setup.ini").write_text("[Startup]\nProductVersion=14.3.9681.8100\n")
    name = candidates(emulator, 1)[0]
    window, _opens, _closes = open_window(emulator, minutes_left=20 * 60)
    seq = emulator.events()["last_seq"]
    run = run_rollout(emulator, tmp_path, package, inventory(tmp_path, {name: (None, "package")}), rollout_windows=[window],
                      rollout_package_version="14.3.9681.8100")
    assert run.returncode != 0
    assert "clients take patches only in the SEPM's own release" in run.output
    assert [e for e in emulator.events(since=seq)["events"] if e["kind"] not in ("login",)] == []


def test_a_member_that_never_comes_back_leaves_its_partner_alone(emulator, tmp_path, package):
    names = candidates(emulator, 4)
    lost, partner = names[0], names[1]
    emulator.add_fault(kind="never_back", computers=[lost])
    members = {lost: ("pair", "package"), partner: ("pair", "package"), names[2]: (None, "package"), names[3]: (None, "package")}
    window, _opens, _closes = open_window(emulator, minutes_left=20 * 60)
    seq = emulator.events()["last_seq"]
    run = run_rollout(emulator, tmp_path, package, inventory(tmp_path, members), rollout_windows=[window],
                      rollout_failure_budget=0, rollout_package_serial=[1], rollout_restart_timeout=300,
                      rollout_emulator_restart_retries=8)
    assert run.returncode != 0
    result = report(tmp_path)
    assert result["hosts"][lost]["state"] == "failed"
    assert "did not come back after the restart" in result["hosts"][lost]["reason"], result["hosts"][lost]
    assert "restore hook did not run" in result["hosts"][lost]["reason"]
    assert result["hosts"][partner]["state"] == "skipped", result["hosts"][partner]
    assert result["run"]["stopped"] == "failure budget exceeded"
    events = timeline(emulator, seq)
    assert partner not in events
    assert "restore" not in [kind for kind, _seq, _ms in events[lost]]


def test_a_mixed_run_reports_each_host_with_its_method(emulator, tmp_path, package):
    names = candidates(emulator, 4)
    members = {names[0]: (None, "liveupdate"), names[1]: (None, "liveupdate"), names[2]: ("ha", "package"), names[3]: ("ha", "package")}
    window, _opens, _closes = open_window(emulator, minutes_left=20 * 60)
    run = run_rollout(emulator, tmp_path, package, inventory(tmp_path, members), rollout_windows=[window],
                      rollout_method="liveupdate", rollout_serial=[2])
    assert run.returncode == 0, run.output[-6000:]
    result = report(tmp_path)
    for name, (_cluster, method) in members.items():
        assert result["hosts"][name]["state"] == "patched", (name, result["hosts"][name])
        assert result["hosts"][name]["method"] == method
    # one member of the HA pair per batch
    assert [batch["method"] for batch in result["batches"]] == ["liveupdate", "package", "package"]


def test_check_mode_shows_the_package_batches_and_touches_no_host(emulator, tmp_path, package):
    names = candidates(emulator, 2)
    window, _opens, _closes = open_window(emulator, minutes_left=20 * 60)
    seq = emulator.events()["last_seq"]
    run = run_rollout(emulator, tmp_path, package, inventory(tmp_path, {name: ("ha", "package") for name in names}), "--check",
                      rollout_windows=[window])
    assert run.returncode == 0, run.output[-6000:]
    assert "Methods: 2 package" in run.output and "would install the package on 1, one at a time" in run.output
    assert [e for e in emulator.events(since=seq)["events"] if e["kind"] != "login"] == []
    assert not glob.glob(str(tmp_path / "reports" / "*.json"))


def test_the_emulated_endpoint_refuses_an_install_with_a_restart_pending(emulator):
    name = candidates(emulator, 1)[0]
    emulator.control("PATCH", "computers", {"names": [name], "reboot_required": True})
    emulator.control("POST", "endpoint/copy", {"name": name, "files": {"Setup.exe": "a" * 64}})
    with pytest.raises(RuntimeError, match="400.*restart pending"):
        emulator.control("POST", "endpoint/install", {"name": name, "version": PATCH})
    assert [e["kind"] for e in emulator.events()["events"]][-1] == "package_install_refused"


def test_the_forecast_of_a_mixed_run_takes_the_rollouts_own_variables(emulator, tmp_path, package):
    """ansible-playbook endpoint_ops.sepm.forecast with the variables of the ha_rollout above: package hosts included."""
    names = candidates(emulator, 4)
    members = {names[0]: (None, "liveupdate"), names[1]: (None, "liveupdate"), names[2]: ("ha", "package"), names[3]: ("ha", "package")}
    window, _opens, _closes = open_window(emulator, minutes_left=20 * 60)
    variables = {
        "rollout_targets": "servers", "rollout_windows": [window], "rollout_serial": [2], "rollout_report_dir": str(tmp_path / "reports"),
        "rollout_package_path": str(package), "rollout_package_version": PATCH, "rollout_cluster_pattern": "^never-matches$",
    }
    seq = emulator.events()["last_seq"]
    run = PlaybookRunner(emulator, tmp_path).run("endpoint_ops.sepm.forecast", "-i", str(inventory(tmp_path, members)),
                                                 extra_vars=variables)
    assert run.returncode == 0, run.output[-6000:]
    assert "at this pace, done on " in run.output
    forecast = [record["result"] for record in run.records if record["task"].endswith("Forecast when the rollout will be done")][-1]
    assert [batch["method"] for batch in forecast["forecast"]["batches"]] == ["liveupdate", "package", "package"]
    assert [event for event in emulator.events(since=seq)["events"] if event["kind"] != "login"] == []


def test_a_run_killed_after_a_drain_is_restored_by_the_next_run_before_it_drains_anyone(emulator, tmp_path, package):
    from tests.integration.test_rollout import kill_tree  # pylint: disable=import-outside-toplevel
    names = candidates(emulator, 4)
    members = {names[0]: ("pair0", "package"), names[1]: ("pair0", "package"), names[2]: ("pair1", "package"),
               names[3]: ("pair1", "package")}
    window, _opens, _closes = open_window(emulator, minutes_left=20 * 60)
    seq = emulator.events()["last_seq"]
    variables = rollout_variables(emulator, tmp_path, package, rollout_windows=[window], rollout_package_serial=[2])
    runner = PlaybookRunner(emulator, tmp_path)
    log_path = tmp_path / "killed-run.log"
    process = runner.start("endpoint_ops.sepm.ha_rollout", "-i", str(inventory(tmp_path, members)), extra_vars=variables,
                           log_path=log_path)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            if [event for event in emulator.events(since=seq)["events"] if event["kind"] == "mark" and event["label"] == "drain"]:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the run ended before its first drain:\n" + log_path.read_text()
    finally:
        kill_tree(process.pid)
        process.wait()
    drained = [event["computer"] for event in emulator.events(since=seq)["events"] if event["kind"] == "mark" and event["label"] == "drain"]
    assert drained, "nothing was drained before the kill"
    assert json.loads((tmp_path / "reports" / "drain-journal.json").read_text())["drained"], "the journal holds the drained member"

    run = runner.run("endpoint_ops.sepm.ha_rollout", "-i", str(inventory(tmp_path, members)), extra_vars=variables)
    assert run.returncode == 0, run.output[-6000:]
    marks = {}
    for event in emulator.events(since=seq)["events"]:
        if event["kind"] == "mark":
            marks.setdefault(event["computer"], []).append(event["label"])
    for name in members:
        assert marks[name].count("drain") == marks[name].count("restore"), (name, marks[name])
    assert json.loads((tmp_path / "reports" / "drain-journal.json").read_text())["drained"] == []
    assert {host["state"] for name, host in report(tmp_path)["hosts"].items()} <= {"patched", "compliant"}
    assert_no_pair_down_together(emulator, seq, members)
