# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests of the window filters and the window_open test plugin."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings, strategies as st

from ansible.errors import AnsibleFilterError

from ansible_collections.endpoint_ops.sepm.plugins.filter import window as filter_plugin
from ansible_collections.endpoint_ops.sepm.plugins.module_utils import window as window_utils
from ansible_collections.endpoint_ops.sepm.plugins.test import window as test_plugin

UTC = datetime.timezone.utc
FILTERS = filter_plugin.FilterModule().filters()
TESTS = test_plugin.TestModule().tests()
SATURDAY_NIGHT = {"days": ["sat"], "start": "22:00", "duration": "4h", "timezone": "Europe/Berlin"}
WORKDAYS = {"cron": "0 22 * * 1-5", "duration": "2h", "timezone": "America/New_York"}


def test_plugins_are_registered():
    assert set(FILTERS) == {"window_open", "window_time_left", "window_next_open"}
    assert set(TESTS) == {"window_open"}


@pytest.mark.parametrize("now", [
    "2026-03-28T23:00:00+01:00",
    "2026-03-28T22:00:00Z",
    datetime.datetime(2026, 3, 28, 22, tzinfo=UTC),
    1774735200,          # 2026-03-28T22:00:00Z
    1774735200.0,
])
def test_now_forms(now):
    assert FILTERS["window_open"](SATURDAY_NIGHT, now) is True
    assert TESTS["window_open"]([SATURDAY_NIGHT], now) is True
    assert FILTERS["window_time_left"](SATURDAY_NIGHT, now) == 3 * 3600  # 22:00 + 4h ends at 03:00 CEST (01:00 UTC) that night
    assert FILTERS["window_next_open"](SATURDAY_NIGHT, now) is not None


def test_closed_schedule():
    now = "2026-03-28T12:00:00+01:00"
    assert FILTERS["window_open"](SATURDAY_NIGHT, now) is False
    assert TESTS["window_open"](SATURDAY_NIGHT, now) is False
    assert FILTERS["window_time_left"](SATURDAY_NIGHT, now) == 0
    assert FILTERS["window_next_open"](SATURDAY_NIGHT, now) == "2026-03-28T21:00:00+00:00"


def test_next_open_is_now_when_open_and_none_when_over():
    assert FILTERS["window_next_open"](SATURDAY_NIGHT, "2026-03-28T23:00:00+01:00") == "2026-03-28T23:00:00+01:00"
    finished = dict(SATURDAY_NIGHT, end_date="2026-01-01")
    assert FILTERS["window_next_open"](finished, "2026-03-28T12:00:00+01:00") is None


def test_time_left_is_whole_seconds():
    # 2h 0.4s left (22:00 + 4h ends at 02:00), rounded down
    assert FILTERS["window_time_left"](SATURDAY_NIGHT, "2026-01-10T23:59:59.600000+01:00") == 7200
    # on the spring-forward night the end 02:00 does not exist: it is 03:00 CEST, the same instant (01:00 UTC)
    assert FILTERS["window_time_left"](SATURDAY_NIGHT, "2026-03-28T23:00:00+01:00") == 3 * 3600


def test_default_now_is_the_current_time():
    assert isinstance(FILTERS["window_open"]([SATURDAY_NIGHT, WORKDAYS]), bool)
    assert isinstance(FILTERS["window_time_left"]([SATURDAY_NIGHT, WORKDAYS]), int)
    assert isinstance(FILTERS["window_next_open"]([SATURDAY_NIGHT, WORKDAYS]), str)
    assert isinstance(TESTS["window_open"](SATURDAY_NIGHT), bool)


@pytest.mark.parametrize("windows, now, message", [
    ([SATURDAY_NIGHT, dict(SATURDAY_NIGHT, timezone="Mars/Base")], None, "window 2: timezone 'Mars/Base' is not a known IANA time zone"),
    (dict(SATURDAY_NIGHT, duration="0m"), None, "window 1: duration must be more than 0 and at most 7 days, got '0m'"),
    (dict(WORKDAYS, cron="61 * * * *"), None, "window 1: cron '61 * * * *': minute 61 out of range 0-59"),
    ([], None, "at least one window"),
    ("weekends", None, "windows must be a window dict or a list"),
    (SATURDAY_NIGHT, "2026-03-28T23:00:00", "timezone-aware"),
    (SATURDAY_NIGHT, datetime.datetime(2026, 3, 28, 23), "timezone-aware"),
    (SATURDAY_NIGHT, "next saturday", "is not an ISO-8601 date and time"),
])
def test_errors_are_one_line_filter_errors(windows, now, message):
    for function in list(FILTERS.values()) + list(TESTS.values()):
        with pytest.raises(AnsibleFilterError) as raised:
            function(windows, now)
        text = str(raised.value)
        assert message in text
        assert "\n" not in text


NOW = st.datetimes(min_value=datetime.datetime(2025, 1, 1), max_value=datetime.datetime(2028, 12, 31),
                   timezones=st.just(UTC)).map(lambda moment: moment.replace(microsecond=0))


@settings(database=None, max_examples=100, deadline=None)
@given(now=NOW, windows=st.sampled_from([SATURDAY_NIGHT, WORKDAYS, [SATURDAY_NIGHT, WORKDAYS]]))
def test_filters_agree_with_module_utils(now, windows):
    text = now.isoformat()
    assert FILTERS["window_open"](windows, text) is window_utils.is_open(windows, now)
    assert TESTS["window_open"](windows, text) is window_utils.is_open(windows, now)
    assert FILTERS["window_time_left"](windows, text) == int(window_utils.time_left(windows, now).total_seconds())
    moment = datetime.datetime.fromisoformat(FILTERS["window_next_open"](windows, text))
    assert moment == window_utils.next_open(windows, now)
    assert FILTERS["window_open"](windows, moment.isoformat())
