# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: sepm
short_description: SEP Manager computers as hosts, SEPM groups as inventory groups
version_added: 0.1.0
author:
  - endpoint_ops maintainers (@endpoint-ops)
description:
  - Reads every computer and every group of a Symantec Endpoint Protection Manager (SEPM) through its REST API.
  - Each SEPM group becomes an inventory group named after its full path, sanitised and lower-cased
    (C(My Company\Servers\SQL) becomes C(my_company_servers_sql)), a child of its parent group's inventory group.
  - Each computer becomes a host in the group of its SEPM group, named by the first usable entry of O(hostnames).
    When several computers want the same name (compared without case), the one that checked in last keeps it; the others
    fall back to their next entry, then to the name with the start of the SEPM computer id appended. The renames are
    reported in one warning and no computer is dropped.
  - "Host variables, all prefixed C(sepm_), by default only what a play needs to target and reach a computer:
    C(sepm_id), C(sepm_name), C(sepm_group), C(sepm_fqdn), C(sepm_ip_addresses), C(sepm_os_name), C(sepm_online),
    C(sepm_agent_version) and C(sepm_reboot_required); O(extra_host_vars) adds others. The variables O(compose) makes
    are host variables too."
  - "O(compose), O(groups) and O(keyed_groups) see every field, host variable or not: C(sepm_hardware_key),
    C(sepm_group_id), C(sepm_running_version), C(sepm_target_version), C(sepm_deployment_status),
    C(sepm_deployment_message), C(sepm_reboot_reason), C(sepm_operating_system), C(sepm_os_function),
    C(sepm_mac_addresses), C(sepm_domain_or_workgroup), C(sepm_last_update_time) (milliseconds since the epoch, as the
    SEPM sends it), C(sepm_last_check_in) (the same instant as ISO 8601 UTC), C(sepm_profile_serial),
    C(sepm_profile_version), the protection switches C(sepm_ap_on_off), C(sepm_av_engine_on_off),
    C(sepm_firewall_on_off) and C(sepm_tamper_on_off) (the SEPM's codes - 1 on, 0 disabled, 3 disabled by policy,
    4 malfunctioning, 127 not reported), C(sepm_infected), C(sepm_worst_infection_idx), C(sepm_av_defset_version) and
    C(sepm_last_deployment_time), besides the ones above."
  - Every value from the SEPM is marked unsafe, so template text (a C(lookup) between C({{) and C(}})) in a computer name,
    OS name or group path stays text and is never rendered. Host names are plain text, which AWX's inventory sync needs,
    and never hold template text (see O(hostnames)).
  - One load makes one login, one C(GET groups) and one C(GET computers) per 1000 computers (and a logout).
  - Uses the collection's SEPM client, so the connection options and the C(SEPM_*) environment variables are the same as the modules'.
  - The inventory source is a YAML file whose name ends in C(.sepm.yml) or C(.sepm.yaml).
extends_documentation_fragment:
  - constructed
  - inventory_cache
requirements:
  - requests >= 2.28 on the controller
options:
  plugin:
    description: The name of this plugin; must be V(endpoint_ops.sepm.sepm) for this file to be read by it.
    required: true
    type: str
    choices: [endpoint_ops.sepm.sepm]
  sepm_host:
    description:
      - Host name or IP address of the SEP Manager.
    type: str
    env:
      - name: SEPM_HOST
  sepm_port:
    description:
      - HTTPS port of the SEPM REST API.
    type: int
    default: 8446
    env:
      - name: SEPM_PORT
  sepm_username:
    description:
      - SEPM administrator to log in as. Not needed when O(sepm_token) is given.
    type: str
    env:
      - name: SEPM_USERNAME
  sepm_password:
    description:
      - Password of O(sepm_username).
    type: str
    env:
      - name: SEPM_PASSWORD
  sepm_domain:
    description:
      - SEPM domain to log in to; empty means the default domain.
    type: str
    default: ''
    env:
      - name: SEPM_DOMAIN
  sepm_token:
    description:
      - A session token (for example from M(endpoint_ops.sepm.login)) instead of a login.
    type: str
    env:
      - name: SEPM_TOKEN
  validate_certs:
    description:
      - Verify the SEPM's TLS certificate. Turn off only for a lab SEPM.
    type: bool
    default: true
    env:
      - name: SEPM_VALIDATE_CERTS
  ca_path:
    description:
      - PEM file of the CA that signed the SEPM certificate (the SEPM's own is self-signed).
      - Empty means the system's trusted CAs (an AWX credential without a CA sets E(SEPM_CA_PATH) to an empty string).
    type: str
    env:
      - name: SEPM_CA_PATH
  timeout:
    description:
      - Seconds to wait for each HTTP reply.
    type: int
    default: 30
    env:
      - name: SEPM_TIMEOUT
  max_request_bytes:
    description:
      - The most bytes of request line plus headers a request to the SEPM may have; the SEPM's web server (Tomcat)
        refuses more than its C(maxHttpHeaderSize), 8192 bytes by default.
    type: int
    default: 8192
    env:
      - name: SEPM_MAX_REQUEST_BYTES
  hostnames:
    description:
      - How to name a host, in order of preference; the first entry with a value that no other host has taken wins.
      - V(computer_name) is the SEPM computer name, V(fqdn) is C(sepm_fqdn) (known only when the computer name or the
        domain the SEPM reports is a DNS name), V(ip_address) is the first IP address, V(hardware_key) and V(id) are the
        SEPM identifiers.
      - When every entry is empty or taken the host is named C(<first value>_<start of the SEPM id>).
      - A value holding template text (C({{), C({%) or C({#)) is never a host name, since ansible-core before 2.19
        would render it in a play; the next entry names that host, else C(sepm_<start of the SEPM id>), with a warning.
        The value itself stays in the host's variables, where it is never rendered.
    type: list
    elements: str
    choices: [computer_name, fqdn, ip_address, hardware_key, id]
    default: [computer_name, fqdn, ip_address]
  group_prefix:
    description:
      - Prepended to the inventory group name of every SEPM group (before sanitising).
    type: str
    default: ''
  include_groups:
    description:
      - Only computers whose SEPM group matches one of these patterns, or lies below a group that matches, are read.
      - Shell-style patterns (V(*), V(?), V([...])), compared without case. A pattern with a backslash or a slash is
        matched against the full group path (V(My Company\\Servers\\*)); one without is matched against the group's own name
        at any depth (V(SQL)).
      - Empty means every group. Groups above a matched group are still created, so the tree stays connected.
    type: list
    elements: str
    default: []
  exclude_groups:
    description:
      - Computers whose SEPM group matches one of these patterns, or lies below a group that matches, are left out;
        so are the groups. Same pattern rules as O(include_groups). Wins over O(include_groups).
    type: list
    elements: str
    default: []
  include_os:
    description:
      - Only computers whose operating system matches one of these patterns are read; empty means all.
      - Compared without case against C(sepm_os_name) and C(sepm_operating_system). A pattern with V(*), V(?) or
        V([) is a shell-style pattern for the whole value; any other text only needs to occur in it (V(windows), V(server 2019)).
    type: list
    elements: str
    default: []
  exclude_os:
    description:
      - Computers whose operating system matches one of these patterns are left out. Same rules as O(include_os).
    type: list
    elements: str
    default: []
  online_only:
    description:
      - Read only the computers the SEPM reports online.
    type: bool
    default: false
  cluster_pattern:
    description:
      - A regular expression (Python syntax) searched in each computer name; its first group names the host's HA
        cluster, set as the host variable C(sepm_cluster) (V('') when the name does not match). With
        V('^(.+)-N[0-9]+$'), C(SQL-01-N1) and C(SQL-01-N2) are in the cluster C(SQL-01).
      - "Worked out in Python for every host. The same rule in O(compose) reads C(sepm_name), which differs from host to
        host, so Jinja would evaluate it for every host (see the notes); O(keyed_groups) with C(key: sepm_cluster) costs
        one evaluation per cluster instead."
      - "The rollout role reads it with C(rollout_cluster_var: sepm_cluster)."
    type: str
  connect_by:
    description:
      - Sets C(ansible_host) to the first of these the computer has, in this order of preference. V(ip_address) is its
        first IP address, V(fqdn) is C(sepm_fqdn), V(computer_name) its SEPM computer name.
      - Empty, no C(ansible_host) is set and a play connects by the host name. Worked out in Python for every host,
        like O(cluster_pattern); a C(compose) of C(ansible_host) would be evaluated by Jinja for every host.
    type: list
    elements: str
    choices: [ip_address, fqdn, computer_name]
    default: []
  extra_host_vars:
    description:
      - SEPM fields (names without the C(sepm_) prefix, for example V(target_version), V(mac_addresses)) to set as host
        variables besides the lean default set; V(all) sets every field.
      - Each host variable costs time and memory on every host in every consumer of the inventory, not in this plugin.
        C(ansible-inventory --list) of 50,000 hosts writes about 46 MB of JSON with the default set and about 135 MB with
        V(all), and takes correspondingly longer; a play that loads the inventory holds them all in memory.
      - O(compose), O(groups) and O(keyed_groups) can use every field without this option; a field they use is not
        made a host variable. To keep only a value derived from a field, compose it into a variable of its own.
    type: list
    elements: str
    default: []
notes:
  - Keyed and composed group names are always sanitised (characters other than letters, digits and C(_) become C(_)),
    whatever C(TRANSFORM_INVALID_GROUP_CHARS) says, so V(14.3.10148.9000) becomes C(14_3_10148_9000).
  - Variables made by O(compose) are available to O(groups) and O(keyed_groups).
  - O(compose), and O(groups) with O(keyed_groups), are evaluated once per distinct combination of the variables they
    read, and hosts with the same values share the outcome, so a key such as C(sepm_agent_version) costs one evaluation
    per version. An expression that reads anything but the host's own variables (C(vars), C(hostvars), a C(lookup)
    or C(now) call) or uses C(random) or C(shuffle) is evaluated for every host. On ansible-core 2.19 each evaluation
    compiles the expression anew (about a millisecond), so an expression that differs per host (one on C(sepm_name))
    is the slowest thing a large inventory can ask for. O(cluster_pattern) and O(connect_by) do the two usual ones
    (an HA cluster from the name, C(ansible_host) from an address) in Python instead.
  - With O(cache) on, the cache holds the SEPM's answer, unfiltered and compact (a column per field, repeated values
    once; about 10 MB for 50,000 computers), so changing a filter, O(hostnames), O(extra_host_vars) or a constructed
    option needs no new SEPM query. Reading the cache does not rewrite it, so its age keeps counting from the last SEPM query;
    C(--flush-cache) forces a query.
  - A failed load (wrong password, SEPM unreachable, untrusted certificate) is one message naming the cause and the option to change.
    Ansible reports a failed inventory source as a warning and carries on with the other sources; set
    C(ANSIBLE_INVENTORY_UNPARSED_FAILED=true) (AWX does) or C(ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=true) to make it fatal.
'''

EXAMPLES = r'''
# fleet.sepm.yml: servers only, no Linux, named by computer name, with HA clusters and rings.
# The connection comes from SEPM_HOST, SEPM_USERNAME, SEPM_PASSWORD and SEPM_CA_PATH, or as here.
plugin: endpoint_ops.sepm.sepm
sepm_host: sepm01.example.com
ca_path: /etc/pki/sepm-ca.pem
include_groups:
  - 'My Company\Servers'
exclude_os:
  - linux
# SQL-01-N1 and SQL-01-N2 share the cluster SQL-01 (sepm_cluster)
cluster_pattern: '^(.+)-N[0-9]+$'
# Connect by the first IP address
connect_by:
  - ip_address
keyed_groups:
  - key: sepm_cluster
    prefix: cluster
  - key: sepm_agent_version
    prefix: agent
groups:
  ring0: sepm_name is match('SQL-0[1-3]-')
  needs_reboot: sepm_reboot_required
# Two fields besides the lean default set become host variables
extra_host_vars:
  - target_version
  - last_check_in
# Cached for an hour in JSON files; `ansible-inventory --flush-cache` forces a fresh query
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/sepm-inventory
cache_timeout: 3600

# The smallest file: every computer the SEPM knows, connection from the SEPM_* variables
#   plugin: endpoint_ops.sepm.sepm
'''

import datetime
import fnmatch
import json
import os
import re
import time

from jinja2 import Environment, TemplateSyntaxError, nodes

from ansible.errors import AnsibleParserError
from ansible.inventory.group import to_safe_group_name
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import normalize_computer
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.connection import CONNECTION_ENV, client_for
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.groups import split_path
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rules import cluster_from_name

VAR_PREFIX = "sepm_"
# The normalized computer's keys, in the order a cache row holds them.
FIELDS = tuple(normalize_computer({}))
VAR_NAMES = tuple(VAR_PREFIX + field for field in FIELDS)
# Worked out from a row when it is read, never cached.
DERIVED_FIELDS = ("fqdn", "last_check_in")
ALL_FIELDS = FIELDS + DERIVED_FIELDS
ALL_VAR_NAMES = tuple(VAR_PREFIX + field for field in ALL_FIELDS)
# The host variables every host gets: what a play needs to target and reach a computer
# and what the rollout reads. Every other field costs time and memory on each of
# thousands of hosts, so it is a host variable only when extra_host_vars asks for it.
LEAN_FIELDS = ("id", "name", "group", "fqdn", "ip_addresses", "os_name", "online", "agent_version", "reboot_required")
ALL_HOST_VARS = "all"
# Set by cluster_pattern: not a SEPM field, so neither cached nor in extra_host_vars.
CLUSTER_VAR = "sepm_cluster"
# ansible-core 2.19 brought template trust: plugin data is untrusted unless the plugin says otherwise.
CORE_DISTRUSTS_PLUGIN_DATA = hasattr(BaseInventoryPlugin, "trusted_by_default")
CACHE_FORMAT = 2
HOSTNAME_SOURCES = {
    "computer_name": lambda variables: variables.get("sepm_name"),
    "fqdn": lambda variables: variables.get("sepm_fqdn"),
    "ip_address": lambda variables: next(iter(variables.get("sepm_ip_addresses") or ()), None),
    "hardware_key": lambda variables: variables.get("sepm_hardware_key"),
    "id": lambda variables: variables.get("sepm_id"),
}
DUPLICATES_SHOWN = 10
# Filters whose answer is not a function of their input: an expression using one is evaluated for every host.
CHANCE_FILTERS = ("random", "shuffle", "password_hash")
_WILDCARDS = re.compile(r"[*?\[]")
# Jinja's default block, variable and comment starts, which every supported ansible-core uses.
TEMPLATE_STARTS = ("{{", "{%", "{#")


def unsafe(value):
    """SEPM data marked as never to be templated, on every supported ansible-core.

    Before 2.19 a plain string is rendered when a play reads it, so a computer whose OS name
    holds ``{{ lookup('pipe', ...) }}`` would run that lookup: every string is wrapped. From
    2.19 a string is a template only when trusted, data read from JSON never is, and
    ``inventory.set_variable`` strips trust from every value of a plugin that is not
    ``trusted_by_default``: wrap_var would repeat that work, at about a sixth of the time a
    50,000-host load spends in this plugin. Numbers and booleans cannot hold a template.
    """
    if CORE_DISTRUSTS_PLUGIN_DATA or value is None or isinstance(value, (bool, int, float)):
        return value
    return wrap_var(value)


def shared_unsafe():
    """``unsafe`` for one load, handing out one wrapped string per distinct text.

    Hosts repeat most texts (group paths, OS names, versions): before 2.19 each would be
    wrapped again for every host, and held once per host. A wrapped string cannot change, so
    hosts can share it; lists are wrapped anew, since a play may change its copy.
    """
    if CORE_DISTRUSTS_PLUGIN_DATA:
        return unsafe
    texts = {}

    def shared(value):
        if isinstance(value, str):
            wrapped = texts.get(value)
            if wrapped is None:
                wrapped = texts[value] = wrap_var(value)
            return wrapped
        return unsafe(value)
    return shared


def host_var_names(extra):
    """The ``sepm_*`` host variables to set: the lean set, then what extra_host_vars adds, in field order."""
    extra = list(extra or ())
    if ALL_HOST_VARS in extra:
        wanted = ALL_FIELDS
    else:
        wanted = LEAN_FIELDS + tuple(field for field in ALL_FIELDS if field in extra and field not in LEAN_FIELDS)
    return tuple(VAR_PREFIX + field for field in wanted)


def safe_group_name(name):
    """Ansible's group name sanitising, always applied and silent: ``My Company\\SQL`` -> ``My_Company_SQL``."""
    return to_safe_group_name(name, force=True, silent=True)


def group_name(path, prefix=""):
    """The inventory group of a SEPM group path: ``My Company\\Servers\\SQL`` -> ``my_company_servers_sql``."""
    return safe_group_name((prefix or "") + path.lower())


class _IncludeExclude:
    """Include and exclude patterns, remembered per value: wanted when an include matches (or none is given)
    and no exclude does. Subclasses say how a pattern compiles and matches."""

    def __init__(self, include=None, exclude=None):
        self.include = [self._compile(pattern) for pattern in include or ()]
        self.exclude = [self._compile(pattern) for pattern in exclude or ()]
        self._memo = {}

    @staticmethod
    def _compile(pattern):
        raise NotImplementedError

    @staticmethod
    def _matches(patterns, values):
        raise NotImplementedError

    def _decide(self, key, values):
        wanted = not self.include or self._matches(self.include, values)
        if wanted and self.exclude and self._matches(self.exclude, values):
            wanted = False
        self._memo[key] = wanted
        return wanted


class PathFilter(_IncludeExclude):
    """include/exclude patterns on SEPM group paths; a match on a group covers its whole subtree."""

    @staticmethod
    def _compile(pattern):
        parts = split_path(pattern)
        if not parts:
            raise ValueError("empty group pattern %r" % (pattern,))
        full = len(parts) > 1 or "\\" in str(pattern) or "/" in str(pattern)
        return full, "\\".join(parts).lower()

    @staticmethod
    def _matches(patterns, values):
        """Does a pattern match this path (``values``: its names, root first) or one of its ancestors?"""
        for depth in range(1, len(values) + 1):
            path = "\\".join(values[:depth])
            name = values[depth - 1]
            for full, pattern in patterns:
                if fnmatch.fnmatchcase(path if full else name, pattern):
                    return True
        return False

    def __call__(self, path):
        key = path or ""
        if key in self._memo:
            return self._memo[key]
        return self._decide(key, [part.lower() for part in split_path(key)])


class TextFilter(_IncludeExclude):
    """include/exclude patterns on a few text values: wildcards match the whole value, plain text a substring."""

    @staticmethod
    def _compile(pattern):
        pattern = str(pattern).lower()
        return pattern if _WILDCARDS.search(pattern) else "*%s*" % pattern

    @staticmethod
    def _matches(patterns, values):
        return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns for value in values)

    def __call__(self, *values):
        if values in self._memo:
            return self._memo[values]
        return self._decide(values, [str(value).lower() for value in values if value])


def fqdn_of(name, domain):
    """The DNS name of a computer when the SEPM record tells it, else None.

    The SEPM has no FQDN field: a computer name with a dot is one already, and a
    ``domainOrWorkgroup`` with a dot is a DNS domain (``CORP`` or ``WORKGROUP`` is not).
    """
    if name and "." in name:
        return name.lower()
    if name and domain and "." in domain:
        return ("%s.%s" % (name, domain.strip("."))).lower()
    return None


def iso_time(milliseconds):
    """SEPM's milliseconds since the epoch as ISO 8601 UTC, or None."""
    if not isinstance(milliseconds, (int, float)) or isinstance(milliseconds, bool) or milliseconds <= 0:
        return None
    try:
        moment = datetime.datetime.fromtimestamp(milliseconds / 1000.0, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def host_variables(row, check_in=True):
    """The ``sepm_*`` variables of one computer (its values in FIELDS order) and the derived ones.

    ``check_in=False`` leaves out ``sepm_last_check_in``, a date formatting per host that only
    extra_host_vars or an expression can want.
    """
    variables = dict(zip(VAR_NAMES, row))
    variables["sepm_fqdn"] = fqdn_of(variables["sepm_name"], variables["sepm_domain_or_workgroup"])
    if check_in:
        variables["sepm_last_check_in"] = iso_time(variables["sepm_last_update_time"])
    return variables


def assign_host_names(hosts, precedence):
    """A unique inventory name per host (each a ``sepm_*`` dict), in the order given; and the renames.

    Names compare without case. Of the hosts that want the same name, the one that checked in
    last keeps it; the others take their next precedence entry that is free, else
    ``<first value>_<start of its id>``. A host's first choice is never taken by another host's
    fallback. A value holding template text is never a name (see ``holds_template``): the next
    entry names that host, else ``sepm_<start of its id>``. Returns ``(names, renamed, refused)``:
    ``renamed`` is ``[(wanted, given)]`` for contested names, ``refused`` the same for names
    that held template text.
    """
    sources = [HOSTNAME_SOURCES[source] for source in precedence]
    candidates = []
    refused_of = {}
    for index, variables in enumerate(hosts):
        values = []
        for source in sources:
            value = source(variables)
            if value is None or not str(value).strip():
                continue
            if holds_template(str(value)):
                refused_of.setdefault(index, str(value).strip())
                continue
            values.append(str(value).strip())
        candidates.append(values)
    firsts = {}
    for index, values in enumerate(candidates):
        # a host whose first choice held template text has only fallbacks left
        if values and index not in refused_of:
            key = values[0].lower()
            holder = firsts.setdefault(key, index)
            if holder != index and _rank(hosts[index]) < _rank(hosts[holder]):
                firsts[key] = index
    taken = set(firsts)
    names = []
    renamed = []
    for index, values in enumerate(candidates):
        if values and index not in refused_of and firsts[values[0].lower()] == index:
            names.append(values[0])
            continue
        fallbacks = values if index in refused_of else values[1:]
        name = next((value for value in fallbacks if value.lower() not in taken), None)
        if name is None:
            name = _suffixed(values[0] if values else "sepm", str(hosts[index].get("sepm_id") or index), taken)
        taken.add(name.lower())
        names.append(name)
        if index not in refused_of:
            renamed.append((values[0] if values else None, name))
    refused = [(wanted, names[index]) for index, wanted in refused_of.items()]
    return names, renamed, refused


def holds_template(text):
    """Whether a SEPM value would be template text if it were a host name.

    Before ansible-core 2.19 a play renders ``inventory_hostname`` like any string, so a
    computer named ``{{ lookup('pipe', ...) }}`` would run that lookup. Marking names unsafe
    instead would make ``ansible-inventory --list`` print every name of a group's ``hosts`` as
    ``{"__ansible_unsafe": ...}``, which AWX's inventory sync cannot read.
    """
    return any(start in text for start in TEMPLATE_STARTS)


def shown_renames(pairs):
    """``wanted -> given`` for the first few pairs, and how many more there are."""
    shown = ", ".join("%s -> %s" % (wanted, given) for wanted, given in pairs[:DUPLICATES_SHOWN])
    more = " and %d more" % (len(pairs) - DUPLICATES_SHOWN) if len(pairs) > DUPLICATES_SHOWN else ""
    return shown + more


def _rank(variables):
    """Who keeps a contested name: the latest check-in, then the smallest SEPM id."""
    checked_in = variables.get("sepm_last_update_time")
    checked_in = checked_in if isinstance(checked_in, (int, float)) else 0
    return (-checked_in, str(variables.get("sepm_id") or ""))


def _suffixed(base, unique, taken):
    unique = re.sub(r"[^0-9A-Za-z]", "", unique).lower() or "0"
    for length in (8, 12, 16, len(unique)):
        name = "%s_%s" % (base, unique[:length])
        if name.lower() not in taken:
            return name
    number = 2
    while ("%s_%s_%d" % (base, unique, number)).lower() in taken:
        number += 1
    return "%s_%s_%d" % (base, unique, number)


def expression_inputs(expressions, templates, known):
    """The sorted names of the variables some constructed expressions and templates read, or None.

    None means two hosts with equal values for those variables could still get different
    answers: a name that is not one of the ``known`` variables (``vars``, ``hostvars``,
    ``lookup(...)``, ``now()``...), a filter with chance in it, or text that does not parse.
    Jinja's own parser reads the text; Ansible's templar is not involved.
    """
    environment = Environment()
    names = set()
    sources = ["{{ %s }}" % (expression,) for expression in expressions] + [str(text) for text in templates if text]
    for source in sources:
        try:
            tree = environment.parse(source)
        except TemplateSyntaxError:
            return None
        if any(node.name.rsplit(".", 1)[-1] in CHANCE_FILTERS for node in tree.find_all(nodes.Filter)):
            return None
        names.update(node.name for node in tree.find_all(nodes.Name) if node.ctx == "load")
    if not names <= set(known):
        return None
    return tuple(sorted(names))


def frozen(value):
    """A hashable stand-in for a variable's value that tells True from 1 and [1] from (1,)."""
    if isinstance(value, list):
        return (list, tuple(frozen(item) for item in value))
    if isinstance(value, dict):
        return (dict, tuple(sorted((str(key), frozen(item)) for key, item in value.items())))
    return (value.__class__, value)


def encode_cache(rows, groups):
    """The cache value: the SEPM's answer (every computer's FIELDS and the group paths) as one compact JSON string.

    One string is cheap for the cache plugin to store and load (ansible-core 2.19 serialises
    a cached structure value by value). Computers are stored a column per field, and a column
    that repeats values (groups, versions, OS names, flags) as its distinct values plus an
    index per computer: about a third of the size of a row per computer, quicker to load, and
    each repeated value is one string in memory instead of one per host.
    """
    columns = []
    for position in range(len(FIELDS)):
        column = [row[position] for row in rows]
        distinct = {}  # keyed with the type as well: True and 1, or 1 and 1.0, are equal keys
        try:
            indexes = [distinct.setdefault((value.__class__, value), len(distinct)) for value in column]
        except TypeError:  # lists (IP and MAC addresses) are stored as they are
            columns.append({"values": column})
            continue
        if len(distinct) * 2 > len(column):
            columns.append({"values": column})
        else:
            columns.append({"distinct": [value for _kind, value in distinct], "index": indexes})
    return json.dumps({"format": CACHE_FORMAT, "fields": FIELDS, "groups": groups, "count": len(rows),
                       "columns": columns}, separators=(",", ":"))


def decode_cache(value):
    """``(rows, groups)`` from a cache value, or None when it is not one this version wrote."""
    if not isinstance(value, str):
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or tuple(data.get("fields") or ()) != FIELDS:
        return None
    groups, columns, count = data.get("groups"), data.get("columns"), data.get("count")
    if not isinstance(groups, list) or not isinstance(columns, list) or len(columns) != len(FIELDS):
        return None
    try:
        values = [column["values"] if "values" in column else [column["distinct"][i] for i in column["index"]]
                  for column in columns]
    except (KeyError, IndexError, TypeError):
        return None
    if any(len(column) != count for column in values):
        return None
    return [list(row) for row in zip(*values)], groups


def direct_groups(groups):
    """The names of the groups a host joined itself, without the ancestors it joined through them (keyed parent_group)."""
    ancestors = set()
    for group in groups:
        ancestors.update(group.get_ancestors())
    return [group.name for group in groups if group not in ancestors]


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """SEPM groups and computers as inventory groups and hosts."""

    NAME = "endpoint_ops.sepm.sepm"
    # ansible-core 2.19 and later: nothing from the SEPM is a template (the default, said out loud).
    trusted_by_default = False

    # keyed_groups and groups names are sanitised whatever TRANSFORM_INVALID_GROUP_CHARS says.
    _sanitize_group_name = staticmethod(safe_group_name)

    def __init__(self):
        super().__init__()
        self.request_count = 0
        self.timings = {}
        self._construction = {}
        self._unsafe = unsafe

    def verify_file(self, path):
        return super().verify_file(path) and str(path).endswith((".sepm.yml", ".sepm.yaml"))

    # -- loading -----------------------------------------------------------------------

    def _connection_options(self):
        options = {option: self.get_option(option) for option in CONNECTION_ENV}
        # A str, not a path option: Ansible would resolve an empty SEPM_CA_PATH to the current directory.
        options["ca_path"] = os.path.expanduser(options["ca_path"]) if options["ca_path"] else None
        return options

    def _client(self):
        options = self._connection_options()
        # The same checks as the modules': a port of 0 is an error, not 8446.
        return client_for(options)

    def fetch(self):
        """``(rows, groups)`` straight from the SEPM: every computer (one pass) and every group path."""
        client = self._client()
        try:
            groups = [record.get("fullPathName") for record in client.groups()]
            groups = [path for path in groups if path]
            rows = []
            for record in client.computers():
                computer = normalize_computer(record)
                rows.append([computer[field] for field in FIELDS])
        finally:
            client.close()
            self.request_count += client.request_count
        return rows, groups

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        self._check_options()
        cache_key = self.get_cache_key(path)
        use_cache = bool(self.get_option("cache"))
        data = None
        source = "cache"
        started = time.perf_counter()
        if use_cache and cache:
            try:
                data = decode_cache(self._cache[cache_key])
            except KeyError:
                data = None
        self.timings["cache_read"] = time.perf_counter() - started
        if data is None:
            source = "SEPM"
            started = time.perf_counter()
            try:
                data = self.fetch()
            except (SepmError, SepmInputError) as exc:
                raise AnsibleParserError("SEPM inventory: %s" % exc) from None
            self.timings["fetch"] = time.perf_counter() - started
            if use_cache:
                # Written only after a live query: a cache read leaves the cache, and its age, alone.
                started = time.perf_counter()
                self._cache[cache_key] = encode_cache(*data)
                self.timings["cache_encode"] = time.perf_counter() - started
        started = time.perf_counter()
        hosts = self.populate(*data)
        self.timings["populate"] = time.perf_counter() - started
        self.display.vvv("SEPM inventory: %d of %d computers from the %s, %d SEPM requests; seconds: %s" % (
            hosts, len(data[0]), source, self.request_count,
            ", ".join("%s %.2f" % (name, value) for name, value in self.timings.items())))

    def _check_options(self):
        unknown = [entry for entry in self.get_option("hostnames") or () if entry not in HOSTNAME_SOURCES]
        if unknown:
            raise AnsibleParserError("hostnames: unknown entries %s; choose from %s" % (
                ", ".join(map(str, unknown)), ", ".join(HOSTNAME_SOURCES)))
        if not self.get_option("hostnames"):
            raise AnsibleParserError("hostnames must name at least one of %s" % ", ".join(HOSTNAME_SOURCES))
        try:
            PathFilter(self.get_option("include_groups"), self.get_option("exclude_groups"))
        except ValueError as exc:
            raise AnsibleParserError("include_groups/exclude_groups: %s" % exc) from None
        self._cluster_regex()
        unknown = [entry for entry in self.get_option("extra_host_vars") or ()
                   if entry != ALL_HOST_VARS and entry not in ALL_FIELDS]
        if unknown:
            raise AnsibleParserError("extra_host_vars: unknown fields %s; choose from %s, or %s" % (
                ", ".join(map(str, unknown)), ", ".join(ALL_FIELDS), ALL_HOST_VARS))

    def _cluster_regex(self):
        """The compiled cluster_pattern, or None; a pattern that cannot name a cluster fails the load in one line."""
        pattern = self.get_option("cluster_pattern")
        if not pattern:
            return None
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise AnsibleParserError("cluster_pattern: %r is not a regular expression: %s" % (pattern, exc)) from None
        if regex.groups < 1:
            raise AnsibleParserError("cluster_pattern: %r has no group; its first group names the cluster, "
                                     "as in '^(.+)-N[0-9]+$'" % pattern)
        return regex

    # -- building the inventory ----------------------------------------------------------

    def select(self, rows, check_in):
        """The ``sepm_*`` variables of each computer the filters keep, in SEPM order."""
        groups_ok = PathFilter(self.get_option("include_groups"), self.get_option("exclude_groups"))
        include_os, exclude_os = self.get_option("include_os"), self.get_option("exclude_os")
        os_ok = TextFilter(include_os, exclude_os) if include_os or exclude_os else None
        online_only = self.get_option("online_only")
        online, group = FIELDS.index("online"), FIELDS.index("group")
        os_name, operating_system = FIELDS.index("os_name"), FIELDS.index("operating_system")
        selected = []
        for row in rows:
            if online_only and not row[online]:
                continue
            if not groups_ok(row[group]):
                continue
            if os_ok is not None and not os_ok(row[os_name], row[operating_system]):
                continue
            selected.append(host_variables(row, check_in))
        return selected, groups_ok

    def add_group_tree(self, paths, groups_ok):
        """Create the inventory group of each wanted SEPM path and of its ancestors; path -> group name."""
        prefix = self.get_option("group_prefix")
        names = {}
        inventory = self.inventory
        for path in sorted(set(paths), key=lambda p: (p.count("\\"), p.lower())):
            if path in names or not groups_ok(path):
                continue
            parts = split_path(path)
            parent = None
            for depth in range(1, len(parts) + 1):
                sub_path = "\\".join(parts[:depth])
                name = names.get(sub_path)
                if name is None:
                    name = inventory.add_group(group_name(sub_path, prefix))
                    names[sub_path] = name
                    if parent is not None:
                        inventory.add_child(parent, name)
                parent = name
            names[path] = parent
        return names

    def populate(self, rows, groups):
        strict = self.get_option("strict")
        compose = self.get_option("compose")
        composed_groups = self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")
        constructed = bool(compose or composed_groups or keyed_groups)
        var_names = host_var_names(self.get_option("extra_host_vars"))
        selected, groups_ok = self.select(rows, check_in=constructed or "sepm_last_check_in" in var_names)
        cluster_regex = self._cluster_regex()
        if cluster_regex is not None:
            var_names += (CLUSTER_VAR,)
            for variables in selected:
                variables[CLUSTER_VAR] = cluster_from_name(variables["sepm_name"], cluster_regex) or ""
        connect_by = [HOSTNAME_SOURCES[source] for source in self.get_option("connect_by") or ()]
        if connect_by:
            var_names += ("ansible_host",)
            for variables in selected:
                address = next((value for value in (source(variables) for source in connect_by) if value), None)
                if address:
                    variables["ansible_host"] = address
        group_of = self.add_group_tree(list(groups) + [v["sepm_group"] for v in selected if v["sepm_group"]], groups_ok)
        names, renamed, refused = assign_host_names(selected, self.get_option("hostnames"))
        if renamed:
            self.display.warning("SEPM inventory: %d computer(s) wanted a host name another computer has; renamed: %s" % (
                len(renamed), shown_renames(renamed)))
        if refused:
            self.display.warning("SEPM inventory: %d computer(s) have template text ({{, {%% or {#) in every name "
                                 "hostnames could give them, which is never a host name; named instead: %s" % (
                                     len(refused), shown_renames(refused)))

        if constructed:
            self._plan_construction(compose, composed_groups, keyed_groups)
        inventory = self.inventory
        mark = self._unsafe = shared_unsafe()
        for name, variables in zip(names, selected):
            group = group_of.get(variables["sepm_group"]) if variables["sepm_group"] else None
            # A plain string: assign_host_names gave no name that holds template text.
            host = inventory.add_host(name, group=group)
            for var_name in var_names:
                if var_name != "ansible_host" or var_name in variables:
                    inventory.set_variable(host, var_name, mark(variables[var_name]))
            if constructed:
                self._construct(host, variables, compose, composed_groups, keyed_groups, strict)
        return len(selected)

    def _plan_construction(self, compose, composed_groups, keyed_groups):
        """Which variables the compose expressions, and the groups and keyed_groups ones, read (None: unknown).

        Hosts whose values for those variables are equal get equal answers, so each stage is
        evaluated once per distinct combination of values and its outcome (the composed
        values, the groups joined) copied to the next host with the same combination.
        ansible-core 2.19 compiles an expression on every evaluation, about a millisecond each.
        """
        known = set(ALL_VAR_NAMES) | {"inventory_hostname", CLUSTER_VAR, "ansible_host"} | set(compose or ())
        compose_inputs = expression_inputs(list((compose or {}).values()), (), known)
        keyed = [entry for entry in keyed_groups or () if isinstance(entry, dict)]
        grouping_inputs = expression_inputs(
            list((composed_groups or {}).values()) + [entry.get("key") for entry in keyed],
            [entry.get("parent_group") for entry in keyed], known)
        self._construction = {"compose": (compose_inputs, {}), "groups": (grouping_inputs, {})}

    def _outcome(self, stage, variables):
        """(memo, key) for one host and stage; key None when this stage cannot be shared between hosts."""
        inputs, memo = self._construction[stage]
        if inputs is None:
            return memo, None
        try:
            return memo, tuple(frozen(variables.get(name)) for name in inputs)
        except TypeError:  # a value that cannot be hashed: evaluate for this host
            return memo, None

    def _construct(self, host, variables, compose, composed_groups, keyed_groups, strict):
        """compose, groups and keyed_groups for one host, through Constructable's helpers.

        The expressions see every ``sepm_*`` field (unsafe, like the host variables), whether or
        not it is a host variable, and the variables made by compose.
        """
        variables = {var_name: self._unsafe(value) for var_name, value in variables.items()}
        variables["inventory_hostname"] = host
        inventory = self.inventory
        if compose:
            memo, key = self._outcome("compose", variables)
            composed = memo.get(key) if key is not None else None
            if composed is None:
                self._set_composite_vars(compose, variables, host, strict=strict)
                host_vars = inventory.get_host(host).get_vars()
                composed = {var_name: host_vars[var_name] for var_name in compose if var_name in host_vars}
                if key is not None:
                    memo[key] = composed
            else:
                for var_name, value in composed.items():
                    inventory.set_variable(host, var_name, value)
            variables.update(composed)
        if composed_groups or keyed_groups:
            memo, key = self._outcome("groups", variables)
            joined = memo.get(key) if key is not None else None
            if joined is None:
                host_object = inventory.get_host(host)
                before = set(host_object.get_groups())
                self._add_host_to_composed_groups(composed_groups, variables, host, strict=strict, fetch_hostvars=False)
                self._add_host_to_keyed_groups(keyed_groups, variables, host, strict=strict, fetch_hostvars=False)
                if key is not None:
                    memo[key] = direct_groups([group for group in host_object.get_groups() if group not in before])
            else:
                for group_name in joined:
                    inventory.add_child(group_name, host)
