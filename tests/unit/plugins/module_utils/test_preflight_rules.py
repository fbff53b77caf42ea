# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The preflight's verdicts: what each reading of a SEPM means, and the line a user acts on. No SEPM."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import preflight_rules as rules
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import ROLLOUT_RECORD_FIELDS, normalize_computer

PROPERTY = settings(database=None, max_examples=300, deadline=None)
ADMIN = {"role": {"bitMask": 8, "title": "sysadmin"},
         "permissionSet": {"reportingRights": True, "groupRights": True, "siteRights": True,
                           "remoteCommandRights": True, "policyRights": True}}
STATS = {"clientVersionList": [
    {"version": "14.3.10148.9000", "clientsCount": 170, "formattedVersion": "x"},
    {"version": "14.3.10148.9100", "clientsCount": 10, "formattedVersion": "x"},
    {"version": "14.3.9210.8000", "clientsCount": 20, "formattedVersion": "x"},
]}
ALLOW_ON = {"configuration": {"windows": {"advanced": {"allow_patch_by_lu": True}}}}
ALLOW_OFF = {"configuration": {"windows": {"advanced": {"allow_patch_by_lu": False}}}}


def test_a_line_starts_with_the_level_and_the_check():
    verdict = rules.Verdict("clock", rules.WARN, "off by 10m00s", "skewed", {"skew_s": 600.0})
    assert verdict.line == "warn clock: off by 10m00s"
    assert verdict.bundle_entry() == {"check": "clock", "level": "warn", "code": "skewed", "facts": {"skew_s": 600.0}}


def test_the_bundle_entry_keeps_numbers_only():
    verdict = rules.Verdict("groups", rules.FAIL, "not in the SEPM: My Company\\Secret", "missing",
                            {"missing": 1, "name": "My Company\\Secret", "flag": True})
    assert verdict.bundle_entry()["facts"] == {"missing": 1}
    assert "Secret" not in str(verdict.bundle_entry())


def test_unknown_checks_and_levels_are_refused():
    with pytest.raises(ValueError):
        rules.Verdict("nope", rules.OK, "")
    with pytest.raises(ValueError):
        rules.Verdict("clock", "bad", "")


def test_the_summary_fails_on_any_fail():
    verdicts = [rules.Verdict("clock", rules.WARN, "x"), rules.Verdict("login", rules.FAIL, "y"), rules.skipped("rights", "z")]
    counts, line = rules.summary(verdicts)
    assert counts == {"ok": 0, "warn": 1, "fail": 1, "skip": 1}
    assert line.startswith("preflight failed: 1 check(s) fail")
    assert rules.summary([rules.Verdict("clock", rules.OK, "x")])[1] == "preflight passed: every check ok"


def test_a_system_administrator_with_every_right_passes():
    assert rules.rights_verdict("admin", ADMIN).level == rules.OK


def test_a_limited_administrator_fails_naming_role_and_rights():
    token = {"role": {"bitMask": 2, "title": "limitedadmin"},
             "permissionSet": {"reportingRights": True, "groupRights": False, "remoteCommandRights": False}}
    verdict = rules.rights_verdict("limited", token)
    assert verdict.level == rules.FAIL and verdict.code == "not_system_administrator"
    assert "limited administrator (role bitMask 2)" in verdict.message
    for right in ("groups", "policies", "remote commands"):
        assert right in verdict.message
    assert "system administrator" in verdict.message


def test_a_system_administrator_lacking_a_right_fails_naming_it():
    token = {"role": {"bitMask": 8}, "permissionSet": dict(ADMIN["permissionSet"], policyRights=False)}
    verdict = rules.rights_verdict("admin", token)
    assert verdict.level == rules.FAIL and verdict.code == "missing_rights"
    assert "policies" in verdict.message and "remote commands" not in verdict.message


@pytest.mark.parametrize("version, level", [
    ("14.3.25029.9000", rules.OK), ("14.3.4615.2000", rules.OK), ("14.3.3580.1100", rules.FAIL),
    ("14.2.5587.2100", rules.FAIL), ("garbage", rules.WARN), (None, rules.WARN),
])
def test_the_sepm_release_must_deliver_client_patches(version, level):
    assert rules.version_verdict(version).level == level


def test_client_releases_count_the_patchable_ones():
    verdict = rules.client_releases_verdict("14.3.25029.9000", STATS)
    assert verdict.level == rules.OK
    assert "200 clients (14.3 RU9 180, 14.3 RU8 20)" in verdict.message
    assert "skips the 20 in other releases" in verdict.message
    assert rules.client_releases_verdict("14.3.25029.8000", {"clientVersionList": STATS["clientVersionList"][:2]}).level \
        == rules.WARN
    assert rules.client_releases_verdict("14.3.25029.9000", {}).code == "no_clients"


def test_client_patches_from_the_notice_or_the_console_step():
    assert rules.client_patches_verdict("14.3 RU9", "14.3.10148.9100", "", 0).level == rules.OK
    cannot_tell = rules.client_patches_verdict("14.3 RU9", None, "14.3.10148.9100", rules.patch_clients(STATS, "14.3 RU9"))
    assert cannot_tell.level == rules.WARN and "Content Types to Download" in cannot_tell.message
    assert "10 clients run patch builds" in cannot_tell.message
    nothing = rules.client_patches_verdict("14.3 RU9", None, "", 0)
    assert nothing.level == rules.FAIL and "rollout_target_version" in nothing.message


def test_lu_policies_must_exist_and_say_what_they_should():
    assert rules.lu_policy_verdict(True, "Allow", True, ALLOW_ON).level == rules.OK
    assert rules.lu_policy_verdict(False, "Deny", True, ALLOW_OFF).level == rules.OK
    missing = rules.lu_policy_verdict(True, "Nope", False, None)
    assert missing.level == rules.FAIL and missing.check == "allowing_policy" and "'Nope'" in missing.message
    wrong = rules.lu_policy_verdict(False, "Deny", True, ALLOW_ON)
    assert wrong.level == rules.FAIL and wrong.code == "wrong_switch" and wrong.check == "denying_policy"
    assert "uncheck" in wrong.message and "client patches on for Windows" in wrong.message
    assert rules.lu_policy_verdict(True, "Allow", True, {}).level == rules.WARN


def test_groups_and_targets():
    assert rules.groups_verdict([], [], False).level == rules.WARN
    assert rules.groups_verdict([], [], True).level == rules.OK
    missing = rules.groups_verdict(["My Company\\A", "My Company\\B"], ["My Company\\B"], False)
    assert missing.level == rules.FAIL and "My Company\\B" in missing.message
    assert rules.targets_verdict("wave_1", 0, 0, []).level == rules.FAIL
    assert rules.targets_verdict("wave_1", 30, 10, ["ghost"]).level == rules.WARN
    assert rules.targets_verdict("wave_1", 30, 10, []).level == rules.OK


def test_the_rollout_record_fields_are_the_ones_normalize_computer_reads():
    read = set()

    class Recording(dict):
        def get(self, key, default=None):
            read.add(key)
            value = super().get(key, default)
            return Recording(value) if isinstance(value, dict) else value

    normalize_computer(Recording({"group": {}}))
    for field in ROLLOUT_RECORD_FIELDS:
        assert field.split(".", maxsplit=1)[0] in read, field


def test_computer_fields_count_the_records_lacking_one():
    record = {"uniqueId": "A", "hardwareKey": "B", "computerName": "C", "group": {"id": "G", "name": "My Company"},
              "agentVersion": "14.3", "onlineStatus": 1, "rebootRequired": 0, "osName": "Windows 10",
              "operatingSystem": "Windows 10 Enterprise", "profileSerialNo": "S", "deploymentTargetVersion": "14.3",
              "lastUpdateTime": 1}
    assert rules.computer_fields_verdict([record] * 3, ROLLOUT_RECORD_FIELDS).level == rules.OK
    lacking = dict(record, group={"id": "G"})
    del lacking["rebootRequired"]
    verdict = rules.computer_fields_verdict([record, lacking], ROLLOUT_RECORD_FIELDS)
    assert verdict.level == rules.WARN and "group.name (1)" in verdict.message and "rebootRequired (1)" in verdict.message
    assert verdict.facts["lacking rebootRequired"] == 1
    assert rules.computer_fields_verdict([lacking], ROLLOUT_RECORD_FIELDS).level == rules.FAIL
    assert rules.computer_fields_verdict([], ROLLOUT_RECORD_FIELDS).level == rules.WARN


@pytest.mark.parametrize("status, level", [(410, rules.OK), (403, rules.FAIL), (200, rules.WARN), (500, rules.WARN)])
def test_the_command_queue_probe(status, level):
    assert rules.command_queue_verdict(status).level == level


def test_a_clock_ten_minutes_off_is_a_warning_saying_which_way():
    verdict = rules.clock_verdict(600.4)
    assert verdict.level == rules.WARN and "10m00s ahead of this controller's" in verdict.message
    assert "opens 10m00s earlier" in verdict.message and "NTP" in verdict.message
    assert "behind" in rules.clock_verdict(-3700).message and "1h01m40s" in rules.clock_verdict(-3700).message
    assert rules.clock_verdict(0.6).level == rules.OK
    assert "rollout_clock: controller" in rules.clock_verdict(0.6, "controller").message


def test_the_page_size():
    assert rules.page_size_verdict(1000, 1000).level == rules.OK
    smaller = rules.page_size_verdict(1000, 500)
    assert smaller.level == rules.WARN and "40 requests instead of 20" in smaller.message
    assert rules.page_size_verdict(1000, None).level == rules.WARN


@PROPERTY
@given(st.integers(min_value=1024, max_value=65536), st.sampled_from([64, 256, 1024]))
def test_the_binary_search_finds_the_limit_in_few_reads(limit, resolution):
    asked = []

    def accepts(size):
        asked.append(size)
        return size <= limit

    found = rules.largest_accepted(accepts, 1024, 65536, resolution)
    assert found <= limit and (limit - found <= resolution or found == 65536)
    assert len(asked) <= math.ceil(math.log2((65536 - 1024) / resolution)) + 2


def test_the_binary_search_when_nothing_or_everything_fits():
    assert rules.largest_accepted(lambda size: False, 1024, 65536) == 1023
    assert rules.largest_accepted(lambda size: True, 1024, 65536) == 65536


@PROPERTY
@given(st.integers(min_value=1024, max_value=65536), st.sampled_from([4096, 8192, 16384]))
def test_the_split_size_itself_is_asked_exactly(limit, max_request_bytes):
    asked = []

    def accepts(size):
        asked.append(size)
        return size <= limit

    found, fits = rules.find_request_limit(accepts, max_request_bytes)
    assert asked[0] == max_request_bytes and fits == (limit >= max_request_bytes)
    assert found <= limit and (limit - found <= rules.PROBE_RESOLUTION or found == rules.PROBE_HIGH)
    assert len(asked) <= 12, "a few reads"


def test_a_server_below_the_client_split_size_fails_naming_the_value_to_set():
    verdict = rules.request_limit_verdict(4050, False, 8192, 240)
    assert verdict.level == rules.FAIL and "set max_request_bytes: 4050" in verdict.message
    assert "about 4050 bytes, less than the 8192" in verdict.message
    fits = rules.request_limit_verdict(8250, True, 8192, 240)
    assert fits.level == rules.OK and "240 computer ids a command request" in fits.message
    assert "the most tried" in rules.request_limit_verdict(65536, True, 8192, None).message
    assert rules.request_limit_verdict(1023, False, 8192, None).code == "refuses_all"
