# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Batch planning for a client patch rollout. Pure Python, no Ansible or HTTP import.

Batch sizes follow Ansible's ``serial``: an int, a percentage string ``"10%"`` or a list of
those. Sizes are taken in order and the LAST one repeats until every host is covered; the
final batch may be smaller. Our choices where ``serial`` leaves room:

* a percentage is of the number of hosts to batch, rounded DOWN in integer arithmetic
  (``29%`` of 100 is 29, not the 28 that float rounding gives), with a minimum of 1;
* a percentage above 100 counts as 100%;
* 0, ``"0%"``, negative numbers, fractions, booleans, other strings and an empty list are
  errors (ValueError with a one-line message); Ansible reads 0 as "all hosts", we do not.

Preflight (``classify``) takes a host out of the batches, with a state and a reason, in this
order: already at the target (``compliant``), not a Windows client, a release different from
the SEPM's, offline (only with ``offline="skip"``; with ``"wait"`` an offline host is batched).

An HA cluster's members that are offline count as down whatever their own state (compliant,
skipped or batched): at most ``max_unavailable_per_cluster`` members may be down at once, so
the members down already take that room first, and a cluster with none left is held back
(``skipped``): restarting any member could take the whole cluster down.

``plan_rollout`` keeps the input order (a canary listed first goes first) and puts at most
``max_unavailable_per_cluster`` members of one cluster in a batch: a member that does not
fit waits for a later batch, keeping its place in the queue. Each batch is filled up to its
size from the queue in order, skipping blocked hosts; when only blocked hosts remain the
batch is smaller, and later batches take the sizes that follow (the last repeating).
"""

from __future__ import annotations

import re

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import is_below, release_of

__all__ = ["Plan", "batch_sizes", "classify", "normalize_serial", "plan_rollout", "split_batches", "iter_batches", "OFFLINE_CHOICES"]

OFFLINE_CHOICES = ("skip", "wait")
_PERCENT = re.compile(r"^\s*(\d+)\s*%\s*$")
_NUMBER = re.compile(r"^\s*(\d+)\s*$")


def _serial_items(serial):
    if isinstance(serial, (list, tuple)):
        items = list(serial)
        if not items:
            raise SepmInputError("serial must not be an empty list")
        return items
    return [serial]


def _size(item, total):
    """The batch size one serial item gives for ``total`` hosts."""
    if isinstance(item, bool) or not isinstance(item, (int, str)):
        raise SepmInputError("serial value %r is not a whole number or a percentage such as '10%%'" % (item,))
    if isinstance(item, str):
        percent = _PERCENT.match(item)
        if percent:
            value = int(percent.group(1))
            if value <= 0:
                raise SepmInputError("serial value %r must be more than 0%%" % item)
            return max(1, min(value, 100) * total // 100)
        number = _NUMBER.match(item)
        if not number:
            raise SepmInputError("serial value %r is not a whole number or a percentage such as '10%%'" % item)
        item = int(number.group(1))
    if item <= 0:
        raise SepmInputError("serial value %r must be more than 0" % (item,))
    return item


def normalize_serial(serial):
    """``serial`` as a list of whole numbers and ``"N%"`` strings, checked (ValueError in one line when not)."""
    normalized = []
    for item in _serial_items(serial):
        _size(item, 1)
        if isinstance(item, str):
            percent = _PERCENT.match(item)
            item = "%d%%" % int(percent.group(1)) if percent else int(item)
        normalized.append(item)
    return normalized


def _nominal_sizes(serial, total):
    """Endless batch sizes for ``total`` hosts: the serial items in order, the last repeating."""
    sizes = [_size(item, total) for item in _serial_items(serial)]
    index = 0
    while True:
        yield sizes[min(index, len(sizes) - 1)]
        index += 1


def batch_sizes(serial, total):
    """Batch sizes covering ``total`` hosts with Ansible ``serial`` semantics (see the module docstring)."""
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise SepmInputError("total must be a whole number of hosts, 0 or more, got %r" % (total,))
    sizes = []
    remaining = total
    nominal = _nominal_sizes(serial, total)
    while remaining > 0:
        size = min(next(nominal), remaining)
        sizes.append(size)
        remaining -= size
    if not sizes:
        next(nominal)  # validate serial even with no hosts
    return sizes


def _os_of(host):
    return str(host.get("os_name") or host.get("operating_system") or "")


def classify(host, target_version, sepm_version, offline="skip"):
    """None when ``host`` should be batched, else ``(state, reason)`` (see the module docstring)."""
    if offline not in OFFLINE_CHOICES:
        raise SepmInputError("offline must be one of %s, got %r" % (", ".join(OFFLINE_CHOICES), offline))
    sepm_release = release_of(sepm_version)
    if sepm_release is None:
        raise SepmInputError("sepm_version %r is not a SEP version such as '14.3.10148.9000'" % (sepm_version,))
    version = host.get("agent_version")
    if version and not is_below(version, target_version):
        return ("compliant", "already at %s" % version)
    if "windows" not in _os_of(host).lower():
        return ("skipped", "not a Windows client: client patches through LiveUpdate are for Windows")
    release = release_of(version)
    if release is None:
        return ("skipped", "agent version %r is not a SEP version: its release is unknown" % (version,))
    if release != sepm_release:
        return ("skipped", "release %s differs from the SEPM's %s: clients take patches from the SEPM only in its own release"
                % (release, sepm_release))
    if not host.get("online") and offline == "skip":
        return ("skipped", "offline")
    return None


class Plan:
    """The batches of a rollout, the hosts left out of them and each cluster's room for members down at once."""

    def __init__(self, batches, accounted, cluster_room=None):
        self.batches = batches
        self.accounted = accounted
        self.cluster_room = cluster_room or {}

    def __repr__(self):
        return "Plan(batches=%r, accounted=%r)" % (self.batches, self.accounted)

    def to_dict(self):
        """A JSON-ready dict: batches (lists of names), accounted ({name: {state, reason}}) and cluster_room."""
        return {
            "batches": [list(batch) for batch in self.batches],
            "accounted": dict((name, {"state": state, "reason": reason}) for name, (state, reason) in self.accounted.items()),
            "cluster_room": dict(self.cluster_room),
        }


def _cluster_capacity(queue, hosts, accounted, max_unavailable_per_cluster):
    """How many members of each cluster may be down at once, after the members already down.

    A member counts as down when it is offline, whatever its rollout state: an offline
    member that is already patched (compliant) or not a patch target (skipped) is still not
    serving. A cluster with no room left is held back entirely: its queued members are
    accounted ``skipped`` and leave the queue.
    """
    down = {}
    for host in hosts:
        cluster = host.get("cluster")
        if cluster and not host.get("online"):
            down.setdefault(cluster, []).append(host["name"])
    queued = {name for name, _cluster in queue}
    capacity, kept = {}, []
    for name, cluster in queue:
        if cluster is None:
            kept.append((name, cluster))
            continue
        # A queued offline member (offline="wait") is down already: it takes no further room.
        others_down = [member for member in down.get(cluster, []) if member != name and member not in queued]
        room = max_unavailable_per_cluster - len(others_down)
        if room <= 0:
            accounted[name] = ("skipped", "HA partner %s is offline: restarting this member could take cluster %s down"
                               % (others_down[0], cluster))
            continue
        capacity[cluster] = min(capacity.get(cluster, room), room)
        kept.append((name, cluster))
    return kept, capacity


def plan_rollout(hosts, target_version, sepm_version, serial=(1, "10%", "25%"), max_unavailable_per_cluster=1, offline="skip"):
    """Split ``hosts`` (dicts, in order) into batches; see the module docstring for the rules."""
    if isinstance(max_unavailable_per_cluster, bool) or not isinstance(max_unavailable_per_cluster, int) \
            or max_unavailable_per_cluster < 1:
        raise SepmInputError("max_unavailable_per_cluster must be a whole number, 1 or more, got %r" % (max_unavailable_per_cluster,))
    seen = set()
    queue = []
    accounted = {}
    for host in hosts:
        name = host.get("name") if isinstance(host, dict) else None
        if not name:
            raise SepmInputError("every host needs a name, got %r" % (host,))
        if name in seen:
            raise SepmInputError("host %r is listed more than once" % (name,))
        seen.add(name)
        outcome = classify(host, target_version, sepm_version, offline)
        if outcome is None:
            queue.append((name, host.get("cluster") or None))
        else:
            accounted[name] = outcome
    queue, capacity = _cluster_capacity(queue, hosts, accounted, max_unavailable_per_cluster)
    return Plan(split_batches(queue, serial, capacity), accounted, capacity)


def split_batches(queue, serial, cluster_room):
    """Batches of ``queue`` (``(name, cluster)`` pairs in order) by ``serial``, at most ``cluster_room[c]`` of cluster c each."""
    return list(iter_batches(queue, serial, cluster_room))


def iter_batches(queue, serial, cluster_room):
    """``split_batches`` one batch at a time, for a caller that may need only the first few.

    A batch takes hosts in queue order; one whose cluster has no room left in it is passed over
    and waits, ahead of the hosts not reached yet, for the next batch. Only the passed-over
    hosts are carried from batch to batch, so a batch costs what it reads, not the whole queue.
    """
    batch_sizes(serial, len(queue))  # validates serial, even when nothing is left to batch
    queue = list(queue)
    ahead, position, total = [], 0, len(queue)  # the hosts waiting are ahead + queue[position:]
    for nominal in _nominal_sizes(serial, total):
        waiting = len(ahead) + total - position
        if not waiting:
            return
        size = min(nominal, waiting)
        batch, passed, per_cluster = [], [], {}

        def offer(name, cluster):
            if cluster is None or per_cluster.get(cluster, 0) < cluster_room.get(cluster, 1):
                batch.append(name)
                if cluster is not None:
                    per_cluster[cluster] = per_cluster.get(cluster, 0) + 1
            else:
                passed.append((name, cluster))

        read = 0
        while read < len(ahead) and len(batch) < size:
            offer(*ahead[read])
            read += 1
        while position < total and len(batch) < size:
            offer(*queue[position])
            position += 1
        ahead = passed + ahead[read:]
        yield batch
