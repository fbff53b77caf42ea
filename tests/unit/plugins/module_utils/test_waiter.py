# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Each condition a rollout waits for, alone, and the Wait that tracks them."""

from __future__ import annotations

import datetime

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.waiter import (
    Wait, at_target, back_at_target, command_final, patch_arrived, policy_applied)

TARGET = "14.3.10148.9100"
OLD = "14.3.10148.9000"
NOW = datetime.datetime(2026, 11, 28, 23, 0, tzinfo=datetime.timezone.utc)


def computer(**fields):
    data = {"agent_version": OLD, "online": True, "reboot_required": False, "target_version": None, "profile_serial": None}
    data.update(fields)
    return data


def test_policy_applied_needs_the_staging_groups_serial():
    assert policy_applied(computer(profile_serial="E5E6-08/21/2024 12:38:31 900"), "E5E6-08/21/2024 12:38:31 900")
    assert not policy_applied(computer(profile_serial="E5E6-08/21/2024 12:38:31 900"), "E5E6-08/21/2024 12:40:00 100")
    assert not policy_applied(computer(profile_serial=None), None)
    assert not policy_applied(None, "x")


def test_patch_arrived_when_installed_or_staged_for_a_restart():
    assert patch_arrived(computer(agent_version=TARGET), TARGET)
    assert patch_arrived(computer(reboot_required=True, target_version=TARGET), TARGET)
    assert not patch_arrived(computer(reboot_required=True, target_version=OLD), TARGET), "a restart for something else"
    assert not patch_arrived(computer(), TARGET)


def test_back_at_target_needs_online_the_version_and_no_restart_pending():
    assert back_at_target(computer(agent_version=TARGET), TARGET)
    assert not back_at_target(computer(agent_version=TARGET, online=False), TARGET)
    assert not back_at_target(computer(agent_version=TARGET, reboot_required=True), TARGET)
    assert not back_at_target(computer(), TARGET)
    assert at_target(computer(agent_version="14.3.10149.9000"), TARGET)


def test_command_final():
    assert command_final({"final": True}) and not command_final({"final": False}) and not command_final(None)


def test_a_wait_drops_who_is_done_and_ends_at_its_deadline():
    wait = Wait("restart", ["a", "b"], lambda reading: bool(reading and reading.get("ok")), NOW + datetime.timedelta(minutes=5))
    assert not wait.update({"a": {"ok": True}}, NOW)
    assert wait.waiting == ["b"]
    assert wait.update({}, NOW + datetime.timedelta(minutes=5))
    assert wait.timed_out_names == ["b"]
    assert Wait("x", ["a"], bool, NOW).update({"a": 1}, NOW - datetime.timedelta(days=1))
