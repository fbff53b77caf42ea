# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Planning a run: read the SEPM once, resolve the targets and their methods, and split them into batches.

Planning only reads. The options were checked before (``options.check_options``), and every
named group, policy and package is checked here, so bad input fails in one line before the
first batch writes anything.
"""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rules
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.driver import Clock
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.model import RESUME, HostResult, PlannedBatch, Run, iso
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.options import METHODS, serial_of
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.staging import home_of
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import ComputerFilter, normalize_computer
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.groups import group_sizes, normalize_path
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.install_package import inspect_package
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.patches import CONSOLE_STEPS, packages_from_events
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.plan import plan_rollout, spaces_partners
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.policies import find_policy
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.soak import arrival_ms
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.targets import fetch_records
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import release_of, version_key

# What a run keeps of each computer's SEPM record: what its steps read, not the whole record.
COMPUTER_KEYS = ("id", "hardware_key", "name", "group", "group_id", "agent_version", "target_version", "online",
                 "reboot_required", "os_name", "last_update_time", "profile_serial", "last_deployment_time",
                 # what the health checks compare with the record from after the patch
                 "ap_on_off", "av_engine_on_off", "firewall_on_off", "tamper_on_off", "infected", "worst_infection_idx",
                 "av_defset_version")


def lean(computer):
    return {key: computer.get(key) for key in COMPUTER_KEYS}


def newest_patch(client, sepm_release, packages=None):
    """The newest Windows client patch of the SEPM's own release that its critical events announce."""
    for package in packages if packages is not None else packages_from_events(client.critical_events()):
        if package["platform"] == "windows" and package["is_patch"] and package["version"] and package["release"] == sepm_release:
            return package["version"]
    return None


def _group_names(client, groups, records):
    """Names of the computers in the SEPM groups (and their subgroups); every group must exist."""
    filters = []
    for path in groups:
        found = client.group_by_path(normalize_path(path))
        filters.append(ComputerFilter(group=found.get("fullPathName") or normalize_path(path), include_subgroups=True))
    return [computer["name"] for computer in (normalize_computer(record) for record in records)
            if any(match(computer) for match in filters)]


def host_methods(names, inventory_hosts, default="liveupdate"):
    """``{name: method}``: a host's own method (its inventory variable or group), else ``default``."""
    given = {}
    for host in inventory_hosts or []:
        method = host.get("method")
        if method:
            method = str(method).strip().lower()
            if method not in METHODS:
                raise SepmInputError("host %s: rollout method %r is not one of %s" % (host.get("host"), method, ", ".join(METHODS)))
            given[str(host.get("sepm_name") or host.get("host")).lower()] = method
    return {name: given.get(name.lower(), default) for name in names}


def check_package(package, sepm_version, target, prefix=""):
    """The package the package method installs: inspected, of the SEPM's release and the target."""
    if not package or not package.get("version") or not package.get("files"):
        raise SepmInputError("hosts take the package method: give %spackage_path and %spackage_version (the exported client "
                             "install package)" % (prefix, prefix))
    release, sepm_release = release_of(package["version"]), release_of(sepm_version)
    if release != sepm_release:
        raise SepmInputError("the install package is %s (%s), the SEPM runs %s (%s): clients take patches only in the SEPM's "
                             "own release; export the package of the SEPM's release"
                             % (package["version"], release, sepm_version, sepm_release))
    if target and version_key(target) != version_key(package["version"]):
        raise SepmInputError("the install package is %s but the run's target is %s: export the package of the target, or set "
                             "%starget_version to the package's version" % (package["version"], target, prefix))
    return package


def plan_by_method(hosts, methods, clusters, target, sepm_version, options, group_sizes=None):
    """Batches per method (liveupdate first, then package, each by its own serial), the hosts left out, each cluster's room.

    Each batch is ``(method, names, {name: why a group budget held it back from this batch})``.
    """
    by_cluster = {}
    for name, cluster in clusters.items():
        by_cluster.setdefault(cluster, set()).add(methods.get(name, options["method"]))
    mixed = sorted(cluster for cluster, used in by_cluster.items() if len(used) > 1)
    if mixed:
        raise SepmInputError("HA cluster %s mixes the liveupdate and package methods: give all its members one method" % mixed[0])
    batches, accounted, rooms = [], {}, {"cluster": {}, "group": {}, "download": {}}
    for method in METHODS:
        chosen = [host for host in hosts if methods.get(host["name"], options["method"]) == method]
        if not chosen:
            continue
        plan = plan_rollout(chosen, target, sepm_version, serial_of(options, method), options["max_unavailable_per_cluster"],
                            options["offline"], options.get("max_restarting_per_group"), options.get("max_downloading_per_group"),
                            group_sizes, spaces_partners(method, options.get("deliver_ahead"), options.get("batches_ahead")))
        batches.extend((method, list(batch), plan.held_back(index)) for index, batch in enumerate(plan.batches))
        accounted.update(plan.accounted)
        rooms["cluster"].update(plan.cluster_room)
        rooms["group"].update(plan.group_room)
        rooms["download"].update(plan.download_room)
    return batches, accounted, rooms


def plan_run(client, options, inventory_hosts=(), groups=(), cluster_pattern=None, prefix="", history=None):
    """Read the SEPM and plan a run from checked options (``options.check_options``); returns the ``Run``.

    ``history`` holds the batch durations earlier runs measured (``forecast.durations_from_reports``),
    for the forecast of when the run will be done.
    """
    options = dict(options)
    sepm_version = (client.version() or {}).get("version")
    if options.get("package_path"):
        # Before anything else: a package of another release fails the plan before anything changes.
        options["package"] = inspect_package(options["package_path"], options.get("package_version") or "",
                                             options.get("package_sha256") or "", sepm_version or "")
    listing = list(client.computers()) if groups else None
    group_names = _group_names(client, groups, listing) if groups else []
    names, clusters = rules.resolve_targets(inventory_hosts, group_names, cluster_pattern)
    if not names:
        raise SepmInputError("the targets name no computer: check targets and groups")
    methods = host_methods(names, inventory_hosts, options["method"])
    # The SEPM's notices: the newest patch when no target is given, and when the patch arrived, for a soak.
    wanted = ("liveupdate" in methods.values() and not options.get("target_version")) or options.get("soak")
    packages = packages_from_events(client.critical_events()) if wanted else []
    inventory_names = {str(host.get("sepm_name") or host.get("host")).lower(): host.get("host") for host in inventory_hosts or []}
    uses_package = "package" in methods.values()
    uses_liveupdate = "liveupdate" in methods.values()
    package = options.get("package") or {}
    if uses_package:
        check_package(package, sepm_version, options.get("target_version"), prefix)
    target = options.get("target_version") or (newest_patch(client, release_of(sepm_version), packages) if uses_liveupdate else None) \
        or (package.get("version") if uses_package else None)
    if not target:
        raise SepmInputError("the SEPM shows no client patch for its release (%s): set %starget_version, or let the SEPM "
                             "download client patches. %s" % (release_of(sepm_version), prefix, CONSOLE_STEPS))
    if uses_package:
        check_package(package, sepm_version, target, prefix)
    options["target_version"] = target
    options["allow_policy_id"] = find_policy(client.policy_summaries("lu"), options["allow_policy"], "lu")["id"] \
        if uses_liveupdate else None

    found = {}
    for record in listing if listing is not None else fetch_records(client, names=names):
        computer = normalize_computer(record)
        found.setdefault((computer["name"] or "").lower(), {})[computer["id"]] = computer
    results, computers, resume, hosts = {}, {}, [], []
    for name in names:
        matches = list(found.get(name.lower(), {}).values())
        if len(matches) != 1:
            results[name] = HostResult(state="skipped", method=methods[name], reason="not found in the SEPM" if not matches else
                                       "%d SEPM computers have this name" % len(matches))
            continue
        computer = dict(lean(matches[0]), name=name, cluster=clusters.get(name), method=methods[name],
                        inventory_host=inventory_names.get(name.lower(), name),
                        home=home_of(matches[0]["group"], options["staging_group"]))
        computers[name] = computer
        version = computer["agent_version"]
        results[name] = HostResult(method=methods[name], version_before=version, version_after=version)
        if computer["home"] != computer["group"]:
            resume.append(name)
        else:
            hosts.append(computer)
    budgets = options.get("max_restarting_per_group") or options.get("max_downloading_per_group")
    sizes = group_sizes(client.groups()) if budgets else None
    batches, accounted, rooms = plan_by_method(hosts, methods, clusters, target, sepm_version, options, sizes)
    for name, (state, reason) in accounted.items():
        results[name].state, results[name].reason = state, reason
    plan = ([PlannedBatch(RESUME, "liveupdate", resume)] if resume else []) + \
        [PlannedBatch(str(number), method, names, held) for number, (method, names, held) in enumerate(batches, 1)]
    for batch in plan:
        for name in batch.hosts:
            results[name].batch = batch.label
    run = Run(options, sepm_version, iso(Clock(client, options["clock"]).now(refresh=True)), computers, clusters, plan, results,
              rooms["cluster"])
    run.group_room, run.download_room = rooms["group"], rooms["download"]
    # A soak counts only the computers that took the target after the SEPM announced it (soak.py).
    run.patch_arrived_ms = arrival_ms(packages, target) if options.get("soak") else None
    run.forecast_history = history or {}
    return run
