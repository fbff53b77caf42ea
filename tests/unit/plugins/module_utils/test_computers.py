# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests of computer normalization, filtering and summaries.

``computer_record.json`` is the one computer of a real ``GET computers`` reply from a
SEPM 14.3 (agent RU7), as published in the IBM QRadar SOAR ``fn_sep`` app README.
"""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import (
    ComputerFilter,
    group_path_of,
    normalize_computer,
    summarize,
)

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "computer_record.json")


def real_record():
    with open(FIXTURE, encoding="utf-8") as handle:
        return json.load(handle)


def computer(**fields):
    """A normalized computer with harmless defaults."""
    record = {
        "id": "01ECF4E8092E5BB91E4D52E45C3ABE4D",
        "name": "WIN-N5KGH4CP3N3",
        "group": "My Company\\Group1",
        "agent_version": "14.3.9717.7000",
        "online": True,
        "reboot_required": False,
    }
    record.update(fields)
    return record


# -- normalize_computer ---------------------------------------------------------------------


def test_normalize_real_record():
    normalized = normalize_computer(real_record())
    assert normalized == {
        "id": "01ECF4E8092E5BB91E4D52E45C3ABE4D",
        "hardware_key": "8DACE2559C1C951E09CC0BF71D973BB7",
        "name": "WIN-N5KGH4CP3N3",
        "group": "My Company\\Group1",
        "group_id": "E5E684A6092E5BB90F46E84BB6F35BBC",
        "agent_version": "14.3.9717.7000",
        "running_version": "14.3.9717.7000",
        "target_version": "14.3.9717.7000",
        "deployment_status": "302456832",
        "deployment_message": "",
        "online": True,
        "reboot_required": False,
        "reboot_reason": "",
        "os_name": "Windows Server 2012",
        "operating_system": "Windows Server 2012 Standard Edition",
        "os_function": "Server",
        "ip_addresses": ["9.37.29.102"],
        "mac_addresses": ["00-50-56-B4-75-BA"],
        "domain_or_workgroup": "WORKGROUP",
        "last_update_time": 1724243995809,
        "profile_serial": "E5E6-08/21/2024 12:38:31 900",
        "profile_version": "14.3.25029",
        "ap_on_off": 3,
        "av_engine_on_off": 1,
        "firewall_on_off": 1,
        "tamper_on_off": 1,
        "infected": True,
        "worst_infection_idx": "0",
        "av_defset_version": "240820021",
        "last_deployment_time": 1721052502000,
    }


def test_group_path_comes_from_group_name_when_full_path_is_null():
    record = real_record()
    assert record["group"]["fullPathName"] is None
    assert group_path_of(record) == "My Company\\Group1"


def test_group_path_prefers_full_path_name_when_present():
    assert group_path_of({"group": {"name": "Group1", "fullPathName": "My Company\\Group1"}}) == "My Company\\Group1"
    assert group_path_of({}) is None


def test_normalized_lists_are_copies():
    record = real_record()
    normalized = normalize_computer(record)
    normalized["ip_addresses"].append("10.0.0.1")
    assert record["ipAddresses"] == ["9.37.29.102"]


@pytest.mark.parametrize("value, expected", [(1, True), ("1", True), (0, False), ("0", False), (None, False), (True, True)])
def test_flags_accept_integers_and_strings(value, expected):
    normalized = normalize_computer({"onlineStatus": value, "rebootRequired": value})
    assert normalized["online"] is expected
    assert normalized["reboot_required"] is expected


def test_normalize_sparse_record():
    normalized = normalize_computer({"computerName": "MAC-1", "rebootReason": None})
    assert normalized["name"] == "MAC-1"
    assert normalized["group"] is None and normalized["group_id"] is None
    assert normalized["ip_addresses"] == [] and normalized["mac_addresses"] == []
    assert normalized["reboot_reason"] == ""
    assert normalized["online"] is False
    assert normalized["ap_on_off"] is None and normalized["infected"] is False and normalized["av_defset_version"] is None


@pytest.mark.parametrize("value, expected", [(1, 1), ("3", 3), (127, 127), (None, None), ("on", None)])
def test_protection_switches_keep_the_sepm_code(value, expected):
    assert normalize_computer({"apOnOff": value, "tamperOnOff": value})["ap_on_off"] == expected


# -- ComputerFilter ------------------------------------------------------------------------------


def test_empty_filter_keeps_everything():
    assert ComputerFilter()(normalize_computer(real_record()))


def test_filter_by_group_ignores_case():
    real = normalize_computer(real_record())
    assert ComputerFilter(group="my company\\GROUP1")(real)
    assert not ComputerFilter(group="My Company\\Group")(real)


def test_filter_by_group_with_and_without_subgroups():
    child = computer(group="My Company\\Servers\\Web")
    sibling = computer(group="My Company\\Servers2")
    assert not ComputerFilter(group="My Company\\Servers")(child)
    assert ComputerFilter(group="My Company\\Servers", include_subgroups=True)(child)
    assert not ComputerFilter(group="My Company\\Servers", include_subgroups=True)(sibling)


def test_filter_by_name_glob_ignores_case():
    assert ComputerFilter(name="win-*")(computer())
    assert ComputerFilter(name="WIN-N5KGH4CP3N3")(computer())
    assert not ComputerFilter(name="mac-*")(computer())
    assert not ComputerFilter(name="win-*")(computer(name=None))


def test_filter_by_ids():
    assert ComputerFilter(ids=["01ECF4E8092E5BB91E4D52E45C3ABE4D"])(computer())
    assert not ComputerFilter(ids=["OTHER"])(computer())


@pytest.mark.parametrize("wanted", [True, False])
def test_filter_by_online_and_reboot_required(wanted):
    assert ComputerFilter(online=wanted)(computer(online=wanted))
    assert not ComputerFilter(online=wanted)(computer(online=not wanted))
    assert ComputerFilter(reboot_required=wanted)(computer(reboot_required=wanted))
    assert not ComputerFilter(reboot_required=wanted)(computer(reboot_required=not wanted))


def test_filter_by_version_below():
    below = ComputerFilter(version_below="14.3.10148.9000")
    assert below(computer(agent_version="14.3.9717.7000"))
    assert not below(computer(agent_version="14.3.10148.9000"))
    assert not below(computer(agent_version="14.3.10148.9100"))
    assert below(computer(agent_version=None))  # an unknown version still needs the patch


def test_filters_combine():
    combined = ComputerFilter(group="My Company\\Group1", online=True, version_below="14.3.10148.9000")
    assert combined(normalize_computer(real_record()))
    assert not combined(computer(online=False))


# -- summarize -----------------------------------------------------------------------------------


def test_summarize_counts_states_and_versions_newest_first():
    computers = [
        computer(agent_version="14.3.9717.7000", online=True, reboot_required=True),
        computer(agent_version="14.3.10148.9100", online=False),
        computer(agent_version="14.3.9717.7000", online=False),
        computer(agent_version=None, online=True),
        computer(agent_version="14.3.10148.9000", online=True, reboot_required=True),
    ]
    summary = summarize(computers)
    assert summary["total"] == 5
    assert summary["online"] == 3
    assert summary["offline"] == 2
    assert summary["reboot_required"] == 2
    assert list(summary["by_version"].items()) == [
        ("14.3.10148.9100", 1),
        ("14.3.10148.9000", 1),
        ("14.3.9717.7000", 2),
        ("unknown", 1),
    ]


def test_summarize_real_record():
    summary = summarize([normalize_computer(real_record())])
    assert summary == {
        "total": 1,
        "online": 1,
        "offline": 0,
        "reboot_required": 0,
        "by_version": {"14.3.9717.7000": 1},
    }


def test_summarize_nothing():
    assert summarize([]) == {"total": 0, "online": 0, "offline": 0, "reboot_required": 0, "by_version": {}}
