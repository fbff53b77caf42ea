# -*- coding: utf-8 -*-
"""The endpoint_ops.sepm.sepm inventory plugin through real ansible-inventory runs against the emulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.integration.ansible_runner import REPO_ROOT, ansible_bin, ansible_bins_of_each_core, collections_root

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


LEAN_HOST_VARS = ("sepm_id", "sepm_name", "sepm_group", "sepm_fqdn", "sepm_ip_addresses", "sepm_os_name", "sepm_online",
                  "sepm_agent_version", "sepm_reboot_required")


def plain(text):
    """ansible-core 2.19 writes untrusted strings (all of an inventory plugin's) as {"__ansible_unsafe": "..."}."""
    return json.loads(text, object_hook=lambda d: d["__ansible_unsafe"] if list(d) == ["__ansible_unsafe"] else d)


@pytest.fixture(name="collections", scope="module")
def collections_fixture():
    return collections_root()


def run_inventory(emulator, collections, workdir, *args, text=INVENTORY, binary=None, **env_overrides):
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
    return subprocess.run([binary or ansible_bin("ansible-inventory"), "-i", str(path), *args], cwd=workdir, env=env,
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
    assert sql["sepm_ip_addresses"] and sql["sepm_reboot_required"] is False
    assert sorted(name for name in sql if name.startswith("sepm_")) == sorted(LEAN_HOST_VARS)
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


def test_fields_outside_the_lean_set_are_host_vars_only_on_request(clean_emulator, collections, tmp_path):
    """A field outside the lean set serves expressions; it is a host variable only when extra_host_vars asks."""
    # windows_servers in INVENTORY reads sepm_os_function, which is not in the lean set
    lean = plain(run_inventory(clean_emulator, collections, tmp_path, "--list").stdout)
    assert "SQL-01-N1" in lean["windows_servers"]["hosts"]
    assert "sepm_os_function" not in lean["_meta"]["hostvars"]["SQL-01-N1"]
    asked = plain(run_inventory(clean_emulator, collections, tmp_path, "--list",
                                text=INVENTORY + "extra_host_vars: [os_function, last_check_in]\n").stdout)
    sql = asked["_meta"]["hostvars"]["SQL-01-N1"]
    assert sql["sepm_os_function"] == "Server" and sql["sepm_last_check_in"].endswith("Z")
    assert sorted(asked["windows_servers"]["hosts"]) == sorted(lean["windows_servers"]["hosts"])
    everything = plain(run_inventory(clean_emulator, collections, tmp_path, "--list",
                                     text=INVENTORY + "extra_host_vars: [all]\n").stdout)
    # the lean set and every other field the plugin knows, the protection and infection fields included
    assert len([name for name in everything["_meta"]["hostvars"]["SQL-01-N1"] if name.startswith("sepm_")]) == 32


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
    if "--flush-cache" not in subprocess.run([ansible_bin("ansible-inventory"), "--help"], capture_output=True, text=True,
                                             check=True).stdout:
        return  # ansible-inventory has --flush-cache from ansible-core 2.16 (ansible-playbook has it on 2.15 too)
    flushed = run_inventory(clean_emulator, collections, tmp_path, "--list", "--flush-cache", text=text)
    assert flushed.returncode == 0, flushed.stderr
    assert clean_emulator.requests_count()["by_endpoint"].get("GET computers") == 1


def test_the_awx_example_source_groups_waves_clusters_and_addresses(clean_emulator, collections, tmp_path):
    """extensions/awx/inventory_source.sepm.yml, what an AWX inventory source of the collection starts from."""
    example = (REPO_ROOT / "extensions" / "awx" / "inventory_source.sepm.yml").read_text(encoding="utf-8")
    run = run_inventory(clean_emulator, collections, tmp_path, "--list", "--export", text=example,
                        ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    assert run.returncode == 0, run.stderr
    data = plain(run.stdout)
    host_vars = data["_meta"]["hostvars"]
    groups = {name: set(content.get("hosts", ())) for name, content in data.items() if name != "_meta"}

    def members(group):
        """Every host of a group and of the groups below it."""
        found = set(groups.get(group, ()))
        for child in data.get(group, {}).get("children", ()):
            found |= members(child)
        return found

    assert host_vars and not any(values["sepm_group"].endswith("Default Group") for values in host_vars.values())
    assert not any(re.search("linux|mac", values["sepm_os_name"], re.I) for values in host_vars.values())
    assert members("wave_0") == members("my_company_workstations_engineering") != set()
    assert members("wave_1") == members("my_company_workstations") - members("wave_0")
    assert members("wave_2") == set(host_vars) - members("my_company_workstations")
    assert members("my_company_servers") <= members("wave_2") and members("my_company_servers")
    assert members("cluster_SQL_01") == {"SQL-01-N1", "SQL-01-N2"}
    assert host_vars["SQL-01-N1"]["sepm_cluster"] == "SQL-01" and host_vars["WEB-01"]["sepm_cluster"] == ""
    assert all(values["ansible_host"] == values["sepm_ip_addresses"][0] for values in host_vars.values()
               if values["sepm_ip_addresses"])
    assert members("offline") == {name for name, values in host_vars.items() if not values["sepm_online"]}


def failure_lines(run):
    """The warnings that say the auto plugin failed, each as one line.

    ansible-core 2.19 writes "Failed to parse inventory with 'auto' plugin: <message>" on one line;
    older cores write "* Failed to parse <path> with auto plugin: <message>" wrapped to the terminal width.
    """
    blocks = re.split(r"\n(?=\[WARNING\]|\[ERROR\]|ERROR!)|\n\s*\n", run.stderr)
    lines = [" ".join(block.split()) for block in blocks]
    return [line for line in lines if line.startswith("[WARNING]")
            and re.search(r"Failed to parse (inventory with 'auto' plugin|.+? with auto plugin): SEPM inventory", line)]


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


# -- SEPM data is never a template ------------------------------------------------------------

PLAYBOOK = """
- name: Show what the SEPM sent
  hosts: all
  gather_facts: false
  tasks:
    - name: Print host variables that hold template text
      ansible.builtin.debug:
        msg: "VALUE {{ item }}"
      loop:
        - "{{ inventory_hostname }}"
        - "{{ sepm_name }}"
        - "{{ sepm_os_name }}"
        - "{{ sepm_group }}"
        - "{{ deployment_note }}"
        - "{{ sepm_ip_addresses | first }}"
    - name: Print one as a variable
      ansible.builtin.debug:
        var: sepm_os_name
"""


def poison_cached_computer(cache_dir, name, template):
    """Put template text into the cached SEPM answer of one computer: every text field, as a hostile SEPM could."""
    (cache_file,) = sorted(cache_dir.iterdir())
    stored = json.loads(cache_file.read_text(encoding="utf-8"))
    # ansible-core 2.19 wraps a cached value as {"__payload__": <its JSON>}; older cores store it as it is.
    wrapped = isinstance(stored, dict) and "__payload__" in stored
    data = json.loads(json.loads(stored["__payload__"]) if wrapped else stored)
    fields = data["fields"]
    # the cache stores a column per field, a repetitive one as its distinct values and an index per computer
    columns = [column["values"] if "values" in column else [column["distinct"][i] for i in column["index"]]
               for column in data["columns"]]
    row = columns[fields.index("name")].index(name)
    for field in ("name", "os_name", "operating_system", "deployment_message", "reboot_reason", "agent_version"):
        columns[fields.index(field)][row] = "PWN-" + template if field == "name" else template
    columns[fields.index("ip_addresses")][row] = [template]
    columns[fields.index("group")][row] = "My Company\\" + template
    data["columns"] = [{"values": column} for column in columns]
    value = json.dumps(data)
    stored = {"__payload__": json.dumps(value)} if wrapped else value
    cache_file.write_text(json.dumps(stored), encoding="utf-8")


def each_core(name):
    return [pytest.param(path, id=core) for core, path in ansible_bins_of_each_core(name)]


def offline_env(collections, free_port, **extra):
    """The environment of a run that reads only the cache: the SEPM's port is closed."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SEPM_", "ANSIBLE_"))}
    env.update({"ANSIBLE_COLLECTIONS_PATH": str(collections), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
                "SEPM_HOST": "127.0.0.1", "SEPM_PORT": str(free_port), "SEPM_USERNAME": "admin", "SEPM_PASSWORD": "unused",
                "ANSIBLE_CONNECTION": "local", "ANSIBLE_PYTHON_INTERPRETER": "auto_silent"}, **extra)
    return env


def poisoned_source(emulator, collections, tmp_path, template, binary):
    """A cached inventory source whose computer SQL-01-N1 has template text in every text field."""
    text = INVENTORY.replace("compose:\n", "compose:\n  deployment_note: sepm_deployment_message\n", 1) + (
        "cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\ncache_timeout: 3600\n" % (tmp_path / "cache"))
    cold = run_inventory(emulator, collections, tmp_path, "--graph", text=text, binary=binary)
    assert cold.returncode == 0, cold.stderr
    poison_cached_computer(tmp_path / "cache", "SQL-01-N1", template)
    return text


@pytest.mark.parametrize("ansible_inventory", each_core("ansible-inventory"))
def test_template_text_from_the_sepm_stays_text(clean_emulator, collections, tmp_path, free_port, ansible_inventory):
    """A computer whose SEPM fields hold a lookup: a play shows the braces and the lookup never runs, on every core.

    The cold load fills the cache from the emulator; the cached answer is then given template
    text in every text field (the emulator cannot rename a computer) and read with the SEPM down.
    Its name is no host name: it is named by its SEPM id.
    """
    marker = tmp_path / "pwned"
    template = "{{ lookup('pipe', 'touch %s') }}" % marker
    text = poisoned_source(clean_emulator, collections, tmp_path, template, ansible_inventory)

    playbook = tmp_path / "show.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    play = subprocess.run([str(Path(ansible_inventory).parent / "ansible-playbook"), "-i", str(tmp_path / "fleet.sepm.yml"),
                           "--limit", "sepm_*", str(playbook)], cwd=tmp_path, env=offline_env(collections, free_port),
                          capture_output=True, text=True, timeout=300, check=False)
    assert play.returncode == 0, play.stdout + play.stderr
    assert not marker.exists(), "the lookup in the SEPM data ran"
    values = [line for line in play.stdout.splitlines() if "VALUE " in line]
    assert len(values) == 6, play.stdout
    assert re.search(r"VALUE sepm_[0-9a-f]{8}\b", values[0]), values[0]
    for line in values[1:]:
        assert "lookup('pipe'" in line, line
    assert "PWN-{{ lookup('pipe'" in values[1] and "My Company\\\\{{ lookup('pipe'" in values[3], values
    assert "ok=2" in play.stdout
    assert "template text" in " ".join(play.stdout.split() + play.stderr.split())

    listed = run_inventory(clean_emulator, collections, tmp_path, "--list", text=text, binary=ansible_inventory,
                           SEPM_PORT=str(free_port))
    assert listed.returncode == 0, listed.stderr
    (host_vars,) = [values for values in plain(listed.stdout)["_meta"]["hostvars"].values()
                    if values["sepm_name"].startswith("PWN-")]
    assert host_vars["sepm_os_name"] == template and host_vars["deployment_note"] == template
    assert not marker.exists()


AWX_JOB = """
- name: What an AWX job sees of the synced inventory
  hosts: all
  gather_facts: false
  tasks:
    - name: Print the variables the sync stored
      ansible.builtin.debug:
        msg: "VALUE {{ inventory_hostname }}|{{ sepm_name }}|{{ sepm_group | regex_replace('[^A-Za-z ]', '/') }}|{{ sepm_online }}"
"""


@pytest.mark.parametrize("ansible_inventory", each_core("ansible-inventory"))
def test_awx_inventory_sync_reads_every_host_and_jobs_get_the_text(clean_emulator, collections, tmp_path, free_port,
                                                                   ansible_inventory):
    """What AWX does with an inventory source, on every core: sync, store, then hand it to a job.

    The sync runs ``ansible-inventory --list --export`` and reads its JSON with a plain JSON
    parser: every host a group lists must be a name (a string) with its variables in
    ``_meta.hostvars``. A job gets the stored JSON from a script inventory, where a value
    written as ``{"__ansible_unsafe": ...}`` becomes text again and is never rendered.
    """
    marker = tmp_path / "pwned"
    template = "{{ lookup('pipe', 'touch %s') }}" % marker
    text = poisoned_source(clean_emulator, collections, tmp_path, template, ansible_inventory)
    synced = run_inventory(clean_emulator, collections, tmp_path, "--list", "--export", text=text, binary=ansible_inventory,
                           SEPM_PORT=str(free_port), ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    assert synced.returncode == 0, synced.stderr
    stored = json.loads(synced.stdout)
    host_vars = stored["_meta"]["hostvars"]
    assert len(host_vars) == 200
    for group, content in stored.items():
        if group == "_meta":
            continue
        for name in content.get("hosts", []) + content.get("children", []):
            assert isinstance(name, str), (group, name)
        assert set(content.get("hosts", ())) <= set(host_vars), group
    assert sorted(stored["my_company_servers"]["children"]) == ["my_company_servers_file", "my_company_servers_sql",
                                                                "my_company_servers_web"]
    (poisoned,) = [name for name in host_vars if re.fullmatch(r"sepm_[0-9a-f]{8}", name)]

    script = tmp_path / "awx_inventory.sh"
    script.write_text("#!/bin/sh\ncat '%s'\n" % (tmp_path / "stored.json"), encoding="utf-8")
    script.chmod(0o755)
    (tmp_path / "stored.json").write_text(synced.stdout, encoding="utf-8")
    (tmp_path / "job.yml").write_text(AWX_JOB, encoding="utf-8")
    job = subprocess.run([str(Path(ansible_inventory).parent / "ansible-playbook"), "-i", str(script),
                          "--limit", "SQL-01-N2:%s" % poisoned, str(tmp_path / "job.yml")], cwd=tmp_path,
                         env=offline_env(collections, free_port), capture_output=True, text=True, timeout=300, check=False)
    assert job.returncode == 0, job.stdout + job.stderr
    values = sorted(line.split("VALUE ", 1)[1].rstrip('"') for line in job.stdout.splitlines() if "VALUE " in line)
    assert values[0] == "SQL-01-N2|SQL-01-N2|My Company/Servers/SQL|True", values
    assert values[1].startswith("%s|PWN-%s|My Company/" % (poisoned, template)), values
    assert not marker.exists(), "the lookup in the SEPM data ran"
