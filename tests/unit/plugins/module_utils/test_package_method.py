# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The package method's decisions (gate, checksums, restart, verify, stop) and its plan by method, with a fake SEPM."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout import planning
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.model import HostResult, PlannedBatch, Run, iso
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.options import check_options
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.package import PackageBatch

PATCH = "14.3.10148.9100"
OLD = "14.3.10148.9000"
NOW = datetime.datetime(2026, 11, 28, 23, 0, tzinfo=datetime.timezone.utc)
PACKAGE = {"version": PATCH, "files": {"Setup.exe": {"size": 1, "sha256": "a" * 64}}, "path": "/p", "layout": "folder",
           "installer": "Setup.exe"}


class Clock:
    def __init__(self):
        self.moment = NOW

    def now(self, refresh=False):  # pylint: disable=unused-argument
        return self.moment

    def sleep(self, seconds):
        self.moment += datetime.timedelta(seconds=seconds)


class FakeClient:
    """The computer records the steps read; ``after_sleep`` changes them as time passes."""

    def __init__(self, records):
        self.records = records

    def computers(self, name=None, **_kwargs):
        return [record for record in self.records.values() if name is None or record["computerName"].lower() == name.lower()]


def record(name, online=True, version=OLD, reboot=False, last_ms=0):
    return {"computerName": name, "uniqueId": "ID-" + name, "hardwareKey": "HK-" + name, "agentVersion": version,
            "onlineStatus": 1 if online else 0, "rebootRequired": 1 if reboot else 0, "lastUpdateTime": last_ms,
            "osName": "Windows Server 2022", "group": {"name": "My Company\\Servers"}}


def window(hours_left):
    opens = NOW - datetime.timedelta(hours=1)
    return [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": opens.strftime("%H:%M"),
             "duration": "%dm" % int((1 + hours_left) * 60), "timezone": "UTC"}]


def make(names, clusters=None, hours_left=6.0, **options):
    values = dict(windows=window(hours_left), ignore_windows=False, policy_timeout=600, delivery_timeout=600, restart_timeout=1200,
                  install_timeout=600, poll_interval=30, cutoff=0, failure_budget=5, max_fail_percentage=100,
                  max_unavailable_per_cluster=1, staging_group="Patch Staging", target_version=PATCH, serial=[len(names)],
                  restart="if_needed", clock="sepm", package=PACKAGE)
    values.update(options)
    values = check_options(values)
    computers = {name: dict(name=name, agent_version=OLD, inventory_host=name.lower(), method="package") for name in names}
    results = {name: HostResult(method="package", batch="1", version_before=OLD) for name in names}
    run = Run(values, "14.3.25029.9000", iso(NOW), computers, clusters or {}, [PlannedBatch("1", "package", list(names))], results)
    client = FakeClient({name: record(name) for name in set(names) | set((clusters or {}).keys())})
    clock = Clock()
    return PackageBatch(client, run, clock=clock, sleep=clock.sleep), client, clock, run


def test_begin_lists_the_hosts_with_their_partners():
    batch, _client, _clock, _run = make(["A-N1", "B"], clusters={"A-N1": "A", "A-N2": "A"})
    begun = batch.begin("1")
    assert begun["hosts"] == [{"name": "A-N1", "host": "a-n1", "cluster": "A", "partners": ["A-N2"]},
                              {"name": "B", "host": "b", "cluster": None, "partners": []}]


def test_a_closed_window_defers_the_whole_batch():
    batch, _client, _clock, run = make(["A"], hours_left=0.2)
    assert batch.begin("1")["hosts"] == []
    assert run.results["A"].state == "deferred" and run.results["A"].method == "package"
    batch.end("1")
    assert run.stop.to_dict() == {"reason": "maintenance window closed", "state": "deferred"}


def test_no_pending_restart_proceeds():
    batch, _client, _clock, _run = make(["A"])
    batch.begin("1")
    assert batch.gate("A", False)["decision"] == "proceed"


def test_a_pending_restart_is_restarted_first_when_it_fits_and_skipped_when_not():
    batch, _client, _clock, run = make(["A"], hours_left=6)
    batch.begin("1")
    assert batch.gate("A", True)["decision"] == "restart_first"
    # 45 minutes: install and restart (10 + 20) fit, a restart first as well (50) does not.
    batch, _client, _clock, run = make(["A"], hours_left=0.75)
    batch.begin("1")
    gate = batch.gate("A", True)
    assert gate["decision"] == "skip" and "restart pending" in gate["reason"] and "does not fit the window" in gate["reason"]
    assert run.results["A"].state == "skipped"


def test_restart_never_skips_a_pending_restart():
    batch, _client, _clock, _run = make(["A"], restart="never")
    batch.begin("1")
    assert "restart: never" in batch.gate("A", True)["reason"]


def test_an_offline_partner_in_the_sepm_holds_the_member():
    batch, client, _clock, run = make(["A-N1"], clusters={"A-N1": "A", "A-N2": "A"})
    client.records["A-N2"] = record("A-N2", online=False)
    batch.begin("1")
    gate = batch.gate("A-N1", False)
    assert gate["decision"] == "skip" and "HA partner A-N2 is not healthy" in gate["reason"]
    assert run.results["A-N1"].state == "skipped"


def test_two_may_be_down_with_max_unavailable_two():
    batch, client, _clock, _run = make(["A-N1"], clusters={"A-N1": "A", "A-N2": "A", "A-N3": "A"}, max_unavailable_per_cluster=2)
    client.records["A-N2"] = record("A-N2", online=False)
    batch.begin("1")
    assert batch.gate("A-N1", False)["decision"] == "proceed"


def test_a_failed_partner_holds_the_member_and_the_budget_stops_at_once():
    batch, _client, _clock, run = make(["A-N1", "A-N2", "B", "C"], clusters={"A-N1": "A", "A-N2": "A"}, failure_budget=0)
    batch.begin("1")
    batch.gate("A-N1", False)
    batch.fail("A-N1", "restart", "timed out")
    assert "restore hook did not run" in run.results["A-N1"].reason
    gate = batch.gate("A-N2", False)
    assert gate["decision"] == "skip" and "HA partner A-N1 failed" in gate["reason"]
    assert batch.gate("B", False)["reason"] == "failure budget exceeded"
    batch.end("1")
    assert run.stop.reason == "failure budget exceeded" and run.totals()["failed"] == 1


def test_a_copy_that_does_not_match_fails_the_host():
    batch, _client, _clock, run = make(["A"])
    batch.begin("1")
    batch.gate("A", False)
    copied = batch.copied("A", {"Setup.exe": "b" * 64})
    assert copied["decision"] == "skip" and "does not match its SHA-256" in copied["reason"]
    assert run.results["A"].state == "failed"
    batch, _client, _clock, run = make(["A"])
    batch.begin("1")
    assert batch.copied("A", {"setup.exe": "A" * 64})["decision"] == "proceed"


def test_the_restart_waits_for_the_window():
    batch, _client, clock, run = make(["A"], hours_left=1)
    batch.begin("1")
    batch.gate("A", False)
    clock.moment += datetime.timedelta(minutes=45)
    decision = batch.restart("A")
    assert decision["decision"] == "defer" and decision["reason"].startswith("patch delivered, restart pending")
    assert run.results["A"].state == "deferred"


def test_verify_waits_for_a_report_after_the_restart_at_the_target():
    batch, client, clock, run = make(["A"])
    batch.begin("1")
    batch.gate("A", False)
    batch.restart("A")
    client.records["A"] = record("A", version=PATCH, last_ms=int(NOW.timestamp() * 1000) - 1000)  # an old report

    def sleep(seconds):
        clock.sleep(seconds)
        client.records["A"]["lastUpdateTime"] = int(clock.moment.timestamp() * 1000)

    batch.sleep = sleep
    verified = batch.verify("A")
    assert verified == {"state": "patched", "reason": "", "restore": True}
    assert run.results["A"].version_after == PATCH and clock.moment > NOW


def test_a_member_that_never_comes_back_fails_after_the_restart_timeout_without_restore():
    batch, client, clock, run = make(["A"])
    batch.begin("1")
    batch.gate("A", False)
    batch.restart("A")
    client.records["A"] = record("A", online=False)
    verified = batch.verify("A")
    assert verified["state"] == "failed" and not verified["restore"]
    assert "did not come back online in the SEPM within 1200s" in run.results["A"].reason
    assert clock.moment >= NOW + datetime.timedelta(seconds=1200)


def test_hosts_take_their_own_method_and_clusters_one():
    hosts = [{"host": "a", "sepm_name": "A", "method": "package"}, {"host": "b", "method": None}]
    assert planning.host_methods(["A", "b", "C"], hosts, "liveupdate") == {"A": "package", "b": "liveupdate", "C": "liveupdate"}
    with pytest.raises(ValueError, match="is not one of"):
        planning.host_methods(["A"], [{"host": "A", "method": "msi"}])
    options = check_options(dict(windows=window(6), serial=[2], package_serial=[1], max_unavailable_per_cluster=1,
                                 staging_group="Patch Staging", offline="skip", policy_timeout=1, delivery_timeout=1,
                                 restart_timeout=1, poll_interval=1, failure_budget=1, max_fail_percentage=1))
    computers = [dict(name=name, agent_version=OLD, os_name="Windows Server 2022", online=True, cluster=None) for name in "ABCD"]
    planned, _accounted, _room = planning.plan_by_method(
        computers, {"A": "liveupdate", "B": "liveupdate", "C": "package", "D": "package"}, {}, PATCH, "14.3.25029.9000", options)
    batches, methods = [batch[1] for batch in planned], [batch[0] for batch in planned]
    assert batches == [["A", "B"], ["C"], ["D"]] and methods == ["liveupdate", "package", "package"]
    with pytest.raises(ValueError, match="mixes the liveupdate and package methods"):
        planning.plan_by_method(computers, {"A": "liveupdate", "B": "package"}, {"A": "X", "B": "X"}, PATCH,
                                "14.3.25029.9000", options)


@pytest.mark.parametrize("deliver_ahead, liveupdate", [
    (True, [["A-N1", "W-1"], ["W-2", "W-3"], ["A-N2", "W-4"]]),    # A-N2 two batches after A-N1: batch 2 takes its patch ahead
    (False, [["A-N1", "W-1"], ["A-N2", "W-2"], ["W-3", "W-4"]]),   # nothing goes ahead: the partners go as before
])
def test_only_liveupdate_batches_keep_ha_partners_apart_while_delivering_ahead(deliver_ahead, liveupdate):
    options = check_options(dict(windows=window(6), serial=[2], package_serial=[2], max_unavailable_per_cluster=1,
                                 staging_group="Patch Staging", offline="skip", policy_timeout=1, delivery_timeout=1,
                                 restart_timeout=1, poll_interval=1, failure_budget=1, max_fail_percentage=1,
                                 deliver_ahead=deliver_ahead))
    names = ["A-N1", "A-N2", "W-1", "W-2", "W-3", "W-4", "P-N1", "P-N2", "Q-1", "Q-2", "Q-3", "Q-4"]
    clusters = dict((name, name[0]) for name in names if "-N" in name)
    computers = [dict(name=name, agent_version=OLD, os_name="Windows Server 2022", online=True, cluster=clusters.get(name))
                 for name in names]
    methods = dict((name, "package" if name[0] in "PQ" else "liveupdate") for name in names)
    planned, _accounted, _room = planning.plan_by_method(computers, methods, clusters, PATCH, "14.3.25029.9000", options)
    assert [batch[1] for batch in planned if batch[0] == "liveupdate"] == liveupdate
    # A package batch goes host by host and never ahead.
    assert [batch[1] for batch in planned if batch[0] == "package"] == [["P-N1", "Q-1"], ["P-N2", "Q-2"], ["Q-3", "Q-4"]]


@pytest.mark.parametrize("package, target, message", [
    ({}, PATCH, "give rollout_package_path"),
    (dict(PACKAGE, version="14.3.9681.8100"), "", "clients take patches only in the SEPM's own release"),
    (PACKAGE, "14.3.10148.9200", "but the run's target is 14.3.10148.9200"),
])
def test_a_package_that_does_not_fit_fails_the_plan(package, target, message):
    with pytest.raises(ValueError) as error:
        planning.check_package(package, "14.3.25029.9000", target, "rollout_")
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("step, restore", [("copy", True), ("install", True), ("drain", True), ("restart", False),
                                           ("ready", False), ("verify", False)])
def test_a_failed_step_fails_the_host_and_says_whether_it_may_be_restored(step, restore):
    batch, _client, _clock, run = make(["A"])
    batch.begin("1")
    failed = batch.fail("A", step, "exit code 1603\n  more")
    assert failed["restore"] is restore
    assert run.results["A"].state == "failed" and "exit code 1603 more" in run.results["A"].reason
