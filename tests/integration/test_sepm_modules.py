# -*- coding: utf-8 -*-
"""The SEPM control modules through real ansible-playbook against the emulator.

For each state-changing module: a first run changes the emulator as asked, a second
identical run reports no change, check mode changes nothing, --diff shows before and
after, and bad input fails with one line and changes nothing.
"""

from __future__ import annotations

import json

import pytest

CHANGE_EVENTS = frozenset(("move", "policy_assigned", "group_created", "group_deleted", "settings_changed", "command"))
SQL = "My Company\\Servers\\SQL"
ALLOW = "LiveUpdate - Client Patches Allowed"
DENY = "LiveUpdate - Client Patches Denied"


def task(module, args, **task_options):
    """A one-task playbook: the task is named 'step'."""
    options = "".join("\n      %s: %s" % item for item in task_options.items())
    return """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: step
      endpoint_ops.sepm.%s: %s%s
""" % (module, args, options)


def changes_since(emulator, seq):
    return [event for event in emulator.events(since=seq)["events"] if event["kind"] in CHANGE_EVENTS]


def last_seq(emulator):
    return emulator.events()["last_seq"]


def assert_one_line_failure(run, *words):
    assert run.returncode != 0, run.output
    message = run.result("step")["msg"]
    assert "\n" not in message, message
    for word in words:
        assert word in message, message
    assert "Traceback" not in run.output


def run_idempotent(runner, playbook, emulator):
    """First run changes, second run does not; returns both runs and the events of the first."""
    seq = last_seq(emulator)
    first = runner.run(playbook)
    assert first.returncode == 0, first.output
    events = changes_since(emulator, seq)
    second = runner.run(playbook)
    assert second.returncode == 0, second.output
    assert first.result("step")["changed"] is True
    assert second.result("step")["changed"] is False
    return first, second, events


# -- group ----------------------------------------------------------------------------------


def test_group_created_then_unchanged(api, runner, clean_emulator):
    playbook = task("group", "{path: '%s\\\\Patch Staging', inherits: false, description: staging}" % SQL)
    first, _second, events = run_idempotent(runner, playbook, clean_emulator)
    created = api.ok("GET", "groups", params={"fullPathName": SQL + "\\Patch Staging"})["content"][0]
    assert created["policyInheritanceEnabled"] is False
    assert created["description"] == "staging"
    assert first.result("step")["group"]["id"] == created["id"]
    assert [e["kind"] for e in events] == ["group_created"]


def test_group_check_mode_and_diff_change_nothing(api, runner, clean_emulator):
    seq = last_seq(clean_emulator)
    run = runner.run(task("group", "{path: 'My Company\\\\Lab'}"), "--check", "--diff")
    assert run.returncode == 0, run.output
    result = run.result("step")
    assert result["changed"] is True
    assert result["diff"] == {"before": None, "after": {"path": "My Company\\Lab", "description": "", "inherits": True}}
    assert "My Company\\\\Lab" in run.stdout or "My Company\\Lab" in run.stdout
    assert api.ok("GET", "groups", params={"fullPathName": "My Company\\Lab"})["content"] == []
    assert changes_since(clean_emulator, seq) == []


def test_group_update_and_delete(api, runner, clean_emulator):
    update = task("group", "{path: '%s', description: 'SQL clusters'}" % SQL)
    run = runner.run(update, "--diff")
    assert run.result("step")["changed"] is True
    assert run.result("step")["diff"]["after"]["description"] == "SQL clusters"
    assert api.ok("GET", "groups", params={"fullPathName": SQL})["content"][0]["description"] == "SQL clusters"
    runner.run(task("group", "{path: 'My Company\\\\Empty'}"))
    _first, _second, events = run_idempotent(runner, task("group", "{path: 'My Company\\\\Empty', state: absent}"), clean_emulator)
    assert [e["kind"] for e in events] == ["group_deleted"]
    assert api.ok("GET", "groups", params={"fullPathName": "My Company\\Empty"})["content"] == []


def test_a_description_cannot_be_cleared_through_the_api(api, runner, clean_emulator):
    """The reference's GroupPayload takes 1 to 1024 characters: clearing is a console step, said before any write."""
    runner.run(task("group", "{path: '%s', description: 'SQL clusters'}" % SQL))
    seq = last_seq(clean_emulator)
    run = runner.run(task("group", "{path: '%s', description: '', inherits: false}" % SQL))
    assert_one_line_failure(run, "cannot clear the description", "SEPM console")
    assert changes_since(clean_emulator, seq) == []
    group = api.ok("GET", "groups", params={"fullPathName": SQL})["content"][0]
    assert group["description"] == "SQL clusters" and group["policyInheritanceEnabled"] is True
    # the SEPM itself refuses an empty description
    refused = api.call("PATCH", "groups/%s" % group["id"], json={"name": group["name"], "description": ""})
    assert refused.status_code == 400 and "1 to 1024" in refused.text
    # a group without a description already has what '' asks for
    run_idempotent(runner, task("group", "{path: 'My Company\\\\Lab', description: ''}"), clean_emulator)


def test_group_missing_parent_fails_unless_create_parents(api, runner, clean_emulator):
    seq = last_seq(clean_emulator)
    run = runner.run(task("group", "{path: 'My Company\\\\Lab\\\\Canary'}"))
    assert_one_line_failure(run, "My Company\\Lab", "create_parents")
    assert changes_since(clean_emulator, seq) == []
    run = runner.run(task("group", "{path: 'My Company\\\\Lab\\\\Canary', create_parents: true}"))
    assert run.returncode == 0, run.output
    assert len(api.ok("GET", "groups", params={"fullPathName": "My Company\\Lab\\Canary"})["content"]) == 1


# -- policy_assignment ------------------------------------------------------------------------


def test_policy_assignment_all_locations(api, runner, clean_emulator):
    playbook = task("policy_assignment", "{policy: '%s', group: '%s', location: all}" % (ALLOW, SQL.replace("\\", "\\\\")))
    _first, _second, events = run_idempotent(runner, playbook, clean_emulator)
    group_id = api.group_id(SQL)
    allow_id = api.policy_id("lu", ALLOW)
    locations = api.ok("GET", "groups/%s/locations" % group_id)
    assert locations and len(events) == len(locations)
    for location in locations:
        location_id = location.rsplit("/", 1)[-1] if isinstance(location, str) else location["id"]
        assert api.ok("GET", "groups/%s/locations/%s/policies/lu" % (group_id, location_id)) == allow_id


def test_policy_assignment_check_mode_and_diff(api, runner, clean_emulator):
    seq = last_seq(clean_emulator)
    group_id = api.group_id(SQL)
    before = api.call("GET", "groups/%s/locations/default/policies/lu" % group_id)
    run = runner.run(task("policy_assignment", "{policy: '%s', group: '%s'}" % (ALLOW, SQL.replace("\\", "\\\\"))),
                     "--check", "--diff")
    assert run.returncode == 0, run.output
    result = run.result("step")
    assert result["changed"] is True
    assert list(result["diff"]["after"].values()) == [ALLOW]
    assert ALLOW in run.stdout
    assert changes_since(clean_emulator, seq) == []
    assert api.call("GET", "groups/%s/locations/default/policies/lu" % group_id).text == before.text


@pytest.mark.parametrize("args, words", [
    ("{policy: '%s', group: 'My Company\\\\Nowhere'}" % ALLOW, ["My Company\\Nowhere", "does not exist"]),
    ("{policy: 'No Such Policy', group: 'My Company'}", ["No Such Policy"]),
    ("{policy: 'Client Upgrade policy', group: 'My Company'}", ["upgrade", "cannot be assigned"]),
    ("{policy: '%s', group: 'My Company', location: Moon}" % ALLOW, ["Moon", "no location"]),
])
def test_policy_assignment_bad_input_changes_nothing(runner, clean_emulator, args, words):
    seq = last_seq(clean_emulator)
    assert_one_line_failure(runner.run(task("policy_assignment", args)), *words)
    assert changes_since(clean_emulator, seq) == []


# -- group_restart_settings ---------------------------------------------------------------------

WINDOW = "{days: [sat], start: '22:00', duration: 4h, timezone: Europe/Berlin}"


def test_restart_settings_from_window(api, runner, clean_emulator):
    playbook = task("group_restart_settings", "{group: '%s', window: %s, force: true, notification: {countdown: 15}}"
                    % (SQL.replace("\\", "\\\\"), WINDOW))
    first, _second, _events = run_idempotent(runner, playbook, clean_emulator)
    group_id = api.group_id(SQL)
    restart = api.ok("GET", "groups/%s/locations/default/settings" % group_id)["configuration"]["general_settings"]["restart"]
    assert restart["enabled"] is True and restart["force"] is True
    assert restart["schedule"]["time"] == "00:00" and restart["schedule"]["time_window"] == 2
    assert restart["schedule"]["sunday"] is True and restart["schedule"]["saturday"] is False
    assert restart["endpoint_notification"]["countdown"] == 15
    assert any("local time" in warning for warning in first.result("step").get("warnings", []))


def test_restart_settings_check_mode_diff(api, runner, clean_emulator):
    seq = last_seq(clean_emulator)
    run = runner.run(task("group_restart_settings", "{group: '%s', window: %s}" % (SQL.replace("\\", "\\\\"), WINDOW)),
                     "--check", "--diff")
    assert run.returncode == 0, run.output
    result = run.result("step")
    assert result["changed"] is True
    assert result["diff"]["before"] != result["diff"]["after"]
    assert changes_since(clean_emulator, seq) == []


@pytest.mark.parametrize("window, words", [
    ("{days: [sat], start: '22:00', duration: 0m, timezone: Europe/Berlin}", ["duration"]),
    ("{days: [sat], start: '25:00', duration: 4h, timezone: Europe/Berlin}", ["start"]),
    ("{days: [sat], start: '22:00', duration: 4h, timezone: Mars/Base}", ["timezone", "Mars/Base"]),
    ("{days: [caturday], start: '22:00', duration: 4h, timezone: UTC}", ["days"]),
])
def test_restart_settings_malformed_window(runner, clean_emulator, window, words):
    seq = last_seq(clean_emulator)
    run = runner.run(task("group_restart_settings", "{group: 'My Company', window: %s}" % window))
    assert_one_line_failure(run, *words)
    assert changes_since(clean_emulator, seq) == []


# -- computer_move -------------------------------------------------------------------------------


def test_computer_move_in_bulk(api, runner, clean_emulator):
    fleet = api.ok("GET", "computers", params={"pageSize": 1000})["content"]
    names = sorted(c["computerName"] for c in fleet if c["group"]["name"] == "My Company\\Workstations\\HR")[:12]
    assert len(names) == 12
    playbook = task("computer_move", "{group: 'My Company\\\\Default Group', computers: %s}" % names)
    clean_emulator.reset_requests()
    first, _second, events = run_idempotent(runner, playbook, clean_emulator)
    assert sorted(first.result("step")["moved"]) == names
    assert sorted(e["computer"] for e in events if e["kind"] == "move") == names
    for name in names[:3]:
        assert api.computer(name)["group"]["name"] == "My Company\\Default Group"


def test_computer_move_check_mode_and_unknown_computer(api, runner, clean_emulator):
    seq = last_seq(clean_emulator)
    run = runner.run(task("computer_move", "{group: 'My Company\\\\Default Group', computers: [SQL-01-N1]}"), "--check", "--diff")
    assert run.returncode == 0, run.output
    assert run.result("step")["diff"]["after"] == {"SQL-01-N1": "My Company\\Default Group"}
    assert changes_since(clean_emulator, seq) == []
    run = runner.run(task("computer_move", "{group: 'My Company\\\\Default Group', computers: [SQL-01-N1, NO-SUCH-PC]}"))
    assert_one_line_failure(run, "NO-SUCH-PC", "not found")
    assert changes_since(clean_emulator, seq) == []
    assert api.computer("SQL-01-N1")["group"]["name"] == SQL


# -- command / command_info ------------------------------------------------------------------------


def test_updatecontent_waits_for_every_computer(runner, clean_emulator):
    playbook = task("command", "{command: updatecontent, computers: [SQL-01-N1, SQL-03-N1], wait: true, poll_interval: 1, wait_timeout: 120}")
    run = runner.run(playbook)
    assert run.returncode == 0, run.output
    result = run.result("step")
    assert result["changed"] is True
    assert result["counts"]["done"] is True
    assert {row["computer"] for row in result["computers"]} == {"SQL-01-N1", "SQL-03-N1"}
    assert {row["state"] for row in result["computers"]} == {"COMPLETED"}
    assert len(result["command_ids"]["computers"]) == 1
    info = runner.run(task("command_info", "{command_id: %s}" % json.dumps(result["command_ids"]["computers"])))
    assert info.result("step")["counts"]["by_state"] == {"COMPLETED": 2}
    # A comma-separated string names the same ids (Ansible's list type splits it).
    info = runner.run(task("command_info", "{command_id: '%s'}" % ",".join(result["command_ids"]["computers"] * 2)))
    assert info.result("step")["counts"]["by_state"] == {"COMPLETED": 2}


def test_restart_only_when_required_is_idempotent(runner, clean_emulator):
    seq = last_seq(clean_emulator)
    run = runner.run(task("command", "{command: restart, computers: [SQL-01-N1], only_reboot_required: true}"))
    assert run.returncode == 0, run.output
    assert run.result("step")["changed"] is False
    assert run.result("step")["targets"] == []
    assert changes_since(clean_emulator, seq) == []


def test_restart_check_mode_sends_nothing(runner, clean_emulator):
    seq = last_seq(clean_emulator)
    run = runner.run(task("command", "{command: restart, computers: [SQL-01-N1]}"), "--check")
    assert run.returncode == 0, run.output
    assert run.result("step")["changed"] is True
    assert changes_since(clean_emulator, seq) == []


def test_linux_refuses_restart_by_name(runner, api, clean_emulator):
    fleet = api.ok("GET", "computers", params={"pageSize": 1000})["content"]
    linux = next(c["computerName"] for c in fleet if "Linux" in (c["osName"] or "") and c["onlineStatus"] == 1)
    run = runner.run(task("command", "{command: restart, computers: [%s], wait: true, poll_interval: 1, wait_timeout: 120}" % linux))
    assert run.returncode == 0, run.output
    row = run.result("step")["computers"][0]
    assert row["sub_state_id"] == 5 and row["final"] is True
    assert "not allowed" in row["sub_state"].lower()


def test_command_unknown_computer_fails(runner, clean_emulator):
    seq = last_seq(clean_emulator)
    assert_one_line_failure(runner.run(task("command", "{command: updatecontent, computers: [NO-SUCH-PC]}")), "NO-SUCH-PC")
    assert changes_since(clean_emulator, seq) == []


# -- login, policy_info, patch_info, group_info -------------------------------------------------------


def test_login_token_is_reused_and_never_printed(runner, clean_emulator):
    playbook = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: login
      endpoint_ops.sepm.login:
      register: session
    - name: step
      endpoint_ops.sepm.computer_info:
        sepm_token: "{{ session.token }}"
        sepm_password: ""
        summary_only: true
    - name: keep the token where the test can compare, without printing it
      ansible.builtin.copy:
        content: "{{ session.token }}"
        dest: "{{ token_file }}"
        mode: "0600"
      no_log: true
"""
    seq = last_seq(clean_emulator)
    token_file = runner.workdir / "token"
    run = runner.run(playbook, "-vvvv", extra_vars={"token_file": str(token_file)})
    assert run.returncode == 0, run.output
    assert run.result("step")["counts"]["total"] > 0
    logins = [e for e in clean_emulator.events(since=seq)["events"] if e["kind"] == "login"]
    assert len(logins) == 1
    assert "token" not in run.result("login")
    token = token_file.read_text()
    assert len(token) > 16 and token not in run.output


def test_policy_info_reads_patch_switch_and_assignments(runner, clean_emulator):
    run = runner.run(task("policy_info", "{type: lu}"))
    assert run.returncode == 0, run.output
    policies = {p["name"]: p for p in run.result("step")["policies"]}
    assert policies[ALLOW]["allow_patch_by_lu"]["windows"] is True
    assert policies[DENY]["allow_patch_by_lu"]["windows"] is False
    default = policies["LiveUpdate Settings policy"]
    assert {"group": "My Company", "location": "Default"}.items() <= default["assigned_to"][0].items()


def test_patch_info_reports_downloaded_patch_and_versions(runner, clean_emulator):
    state = clean_emulator.state()
    run = runner.run(task("patch_info", "{}"))
    assert run.returncode == 0, run.output
    result = run.result("step")
    assert result["newest_patch"] == state["patch_version"]
    assert result["downloading_client_patches"] is True
    assert sum(result["clients_by_version"].values()) == state["fleet_size"]
    clean_emulator.control("POST", "console/download_patch", {"version": "14.3.10148.9200"})
    again = runner.run(task("patch_info", "{}")).result("step")
    assert again["newest_patch"] == "14.3.10148.9200"


def test_an_acknowledged_patch_notice_still_counts(runner, api):
    events = api.ok("GET", "events/critical")["criticalEventsInfoList"]
    for event in events:
        if event["subject"] == "New software package available":
            api.ok("POST", "events/acknowledge/%s" % event["eventId"])
    assert not [event for event in api.ok("GET", "events/critical")["criticalEventsInfoList"]
                if event["subject"] == "New software package available"], "the SEPM hides acknowledged notices by default"
    result = runner.run(task("patch_info", "{}")).result("step")
    assert result["newest_patch"] == api.emulator.state()["patch_version"], "a notice someone acknowledged is still a download"


def test_group_info_tree_with_policies(runner, clean_emulator):
    run = runner.run(task("group_info", "{mode: tree}"))
    assert run.returncode == 0, run.output
    result = run.result("step")
    paths = [g["path"] for g in result["groups"]]
    assert "My Company" in paths and SQL in paths
    root = next(g for g in result["groups"] if g["path"] == "My Company")
    default = next(loc for loc in root["locations"] if loc["default"])
    assert default["policies"]["lu"]["name"] == "LiveUpdate Settings policy"
    servers = result["tree"]["My Company"]["children"]
    assert any(node["path"] == "My Company\\Servers" for node in servers)
