# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rollout engine's pure parts: staging paths and the options checked before any write."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.options import hands_off_restarts
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import check_options, home_of, staging_path

GOOD = {"windows": [{"days": ["sat"], "start": "22:00", "duration": "6h", "timezone": "UTC"}], "ignore_windows": False,
        "policy_timeout": 900, "delivery_timeout": 3600, "restart_timeout": 1800, "poll_interval": 30, "cutoff": 0,
        "failure_budget": 5, "max_fail_percentage": 20, "max_unavailable_per_cluster": 1, "staging_group": "Patch Staging",
        "target_version": "", "serial": [1, "10%"]}


def test_home_of_a_staged_computer_is_the_parent():
    assert home_of("My Company\\Servers\\SQL\\Patch Staging") == "My Company\\Servers\\SQL"
    assert home_of("My Company\\Servers\\SQL\\patch staging") == "My Company\\Servers\\SQL"
    assert home_of("My Company\\Servers\\SQL") == "My Company\\Servers\\SQL"
    assert home_of("My Company\\Servers\\SQL\\Stage", staging_group="Stage") == "My Company\\Servers\\SQL"
    assert staging_path("My Company\\Web") == "My Company\\Web\\Patch Staging"


def test_good_options_get_the_cutoff_of_the_three_timeouts():
    assert check_options(dict(GOOD))["cutoff"] == 900 + 3600 + 1800


@pytest.mark.parametrize("asked, before, after, hands_off", [
    (True, "", "", True),
    (True, "hooks/ticket.yml", "", False),
    (True, "", "hooks/webhook.yml", False),
    (False, "", "", False),
    ("yes", "", "", False),  # only a real true: a string from a survey is not a yes here
])
def test_a_batch_hands_the_next_restart_off_only_when_asked_and_no_hook_runs_between(asked, before, after, hands_off):
    checked = check_options(dict(GOOD, hand_off_restarts=asked, before_batch_tasks=before, after_batch_tasks=after))
    assert hands_off_restarts(checked) is hands_off
    assert checked["before_batch_tasks"] == before and checked["after_batch_tasks"] == after


def test_a_run_from_before_the_hand_off_never_hands_off():
    assert hands_off_restarts(check_options(dict(GOOD))) is False


@pytest.mark.parametrize("change, message", [
    ({"windows": []}, "give rollout_windows"),
    ({"windows": [{"days": ["sat"], "start": "22:00", "duration": "99999999999999d", "timezone": "UTC"}]}, "rollout_windows"),
    ({"poll_interval": -1}, "rollout_poll_interval must be from"),
    ({"poll_interval": 0}, "rollout_poll_interval must be from"),
    ({"policy_timeout": 10 ** 13}, "rollout_policy_timeout must be from"),
    ({"restart_timeout": float("nan")}, "rollout_restart_timeout must be a number"),
    ({"staging_group": ""}, "rollout_staging_group must be one group name"),
    ({"staging_group": "A\\B"}, "rollout_staging_group must be one group name"),
    ({"staging_group": "x" * 65}, "rollout_staging_group must be one group name"),
    ({"target_version": "abc"}, "rollout_target_version 'abc' is not a SEP version"),
    ({"failure_budget": -1}, "rollout_failure_budget must be from"),
    ({"max_fail_percentage": 101}, "rollout_max_fail_percentage must be from"),
    ({"serial": [0]}, "rollout_serial"),
])
def test_bad_options_fail_in_one_line_naming_the_variable(change, message):
    with pytest.raises(ValueError) as error:
        check_options(dict(GOOD, **change), prefix="rollout_")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


ANY_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 15, 10 ** 15), st.floats(allow_nan=True),
                      st.text(max_size=80), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


@settings(database=None, max_examples=300, deadline=None)
@given(changes=st.dictionaries(st.sampled_from(sorted(GOOD)), ANY_VALUE, min_size=1, max_size=4))
def test_any_option_value_is_accepted_or_refused_in_one_line(changes):
    try:
        checked = check_options(dict(GOOD, **changes), prefix="rollout_")
    except SepmInputError as error:
        assert "\n" not in str(error) and "rollout_" in str(error)
    else:
        assert checked["policy_timeout"] >= 1 and checked["poll_interval"] > 0 and checked["staging_group"]
