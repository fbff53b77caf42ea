# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests of the soak: its option, who soaks, and the decision before a batch, from the SEPM's records alone."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.soak import arrival_ms, check_soak, cohort_size, decide

PROPERTY = settings(database=None, max_examples=300, deadline=None)
OLD, TARGET = "14.3.10148.9000", "14.3.10148.9100"
HOUR = 3_600_000
ARRIVED = 1_800_000_000_000
SERIAL = [1, "10%", "25%"]
SOAK = check_soak({"after": 1, "for": "2h"})
SETTLE_S = 600


def computer(name, version=OLD, deployed=None, last=None, **fields):
    """A normalized target as the SEPM shows it: patched at ``deployed`` and checking in until ``last``."""
    data = {"name": name, "agent_version": version, "last_deployment_time": deployed, "online": True,
            "last_update_time": last if last is not None else (deployed or ARRIVED) + HOUR, "ap_on_off": 1,
            "av_engine_on_off": 1, "firewall_on_off": 1, "tamper_on_off": 1, "infected": False, "worst_infection_idx": "9999"}
    data.update(fields)
    return data


def fleet(patched=()):
    """Ten targets; ``patched`` maps a name to the moment it got the target."""
    return [computer("ws%02d" % number, TARGET, patched["ws%02d" % number]) if "ws%02d" % number in patched
            else computer("ws%02d" % number, deployed=ARRIVED - 400 * 24 * HOUR) for number in range(10)]


def decision(computers, batch, now, **kwargs):
    kwargs.setdefault("since_ms", ARRIVED)
    kwargs.setdefault("settle_s", SETTLE_S)
    return decide(SOAK, computers, TARGET, SERIAL, batch, now, **kwargs)


# -- the option ---------------------------------------------------------------------------------


def test_check_soak():
    assert check_soak(None) is None and check_soak({}) is None
    assert check_soak({"after": 1, "for": "24h"}) == {"after": 1, "for_s": 86400}
    assert check_soak({"for": 90}) == {"after": 1, "for_s": 5400}


@pytest.mark.parametrize("value", [{"after": 0, "for": "1h"}, {"after": True, "for": "1h"}, {"after": 1}, {"for": "8d"},
                                   {"for": "soon"}, {"for": "1h", "during": "2h"}, "24h", [1, "24h"]])
def test_a_bad_soak_is_one_line(value):
    with pytest.raises(ValueError) as raised:
        check_soak(value, "rollout_soak")
    assert str(raised.value).startswith("rollout_soak") and "\n" not in str(raised.value)


def test_how_many_soak():
    assert cohort_size({"after": 1}, SERIAL, 100) == 1
    assert cohort_size({"after": 2}, SERIAL, 100) == 11
    assert cohort_size({"after": 5}, [1], 3) == 3


def test_arrival_of_the_target_patch():
    packages = [{"version": TARGET, "arrived": "2027-01-15 08:00:00.5"}, {"version": TARGET, "arrived": "2027-01-16 08:00:00.0"},
                {"version": "14.3.10148.9200", "arrived": "2027-01-01 00:00:00.0"}, {"version": TARGET, "arrived": None}]
    first = datetime.datetime(2027, 1, 15, 8, 0, 0, 500000, tzinfo=datetime.timezone.utc)
    assert arrival_ms(packages, TARGET) == int(first.timestamp() * 1000)
    assert arrival_ms([], TARGET) is None


# -- a rollout's runs ---------------------------------------------------------------------------


def test_the_first_run_patches_the_canary_then_soaks():
    assert decision(fleet(), 1, ARRIVED + HOUR).state == "go"
    canary = ARRIVED + HOUR
    after = decision(fleet({"ws00": canary}), 2, canary + 60_000)
    assert after.state == "soaking" and after.until_ms == canary + 2 * HOUR and after.soaked == ["ws00"]
    assert after.reason == "soaking until 2027-01-15T11:00:00+00:00"


def test_a_run_inside_the_soak_changes_nothing_and_one_after_it_goes_on():
    canary = ARRIVED + HOUR
    patched = fleet({"ws00": canary})
    assert decision(patched, 1, canary + HOUR).state == "soaking", "a new run's first batch would be a second canary"
    assert decision(patched, 1, canary + 2 * HOUR).state == "go"
    # Later runs, the rollout well under way: still the canary that soaked, nothing waits.
    wave = canary + 30 * HOUR
    assert decision(fleet({"ws00": canary, "ws01": wave, "ws02": wave}), 1, wave + 60_000).state == "go"


def test_a_canary_that_turned_unhealthy_during_the_soak_stops_it():
    canary = ARRIVED + HOUR
    patched = fleet({"ws00": canary})
    patched[0]["ap_on_off"] = 0
    stopped = decision(patched, 2, canary + HOUR)
    assert stopped.state == "stop"
    assert stopped.reason == "soaked computer ws00 is unhealthy after the patch: Auto-Protect off"
    patched[0].update(ap_on_off=1, infected=True, worst_infection_idx="0")
    assert decision(patched, 1, canary + 3 * HOUR).reason == \
        "soaked computer ws00 is unhealthy after the patch: infected (worst detection: viral)"


def test_a_canary_that_stopped_checking_in_stops_it_once_the_settle_time_passed():
    canary = ARRIVED + HOUR
    patched = fleet({"ws00": canary})
    patched[0].update(last_update_time=canary, online=False)
    assert decision(patched, 2, canary + 5 * 60_000).state == "soaking", "too early to tell"
    stopped = decision(patched, 2, canary + 11 * 60_000)
    assert stopped.state == "stop" and "ws00 stopped checking in after its patch" in stopped.reason


def test_a_canary_offline_after_it_checked_in_holds_the_soak_until_it_is_back():
    canary = ARRIVED + HOUR
    patched = fleet({"ws00": canary})
    patched[0].update(last_update_time=canary + HOUR, online=False)
    held = decision(patched, 1, canary + 5 * HOUR)
    assert held.state == "soaking" and held.until_ms is None and "ws00 is offline since" in held.reason
    patched[0].update(online=True, last_update_time=canary + 5 * HOUR)
    assert decision(patched, 1, canary + 5 * HOUR).state == "go"


def test_a_failed_canary_lets_the_next_run_try_another_but_no_wave_goes_unsoaked():
    nobody = fleet()
    assert decision(nobody, 2, ARRIVED + HOUR).state == "soaking"
    assert decision(nobody, 1, ARRIVED + 2 * HOUR).state == "go"


def test_computers_at_the_version_before_the_sepm_had_the_patch_do_not_soak():
    patched = fleet()
    patched[5].update(agent_version=TARGET, last_deployment_time=ARRIVED - 30 * 24 * HOUR, last_update_time=ARRIVED + HOUR)
    assert decision(patched, 2, ARRIVED + HOUR).state == "soaking"
    # Without the patch's arrival every computer at the target counts, however long it has had it.
    assert decision(patched, 2, ARRIVED + HOUR, since_ms=None).state == "go"


def test_without_a_soak_everything_goes():
    assert decide(None, fleet(), TARGET, SERIAL, 7, ARRIVED).state == "go"


# -- properties ---------------------------------------------------------------------------------


@st.composite
def rollouts(draw):
    count = draw(st.integers(1, 30))
    computers = []
    for number in range(count):
        patched = draw(st.booleans())
        deployed = draw(st.integers(ARRIVED - 10 * HOUR, ARRIVED + 10 * HOUR)) if patched else ARRIVED - 1000 * HOUR
        computers.append(computer("c%02d" % number, TARGET if patched else OLD, deployed,
                                  last=deployed + draw(st.integers(0, 5 * HOUR)), online=draw(st.booleans()),
                                  ap_on_off=draw(st.sampled_from([1, 1, 1, 0, 3, 4, 127]))))
    return computers


@PROPERTY
@given(computers=rollouts(), batch=st.integers(1, 5), now=st.integers(ARRIVED, ARRIVED + 40 * HOUR),
       after=st.integers(1, 3), hours=st.integers(1, 30))
def test_soak_properties(computers, batch, now, after, hours):
    soak = check_soak({"after": after, "for": "%dh" % hours})
    decided = decide(soak, computers, TARGET, SERIAL, batch, now, since_ms=ARRIVED, settle_s=SETTLE_S)
    size = cohort_size(soak, SERIAL, len(computers))
    soaked = [c for c in computers if c["agent_version"] == TARGET and c["last_deployment_time"] >= ARRIVED]
    assert "\n" not in decided.reason
    # The decision reads the records alone: their order changes nothing.
    again = decide(soak, list(reversed(computers)), TARGET, SERIAL, batch, now, since_ms=ARRIVED, settle_s=SETTLE_S)
    assert (again.state, again.reason, again.until_ms) == (decided.state, decided.reason, decided.until_ms)
    if len(soaked) < size:
        assert decided.state == ("go" if batch <= after else "soaking")
        return
    cohort = sorted(soaked, key=lambda c: (c["last_deployment_time"], c["name"]))[:size]
    assert decided.soaked == [c["name"] for c in cohort]
    if decided.state == "go":
        # never before the soak's end, and never with a soaked computer disabled or malfunctioning
        assert now >= max(c["last_deployment_time"] for c in cohort) + hours * HOUR
        assert all(c["ap_on_off"] not in (0, 4) and c["online"] for c in cohort)
    if any(c["ap_on_off"] in (0, 4) for c in cohort):
        assert decided.state == "stop"
