# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests of who may take the patch ahead of their batch, and of the health watch both methods share."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rules
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.driver import HealthWatch

PROPERTY = settings(database=None, max_examples=300, deadline=None)
RESTARTED = 1_800_000_000_000
BACK = RESTARTED + 200_000
HEARTBEAT_MS = 300_000


def test_a_clean_run_delivers_ahead_to_everyone_without_a_partner_in_flight():
    allowed, held = rules.deliver_ahead(["WS-3", "WS-4"], ["WS-1", "WS-2"], {"WS-1": "waiting"}, {})
    assert allowed == ["WS-3", "WS-4"] and held == {}


def test_one_failed_computer_holds_the_whole_next_batch():
    allowed, held = rules.deliver_ahead(["WS-3", "WS-4"], ["WS-2"], {"WS-1": "failed", "WS-2": "waiting"}, {})
    assert allowed == []
    assert held == {"WS-3": rules.NOT_CLEAN, "WS-4": rules.NOT_CLEAN}


def test_the_partner_of_a_member_in_flight_waits_and_says_for_whom():
    clusters = {"SQL-A": "sql", "SQL-B": "sql", "WEB-1": "web"}
    allowed, held = rules.deliver_ahead(["SQL-B", "WEB-1"], ["SQL-A"], {}, clusters)
    assert allowed == ["WEB-1"]
    assert held == {"SQL-B": "HA partner SQL-A is in flight: it takes the patch only after SQL-A is back"}


def test_a_member_of_a_cluster_whose_partners_are_home_goes_ahead():
    allowed, held = rules.deliver_ahead(["SQL-B"], ["WEB-1"], {"SQL-A": "patched"}, {"SQL-A": "sql", "SQL-B": "sql"})
    assert allowed == ["SQL-B"] and held == {}


NAMES = ["C%02d" % number for number in range(12)]


@PROPERTY
@given(next_batch=st.lists(st.sampled_from(NAMES), unique=True),
       in_flight=st.lists(st.sampled_from(NAMES), unique=True),
       clusters=st.dictionaries(st.sampled_from(NAMES), st.sampled_from(["a", "b", "c"])),
       failed=st.sets(st.sampled_from(NAMES), max_size=2))
def test_nothing_a_stop_or_an_ha_rule_may_protect_is_delivered_ahead(next_batch, in_flight, clusters, failed):
    next_batch = [name for name in next_batch if name not in in_flight]
    states = dict((name, "failed") for name in failed)
    allowed, held = rules.deliver_ahead(next_batch, in_flight, states, clusters)
    assert sorted(allowed + list(held)) == sorted(next_batch), "every computer is either allowed or held, with a reason"
    if failed:
        assert allowed == []
    flying_clusters = {clusters[name] for name in in_flight if name in clusters}
    assert not [name for name in allowed if clusters.get(name) in flying_clusters]


# -- the health watch ----------------------------------------------------------------------------


def healthy(**fields):
    data = {"online": True, "last_update_time": BACK + HEARTBEAT_MS, "reboot_required": False, "ap_on_off": 1,
            "av_engine_on_off": 1, "firewall_on_off": 1, "tamper_on_off": 1, "infected": False,
            "worst_infection_idx": "9999", "av_defset_version": "240820021"}
    data.update(fields)
    return data


def test_the_watch_settles_the_healthy_at_once_and_the_unhealthy_only_after_the_settle_time():
    watch = HealthWatch({"WS-1": healthy(), "WS-2": healthy()}, RESTARTED)
    watch.watch("WS-1", {"last_update_time": BACK})
    watch.watch("WS-2", {"last_update_time": BACK})
    readings = {"WS-1": healthy(), "WS-2": healthy(ap_on_off=0)}
    settle = 2 * HEARTBEAT_MS / 1000

    early = watch.update(readings, BACK + HEARTBEAT_MS, ["protection"], lambda _name: settle)
    assert {name: found.state for name, found in early.items()} == {"WS-1": "healthy"}
    assert watch.waiting() == ["WS-2"]

    late = watch.update(readings, BACK + 2 * HEARTBEAT_MS, ["protection"], lambda _name: settle)
    assert late["WS-2"].state == "unhealthy" and "Auto-Protect off, on before" in late["WS-2"].reason
    assert watch.waiting() == []


def test_the_watch_survives_the_run_file_between_tasks():
    watch = HealthWatch({"WS-1": healthy()}, RESTARTED, done=["WS-9"])
    watch.watch("WS-1", {"last_update_time": BACK})
    again = HealthWatch.from_dict(watch.to_dict())
    assert again.waiting() == ["WS-1"] and again.to_dict() == watch.to_dict()


def test_a_computer_that_was_never_watched_is_not_judged():
    watch = HealthWatch({"WS-1": healthy()}, RESTARTED)
    assert watch.update({"WS-1": healthy(ap_on_off=0)}, BACK * 2, ["protection"], lambda _name: 0) == {}
