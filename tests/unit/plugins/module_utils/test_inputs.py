# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Option checks before any SEPM call, the patch_policy decisions, and lookups that deduplicate."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.connection import check_connection
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.groups import path_key
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import (
    check_command_ids,
    check_group_path,
    check_guid,
    check_name,
    check_range,
    check_version,
    unique,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.permissions import check_patch_switches, decide
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.targets import resolve_computers
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import parse_window

SQL = "My Company\\Servers\\SQL"


def test_input_errors_are_value_errors_so_existing_handlers_keep_working():
    assert issubclass(SepmInputError, ValueError)


@pytest.mark.parametrize("option, value", [("sepm_port", 0), ("sepm_port", -1), ("sepm_port", 65536),
                                           ("timeout", 0), ("timeout", -5), ("timeout", 10 ** 13)])
def test_connection_numbers_out_of_range_are_errors_not_defaults(option, value):
    params = {"sepm_host": "sepm.example.test", "sepm_port": 8446, "timeout": 30}
    params[option] = value
    with pytest.raises(SepmInputError, match=option):
        check_connection(params)


def test_missing_and_non_pem_ca_path_are_named(tmp_path):
    params = {"sepm_host": "sepm.example.test", "validate_certs": True, "ca_path": str(tmp_path / "nothing.pem")}
    with pytest.raises(SepmInputError, match="ca_path: no file"):
        check_connection(params)
    not_pem = tmp_path / "ca.der"
    not_pem.write_bytes(b"\x30\x82\x01\x0a binary")
    params["ca_path"] = str(not_pem)
    with pytest.raises(SepmInputError, match="not a PEM CA bundle"):
        check_connection(params)


@pytest.mark.parametrize("value", ["abc", "", " ", "14", "14.3.x", "v14.3", "14.3.1.2.3"])
def test_a_version_that_is_not_a_sep_version_is_an_error_naming_the_option(value):
    with pytest.raises(SepmInputError, match="skip_version"):
        check_version("skip_version", value)


def test_sep_versions_pass():
    assert check_version("version_below", " 14.3.10148.9100 ") == "14.3.10148.9100"
    assert check_version("version_below", "14.3") == "14.3"
    assert check_version("version_below", None) is None


@pytest.mark.parametrize("value", ["../version", "..", "", "1CA9D4F3", "G" * 32, "1CA9D4F37DD94CA88A9D93D09402E3D3/x"])
def test_command_ids_must_be_sepm_ids(value):
    with pytest.raises(SepmInputError, match="command_id"):
        check_guid("command_id", value)


def test_a_lower_case_id_is_sent_upper_case():
    assert check_guid("ids", "1ca9d4f37dd94ca88a9d93d09402e3d3") == "1CA9D4F37DD94CA88A9D93D09402E3D3"


def test_ranges_refuse_floats_and_bools():
    for value in (1.5, True, "3"):
        with pytest.raises(SepmInputError, match="poll_interval"):
            check_range("poll_interval", value, 1, 3600)


def test_group_paths_empty_or_with_an_overlong_name_are_refused():
    for path in ("", "  ", "\\", "My Company\\" + "x" * 257):
        with pytest.raises(SepmInputError, match="group"):
            check_group_path("group", path)
    assert check_group_path("group", "My Company/Servers//SQL") == SQL


def test_names_have_the_sepm_limit():
    assert check_name("policy", "p" * 255, 255) == "p" * 255
    with pytest.raises(SepmInputError, match="at most 255"):
        check_name("policy", "p" * 256, 255)


def test_unique_keeps_the_first_of_each():
    assert unique(["SQL-01", "sql-01", "Web"], key=str.lower) == ["SQL-01", "Web"]


@settings(max_examples=200, derandomize=True)
@given(st.lists(st.sampled_from(["My Company", "Servers", "SQL", "servers"]), min_size=1, max_size=4),
       st.sampled_from(["\\", "/", "\\\\", " / "]))
def test_one_path_key_for_every_spelling(parts, separator):
    assert path_key(separator.join(parts)) == path_key("\\".join(parts).upper())


# -- window overflow --------------------------------------------------------------------


@pytest.mark.parametrize("duration", ["99999999999999d", "99999999999999999999h", 10 ** 18])
def test_an_absurd_window_duration_is_an_input_error_not_an_overflow(duration):
    with pytest.raises(SepmInputError, match="duration"):
        parse_window({"days": ["sat"], "start": "22:00", "duration": duration, "timezone": "UTC"})


# -- patch_policy decisions -------------------------------------------------------------


def groups(*paths):
    return [{"id": "%032X" % number, "fullPathName": path} for number, path in enumerate(paths, 1)]


ALL = groups("My Company", "My Company\\Servers", SQL, SQL + "\\Patch Staging", "My Company\\Workstations")


def test_a_slash_path_is_the_same_group_and_is_not_denied_as_another():
    allowed, denied = decide(ALL, ["My Company/Servers/SQL"], [], deny_every_other_group=True,
                             staging_group_name="Patch Staging")
    assert [g["fullPathName"] for g in allowed] == [SQL]
    assert SQL not in [g["fullPathName"] for g in denied]
    assert SQL + "\\Patch Staging" not in [g["fullPathName"] for g in denied]


def test_allowed_and_denied_in_two_spellings_is_a_conflict():
    with pytest.raises(SepmInputError, match="both name"):
        decide(ALL, ["My Company/Servers/SQL"], ["my company\\servers\\sql"])


def test_a_missing_second_group_fails_the_whole_decision_naming_the_option():
    with pytest.raises(SepmInputError, match="allowed_groups: .*My Company\\\\Nowhere"):
        decide(ALL, [SQL, "My Company\\Nowhere"], [])


def test_a_group_named_twice_is_assigned_once():
    allowed, _denied = decide(ALL, [SQL, "my company/servers/sql"], [])
    assert len(allowed) == 1


def test_policy_switches_are_checked_with_the_console_steps():
    with pytest.raises(SepmInputError, match="allowing_policy: .*check 'Download Symantec"):
        check_patch_switches("Allow", False, "Deny", False)
    with pytest.raises(SepmInputError, match="denying_policy: .*uncheck"):
        check_patch_switches("Allow", True, "Deny", True)
    check_patch_switches("Allow", True, "Deny", False)


# -- duplicates ------------------------------------------------------------------------


class OneComputerSepm:
    """A client whose every query finds the same computer."""

    record = {"uniqueId": "A" * 32, "hardwareKey": "B" * 32, "computerName": "SQL-01-N1",
              "group": {"id": "C" * 32, "name": SQL}}

    def computers(self, **_filters):
        return [dict(self.record)]


def test_one_computer_named_twice_in_two_cases_and_by_id_is_one_target():
    found = resolve_computers(OneComputerSepm(), names=["SQL-01-N1", "sql-01-n1"], ids=["A" * 32])
    assert [computer["id"] for computer in found] == ["A" * 32]


def test_a_command_is_one_or_more_ids_each_once():
    first, second = "1CA9D4F37DD94CA88A9D93D09402E3D3", "0f6a1d2c3b4e5f60718293a4b5c6d7e8"
    assert check_command_ids("command_id", [first, second.upper(), second]) == [first, second.upper()]
    with pytest.raises(SepmInputError, match="^command_id must name at least one SEPM command id"):
        check_command_ids("command_id", [])
    with pytest.raises(SepmInputError, match="^command_id must be a SEPM id"):
        check_command_ids("command_id", [first, "../version"])
