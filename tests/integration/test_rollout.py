# -*- coding: utf-8 -*-
"""The rollout role (playbooks/rollout.yml) against the emulator, in accelerated time.

Each test reads what a user would: the emulator's state and event log after the run,
the run's exit code, and the JSON report it wrote.
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import re
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.emulator.harness import EmulatorProcess
from tests.integration.ansible_runner import PlaybookRunner
from tests.integration.conftest import SepmApi

TIME_SCALE = 300
TIMEOUTS = {"rollout_policy_timeout": 600, "rollout_delivery_timeout": 1200, "rollout_restart_timeout": 1200}
ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PATCH = "14.3.10148.9100"
WORKSTATIONS = "My Company\\Workstations\\Finance"


@pytest.fixture(scope="module")
def fleet():
    """200 patchable Windows clients in several groups, with 10 two-member HA clusters."""
    with EmulatorProcess(fleet=200, seed=5, time_scale=TIME_SCALE, profile="windows") as process:
        yield process


@pytest.fixture
def emulator(fleet):  # pylint: disable=redefined-outer-name
    return fleet.fresh(TIME_SCALE)


@pytest.fixture
def rollout(emulator, tmp_path):  # pylint: disable=redefined-outer-name
    runner = PlaybookRunner(emulator, tmp_path)

    def run(*cli_args, **variables):
        return runner.run("endpoint_ops.sepm.rollout", *cli_args, extra_vars=rollout_vars(tmp_path, **variables))

    run.runner = runner
    return run


def rollout_vars(report_dir, **overrides):
    variables = {"rollout_poll_interval": 0.5, "rollout_report_dir": str(report_dir / "reports")}
    variables.update(TIMEOUTS)
    variables.update(overrides)
    return variables


def sim_now(emulator):
    return datetime.datetime.fromtimestamp(emulator.state()["clock_ms"] / 1000, datetime.timezone.utc)


def window_with(emulator, minutes_left, duration_minutes=360):
    """A daily UTC window, open now on the SEPM clock, closing in ``minutes_left``; returns (window, open, close)."""
    now = sim_now(emulator).replace(second=0, microsecond=0)
    opens = now - datetime.timedelta(minutes=duration_minutes - minutes_left)
    window = {"days": ALL_DAYS, "start": opens.strftime("%H:%M"), "duration": "%dm" % duration_minutes, "timezone": "UTC"}
    return window, opens, opens + datetime.timedelta(minutes=duration_minutes)


def report(tmp_path):
    paths = sorted(glob.glob(str(tmp_path / "reports" / "rollout-*.json")), key=os.path.getmtime)
    assert paths, "the rollout wrote no report"
    # named by the run's UTC start: rollout-20261202T005321Z.json
    assert re.fullmatch(r"rollout-\d{8}T\d{6}Z\.json", os.path.basename(paths[-1])), paths[-1]
    with open(paths[-1], encoding="utf-8") as handle:
        return json.load(handle)


def staged_computers(emulator):
    api = SepmApi(emulator)
    api.login()
    computers = api.ok("GET", "computers", params={"pageSize": 1000})["content"]
    return [c["computerName"] for c in computers if c["group"]["name"].endswith("\\Patch Staging")]


def restarts(emulator):
    """(computer, began_ms, ended_ms or None) for every restart in the event log."""
    began, spans = {}, []
    for event in emulator.events()["events"]:
        if event["kind"] == "restart_begin":
            began[event["computer"]] = event["time_ms"]
        elif event["kind"] == "restart_end" and event["computer"] in began:
            spans.append((event["computer"], began.pop(event["computer"]), event["time_ms"]))
    spans.extend((name, start, None) for name, start in began.items())
    return spans


def assert_clusters_never_down_together(spans):
    by_cluster = {}
    for name, start, end in spans:
        if "-N" in name:
            by_cluster.setdefault(name.rsplit("-N", 1)[0], []).append((start, end or float("inf"), name))
    for members in by_cluster.values():
        members.sort()
        for (_start, end, name), (next_start, _end, other) in zip(members, members[1:]):
            assert next_start >= end, "%s restarted while %s was down" % (other, name)


def assert_restarts_inside(spans, opens, closes):
    for name, start, _end in spans:
        moment = datetime.datetime.fromtimestamp(start / 1000, datetime.timezone.utc)
        assert opens <= moment < closes, "%s restarted at %s, outside %s - %s" % (name, moment, opens, closes)


def test_full_rollout_with_ha_clusters_and_a_canary(emulator, rollout, tmp_path):
    window, opens, closes = window_with(emulator, minutes_left=24 * 60 - 30, duration_minutes=24 * 60)
    run = rollout(rollout_groups=["My Company"], rollout_windows=[window], rollout_serial=[1, "10%", "25%"])
    assert run.returncode == 0, run.output[-4000:]
    result = report(tmp_path)
    states = {host["state"] for host in result["hosts"].values()}
    assert states <= {"patched", "compliant"}, [(n, h) for n, h in result["hosts"].items() if h["state"] not in ("patched", "compliant")]
    assert result["totals"]["total"] == 200 and result["totals"]["patched"] > 150
    assert len(result["batches"][0]["hosts"]) == 1
    assert len([e for e in emulator.events()["events"] if e["kind"] == "login"]) == 1, "the rollout logs in once"
    assert staged_computers(emulator) == []
    spans = restarts(emulator)
    assert spans
    assert_restarts_inside(spans, opens, closes)
    assert_clusters_never_down_together(spans)
    html = Path(result_html(tmp_path)).read_text(encoding="utf-8")
    assert "Failures and deferrals first" in html and emulator.password not in html


def result_html(tmp_path):
    return sorted(glob.glob(str(tmp_path / "reports" / "rollout-*.html")), key=os.path.getmtime)[-1]


def test_window_closing_defers_the_rest_and_the_next_window_finishes(emulator, rollout, tmp_path):
    window, opens, closes = window_with(emulator, minutes_left=75)
    variables = {"rollout_groups": ["My Company"], "rollout_windows": [window], "rollout_serial": [1, 10]}
    first = rollout(**variables)
    assert first.returncode == 0, first.output[-4000:]
    result = report(tmp_path)
    assert result["run"]["stopped"] == "maintenance window closed"
    deferred = [name for name, host in result["hosts"].items() if host["state"] == "deferred"]
    assert deferred
    assert_restarts_inside(restarts(emulator), opens, closes)
    assert staged_computers(emulator) == []
    next_opening = opens + datetime.timedelta(days=1)
    # The stop says when the next window opens and what it will finish.
    assert result["forecast"]["line"].startswith("the next window opens %s" % next_opening.strftime("%a %d %b %Y %H:%M UTC"))
    assert result["forecast"]["windows"][0]["opens"] == next_opening.isoformat()
    assert result["forecast"]["computers"] == len(deferred)
    assert "stopped at the window's close: the next window opens" in first.output

    emulator.control("POST", "clock", {"advance_s": (next_opening - sim_now(emulator)).total_seconds() + 60})
    second = rollout(**dict(variables, rollout_serial=[1, "25%"]))
    assert second.returncode == 0, second.output[-4000:]
    result = report(tmp_path)
    assert {host["state"] for host in result["hosts"].values()} <= {"patched", "compliant"}
    assert all(result["hosts"][name]["state"] == "patched" for name in deferred)
    assert staged_computers(emulator) == []


def test_the_real_finish_falls_inside_the_forecast_spread(emulator, rollout, tmp_path):
    # A slower clock than the other tests: ansible-playbook's own seconds between batch tasks are simulated minutes
    # at 300x, and the forecast is about the SEPM's time, not the controller's.
    emulator.control("POST", "clock", {"time_scale": 120})
    window, _opens, _closes = window_with(emulator, minutes_left=24 * 60 - 30, duration_minutes=24 * 60)
    variables = {"rollout_groups": ["My Company\\Servers\\File"], "rollout_windows": [window], "rollout_serial": [1, 3]}
    measured = rollout(**variables)
    assert measured.returncode == 0, measured.output[-4000:]
    assert "no run measured yet" in measured.output, "the first run has no earlier report to measure"

    emulator.reset(profile="windows")
    emulator.control("POST", "clock", {"time_scale": 120})
    window, _opens, _closes = window_with(emulator, minutes_left=24 * 60 - 30, duration_minutes=24 * 60)
    second = rollout(**dict(variables, rollout_windows=[window]))
    assert second.returncode == 0, second.output[-4000:]
    result = report(tmp_path)
    planned = result["forecast_planned"]
    real_finish = max(datetime.datetime.fromisoformat(batch["finished"]) for batch in result["batches"])
    best, worst = (datetime.datetime.fromisoformat(planned["finish"][case]) for case in ("best", "worst"))
    assert best <= real_finish <= worst, (planned, real_finish.isoformat())
    assert "Forecast: at this pace, done on " in second.output and "measured batch(es) of 1 run(s)" in second.output
    assert "after batch 2: at this pace, done on " in second.output, "each batch updates the forecast at the run's pace"
    html = Path(result_html(tmp_path)).read_text(encoding="utf-8")
    assert "When this run began: at this pace, done on " in html


def unpatched_workstations(emulator):
    """A logged-in SepmApi and the names of the Finance workstations not at the patch yet."""
    api = SepmApi(emulator)
    api.login()
    group = api.ok("GET", "groups", params={"fullPathName": WORKSTATIONS})["content"][0]
    names = sorted(c["computerName"] for c in api.ok("GET", "groups/%s/computers" % group["id"], params={"pageSize": 1000})["content"]
                   if c["agentVersion"] != PATCH)
    return api, names


def test_three_that_never_come_back_exceed_a_budget_of_two(emulator, rollout, tmp_path):
    api, names = unpatched_workstations(emulator)
    lost = names[1:4]
    emulator.add_fault(kind="never_back", computers=lost)
    window, _opens, _closes = window_with(emulator, minutes_left=20 * 60, duration_minutes=24 * 60)
    run = rollout(rollout_groups=[WORKSTATIONS], rollout_windows=[window], rollout_serial=[1, 5],
                  rollout_failure_budget=2, rollout_max_fail_percentage=100, rollout_restart="always")
    assert run.returncode != 0
    assert "failure budget exceeded" in run.output
    result = report(tmp_path)
    assert result["run"]["stopped"] == "failure budget exceeded"
    for name in lost:
        assert result["hosts"][name]["state"] == "failed"
        assert "did not come back online" in result["hosts"][name]["reason"]
    not_started = [name for name, host in result["hosts"].items() if host["state"] == "skipped"]
    assert not_started
    assert all(result["hosts"][name]["reason"] == "failure budget exceeded" for name in not_started)
    never_ran = [batch for batch in result["batches"] if not batch["ran"]]
    assert never_ran, "the batches after the stop are in the report"
    assert all(batch["started"] is None and batch["not_run"] == "failure budget exceeded" for batch in never_ran)
    assert "not started: failure budget exceeded" in Path(result_html(tmp_path)).read_text(encoding="utf-8")
    assert staged_computers(emulator) == []
    for name in lost:
        assert api.computer(name)["group"]["name"] == WORKSTATIONS


def descendants(pid):
    """Every process below ``pid`` (Ansible's workers call setsid, so a process group does not hold them)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, encoding="utf-8") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def kill_tree(pid):
    """SIGKILL a controller and everything it started, as when its machine or AWX pod dies."""
    for victim in [pid] + descendants(pid):
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_killed_controller_resumes_from_the_sepm(emulator, rollout, tmp_path):
    window, _opens, _closes = window_with(emulator, minutes_left=20 * 60, duration_minutes=24 * 60)
    variables = rollout_vars(tmp_path, rollout_groups=["My Company\\Workstations"], rollout_windows=[window],
                             rollout_serial=[1, 10])
    seq = emulator.events()["last_seq"]
    log_path = tmp_path / "killed-run.log"
    process = rollout.runner.start("endpoint_ops.sepm.rollout", extra_vars=variables, log_path=log_path)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None:
            moves = [e for e in emulator.events(since=seq)["events"] if e["kind"] == "move" and "Patch Staging" in (e.get("to_group") or "")]
            if len(moves) > 1:
                break
            time.sleep(0.2)
        assert process.poll() is None, "the run ended before it could be killed:\n" + log_path.read_text()
    finally:
        kill_tree(process.pid)
        process.wait()
    left = staged_computers(emulator)
    assert left, "the run was killed before it staged a batch"

    run = rollout(**{k: v for k, v in variables.items() if k.startswith("rollout_") and k != "rollout_report_dir"})
    assert run.returncode == 0, run.output[-4000:]
    result = report(tmp_path)
    assert staged_computers(emulator) == []
    for name in left:
        assert result["hosts"][name]["state"] in ("patched", "compliant")
        assert str(result["hosts"][name].get("batch")) == "resume", (name, result["hosts"][name], result["batches"][:2])
    assert {host["state"] for host in result["hosts"].values()} <= {"patched", "compliant"}


def test_throttling_and_server_errors_change_nothing_in_the_outcome(emulator, rollout, tmp_path):
    stop = threading.Event()

    def bursts():
        """A burst of errors at once, then six seconds after the last one was served, all through the rollout.

        Bursts, not an outage: the quiet time is longer than a client's longest backoff before
        its fourth attempt (3.5 s), so one request meets at most one burst.
        """
        kinds = [{"status": 429, "retry_after": 1, "count": 3}, {"status": 503, "count": 3},
                 {"status": 502, "count": 2, "method": "GET"}, {"status": 504, "count": 2, "method": "GET"}]
        number, quiet_since = 0, -60.0
        while not stop.wait(0.25):
            if emulator.state()["pending_faults"]:
                quiet_since = None
                continue
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 6:
                emulator.add_fault(kind="http_status", **kinds[number % len(kinds)])
                number, quiet_since = number + 1, None
        served.append(number)

    served = []
    # and the server's own throttle: 429 with Retry-After past 25 requests a second
    emulator.settings(throttle={"limit": 25, "window_s": 1})

    window, _opens, _closes = window_with(emulator, minutes_left=20 * 60, duration_minutes=24 * 60)
    thread = threading.Thread(target=bursts, daemon=True)
    thread.start()
    try:
        run = rollout(rollout_groups=["My Company\\Servers"], rollout_windows=[window], rollout_serial=[1, "50%"])
    finally:
        stop.set()
        thread.join()
        emulator.clear_faults()
        emulator.settings(throttle=None)
    assert run.returncode == 0, run.output[-4000:]
    assert served and served[0] >= 2, "the bursts did not reach the rollout"
    result = report(tmp_path)
    assert {host["state"] for host in result["hosts"].values()} <= {"patched", "compliant"}, \
        [(name, host) for name, host in result["hosts"].items() if host["state"] not in ("patched", "compliant")]
    assert staged_computers(emulator) == []


def test_check_mode_prints_the_plan_and_changes_nothing(emulator, rollout, tmp_path):
    window, _opens, _closes = window_with(emulator, minutes_left=600)
    seq = emulator.events()["last_seq"]
    run = rollout("--check", rollout_groups=["My Company\\Servers"], rollout_windows=[window], rollout_serial=[1, "50%"])
    assert run.returncode == 0, run.output[-4000:]
    assert "batches:" in run.output and "Patch Staging" in run.output
    changes = [e for e in emulator.events(since=seq)["events"] if e["kind"] in ("move", "command", "group_created", "policy_assigned")]
    assert changes == []
    assert not glob.glob(str(tmp_path / "reports" / "*.json"))


def test_missing_window_is_refused_before_anything_changes(emulator, rollout):
    seq = emulator.events()["last_seq"]
    run = rollout(rollout_groups=["My Company\\Servers"])
    assert run.returncode != 0
    assert "rollout_windows" in run.output
    assert [e for e in emulator.events(since=seq)["events"] if e["kind"] != "login"] == []


def test_malformed_window_fails_with_one_line(emulator, rollout):
    run = rollout(rollout_groups=["My Company\\Servers"],
                  rollout_windows=[{"days": ["sat"], "start": "22:00", "duration": "0m", "timezone": "UTC"}])
    assert run.returncode != 0
    assert "duration must be more than 0" in run.output


def test_targets_from_the_sepm_inventory_with_clusters_from_host_variables(emulator, rollout, tmp_path):
    inventory = tmp_path / "fleet.sepm.yml"
    inventory.write_text("""plugin: endpoint_ops.sepm.sepm
compose:
  ha_cluster: "sepm_name | regex_replace('-N[0-9]+$', '') if sepm_name is regex('-N[0-9]+$') else ''"
""")
    window, _opens, _closes = window_with(emulator, minutes_left=20 * 60, duration_minutes=24 * 60)
    run = rollout("-i", str(inventory), rollout_targets="my_company_servers_sql", rollout_windows=[window],
                  rollout_serial=[1, "50%"], rollout_cluster_pattern="^never-matches$")
    assert run.returncode == 0, run.output[-4000:]
    result = report(tmp_path)
    assert result["hosts"] and all(name.startswith("SQL-") for name in result["hosts"])
    assert {host["state"] for host in result["hosts"].values()} <= {"patched", "compliant"}
    batches = [set(batch["hosts"]) for batch in result["batches"]]
    for batch in batches:
        stems = [name.rsplit("-N", 1)[0] for name in batch]
        assert len(stems) == len(set(stems)), "two members of one cluster in a batch: %s" % sorted(batch)


# ---------------------------------------------------------------------------------------------
# the engine in Python: pipelined batches, restarts never, HA availability, logout


def computer_events(emulator, kind, since=0):
    return [event for event in emulator.events(since=since)["events"] if event["kind"] == kind]


def batch_of(result, name):
    return str(result["hosts"][name]["batch"])


def assert_each_batch_restarts_after_the_one_before(spans, result):
    """No batch's first restart begins before the last restart of the batch before it (where both restarted) ends."""
    by_batch = {}
    for name, start, end in spans:
        if name in result["hosts"]:
            by_batch.setdefault(int(batch_of(result, name)), []).append((start, end))
    for number in sorted(by_batch)[1:]:
        if number - 1 in by_batch:
            assert min(start for start, _end in by_batch[number]) >= max(end for _start, end in by_batch[number - 1]), \
                "batch %d restarted while batch %d was down" % (number, number - 1)


def test_the_next_batch_is_delivered_while_this_one_restarts_and_never_restarted_early(emulator, rollout, tmp_path):
    window, opens, closes = window_with(emulator, minutes_left=24 * 60 - 30, duration_minutes=24 * 60)
    seq = emulator.events()["last_seq"]
    run = rollout(rollout_groups=["My Company\\Workstations"], rollout_windows=[window], rollout_serial=[10])
    assert run.returncode == 0, run.output[-4000:]
    result = report(tmp_path)
    assert {host["state"] for host in result["hosts"].values()} <= {"patched", "compliant"}
    assert "batch 2 of" in run.output and "restart sent to" in run.output, "progress lines while batches run"
    batches = [b for b in result["batches"] if b["batch"] not in ("resume",)]
    assert len(batches) >= 3
    restarts_by_batch, updates = {}, {}
    for event in emulator.events(since=seq)["events"]:
        name = event.get("computer")
        if name in result["hosts"] and event["kind"] in ("restart_begin", "restart_end"):
            restarts_by_batch.setdefault(batch_of(result, name), []).append((event["kind"], event["time_ms"]))
        if event["kind"] == "patch_staged" and name in result["hosts"]:
            updates.setdefault(batch_of(result, name), []).append(event["time_ms"])
    overlapped = 0
    for number in range(1, len(batches)):
        this, following = str(number), str(number + 1)
        if this not in restarts_by_batch or following not in updates:
            continue
        last_restart_end = max(t for kind, t in restarts_by_batch[this] if kind == "restart_end")
        first_restart_next = min((t for kind, t in restarts_by_batch.get(following, []) if kind == "restart_begin"), default=None)
        overlapped += min(updates[following]) < last_restart_end
        if first_restart_next is not None:
            assert first_restart_next >= last_restart_end, "batch %s restarted while batch %s was still down" % (following, this)
    assert overlapped >= 1, "no batch took its patch while the one before it restarted"
    assert_restarts_inside(restarts(emulator), opens, closes)
    assert staged_computers(emulator) == []


@pytest.mark.parametrize("hand_off", [True, False])
def test_with_the_hand_off_a_batch_back_and_healthy_sends_the_next_restart_from_its_own_task(emulator, rollout, tmp_path, hand_off):
    window, opens, closes = window_with(emulator, minutes_left=24 * 60 - 30, duration_minutes=24 * 60)
    run = rollout(rollout_groups=["My Company\\Workstations"], rollout_windows=[window], rollout_serial=[10],
                  rollout_hand_off_restarts=hand_off)
    assert run.returncode == 0, run.output[-4000:]
    result = report(tmp_path)
    assert {host["state"] for host in result["hosts"].values()} <= {"patched", "compliant"}
    assert result["run"]["gates"]["hand_off_restarts"] is hand_off
    assert ("Restart hand-off: each batch's task sends the next batch's restart" in run.output) is hand_off
    # Where batch 2's restart was said: in batch 1's task, before batch 2's task began, or in batch 2's own.
    said = re.search(r"batch 2 of \d+: restart sent to", run.output)
    own_task = run.output.index("Run batch 2]")
    assert said, run.output[-4000:]
    assert (said.start() < own_task) is hand_off, run.output[own_task - 2000:own_task + 2000]
    spans = restarts(emulator)
    assert_each_batch_restarts_after_the_one_before(spans, result)
    assert_restarts_inside(spans, opens, closes)
    assert staged_computers(emulator) == []


def test_two_batches_ahead_keep_restarts_in_order_and_the_pipeline_two_deep(emulator, rollout, tmp_path):
    window, opens, closes = window_with(emulator, minutes_left=24 * 60 - 30, duration_minutes=24 * 60)
    run = rollout(rollout_groups=["My Company"], rollout_windows=[window], rollout_serial=[20], rollout_batches_ahead=2)
    assert run.returncode == 0, run.output[-4000:]
    result = report(tmp_path)
    assert {host["state"] for host in result["hosts"].values()} <= {"patched", "compliant"}
    assert result["run"]["gates"]["batches_ahead"] == 2
    batches = [b for b in result["batches"] if b["batch"] != "resume" and b["ran"]]
    assert len(batches) >= 4
    # Batch k+2 was staged before batch k ended: two batches were on their way while one restarted.
    two_deep = [later["batch"] for earlier, later in zip(batches, batches[2:])
                if later["steps"].get("staged") and later["steps"]["staged"] < earlier["finished"]]
    assert two_deep, [(b["batch"], b["steps"].get("staged"), b["finished"]) for b in batches]
    spans = restarts(emulator)
    assert_each_batch_restarts_after_the_one_before(spans, result)
    assert_restarts_inside(spans, opens, closes)
    assert_clusters_never_down_together(spans)
    assert staged_computers(emulator) == []


@pytest.mark.parametrize("batches_ahead", [1, 2])
def test_a_stop_sends_the_pre_delivered_batches_home_unrestarted(emulator, rollout, tmp_path, batches_ahead):
    api, names = unpatched_workstations(emulator)
    emulator.add_fault(kind="never_back", computers=names[:3])
    window, _opens, _closes = window_with(emulator, minutes_left=20 * 60, duration_minutes=24 * 60)
    seq = emulator.events()["last_seq"]
    run = rollout(rollout_targets="", rollout_groups=[WORKSTATIONS], rollout_windows=[window], rollout_serial=[3],
                  rollout_failure_budget=1, rollout_max_fail_percentage=100, rollout_restart="always",
                  rollout_batches_ahead=batches_ahead)
    assert run.returncode != 0 and "failure budget exceeded" in run.output
    result = report(tmp_path)
    pending = [name for name, host in result["hosts"].items() if host["state"] == "deferred"]
    assert pending, "the next batch was not pre-delivered before the stop"
    assert len({batch_of(result, name) for name in pending}) == batches_ahead, sorted((batch_of(result, n), n) for n in pending)
    for name in pending:
        assert result["hosts"][name]["reason"].startswith(("patch delivered, restart pending", "staged, not patched"))
        assert api.computer(name)["group"]["name"] == WORKSTATIONS
    restarted = {event["computer"] for event in computer_events(emulator, "restart_begin", seq)}
    assert not restarted & set(pending), "a batch delivered ahead was restarted after the stop"
    assert staged_computers(emulator) == []
    staging = api.ok("GET", "groups", params={"fullPathName": WORKSTATIONS + "\\Patch Staging"})["content"][0]
    for location in api.ok("GET", "groups/%s/locations" % staging["id"]):
        location_id = location.rsplit("/", 1)[-1]
        settings = api.ok("GET", "groups/%s/locations/%s/settings" % (staging["id"], location_id))
        assert not settings["configuration"]["general_settings"]["restart"].get("enabled"), "the staging group may restart clients"


def test_restart_never_runs_every_batch_and_defers_them_all(emulator, rollout, tmp_path):
    window, _opens, _closes = window_with(emulator, minutes_left=20 * 60, duration_minutes=24 * 60)
    run = rollout(rollout_groups=["My Company\\Servers\\Web"], rollout_windows=[window], rollout_serial=[2],
                  rollout_restart="never")
    assert run.returncode == 0, run.output[-4000:]
    result = report(tmp_path)
    assert result["run"]["stopped"] is None
    deferred = [host for host in result["hosts"].values() if host["state"] == "deferred"]
    assert deferred and all("restart not allowed" in host["reason"] for host in deferred)
    assert {host["state"] for host in result["hosts"].values()} <= {"deferred", "compliant", "skipped"}
    assert not computer_events(emulator, "restart_begin")
    assert staged_computers(emulator) == []


def test_an_offline_patched_member_keeps_its_cluster_partners_up(emulator, rollout, tmp_path):
    api = SepmApi(emulator)
    api.login()
    computers = api.ok("GET", "computers", params={"pageSize": 1000})["content"]
    patched = next(c["computerName"] for c in computers if c["agentVersion"] == PATCH and "Windows" in c["osName"])
    others = [c["computerName"] for c in computers if c["agentVersion"] != PATCH and c["computerName"].startswith("WS-")][:2]
    emulator.control("PATCH", "computers", {"names": [patched], "online": False})
    inventory = tmp_path / "trio.ini"
    inventory.write_text("[trio]\n" + "".join("%s sepm_name=%s ha_cluster=trio\n" % (name.lower(), name)
                                              for name in [patched] + others))
    window, _opens, _closes = window_with(emulator, minutes_left=20 * 60, duration_minutes=24 * 60)
    seq = emulator.events()["last_seq"]
    run = rollout("-i", str(inventory), rollout_targets="trio", rollout_windows=[window], rollout_serial=[3],
                  rollout_restart="always", rollout_max_unavailable_per_cluster=1)
    assert run.returncode == 0, run.output[-4000:]
    result = report(tmp_path)
    assert result["hosts"][patched]["state"] == "compliant"
    for name in others:
        assert result["hosts"][name]["state"] == "skipped"
        assert "HA partner %s is offline" % patched in result["hosts"][name]["reason"]
    assert not computer_events(emulator, "restart_begin", seq)


def test_the_rollout_logs_out_of_its_session(emulator, rollout):
    window, _opens, _closes = window_with(emulator, minutes_left=20 * 60, duration_minutes=24 * 60)
    run = rollout("--check", rollout_groups=["My Company\\Servers\\Web"], rollout_windows=[window])
    assert run.returncode == 0, run.output[-4000:]
    assert "would patch" in run.output
    by_endpoint = emulator.requests_count()["by_endpoint"]
    assert by_endpoint.get("POST identity/logout", 0) >= 1, by_endpoint


@pytest.mark.parametrize("bad, option", [
    ({"rollout_policy_timeout": 10 ** 13}, "rollout_policy_timeout"),
    ({"rollout_staging_group": "Patch\\Staging"}, "rollout_staging_group"),
    ({"rollout_target_version": "abc"}, "rollout_target_version"),
    ({"rollout_groups": ["My Company\\No Such Group"]}, "No Such Group"),
    ({"rollout_soak": {"after": 1, "for": "forever"}}, "rollout_soak"),
    ({"rollout_max_restarting_per_group": "150%"}, "rollout_max_restarting_per_group"),
])
def test_bad_rollout_input_fails_in_one_line_before_any_write(emulator, rollout, bad, option):
    window, _opens, _closes = window_with(emulator, minutes_left=600)
    seq = emulator.events()["last_seq"]
    variables = dict({"rollout_groups": ["My Company\\Servers"], "rollout_windows": [window]}, **bad)
    run = rollout(**variables)
    assert run.returncode != 0
    failure = [line for line in run.output.splitlines() if line.startswith("fatal:")]
    assert failure and option in failure[0], run.output[-2000:]
    assert "Traceback" not in run.output and emulator.password not in run.output
    assert [e["kind"] for e in emulator.events(since=seq)["events"] if e["kind"] not in ("login",)] == []


def test_a_server_error_in_the_middle_of_a_run_leaves_nobody_staged_and_is_reported(emulator, rollout, tmp_path):
    """The second updatecontent of the run (the pre-staged batch's) gets HTTP 500: both batches go home, the run fails."""
    _api, names = unpatched_workstations(emulator)
    emulator.add_fault(kind="http_status", status=500, method="POST", path="command-queue/updatecontent", skip=1)
    window, _opens, _closes = window_with(emulator, minutes_left=20 * 60, duration_minutes=24 * 60)
    seq = emulator.events()["last_seq"]
    run = rollout(rollout_groups=[WORKSTATIONS], rollout_windows=[window], rollout_serial=[2, 3])
    assert run.returncode != 0
    fatal = [line for line in run.output.splitlines() if line.startswith("fatal:")]
    assert fatal and "The rollout failed on an error; see " in fatal[-1] and "HTTP 500" in fatal[-1], run.output[-3000:]
    assert "Traceback" not in run.output and emulator.password not in run.output
    assert staged_computers(emulator) == []
    result = report(tmp_path)
    assert result["run"]["failed"] is True and "HTTP 500" in result["run"]["error"]
    assert result["run"]["error"] in fatal[-1]
    assert set(result["hosts"]) >= set(names)
    assert all(host["state"] in ("patched", "compliant", "deferred", "skipped") for host in result["hosts"].values())
    unreached = [name for name, host in result["hosts"].items() if host["reason"] == "the run failed on an error before it reached it"]
    assert unreached and all(result["hosts"][name]["state"] == "skipped" for name in unreached)
    ahead = [batch for batch in result["batches"] if batch["batch"] == "2"]
    restarted = {event["computer"] for event in computer_events(emulator, "restart_begin", seq)}
    second = ahead[0]["hosts"] if ahead else [name for name, host in result["hosts"].items() if host.get("batch") == "2"]
    assert not restarted & set(second), "a batch was restarted after the error"
    html = Path(result_html(tmp_path)).read_text(encoding="utf-8")
    assert "Failed on an error" in html
