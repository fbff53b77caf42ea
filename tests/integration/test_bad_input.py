# -*- coding: utf-8 -*-
"""Property test: malformed and extreme option values never reach the SEPM.

For every module (but rollout_plan and rollout_batch, which have their own), hypothesis
takes a valid task, spoils one option with a malformed or extreme value and runs the
module against the emulator. The module must fail with one line that names the option,
without a traceback, without the password, and with no write call in the emulator's
request log. Modules run in this process (tests/integration/inprocess.py) so the few
hundred cases take seconds; examples are derandomized, so every run tries the same cases.
"""

from __future__ import annotations

import json
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.inprocess import connection_args, run_module, write_calls

# Modules run in the pytest process and share its globals (warnings, traceback settings), which
# an xdist worker process changes: scripts/test.sh runs these tests in a plain pytest run.
pytestmark = pytest.mark.in_process

SQL = "My Company\\Servers\\SQL"
ALLOW = "LiveUpdate - Client Patches Allowed"
SEP_VERSION = re.compile(r"^\d{1,4}(\.\d{1,9}){1,3}$")
GUID = re.compile(r"^[0-9A-Fa-f]{32}$")
EXAMPLES_PER_MODULE = 60

# Printable text without line breaks: Ansible's own argument-spec messages quote a bad
# value as it is, and a line break in the value is the user's, not the message's.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=40)
NAME_CHARS = string.ascii_letters + string.digits + " -_"


def bad_ints(low, high):
    return st.one_of(
        st.integers(max_value=low - 1),
        st.integers(min_value=high + 1),
        st.sampled_from([0, -1, 1e13, -1e13, 1.5, "abc", "", "1e400", [1], {"a": 1}]),
    )


BAD_BOOLS = st.sampled_from(["maybe", "2", 2, -1, [], "yesno"])
BAD_VERSIONS = st.one_of(
    st.sampled_from(["abc", "", " ", "14", "14.", "14.3.x", "v14.3", "14.3.10148.9100.1", "1e3", "14..3"]),
    TEXT.filter(lambda text: not SEP_VERSION.match(text.strip())),
)
UNKNOWN_GUIDS = st.text(alphabet="0123456789ABCDEF", min_size=32, max_size=32)
MALFORMED_GUIDS = st.one_of(
    st.sampled_from(["../version", "..", "", "1CA9D4F3", "G" * 32, "1CA9D4F37DD94CA88A9D93D09402E3D3/../version"]),
    TEXT.filter(lambda text: not GUID.match(text.strip())),
)


def bad_names(limit):
    return st.one_of(st.sampled_from(["", "   "]), st.integers(limit + 1, limit + 400).map(lambda n: "n" * n))


def missing(prefix):
    return st.text(alphabet=NAME_CHARS, max_size=20).map(lambda text: ("%s%s" % (prefix, text)).strip())


def bad_choice(choices):
    return TEXT.filter(lambda text: text not in choices)


MALFORMED_PATHS = st.one_of(
    st.sampled_from(["", "   ", "\\", "/", "\\\\//"]),
    st.integers(257, 600).map(lambda n: "My Company\\" + "x" * n),
)
UNKNOWN_PATHS = st.one_of(missing("My Company\\NoSuch "), missing("Nowhere\\"))
BAD_PATHS = st.one_of(MALFORMED_PATHS, UNKNOWN_PATHS)


def lists_of(element):
    return st.one_of(st.lists(element, min_size=1, max_size=3), st.just({"a": 1}))


def windows(**spoiled):
    window = {"days": ["sat"], "start": "22:00", "duration": "4h", "timezone": "UTC"}
    return dict(window, **spoiled)


BAD_WINDOWS = st.one_of(
    st.sampled_from(["99999999999999d", "0", "-1h", "abc", "3h", "8d", "1e13"]).map(lambda d: windows(duration=d)),
    st.sampled_from(["Mars/Base", "", "UTC+99"]).map(lambda tz: windows(timezone=tz)),
    st.sampled_from(["25:00", "22:60", "", "noon"]).map(lambda start: windows(start=start)),
    st.sampled_from([["funday"], [], [""]]).map(lambda days: windows(days=days)),
)


def connection_options(tmp):
    not_pem = tmp / "not-a-ca.pem"
    not_pem.write_text("this is not a certificate\n")
    return {
        "sepm_port": (bad_ints(1, 65535), {}),
        "timeout": (bad_ints(1, 3600), {}),
        "max_request_bytes": (bad_ints(1024, 1024 * 1024), {}),
        "ca_path": (st.sampled_from([str(tmp / "missing-ca.pem"), str(not_pem)]), {}),
        "sepm_host": (st.sampled_from(["", "  ", "sepm host", "sepm/x", "a@b"]), {}),
        "validate_certs": (BAD_BOOLS, {}),
    }


# module -> (a valid task, {option: (bad values, other options the case needs)})
MODULES = {
    "version_info": ({}, {}),
    "login": ({}, {}),
    "patch_info": ({}, {}),
    "logout": ({"sepm_token": "A" * 32}, {"sepm_token": (st.sampled_from(["", "   "]), {})}),
    "command": ({"command": "updatecontent", "computers": ["SQL-01-N1"]}, {
        "command": (bad_choice(("updatecontent", "restart", "cancel")), {}),
        "wait_timeout": (bad_ints(1, 86400), {"wait": True}),
        "poll_interval": (bad_ints(1, 3600), {"wait": True}),
        "skip_version": (BAD_VERSIONS, {}),
        "command_id": (st.one_of(MALFORMED_GUIDS, UNKNOWN_GUIDS, st.just([])), {"command": "cancel"}),
        "computers": (lists_of(st.one_of(bad_names(255), missing("NO-SUCH-PC-"))), {}),
        "ids": (lists_of(st.one_of(MALFORMED_GUIDS, UNKNOWN_GUIDS)), {}),
        "groups": (lists_of(BAD_PATHS), {}),
        "schedule": (bad_choice(("now", "later")), {"command": "restart"}),
        "prompt": (BAD_BOOLS, {"command": "restart"}),
        "wait": (BAD_BOOLS, {}),
    }),
    "command_info": ({"command_id": "1CA9D4F37DD94CA88A9D93D09402E3D3"}, {
        "command_id": (st.one_of(MALFORMED_GUIDS, UNKNOWN_GUIDS, st.just([]),
                                 UNKNOWN_GUIDS.map(lambda guid: ["1CA9D4F37DD94CA88A9D93D09402E3D3", guid])), {}),
    }),
    "computer_info": ({"group": SQL}, {
        "group": (BAD_PATHS, {}),
        "version_below": (BAD_VERSIONS, {}),
        "ids": (lists_of(MALFORMED_GUIDS), {}),
        "name": (bad_names(255), {}),
        "os": (lists_of(bad_names(255)), {}),
        "online": (BAD_BOOLS, {}),
        "include_subgroups": (BAD_BOOLS, {}),
    }),
    "computer_move": ({"group": "My Company\\Default Group", "computers": ["SQL-01-N1"]}, {
        "group": (BAD_PATHS, {}),
        "computers": (lists_of(st.one_of(bad_names(255), missing("NO-SUCH-PC-"))), {}),
        "ids": (lists_of(st.one_of(MALFORMED_GUIDS, UNKNOWN_GUIDS)), {}),
        "hardware_keys": (lists_of(st.one_of(bad_names(255), UNKNOWN_GUIDS)), {}),
    }),
    "group": ({"path": SQL}, {
        "path": (st.one_of(MALFORMED_PATHS, missing("Nowhere\\")), {"create_parents": True}),
        "state": (bad_choice(("present", "absent")), {}),
        "description": (st.integers(1025, 3000).map(lambda n: "d" * n), {}),
        "inherits": (BAD_BOOLS, {}),
        "create_parents": (BAD_BOOLS, {}),
    }),
    "group_info": ({"path": SQL}, {
        "path": (BAD_PATHS, {}),
        "mode": (bad_choice(("list", "tree")), {}),
        "include_subgroups": (BAD_BOOLS, {}),
        "include_policies": (BAD_BOOLS, {}),
    }),
    "group_restart_settings": ({"group": SQL, "location": "default"}, {
        "group": (BAD_PATHS, {}),
        "location": (st.one_of(bad_names(255), missing("No Such Location ")), {}),
        "window": (BAD_WINDOWS, {}),
        "notification": (st.one_of(bad_ints(1, 60).filter(lambda v: isinstance(v, int)).map(lambda v: {"countdown": v}),
                                   st.sampled_from([4, 61, -1, 10 ** 9]).map(lambda v: {"user_pause_ttl": v})), {}),
        "enabled": (BAD_BOOLS, {}),
        "force": (BAD_BOOLS, {}),
    }),
    "policy_assignment": ({"policy": ALLOW, "group": SQL, "location": "default"}, {
        "policy": (st.one_of(bad_names(255), missing("No Such Policy ")), {}),
        "policy_type": (bad_choice(("av", "fw", "ips", "adc", "hi", "hid", "mem", "lu", "exceptions", "tdad", "lucontent")), {}),
        "group": (BAD_PATHS, {}),
        "location": (st.one_of(bad_names(255), missing("No Such Location ")), {}),
    }),
    "policy_info": ({"type": "lu"}, {
        "type": (bad_choice(("adc", "av", "exceptions", "fw", "hi", "hid", "ips", "lu", "lucontent", "mem", "msl",
                             "ntr", "tdad", "upgrade")), {}),
        "name": (st.integers(256, 600).map(lambda n: "p" * n), {}),
    }),
    "patch_permission": ({"allowed_groups": [SQL], "denied_groups": ["My Company\\Workstations"]}, {
        "allowed_groups": (lists_of(BAD_PATHS), {}),
        "denied_groups": (st.one_of(lists_of(BAD_PATHS), st.just(["my company/servers/sql"])), {}),
        "allowing_policy": (st.one_of(bad_names(255), missing("No Such Policy ")), {}),
        "denying_policy": (st.one_of(bad_names(255), missing("No Such Policy ")), {}),
        "location": (st.one_of(bad_names(255), missing("No Such Location ")), {}),
        "staging_group_name": (bad_names(256), {}),
        "deny_every_other_group": (BAD_BOOLS, {}),
    }),
}


@pytest.fixture(name="quiet_emulator", scope="module")
def quiet_emulator_fixture(emulator):
    emulator.reset()
    emulator.control("POST", "settings", {"throttle": None, "token_lifetime_s": 3600})
    return emulator


@pytest.fixture(name="connection_pool", scope="module")
def connection_pool_fixture(tmp_path_factory):
    return connection_options(tmp_path_factory.mktemp("bad-input"))


def assert_refused(emulator, module, args, option):
    """The module failed in one line naming ``option``, with no traceback, no password and no write."""
    before = write_calls(emulator)
    result = run_module(module, args)
    shown = (option, args.get(option))
    assert result.get("failed") is True, (shown, result)
    message = result["msg"]
    assert "\n" not in message, (shown, message)
    assert option in message, (shown, message)
    assert "exception" not in result and "Traceback" not in message, (shown, result)
    assert emulator.password not in json.dumps(result)
    assert write_calls(emulator) == before, (shown, message)


@pytest.mark.parametrize("module", sorted(MODULES))
@settings(max_examples=EXAMPLES_PER_MODULE, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.filter_too_much])
@given(data=st.data())
def test_bad_option_fails_in_one_line_before_any_write(quiet_emulator, connection_pool, module, data):
    valid, own = MODULES[module]
    options = dict(connection_pool, **own)
    option = data.draw(st.sampled_from(sorted(options)), label="option")
    values, needs = options[option]
    value = data.draw(values, label=option)
    args = dict(connection_args(quiet_emulator), **valid)
    args.update(needs)
    args[option] = value
    assert_refused(quiet_emulator, module, args, option)
