# -*- coding: utf-8 -*-
"""command with wait against a 500-computer group reads the status a page at a time, not per computer."""

from __future__ import annotations

import tempfile

import pytest

from tests.emulator.harness import EmulatorProcess
from tests.integration.ansible_runner import PlaybookRunner

BULK = "My Company\\Bulk"


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
