# -*- coding: utf-8 -*-
"""computer_info and version_info through real ansible-playbook against the emulator over HTTPS."""

from __future__ import annotations

from tests.integration.conftest import SepmApi

COMPUTER_INFO = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: query
      endpoint_ops.sepm.computer_info: {args}
"""


def query(runner, *cli_args, args="{}", **kwargs):
    return runner.run(COMPUTER_INFO.format(args=args), *cli_args, **kwargs)


def all_computers(emulator):
    api = SepmApi(emulator)
    api.login()
    return api.ok("GET", "computers", params={"pageSize": 1000})["content"]


def test_returns_the_whole_fleet_with_counts(emulator, runner):
    fleet = all_computers(emulator)
    run = query(runner)
    assert run.returncode == 0, run.output
    result = run.result("query")
    assert result["changed"] is False
    assert result["counts"]["total"] == len(fleet)
    assert sorted(c["id"] for c in result["computers"]) == sorted(c["uniqueId"] for c in fleet)
    assert sum(result["counts"]["by_version"].values()) == len(fleet)
    assert result["counts"]["online"] + result["counts"]["offline"] == len(fleet)
    sample = result["computers"][0]
    for key in ("id", "hardware_key", "name", "group", "agent_version", "online", "reboot_required", "os_name"):
        assert key in sample


def test_group_filter_returns_only_that_group(emulator, runner):
    fleet = all_computers(emulator)
    expected = sorted(c["computerName"] for c in fleet if c["group"]["name"] == "My Company\\Servers\\SQL")
    assert expected, "the emulator fleet should have SQL servers"
    run = query(runner, args="{group: 'My Company\\\\Servers\\\\SQL'}")
    assert run.returncode == 0, run.output
    computers = run.result("query")["computers"]
    assert sorted(c["name"] for c in computers) == expected
    assert {c["group"] for c in computers} == {"My Company\\Servers\\SQL"}


def test_subgroups_version_and_state_filters(emulator, runner):
    fleet = all_computers(emulator)
    target = emulator.control("GET", "/_emulator/state")["patch_version"]

    def numeric(version):
        return tuple(int(part) for part in version.split("."))

    expected = sorted(
        c["computerName"] for c in fleet
        if c["group"]["name"].startswith("My Company\\Workstations\\") and c["onlineStatus"] == 1
        and numeric(c["agentVersion"]) < numeric(target)
    )
    args = "{group: 'My Company\\\\Workstations', include_subgroups: true, online: true, version_below: '%s'}" % target
    run = query(runner, args=args)
    assert run.returncode == 0, run.output
    assert sorted(c["name"] for c in run.result("query")["computers"]) == expected


def test_name_pattern_and_summary_only(emulator, runner):
    fleet = all_computers(emulator)
    expected = [c for c in fleet if c["computerName"].upper().startswith("SQL-")]
    run = query(runner, args="{name: 'sql-*', summary_only: true}")
    assert run.returncode == 0, run.output
    result = run.result("query")
    assert result["computers"] == []
    assert result["counts"]["total"] == len(expected)


def test_unknown_group_fails_with_one_line(runner):
    run = query(runner, args="{group: 'My Company\\\\No Such Group'}")
    assert run.returncode != 0
    result = run.result("query")
    assert "No Such Group" in result["msg"] and "does not exist" in result["msg"]
    assert "\n" not in result["msg"]
    assert "Traceback" not in run.output


def test_version_info_reports_release(emulator, runner):
    run = runner.run("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: version
      endpoint_ops.sepm.version_info:
""", env={"SEPM_USERNAME": "", "SEPM_PASSWORD": ""})
    assert run.returncode == 0, run.output
    result = run.result("version")
    assert result["version"] == emulator.control("GET", "/_emulator/state")["sepm_version"]
    assert result["release"].startswith("14.3 RU")
    assert result["changed"] is False


def test_wrong_password_fails_with_one_clear_line(runner):
    run = query(runner, env={"SEPM_PASSWORD": "not-the-password-4711"})
    assert run.returncode != 0
    message = run.result("query")["msg"]
    assert "rejected the login" in message and "sepm_password" in message
    assert "\n" not in message
    assert "not-the-password-4711" not in run.output
    assert "Traceback" not in run.output


def test_untrusted_certificate_fails_with_one_clear_line(runner):
    run = query(runner, env={"SEPM_CA_PATH": ""})
    assert run.returncode != 0
    message = run.result("query")["msg"]
    assert "not trusted" in message and "ca_path" in message
    assert "\n" not in message
    assert "Traceback" not in run.output


def test_unreachable_host_fails_with_one_clear_line(runner, free_port):
    run = query(runner, env={"SEPM_PORT": str(free_port)})
    assert run.returncode != 0
    message = run.result("query")["msg"]
    assert "cannot reach the SEPM" in message and "sepm_port" in message
    assert "\n" not in message
    assert "Traceback" not in run.output


def test_password_never_printed_at_any_verbosity(emulator, runner):
    secret = emulator.password
    as_argument = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: query
      endpoint_ops.sepm.computer_info:
        sepm_password: "{{ sepm_secret }}"
        summary_only: true
    - name: wrong password
      endpoint_ops.sepm.computer_info:
        sepm_password: "{{ sepm_secret }}-wrong"
      ignore_errors: true
"""
    # A vars file, as a vault would be: a secret given with -e on the command line is echoed by ansible-playbook itself.
    vars_file = runner.workdir / "secret.json"
    vars_file.write_text('{"sepm_secret": "%s"}' % secret)
    run = runner.run(as_argument, "-vvvv", "-e", "@%s" % vars_file, env={"SEPM_PASSWORD": ""})
    assert run.returncode == 0, run.output
    assert run.result("query")["counts"]["total"] > 0
    assert secret not in run.output
    from_environment = query(runner, "-vvvv", args="{summary_only: true}")
    assert from_environment.returncode == 0, from_environment.output
    assert secret not in from_environment.output
