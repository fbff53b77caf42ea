# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests of the endpoint_ops.sepm.sepm inventory plugin: names, sanitising, filters, cache.

The plugin runs for real (loaded by Ansible's plugin loader, options from a ``.sepm.yml``
file) over the real SepmClient, whose HTTP session is the scripted FakeSession: no network.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys

import pytest

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader, inventory_loader
from ansible.utils.collection_loader import AnsibleCollectionConfig


def _install_collection_finder():
    """Plain pytest (PYTHONPATH=<root>) has no collection finder yet; ansible-test units has one.

    It must be in place before the plugin module is imported, or the plugin loader cannot load it.
    """
    if AnsibleCollectionConfig.collection_finder is not None:
        return
    for entry in sys.path:
        if entry and os.path.isdir(os.path.join(entry, "ansible_collections", "endpoint_ops", "sepm")):
            init_plugin_loader([entry])
            return


_install_collection_finder()

# pylint: disable=wrong-import-position
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.connection import CONNECTION_ENV  # noqa: E402
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmClient  # noqa: E402
from ansible_collections.endpoint_ops.sepm.plugins.inventory import sepm as plugin_module  # noqa: E402
from ansible_collections.endpoint_ops.sepm.tests.unit.plugins.module_utils.fake_sepm import (  # noqa: E402
    FakeClock,
    FakeSession,
    auth_ok,
    error,
    ok,
    page,
)

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "computer_record.json")
GROUP_PATHS = (
    "My Company",
    "My Company\\Servers",
    "My Company\\Servers\\SQL",
    "My Company\\Servers\\Web (DMZ)",
    "My Company\\Workstations",
    "My Company\\Workstations\\Finance",
)


def base_record():
    with open(FIXTURE, encoding="utf-8") as handle:
        return json.load(handle)


BASE = base_record()


def record(name, group="My Company\\Servers\\SQL", ip="10.0.0.1", online=1, os_name="Windows Server 2019",
           domain="CORP", uid=None, last_update=1724243995809, version="14.3.10148.9000"):
    item = copy.deepcopy(BASE)
    item.update({
        "computerName": name,
        "uniqueId": uid or ("%032X" % (abs(hash((name, ip, group))) % (16 ** 32))),
        "hardwareKey": "HK" + (uid or name),
        "ipAddresses": [ip] if ip else [],
        "onlineStatus": online,
        "osName": os_name,
        "operatingSystem": os_name + " Standard Edition",
        "domainOrWorkgroup": domain,
        "lastUpdateTime": last_update,
        "agentVersion": version,
        "deploymentRunningVersion": version,
        "deploymentTargetVersion": version,
    })
    item["group"] = dict(item["group"], name=group, fullPathName=None)
    return item


def group_record(path):
    return {"id": "G" + str(abs(hash(path))), "name": path.rsplit("\\", 1)[-1], "fullPathName": path}


def fleet():
    return [
        record("SQL-01-N1", ip="10.0.0.11"),
        record("SQL-01-N2", ip="10.0.0.12"),
        record("WEB-01", group="My Company\\Servers\\Web (DMZ)", ip="10.0.1.1", os_name="Windows Server 2022"),
        record("LNX-APP-01", group="My Company\\Servers", ip="10.0.2.1", os_name="Red Hat Enterprise Linux", domain=""),
        record("WS-FIN-0001", group="My Company\\Workstations\\Finance", ip="10.1.0.1", os_name="Windows 10"),
        record("WS-FIN-0002", group="My Company\\Workstations\\Finance", ip="10.1.0.2", os_name="Windows 10", online=0),
    ]


@pytest.fixture(scope="module", name="loader")
def loader_fixture():
    assert inventory_loader.get("endpoint_ops.sepm.sepm") is not None
    return DataLoader()


class Sepm:
    """A scripted SEPM: each live load answers login, groups, the computer pages and logout."""

    def __init__(self, computers, groups=GROUP_PATHS, page_size=1000):
        self.computers = computers
        self.groups = groups
        self.page_size = page_size
        self.sessions = []

    def script(self):
        pages = [self.computers[start:start + self.page_size]
                 for start in range(0, max(1, len(self.computers)), self.page_size)] or [[]]
        items = [auth_ok(), page([group_record(path) for path in self.groups])]
        for number, content in enumerate(pages):
            items.append(page(content, number=number, last=number == len(pages) - 1, total_pages=len(pages)))
        items.append(ok(None, status=204))
        return items

    def client(self, plugin):
        session = FakeSession(*self.script())
        self.sessions.append(session)
        clock = FakeClock()
        return SepmClient(host=plugin.get_option("sepm_host"), username="admin", password="secret-pw",
                          session=session, sleep=clock.sleep, clock=clock)

    @property
    def requests(self):
        return sum(len(session.calls) for session in self.sessions)


def run(loader, tmp_path, monkeypatch, sepm, config=None, cache=True, name="test.sepm.yml", client=None):
    """Parse one inventory source; returns (inventory, plugin)."""
    settings = {"plugin": "endpoint_ops.sepm.sepm", "sepm_host": "sepm.example.com"}
    settings.update(config or {})
    path = tmp_path / name
    path.write_text(json.dumps(settings))
    plugin = inventory_loader.get("endpoint_ops.sepm.sepm")
    monkeypatch.setattr(plugin, "_client", client or (lambda: sepm.client(plugin)))
    inventory = InventoryData()
    assert plugin.verify_file(str(path))
    plugin.parse(inventory, loader, str(path), cache=cache)
    try:  # what the inventory manager does after a parse
        plugin.update_cache_if_changed()
    except AttributeError:  # no cache configured
        pass
    return inventory, plugin


def host_names(inventory):
    return sorted(inventory.hosts)


# -- documentation ---------------------------------------------------------------------------

def test_documented_env_matches_the_modules_connection_env():
    import yaml  # pylint: disable=import-outside-toplevel
    options = yaml.safe_load(plugin_module.DOCUMENTATION)["options"]
    documented = {name: [entry["name"] for entry in options[name].get("env", [])] for name in CONNECTION_ENV}
    assert documented == {name: [env] for name, env in CONNECTION_ENV.items()}


def test_verify_file_wants_sepm_yml_only(tmp_path):
    plugin = plugin_module.InventoryModule()
    for name, wanted in (("a.sepm.yml", True), ("a.sepm.yaml", True), ("a.yml", False), ("sepm.yml", False)):
        path = tmp_path / name
        path.write_text("plugin: endpoint_ops.sepm.sepm\n")
        assert bool(plugin.verify_file(str(path))) is wanted, name


# -- sanitising ------------------------------------------------------------------------------

@pytest.mark.parametrize("path, prefix, expected", [
    ("My Company", "", "my_company"),
    ("My Company\\Servers\\SQL", "", "my_company_servers_sql"),
    ("My Company\\Servers\\Web (DMZ)", "", "my_company_servers_web__dmz_"),
    ("My Company\\Standorte\\München-Süd", "", "my_company_standorte_münchen_süd"),
    ("My Company\\Servers", "sepm_", "sepm_my_company_servers"),
    ("1st Floor", "", "_st_floor"),
])
def test_group_names_are_sanitised(path, prefix, expected):
    assert plugin_module.group_name(path, prefix) == expected


def test_group_tree_keeps_parents_and_children(loader, tmp_path, monkeypatch):
    inventory, _plugin = run(loader, tmp_path, monkeypatch, Sepm(fleet()), {"cache": False})
    groups = inventory.groups
    assert [g.name for g in groups["my_company"].child_groups] == ["my_company_servers", "my_company_workstations"]
    assert sorted(g.name for g in groups["my_company_servers"].child_groups) == [
        "my_company_servers_sql", "my_company_servers_web__dmz_"]
    assert sorted(h.name for h in groups["my_company_servers_sql"].hosts) == ["SQL-01-N1", "SQL-01-N2"]
    assert [h.name for h in groups["my_company_servers"].hosts] == ["LNX-APP-01"]
    # an empty SEPM group is a group too
    assert "my_company_workstations" in groups


LEAN_HOST_VARS = ["sepm_id", "sepm_name", "sepm_group", "sepm_fqdn", "sepm_ip_addresses", "sepm_os_name", "sepm_online",
                  "sepm_agent_version", "sepm_reboot_required"]


def sepm_vars(host_vars):
    return [name for name in host_vars if name.startswith("sepm_")]


def test_host_variables_are_the_lean_set_by_default(loader, tmp_path, monkeypatch):
    inventory, _plugin = run(loader, tmp_path, monkeypatch, Sepm(fleet()), {"cache": False})
    host_vars = inventory.get_host("WS-FIN-0002").vars
    assert host_vars["sepm_group"] == "My Company\\Workstations\\Finance"
    assert host_vars["sepm_online"] is False
    assert host_vars["sepm_ip_addresses"] == ["10.1.0.2"]
    assert host_vars["sepm_agent_version"] == "14.3.10148.9000"
    assert host_vars["sepm_reboot_required"] is False
    assert sepm_vars(host_vars) == LEAN_HOST_VARS
    assert [name for name in host_vars if not name.startswith("sepm_")] == ["inventory_file", "inventory_dir"]


def test_extra_host_vars_adds_fields(loader, tmp_path, monkeypatch):
    config = {"cache": False, "extra_host_vars": ["last_check_in", "target_version"]}
    inventory, _plugin = run(loader, tmp_path, monkeypatch, Sepm(fleet()), config)
    host_vars = inventory.get_host("WS-FIN-0002").vars
    assert host_vars["sepm_last_check_in"] == "2024-08-21T12:39:55Z"
    assert sepm_vars(host_vars) == LEAN_HOST_VARS + ["sepm_target_version", "sepm_last_check_in"]


def test_extra_host_vars_all_sets_every_field(loader, tmp_path, monkeypatch):
    inventory, _plugin = run(loader, tmp_path, monkeypatch, Sepm(fleet()), {"cache": False, "extra_host_vars": ["all"]})
    host_vars = inventory.get_host("WS-FIN-0002").vars
    assert sorted(sepm_vars(host_vars)) == sorted("sepm_" + field for field in plugin_module.ALL_FIELDS)
    for key in ("id", "hardware_key", "running_version", "target_version", "reboot_required", "reboot_reason",
                "os_name", "mac_addresses", "last_update_time", "fqdn", "last_check_in"):
        assert "sepm_" + key in host_vars


def test_unknown_extra_host_var_is_one_clear_error(loader, tmp_path, monkeypatch):
    with pytest.raises(AnsibleParserError, match="extra_host_vars: unknown fields colour"):
        run(loader, tmp_path, monkeypatch, Sepm(fleet()), {"cache": False, "extra_host_vars": ["colour"]})


def test_expressions_see_fields_that_are_not_host_variables(loader, tmp_path, monkeypatch):
    config = {
        "cache": False,
        "compose": {"os_kind": "sepm_os_function | lower"},
        "groups": {"finance_offline": "sepm_group_id is string and not sepm_online and sepm_mac_addresses | length > 0"},
        "keyed_groups": [{"key": "sepm_deployment_status", "prefix": "deploy"}],
    }
    inventory, _plugin = run(loader, tmp_path, monkeypatch, Sepm(fleet()), config)
    host_vars = inventory.get_host("WS-FIN-0002").vars
    assert host_vars["os_kind"] == BASE["osFunction"].lower()
    assert [h.name for h in inventory.groups["finance_offline"].hosts] == ["WS-FIN-0002"]
    assert len(inventory.groups["deploy_" + BASE["deploymentStatus"]].hosts) == 6
    for field in ("sepm_os_function", "sepm_group_id", "sepm_mac_addresses", "sepm_deployment_status"):
        assert field not in host_vars
    assert sepm_vars(host_vars) == LEAN_HOST_VARS


# -- SEPM data is never a template -------------------------------------------------------------

def render(loader, text, variables):
    """What a play would make of ``text`` with these variables, on any ansible-core."""
    from ansible.template import Templar  # pylint: disable=import-outside-toplevel
    try:
        from ansible.template import trust_as_template  # pylint: disable=import-outside-toplevel
    except ImportError:  # before 2.19 every string of a play is a template
        trust_as_template = str
    return Templar(loader=loader, variables=variables).template(trust_as_template(text))


TEMPLATE_TEXT = "{{ 6 * 7 }}"


def test_sepm_values_are_never_rendered(loader, tmp_path, monkeypatch):
    computers = fleet()
    computers[0].update({"computerName": "SQL-{{ 6 * 7 }}", "osName": TEMPLATE_TEXT, "operatingSystem": TEMPLATE_TEXT,
                         "ipAddresses": [TEMPLATE_TEXT], "deploymentMessage": TEMPLATE_TEXT,
                         "agentVersion": TEMPLATE_TEXT, "rebootReason": "{% raw %}x{% endraw %}"})
    computers[0]["group"] = dict(computers[0]["group"], name="My Company\\{{ 6 * 7 }}")
    config = {"cache": False, "extra_host_vars": ["all"],
              "compose": {"composed": "sepm_os_name", "composed_from_hidden": "sepm_deployment_message ~ ''"},
              "keyed_groups": [{"key": "sepm_operating_system", "prefix": "os"}]}
    inventory, _plugin = run(loader, tmp_path, monkeypatch, Sepm(computers, groups=GROUP_PATHS + ("My Company\\{{ 6 * 7 }}",)),
                             config)
    # every name hostnames could give it holds template text: it is named by its SEPM id
    assert not [host for host in inventory.hosts if "{" in host]
    (name,) = [host for host in inventory.hosts if inventory.get_host(host).get_vars()["sepm_name"] == "SQL-{{ 6 * 7 }}"]
    assert re.fullmatch(r"sepm_[0-9a-f]{8}", name)
    host = inventory.get_host(name)
    variables = dict(host.get_vars())
    for var_name in ("sepm_name", "sepm_os_name", "sepm_operating_system", "sepm_deployment_message",
                     "sepm_agent_version", "sepm_reboot_reason", "sepm_group", "composed", "composed_from_hidden"):
        shown = render(loader, "{{ %s }}" % var_name, variables)
        assert "{" in shown and "42" not in shown and shown != "x", (var_name, shown)
    assert render(loader, "{{ sepm_ip_addresses | first }}", variables) == TEMPLATE_TEXT
    # group names made from SEPM text are sanitised: no braces survive
    assert all("{" not in group for group in inventory.groups)
    assert "my_company____6___7___" in inventory.groups


# -- host names ------------------------------------------------------------------------------

def hv(name=None, ip=None, fqdn=None, uid="ABCDEF0123456789", last=0):
    return {"sepm_name": name, "sepm_ip_addresses": [ip] if ip else [], "sepm_fqdn": fqdn, "sepm_id": uid,
            "sepm_hardware_key": "HK" + uid, "sepm_last_update_time": last}


def test_name_precedence_takes_the_first_value_present():
    hosts = [hv("WS-01", "10.0.0.1"), hv(None, "10.0.0.2", uid="B" * 32), hv(None, None, uid="C" * 32)]
    names, renamed, _refused = plugin_module.assign_host_names(hosts, ["computer_name", "fqdn", "ip_address"])
    assert names[:2] == ["WS-01", "10.0.0.2"]
    assert names[2] == "sepm_cccccccc"  # nothing to name it by: the id
    assert renamed == [(None, "sepm_cccccccc")]


def test_name_precedence_in_user_order():
    hosts = [hv("WS-01", "10.0.0.1", fqdn="ws-01.corp.example.com")]
    assert plugin_module.assign_host_names(hosts, ["ip_address", "computer_name"])[0] == ["10.0.0.1"]
    assert plugin_module.assign_host_names(hosts, ["fqdn", "computer_name"])[0] == ["ws-01.corp.example.com"]
    assert plugin_module.assign_host_names(hosts, ["id"])[0] == ["ABCDEF0123456789"]


def test_duplicates_fall_back_and_are_never_lost():
    hosts = [
        hv("WS-01", "10.0.0.1", uid="A" * 32, last=100),
        hv("ws-01", "10.0.0.2", uid="B" * 32, last=300),  # checked in last: keeps the name
        hv("WS-01", None, uid="C" * 32, last=200),  # no fallback value: name plus id prefix
        hv("WS-02", "10.0.0.9", uid="D" * 32),
        hv("10.0.0.9", None, uid="E" * 32),  # another host's first choice is never taken by a fallback
    ]
    names, renamed, _refused = plugin_module.assign_host_names(hosts, ["computer_name", "ip_address"])
    assert names == ["10.0.0.1", "ws-01", "WS-01_cccccccc", "WS-02", "10.0.0.9"]
    assert len({name.lower() for name in names}) == len(hosts)
    assert sorted(renamed) == [("WS-01", "10.0.0.1"), ("WS-01", "WS-01_cccccccc")]


def test_a_name_holding_template_text_is_never_a_host_name():
    hosts = [hv("WS-{{ 6 * 7 }}", "10.0.0.1", uid="A" * 32), hv("WS-{% if 1 %}", "10.0.0.{#", uid="B" * 32),
             hv("10.0.0.1", None, uid="C" * 32), hv("WS-03", "10.0.0.3", uid="D" * 32)]
    names, renamed, refused = plugin_module.assign_host_names(hosts, ["computer_name", "ip_address"])
    # the next entry names it, unless another host wants that name first (then the id is appended); else the id
    assert names == ["10.0.0.1_aaaaaaaa", "sepm_bbbbbbbb", "10.0.0.1", "WS-03"]
    assert refused == [("WS-{{ 6 * 7 }}", "10.0.0.1_aaaaaaaa"), ("WS-{% if 1 %}", "sepm_bbbbbbbb")]
    assert renamed == []


def test_host_names_are_plain_text_and_template_names_are_reported(loader, tmp_path, monkeypatch):
    """ansible-inventory prints an unsafe host name as {"__ansible_unsafe": ...} in a group's hosts before 2.19."""
    warnings = []
    computers = fleet() + [record("WS-{{ 6 * 7 }}", ip="10.9.9.9", uid="F" * 32)]
    plugin = inventory_loader.get("endpoint_ops.sepm.sepm")
    monkeypatch.setattr(plugin.display, "warning", warnings.append)
    inventory, _plugin = run(loader, tmp_path, monkeypatch, Sepm(computers), {"cache": False})
    assert {type(name) for name in inventory.hosts} == {str}
    assert "10.9.9.9" in inventory.hosts and inventory.get_host("10.9.9.9").get_vars()["sepm_name"] == "WS-{{ 6 * 7 }}"
    assert len(warnings) == 1 and "template text" in warnings[0] and "WS-{{ 6 * 7 }} -> 10.9.9.9" in warnings[0]


def test_duplicates_are_reported_once(loader, tmp_path, monkeypatch):
    warnings = []
    computers = fleet() + [record("SQL-01-N1", ip="10.0.9.9", uid="F" * 32, last_update=1)]
    plugin = inventory_loader.get("endpoint_ops.sepm.sepm")
    monkeypatch.setattr(plugin.display, "warning", warnings.append)
    inventory, _plugin = run(loader, tmp_path, monkeypatch, Sepm(computers), {"cache": False})
    assert "10.0.9.9" in inventory.hosts and "SQL-01-N1" in inventory.hosts
    assert len(inventory.hosts) == len(computers)
    assert len(warnings) == 1 and "SQL-01-N1 -> 10.0.9.9" in warnings[0]


@pytest.mark.parametrize("name, domain, expected", [
    ("WS-01", "CORP", None),
    ("WS-01", "corp.example.com", "ws-01.corp.example.com"),
    ("lnx01.example.com", "", "lnx01.example.com"),
    ("WS-01", None, None),
])
def test_fqdn_only_when_known(name, domain, expected):
    assert plugin_module.fqdn_of(name, domain) == expected


# -- filters ---------------------------------------------------------------------------------

@pytest.mark.parametrize("include, exclude, path, wanted", [
    ([], [], "My Company\\Servers\\SQL", True),
    (["My Company\\Servers"], [], "My Company\\Servers\\SQL", True),  # a match covers the subtree
    (["My Company\\Servers"], [], "My Company\\Servers", True),
    (["My Company\\Servers"], [], "My Company\\Workstations", False),
    (["my company/servers"], [], "My Company\\Servers\\SQL", True),  # slashes and case
    (["My Company\\\\Servers"], [], "My Company\\Servers\\Web", True),  # doubled backslashes
    (["sql"], [], "My Company\\Servers\\SQL", True),  # no separator: the group's own name at any depth
    (["sql"], [], "My Company\\Servers\\SQLX", False),
    (["My Company\\*\\SQL"], [], "My Company\\Servers\\SQL", True),
    (["My Company\\Work*"], ["Finance"], "My Company\\Workstations\\Finance", False),  # exclude wins
    (["My Company\\Work*"], ["Finance"], "My Company\\Workstations\\HR", True),
    ([], ["My Company\\Workstations\\*"], "My Company\\Workstations", True),
    ([], ["My Company\\Workstations\\*"], "My Company\\Workstations\\HR\\Remote", False),
])
def test_group_path_filter(include, exclude, path, wanted):
    assert plugin_module.PathFilter(include, exclude)(path) is wanted


@pytest.mark.parametrize("include, exclude, values, wanted", [
    (["windows"], [], ("Windows Server 2019", "Windows Server 2019 Standard Edition"), True),
    (["server 2019"], [], ("Windows Server 2019", ""), True),
    (["Windows 1?"], [], ("Windows 10", ""), True),
    (["Windows 1?"], [], ("Windows Server 2019", ""), False),
    ([], ["linux"], ("Red Hat Enterprise Linux", ""), False),
    (["windows"], [], ("Red Hat Enterprise Linux", None), False),
])
def test_os_filter(include, exclude, values, wanted):
    assert plugin_module.TextFilter(include, exclude)(*values) is wanted


def test_filters_select_hosts_and_groups(loader, tmp_path, monkeypatch):
    config = {"cache": False, "include_groups": ["My Company\\Servers"], "exclude_groups": ["Web*"],
              "exclude_os": ["linux"]}
    inventory, _plugin = run(loader, tmp_path, monkeypatch, Sepm(fleet()), config)
    assert host_names(inventory) == ["SQL-01-N1", "SQL-01-N2"]
    assert "my_company_servers_web__dmz_" not in inventory.groups
    assert "my_company_workstations" not in inventory.groups
    assert [g.name for g in inventory.groups["my_company"].child_groups] == ["my_company_servers"]


def test_online_only_and_include_os(loader, tmp_path, monkeypatch):
    config = {"cache": False, "online_only": True, "include_os": ["Windows 10"]}
    inventory, _plugin = run(loader, tmp_path, monkeypatch, Sepm(fleet()), config)
    assert host_names(inventory) == ["WS-FIN-0001"]


@pytest.mark.parametrize("hostnames", [["nickname"], []])
def test_bad_hostnames_is_one_clear_error(loader, tmp_path, monkeypatch, hostnames):
    with pytest.raises(AnsibleError, match="hostnames"):
        run(loader, tmp_path, monkeypatch, Sepm(fleet()), {"cache": False, "hostnames": hostnames})


# -- constructed -----------------------------------------------------------------------------

def test_compose_groups_and_keyed_groups(loader, tmp_path, monkeypatch):
    config = {
        "cache": False,
        "compose": {"ha_cluster": "sepm_name | regex_replace('-N[0-9]+$', '') if sepm_name is regex('-N[0-9]+$') else ''"},
        "keyed_groups": [{"key": "ha_cluster", "prefix": "cluster"}, {"key": "sepm_agent_version", "prefix": "agent"}],
        "groups": {"offline": "not sepm_online"},
    }
    inventory, _plugin = run(loader, tmp_path, monkeypatch, Sepm(fleet()), config)
    assert inventory.get_host("SQL-01-N2").vars["ha_cluster"] == "SQL-01"
    assert sorted(h.name for h in inventory.groups["cluster_SQL_01"].hosts) == ["SQL-01-N1", "SQL-01-N2"]
    assert len(inventory.groups["agent_14_3_10148_9000"].hosts) == 6
    assert [h.name for h in inventory.groups["offline"].hosts] == ["WS-FIN-0002"]


def test_cluster_pattern_and_connect_by_set_variables_without_expressions(loader, tmp_path, monkeypatch):
    computers = fleet() + [record("NOIP-01", ip=None, domain="corp.example.com")]
    config = {"cache": False, "cluster_pattern": "^(.+)-N[0-9]+$", "connect_by": ["ip_address", "fqdn"],
              "keyed_groups": [{"key": "sepm_cluster", "prefix": "cluster"}],
              "compose": {"pair": "sepm_cluster ~ '/' ~ (ansible_host | default('none'))"}}
    inventory, _plugin = run(loader, tmp_path, monkeypatch, Sepm(computers), config)
    sql = inventory.get_host("SQL-01-N2").vars
    assert sql["sepm_cluster"] == "SQL-01" and sql["ansible_host"] == "10.0.0.12" and sql["pair"] == "SQL-01/10.0.0.12"
    assert inventory.get_host("WEB-01").vars["sepm_cluster"] == ""
    assert inventory.get_host("NOIP-01").vars["ansible_host"] == "noip-01.corp.example.com"  # no IP: the next entry
    assert sorted(h.name for h in inventory.groups["cluster_SQL_01"].hosts) == ["SQL-01-N1", "SQL-01-N2"]
    assert [group for group in inventory.groups if group.startswith("cluster")] == ["cluster_SQL_01"]
    plain, _plugin = run(loader, tmp_path, monkeypatch, Sepm(computers), {"cache": False})
    assert not {"sepm_cluster", "ansible_host"} & set(plain.get_host("SQL-01-N2").vars)


@pytest.mark.parametrize("pattern, words", [("^(.+-N[0-9]+$", "is not a regular expression"), ("-N[0-9]+$", "has no group")])
def test_a_cluster_pattern_that_cannot_name_a_cluster_fails_in_one_line(loader, tmp_path, monkeypatch, pattern, words):
    with pytest.raises(AnsibleParserError, match="cluster_pattern: .*%s" % words) as raised:
        run(loader, tmp_path, monkeypatch, Sepm(fleet()), {"cache": False, "cluster_pattern": pattern})
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("expressions, templates, expected", [
    (["sepm_agent_version"], [], ("sepm_agent_version",)),
    (["sepm_name | regex_replace('-N[0-9]+$', '') if sepm_name is regex('-N[0-9]+$') else ''", "not sepm_online"], [],
     ("sepm_name", "sepm_online")),
    (["ha_cluster"], ["cluster_{{ sepm_group }}"], ("ha_cluster", "sepm_group")),
    (["inventory_hostname | upper"], [], ("inventory_hostname",)),
    (["lookup('pipe', 'date')"], [], None),  # not a known variable: may differ between equal hosts
    (["vars['sepm_name']"], [], None),
    (["sepm_name | random"], [], None),
    (["sepm_name | ansible.builtin.shuffle"], [], None),
    (["sepm_name |"], [], None),  # does not parse
])
def test_expression_inputs(expressions, templates, expected):
    known = set(plugin_module.ALL_VAR_NAMES) | {"inventory_hostname", "ha_cluster"}
    assert plugin_module.expression_inputs(expressions, templates, known) == expected


def constructed_outcome(inventory):
    groups = {name: sorted(host.name for host in group.hosts) for name, group in inventory.groups.items()}
    composed = {name: {key: value for key, value in host.vars.items() if not key.startswith(("sepm_", "inventory_"))}
                for name, host in inventory.hosts.items()}
    parents = {name: sorted(parent.name for parent in group.parent_groups) for name, group in inventory.groups.items()}
    return groups, composed, parents


def test_shared_evaluation_gives_every_host_its_own_answer(loader, tmp_path, monkeypatch):
    computers = [record("SQL-%02d-N%d" % (number // 2, number % 2 + 1), ip="10.3.0.%d" % number, uid="%032X" % number,
                        online=number % 3 != 0, version="14.3.%d" % (number % 4))
                 for number in range(40)]
    shared = {
        "cache": False,
        "compose": {"ha_cluster": "sepm_name | regex_replace('-N[0-9]+$', '')", "version_major": "sepm_agent_version[:4]"},
        "groups": {"offline": "not sepm_online", "cluster_00": "ha_cluster == 'SQL-00'"},
        "keyed_groups": [{"key": "sepm_agent_version", "prefix": "agent", "parent_group": "agents"},
                         {"key": "ha_cluster", "prefix": "cluster"}],
    }
    # the same expressions, each made to read inventory_hostname: evaluated for every host
    per_host = dict(shared, compose={name: "(%s) if inventory_hostname else None" % text for name, text in
                                     shared["compose"].items()},
                    groups={name: "inventory_hostname is string and (%s)" % text for name, text in shared["groups"].items()},
                    keyed_groups=[dict(entry, key="(%s) if inventory_hostname else None" % entry["key"])
                                  for entry in shared["keyed_groups"]])
    plugin = inventory_loader.get("endpoint_ops.sepm.sepm")
    evaluations = []
    original = type(plugin)._compose
    monkeypatch.setattr(type(plugin), "_compose", lambda self, *args, **kwargs: evaluations.append(1) or original(
        self, *args, **kwargs))
    inventory_shared, _plugin = run(loader, tmp_path, monkeypatch, Sepm(computers), shared)
    shared_evaluations = len(evaluations)
    inventory_per_host, _plugin = run(loader, tmp_path, monkeypatch, Sepm(computers), per_host)
    assert constructed_outcome(inventory_shared) == constructed_outcome(inventory_per_host)
    assert len(inventory_shared.groups["offline"].hosts) == 14
    assert sorted(h.name for h in inventory_shared.groups["cluster_SQL_07"].hosts) == ["SQL-07-N1", "SQL-07-N2"]
    assert [g.name for g in inventory_shared.groups["agent_14_3_1"].parent_groups] == ["agents"]
    # compose: once per computer name (40); keyed groups: once per (version, cluster) pair, not per host
    assert shared_evaluations < len(evaluations) - 30


def test_strict_reports_a_broken_expression(loader, tmp_path, monkeypatch):
    config = {"cache": False, "strict": True, "compose": {"x": "no_such_variable.attribute"}}
    with pytest.raises(Exception, match="Could not set x"):
        run(loader, tmp_path, monkeypatch, Sepm(fleet()), config)
    config["strict"] = False
    inventory, _plugin = run(loader, tmp_path, monkeypatch, Sepm(fleet()), config)
    assert "x" not in inventory.get_host("WEB-01").vars


# -- cache -----------------------------------------------------------------------------------

def cache_config(tmp_path, **extra):
    config = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache"),
              "cache_timeout": 3600}
    config.update(extra)
    return config


def cache_files(tmp_path):
    folder = tmp_path / "cache"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_cache_hit_makes_no_request(loader, tmp_path, monkeypatch):
    sepm = Sepm(fleet())
    first, _plugin = run(loader, tmp_path, monkeypatch, sepm, cache_config(tmp_path))
    assert sepm.requests == 4  # login, groups, one computer page, logout
    assert len(cache_files(tmp_path)) == 1

    def no_client():
        raise AssertionError("a cache hit must not talk to the SEPM")

    second, plugin = run(loader, tmp_path, monkeypatch, sepm, cache_config(tmp_path), client=no_client)
    assert sepm.requests == 4 and plugin.request_count == 0
    assert host_names(second) == host_names(first)
    assert second.get_host("SQL-01-N1").vars == first.get_host("SQL-01-N1").vars
    assert sorted(second.groups) == sorted(first.groups)


def test_cache_read_does_not_reset_its_age(loader, tmp_path, monkeypatch):
    sepm = Sepm(fleet())
    run(loader, tmp_path, monkeypatch, sepm, cache_config(tmp_path))
    (cached,) = cache_files(tmp_path)
    os.utime(cached, (1000000000, 1000000000))
    content = cached.read_bytes()
    run(loader, tmp_path, monkeypatch, sepm, cache_config(tmp_path, cache_timeout=0))
    assert os.stat(cached).st_mtime == 1000000000
    assert cached.read_bytes() == content


def test_expired_cache_is_fetched_again(loader, tmp_path, monkeypatch):
    sepm = Sepm(fleet())
    run(loader, tmp_path, monkeypatch, sepm, cache_config(tmp_path))
    (cached,) = cache_files(tmp_path)
    os.utime(cached, (1000000000, 1000000000))
    run(loader, tmp_path, monkeypatch, sepm, cache_config(tmp_path, cache_timeout=60))
    assert sepm.requests == 8
    assert os.stat(cached).st_mtime > 1000000000


def test_flush_cache_fetches_and_rewrites(loader, tmp_path, monkeypatch):
    sepm = Sepm(fleet())
    run(loader, tmp_path, monkeypatch, sepm, cache_config(tmp_path))
    sepm.computers = fleet()[:2]
    inventory, _plugin = run(loader, tmp_path, monkeypatch, sepm, cache_config(tmp_path), cache=False)  # --flush-cache
    assert sepm.requests == 8 and host_names(inventory) == ["SQL-01-N1", "SQL-01-N2"]
    again, _plugin = run(loader, tmp_path, monkeypatch, sepm, cache_config(tmp_path))
    assert sepm.requests == 8 and host_names(again) == ["SQL-01-N1", "SQL-01-N2"]


def test_cache_off_always_fetches(loader, tmp_path, monkeypatch):
    sepm = Sepm(fleet())
    run(loader, tmp_path, monkeypatch, sepm, {"cache": False})
    run(loader, tmp_path, monkeypatch, sepm, {"cache": False})
    assert sepm.requests == 8


def test_cache_holds_unfiltered_data(loader, tmp_path, monkeypatch):
    sepm = Sepm(fleet())
    run(loader, tmp_path, monkeypatch, sepm, cache_config(tmp_path, online_only=True))
    inventory, _plugin = run(loader, tmp_path, monkeypatch, sepm, cache_config(tmp_path))
    assert sepm.requests == 4 and len(inventory.hosts) == 6


def test_cache_in_another_format_is_a_miss():
    assert plugin_module.decode_cache({"rows": []}) is None
    assert plugin_module.decode_cache("not json") is None
    assert plugin_module.decode_cache(json.dumps({"format": 1, "fields": list(plugin_module.FIELDS), "rows": [],
                                                  "groups": []})) is None
    assert plugin_module.decode_cache(json.dumps({"format": plugin_module.CACHE_FORMAT, "fields": ["id"], "count": 0,
                                                  "columns": [], "groups": []})) is None


def test_cache_round_trip_keeps_values_and_types():
    width = len(plugin_module.FIELDS)
    rows = [[None] * width, [True] * width, [1] * width, [1.0] * width, [["10.0.0.1"]] * width, ["text"] * width,
            [True] * width]
    assert plugin_module.decode_cache(plugin_module.encode_cache(rows, ["My Company"])) == (rows, ["My Company"])
    for decoded, original in zip(plugin_module.decode_cache(plugin_module.encode_cache(rows, []))[0], rows):
        assert [type(value) for value in decoded] == [type(value) for value in original]


def test_cache_stores_repeated_values_once():
    width = len(plugin_module.FIELDS)
    rows = [["My Company\\Servers\\SQL"] * width for _number in range(1000)]
    assert len(plugin_module.encode_cache(rows, [])) < 1000 * 4 * width
    decoded, _groups = plugin_module.decode_cache(plugin_module.encode_cache(rows, []))
    assert decoded == rows and decoded[0][0] is decoded[999][0]


def test_many_pages_one_pass(loader, tmp_path, monkeypatch):
    computers = [record("WS-%04d" % number, ip="10.2.%d.%d" % divmod(number, 250), uid="%032X" % number)
                 for number in range(2500)]
    sepm = Sepm(computers, page_size=1000)
    inventory, plugin = run(loader, tmp_path, monkeypatch, sepm, {"cache": False})
    assert len(inventory.hosts) == 2500
    (session,) = sepm.sessions
    assert [call.params["pageIndex"] for call in session.calls_to("computers")] == ["1", "2", "3"]
    assert len(session.calls_to("groups")) == 1
    assert plugin.request_count == 6


# -- errors ----------------------------------------------------------------------------------

def test_wrong_password_is_one_line(loader, tmp_path, monkeypatch):
    def refusing_client():
        session = FakeSession(error(401, error_message="Invalid username or password."))
        return SepmClient(host="sepm.example.com", username="admin", password="wrong-pw", session=session)

    with pytest.raises(AnsibleParserError) as caught:
        run(loader, tmp_path, monkeypatch, None, {"cache": False}, client=refusing_client)
    message = str(caught.value)
    assert "\n" not in message.strip()
    assert "rejected the login" in message and "sepm_password" in message
    assert "wrong-pw" not in message


def test_no_host_is_one_line(loader, tmp_path, monkeypatch):
    monkeypatch.delenv("SEPM_HOST", raising=False)
    path = tmp_path / "nohost.sepm.yml"
    path.write_text("plugin: endpoint_ops.sepm.sepm\n")
    plugin = inventory_loader.get("endpoint_ops.sepm.sepm")
    with pytest.raises(AnsibleParserError, match="SEPM_HOST"):
        plugin.parse(InventoryData(), loader, str(path), cache=False)


def test_options_come_from_the_environment(loader, tmp_path, monkeypatch):
    monkeypatch.setenv("SEPM_HOST", "env-sepm.example.com")
    monkeypatch.setenv("SEPM_PORT", "9443")
    monkeypatch.setenv("SEPM_VALIDATE_CERTS", "false")
    path = tmp_path / "env.sepm.yml"
    path.write_text("plugin: endpoint_ops.sepm.sepm\n")
    plugin = inventory_loader.get("endpoint_ops.sepm.sepm")
    plugin.loader = loader
    plugin._read_config_data(str(path))  # pylint: disable=protected-access
    client = plugin._client()  # pylint: disable=protected-access
    assert client.base_url == "https://env-sepm.example.com:9443/sepm/api/v1/"
    assert client._verify is False  # pylint: disable=protected-access
