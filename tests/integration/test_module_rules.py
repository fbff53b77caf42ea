# -*- coding: utf-8 -*-
"""What a user notices of issue 9, module by module, against the emulator (modules run in-process).

Bad input fails in one line before the first write; a bug fails with its traceback; one
computer named twice is one target; a second run of a state-changing module changes nothing.
"""

from __future__ import annotations

import json

import pytest

from tests.integration.inprocess import connection_args, run_module, write_calls

# Modules run in the pytest process and share its globals (warnings, traceback settings), which
# an xdist worker process changes: scripts/test.sh runs these tests in a plain pytest run.
pytestmark = pytest.mark.in_process

SQL = "My Company\\Servers\\SQL"
ALLOW = "LiveUpdate - Client Patches Allowed"
WINDOW = {"days": ["sat"], "start": "22:00", "duration": "4h", "timezone": "Europe/Berlin"}


@pytest.fixture(name="call")
def call_fixture(clean_emulator):
    """``call(module, **options)``: the module's result, with the emulator's connection filled in."""
    clean_emulator.reset_requests()

    def call(module, check_mode=False, **options):
        return run_module(module, dict(connection_args(clean_emulator), **options), check_mode=check_mode)
    return call


def events(emulator, kind, since=0):
    return [event for event in emulator.events(since=since)["events"] if event["kind"] == kind]


def assert_one_line(result, *words):
    assert result.get("failed") is True, result
    assert "\n" not in result["msg"], result["msg"]
    assert "exception" not in result, result
    for word in words:
        assert word in result["msg"], result["msg"]


# -- nothing written before input is validated -------------------------------------------


@pytest.mark.parametrize("option, value", [("poll_interval", 0), ("poll_interval", -3), ("wait_timeout", 0),
                                           ("wait_timeout", -1), ("wait_timeout", 1e13)])
def test_command_with_a_bad_wait_option_queues_nothing(call, clean_emulator, option, value):
    result = call("command", command="updatecontent", computers=["SQL-01-N1"], wait=True, **{option: value})
    assert_one_line(result, option)
    assert "command_ids" not in result
    assert events(clean_emulator, "command") == []


def test_the_root_group_cannot_be_deleted(call, clean_emulator):
    assert_one_line(call("group", path="My Company", state="absent"), "root group", "cannot be deleted")
    assert write_calls(clean_emulator) == {}


def test_an_overlong_group_name_never_reaches_the_sepm(call, clean_emulator):
    assert_one_line(call("group", path="My Company\\" + "x" * 257), "at most 256")
    assert write_calls(clean_emulator) == {}


def test_a_parentless_path_with_create_parents_is_one_line_not_a_crash(call, clean_emulator):
    assert_one_line(call("group", path="Nowhere\\Lab", create_parents=True), "root group 'Nowhere' does not exist")
    assert write_calls(clean_emulator) == {}


def test_computer_info_with_an_empty_group_is_an_error_not_the_whole_fleet(call):
    assert_one_line(call("computer_info", group=""), "group")


def test_a_command_id_cannot_reach_another_endpoint(call, clean_emulator):
    assert_one_line(call("command_info", command_id="../version"), "command_id", "32 hexadecimal")
    assert "GET version" not in clean_emulator.requests_count()["by_endpoint"]


@pytest.mark.parametrize("option, value", [("sepm_port", 0), ("timeout", 0), ("timeout", -1), ("timeout", 1e13)])
def test_zero_port_and_timeout_are_errors_not_defaults(call, option, value):
    assert_one_line(call("version_info", **{option: value}), option)


@pytest.mark.parametrize("module, options", [
    ("command", {"command": "updatecontent", "computers": ["SQL-01-N1"], "skip_version": "abc"}),
    ("command", {"command": "updatecontent", "computers": ["SQL-01-N1"], "skip_version": ""}),
    ("computer_info", {"version_below": "abc"}),
    ("computer_info", {"version_below": ""}),
])
def test_a_version_that_is_not_a_sep_version_is_an_error(call, clean_emulator, module, options):
    option = "skip_version" if "skip_version" in options else "version_below"
    assert_one_line(call(module, **options), option, "SEP version")
    assert events(clean_emulator, "command") == []


def test_a_missing_ca_path_is_named_not_an_oserror(call, tmp_path):
    assert_one_line(call("version_info", ca_path=str(tmp_path / "nothing.pem")), "ca_path", "no file")


# -- no traceback, ever, but a bug keeps its traceback -----------------------------------


def test_a_bug_fails_with_its_traceback_and_says_it_is_a_bug(call, monkeypatch):
    from ansible_collections.endpoint_ops.sepm.plugins.modules import group_info  # pylint: disable=import-outside-toplevel
    from ansible_collections.endpoint_ops.sepm.plugins.module_utils import module as sepm_module  # pylint: disable=import-outside-toplevel

    def broken(_record):
        raise KeyError("fullPathName")
    monkeypatch.setattr(group_info, "group_facts", broken)
    # What the module hands to fail_json: ansible-core decides later whether a traceback is shown
    # (ANSIBLE_DISPLAY_TRACEBACK), so the failure it builds is what this collection answers for.
    handed = {}
    real_fail_json = sepm_module.SepmModule.fail_json

    def record(self, **kwargs):
        handed.update(kwargs)
        real_fail_json(self, **kwargs)
    monkeypatch.setattr(sepm_module.SepmModule, "fail_json", record)
    result = call("group_info", path=SQL, include_policies=False)
    assert result["failed"] is True
    assert "bug" in result["msg"] and "KeyError" in result["msg"]
    assert "Traceback" in handed["exception"] and "broken" in handed["exception"]


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # what the test asks for
def test_validate_certs_false_warns_once(call):
    result = call("version_info", validate_certs=False)
    assert result.get("failed") is not True, result
    warnings = json.dumps(result.get("warnings", []))
    assert warnings.count("validate_certs is false") == 1, warnings
    assert "ca_path" in warnings


# -- duplicates ---------------------------------------------------------------------------


def test_one_computer_named_twice_in_two_cases_gets_one_command(call, clean_emulator):
    result = call("command", command="updatecontent", computers=["SQL-01-N1", "sql-01-n1"])
    assert result.get("failed") is not True, result
    assert result["targets"] == ["SQL-01-N1"]
    sent = events(clean_emulator, "command")
    assert [event["computers"] for event in sent] == [["SQL-01-N1"]]


def test_a_computer_and_its_own_group_get_one_command(api, call, clean_emulator):
    group = api.computer("SQL-01-N1")["group"]["name"]
    result = call("command", command="updatecontent", computers=["SQL-01-N1"], groups=[group])
    assert result.get("failed") is not True, result
    sent_to = [name for event in events(clean_emulator, "command") for name in event["computers"]]
    assert sent_to.count("SQL-01-N1") == 1
    assert list(result["command_ids"]) == ["groups"]


# -- idempotence: a second run changes nothing -------------------------------------------


def run_twice(call, clean_emulator, module, **options):
    first = call(module, **options)
    assert first.get("failed") is not True, first
    assert first["changed"] is True, first
    before = write_calls(clean_emulator)
    second = call(module, **options)
    assert second.get("failed") is not True, second
    assert second["changed"] is False, second
    assert write_calls(clean_emulator) == before
    return first, second


def test_group_description_cannot_be_cleared_through_the_api(api, call, clean_emulator):
    """The reference's GroupPayload takes 1 to 1024 characters: clearing is a console step, said before any write."""
    call("group", path="My Company\\Lab", description="temporary lab")
    before = write_calls(clean_emulator)
    assert_one_line(call("group", path="My Company\\Lab", description="", inherits=False),
                    "cannot clear the description", "SEPM console")
    assert write_calls(clean_emulator) == before
    assert api.ok("GET", "groups", params={"fullPathName": "My Company\\Lab"})["content"][0]["description"] == "temporary lab"


@pytest.mark.parametrize("module, options", [
    ("group", {"path": "My Company\\Lab\\Canary", "create_parents": True, "description": "canary", "inherits": False}),
    ("policy_assignment", {"policy": ALLOW, "group": "My Company/Servers/SQL", "location": "all"}),
    ("group_restart_settings", {"group": SQL, "location": "all", "window": WINDOW, "notification": {"countdown": 15}}),
    ("computer_move", {"group": "My Company\\Default Group", "computers": ["SQL-01-N1", "sql-01-n1"]}),
    ("patch_permission", {"allowed_groups": ["My Company/Servers/SQL"], "deny_every_other_group": True}),
])
def test_a_second_run_changes_nothing(call, clean_emulator, module, options):
    run_twice(call, clean_emulator, module, **options)


def test_group_absent_twice(call, clean_emulator):
    call("group", path="My Company\\Empty")
    run_twice(call, clean_emulator, "group", path="My Company\\Empty", state="absent")


def test_patch_permission_in_check_mode_writes_nothing(call, clean_emulator):
    result = call("patch_permission", check_mode=True, allowed_groups=[SQL], denied_groups=["My Company\\Workstations"])
    assert result["changed"] is True and result["assigned"], result
    assert write_calls(clean_emulator) == {}


def test_a_restart_only_when_required_run_twice_restarts_once(call, clean_emulator):
    """A command is an action: narrowed with only_reboot_required, the second run has no target left."""
    clean_emulator.control("PATCH", "computers", {"names": ["SQL-01-N1"], "reboot_required": True})
    options = {"command": "restart", "computers": ["SQL-01-N1"], "only_reboot_required": True,
               "wait": True, "poll_interval": 1, "wait_timeout": 120}
    first = call("command", **options)
    assert first.get("failed") is not True, first
    assert first["changed"] is True and first["targets"] == ["SQL-01-N1"]
    assert first["counts"]["by_state"] == {"COMPLETED": 1}
    second = call("command", **options)
    assert second["changed"] is False and second["targets"] == [], second
    assert len(events(clean_emulator, "command")) == 1
