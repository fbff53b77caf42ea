# -*- coding: utf-8 -*-
"""The pure parts of the rollout engine, and its gate, with a fake client (no HTTP)."""

from __future__ import annotations

import datetime

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import Batch, Clock, Options, at_target, home_of, staging_path
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import parse_windows

TARGET = "14.3.10148.9100"
NOW = datetime.datetime(2026, 11, 28, 23, 0, tzinfo=datetime.timezone.utc)


class FakeClient:
    """Answers what the gate and the return step ask; records anything that would change the SEPM."""

    def __init__(self, now):
        self.now = now
        self.changes = []

    def server_time(self, refresh=False):
        return self.now

    def move_computers(self, moves):
        self.changes.append(("move", list(moves)))
        return [{"responseCode": "200"} for _move in moves]

    def group_by_path(self, path):
        return {"id": "HOME-" + path, "fullPathName": path}

    def send_command(self, *args, **kwargs):
        self.changes.append(("command", args, kwargs))
        return {}


def computer(name, group="My Company\\Servers\\SQL", version="14.3.10148.9000", reboot=False):
    return {"name": name, "id": "ID-" + name, "hardware_key": "HK-" + name, "group": group, "agent_version": version,
            "reboot_required": reboot, "online": True}


def options(windows):
    return Options(TARGET, "ALLOW", windows=parse_windows(windows) if windows else [], policy_timeout=600, delivery_timeout=1200, restart_timeout=1200)


def test_home_of_a_staged_computer_is_the_parent():
    assert home_of("My Company\\Servers\\SQL\\Patch Staging") == "My Company\\Servers\\SQL"
    assert home_of("My Company\\Servers\\SQL\\patch staging") == "My Company\\Servers\\SQL"
    assert home_of("My Company\\Servers\\SQL") == "My Company\\Servers\\SQL"
    assert home_of("My Company\\Servers\\SQL\\Stage", staging_name="Stage") == "My Company\\Servers\\SQL"
    assert staging_path("My Company\\Web") == "My Company\\Web\\Patch Staging"


def test_at_target_compares_versions_numerically():
    assert at_target({"agent_version": "14.3.10148.9100"}, TARGET)
    assert at_target({"agent_version": "14.3.10149.9000"}, TARGET)
    assert not at_target({"agent_version": "14.3.9210.8000"}, TARGET)
    assert not at_target({"agent_version": None}, TARGET)


def test_closed_window_defers_the_batch_and_changes_nothing():
    client = FakeClient(NOW)
    window = [{"days": ["mon"], "start": "22:00", "duration": "4h", "timezone": "UTC"}]  # 2026-11-28 is a Saturday
    result = Batch(client, [computer("SQL-01-N1"), computer("SQL-03-N1")], options(window), Clock(client)).run()
    assert result["gated"] is True and result["changed"] is False
    assert {host["state"] for host in result["hosts"].values()} == {"deferred"}
    assert result["hosts"]["SQL-01-N1"]["reason"] == "maintenance window closed"
    assert client.changes == []


def test_window_closing_before_the_cutoff_defers_the_batch():
    client = FakeClient(NOW)
    window = [{"days": ["sat"], "start": "22:00", "duration": "90m", "timezone": "UTC"}]  # 30 minutes left, cutoff 50
    result = Batch(client, [computer("SQL-01-N1")], options(window), Clock(client)).run()
    assert result["gated"] is True
    assert "closes in 30m, less than the 50m" in result["hosts"]["SQL-01-N1"]["reason"]
    assert client.changes == []


def test_a_closed_window_still_sends_staged_computers_home():
    client = FakeClient(NOW)
    staged = computer("SQL-01-N1", group="My Company\\Servers\\SQL\\Patch Staging")
    result = Batch(client, [staged], options([{"days": ["mon"], "start": "22:00", "duration": "4h", "timezone": "UTC"}]),
                   Clock(client)).run()
    assert result["hosts"]["SQL-01-N1"]["state"] == "deferred"
    assert client.changes == [("move", [("HK-SQL-01-N1", "HOME-My Company\\Servers\\SQL")])]


def test_computers_already_at_the_target_are_compliant_without_any_call():
    client = FakeClient(NOW)
    result = Batch(client, [computer("SQL-01-N1", version=TARGET)], options([]), Clock(client)).run()
    assert result["hosts"]["SQL-01-N1"]["state"] == "compliant"
    assert result["changed"] is False and client.changes == []
