# -*- coding: utf-8 -*-
"""Commands at scale: a status read is a page at a time, and a command for 1,000 computers fits a real SEPM.

A real SEPM's web server (Tomcat) refuses a request line plus headers over 8,192 bytes, and
the emulator does the same; a restart named for 1,000 computers becomes several requests
(several command ids) that the modules treat as one command.
"""

from __future__ import annotations

import tempfile

import pytest

from tests.emulator.harness import EmulatorProcess
from tests.integration.ansible_runner import PlaybookRunner

BULK = "My Company\\Bulk"
FLEET = 1000


@pytest.fixture(scope="module")
def windows_fleet():
    """1,000 online Windows clients; 1,200 simulated seconds pass every real second, so a restart takes a moment."""
    with EmulatorProcess(fleet=FLEET, seed=7, time_scale=1200, profile="windows") as process:
        yield process


@pytest.fixture(scope="module")
def large_emulator():
    with EmulatorProcess(fleet=700, seed=3, time_scale=120) as process:
        yield process


def test_waiting_on_500_computers_costs_one_request_per_poll(large_emulator):
    from tests.integration.conftest import SepmApi
    api = SepmApi(large_emulator)
    api.login()
    fleet = api.ok("GET", "computers", params={"pageSize": 1000})["content"]
    names = sorted(c["computerName"] for c in fleet if "Windows" in (c["osName"] or "") and c["onlineStatus"] == 1)[:500]
    assert len(names) == 500
    api.ok("POST", "groups/%s" % api.group_id("My Company"), json={"name": "Bulk", "description": "bulk", "inherits": True})
    with tempfile.TemporaryDirectory() as workdir:
        runner = PlaybookRunner(large_emulator, workdir)
        large_emulator.reset_requests()
        moved = runner.run("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: move
      endpoint_ops.sepm.computer_move:
        group: My Company\\Bulk
        computers: "{{ names }}"
""", extra_vars={"names": names})
        assert moved.returncode == 0, moved.output
        assert len(moved.result("move")["moved"]) == 500
        assert large_emulator.requests_count()["total"] <= 5

        large_emulator.reset_requests()
        run = runner.run("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: step
      endpoint_ops.sepm.command:
        command: updatecontent
        groups: ['My Company\\Bulk']
        wait: true
        poll_interval: 2
        wait_timeout: 600
""")
        assert run.returncode == 0, run.output
        result = run.result("step")
        assert result["counts"]["total"] == 500 and result["counts"]["done"] is True
        by_endpoint = large_emulator.requests_count()["by_endpoint"]
        status_reads = sum(count for endpoint, count in by_endpoint.items() if endpoint.startswith("GET command-queue"))
        assert result["polls"] >= 1
        assert status_reads == result["polls"]


def test_a_restart_to_1000_computers_is_one_command_within_the_8_kb_limit(windows_fleet):
    from tests.integration.conftest import SepmApi
    api = SepmApi(windows_fleet)
    api.login()
    assert windows_fleet.state()["settings"]["max_header_bytes"] == 8192
    names = sorted(c["computerName"] for c in api.ok("GET", "computers", params={"pageSize": 1000})["content"])
    assert len(names) == FLEET
    windows_fleet.reset_requests()
    with tempfile.TemporaryDirectory() as workdir:
        run = PlaybookRunner(windows_fleet, workdir).run("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: restart
      endpoint_ops.sepm.command:
        command: restart
        computers: "{{ names }}"
        user_message: patch restart
        wait: true
        poll_interval: 1
        wait_timeout: 600
      register: sent
    - name: read back
      endpoint_ops.sepm.command_info:
        command_id: "{{ sent.command_ids.computers }}"
""", extra_vars={"names": names})
    assert run.returncode == 0, run.output
    command_ids = run.result("restart")["command_ids"]
    assert list(command_ids) == ["computers"] and len(command_ids["computers"]) > 1
    assert run.result("restart")["counts"] == {"total": FLEET, "by_state": {"COMPLETED": FLEET}, "done": True}
    read_back = run.result("read back")
    assert read_back["counts"] == {"total": FLEET, "by_state": {"COMPLETED": FLEET}, "done": True}
    assert sorted(row["computer"] for row in read_back["computers"]) == names
    requests = windows_fleet.requests_count()
    assert requests["refused_heads"] == 0 and 0 < requests["largest_head_bytes"] <= 8192
    assert requests["by_endpoint"]["POST command-queue/restart"] == len(command_ids["computers"])
    restarted = [event["computer"] for event in windows_fleet.events()["events"] if event["kind"] == "restart_begin"]
    assert sorted(restarted) == names


@pytest.fixture(scope="module")
def rollout_fleet():
    """1,400 Windows clients (about 1,050 not at the patch yet), fast enough that a batch of 1,000 takes seconds."""
    with EmulatorProcess(fleet=1400, seed=13, time_scale=600, profile="windows") as process:
        yield process


def test_a_rollout_batch_of_1000_computers_fits_the_8_kb_limit(rollout_fleet, tmp_path):
    import glob  # pylint: disable=import-outside-toplevel
    import json  # pylint: disable=import-outside-toplevel
    assert rollout_fleet.state()["settings"]["max_header_bytes"] == 8192
    rollout_fleet.reset_requests()
    variables = {
        "rollout_groups": ["My Company"], "rollout_serial": [1000], "rollout_ignore_windows": True, "rollout_poll_interval": 0.5,
        "rollout_policy_timeout": 1800, "rollout_delivery_timeout": 3600, "rollout_restart_timeout": 3600,
        "rollout_report_dir": str(tmp_path / "reports"),
    }
    run = PlaybookRunner(rollout_fleet, tmp_path).run("endpoint_ops.sepm.rollout", extra_vars=variables)
    assert run.returncode == 0, run.output[-4000:]
    with open(glob.glob(str(tmp_path / "reports" / "rollout-*.json"))[0], encoding="utf-8") as handle:
        report = json.load(handle)
    first = report["batches"][0]
    assert first["batch"] == "1" and len(first["hosts"]) == 1000
    assert all(report["hosts"][name]["state"] == "patched" for name in first["hosts"])
    requests = rollout_fleet.requests_count()
    assert requests["refused_heads"] == 0 and 0 < requests["largest_head_bytes"] <= 8192
    # 1,000 ids do not fit one request line: the command went out as several, and came back as one batch
    assert requests["by_endpoint"]["POST command-queue/updatecontent"] > 2
