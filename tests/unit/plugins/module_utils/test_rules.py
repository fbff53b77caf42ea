# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rules that decide a rollout: targets, HA holds, stops and accounting. No SEPM, no Ansible."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rules

PROPERTY = settings(database=None, max_examples=300, deadline=None)


def results_of(states):
    """The rules read each target's state by name."""
    return dict(states)


# ---------------------------------------------------------------------------------------------
# targets


def test_targets_keep_the_inventory_order_once_each_whatever_the_case():
    hosts = [{"host": "canary", "sepm_name": "WS-CANARY"}, {"host": "sql1", "sepm_name": "SQL-01-N1", "cluster": "sqlA"}]
    names, clusters = rules.resolve_targets(hosts, ["ws-canary", "SQL-01-N2", "WEB-01"], r"^(.+)-N\d+$")
    assert names == ["WS-CANARY", "SQL-01-N1", "SQL-01-N2", "WEB-01"]
    assert clusters == {"SQL-01-N1": "sqlA", "SQL-01-N2": "SQL-01"}, "a host variable wins over the name pattern"


def test_targets_without_a_pattern_have_only_declared_clusters():
    names, clusters = rules.resolve_targets([{"host": "a", "cluster": "c"}], ["SQL-01-N1"], None)
    assert names == ["a", "SQL-01-N1"] and clusters == {"a": "c"}


# ---------------------------------------------------------------------------------------------
# HA holds


def test_members_of_a_cluster_with_a_failed_member_are_held():
    results = results_of({"SQL-01-N1": "failed", "WEB-1": "failed"})
    clusters = {"SQL-01-N1": "SQL-01", "SQL-01-N2": "SQL-01", "SQL-02-N1": "SQL-02"}
    held = rules.held_by_failed_partner(["SQL-01-N2", "SQL-02-N1", "WEB-2"], results, clusters)
    assert list(held) == ["SQL-01-N2"]
    assert "HA partner SQL-01-N1 failed" in held["SQL-01-N2"]


# ---------------------------------------------------------------------------------------------
# stops


def test_the_budget_stops_when_exceeded_not_when_reached():
    batch = ["a", "b", "c", "d"]
    reached = results_of({"a": "failed", "b": "failed", "c": "patched", "d": "patched"})
    assert rules.decide_stop(reached, batch, False, failure_budget=2, max_fail_percentage=100) is None
    exceeded = results_of({"a": "failed", "b": "failed", "c": "failed", "d": "patched"})
    assert rules.decide_stop(exceeded, batch, False, 2, 100) == rules.Stop(rules.BUDGET_EXCEEDED, "skipped")


def test_the_percentage_stops_when_exceeded():
    batch = ["a", "b", "c", "d"]
    quarter = results_of({"a": "failed", "b": "patched", "c": "patched", "d": "patched"})
    assert rules.decide_stop(quarter, batch, False, failure_budget=10, max_fail_percentage=25) is None
    half = results_of({"a": "failed", "b": "failed", "c": "patched", "d": "patched"})
    assert rules.decide_stop(half, batch, False, 10, 25) == rules.Stop(rules.PERCENTAGE_EXCEEDED, "skipped")


def test_failures_win_over_a_closed_window():
    results = results_of({"a": "failed", "b": "failed", "c": "deferred"})
    stop = rules.decide_stop(results, ["a", "b", "c"], True, failure_budget=1, max_fail_percentage=100)
    assert stop.reason == rules.BUDGET_EXCEEDED and stop.fails_run


def test_deferrals_that_are_not_the_window_do_not_stop_the_run():
    results = results_of({"a": "deferred", "b": "deferred"})
    assert rules.decide_stop(results, ["a", "b"], False, 0, 0) is None
    stop = rules.decide_stop(results, ["a", "b"], True, 0, 0)
    assert stop == rules.Stop(rules.WINDOW_CLOSED, "deferred") and not stop.fails_run


@PROPERTY
@given(states=st.lists(st.sampled_from(rules.FINAL_STATES), max_size=40), earlier_failed=st.integers(0, 20),
       budget=st.integers(0, 30), percentage=st.integers(0, 100), window_closed=st.booleans())
def test_stop_rules(states, earlier_failed, budget, percentage, window_closed):
    batch = ["b%d" % number for number in range(len(states))]
    results = results_of(dict(zip(batch, states)))
    results.update(results_of({"e%d" % number: "failed" for number in range(earlier_failed)}))
    stop = rules.decide_stop(results, batch, window_closed, budget, percentage)
    failed_total = states.count("failed") + earlier_failed
    batch_percent = states.count("failed") * 100.0 / len(states) if states else 0
    if failed_total > budget:
        assert stop.reason == rules.BUDGET_EXCEEDED
    elif batch_percent > percentage:
        assert stop.reason == rules.PERCENTAGE_EXCEEDED
    elif window_closed:
        assert stop.reason == rules.WINDOW_CLOSED and stop.state == "deferred"
    else:
        assert stop is None
    if stop is not None:
        assert stop.fails_run == (stop.state == "skipped")


@pytest.mark.parametrize("data", [None, {}])
def test_no_stop_from_empty_state(data):
    assert rules.Stop.from_dict(data) is None
