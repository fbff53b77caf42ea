# -*- coding: utf-8 -*-
"""The endpoint_ops.sepm.sepm inventory plugin through real ansible-inventory runs against the emulator."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.integration.ansible_runner import ansible_bin, collections_root

INVENTORY = r"""
plugin: endpoint_ops.sepm.sepm
compose:
  ha_cluster: "sepm_name | regex_replace('-N[0-9]+$', '') if sepm_name is regex('-N[0-9]+$') else ''"
keyed_groups:
  - key: sepm_agent_version
    prefix: agent
  - key: ha_cluster
    prefix: cluster
groups:
  windows_servers: "sepm_os_function == 'Server' and sepm_os_name is search('Windows')"
"""


def plain(text):
    """ansible-core 2.19 writes untrusted strings (all of an inventory plugin's) as {"__ansible_unsafe": "..."}."""
    return json.loads(text, object_hook=lambda d: d["__ansible_unsafe"] if list(d) == ["__ansible_unsafe"] else d)


@pytest.fixture(name="collections", scope="module")
def collections_fixture():
    return collections_root()


def run_inventory(emulator, collections, workdir, *args, text=INVENTORY, **env_overrides):
    path = workdir / "fleet.sepm.yml"
    path.write_text(text, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SEPM_", "ANSIBLE_"))}
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(collections),
        "ANSIBLE_NOCOLOR": "1",
        "SEPM_HOST": emulator.host,
        "SEPM_PORT": str(emulator.port),
        "SEPM_USERNAME": emulator.username,
        "SEPM_PASSWORD": emulator.password,
        "SEPM_CA_PATH": str(emulator.ca_path),
    })
    env.update(env_overrides)
    return subprocess.run([ansible_bin("ansible-inventory"), "-i", str(path), *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_graph_shows_the_group_tree(clean_emulator, collections, tmp_path):
    run = run_inventory(clean_emulator, collections, tmp_path, "--graph")
    assert run.returncode == 0, run.stderr
    graph = run.stdout
    for line in ("  |--@my_company:", "  |  |--@my_company_servers:", "  |  |  |--@my_company_servers_sql:",
                 "  |  |  |  |--SQL-01-N1", "  |  |--@my_company_workstations:", "  |  |  |--@my_company_workstations_finance:",
                 "  |  |  |  |--WS-FIN-0001", "  |  |--@my_company_linux_servers:", "  |  |  |--LNX-APP-02",
                 "  |--@cluster_SQL_01:", "  |  |--SQL-01-N2", "  |--@windows_servers:"):
        assert line in graph.splitlines(), line
    assert "[WARNING]" not in run.stderr


def test_list_has_hosts_vars_and_constructed_groups(clean_emulator, collections, tmp_path):
    run = run_inventory(clean_emulator, collections, tmp_path, "--list")
    assert run.returncode == 0, run.stderr
    data = plain(run.stdout)
    host_vars = data["_meta"]["hostvars"]
    assert len(host_vars) == 200
    sql = host_vars["SQL-01-N1"]
    assert sql["sepm_group"] == "My Company\\Servers\\SQL"
    assert sql["ha_cluster"] == "SQL-01"
    assert sql["sepm_online"] is True
    assert sql["sepm_ip_addresses"] and sql["sepm_mac_addresses"]
    for key in ("id", "hardware_key", "agent_version", "running_version", "target_version", "reboot_required",
                "reboot_reason", "os_name", "last_update_time", "last_check_in", "fqdn"):
        assert "sepm_" + key in sql, key
    assert host_vars["WS-FIN-0001"]["ha_cluster"] == ""
    assert sorted(data["my_company_servers"]["children"]) == ["my_company_servers_file", "my_company_servers_sql",
                                                              "my_company_servers_web"]
    assert sorted(data["cluster_SQL_01"]["hosts"]) == ["SQL-01-N1", "SQL-01-N2"]
    versions = {values["sepm_agent_version"] for values in host_vars.values()}
    for version in versions:
        group = "agent_" + version.replace(".", "_")
        assert group in data and all(host_vars[h]["sepm_agent_version"] == version for h in data[group]["hosts"])
    assert sum(len(data["agent_" + v.replace(".", "_")]["hosts"]) for v in versions) == 200
    assert "LNX-APP-01" not in data["windows_servers"]["hosts"] and "SQL-01-N1" in data["windows_servers"]["hosts"]


def test_filters(clean_emulator, collections, tmp_path):
    text = "plugin: endpoint_ops.sepm.sepm\ninclude_groups: ['My Company\\Servers']\nexclude_groups: [Web]\n"
    run = run_inventory(clean_emulator, collections, tmp_path, "--list", text=text)
    assert run.returncode == 0, run.stderr
    data = plain(run.stdout)
    groups = {path.rsplit("\\", 1)[-1] for path in (v["sepm_group"] for v in data["_meta"]["hostvars"].values())}
    assert groups == {"SQL", "File"}
    assert "my_company_servers_web" not in data and "my_company_workstations" not in data


def test_cache_hit_makes_no_request(clean_emulator, collections, tmp_path):
    text = INVENTORY + "cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\ncache_timeout: 3600\n" % (
        tmp_path / "cache")
    clean_emulator.reset_requests()
    cold = run_inventory(clean_emulator, collections, tmp_path, "--list", text=text)
    assert cold.returncode == 0, cold.stderr
    assert clean_emulator.requests_count()["by_endpoint"].get("GET computers") == 1
    clean_emulator.reset_requests()
    cached = run_inventory(clean_emulator, collections, tmp_path, "--list", text=text)
    assert cached.returncode == 0, cached.stderr
    assert clean_emulator.requests_count()["total"] == 0
    assert plain(cached.stdout) == plain(cold.stdout)
    flushed = run_inventory(clean_emulator, collections, tmp_path, "--list", "--flush-cache", text=text)
    assert flushed.returncode == 0, flushed.stderr
    assert clean_emulator.requests_count()["by_endpoint"].get("GET computers") == 1


def failure_lines(run):
    return [line for line in run.stderr.splitlines() if line.startswith("[WARNING]: Failed to parse inventory with 'auto'")]


@pytest.mark.parametrize("case", ["wrong_password", "unreachable"])
def test_failure_is_one_clear_line(clean_emulator, collections, tmp_path, free_port, case):
    overrides = {"SEPM_PASSWORD": "not-the-password"} if case == "wrong_password" else {"SEPM_PORT": str(free_port)}
    # AWX runs inventory updates with ANSIBLE_INVENTORY_UNPARSED_FAILED=True, which makes a failed source fatal.
    run = run_inventory(clean_emulator, collections, tmp_path, "--list", ANSIBLE_INVENTORY_UNPARSED_FAILED="true", **overrides)
    assert run.returncode != 0
    (line,) = failure_lines(run)
    if case == "wrong_password":
        assert "rejected the login of 'admin'" in line and "check sepm_username, sepm_password" in line
        assert "not-the-password" not in run.stderr + run.stdout
    else:
        assert "cannot reach the SEPM at https://127.0.0.1:%s (connection refused)" % free_port in line
        assert "check sepm_host and sepm_port" in line
    assert "Traceback" not in run.stderr
    if case == "wrong_password":
        # without that setting Ansible carries on with an empty inventory, but says why in the same line
        lenient = run_inventory(clean_emulator, collections, tmp_path, "--graph", **overrides)
        assert lenient.returncode == 0 and failure_lines(lenient) == [line]
