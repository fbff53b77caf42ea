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

**Group budgets**, beside the HA rule: at most ``max_restarting_per_group`` computers of one
SEPM group restarting at once and at most ``max_downloading_per_group`` downloading at once
(a whole number, or ``"N%"`` of the group's size in the SEPM - all its computers, not only
the targets, so a branch office is never all down - rounded down, at least 1). The group is a
computer's own (home) group. Every computer of a batch downloads and then restarts at the
same time, so a batch holds at most the smaller of the two budgets of a group; a host that
does not fit waits for a later batch, keeping its place, as for a cluster. The plan says per
batch which hosts a group budget held back: those of a group whose budget the batch used up
that it would have taken without the group budgets. While batches
overlap (the next one downloads while this one downloads or restarts), ``may_download`` says
whether the next batch fits the download budget beside what is still downloading.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections import deque

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import is_below, release_of

__all__ = ["Plan", "batch_sizes", "classify", "normalize_serial", "plan_rollout", "split_batches", "iter_batches", "OFFLINE_CHOICES",
           "check_group_budget", "group_room", "group_rooms", "may_download", "hold_reason", "group_of"]

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
    """The batches of a rollout, the hosts left out of them, and the room of each cluster and group in a batch.

    ``group_room`` is each group's room in a batch, the smaller of ``restart_room`` and
    ``download_room`` (its budgets; ``download_room`` also for ``may_download``); ``group_holds``
    has one dict per batch: ``{name: group}`` of the hosts a group budget held back from it.
    """

    def __init__(self, batches, accounted, cluster_room=None, group_holds=None, restart_room=None,  # pylint: disable=too-many-arguments
                 download_room=None):
        self.batches = batches
        self.accounted = accounted
        self.cluster_room = cluster_room or {}
        self.restart_room = restart_room or {}
        self.download_room = download_room or {}
        self.group_room = dict(self.restart_room)
        for group, room in self.download_room.items():
            self.group_room[group] = min(self.group_room.get(group, room), room)
        self.group_holds = group_holds if group_holds is not None else [{} for _batch in batches]

    def held_back(self, index):
        """``{name: reason}`` of the hosts a group budget held back from batch ``index`` (from 0), in words."""
        return dict((name, hold_reason(group, self.restart_room.get(group), self.download_room.get(group)))
                    for name, group in self.group_holds[index].items())

    def __repr__(self):
        return "Plan(batches=%r, accounted=%r)" % (self.batches, self.accounted)

    def to_dict(self):
        """A JSON-ready dict: batches (lists of names), accounted ({name: {state, reason}}), the rooms and the holds."""
        return {
            "batches": [list(batch) for batch in self.batches],
            "accounted": dict((name, {"state": state, "reason": reason}) for name, (state, reason) in self.accounted.items()),
            "cluster_room": dict(self.cluster_room),
            "group_room": dict(self.group_room),
            "restart_room": dict(self.restart_room),
            "download_room": dict(self.download_room),
            "group_holds": [dict(held) for held in self.group_holds],
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
    queued = {item[0] for item in queue}
    capacity, kept = {}, []
    for item in queue:
        name, cluster = item[0], item[1]
        if cluster is None:
            kept.append(item)
            continue
        # A queued offline member (offline="wait") is down already: it takes no further room.
        others_down = [member for member in down.get(cluster, []) if member != name and member not in queued]
        room = max_unavailable_per_cluster - len(others_down)
        if room <= 0:
            accounted[name] = ("skipped", "HA partner %s is offline: restarting this member could take cluster %s down"
                               % (others_down[0], cluster))
            continue
        capacity[cluster] = min(capacity.get(cluster, room), room)
        kept.append(item)
    return kept, capacity


def group_of(host):
    """A host's own SEPM group: its home when it sits in a staging group, else its group."""
    return host.get("home") or host.get("group") or None


def check_group_budget(value, option="max_restarting_per_group"):
    """A group budget as given: None (no budget), a whole number 1 or more, or a percentage ``"N%"`` (1 to 100)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        percent, number = _PERCENT.match(value), _NUMBER.match(value)
        if percent and 1 <= int(percent.group(1)) <= 100:
            return "%d%%" % int(percent.group(1))
        value = int(number.group(1)) if number else value
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SepmInputError("%s must be a whole number of computers, 1 or more, or a percentage from 1%% to 100%% "
                             "such as '10%%', got %r" % (option, value))
    return value


def group_room(budget, size):
    """How many computers of a group of ``size`` a budget lets in at once: N, or N% of the size rounded down, at least 1."""
    if isinstance(budget, str):
        return max(1, int(budget[:-1]) * max(size, 0) // 100)
    return budget


def group_rooms(budget, groups, sizes=None):
    """``{group: room}`` for ``groups`` ({group: hosts known in it}); a size missing from ``sizes`` is the hosts known."""
    if budget is None:
        return {}
    known = dict(((path or "").lower(), size) for path, size in (sizes or {}).items())
    return dict((group, group_room(budget, known.get(group.lower(), count))) for group, count in groups.items())


def hold_reason(group, restart_room=None, download_room=None):
    """Why a group budget held a host back, in words: 'group budget: at most 3 of My Company\\Branch restarting at once'."""
    if restart_room is not None and (download_room is None or restart_room <= download_room):
        return "group budget: at most %d of %s restarting at once" % (restart_room, group)
    return "group budget: at most %d of %s downloading at once" % (download_room, group)


def may_download(next_names, downloading, groups_of, download_room):
    """``(True, "")`` when the next batch may start downloading beside ``downloading``, else ``(False, reason)``.

    ``downloading`` names the computers whose download is under way (the current batch's, while
    it has not delivered); ``groups_of`` maps a name to its own group; ``download_room`` is the
    plan's. The next batch starts whole or not at all: its download waits for room. A batch
    that alone passes a budget (one an interrupted run left) starts when nothing of that group
    downloads, or it would never start.
    """
    if not download_room:
        return True, ""
    busy, wanted = {}, {}
    for names, counts in ((downloading, busy), (next_names, wanted)):
        for name in names:
            group = groups_of.get(name)
            if group in download_room:
                counts[group] = counts.get(group, 0) + 1
    for group in sorted(wanted):
        if busy.get(group, 0) and busy.get(group, 0) + wanted[group] > download_room[group]:
            return False, "group budget: %d of %s downloading now, %d more would pass its %d at once" % (
                busy[group], group, wanted[group], download_room[group])
    return True, ""


def plan_rollout(hosts, target_version, sepm_version, serial=(1, "10%", "25%"), max_unavailable_per_cluster=1, offline="skip",
                 max_restarting_per_group=None, max_downloading_per_group=None, group_sizes=None):
    """Split ``hosts`` (dicts, in order) into batches; see the module docstring for the rules.

    ``group_sizes`` is ``{group path: computers}`` as the SEPM counts them (``groups.group_sizes``).
    """
    if isinstance(max_unavailable_per_cluster, bool) or not isinstance(max_unavailable_per_cluster, int) \
            or max_unavailable_per_cluster < 1:
        raise SepmInputError("max_unavailable_per_cluster must be a whole number, 1 or more, got %r" % (max_unavailable_per_cluster,))
    restarting = check_group_budget(max_restarting_per_group, "max_restarting_per_group")
    downloading = check_group_budget(max_downloading_per_group, "max_downloading_per_group")
    seen = set()
    queue = []
    accounted = {}
    known = {}
    for host in hosts:
        name = host.get("name") if isinstance(host, dict) else None
        if not name:
            raise SepmInputError("every host needs a name, got %r" % (host,))
        if name in seen:
            raise SepmInputError("host %r is listed more than once" % (name,))
        seen.add(name)
        group = group_of(host)
        if group is not None:
            known[group] = known.get(group, 0) + 1
        outcome = classify(host, target_version, sepm_version, offline)
        if outcome is None:
            queue.append((name, host.get("cluster") or None, group))
        else:
            accounted[name] = outcome
    queue, capacity = _cluster_capacity(queue, hosts, accounted, max_unavailable_per_cluster)
    queued = dict((group, known[group]) for group in {item[2] for item in queue} if group is not None)
    plan = Plan([], accounted, capacity, [], group_rooms(restarting, queued, group_sizes),
                group_rooms(downloading, queued, group_sizes))
    plan.batches = split_batches(queue, serial, capacity, plan.group_room, plan.group_holds)
    return plan


def split_batches(queue, serial, cluster_room, group_room=None, holds=None):
    """Batches of ``queue`` by ``serial``: ``iter_batches`` as a list."""
    return list(iter_batches(queue, serial, cluster_room, group_room, holds))


def iter_batches(queue, serial, cluster_room, group_room=None, holds=None):
    """Batches of ``queue`` (``(name, cluster)`` or ``(name, cluster, group)`` in order) by ``serial``, one at a time.

    A batch holds at most ``cluster_room[c]`` (default 1) of cluster c and ``group_room[g]`` of
    group g (groups not in it have no budget). It takes hosts in queue order; one whose cluster
    has no room left is passed over and waits, ahead of the hosts not reached yet, for the next
    batch; a group whose room is used up is not read further in this batch. ``holds``, a list,
    gets one ``{name: group}`` per batch: the hosts a group budget held back (module docstring).

    The waiting hosts stand in one queue per budgeted group (and one for the rest), merged by
    their place in ``queue``: a batch costs what it reads, not the whole queue, however small a
    group's budget; without budgets the queue is read in place.
    """
    batch_sizes(serial, len(queue))  # validates serial, even when nothing is left to batch
    group_room = group_room or {}
    if group_room:
        positions = {}
        for position, item in enumerate(queue):
            key = item[2] if len(item) > 2 and item[2] in group_room else None
            positions.setdefault(key, []).append(position)
        streams = dict((key, _Stream(found)) for key, found in positions.items())
    else:
        streams = {None: _Stream(range(len(queue)))}
    waiting = len(queue)
    for nominal in _nominal_sizes(serial, len(queue)):
        if not waiting:
            return
        batch, full, passed = _fill(queue, streams, min(nominal, waiting), cluster_room, group_room)
        waiting -= len(batch)
        if holds is not None:
            holds.append(_held(queue, streams, full, passed, batch, min(nominal, waiting + len(batch))))
        yield [queue[position][0] for position in batch]


class _Stream:
    """The waiting hosts of one group (by their places in the queue): those passed over first, then the unread ones."""

    __slots__ = ("places", "read", "passed")

    def __init__(self, places):
        self.places = places
        self.read = 0
        self.passed = deque()

    def head(self):
        if self.passed:
            return self.passed[0]
        return self.places[self.read] if self.read < len(self.places) else None

    def pop(self):
        if self.passed:
            return self.passed.popleft()
        self.read += 1
        return self.places[self.read - 1]

    def waiting(self):
        return itertools.chain(self.passed, itertools.islice(self.places, self.read, None))


def _fill(queue, streams, size, cluster_room, group_room):
    """One batch (places in the queue) of up to ``size`` hosts; the groups whose room it used up; the places a cluster held."""
    heads = [(stream.head(), key) for key, stream in streams.items() if stream.head() is not None]
    heapq.heapify(heads)
    batch, passed, per_cluster, per_group, full = [], {}, {}, {}, set()
    while heads and len(batch) < size:
        _place, key = heapq.heappop(heads)
        stream = streams[key]
        place = stream.pop()
        cluster = queue[place][1]
        if cluster is not None and per_cluster.get(cluster, 0) >= cluster_room.get(cluster, 1):
            passed.setdefault(key, []).append(place)
        else:
            batch.append(place)
            if cluster is not None:
                per_cluster[cluster] = per_cluster.get(cluster, 0) + 1
            if key is not None:
                per_group[key] = per_group.get(key, 0) + 1
                if per_group[key] >= group_room[key]:
                    full.add(key)
                    continue
        following = stream.head()
        if following is not None:
            heapq.heappush(heads, (following, key))
    for key, places in passed.items():
        streams[key].passed.extendleft(reversed(places))
    return batch, full, {place for places in passed.values() for place in places}


def _held(queue, streams, full, by_cluster, batch, size):
    """``{name: group}`` of the hosts the full groups' budgets kept out of ``batch``: those the batch would have
    taken without the group budgets (its ``size`` first hosts in queue order, the ones a cluster held aside)."""
    kept_out = ((place, 1) for place in heapq.merge(*(streams[key].waiting() for key in sorted(full)))
                if place not in by_cluster)
    merged = heapq.merge(((place, 0) for place in batch), kept_out)
    return dict((queue[place][0], queue[place][2]) for place, kind in itertools.islice(merged, size) if kind)
