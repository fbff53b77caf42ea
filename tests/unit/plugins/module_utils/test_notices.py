# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The patch_notices source's pure parts: its options, which notices are new, and its state file."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import stat

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import notices
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.connection import CONNECTION_OPTIONS, resolve_connection
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError

SEPM = "sepm01.example.test:8446"
PACKAGE = "New software package available"
SOURCE_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "extensions", "eda", "plugins",
                           "event_source", "patch_notices.py")


def package_notice(event_id, when="2026-11-20 08:00:00.0", product="Symantec Endpoint Protection 14.3 RU9 client patch "
                   "14.3.10148.9200", acknowledged=0):
    return {"acknowledged": acknowledged, "eventDateTime": when, "eventId": event_id, "subject": PACKAGE,
            "message": "Date: x\tServer: s\nDownload: Successfully downloaded the %s package from LiveUpdate. "
                       "This package is now available for deployment." % product}


def other_notice(event_id):
    return {"acknowledged": 0, "eventDateTime": "2026-11-20 08:00:00.0", "eventId": event_id,
            "subject": "Server Health Alert", "message": "Server s health status: poor."}


def reply(*listed):
    return {"criticalEventsInfoList": list(listed), "lastUpdated": 0, "totalUnacknowledgedMessages": len(listed)}


def ids(fresh):
    return [notice["eventId"] for _package, notice in fresh]


# ----- which notices are new ----------------------------------------------------------------------
def test_first_start_records_what_is_listed_without_events():
    fresh, state = notices.new_notices(reply(package_notice("A"), other_notice("H")), None, SEPM)
    assert fresh == []
    assert set(state["seen"]) == {"A"} and state["sepm"] == SEPM


def test_first_start_with_emit_existing_emits_them_oldest_first():
    listed = reply(package_notice("B", "2026-11-20 09:00:00.0"), package_notice("A", "2026-11-20 08:00:00.5"))
    fresh, _state = notices.new_notices(listed, None, SEPM, emit_existing=True)
    assert ids(fresh) == ["A", "B"]


def test_a_new_notice_is_emitted_once_and_other_subjects_never():
    _fresh, state = notices.new_notices(reply(package_notice("A")), None, SEPM)
    listed = reply(package_notice("A"), other_notice("H"), package_notice("B"))
    fresh, state = notices.new_notices(listed, state, SEPM)
    assert ids(fresh) == ["B"]
    package, notice = fresh[0]
    assert package["version"] == "14.3.10148.9200" and package["is_patch"] and package["platform"] == "windows"
    assert package["event_id"] == "B" and notice["subject"] == PACKAGE
    again, _state = notices.new_notices(listed, state, SEPM)
    assert again == []


def test_a_notice_listed_twice_in_one_reply_is_one_event():
    _fresh, state = notices.new_notices(reply(), None, SEPM)
    fresh, _state = notices.new_notices(reply(package_notice("A"), package_notice("A")), state, SEPM)
    assert ids(fresh) == ["A"]


def test_acknowledging_a_seen_notice_does_not_emit_it_again():
    _fresh, state = notices.new_notices(reply(package_notice("A")), None, SEPM)
    fresh, _state = notices.new_notices(reply(package_notice("A", acknowledged=1)), state, SEPM)
    assert fresh == []


def test_a_notice_that_left_the_list_and_came_back_is_not_new():
    _fresh, state = notices.new_notices(reply(package_notice("A")), None, SEPM)
    _fresh, state = notices.new_notices(reply(), state, SEPM)
    fresh, _state = notices.new_notices(reply(package_notice("A")), state, SEPM)
    assert fresh == []


def test_the_state_stays_bounded_and_what_it_dropped_stays_old(monkeypatch):
    monkeypatch.setattr(notices, "MAX_SEEN", 3)
    listed = [package_notice(str(n), "2026-11-2%d 08:00:00.0" % n) for n in range(5)]
    _fresh, state = notices.new_notices(reply(*listed), None, SEPM)
    assert sorted(state["seen"]) == ["2", "3", "4"] and state["horizon"].startswith("2026-11-21 08:00:00")
    fresh, _state = notices.new_notices(reply(*listed + [package_notice("5", "2026-11-27 08:00:00.0")]), state, SEPM)
    assert ids(fresh) == ["5"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from("ABCDEFGH"), max_size=6), min_size=1, max_size=6))
def test_every_package_notice_is_emitted_at_most_once_over_any_sequence_of_polls(polls):
    """Whatever the SEPM lists poll after poll (notices come, go and come back), no id is emitted twice,
    and every id listed after the first poll is emitted."""
    _fresh, state = notices.new_notices(reply(), None, SEPM)
    emitted = []
    for listed in polls:
        fresh, state = notices.new_notices(reply(*[package_notice(i) for i in listed]), state, SEPM)
        emitted += ids(fresh)
    assert len(emitted) == len(set(emitted))
    assert set(emitted) == {i for listed in polls for i in listed}


def test_arrival_keys_sort_in_time_order():
    times = ["2024-06-26 14:03:03.0", "2024-06-26 14:03:03.25", "2024-06-26 14:03:03.5", "2024-06-26 14:03:04.0"]
    assert [notices.arrival_key({"eventDateTime": t}) for t in times] == sorted(
        notices.arrival_key({"eventDateTime": t}) for t in times)
    assert notices.arrival_key({"eventDateTime": "yesterday"}) == ""


def test_the_event_carries_the_package_the_notice_and_the_sepm_but_no_secret():
    options = {"sepm_host": "sepm01", "sepm_port": 8446, "sepm_password": "s3cret-pw", "sepm_token": "tok-123"}
    _fresh, state = notices.new_notices(reply(), None, SEPM)
    fresh, _state = notices.new_notices(reply(package_notice("A")), state, SEPM)
    event = notices.event_of(*fresh[0], options)
    assert set(event) == {"package", "notice", "sepm"}
    assert set(event["package"]) == {"product", "platform", "version", "release", "is_patch", "arrived", "event_id"}
    assert event["sepm"] == {"host": "sepm01", "port": 8446}
    assert "s3cret-pw" not in json.dumps(event) and "tok-123" not in json.dumps(event)


# ----- options ------------------------------------------------------------------------------------
ENV = {"SEPM_HOST": "SEPM01.example.test", "SEPM_USERNAME": "admin", "SEPM_PASSWORD": "pw", "HOME": "/home/eda"}


def test_options_come_from_the_sepm_variables_with_the_modules_defaults():
    options = notices.source_options({}, ENV)
    assert options["sepm_host"] == "SEPM01.example.test" and options["sepm_port"] == 8446
    assert options["validate_certs"] is True and options["timeout"] == 30 and options["sepm_domain"] == ""
    assert options["interval"] == 300 and options["emit_existing"] is False and options["include_acknowledged"] is True
    assert options["state_file"] == os.path.join(os.path.expanduser("~"), ".local", "state", "endpoint_ops.sepm",
                                                 "patch_notices-sepm01.example.test-8446.json")
    assert notices.sepm_name(options) == "sepm01.example.test:8446"


def test_arguments_win_over_the_variables_and_strings_are_converted():
    env = dict(ENV, SEPM_PORT="9443", SEPM_VALIDATE_CERTS="no", XDG_STATE_HOME="/var/lib/eda")
    options = notices.source_options({"sepm_host": "other", "interval": "60", "emit_existing": "yes"}, env)
    assert options["sepm_host"] == "other" and options["sepm_port"] == 9443 and options["validate_certs"] is False
    assert options["interval"] == 60 and options["emit_existing"] is True
    assert options["state_file"] == "/var/lib/eda/endpoint_ops.sepm/patch_notices-other-9443.json"


def test_ansible_rulebooks_own_argument_is_not_an_unknown_option():
    assert notices.source_options({"eda_feedback_queue": object()}, ENV)["sepm_host"]


@pytest.mark.parametrize("args, env, words", [
    ({"intervall": 5}, ENV, "unknown option intervall"),
    ({"interval": 0}, ENV, "interval must be a whole number from 1 to 86400 seconds, got 0"),
    ({"interval": "5m"}, ENV, "interval must be a whole number, got '5m'"),
    ({"interval": 2.5}, ENV, "interval must be a whole number"),
    ({"emit_existing": "maybe"}, ENV, "emit_existing must be true or false"),
    ({}, {"SEPM_USERNAME": "admin"}, "sepm_host is required: set it in the source's arguments or SEPM_HOST"),
    ({}, dict(ENV, SEPM_PORT="eighty"), "sepm_port must be a whole number (from SEPM_PORT), got 'eighty'"),
    ({"state_file": ["a"]}, ENV, "state_file must be a string"),
])
def test_bad_options_fail_in_one_line_naming_them(args, env, words):
    with pytest.raises(SepmInputError) as raised:
        notices.source_options(args, env)
    assert words in str(raised.value) and "\n" not in str(raised.value)


def test_an_empty_variable_counts_as_unset():
    assert resolve_connection({}, dict(ENV, SEPM_CA_PATH="", SEPM_PORT=""))["sepm_port"] == 8446


# ----- the state file -----------------------------------------------------------------------------
def test_state_round_trips_atomically_and_privately(tmp_path):
    path = str(tmp_path / "deep" / "state.json")
    notices.check_state_file(path)
    assert notices.read_state(path, SEPM) is None
    _fresh, state = notices.new_notices(reply(package_notice("A")), None, SEPM)
    notices.write_state(path, state)
    assert notices.read_state(path, SEPM) == state
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(tmp_path / "deep") == ["state.json"]


def test_a_failed_write_keeps_the_old_state(tmp_path, monkeypatch):
    path = str(tmp_path / "state.json")
    _fresh, old = notices.new_notices(reply(package_notice("A")), None, SEPM)
    notices.write_state(path, old)

    def broken_dump(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(notices.json, "dump", broken_dump)
    with pytest.raises(SepmInputError, match="state.json cannot be written [(]No space left on device[)]"):
        notices.write_state(path, dict(old, seen={}))
    monkeypatch.undo()
    assert notices.read_state(path, SEPM) == old
    assert os.listdir(tmp_path) == ["state.json"]


@pytest.mark.parametrize("content, words", [
    ("{not json", "is not JSON"),
    ('{"version": 99, "seen": {}}', "is not a state file of endpoint_ops.sepm.patch_notices"),
    ('{"version": 1, "sepm": "other:8446", "seen": {}}', "holds the notices of the SEPM other:8446, not of " + SEPM),
])
def test_a_foreign_or_broken_state_file_is_refused_in_one_line(tmp_path, content, words):
    path = tmp_path / "state.json"
    path.write_text(content)
    with pytest.raises(SepmInputError) as raised:
        notices.read_state(str(path), SEPM)
    assert words in str(raised.value) and "remove it to start afresh" in str(raised.value)


def test_a_state_folder_that_cannot_be_written_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(notices.os, "access", lambda _path, _mode: False)  # root may write anywhere
    with pytest.raises(SepmInputError, match="cannot be written: no write permission on " + str(tmp_path)):
        notices.check_state_file(str(tmp_path / "state.json"))


# ----- the source file ----------------------------------------------------------------------------
def load_source():
    # Not runpy.run_path as ansible-rulebook does: ansible-test's collection loader claims the path.
    spec = importlib.util.spec_from_file_location("patch_notices_source", SOURCE_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


def test_the_source_refuses_bad_options_before_any_sepm_call(monkeypatch):
    source = load_source()
    assert asyncio.iscoroutinefunction(source["main"])
    assert "DOCUMENTATION" in source and "EXAMPLES" in source
    for variable in ("SEPM_HOST", "SEPM_PORT"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(SepmInputError, match="sepm_host is required"):
        asyncio.run(source["main"](asyncio.Queue(), {"interval": 5}))
    with pytest.raises(SepmInputError, match="interval must be a whole number from 1 to 86400"):
        asyncio.run(source["main"](asyncio.Queue(), {"sepm_host": "sepm01", "interval": -1}))


def test_the_documented_options_are_the_ones_it_takes_with_their_defaults():
    documented = yaml.safe_load(load_source()["DOCUMENTATION"])["options"]
    taken = dict(CONNECTION_OPTIONS, **notices.SOURCE_OPTIONS)
    assert sorted(documented) == sorted(taken)
    for name, spec in taken.items():
        assert documented[name]["type"] == spec["type"], name
        assert documented[name].get("default") == spec.get("default"), name
        assert documented[name].get("required", False) == spec.get("required", False), name
