# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests of batch planning: serial sizes, preflight and cluster-aware batches."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.groups import group_sizes
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.plan import (
    Plan,
    batch_sizes,
    check_group_budget,
    classify,
    group_room,
    hold_reason,
    iter_batches,
    may_download,
    plan_rollout,
    spaces_partners,
    split_batches,
)

PROPERTY = settings(database=None, max_examples=200, deadline=None)
SEPM = "14.3.10148.9000"      # 14.3 RU9
TARGET = "14.3.10148.9100"    # 14.3 RU9 MP1
OLD = "14.3.10148.9000"
RU8 = "14.3.9681.8000"


def host(name, version=OLD, online=True, os_name="Windows Server 2022", cluster=None, **extra):
    data = {"name": name, "agent_version": version, "online": online, "os_name": os_name}
    if cluster is not None:
        data["cluster"] = cluster
    data.update(extra)
    return data


# ---------------------------------------------------------------------------------------------
# batch_sizes


@pytest.mark.parametrize("serial, total, sizes", [
    (1, 3, [1, 1, 1]),
    (5, 12, [5, 5, 2]),
    ("50%", 5, [2, 2, 1]),
    ("10%", 5, [1, 1, 1, 1, 1]),          # rounded down to 0, minimum 1
    ("29%", 100, [29, 29, 29, 13]),        # integer arithmetic: not 28
    ("150%", 7, [7]),                      # above 100% counts as 100%
    ([1, "10%", "25%"], 100, [1, 10, 25, 25, 25, 14]),
    ([1, 2], 6, [1, 2, 2, 1]),
    ([10, 1], 4, [4]),
    ("3", 7, [3, 3, 1]),
    (3, 0, []),
    ([" 20 % "], 10, [2, 2, 2, 2, 2]),
])
def test_batch_sizes(serial, total, sizes):
    assert batch_sizes(serial, total) == sizes


@pytest.mark.parametrize("serial", [0, -1, "0%", "-5%", "abc", "10.5%", 1.5, True, None, [], [1, "x"], [[1]], {"a": 1}])
def test_batch_sizes_refuses_bad_serial(serial):
    with pytest.raises(ValueError) as raised:
        batch_sizes(serial, 10)
    assert "\n" not in str(raised.value)
    with pytest.raises(ValueError):
        batch_sizes(serial, 0)


@pytest.mark.parametrize("total", [-1, 1.0, "3", True])
def test_batch_sizes_refuses_bad_total(total):
    with pytest.raises(ValueError):
        batch_sizes(1, total)


SERIAL_ITEM = st.one_of(st.integers(1, 30), st.integers(1, 150).map(lambda value: "%d%%" % value))
SERIAL = st.one_of(SERIAL_ITEM, st.lists(SERIAL_ITEM, min_size=1, max_size=4))


def _expected_size(item, total):
    if isinstance(item, str):
        return max(1, min(int(item[:-1]), 100) * total // 100)
    return item


@PROPERTY
@given(serial=SERIAL, total=st.integers(0, 500))
def test_batch_sizes_property(serial, total):
    sizes = batch_sizes(serial, total)
    assert sum(sizes) == total
    assert all(size >= 1 for size in sizes)
    items = serial if isinstance(serial, list) else [serial]
    nominal = [_expected_size(items[min(index, len(items) - 1)], total) for index in range(len(sizes))]
    assert sizes[:-1] == nominal[:-1]
    if sizes:
        assert 1 <= sizes[-1] <= nominal[-1]


# ---------------------------------------------------------------------------------------------
# classify


def test_classify_examples():
    assert classify(host("a"), TARGET, SEPM) is None
    assert classify(host("a", version=TARGET), TARGET, SEPM) == ("compliant", "already at %s" % TARGET)
    assert classify(host("a", version="14.3.10148.9200"), TARGET, SEPM) == ("compliant", "already at 14.3.10148.9200")
    assert classify(host("a", online=False), TARGET, SEPM) == ("skipped", "offline")
    assert classify(host("a", online=False), TARGET, SEPM, offline="wait") is None
    assert classify(host("a", os_name="Ubuntu 22.04"), TARGET, SEPM) == (
        "skipped", "not a Windows client: client patches through LiveUpdate are for Windows")
    assert classify(host("a", os_name=None, operating_system="Microsoft Windows 11 Enterprise"), TARGET, SEPM) is None
    assert classify(host("a", os_name=None), TARGET, SEPM)[0] == "skipped"
    assert classify(host("a", version=RU8), TARGET, SEPM) == (
        "skipped", "release 14.3 RU8 differs from the SEPM's 14.3 RU9: clients take patches from the SEPM only in its own release")
    state, reason = classify(host("a", version=""), TARGET, SEPM)
    assert state == "skipped" and "release is unknown" in reason


def test_classify_puts_lasting_reasons_before_offline():
    assert classify(host("a", online=False, os_name="macOS 14"), TARGET, SEPM)[1].startswith("not a Windows client")
    assert classify(host("a", online=False, version=RU8), TARGET, SEPM)[1].startswith("release 14.3 RU8")
    assert classify(host("a", online=False, version=TARGET), TARGET, SEPM)[0] == "compliant"


def test_classify_refuses_bad_arguments():
    with pytest.raises(ValueError, match="offline"):
        classify(host("a"), TARGET, SEPM, offline="maybe")
    with pytest.raises(ValueError, match="sepm_version"):
        classify(host("a"), TARGET, "unknown")


# ---------------------------------------------------------------------------------------------
# plan_rollout examples


def test_plan_keeps_order_and_canary_first():
    hosts = [host("canary")] + [host("h%02d" % number) for number in range(20)]
    plan = plan_rollout(hosts, TARGET, SEPM)
    assert plan.batches[0] == ["canary"]
    assert [len(batch) for batch in plan.batches] == batch_sizes((1, "10%", "25%"), 21)
    assert [name for batch in plan.batches for name in batch] == [item["name"] for item in hosts]
    assert plan.accounted == {}


def test_plan_accounts_for_every_skipped_host():
    hosts = [host("done", version=TARGET), host("off", online=False), host("linux", os_name="Red Hat Enterprise Linux 9"),
             host("ru8", version=RU8), host("a"), host("b")]
    plan = plan_rollout(hosts, TARGET, SEPM, serial=1)
    assert plan.batches == [["a"], ["b"]]
    assert set(plan.accounted) == {"done", "off", "linux", "ru8"}
    assert plan.accounted["off"] == ("skipped", "offline")
    waiting = plan_rollout(hosts, TARGET, SEPM, serial=1, offline="wait")
    assert waiting.batches == [["off"], ["a"], ["b"]]


def test_cluster_members_wait_for_later_batches():
    hosts = [host("sql1", cluster="sql"), host("sql2", cluster="sql"), host("web1"), host("sql3", cluster="sql"),
             host("web2"), host("dc1", cluster="dc"), host("dc2", cluster="dc")]
    plan = plan_rollout(hosts, TARGET, SEPM, serial=3)
    assert plan.batches == [["sql1", "web1", "web2"], ["sql2", "dc1"], ["sql3", "dc2"]]
    two = plan_rollout(hosts, TARGET, SEPM, serial=3, max_unavailable_per_cluster=2)
    # sql3, the last of its cluster, waits a batch more: web2, dc1 and dc2 fill batch 2, and batch 2 can then take
    # its patch while sql1 and sql2 restart (no partner of theirs in it).
    assert two.batches == [["sql1", "sql2", "web1"], ["web2", "dc1", "dc2"], ["sql3"]]
    assert plan_rollout(hosts, TARGET, SEPM, serial=3, max_unavailable_per_cluster=2, space_partners=False).batches == [
        ["sql1", "sql2", "web1"], ["sql3", "web2", "dc1"], ["dc2"]]


def test_only_blocked_hosts_left_makes_smaller_batches():
    hosts = [host("n%d" % number, cluster="ha") for number in range(3)]
    assert plan_rollout(hosts, TARGET, SEPM, serial="100%").batches == [["n0"], ["n1"], ["n2"]]


# ---------------------------------------------------------------------------------------------
# HA partners two batches apart, so the batch after a member's can take its patch ahead


def test_partners_go_two_batches_apart_when_other_hosts_fill_the_batch_between():
    hosts = [host("SQL-01-N1", cluster="SQL-01"), host("SQL-01-N2", cluster="SQL-01")] + [host("WS-%d" % n) for n in range(1, 5)]
    plan = plan_rollout(hosts, TARGET, SEPM, serial=2)
    assert plan.batches == [["SQL-01-N1", "WS-1"], ["WS-2", "WS-3"], ["SQL-01-N2", "WS-4"]]
    assert plan.group_holds == [{}, {}, {}]
    # Before, the partner went in the very next batch, which then took its patch only in its own turn.
    assert plan_rollout(hosts, TARGET, SEPM, serial=2, space_partners=False).batches == [
        ["SQL-01-N1", "WS-1"], ["SQL-01-N2", "WS-2"], ["WS-3", "WS-4"]]


def test_with_two_batches_ahead_partners_go_three_batches_apart():
    """While batch k restarts, batches k+1 and k+2 take their patch ahead: a partner in either would wait for its turn."""
    hosts = [host("SQL-01-N1", cluster="SQL-01"), host("SQL-01-N2", cluster="SQL-01")] + [host("WS-%d" % n) for n in range(1, 7)]
    plan = plan_rollout(hosts, TARGET, SEPM, serial=2, space_partners=2)
    assert plan.batches == [["SQL-01-N1", "WS-1"], ["WS-2", "WS-3"], ["WS-4", "WS-5"], ["SQL-01-N2", "WS-6"]]
    # Spacing is never bought with a longer rollout: without hosts enough between, the partner goes when it must.
    short = plan_rollout(hosts[:5], TARGET, SEPM, serial=2, space_partners=2)
    assert len(short.batches) == len(plan_rollout(hosts[:5], TARGET, SEPM, serial=2, space_partners=False).batches)


def test_partners_are_kept_as_many_batches_apart_as_go_ahead():
    assert spaces_partners("liveupdate", True, 2) == 2 and spaces_partners("liveupdate", None, None) == 1
    assert spaces_partners("liveupdate", False, 2) == 0 and spaces_partners("package", True, 3) == 0


def test_the_canary_partner_waits_for_the_third_batch():
    hosts = [host("SQL-01-N1", cluster="SQL-01"), host("SQL-01-N2", cluster="SQL-01")] + [host("WS-%02d" % n) for n in range(1, 20)]
    plan = plan_rollout(hosts, TARGET, SEPM)          # serial [1, "10%", "25%"]: 1, 2, then 5 at a time
    assert plan.batches[:3] == [["SQL-01-N1"], ["WS-01", "WS-02"], ["SQL-01-N2", "WS-03", "WS-04", "WS-05", "WS-06"]]
    assert [len(batch) for batch in plan.batches] == batch_sizes((1, "10%", "25%"), 21)


def test_with_only_partners_left_a_batch_still_fills():
    pairs = [host("A-N1", cluster="A"), host("B-N1", cluster="B"), host("A-N2", cluster="A"), host("B-N2", cluster="B")]
    assert plan_rollout(pairs, TARGET, SEPM, serial=2).batches == [["A-N1", "B-N1"], ["A-N2", "B-N2"]]
    # One workstation is not enough for batch 2: it takes it first, then the partners, in queue order.
    hosts = pairs[:2] + [host("WS-1")] + pairs[2:] + [host("WS-2")]
    assert plan_rollout(hosts, TARGET, SEPM, serial=3).batches == [["A-N1", "B-N1", "WS-1"], ["A-N2", "B-N2", "WS-2"]]


@pytest.mark.parametrize("workstations, serial, batches", [
    (0, (1, "10%", "25%"), [["A-N1"], ["A-N2"]]),          # a lone pair: nothing to put between them
    (1, (1, "10%", "25%"), [["A-N1"], ["WS-1"], ["A-N2"]]),
    (1, 2, [["A-N1", "WS-1"], ["A-N2"]]),
    (1, 3, [["A-N1", "WS-1"], ["A-N2"]]),
    (2, 2, [["A-N1", "WS-1"], ["A-N2", "WS-2"]]),          # batch 2 does not fill without A-N2: no batch is left short
])
def test_small_fleets(workstations, serial, batches):
    hosts = [host("A-N1", cluster="A"), host("A-N2", cluster="A")] + [host("WS-%d" % n) for n in range(1, workstations + 1)]
    assert plan_rollout(hosts, TARGET, SEPM, serial=serial).batches == batches


def test_room_two_with_three_member_clusters():
    hosts = [host("C-N%d" % n, cluster="C") for n in (1, 2, 3)] + [host("D-N%d" % n, cluster="D") for n in (1, 2, 3)] + \
        [host("WS-%d" % n) for n in range(1, 7)]
    plan = plan_rollout(hosts, TARGET, SEPM, serial=4, max_unavailable_per_cluster=2)
    assert plan.batches == [["C-N1", "C-N2", "D-N1", "D-N2"], ["WS-1", "WS-2", "WS-3", "WS-4"], ["C-N3", "D-N3", "WS-5", "WS-6"]]
    # After a canary the two members left fit the room: they wait a batch and go together.
    canary = plan_rollout(hosts[:3] + hosts[6:10], TARGET, SEPM, serial=[1, 3], max_unavailable_per_cluster=2)
    assert canary.batches == [["C-N1"], ["WS-1", "WS-2", "WS-3"], ["C-N2", "C-N3", "WS-4"]]


def test_a_cluster_with_more_left_than_its_room_goes_batch_after_batch():
    hosts = [host("C-N%d" % n, cluster="C") for n in (1, 2, 3)] + [host("WS-%d" % n) for n in range(1, 5)]
    # Spacing it every other batch would stretch three members over five batches; the last one still waits a batch.
    assert plan_rollout(hosts, TARGET, SEPM, serial=2).batches == [["C-N1", "WS-1"], ["C-N2", "WS-2"], ["WS-3", "WS-4"], ["C-N3"]]


def test_spacing_never_makes_the_plan_longer():
    hosts = [host("A-N1", cluster="A"), host("B-N1", cluster="B"), host("C-N1", cluster="C"), host("A-N2", cluster="A"),
             host("B-N2", cluster="B"), host("C-N2", cluster="C"), host("WS-1"), host("C-N3", cluster="C")]
    queue = [(item["name"], item.get("cluster"), None) for item in hosts]
    # Batch by batch, spacing would spend WS-1 early and leave C's last two members a batch each.
    assert len(list(iter_batches(queue, 2, {}))) == 5
    plain = [["A-N1", "B-N1"], ["C-N1", "A-N2"], ["B-N2", "C-N2"], ["WS-1", "C-N3"]]
    assert plan_rollout(hosts, TARGET, SEPM, serial=2).batches == plain
    holds = []
    assert split_batches(queue, 2, {}, None, holds) == plain and holds == [{}] * 4


def test_group_budgets_with_clusters_hold_back_only_what_the_budget_kept_out():
    hosts = [host("B-N1", cluster="B", group=BRANCH), host("WS-1"), host("B-N2", cluster="B", group=BRANCH), host("WS-2"),
             host("BR-1", group=BRANCH), host("WS-3"), host("WS-4"), host("BR-2", group=BRANCH), host("WS-5")]
    plan = plan_rollout(hosts, TARGET, SEPM, serial=3, max_restarting_per_group=1)
    assert plan.batches == [["B-N1", "WS-1", "WS-2"], ["BR-1", "WS-3", "WS-4"], ["B-N2", "WS-5"], ["BR-2"]]
    # B-N2 waits for its cluster (in batch 1: its partner is in it; in batch 2: its partner's batch was just before),
    # not for the branch's budget; in batch 3 B-N2 takes the branch's one place, and BR-2 waits for the budget.
    assert plan.group_holds == [{}, {}, {"BR-2": BRANCH}, {}]
    assert plan.held_back(2) == {"BR-2": "group budget: at most 1 of My Company\\Branch restarting at once"}


def test_only_liveupdate_batches_with_deliver_ahead_space_partners():
    assert spaces_partners("liveupdate") and spaces_partners("liveupdate", None)
    assert not spaces_partners("liveupdate", False)
    assert not spaces_partners("package"), "a package batch goes host by host and never takes the patch ahead"


def test_plan_to_dict_is_json():
    plan = plan_rollout([host("a"), host("b", online=False)], TARGET, SEPM)
    data = plan.to_dict()
    assert json.loads(json.dumps(data)) == {"batches": [["a"]], "accounted": {"b": {"state": "skipped", "reason": "offline"}},
                                            "cluster_room": {}, "group_room": {}, "restart_room": {}, "download_room": {},
                                            "group_holds": [{}]}
    assert isinstance(plan, Plan)


@pytest.mark.parametrize("hosts, kwargs, message", [
    ([host("a"), host("a")], {}, "more than once"),
    ([{"agent_version": OLD}], {}, "needs a name"),
    (["a"], {}, "needs a name"),
    ([host("a")], {"max_unavailable_per_cluster": 0}, "max_unavailable_per_cluster"),
    ([host("a")], {"max_unavailable_per_cluster": True}, "max_unavailable_per_cluster"),
    ([host("a")], {"serial": 0}, "serial"),
    ([host("a", version=TARGET)], {"serial": "abc"}, "serial"),   # checked even when nothing is batched
    ([host("a")], {"offline": "later"}, "offline"),
])
def test_plan_refuses_bad_input(hosts, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plan_rollout(hosts, TARGET, SEPM, **kwargs)


# ---------------------------------------------------------------------------------------------
# plan_rollout properties


@st.composite
def fleets(draw, clusters=True):
    count = draw(st.integers(0, 60))
    hosts = []
    for number in range(count):
        hosts.append(host(
            "host%03d" % number,
            version=draw(st.sampled_from([OLD, OLD, OLD, TARGET, RU8, ""])),
            online=draw(st.booleans()) or draw(st.booleans()),
            os_name=draw(st.sampled_from(["Windows 10 Enterprise", "Windows Server 2019", "Ubuntu 22.04"])),
            cluster=draw(st.one_of(st.none(), st.sampled_from(["c1", "c2", "c3"]))) if clusters else None,
        ))
    return draw(st.permutations(hosts))


def down_outside_the_batches(hosts, offline):
    """Per cluster, its members that are offline and not batched, whatever their rollout state."""
    down = {}
    for item in hosts:
        if item.get("cluster") and not item["online"] and classify(item, TARGET, SEPM, offline) is not None:
            down[item["cluster"]] = down.get(item["cluster"], 0) + 1
    return down


def expected_outcomes(hosts, offline, max_unavailable=1):
    """classify() per host, with "held" for members of a cluster whose offline members leave no room to restart one."""
    outcomes = dict((item["name"], classify(item, TARGET, SEPM, offline)) for item in hosts)
    down = down_outside_the_batches(hosts, offline)
    for item in hosts:
        if outcomes[item["name"]] is None and down.get(item.get("cluster"), 0) >= max_unavailable:
            outcomes[item["name"]] = "held"
    return outcomes


@pytest.mark.parametrize("partner", [
    {"version": TARGET},                   # already patched (compliant) but offline
    {"os_name": "Ubuntu 22.04"},           # not a patch target, but offline
    {},                                    # offline, skipped as offline
])
def test_an_offline_member_holds_its_cluster_back_whatever_its_own_state(partner):
    hosts = [host("SQL-01-N1", online=False, cluster="SQL-01", **partner), host("SQL-01-N2", cluster="SQL-01"),
             host("SQL-01-N3", cluster="SQL-01"), host("WS-1")]
    plan = plan_rollout(hosts, TARGET, SEPM, serial=4)
    assert plan.batches == [["WS-1"]]
    for name in ("SQL-01-N2", "SQL-01-N3"):
        state, reason = plan.accounted[name]
        assert state == "skipped" and "HA partner SQL-01-N1 is offline" in reason


def test_an_offline_member_takes_one_of_the_clusters_places():
    hosts = [host("SQL-01-N1", online=False, version=TARGET, cluster="SQL-01"), host("SQL-01-N2", cluster="SQL-01"),
             host("SQL-01-N3", cluster="SQL-01")]
    plan = plan_rollout(hosts, TARGET, SEPM, serial=3, max_unavailable_per_cluster=2)
    assert plan.batches == [["SQL-01-N2"], ["SQL-01-N3"]], "with one member down, only one more may restart at a time"


def test_cluster_with_an_offline_member_is_held_back():
    hosts = [host("SQL-01-N1", online=False, cluster="SQL-01"), host("SQL-01-N2", cluster="SQL-01"), host("WS-1")]
    plan = plan_rollout(hosts, TARGET, SEPM, serial=1)
    assert plan.batches == [["WS-1"]]
    assert plan.accounted["SQL-01-N1"] == ("skipped", "offline")
    state, reason = plan.accounted["SQL-01-N2"]
    assert state == "skipped" and "HA partner SQL-01-N1 is offline" in reason


@PROPERTY
@given(hosts=fleets(), serial=SERIAL, max_unavailable=st.integers(1, 3), offline=st.sampled_from(["skip", "wait"]))
def test_plan_properties(hosts, serial, max_unavailable, offline):
    plan = plan_rollout(hosts, TARGET, SEPM, serial=serial, max_unavailable_per_cluster=max_unavailable, offline=offline)
    batched = [name for batch in plan.batches for name in batch]
    # every host exactly once, in a batch or accounted for
    assert sorted(batched + list(plan.accounted)) == sorted(item["name"] for item in hosts)
    assert len(set(batched)) == len(batched)
    assert not set(batched) & set(plan.accounted)
    # accounted states are the classify() outcomes; batched ones classify to None
    by_name = dict((item["name"], item) for item in hosts)
    expected = expected_outcomes(hosts, offline, max_unavailable)
    for name, outcome in plan.accounted.items():
        if expected[name] == "held":
            assert outcome[0] == "skipped" and outcome[1].startswith("HA partner ")
        else:
            assert outcome == expected[name]
    eligible = [item["name"] for item in hosts if expected[item["name"]] is None]
    assert sorted(batched) == sorted(eligible)
    # clusters and sizes
    items = serial if isinstance(serial, list) else [serial]
    for index, batch in enumerate(plan.batches):
        assert batch
        clusters = [by_name[name].get("cluster") for name in batch if by_name[name].get("cluster")]
        down = down_outside_the_batches(hosts, offline)
        assert all(clusters.count(cluster) + down.get(cluster, 0) <= max_unavailable for cluster in clusters)
        assert len(batch) <= _expected_size(items[min(index, len(items) - 1)], len(eligible))
    # unconstrained hosts keep their relative order, and so does each cluster
    free = [name for name in eligible if not by_name[name].get("cluster")]
    assert [name for name in batched if not by_name[name].get("cluster")] == free
    for cluster in ("c1", "c2", "c3"):
        members = [name for name in eligible if by_name[name].get("cluster") == cluster]
        assert [name for name in batched if by_name[name].get("cluster") == cluster] == members
    # the first batch starts with the first eligible host; with serial 1 first it is that host alone
    if eligible:
        assert plan.batches[0][0] == eligible[0]
        if items[0] == 1:
            assert plan.batches[0] == [eligible[0]]


@PROPERTY
@given(hosts=fleets(clusters=False), serial=SERIAL)
def test_plan_without_clusters_uses_serial_sizes_exactly(hosts, serial):
    plan = plan_rollout(hosts, TARGET, SEPM, serial=serial)
    eligible = [item["name"] for item in hosts if classify(item, TARGET, SEPM) is None]
    assert [len(batch) for batch in plan.batches] == batch_sizes(serial, len(eligible))
    assert [name for batch in plan.batches for name in batch] == eligible


# ---------------------------------------------------------------------------------------------
# group budgets

BRANCH = "My Company\\Branch"
OFFICE = "My Company\\Office"


@pytest.mark.parametrize("budget, size, room", [(3, 40, 3), ("10%", 40, 4), ("10%", 39, 3), ("10%", 5, 1), ("100%", 7, 7),
                                                (50, 7, 50)])
def test_group_room(budget, size, room):
    assert group_room(check_group_budget(budget), size) == room


@pytest.mark.parametrize("value, normal", [(None, None), ("", None), (2, 2), (" 4 ", 4), ("25%", "25%"), (" 5 % ", "5%")])
def test_check_group_budget(value, normal):
    assert check_group_budget(value) == normal


@pytest.mark.parametrize("value", [0, -1, "0%", "101%", "ten", 1.5, True, [3], "3.5%"])
def test_a_bad_group_budget_is_one_line(value):
    with pytest.raises(ValueError) as raised:
        check_group_budget(value, "rollout_max_restarting_per_group")
    assert str(raised.value).startswith("rollout_max_restarting_per_group") and "\n" not in str(raised.value)
    with pytest.raises(ValueError, match="max_downloading_per_group"):
        plan_rollout([host("a")], TARGET, SEPM, max_downloading_per_group=value)


def test_a_percentage_is_of_the_whole_group_in_the_sepm_not_of_the_targets():
    hosts = [host("b%d" % number, group=BRANCH) for number in range(6)]
    # 6 targets of a branch of 40 computers: 10% is 4 at once.
    plan = plan_rollout(hosts, TARGET, SEPM, serial=6, max_restarting_per_group="10%", group_sizes={BRANCH.upper(): 40})
    assert plan.batches == [["b0", "b1", "b2", "b3"], ["b4", "b5"]]
    assert plan.group_room == {BRANCH: 4}
    assert plan.group_holds == [{"b4": BRANCH, "b5": BRANCH}, {}]
    # Without its size the group counts the hosts the plan knows, patched ones too.
    known = hosts + [host("b9", version=TARGET, group=BRANCH)]
    assert plan_rollout(known, TARGET, SEPM, serial=6, max_restarting_per_group="50%").group_room == {BRANCH: 3}


def test_group_sizes_come_from_the_sepm_group_records():
    records = [{"fullPathName": BRANCH, "numberOfPhysicalComputers": 40}, {"fullPathName": OFFICE, "numberOfPhysicalComputers": None},
               {"fullPathName": None, "numberOfPhysicalComputers": 3}]
    assert group_sizes(records) == {BRANCH: 40, OFFICE: 0}
    hosts = [host("b%d" % number, group=BRANCH) for number in range(6)]
    assert plan_rollout(hosts, TARGET, SEPM, max_restarting_per_group="10%", group_sizes=group_sizes(records)).group_room == {BRANCH: 4}


def test_a_host_that_does_not_fit_waits_keeping_its_place():
    hosts = [host("b1", group=BRANCH), host("b2", group=BRANCH), host("o1", group=OFFICE), host("b3", group=BRANCH),
             host("o2", group=OFFICE)]
    plan = plan_rollout(hosts, TARGET, SEPM, serial=3, max_restarting_per_group=1)
    assert plan.batches == [["b1", "o1"], ["b2", "o2"], ["b3"]]
    assert plan.group_holds[0] == {"b2": BRANCH}
    assert plan.group_holds[1] == {"b3": BRANCH}
    assert plan.held_back(0) == {"b2": "group budget: at most 1 of My Company\\Branch restarting at once"}


def test_the_home_group_counts_for_a_computer_in_a_staging_group():
    hosts = [host("b1", group=BRANCH + "\\Patch Staging", home=BRANCH), host("b2", group=BRANCH)]
    assert plan_rollout(hosts, TARGET, SEPM, serial=2, max_restarting_per_group=1).batches == [["b1"], ["b2"]]


def test_the_download_budget_also_bounds_a_batch_and_the_smaller_budget_wins():
    hosts = [host("b%d" % number, group=BRANCH) for number in range(5)]
    plan = plan_rollout(hosts, TARGET, SEPM, serial=5, max_restarting_per_group=3, max_downloading_per_group=2)
    assert [len(batch) for batch in plan.batches] == [2, 2, 1]
    assert plan.download_room == {BRANCH: 2} and plan.group_room == {BRANCH: 2}
    assert hold_reason(BRANCH, 3, 2) == "group budget: at most 2 of My Company\\Branch downloading at once"
    assert hold_reason(BRANCH, 3, None) == "group budget: at most 3 of My Company\\Branch restarting at once"


def test_may_download_keeps_the_budget_while_batches_overlap():
    groups = {"b1": BRANCH, "b2": BRANCH, "b3": BRANCH, "o1": OFFICE}
    room = {BRANCH: 2}
    assert may_download(["b2", "o1"], ["b1"], groups, room) == (True, "")
    allowed, reason = may_download(["b2", "b3"], ["b1"], groups, room)
    assert not allowed and reason == "group budget: 1 of My Company\\Branch downloading now, 2 more would pass its 2 at once"
    assert may_download(["b2", "b3"], [], groups, room) == (True, "")
    assert may_download(["b1", "b2", "b3"], [], groups, room) == (True, ""), "alone, a batch over the budget still starts"
    assert may_download(["b2", "b3"], ["b1"], groups, {}) == (True, "")


def test_batches_cost_what_they_read_with_a_small_budget_on_a_big_group():
    queue = [("h%05d" % number, None, BRANCH) for number in range(20000)]
    batches = split_batches(queue, "25%", {}, {BRANCH: 1})[:3]
    assert batches == [["h00000"], ["h00001"], ["h00002"]]


@st.composite
def budgeted_fleets(draw):
    hosts = []
    for number in range(draw(st.integers(0, 60))):
        hosts.append(host("host%03d" % number,
                          version=draw(st.sampled_from([OLD, OLD, OLD, TARGET])),
                          online=draw(st.booleans()) or draw(st.booleans()),
                          cluster=draw(st.one_of(st.none(), st.sampled_from(["c1", "c2", "c3"]))),
                          group=draw(st.sampled_from([BRANCH, OFFICE, "My Company\\HQ", None]))))
    return draw(st.permutations(hosts))


BUDGET = st.one_of(st.none(), st.integers(1, 5), st.integers(1, 100).map(lambda value: "%d%%" % value))


@PROPERTY
@given(hosts=budgeted_fleets(), serial=SERIAL, restarting=BUDGET, downloading=BUDGET, max_unavailable=st.integers(1, 2),
       sizes=st.dictionaries(st.sampled_from([BRANCH, OFFICE]), st.integers(1, 200)))
def test_group_budget_properties(hosts, serial, restarting, downloading, max_unavailable, sizes):
    plan = plan_rollout(hosts, TARGET, SEPM, serial=serial, max_unavailable_per_cluster=max_unavailable,
                        max_restarting_per_group=restarting, max_downloading_per_group=downloading, group_sizes=sizes)
    by_name = dict((item["name"], item) for item in hosts)
    batched = [name for batch in plan.batches for name in batch]
    eligible = [item["name"] for item in hosts if item["name"] not in plan.accounted]
    # every host batched exactly once
    assert sorted(batched) == sorted(eligible) and len(set(batched)) == len(batched)
    known = {}
    for item in hosts:
        if item.get("group"):
            known[item["group"]] = known.get(item["group"], 0) + 1
    for index, batch in enumerate(plan.batches):
        assert batch
        for group in {by_name[name].get("group") for name in batch} - {None}:
            size = sizes.get(group, known[group])
            count = sum(1 for name in batch if by_name[name].get("group") == group)
            for budget in (restarting, downloading):
                if budget is not None:
                    # no batch ever holds more of a group than its budgets
                    assert count <= group_room(budget, size)
        for cluster in {by_name[name].get("cluster") for name in batch} - {None}:
            assert sum(1 for name in batch if by_name[name].get("cluster") == cluster) <= plan.cluster_room[cluster]
        # a host held back belongs to a group whose budget this batch used up
        for name, group in plan.group_holds[index].items():
            assert by_name[name]["group"] == group and name not in batch
            assert sum(1 for other in batch if by_name[other].get("group") == group) == plan.group_room[group]
    # the order is kept otherwise: a host batched after one behind it was kept out by its cluster or group, or its
    # cluster had a member in the batch before
    position = dict((name, index) for index, batch in enumerate(plan.batches) for name in batch)
    cluster_of = dict((item["name"], item.get("cluster")) for item in hosts)
    for first, second in zip(eligible, eligible[1:]):
        if position[first] > position[second]:
            batch = plan.batches[position[second]]
            cluster, group = by_name[first].get("cluster"), by_name[first].get("group")
            cluster_full = cluster is not None and sum(1 for n in batch if by_name[n].get("cluster") == cluster) \
                >= plan.cluster_room[cluster]
            group_full = group in plan.group_room and sum(1 for n in batch if by_name[n].get("group") == group) \
                >= plan.group_room[group]
            assert cluster_full or group_full or cluster in spaced_in(plan.batches, position[second], cluster_of,
                                                                      plan.cluster_room)
    for batch in plan.batches:
        assert batch == sorted(batch, key=eligible.index)
    if restarting is None and downloading is None:
        assert plan.group_holds == [{} for _batch in plan.batches]


# ---------------------------------------------------------------------------------------------
# HA spacing properties


def spaced_in(batches, index, cluster_of, room):
    """The clusters batch ``index`` takes last: the batch before had a member, and the members left fit their room."""
    if index == 0:
        return set()
    before = {cluster_of[name] for name in batches[index - 1]} - {None}
    left = Counter(cluster_of[name] for batch in batches[index:] for name in batch)
    return {cluster for cluster in before if 0 < left[cluster] <= room.get(cluster, 1)}


@st.composite
def queues(draw):
    """A queue of (name, cluster, group) - pairs, bigger clusters and free hosts - with cluster and group rooms."""
    queue = []
    for number in range(draw(st.integers(0, 40))):
        cluster = draw(st.one_of(st.none(), st.none(), st.sampled_from(["c%d" % n for n in range(8)])))
        group = draw(st.sampled_from([BRANCH, OFFICE, None, None]))
        queue.append(("host%03d" % number, cluster, group))
    queue = draw(st.permutations(queue))
    cluster_room = draw(st.fixed_dictionaries(dict(("c%d" % n, st.integers(1, 3)) for n in range(8))))
    group_room = draw(st.one_of(st.just({}), st.fixed_dictionaries({BRANCH: st.integers(1, 4), OFFICE: st.integers(1, 6)})))
    return queue, cluster_room, group_room


@PROPERTY
@given(queues(), SERIAL)
def test_spacing_takes_the_partners_of_the_batch_before_only_when_nothing_else_fits(drawn, serial):
    queue, cluster_room, group_room = drawn
    holds = []
    batches = list(iter_batches(queue, serial, cluster_room, group_room, holds))
    cluster_of = dict((name, cluster) for name, cluster, _group in queue)
    group_of_host = dict((name, group) for name, _cluster, group in queue)
    place = dict((item[0], index) for index, item in enumerate(queue))
    assert sorted(name for batch in batches for name in batch) == sorted(cluster_of)
    items = serial if isinstance(serial, list) else [serial]
    waiting = len(queue)
    for index, batch in enumerate(batches):
        size = min(_expected_size(items[min(index, len(items) - 1)], len(queue)), waiting)
        waiting -= len(batch)
        clusters = Counter(cluster_of[name] for name in batch if cluster_of[name])
        groups = Counter(group_of_host[name] for name in batch if group_of_host[name] in group_room)
        assert batch and len(batch) <= size
        assert all(count <= cluster_room[cluster] for cluster, count in clusters.items())
        assert all(count <= group_room[group] for group, count in groups.items())
        spaced = spaced_in(batches, index, cluster_of, cluster_room)
        late = [name for name in batch if cluster_of[name] in spaced]
        for later in (name for following in batches[index + 1:] for name in following):
            cluster, group = cluster_of[later], group_of_host[later]
            if (cluster and clusters[cluster] >= cluster_room[cluster]) or (group in group_room and groups[group] >= group_room[group]):
                continue  # its cluster's room or its group's budget holds it
            # It fitted: the batch was full, and took before it only hosts ahead of it in the queue ...
            assert len(batch) == size
            if cluster in spaced:
                assert all(place[name] < place[later] for name in late)
            else:
                # ... and no partner of the batch before while it waited
                assert not late and all(place[name] < place[later] for name in batch)
        for name in holds[index]:
            assert group_of_host[name] in group_room and groups[group_of_host[name]] == group_room[group_of_host[name]]
            if cluster_of[name] in spaced:
                assert late or len(batch) < size, "a host the spacing kept out is not held back by a group budget"


@PROPERTY
@given(queues(), SERIAL)
def test_spacing_never_makes_the_plan_longer_or_a_batch_short(drawn, serial):
    queue, cluster_room, group_room = drawn
    spaced = split_batches(queue, serial, cluster_room, group_room)
    plain = split_batches(queue, serial, cluster_room, group_room, space_partners=False)
    assert len(spaced) <= len(plain)
    assert sorted(name for batch in spaced for name in batch) == sorted(item[0] for item in queue)
    cluster_of = dict((name, cluster) for name, cluster, _group in queue)
    group_of_host = dict((name, group) for name, _cluster, group in queue)
    items = serial if isinstance(serial, list) else [serial]
    for index, batch in enumerate(spaced[:-1]):
        if len(batch) < _expected_size(items[min(index, len(items) - 1)], len(queue)):
            # a short batch: every host after it is held by its cluster's room or its group's budget in it
            for later in (name for following in spaced[index + 1:] for name in following):
                cluster, group = cluster_of[later], group_of_host[later]
                assert (cluster and sum(1 for name in batch if cluster_of[name] == cluster) >= cluster_room[cluster]) \
                    or (group in group_room and sum(1 for name in batch if group_of_host[name] == group) >= group_room[group])
