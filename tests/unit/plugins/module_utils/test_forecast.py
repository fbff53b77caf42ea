# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The completion forecast: batches placed in the windows by the rules a run obeys. No SEPM, no Ansible."""

from __future__ import annotations

import datetime
import json

from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import forecast
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.plan import split_batches
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import occurrences

PROPERTY = settings(database=None, max_examples=150, deadline=None)
UTC = datetime.timezone.utc
START = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # a Tuesday
OPTIONS = {"cutoff": 3600, "install_timeout": 1200, "restart_timeout": 600, "serial": [1, "10%", "25%"], "package_serial": [1]}
WEEKEND = [{"days": ["sat", "sun"], "start": "22:00", "duration": "4h", "timezone": "Europe/Berlin"}]


def at(text):
    return datetime.datetime.fromisoformat(text)


def planned(names, serial=(1, "10%", "25%"), clusters=None, room=None, method="liveupdate"):
    queue = [(name, (clusters or {}).get(name)) for name in names]
    return [{"label": str(number), "method": method, "hosts": hosts}
            for number, hosts in enumerate(split_batches(queue, list(serial), room or {}), 1)]


def entry(batch, started, finished, steps=("staged", "verified", "returned"), **extra):
    base = START + datetime.timedelta(minutes=started)
    return dict({"batch": batch, "method": "liveupdate", "hosts": ["x"], "gated": False, "deferred": 0,
                 "started": base.isoformat(), "finished": (START + datetime.timedelta(minutes=finished)).isoformat(),
                 "steps": dict.fromkeys(steps, base.isoformat())}, **extra)


# ---------------------------------------------------------------------------------------------
# durations measured in earlier runs


def test_a_batch_started_alone_is_a_first_duration_and_a_pre_staged_one_a_pace():
    log = [entry("1", 0, 20), entry("2", 10, 28), entry("3", 20, 37),
           entry("4", 100, 100),                                      # stopped: no time passed
           entry("5", 120, 150, gated=True),                          # held back by the window
           entry("6", 200, 230, steps=("staged",)),                   # nothing patched
           entry("7", 300, 325)]
    samples = forecast.durations_from_log(log)
    assert samples["first"] == [20 * 60, 25 * 60]
    assert samples["pace"] == [8 * 60, 9 * 60]


def test_the_lead_is_the_time_from_the_plan_to_the_first_batch_and_a_new_run_spends_it():
    samples = forecast.durations_from_log([entry("1", 5, 20)], run_started=START.isoformat())
    assert samples["lead"] == [300]
    batches = planned(["a"])
    fresh = forecast.forecast_run(batches, [], START, {"lead": [300], "first": [600]}, OPTIONS)
    going = forecast.forecast_run(batches, [], START, {"lead": [300], "first": [600]}, OPTIONS, continuing=True)
    assert fresh["batches"][0]["starts"] == (START + datetime.timedelta(seconds=300)).isoformat()
    assert going["batches"][0]["starts"] == START.isoformat()


def test_a_package_batch_gives_a_duration_per_host_it_reached():
    log = [entry("1", 0, 60, method="package", hosts=["a", "b", "c", "d"], deferred=1)]
    assert forecast.durations_from_log(log)["package_host"] == [20 * 60]


def test_reports_count_the_runs_that_measured_something():
    reports = [{"batches": [entry("1", 0, 20)]}, {"batches": []}, {"batches": [entry("1", 0, 30), entry("2", 10, 40)]}]
    samples = forecast.durations_from_reports(reports)
    assert samples["runs"] == 2 and samples["first"] == [1200, 1800] and samples["pace"] == [600]


def test_reports_are_read_newest_last_and_broken_ones_are_named(tmp_path):
    for number in range(3):
        (tmp_path / ("rollout-2026120%dT000000.json" % number)).write_text(json.dumps({"batches": [entry("1", 0, number)]}))
    (tmp_path / "rollout-20261209T000000.json").write_text("{not json")
    (tmp_path / "other.json").write_text("{}")
    reports, unreadable = forecast.load_reports(str(tmp_path), limit=3)
    assert [report["batches"][0]["finished"] for report in reports] == [entry("1", 0, 1)["finished"], entry("1", 0, 2)["finished"]]
    assert unreadable == [str(tmp_path / "rollout-20261209T000000.json")]
    assert forecast.load_reports(str(tmp_path / "missing")) == ([], [])


def test_the_spread_is_shortest_median_longest_and_the_stated_default_without_measurements():
    assert forecast.spread([300, 100, 200, 220, 180], 1000) == {"best": 100, "expected": 200, "worst": 300, "measured": 5}
    assert forecast.spread([], 1000) == {"best": 250, "expected": 500, "worst": 1000, "measured": 0}


def test_a_few_measurements_spread_at_least_a_quarter_either_side():
    assert forecast.spread([400], 1000) == {"best": 300, "expected": 400, "worst": 500, "measured": 1}
    assert forecast.spread([100, 400, 420], 1000) == {"best": 100, "expected": 400, "worst": 500, "measured": 3}


# ---------------------------------------------------------------------------------------------
# placing batches


def test_without_windows_batches_follow_each_other_at_the_measured_pace():
    batches = planned(["h%d" % number for number in range(40)])  # 1, 4, 10, 10, 10, 5
    result = forecast.forecast_run(batches, [], START, {"first": [1200], "pace": [600]}, OPTIONS)
    assert [row["computers"] for row in result["batches"]] == [1, 4, 10, 10, 10, 5]
    assert result["finish"]["expected"] == (START + datetime.timedelta(seconds=1200 + 5 * 600)).isoformat()
    assert result["windows_needed"]["expected"] == 1


def test_batches_wait_for_the_window_and_the_next_run_plans_anew():
    batches = planned(["h%d" % number for number in range(100)], serial=[1, 10])
    samples = {"first": [3000], "pace": [1800]}
    result = forecast.forecast_run(batches, WEEKEND, START, samples, OPTIONS, groups_of={"h0": "A", "h99": "B"})
    first_window = result["windows"][0]
    # Saturday 22:00-02:00 Berlin: the first batch at 22:00 (50 min), then one every 30 min while the cutoff (1 h) fits.
    assert first_window["opens"] == "2026-12-05T21:00:00+00:00" and first_window["closes"] == "2026-12-06T01:00:00+00:00"
    assert result["batches"][0]["starts"] == "2026-12-05T21:00:00+00:00"
    later = [row for row in result["batches"] if row["window"]["number"] == 2]
    assert later[0]["label"] == "2.1" and later[0]["computers"] == 1, "the next run starts with the canary again"
    assert result["windows_needed"]["expected"] == len(result["windows"]) >= 2
    groups = {row["group"]: row for row in result["groups"]}
    assert groups["A"]["window"]["number"] == 1 and groups["B"]["finishes"] == result["finish"]["expected"]


def test_best_and_worst_come_from_the_shortest_and_longest_measured_batches():
    batches = planned(["h%d" % number for number in range(30)], serial=[5])
    samples = {"first": [600, 1200, 3000, 1100, 1300], "pace": [300, 600, 1500, 500, 700]}
    result = forecast.forecast_run(batches, WEEKEND, START, samples, OPTIONS)
    best, expected, worst = (at(result["finish"][case]) for case in forecast.CASES)
    assert best < expected < worst
    assert result["durations"]["pace"] == {"best": 300, "expected": 600, "worst": 1500, "measured": 5}


def test_no_window_long_enough_for_the_cutoff_is_never():
    short = [{"days": ["sat"], "start": "22:00", "duration": "30m", "timezone": "UTC"}]
    result = forecast.forecast_run(planned(["a", "b"]), short, START, {}, OPTIONS)
    assert result["finish"] == {"best": None, "expected": None, "worst": None}
    assert "never" in forecast.forecast_line(result, short)


def test_package_hosts_go_one_at_a_time_and_continue_in_the_next_window():
    batches = planned(["p%d" % number for number in range(20)], serial=[20], method="package")
    result = forecast.forecast_run(batches, WEEKEND, START, {"package_host": [1800]}, dict(OPTIONS, package_serial=[20]))
    # 4 h window, 30 min hosts needing 30 min room (install + restart timeouts): 8 per window.
    assert [row["computers"] for row in result["batches"]] == [8, 8, 4]
    assert result["windows_needed"]["expected"] == 3


def test_lines_say_when_and_in_how_many_windows():
    batches = planned(["h%d" % number for number in range(100)], serial=[1, 10])
    result = forecast.forecast_run(batches, WEEKEND, START, {"first": [3000], "pace": [1800]}, OPTIONS)
    line = forecast.forecast_line(result, WEEKEND)
    assert line.startswith("at this pace, done on ") and " Europe/Berlin in %d windows (best " % result["windows_needed"]["expected"] in line
    stop = forecast.stop_line(result, WEEKEND)
    assert stop.startswith("the next window opens Sat 05 Dec 2026 22:00 Europe/Berlin and at this pace finishes ")
    assert "no run measured yet" in forecast.forecast_basis(forecast.forecast_run(batches, WEEKEND, START, {}, OPTIONS))


# ---------------------------------------------------------------------------------------------
# properties: never outside a window, never two members of a cluster restarting at once

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata")


@st.composite
def scenarios(draw):
    size = draw(st.integers(1, 60))
    clusters = {}
    for number in range(size):
        if draw(st.booleans()):
            clusters["h%d" % number] = "c%d" % draw(st.integers(0, 6))
    room = {cluster: draw(st.integers(1, 2)) for cluster in set(clusters.values())}
    serial = draw(st.lists(st.one_of(st.integers(1, 20), st.sampled_from(["10%", "25%", "50%", "100%"])), min_size=1, max_size=3))
    windows = draw(st.lists(st.fixed_dictionaries({
        "days": st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1, max_size=7, unique=True),
        "start": st.builds("{:02d}:{:02d}".format, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
        "duration": st.sampled_from(["1h", "2h", "3h30m", "6h", "12h", "24h", "30h"]),
        "timezone": st.sampled_from(ZONES),
    }), min_size=0, max_size=2))
    cutoff = draw(st.integers(600, 4 * 3600))
    first = draw(st.lists(st.integers(60, cutoff), min_size=0, max_size=3))
    pace = draw(st.lists(st.integers(30, cutoff), min_size=0, max_size=3))
    method = draw(st.sampled_from(["liveupdate", "liveupdate", "package"]))
    start = START + datetime.timedelta(minutes=draw(st.integers(0, 7 * 24 * 60)))
    return size, clusters, room, serial, windows, cutoff, first, pace, method, start


def open_periods(windows, start, end):
    return occurrences(windows, start - datetime.timedelta(days=8), end + datetime.timedelta(days=8))


@PROPERTY
@given(scenarios())
def test_the_forecast_keeps_every_batch_in_a_window_and_the_cluster_rule(scenario):
    size, clusters, room, serial, windows, cutoff, first, pace, method, start = scenario
    names = ["h%d" % number for number in range(size)]
    options = dict(OPTIONS, cutoff=cutoff, serial=serial, package_serial=serial)
    batches = planned(names, serial, clusters, room, method)
    result = forecast.forecast_run(batches, windows, start, {"first": first, "pace": pace, "package_host": first}, options,
                                   clusters, room, with_hosts=True)
    rows = result["batches"]
    if result["finish"]["expected"] is None:
        assert windows, "without windows every batch has room"
        return
    assert sum(row["computers"] for row in rows) == size, "every computer is placed once"
    assert all(at(row["starts"]) >= start for row in rows)
    if windows:
        periods = open_periods(windows, start, at(result["finish"]["expected"]))
        for row in rows:
            assert any(opens <= at(row["starts"]) and at(row["finishes"]) <= closes for opens, closes in periods), \
                "batch %s runs outside every window: %s" % (row["label"], row)
    # Restarts one batch after another, so members of a cluster in different batches are never down together ...
    for before, after in zip(rows, rows[1:]):
        assert at(after["restarts"]) >= at(before["finishes"])
    # ... and a batch holds no more members of a cluster than its room.
    for row in rows:
        members = [clusters[name] for name in row["hosts"] if name in clusters]
        assert all(members.count(cluster) <= room[cluster] for cluster in set(members)), row
    assert sorted(name for row in rows for name in row["hosts"]) == sorted(names)


@PROPERTY
@given(scenarios())
def test_the_cluster_room_holds_in_every_run_the_forecast_plans(scenario):
    size, clusters, room, serial, _windows, _cutoff, _first, _pace, method, _start = scenario
    names = ["h%d" % number for number in range(size)]
    left = planned(names, serial, clusters, room, method)
    for batch in forecast.plan_next_run(left, dict(OPTIONS, serial=serial, package_serial=serial), clusters, room, 2):
        members = [clusters[name] for name in batch["hosts"] if name in clusters]
        assert all(members.count(cluster) <= room[cluster] for cluster in set(members))
        assert batch["label"].startswith("2.")


# ---------------------------------------------------------------------------------------------
# soaks and group budgets in the windows

HOUR = datetime.timedelta(hours=1)


def test_a_soak_delays_the_next_batch_to_its_end():
    batches = planned(["h%d" % number for number in range(21)], serial=[1, 10])
    result = forecast.forecast_run(batches, [], START, {"first": [1200], "pace": [600]}, OPTIONS,
                                   soak={"hosts": 1, "for_s": 2 * 3600})
    canary, after = result["batches"][0], result["batches"][1]
    assert at(canary["finishes"]) == START + datetime.timedelta(seconds=1200)
    assert at(after["starts"]) == at(canary["finishes"]) + 2 * HOUR
    assert after["label"] == "2.1", "the run ends at the soak; the next plans anew from the serial's start"
    assert result["soak"] == {"begins": canary["finishes"], "ends": after["starts"]}
    assert sum(row["computers"] for row in result["batches"]) == 21


def test_a_soak_that_ends_after_the_window_closed_moves_the_next_batch_to_a_later_window():
    batches = planned(["h%d" % number for number in range(40)], serial=[1, 10])
    result = forecast.forecast_run(batches, WEEKEND, START, {"first": [1800], "pace": [900]}, OPTIONS,
                                   soak={"hosts": 1, "for_s": 6 * 3600})
    canary, after = result["batches"][0], result["batches"][1]
    assert canary["window"]["number"] == 1 and after["window"]["number"] == 2
    # Saturday's window holds the canary; the soak ends Sunday 03:30 Berlin, so Sunday 22:00 goes on.
    assert after["starts"] == "2026-12-06T21:00:00+00:00"
    lines = forecast.forecast_lines(result, WEEKEND)
    assert "soak: the batches after the soaked ones wait until Sun 06 Dec 2026 04:30 Europe/Berlin, 6h00m after the soaked " \
           "ones are done" in lines


def test_a_soak_under_way_holds_the_first_batch_until_it_ends():
    until = START + 5 * HOUR
    result = forecast.forecast_run(planned(["a", "b", "c"], serial=[2]), [], START, {"first": [600]}, OPTIONS, run=2,
                                   soak={"until": until})
    assert at(result["batches"][0]["starts"]) == until
    assert result["soak"] == {"begins": None, "ends": until.isoformat()}
    assert forecast.forecast_run(planned(["a"]), [], START, {"first": [600]}, OPTIONS)["soak"] is None


def test_a_run_stopped_by_a_soak_in_an_open_window_says_the_soak_not_a_window_opening():
    all_day = [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "duration": "24h", "timezone": "UTC"}]
    until = START + 2 * HOUR
    soaking = forecast.forecast_run(planned(["a", "b", "c"], serial=[3]), all_day, START, {"first": [600]}, OPTIONS, run=2,
                                    soak={"until": until})
    assert forecast.stop_line(soaking, all_day).startswith(
        "the soak ends Tue 01 Dec 2026 14:00 UTC and at this pace finishes the remaining 3 computers by Tue 01 Dec 2026 14:10 UTC")
    open_now = forecast.forecast_run(planned(["a", "b", "c"], serial=[3]), all_day, START, {"first": [600]}, OPTIONS, run=2)
    assert forecast.stop_line(open_now, all_day).startswith("the window is open and at this pace finishes the remaining 3 ")


def test_later_runs_plan_the_group_budgeted_batches():
    names = ["h%d" % number for number in range(30)]
    groups = dict((name, "My Company\\Branch" if number % 3 else "My Company\\Office") for number, name in enumerate(names))
    room = {"My Company\\Branch": 2, "My Company\\Office": 1}
    left = [{"label": "1", "method": "liveupdate", "hosts": names}]
    batches = list(forecast.plan_next_run(left, dict(OPTIONS, serial=[10]), {}, {}, 2, room, groups))
    assert [len(batch["hosts"]) for batch in batches] == [3] * 10
    result = forecast.forecast_run(batches[:1], [], START, {"first": [600], "pace": [300]}, dict(OPTIONS, serial=[10]),
                                   groups_of=groups, group_room=room, soak={"hosts": 3, "for_s": 3600})
    for row in result["batches"]:
        assert row["computers"] <= 3


def test_later_runs_keep_ha_partners_two_batches_apart_as_the_plan_does():
    names = ["SQL-01-N1", "SQL-01-N2", "WS-1", "WS-2", "WS-3", "WS-4"]
    clusters = {"SQL-01-N1": "SQL-01", "SQL-01-N2": "SQL-01"}
    options = dict(OPTIONS, serial=[2], package_serial=[2])
    left = [{"label": "1", "method": "liveupdate", "hosts": names}]
    spaced = [["SQL-01-N1", "WS-1"], ["WS-2", "WS-3"], ["SQL-01-N2", "WS-4"]]
    assert [batch["hosts"] for batch in forecast.plan_next_run(left, options, clusters, {}, 2)] == spaced
    assert [batch["hosts"] for batch in planned(names, [2], clusters)] == spaced
    # Nothing takes the patch ahead with deliver_ahead off, nor in a package batch: the partners go as before.
    before = [["SQL-01-N1", "WS-1"], ["SQL-01-N2", "WS-2"], ["WS-3", "WS-4"]]
    assert [batch["hosts"] for batch in forecast.plan_next_run(left, dict(options, deliver_ahead=False), clusters, {}, 2)] == before
    package = [dict(left[0], method="package")]
    assert [batch["hosts"] for batch in forecast.plan_next_run(package, options, clusters, {}, 2)] == before


def test_a_later_run_spaces_by_the_members_still_waiting():
    names = ["C-N1", "C-N2", "C-N3", "WS-1", "WS-2"]
    clusters = dict.fromkeys(names[:3], "C")
    room = {"C": 1}
    options = dict(OPTIONS, serial=[1, 2])
    batches = planned(names, [1, 2], clusters, room)
    assert [batch["hosts"] for batch in batches] == [["C-N1"], ["C-N2", "WS-1"], ["C-N3", "WS-2"]]
    # Run 1 ends after the canary (its soak); run 2 plans the rest from the serial's start. C-N1 is patched, so once
    # C-N2 is in, C has one member left, which fits its room: it waits a batch.
    result = forecast.forecast_run(batches, [], START, {"first": [600], "pace": [300]}, options, clusters, room,
                                   with_hosts=True, soak={"hosts": 1, "for_s": 3600})
    assert [(row["label"], row["hosts"]) for row in result["batches"]] == [
        ("1", ["C-N1"]), ("2.1", ["C-N2"]), ("2.2", ["WS-1", "WS-2"]), ("2.3", ["C-N3"])]


@PROPERTY
@given(scenarios(), st.integers(1, 3), st.integers(1, 10), st.integers(0, 12 * 3600))
def test_group_budgets_hold_in_every_run_and_no_batch_starts_inside_the_soak(scenario, groups, rooms, soak_s):
    size, clusters, room, serial, windows, cutoff, first, pace, method, start = scenario
    names = ["h%d" % number for number in range(size)]
    groups_of = dict((name, "g%d" % (number % groups)) for number, name in enumerate(names))
    group_room = dict(("g%d" % number, 1 + (rooms + number) % 3) for number in range(groups))
    options = dict(OPTIONS, cutoff=cutoff, serial=serial, package_serial=serial)
    queue = [(name, clusters.get(name), groups_of[name]) for name in names]
    batches = [{"label": str(number), "method": method, "hosts": hosts}
               for number, hosts in enumerate(split_batches(queue, list(serial), room, group_room), 1)]
    soaked = len(batches[0]["hosts"])
    result = forecast.forecast_run(batches, windows, start, {"first": first, "pace": pace, "package_host": first}, options,
                                   clusters, room, groups_of, with_hosts=True, group_room=group_room,
                                   soak={"hosts": soaked, "for_s": soak_s})
    rows = result["batches"]
    for row in rows:
        counts = {}
        for name in row["hosts"]:
            counts[groups_of[name]] = counts.get(groups_of[name], 0) + 1
        assert all(count <= group_room[group] for group, count in counts.items()), row
    if result["finish"]["expected"] is None:
        return
    assert sorted(name for row in rows for name in row["hosts"]) == sorted(names)
    done = 0
    for row in rows:
        if done >= soaked and result["soak"]:
            assert at(row["starts"]) >= at(result["soak"]["ends"]), "a batch after the soaked ones starts inside the soak"
        done += row["computers"]
    json.dumps(result)
