# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests of maintenance windows: DST examples, parsing errors and properties."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import (
    MAX_DURATION,
    TIME_LEFT_CAP,
    WindowError,
    as_datetime,
    is_open,
    next_open,
    occurrences,
    parse_window,
    parse_windows,
    time_left,
    to_restart_schedule,
)

PROPERTY = settings(database=None, max_examples=150, deadline=None)
UTC = datetime.timezone.utc
HOUR = datetime.timedelta(hours=1)
SECOND = datetime.timedelta(seconds=1)
ZONES = (
    "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham",
    "America/St_Johns", "Europe/London", "UTC", "Australia/Lord_Howe", "America/Sao_Paulo",
    "America/Los_Angeles", "Pacific/Auckland", "Asia/Kathmandu", "America/Santiago", "Africa/Cairo",
)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def local(zone, *args):
    return datetime.datetime(*args, tzinfo=ZoneInfo(zone))


def win(days, start, duration, zone, **extra):
    data = {"days": days, "start": start, "duration": duration, "timezone": zone}
    data.update(extra)
    return data


# ---------------------------------------------------------------------------------------------
# DST examples


def test_dst_calendar_is_as_the_tests_expect():
    for day in ("2026-03-29", "2026-10-25", "2026-03-08", "2026-11-01", "2026-04-05", "2026-10-04"):
        assert datetime.date.fromisoformat(day).weekday() == 6


class TestBerlin:
    SPRING = "2026-03-29"  # 02:00 CET -> 03:00 CEST at 01:00 UTC
    FALL = "2026-10-25"    # 03:00 CEST -> 02:00 CET at 01:00 UTC

    def test_nonexistent_start_opens_after_the_gap(self):
        window = win(["sun"], "02:30", "2h", "Europe/Berlin", start_date=self.SPRING, end_date=self.SPRING)
        assert occurrences(window, utc(2026, 3, 28), utc(2026, 3, 30)) == [(utc(2026, 3, 29, 1), utc(2026, 3, 29, 2, 30))]
        assert next_open(window, utc(2026, 3, 28, 12)) == local("Europe/Berlin", 2026, 3, 29, 3, 0)
        assert not is_open(window, utc(2026, 3, 29, 0, 59, 59))
        assert is_open(window, utc(2026, 3, 29, 1))
        assert time_left(window, utc(2026, 3, 29, 1)) == datetime.timedelta(minutes=90)

    def test_length_in_real_time_across_spring_forward(self):
        window = win(["sun"], "01:00", "3h", "Europe/Berlin")
        [(opens, closes)] = occurrences(window, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))
        assert (opens, closes) == (utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))
        assert closes - opens == 2 * HOUR

    def test_window_crossing_spring_forward_from_saturday(self):
        window = win(["sat"], "22:00", "6h", "Europe/Berlin")
        [(opens, closes)] = occurrences(window, utc(2026, 3, 28), utc(2026, 3, 30))
        assert opens == local("Europe/Berlin", 2026, 3, 28, 22)
        assert closes == local("Europe/Berlin", 2026, 3, 29, 4)
        assert closes - opens == 5 * HOUR

    def test_wall_clock_start_holds_on_both_sides(self):
        window = win(["sat", "sun"], "22:00", "1h", "Europe/Berlin")
        opens = [pair[0] for pair in occurrences(window, utc(2026, 3, 28), utc(2026, 3, 30))]
        assert opens == [utc(2026, 3, 28, 21), utc(2026, 3, 29, 20)]
        assert all(moment.astimezone(ZoneInfo("Europe/Berlin")).hour == 22 for moment in opens)

    def test_ambiguous_start_opens_once_at_the_first_occurrence(self):
        window = win(["sun"], "02:30", "1h", "Europe/Berlin", start_date=self.FALL, end_date=self.FALL)
        # 02:30 CEST = 00:30 UTC; the end 03:30 is after the overlap: 03:30 CET = 02:30 UTC
        assert occurrences(window, utc(2026, 10, 24), utc(2026, 10, 27)) == [(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 30))]
        assert is_open(window, utc(2026, 10, 25, 1, 45))  # 02:45 CET, the second pass, still inside

    def test_ambiguous_cron_start_opens_once(self):
        window = {"cron": "30 * * * *", "duration": "10m", "timezone": "Europe/Berlin"}
        assert occurrences(window, utc(2026, 10, 25, 0), utc(2026, 10, 25, 3)) == [
            (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 0, 40)),
            (utc(2026, 10, 25, 2, 30), utc(2026, 10, 25, 2, 40)),
        ]
        assert not is_open(window, utc(2026, 10, 25, 1, 35))  # 02:35 CET: the second 02:30 does not open

    def test_ambiguous_end_is_the_first_occurrence(self):
        window = win(["sun"], "00:30", "2h", "Europe/Berlin")
        [(opens, closes)] = occurrences(window, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12))
        assert (opens, closes) == (utc(2026, 10, 24, 22, 30), utc(2026, 10, 25, 0, 30))

    def test_window_crossing_fall_back_lasts_longer(self):
        window = win(["sat"], "22:00", "6h", "Europe/Berlin")
        [(opens, closes)] = occurrences(window, utc(2026, 10, 24), utc(2026, 10, 26))
        assert (opens, closes) == (utc(2026, 10, 24, 20), utc(2026, 10, 25, 3))
        assert closes - opens == 7 * HOUR

    def test_window_inside_the_gap_does_not_open(self):
        window = win(["sun"], "02:10", "30m", "Europe/Berlin")
        assert occurrences(window, utc(2026, 3, 28), utc(2026, 3, 30)) == []
        assert next_open(window, utc(2026, 3, 28)) == local("Europe/Berlin", 2026, 4, 5, 2, 10)


class TestNewYork:
    def test_nonexistent_start(self):
        window = win(["sun"], "02:15", "1h", "America/New_York")
        assert occurrences(window, utc(2026, 3, 7), utc(2026, 3, 9)) == [(utc(2026, 3, 8, 7), utc(2026, 3, 8, 7, 15))]

    def test_ambiguous_start_and_real_length(self):
        window = win(["sun"], "01:30", "1h", "America/New_York")
        assert occurrences(window, utc(2026, 10, 31), utc(2026, 11, 2)) == [(utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7, 30))]

    def test_window_crossing_both_changes(self):
        window = win(["sat"], "23:00", "4h", "America/New_York")
        [(opens, closes)] = occurrences(window, utc(2026, 3, 7), utc(2026, 3, 9))
        assert closes - opens == 3 * HOUR
        [(opens, closes)] = occurrences(window, utc(2026, 10, 31), utc(2026, 11, 2))
        assert closes - opens == 5 * HOUR


class TestSydney:
    def test_ambiguous_start_on_fall_back(self):
        # 2026-04-05 03:00 AEDT -> 02:00 AEST at 16:00 UTC on the 4th
        window = win(["sun"], "02:30", "1h", "Australia/Sydney")
        assert occurrences(window, utc(2026, 4, 4), utc(2026, 4, 5, 12)) == [(utc(2026, 4, 4, 15, 30), utc(2026, 4, 4, 17, 30))]
        assert time_left(window, utc(2026, 4, 4, 16, 45)) == datetime.timedelta(minutes=45)

    def test_nonexistent_start_on_spring_forward(self):
        # 2026-10-04 02:00 AEST -> 03:00 AEDT at 16:00 UTC on the 3rd
        window = win(["sun"], "02:30", "1h", "Australia/Sydney")
        assert occurrences(window, utc(2026, 10, 3), utc(2026, 10, 4, 12)) == [(utc(2026, 10, 3, 16), utc(2026, 10, 3, 16, 30))]

    def test_crossing_spring_forward(self):
        window = win(["sat"], "23:00", "5h", "Australia/Sydney")
        assert occurrences(window, utc(2026, 10, 3), utc(2026, 10, 4, 12)) == [(utc(2026, 10, 3, 13), utc(2026, 10, 3, 17))]


# ---------------------------------------------------------------------------------------------
# Other examples


def test_crossing_midnight_belongs_to_the_start_date():
    window = win(["fri"], "22:00", "4h", "UTC", exclude_dates=["2026-01-10"])
    assert is_open(window, utc(2026, 1, 10, 1, 59))  # Friday 9th's window, on Saturday 10th
    assert not is_open(window, utc(2026, 1, 10, 2))
    assert time_left(window, utc(2026, 1, 10, 1)) == HOUR
    excluded = win(["fri"], "22:00", "4h", "UTC", exclude_dates=["2026-01-09"])
    assert not is_open(excluded, utc(2026, 1, 10, 1))
    assert next_open(excluded, utc(2026, 1, 9, 12)) == utc(2026, 1, 16, 22)


def test_start_and_end_dates_are_inclusive_start_dates():
    window = win(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "23:00", "2h", "UTC",
                 start_date="2026-02-02", end_date="2026-02-04")
    opens = [pair[0] for pair in occurrences(window, utc(2026, 1, 1), utc(2026, 3, 1))]
    assert opens == [utc(2026, 2, 2, 23), utc(2026, 2, 3, 23), utc(2026, 2, 4, 23)]
    assert is_open(window, utc(2026, 2, 5, 0, 30))  # the end_date's window runs past midnight
    assert next_open(window, utc(2026, 2, 5, 1)) is None
    assert next_open(window, utc(2025, 6, 1)) == utc(2026, 2, 2, 23)


def test_yaml_dates_are_accepted():
    window = parse_window(win(["mon"], "01:00", "1h", "UTC", start_date=datetime.date(2026, 1, 1),
                              exclude_dates=[datetime.date(2026, 1, 5)]))
    assert window.start_date == datetime.date(2026, 1, 1)
    assert datetime.date(2026, 1, 5) in window.exclude_dates


def test_days_accept_full_names_any_case():
    window = parse_window(win(["Monday", "SAT", "sunday"], "01:00", "1h", "UTC"))
    assert window.days == frozenset((0, 5, 6))


@pytest.mark.parametrize("text, minutes", [("4h", 240), ("90m", 90), ("1h30m", 90), ("2d", 2880), (45, 45), ("7d", 10080),
                                           ("1d2h3m", 1563), (" 2H ", 120), ("15", 15)])
def test_durations(text, minutes):
    assert parse_window(win(["mon"], "01:00", text, "UTC")).duration == datetime.timedelta(minutes=minutes)


def test_cron_weekday_evenings():
    window = {"cron": "0 22 * * 1-5", "duration": "4h", "timezone": "Europe/London"}
    opens = [pair[0] for pair in occurrences(window, utc(2026, 1, 5), utc(2026, 1, 12))]
    assert opens == [utc(2026, 1, day, 22) for day in (5, 6, 7, 8, 9)]
    assert is_open(window, utc(2026, 1, 10, 1))  # Friday's window, on Saturday morning
    assert not is_open(window, utc(2026, 1, 10, 22))


def test_cron_steps_and_names():
    window = {"cron": "*/20 1-3/2 * JAN,feb MON-wed", "duration": "5m", "timezone": "UTC"}
    opens = [pair[0] for pair in occurrences(window, utc(2026, 1, 5), utc(2026, 1, 6))]
    assert opens == [utc(2026, 1, 5, hour, minute) for hour in (1, 3) for minute in (0, 20, 40)]
    assert occurrences(window, utc(2026, 3, 1), utc(2026, 4, 1)) == []


def test_cron_sunday_is_0_and_7():
    for text in ("0 4 * * 0", "0 4 * * 7", "0 4 * * SUN"):
        window = {"cron": text, "duration": "1h", "timezone": "UTC"}
        assert next_open(window, utc(2026, 1, 5)) == utc(2026, 1, 11, 4)


def test_cron_or_semantics_when_both_days_are_restricted():
    window = {"cron": "0 0 13 * fri", "duration": "1h", "timezone": "UTC"}
    opens = [pair[0].date() for pair in occurrences(window, utc(2026, 2, 1), utc(2026, 3, 1))]
    assert opens == [datetime.date(2026, 2, day) for day in (6, 13, 20, 27)]
    starred = {"cron": "0 0 */1 * fri", "duration": "1h", "timezone": "UTC"}  # a field starting with * is unrestricted
    opens = [pair[0].date() for pair in occurrences(starred, utc(2026, 2, 1), utc(2026, 3, 1))]
    assert opens == [datetime.date(2026, 2, day) for day in (6, 13, 20, 27)]
    leap = {"cron": "0 0 29 2 *", "duration": "1h", "timezone": "UTC"}
    assert next_open(leap, utc(2026, 1, 1)) == utc(2028, 2, 29)


def test_several_windows_overlap_and_chain():
    windows = [
        win(["sat"], "20:00", "4h", "UTC"),
        win(["sat"], "23:00", "2h", "UTC"),                # overlaps the first
        {"cron": "0 1 * * sun", "duration": "1h", "timezone": "UTC"},  # touches the second
        win(["sat"], "19:00", "3h", "Europe/Berlin"),      # 18:00-21:00 UTC in winter: overlaps the first
    ]
    assert occurrences(windows, utc(2026, 1, 10), utc(2026, 1, 12)) == [(utc(2026, 1, 10, 18), utc(2026, 1, 11, 2))]
    assert time_left(windows, utc(2026, 1, 10, 18, 30)) == datetime.timedelta(hours=7, minutes=30)
    assert is_open(windows, utc(2026, 1, 11, 1, 59, 59))
    assert not is_open(windows, utc(2026, 1, 11, 2))
    assert next_open(windows, utc(2026, 1, 11, 2)) == utc(2026, 1, 17, 18)


def test_always_open_schedule_caps_time_left():
    window = win(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "00:00", "2d", "UTC")
    assert time_left(window, utc(2026, 1, 1)) == TIME_LEFT_CAP


def test_next_open_returns_now_itself_when_open():
    now = local("Europe/Berlin", 2026, 1, 10, 22, 30)
    assert next_open(win(["sat"], "22:00", "1h", "Europe/Berlin"), now) is now


def test_naive_now_is_refused():
    window = win(["sat"], "22:00", "1h", "UTC")
    for function in (is_open, time_left, next_open):
        with pytest.raises(ValueError, match="timezone-aware"):
            function(window, datetime.datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        occurrences(window, datetime.datetime(2026, 1, 1), utc(2026, 1, 2))


def test_as_datetime():
    assert as_datetime("2026-03-28T23:00:00+01:00") == utc(2026, 3, 28, 22)
    assert as_datetime("2026-03-28T22:00:00Z") == utc(2026, 3, 28, 22)
    assert as_datetime(0) == utc(1970, 1, 1)
    assert as_datetime(None).tzinfo is not None
    for bad in ("2026-03-28T23:00:00", "tomorrow", datetime.datetime(2026, 1, 1)):
        with pytest.raises(ValueError):
            as_datetime(bad)


def test_parse_windows_accepts_one_dict_and_parsed_windows():
    parsed = parse_windows(win(["sat"], "22:00", "1h", "UTC"))
    assert len(parsed) == 1
    assert parse_windows(parsed)[0] is parsed[0]


# ---------------------------------------------------------------------------------------------
# Malformed windows: one line naming the window and the field

GOOD = {"days": ["sat"], "start": "22:00", "duration": "4h", "timezone": "UTC"}
CRON = {"cron": "0 22 * * 1-5", "duration": "4h", "timezone": "UTC"}


def _with(base, **changes):
    data = dict(base)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


BAD = [
    (_with(GOOD, timezone="Mars/Base"), "window 2: timezone 'Mars/Base' is not a known IANA time zone"),
    (_with(GOOD, timezone=""), "timezone"),
    (_with(GOOD, timezone="../etc/passwd"), "timezone"),
    (_with(GOOD, timezone=None), "timezone is required"),
    (_with(GOOD, duration="0m"), "window 2: duration must be more than 0 and at most 7 days, got '0m'"),
    (_with(GOOD, duration=0), "duration must be more than 0"),
    (_with(GOOD, duration=-5), "duration must be more than 0"),
    (_with(GOOD, duration="7d1m"), "duration must be more than 0 and at most 7 days, got '7d1m'"),
    (_with(GOOD, duration="8d"), "duration must be more than 0"),
    (_with(GOOD, duration="soon"), "duration 'soon' is not a duration"),
    (_with(GOOD, duration="4h4h"), "duration '4h4h' is not a duration"),
    (_with(GOOD, duration=""), "duration '' is not a duration"),
    (_with(GOOD, duration=True), "duration True is not a duration"),
    (_with(GOOD, duration=None), "duration is required"),
    (_with(CRON, cron="61 * * * *"), "window 2: cron '61 * * * *': minute 61 out of range 0-59"),
    (_with(CRON, cron="0 24 * * *"), "cron '0 24 * * *': hour 24 out of range 0-23"),
    (_with(CRON, cron="0 0 0 * *"), "day-of-month 0 out of range 1-31"),
    (_with(CRON, cron="0 0 * 13 *"), "month 13 out of range 1-12"),
    (_with(CRON, cron="0 0 * * 8"), "day-of-week 8 out of range 0-7"),
    (_with(CRON, cron="0 0 * * FUNDAY"), "cron '0 0 * * FUNDAY': day-of-week 'FUNDAY' is not a number or a name"),
    (_with(CRON, cron="0 0 * *"), "cron '0 0 * *' must have 5 fields"),
    (_with(CRON, cron="*/0 * * * *"), "minute step '0'"),
    (_with(CRON, cron="5-1 * * * *"), "minute range 5-1 runs backwards"),
    (_with(CRON, cron="1,,2 * * * *"), "minute has an empty list item"),
    (_with(CRON, cron="0 0 31 2 *"), "cron '0 0 31 2 *' never matches"),
    (_with(CRON, cron=5), "cron must be a string"),
    (_with(CRON, start="22:00"), "start is not allowed with cron"),
    (_with(GOOD, start="25:00"), "window 2: start '25:00' is not a 24-hour time 'HH:MM'"),
    (_with(GOOD, start="22:60"), "start '22:60'"),
    (_with(GOOD, start="10pm"), "start '10pm'"),
    (_with(GOOD, start=1320), "start 1320 is not a time 'HH:MM': quote it"),
    (_with(GOOD, start=None), "start is required with days"),
    (_with(GOOD, days=["funday"]), "days: 'funday' is not a weekday name"),
    (_with(GOOD, days=[]), "days must be a non-empty list"),
    (_with(GOOD, days=3), "days must be a non-empty list"),
    (_with(GOOD, start_date="2026-13-01"), "start_date '2026-13-01' is not a date 'YYYY-MM-DD'"),
    (_with(GOOD, end_date="tomorrow"), "end_date 'tomorrow' is not a date"),
    (_with(GOOD, start_date="2026-02-01", end_date="2026-01-01"), "end_date 2026-01-01 is before start_date 2026-02-01"),
    (_with(GOOD, exclude_dates=["2026-02-30"]), "exclude_dates '2026-02-30' is not a date"),
    (_with(GOOD, exclude_dates="2026-02-01"), "exclude_dates must be a list"),
    (_with(GOOD, cron="0 22 * * *"), "days and cron are mutually exclusive"),
    (_with(GOOD, days=None), "days or cron is required"),
    (_with(GOOD, name="weekend"), "window 2: unknown key 'name'"),
    ("sat 22:00", "window 2: must be a dict"),
]


@pytest.mark.parametrize("data, message", BAD)
def test_malformed_window_names_the_field(data, message):
    with pytest.raises(WindowError) as raised:
        parse_windows([GOOD, data])
    text = str(raised.value)
    assert "\n" not in text
    assert text.startswith("window 2: ")
    assert message in text
    assert isinstance(raised.value, ValueError)


def test_empty_and_wrong_window_lists():
    for bad in ([], None, "weekend"):
        with pytest.raises(WindowError):
            parse_windows(bad)


# ---------------------------------------------------------------------------------------------
# SEPM restart schedule


def test_restart_schedule_centres_the_window():
    result = to_restart_schedule(win(["fri", "sat"], "22:00", "4h", "Europe/Berlin"))
    assert result == {
        "schedule": {"time": "00:00", "time_window": 2, "randomize_start_time": True, "monday": False, "tuesday": False,
                     "wednesday": False, "thursday": False, "friday": False, "saturday": True, "sunday": True},
        "timezone": "Europe/Berlin",
    }
    result = to_restart_schedule(win(["sun"], "01:00", "16h", "UTC"))["schedule"]
    assert (result["time"], result["time_window"], result["sunday"]) == ("09:00", 8, True)


@pytest.mark.parametrize("data, field", [
    ({"cron": "0 22 * * *", "duration": "4h", "timezone": "UTC"}, "cron"),
    (win(["sat"], "22:00", "3h", "UTC"), "duration"),
    (win(["sat"], "22:00", "90m", "UTC"), "duration"),
    (win(["sat"], "22:00", "18h", "UTC"), "duration"),
    (win(["sat"], "22:00", "4h", "UTC", exclude_dates=["2026-01-01"]), "exclude_dates"),
    (win(["sat"], "22:00", "4h", "UTC", end_date="2026-01-01"), "end_date"),
])
def test_restart_schedule_refuses_what_it_cannot_express(data, field):
    with pytest.raises(WindowError, match="window 1: %s" % field):
        to_restart_schedule(data)


@PROPERTY
@given(days=st.sets(st.integers(0, 6), min_size=1), hour=st.integers(0, 23), minute=st.integers(0, 59), half=st.integers(1, 8))
def test_restart_schedule_property(days, hour, minute, half):
    window = win([DAY_NAMES[day] for day in days], "%02d:%02d" % (hour, minute), "%dh" % (2 * half), "UTC")
    schedule = to_restart_schedule(window)["schedule"]
    assert schedule["time_window"] == half
    middle_hour, middle_minute = (int(part) for part in schedule["time"].split(":"))
    shift = 1 if (hour + half) * 60 + minute >= 1440 else 0
    assert (middle_hour * 60 + middle_minute) == ((hour + half) * 60 + minute) % 1440
    named = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    assert {number for number, name in enumerate(named) if schedule[name]} == {(day + shift) % 7 for day in days}


# ---------------------------------------------------------------------------------------------
# Properties


def first_at_or_after(wall, zone):
    """Independent oracle: the first minute (UTC) whose local wall-clock time is at or after ``wall``."""
    # start the scan well before any reading of ``wall`` (3 hours covers every DST shift here)
    moment = min(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)) - datetime.timedelta(hours=3)
    while moment.astimezone(zone).replace(tzinfo=None) < wall:
        moment += datetime.timedelta(minutes=1)
    return moment


ZONE = st.sampled_from(ZONES)
NOW = st.datetimes(min_value=datetime.datetime(2025, 1, 1), max_value=datetime.datetime(2028, 12, 31),
                   timezones=st.just(UTC)).map(lambda moment: moment.replace(microsecond=0))
DURATION = st.one_of(st.integers(1, 24 * 60), st.integers(1, MAX_DURATION // datetime.timedelta(minutes=1)))


@st.composite
def days_windows(draw):
    zone = draw(ZONE)
    days = draw(st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=7, unique=True))
    window = win(days, "%02d:%02d" % (draw(st.integers(0, 23)), draw(st.integers(0, 59))), draw(DURATION), zone)
    if draw(st.booleans()):
        window["exclude_dates"] = [draw(st.dates(datetime.date(2025, 1, 1), datetime.date(2028, 12, 31))).isoformat()
                                   for _unused in range(draw(st.integers(0, 3)))]
    return window


@st.composite
def cron_windows(draw):
    minutes = draw(st.lists(st.integers(0, 59), min_size=1, max_size=3, unique=True))
    hours = draw(st.lists(st.integers(0, 23), min_size=1, max_size=3, unique=True))
    weekdays = draw(st.one_of(st.just("*"), st.sampled_from(["1-5", "0,6", "MON-FRI", "sat", "*/2"])))
    text = "%s %s * * %s" % (",".join(map(str, minutes)), ",".join(map(str, hours)), weekdays)
    return {"cron": text, "duration": draw(st.integers(1, 12 * 60)), "timezone": draw(ZONE)}


WINDOWS = st.lists(st.one_of(days_windows(), cron_windows()), min_size=1, max_size=3)


@PROPERTY
@given(windows=WINDOWS, now=NOW)
def test_open_windows_have_time_left_and_close_after_it(windows, now):
    left = time_left(windows, now)
    if not is_open(windows, now):
        assert left == datetime.timedelta(0)
        return
    assert left > datetime.timedelta(0)
    assert is_open(windows, now + left - SECOND)
    assert is_open(windows, now + left / 2)
    if left < TIME_LEFT_CAP:
        assert not is_open(windows, now + left)


@PROPERTY
@given(windows=WINDOWS, now=NOW)
def test_next_open_is_open_and_nothing_opens_before(windows, now):
    moment = next_open(windows, now)
    assert moment is not None  # no end dates here: something always opens again
    assert moment >= now
    assert is_open(windows, moment)
    if is_open(windows, now):
        assert moment == now
    else:
        assert not is_open(windows, moment - SECOND)
        assert occurrences(windows, now, moment) == []


@PROPERTY
@given(windows=WINDOWS, start=NOW, span=st.integers(1, 20 * 24 * 3600), probes=st.lists(st.floats(0, 1), max_size=5))
def test_occurrences_are_ordered_disjoint_and_agree_with_is_open(windows, start, span, probes):
    end = start + datetime.timedelta(seconds=span)
    found = occurrences(windows, start, end)
    for opens, closes in found:
        assert start <= opens < closes <= end
        assert opens.tzinfo is UTC and closes.tzinfo is UTC
    for (_open_a, close_a), (open_b, _close_b) in zip(found, found[1:]):
        assert close_a < open_b
    for fraction in probes:
        moment = start + datetime.timedelta(seconds=int(span * fraction))
        if moment < end:
            assert is_open(windows, moment) == any(opens <= moment < closes for opens, closes in found)


@PROPERTY
@given(window=st.one_of(days_windows(), cron_windows()), now=NOW)
def test_raw_occurrences_of_one_window_are_in_order(window, now):
    parsed = parse_window(window)
    day = now.astimezone(parsed.zone).date()
    pairs = list(parsed.iter_occurrences(day - datetime.timedelta(days=3), day + datetime.timedelta(days=10)))
    for opens, closes in pairs:
        assert opens < closes
        assert closes - opens <= MAX_DURATION + 3 * HOUR
    assert [pair[0] for pair in pairs] == sorted(pair[0] for pair in pairs)


@settings(database=None, max_examples=100, deadline=None)
@given(window=days_windows(), now=NOW)
def test_is_open_agrees_with_an_independent_dst_oracle(window, now):
    """Opens and closes are the first instants whose local time reaches the wall-clock start and end."""
    parsed = parse_window(window)
    zone = parsed.zone
    today = now.astimezone(zone).date()
    expected = False
    for back in range(9):
        day = today - datetime.timedelta(days=back)
        for wall in parsed.starts_on(day):
            opens = first_at_or_after(wall, zone)
            closes = first_at_or_after(wall + parsed.duration, zone)
            expected = expected or opens <= now < closes
    assert is_open(window, now) == expected


@settings(database=None, max_examples=100, deadline=None)
@given(window=days_windows(), day=st.dates(datetime.date(2025, 1, 1), datetime.date(2028, 12, 31)))
def test_wall_clock_start_holds_unless_it_does_not_exist(window, day):
    parsed = parse_window(window)
    for wall in parsed.starts_on(day):
        found = list(parsed.iter_occurrences(day, day))
        assume(found)
        local_open = found[0][0].astimezone(parsed.zone).replace(tzinfo=None)
        if local_open != wall:  # only when the start falls in a gap: the first instant after it
            assert local_open > wall
            assert (found[0][0] - SECOND).astimezone(parsed.zone).replace(tzinfo=None) < wall


def _transitions(zone_name):
    """UTC instants (to the minute) where ``zone_name`` changes its offset in 2025-2028."""
    zone = ZoneInfo(zone_name)
    found = []
    moment = utc(2025, 1, 1)
    while moment < utc(2029, 1, 1):
        later = moment + datetime.timedelta(days=1)
        if moment.astimezone(zone).utcoffset() != later.astimezone(zone).utcoffset():
            low, high = moment, later
            while high - low > datetime.timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.replace(second=0, microsecond=0))
        moment = later
    return found


TRANSITIONS = [(zone, moment) for zone in ZONES for moment in _transitions(zone)]


@st.composite
def near_a_change(draw):
    """A daily window starting near a DST change of its zone, and a moment near that change."""
    zone, change = draw(st.sampled_from(TRANSITIONS))
    wall = (change + datetime.timedelta(minutes=draw(st.integers(-240, 240)))).astimezone(ZoneInfo(zone))
    window = win(list(DAY_NAMES), "%02d:%02d" % (wall.hour, wall.minute), draw(st.integers(1, 6 * 60)), zone)
    now = change + datetime.timedelta(minutes=draw(st.integers(-360, 360)))
    return window, now


@settings(database=None, max_examples=150, deadline=None)
@given(case=near_a_change())
def test_dst_changes_against_the_oracle(case):
    window, now = case
    parsed = parse_window(window)
    today = now.astimezone(parsed.zone).date()
    pairs = []
    for back in range(-1, 3):
        for wall in parsed.starts_on(today - datetime.timedelta(days=back)):
            opens, closes = first_at_or_after(wall, parsed.zone), first_at_or_after(wall + parsed.duration, parsed.zone)
            if opens < closes:
                pairs.append((opens, closes))
    assert is_open(window, now) == any(opens <= now < closes for opens, closes in pairs)
    left = time_left(window, now)
    if left:
        assert is_open(window, now + left - SECOND) and not is_open(window, now + left)
    moment = next_open(window, now)
    assert moment >= now and is_open(window, moment)
