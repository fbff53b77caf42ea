# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests of the health checks after the patch, each alone, their settle rule and their options."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import health
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import normalize_computer
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.health import (
    CHECKS, DEFAULT_CHECKS, Timing, check_settle, heartbeat_seconds, judge, select_checks, settle_seconds, verdict)

PROPERTY = settings(database=None, max_examples=300, deadline=None)
RESTARTED = 1_800_000_000_000
BACK = RESTARTED + 200_000
HEARTBEAT_MS = 300_000
TIMING = Timing(RESTARTED, BACK)
SWITCH_FIELDS = [field for field, _label in health.SWITCHES]


def record(**fields):
    """A normalized computer as the SEPM shows a healthy, patched one a heartbeat after it came back."""
    data = {"name": "WS-FIN-0001", "online": True, "last_update_time": BACK + HEARTBEAT_MS, "reboot_required": False,
            "reboot_reason": "", "ap_on_off": 1, "av_engine_on_off": 1, "firewall_on_off": 1, "tamper_on_off": 1,
            "infected": False, "worst_infection_idx": "9999", "av_defset_version": "240820021"}
    data.update(fields)
    return data


def failed(before, after, checks=DEFAULT_CHECKS, timing=TIMING):
    return dict(judge(before, after, timing, checks))


# -- each check alone ---------------------------------------------------------------------------


def test_a_healthy_computer_passes_every_check():
    assert judge(record(), record(), TIMING) == []


@pytest.mark.parametrize("after, reason", [
    (record(online=False), "offline"),
    (record(last_update_time=RESTARTED - 1), "no check-in since its restart"),
    (record(last_update_time=BACK), "no check-in since it came back from its restart"),
])
def test_checked_in(after, reason):
    assert failed(record(), after, ["checked_in"]) == {"checked_in": reason}


def test_checked_in_without_the_moment_it_came_back_needs_only_a_check_in_after_the_restart():
    assert failed(None, record(last_update_time=BACK), ["checked_in"], Timing(RESTARTED)) == {}


def test_auto_protect_off_after_the_patch_fails_in_the_words_of_the_issue():
    failures = judge(record(), record(ap_on_off=0), TIMING)
    assert failures == [("protection", "Auto-Protect off, on before")]
    assert health.unhealthy_reason(failures) == "unhealthy after the patch: Auto-Protect off, on before"


def test_protection_names_every_switch_that_went_and_its_state():
    reason = failed(record(), record(firewall_on_off=4, tamper_on_off=127))["protection"]
    assert reason == "Firewall malfunctioning, on before; Tamper Protection not reported, on before"


def test_a_switch_already_off_or_disabled_by_policy_before_does_not_fail():
    before = record(ap_on_off=0, firewall_on_off=3, tamper_on_off=2)
    assert failed(before, record(ap_on_off=0, firewall_on_off=0, tamper_on_off=2), ["protection"]) == {}


def test_without_a_record_from_before_only_a_disabled_or_malfunctioning_switch_fails():
    assert failed(None, record(ap_on_off=3, firewall_on_off=2, tamper_on_off=127), ["protection"]) == {}
    assert failed(None, record(ap_on_off=0, firewall_on_off=4), ["protection"]) == {
        "protection": "Auto-Protect off; Firewall malfunctioning"}


def test_not_infected():
    assert failed(record(), record(infected=True, worst_infection_idx="0"), ["not_infected"]) == {
        "not_infected": "infected (worst detection: viral), not before"}
    # Infected before and no worse: not new.
    before = record(infected=True, worst_infection_idx="10")
    assert failed(before, record(infected=True, worst_infection_idx="10"), ["not_infected"]) == {}
    assert failed(before, record(infected=True, worst_infection_idx="0"), ["not_infected"]) == {
        "not_infected": "infected (worst detection: viral), worse than the adware before"}
    # A detection the client cleaned (not infected now) is no infection.
    assert failed(record(), record(worst_infection_idx="15"), ["not_infected"]) == {}
    assert failed(None, record(infected=True, worst_infection_idx="9999"), ["not_infected"]) == {"not_infected": "infected"}


def test_definitions():
    assert failed(record(), record(av_defset_version="240819021"), ["definitions"]) == {
        "definitions": "virus definitions 240819021, older than the 240820021 before"}
    assert failed(record(), record(av_defset_version="240821001"), ["definitions"]) == {}
    assert failed(record(av_defset_version=None), record(av_defset_version="1"), ["definitions"]) == {}
    assert failed(None, record(av_defset_version="1"), ["definitions"]) == {}


def test_no_restart_pending():
    assert failed(record(), record(reboot_required=True, reboot_reason="LiveUpdate client patch pending"),
                  ["no_restart_pending"]) == {"no_restart_pending": "a restart still pending (LiveUpdate client patch pending)"}


def test_the_checks_read_a_real_sepm_record():
    """The real capture (tests/unit/fixtures) has Auto-Protect disabled by policy (3) and is infected."""
    import json  # pylint: disable=import-outside-toplevel
    import os  # pylint: disable=import-outside-toplevel
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "computer_record.json"), encoding="utf-8") as handle:
        real = normalize_computer(json.load(handle))
    timing = Timing(real["last_update_time"] - 1)
    assert judge(real, real, timing) == []
    assert failed(real, dict(real, ap_on_off=1, firewall_on_off=0), ["protection"]) == {"protection": "Firewall off, on before"}


# -- choosing checks ----------------------------------------------------------------------------


def test_select_checks():
    assert select_checks() == DEFAULT_CHECKS == CHECKS
    assert select_checks(["protection", "checked_in"]) == ("checked_in", "protection")
    assert select_checks("protection, definitions") == ("protection", "definitions")
    assert select_checks([]) == ()


@pytest.mark.parametrize("names", [["protection", "antivirus"], [1], {"protection": True}, 5])
def test_an_unknown_check_is_one_line(names):
    with pytest.raises(ValueError) as raised:
        select_checks(names, "rollout_health_checks")
    assert str(raised.value).startswith("rollout_health_checks") and "\n" not in str(raised.value)


# -- the settle rule ----------------------------------------------------------------------------


def test_a_computer_waits_then_passes_once_it_checked_in_again():
    first = record(last_update_time=BACK)
    waiting = verdict(record(), first, TIMING, BACK + 1000, settle_s=600)
    assert waiting.state == "waiting" and waiting.failed == ("checked_in",) and waiting.deadline_ms == BACK + 600_000
    assert verdict(record(), record(), TIMING, BACK + HEARTBEAT_MS + 1000, settle_s=600).state == "healthy"


def test_a_computer_that_never_checks_in_again_is_unhealthy_after_the_settle():
    silent = record(last_update_time=BACK)
    judged = verdict(record(), silent, TIMING, BACK + 600_000, settle_s=600)
    assert judged.state == "unhealthy"
    assert judged.reason == "unhealthy after the patch: no check-in since it came back from its restart"


def test_a_switch_that_starts_late_is_not_failed_early():
    late = record(ap_on_off=127)
    assert verdict(record(), late, TIMING, BACK + 300_000, settle_s=600).state == "waiting"
    assert verdict(record(), record(), TIMING, BACK + 400_000, settle_s=600).state == "healthy"


def test_settle_options():
    assert check_settle(None) == {"heartbeats": 2}
    assert check_settle(3) == {"heartbeats": 3} == check_settle("3 heartbeats") == check_settle("3")
    assert check_settle("10m") == {"seconds": 600}
    assert settle_seconds(check_settle(None), 60) == 120
    assert settle_seconds(check_settle("10m"), 60) == 600
    assert settle_seconds({"heartbeats": 2}, None) == 600


@pytest.mark.parametrize("value", [0, 21, -1, True, "soon", "3 beats", "8d", [2]])
def test_a_bad_settle_is_one_line(value):
    with pytest.raises(ValueError) as raised:
        check_settle(value, "rollout_health_settle")
    assert str(raised.value).startswith("rollout_health_settle") and "\n" not in str(raised.value)


def test_heartbeat_of_a_location():
    pull = {"configuration": {"communication_settings": {"mode": "PULL", "pull_mode_heartbeat_freq_in_seconds": 120}}}
    push = {"communication_settings": {"mode": "PUSH", "pull_mode_heartbeat_freq_in_seconds": 120,
                                       "upload_op_state_heartbeat_freq_in_seconds": 60}}
    assert heartbeat_seconds(pull) == 120 and heartbeat_seconds(push) == 60
    assert heartbeat_seconds(None) == heartbeat_seconds({"communication_settings": {"mode": "PULL"}}) == 300


# -- properties ---------------------------------------------------------------------------------

SWITCH = st.sampled_from(sorted(health.SWITCH_STATES) + [None])
RECORD = st.fixed_dictionaries({
    "online": st.booleans(),
    "last_update_time": st.one_of(st.none(), st.integers(RESTARTED - 10 ** 6, BACK + 10 ** 7)),
    "reboot_required": st.booleans(),
    "reboot_reason": st.sampled_from(["", "Windows Update"]),
    "ap_on_off": SWITCH, "av_engine_on_off": SWITCH, "firewall_on_off": SWITCH, "tamper_on_off": SWITCH,
    "infected": st.booleans(),
    "worst_infection_idx": st.sampled_from(["0", "2", "10", "15", "9999", None]),
    "av_defset_version": st.sampled_from(["240819021", "240820021", "240821001", None, ""]),
})
COMPARING = ("protection", "not_infected", "definitions")


@PROPERTY
@given(RECORD)
def test_a_comparing_check_never_fails_a_computer_whose_record_did_not_change(unchanged):
    assert judge(unchanged, dict(unchanged), TIMING, COMPARING) == []


@PROPERTY
@given(RECORD, RECORD)
def test_a_switch_not_on_before_never_fails_and_every_switch_that_went_off_is_named(before, after):
    reason = dict(judge(before, after, TIMING, ["protection"])).get("protection") or ""
    for field, label in health.SWITCHES:
        went_off = before[field] == 1 and after[field] != 1
        assert (label + " ") in reason if went_off else (label + " ") not in reason


@PROPERTY
@given(RECORD, RECORD)
def test_definitions_fail_exactly_when_they_went_back(before, after):
    def number(value):
        return int(value) if value else None
    was, now = number(before["av_defset_version"]), number(after["av_defset_version"])
    went_back = was is not None and now is not None and now < was
    assert ("definitions" in dict(judge(before, after, TIMING, ["definitions"]))) == went_back


@PROPERTY
@given(RECORD, RECORD)
def test_a_computer_not_infected_after_never_fails_the_infection_check(before, after):
    assert judge(before, dict(after, infected=False), TIMING, ["not_infected"]) == []


@PROPERTY
@given(RECORD, RECORD, st.integers(0, 4 * HEARTBEAT_MS), st.integers(1, 3600),
       st.lists(st.sampled_from(CHECKS), unique=True))
def test_the_settle_rule(before, after, elapsed, settle_s, checks):
    judged = verdict(before, after, TIMING, BACK + elapsed, tuple(checks), settle_s)
    failures = judge(before, after, TIMING, tuple(checks))
    if not failures:
        assert judged.state == "healthy"
    elif elapsed < settle_s * 1000:
        assert judged.state == "waiting" and judged.deadline_ms == BACK + settle_s * 1000
    else:
        assert judged.state == "unhealthy" and judged.reason == health.unhealthy_reason(failures)
        assert set(judged.failed) == {name for name, _reason in failures}
    assert "\n" not in judged.reason
