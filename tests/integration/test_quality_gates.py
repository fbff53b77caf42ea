# -*- coding: utf-8 -*-
"""The quality gates between waves, through the rollout role against the emulator (issue 20).

Health after the patch (the emulator's bad patch turns Auto-Protect off), the soak, group budgets, hooks
around each batch (and the shipped webhook hook against a local receiver), and what is never delivered
ahead: an HA partner of a computer in flight, and any batch once the run is not clean.
"""

from __future__ import annotations

import datetime
import glob
import http.server
import json
import os
import threading
from pathlib import Path

import pytest

from tests.emulator.harness import EmulatorProcess
from tests.integration.ansible_runner import PlaybookRunner
from tests.integration.conftest import SepmApi

TIME_SCALE = 300
BASELINE = "14.3.10148.9000"
ALL_DAY = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "duration": "24h", "timezone": "UTC"}
HOOKS = Path(__file__).resolve().parents[1] / "emulator" / "ansible"
WRITES_TO_COMPUTERS = ("command", "move")


@pytest.fixture(scope="module")
def fleet():
    with EmulatorProcess(fleet=200, seed=21, time_scale=TIME_SCALE, profile="windows") as process:
        yield process


@pytest.fixture
def emulator(fleet):  # pylint: disable=redefined-outer-name
    return fleet.fresh(TIME_SCALE)


def workstations(emulator, count, group=None):
    """``count`` workstations at the baseline (not patched yet), in name order, of one group when given."""
    api = SepmApi(emulator)
    api.login()
    listed = api.ok("GET", "computers", params={"pageSize": 1000})["content"]
    names = sorted(c["computerName"] for c in listed if c["agentVersion"] == BASELINE and c["computerName"].startswith("WS-")
                   and (group is None or c["group"]["name"] == group))
    assert len(names) >= count, len(names)
    return names[:count]


def inventory(tmp_path, names, clusters=None):
    lines = ["[targets]"]
    for name in names:
        cluster = (clusters or {}).get(name)
        lines.append("%s sepm_name=%s%s" % (name.lower(), name, " ha_cluster=%s" % cluster if cluster else ""))
    path = tmp_path / "targets.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def rollout(emulator, tmp_path, names, clusters=None, **variables):
    values = {"rollout_targets": "targets", "rollout_windows": [ALL_DAY], "rollout_poll_interval": 0.5,
              "rollout_policy_timeout": 900, "rollout_delivery_timeout": 1800, "rollout_restart_timeout": 1800,
              "rollout_report_dir": str(tmp_path / "reports"), "rollout_cluster_pattern": "^never-matches$",
              "rollout_emulator_url": emulator.url, "rollout_emulator_ca": str(emulator.ca_path)}
    values.update(variables)
    return PlaybookRunner(emulator, tmp_path).run("endpoint_ops.sepm.rollout", "-i", str(inventory(tmp_path, names, clusters)),
                                                  extra_vars=values)


def report(tmp_path):
    paths = sorted(glob.glob(str(tmp_path / "reports" / "rollout-*.json")), key=os.path.getmtime)
    assert paths, "the rollout wrote no report"
    with open(paths[-1], encoding="utf-8") as handle:
        return json.load(handle)


def events(emulator, kind, since=0):
    return [event for event in emulator.events(since=since)["events"] if event["kind"] == kind]


def commanded(emulator, since=0):
    """Every computer a command was sent to, with the command's first event number."""
    sent = {}
    for event in events(emulator, "command", since):
        for name in event.get("computers") or ():
            sent.setdefault(name, event["seq"])
    return sent


def restarted(emulator, since=0):
    return {event["computer"] for event in events(emulator, "restart_begin", since)}


# ----- health after the patch --------------------------------------------------------------------------------------


def test_a_bad_patch_that_turns_auto_protect_off_on_the_canary_stops_the_run_after_it(emulator, tmp_path):
    names = workstations(emulator, 11)
    canary = names[0]
    emulator.add_fault(kind="bad_patch", effect="switch_off", switches=["apOnOff"], computers=[canary])
    seq = emulator.events()["last_seq"]
    run = rollout(emulator, tmp_path, names, rollout_serial=[1, "50%"])
    assert run.returncode != 0
    result = report(tmp_path)
    assert result["run"]["stopped"] == "batch failure percentage exceeded"
    host = result["hosts"][canary]
    assert host["state"] == "failed" and host["health"] == ["protection"]
    assert host["reason"] == "unhealthy after the patch: Auto-Protect off, on before"
    assert restarted(emulator, seq) == {canary}, "only the canary restarted"
    assert result["run"]["gates"]["health_checks"][:2] == ["checked_in", "protection"]
    html = Path(sorted(glob.glob(str(tmp_path / "reports" / "rollout-*.html")))[-1]).read_text(encoding="utf-8")
    assert "%s (protection)" % canary in html


def test_a_computer_back_from_its_restart_is_healthy_at_its_next_check_in_not_a_heartbeat_after_the_batch(emulator, tmp_path):
    """Restarts end over a heartbeat (each client takes the command at its own heartbeat): the first one back must not
    wait for the last one, nor for a check-in after the one the last one came back with.

    On a slower clock than the others (40x), with a four-minute heartbeat, a two-minute restart (the next check-in
    comes two minutes after the boot one) and readings 30 simulated seconds apart. Seen back a reading late, a client
    waits for the check-in after that (about 360 s); the bound (a heartbeat, 240 s) leaves two readings' intervals
    and over two seconds of wall time beyond its next check-in.
    """
    heartbeat_s = 240
    emulator.fresh(40, download_s=5, install_s=5, restart_s=120, heartbeat_s=heartbeat_s)
    names = workstations(emulator, 12)
    seq = emulator.events()["last_seq"]
    run = rollout(emulator, tmp_path, names, rollout_serial=["100%"], rollout_poll_interval=0.75)
    assert run.returncode == 0, run.stdout[-3000:]
    result = report(tmp_path)
    back_ms = {event["computer"]: event["sim_ms"] for event in events(emulator, "restart_end", seq)}
    assert set(back_ms) == set(names)
    spread_s = (max(back_ms.values()) - min(back_ms.values())) / 1000.0
    for name in names:
        host = result["hosts"][name]
        assert host["state"] == "patched", host
        healthy = datetime.datetime.fromisoformat(host["steps"]["healthy"]).timestamp()
        waited_s = healthy - back_ms[name] / 1000.0
        assert waited_s <= heartbeat_s, "%s was healthy %.0f s after it came back (restarts spread over %.0f s)" % (
            name, waited_s, spread_s)


def test_the_budget_counts_the_unhealthy_but_not_a_switch_that_was_off_before(emulator, tmp_path):
    """The bad patch on 30 % of each 10 % batch, a failure budget of 5: 2 + 3 count after batch 2 (one of batch 1's
    switches was off before), so the run goes on and stops on the budget after batch 3, not after batch 2."""
    names = workstations(emulator, 100)
    already_off = names[0]
    bad = [names[batch * 10 + offset] for batch in range(4) for offset in (0, 3, 7)]
    emulator.control("PATCH", "computers", {"names": [already_off], "switches": {"apOnOff": 0}})
    emulator.add_fault(kind="bad_patch", effect="switch_off", switches=["apOnOff"], computers=bad)
    seq = emulator.events()["last_seq"]
    run = rollout(emulator, tmp_path, names, rollout_serial=["10%"], rollout_failure_budget=5, rollout_max_fail_percentage=100)
    assert run.returncode != 0
    result = report(tmp_path)
    assert result["run"]["stopped"] == "failure budget exceeded"
    assert [batch["batch"] for batch in result["batches"] if batch["ran"]] == ["1", "2", "3"]
    assert result["hosts"][already_off]["state"] == "patched", "its switch was off before: the patch did not turn it off"
    failed = sorted(name for name, host in result["hosts"].items() if host["state"] == "failed")
    assert failed == sorted(bad[1:9]), failed
    assert not restarted(emulator, seq) & set(names[30:]), "a batch after the stop restarted"


# ----- soak ------------------------------------------------------------------------------------------------------------


def sim_now(emulator):
    return datetime.datetime.fromtimestamp(emulator.state()["clock_ms"] / 1000, datetime.timezone.utc)


def test_a_soak_after_the_canary_holds_the_rest_until_it_ends_from_the_sepm_alone(emulator, tmp_path):
    names = workstations(emulator, 8)
    soak = {"rollout_serial": [1, 3], "rollout_soak": {"after": 1, "for": "2h"}}
    first = rollout(emulator, tmp_path, names, **soak)
    assert first.returncode == 0, first.output[-4000:]
    result = report(tmp_path)
    assert result["hosts"][names[0]]["state"] == "patched"
    deferred = [name for name in names[1:] if result["hosts"][name]["state"] == "deferred"]
    assert deferred == names[1:], [(name, result["hosts"][name]) for name in names[1:]]
    assert all(result["hosts"][name]["reason"].startswith("soaking until ") for name in deferred)
    assert result["run"]["stopped"].startswith("soaking until ") and result["run"]["failed"] is False
    assert result["forecast"]["line"].startswith("the soak ends "), result["forecast"]["line"]

    seq = emulator.events()["last_seq"]
    inside = rollout(emulator, tmp_path, names, **soak)
    assert inside.returncode == 0, inside.output[-4000:]
    assert [e for e in emulator.events(since=seq)["events"] if e["kind"] in WRITES_TO_COMPUTERS] == [], "a run inside the soak wrote"
    assert "soaking until" in inside.output

    emulator.advance(2 * 3600 + 60)
    after = rollout(emulator, tmp_path, names, **soak)
    assert after.returncode == 0, after.output[-4000:]
    result = report(tmp_path)
    assert {result["hosts"][name]["state"] for name in names[1:]} == {"patched"}


def test_a_canary_that_turns_unhealthy_during_its_soak_stops_the_rollout(emulator, tmp_path):
    names = workstations(emulator, 5)
    soak = {"rollout_serial": [1, 2], "rollout_soak": {"after": 1, "for": "2h"}}
    assert rollout(emulator, tmp_path, names, **soak).returncode == 0
    emulator.control("PATCH", "computers", {"names": [names[0]], "switches": {"apOnOff": 0}})
    emulator.advance(2 * 3600 + 60)
    seq = emulator.events()["last_seq"]
    run = rollout(emulator, tmp_path, names, **soak)
    assert run.returncode != 0
    result = report(tmp_path)
    assert "soaked computer %s is unhealthy" % names[0] in result["run"]["stopped"]
    assert not commanded(emulator, seq), "a computer was sent a command after the soak failed"


# ----- group budgets --------------------------------------------------------------------------------------------------


def test_a_group_budget_of_ten_percent_holds_while_batches_overlap_with_clusters(emulator, tmp_path):
    api = SepmApi(emulator)
    api.login()
    listed = api.ok("GET", "computers", params={"pageSize": 1000})["content"]
    home = {c["computerName"]: c["group"]["name"] for c in listed}
    sizes = {g["fullPathName"]: g["numberOfPhysicalComputers"] for g in api.ok("GET", "groups", params={"pageSize": 1000})["content"]}
    seq = emulator.events()["last_seq"]
    run = PlaybookRunner(emulator, tmp_path).run("endpoint_ops.sepm.rollout", extra_vars={
        "rollout_groups": ["My Company"], "rollout_windows": [ALL_DAY], "rollout_serial": [40], "rollout_poll_interval": 0.5,
        "rollout_max_restarting_per_group": "10%", "rollout_report_dir": str(tmp_path / "reports"),
        "rollout_policy_timeout": 900, "rollout_delivery_timeout": 1800, "rollout_restart_timeout": 1800})
    assert run.returncode == 0, run.output[-4000:]
    down, most = {}, {}
    for event in emulator.events(since=seq)["events"]:
        if event["kind"] not in ("restart_begin", "restart_end"):
            continue
        group = home[event["computer"]]
        down[group] = down.get(group, 0) + (1 if event["kind"] == "restart_begin" else -1)
        most[group] = max(most.get(group, 0), down[group])
    assert most, "nothing restarted"
    for group, count in most.items():
        assert count <= max(1, sizes[group] * 10 // 100), "%d of %s (%d computers) were down at once" % (count, group, sizes[group])
    result = report(tmp_path)
    assert any(batch["held_back"] for batch in result["batches"]), "the budget held nobody back"
    assert len([b for b in result["batches"] if b["ran"]]) > 1 and any(
        "Patch Staging" in (e.get("to_group") or "") for e in events(emulator, "move", seq))


# ----- hooks -------------------------------------------------------------------------------------------------------------


def hook_marks(emulator, since):
    return [(event["label"], event["batch"], event.get("hosts")) for event in events(emulator, "mark", since)]


def test_hooks_run_once_per_batch_in_order_with_its_names(emulator, tmp_path):
    names = workstations(emulator, 7)
    seq = emulator.events()["last_seq"]
    run = rollout(emulator, tmp_path, names, rollout_serial=[1, 3], rollout_before_batch_tasks=str(HOOKS / "batch_before.yml"),
                  rollout_after_batch_tasks=str(HOOKS / "batch_after.yml"))
    assert run.returncode == 0, run.output[-4000:]
    result = report(tmp_path)
    ran = [batch for batch in result["batches"] if batch["ran"]]
    expected = []
    for batch in ran:
        expected += [("before", batch["batch"], batch["hosts"]), ("after", batch["batch"], batch["hosts"])]
    assert hook_marks(emulator, seq) == expected


def test_a_failing_hook_stops_the_run_with_a_report(emulator, tmp_path):
    names = workstations(emulator, 7)
    seq = emulator.events()["last_seq"]
    run = rollout(emulator, tmp_path, names, rollout_serial=[1, 3], rollout_before_batch_tasks=str(HOOKS / "batch_before.yml"),
                  rollout_hook_fails="before 2")
    assert run.returncode != 0
    result = report(tmp_path)
    assert result["run"]["stopped"].startswith("the before-batch hook of batch 2 failed: the before hook refuses batch 2")
    assert [label for label, batch, _hosts in hook_marks(emulator, seq)] == ["before", "before"]
    assert not restarted(emulator, seq) & set(names[1:]), "a batch after the failed hook restarted"
    api = SepmApi(emulator)
    api.login()
    listed = api.ok("GET", "computers", params={"pageSize": 1000})["content"]
    assert [c["computerName"] for c in listed if c["group"]["name"].endswith("\\Patch Staging")] == []


class Receiver(http.server.BaseHTTPRequestHandler):
    posts = []

    def do_POST(self):  # pylint: disable=invalid-name
        length = int(self.headers.get("Content-Length") or 0)
        Receiver.posts.append({"headers": dict(self.headers), "body": json.loads(self.rfile.read(length))})
        self.send_response(204)
        self.end_headers()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet."""


def test_the_webhook_hook_posts_each_batch_outcome(emulator, tmp_path):
    Receiver.posts = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        names = workstations(emulator, 4)
        run = rollout(emulator, tmp_path, names, rollout_serial=[1, 3], rollout_after_batch_tasks="hooks/webhook.yml",
                      rollout_webhook_url="http://127.0.0.1:%d/hook" % server.server_address[1],
                      rollout_webhook_headers={"Authorization": "Bearer hook-secret"})
    finally:
        server.shutdown()
        server.server_close()
    assert run.returncode == 0, run.output[-4000:]
    assert [post["body"]["batch"] for post in Receiver.posts] == ["1", "2"]
    assert Receiver.posts[1]["body"]["counts"]["patched"] == 3 and Receiver.posts[0]["headers"]["Authorization"] == "Bearer hook-secret"
    assert "batch 2 of 2" in Receiver.posts[1]["body"]["text"]
    assert "hook-secret" not in run.output


# ----- delivering ahead --------------------------------------------------------------------------------------------


def test_the_partner_of_a_member_that_never_comes_back_is_sent_nothing(emulator, tmp_path):
    names = workstations(emulator, 6)
    first, partner = names[0], names[3]
    order = [first] + names[1:3] + [partner] + names[4:]
    emulator.add_fault(kind="never_back", computers=[first])
    seq = emulator.events()["last_seq"]
    run = rollout(emulator, tmp_path, order, clusters={first: "pair", partner: "pair"}, rollout_serial=[3],
                  rollout_failure_budget=10, rollout_max_fail_percentage=100, rollout_restart="always")
    assert run.returncode == 0, run.output[-4000:]
    result = report(tmp_path)
    assert result["hosts"][first]["state"] == "failed" and result["hosts"][partner]["state"] == "skipped"
    assert partner not in commanded(emulator, seq), "the partner was sent a command"


def test_once_the_run_is_not_clean_nothing_of_a_later_batch_is_sent_anything(emulator, tmp_path):
    names = workstations(emulator, 15)
    lost = [names[3], names[4], names[6]]  # 2 in batch 2, 1 in batch 3
    emulator.add_fault(kind="never_back", computers=lost)
    seq = emulator.events()["last_seq"]
    run = rollout(emulator, tmp_path, names, rollout_serial=[3], rollout_failure_budget=2, rollout_max_fail_percentage=100,
                  rollout_restart="always")
    assert run.returncode != 0
    result = report(tmp_path)
    assert result["run"]["stopped"] == "failure budget exceeded"
    assert [batch["batch"] for batch in result["batches"] if batch["ran"]] == ["1", "2", "3"]
    later = set(names[9:])
    assert not later & set(commanded(emulator, seq)), sorted(later & set(commanded(emulator, seq)))
