# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests of the shared connection options and their mapping to SepmClient."""

from __future__ import annotations

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.args import argument_spec, connection_argument_spec
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmClient
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.connection import (
    CONNECTION_ENV,
    check_connection,
    client_kwargs,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.tests.unit.plugins.module_utils.fake_sepm import FakeSession

CONNECTION_OPTIONS = sorted(CONNECTION_ENV)


def validate(spec, params):
    result = ArgumentSpecValidator(spec).validate(params)
    assert result.error_messages == []
    return result


@pytest.fixture(name="clean_env")
def clean_env_fixture(monkeypatch):
    for variable in CONNECTION_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


def test_connection_options_are_the_documented_ones():
    assert CONNECTION_OPTIONS == sorted([
        "sepm_host", "sepm_port", "sepm_username", "sepm_password", "sepm_domain", "sepm_token",
        "validate_certs", "ca_path", "timeout", "max_request_bytes",
    ])


def test_each_connection_option_falls_back_to_its_environment_variable():
    spec = connection_argument_spec()
    for name in CONNECTION_OPTIONS:
        strategy, variables = spec[name]["fallback"]
        assert strategy.__name__ == "env_fallback"
        assert variables == [CONNECTION_ENV[name]]


def test_secrets_are_no_log():
    spec = connection_argument_spec()
    assert spec["sepm_password"]["no_log"] is True
    assert spec["sepm_token"]["no_log"] is True


def test_defaults():
    spec = connection_argument_spec()
    assert spec["sepm_host"]["required"] is True
    assert spec["sepm_port"]["default"] == 8446
    assert spec["validate_certs"]["default"] is True
    assert spec["timeout"]["default"] == 30
    assert spec["sepm_domain"]["default"] == ""
    assert spec["max_request_bytes"]["default"] == 8192


def test_connection_argument_spec_returns_a_fresh_copy():
    first = connection_argument_spec()
    first["sepm_port"]["default"] = 1
    first["sepm_host"]["required"] = False
    second = connection_argument_spec()
    assert second["sepm_port"]["default"] == 8446
    assert second["sepm_host"]["required"] is True


def test_argument_spec_merges_module_options():
    state = {"type": "str", "choices": ["present", "absent"], "default": "present"}
    spec = argument_spec(state=state, group={"type": "str"})
    assert spec["state"] == state
    assert spec["group"] == {"type": "str"}
    assert set(CONNECTION_OPTIONS) <= set(spec)
    assert len(spec) == len(CONNECTION_OPTIONS) + 2


def test_argument_spec_without_module_options_is_the_connection_spec():
    assert argument_spec() == connection_argument_spec()


@pytest.mark.parametrize("option", ["sepm_host", "timeout", "validate_certs"])
def test_module_option_shadowing_a_connection_option_raises(option):
    with pytest.raises(ValueError) as info:
        argument_spec(**{option: {"type": "str"}, "state": {"type": "str"}})
    assert option in str(info.value)
    assert "state" not in str(info.value)


def test_shadowing_names_every_clash_sorted():
    with pytest.raises(ValueError) as info:
        argument_spec(timeout={"type": "int"}, ca_path={"type": "str"})
    assert "ca_path, timeout" in str(info.value)


def test_environment_fills_options_the_task_leaves_out(clean_env):
    clean_env.setenv("SEPM_HOST", "sepm-env.example.test")
    clean_env.setenv("SEPM_PORT", "9443")
    clean_env.setenv("SEPM_PASSWORD", "env-Passw0rd")
    clean_env.setenv("SEPM_VALIDATE_CERTS", "false")
    params = validate(argument_spec(), {"sepm_username": "admin"}).validated_parameters
    assert params["sepm_host"] == "sepm-env.example.test"
    assert params["sepm_port"] == 9443
    assert params["sepm_password"] == "env-Passw0rd"
    assert params["validate_certs"] is False


def test_task_options_win_over_the_environment(clean_env):
    clean_env.setenv("SEPM_HOST", "sepm-env.example.test")
    result = validate(argument_spec(), {"sepm_host": "sepm-task.example.test"})
    assert result.validated_parameters["sepm_host"] == "sepm-task.example.test"


def test_defaults_apply_without_task_or_environment(clean_env):
    del clean_env  # only needed to clear SEPM_* from the environment
    params = validate(argument_spec(), {"sepm_host": "sepm.example.test"}).validated_parameters
    assert params["sepm_port"] == 8446
    assert params["sepm_domain"] == ""
    assert params["validate_certs"] is True
    assert params["timeout"] == 30
    assert params["sepm_token"] is None


def test_client_kwargs_maps_every_option():
    params = {
        "sepm_host": "sepm.example.test",
        "sepm_port": 9443,
        "sepm_username": "admin",
        "sepm_password": "S3cret-Passw0rd!",
        "sepm_domain": "Europe",
        "sepm_token": "tok-0001-abcdef",
        "validate_certs": False,
        "ca_path": "/etc/pki/sepm-ca.pem",
        "timeout": 45,
        "max_request_bytes": 16384,
        "state": "present",
    }
    assert client_kwargs(params) == {
        "host": "sepm.example.test",
        "port": 9443,
        "username": "admin",
        "password": "S3cret-Passw0rd!",
        "domain": "Europe",
        "token": "tok-0001-abcdef",
        "validate_certs": False,
        "ca_path": "/etc/pki/sepm-ca.pem",
        "timeout": 45,
        "max_request_bytes": 16384,
    }


def test_client_kwargs_validate_certs_defaults_to_true():
    assert client_kwargs({"sepm_host": "sepm.example.test"})["validate_certs"] is True


def test_client_kwargs_build_a_client_from_validated_options(clean_env):
    del clean_env  # only needed to clear SEPM_* from the environment
    params = validate(argument_spec(), {
        "sepm_host": "sepm.example.test", "sepm_username": "admin", "sepm_password": "S3cret-Passw0rd!",
    }).validated_parameters
    session = FakeSession()
    client = SepmClient(session=session, **client_kwargs(params))
    assert client.base_url == "https://sepm.example.test:8446/sepm/api/v1/"
    assert client.domain == ""
    assert client.timeout == 30
    assert client.max_request_bytes == 8192
    assert session.verify is True


def test_max_request_bytes_comes_from_its_environment_variable(clean_env):
    clean_env.setenv("SEPM_MAX_REQUEST_BYTES", "16384")
    params = validate(argument_spec(), {"sepm_host": "sepm.example.test"}).validated_parameters
    assert SepmClient(session=FakeSession(), **client_kwargs(params)).max_request_bytes == 16384


@pytest.mark.parametrize("value", [0, 1023, 1024 * 1024 + 1, -8192])
def test_a_max_request_bytes_no_sepm_takes_fails_in_one_line(value):
    with pytest.raises(SepmInputError, match=r"^max_request_bytes must be a whole number from 1024 to 1048576 bytes"):
        check_connection({"sepm_host": "sepm.example.test", "max_request_bytes": value})
