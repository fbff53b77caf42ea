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

**HA partners two batches apart** (``space_partners``; ``spaces_partners`` says when: liveupdate
batches with ``deliver_ahead`` on, the only ones that take the patch ahead). While batch k
restarts, batch k+1 takes its patch ahead, but never a partner of a computer in flight
(``rules.deliver_ahead``): a delivered patch installs at the next restart whoever restarts it,
and that partner is what the HA rule may still have to hold back. A partner in the very next
batch therefore takes its patch only in its own turn. With ``batches_ahead`` n, batches k+1 to
k+n go ahead, so ``space_partners`` is n and "the batch before" below reads "any of the n
batches before" (partners n + 1 batches apart). So:

* a cluster that had a member in batch k is *spaced* in batch k+1 when its members not yet
  batched fit one batch (at most its room): batch k+1 passes them over like a cluster with no
  room, and they wait, keeping their place ahead of the hosts not reached yet, for batch k+2.
  A cluster with more left than its room is not spaced and goes batch after batch as before:
  spacing it every other batch would stretch it over twice the batches;
* a batch takes spaced members only when nothing else is left that it may take: then, in
  queue order, within their cluster's room and their group's budget. So a batch is below its
  size only when every waiting host is held by its cluster's room or its group's budget, never
  by the spacing; a canary's partner waits for batch 3 when batch 2 fills without it, and a
  lone pair still goes in two batches in a row;
* taking later hosts first can still leave a tail (a cluster or a tightly budgeted group with
  more left than a batch takes) that a plan without spacing does not have. ``split_batches``
  (and so ``plan_rollout``) then also plans without spacing and keeps those batches when they
  are fewer: spacing never makes the rollout longer (more batches). ``iter_batches`` (the forecast's later runs,
  one batch at a time) cannot look ahead so and spaces without that check;
* a host the spacing kept out is not counted as held back by a group budget.

**Group budgets**, beside the HA rule: at most ``max_restarting_per_group`` computers of one
SEPM group restarting at once and at most ``max_downloading_per_group`` downloading at once
(a whole number, or ``"N%"`` of the group's size in the SEPM - all its computers, not only
the targets, so a branch office is never all down - rounded down, at least 1). The group is a
computer's own (home) group. Every computer of a batch downloads and then restarts at the
same time, so a batch holds at most the smaller of the two budgets of a group; a host that
does not fit waits for a later batch, keeping its place, as for a cluster. The plan says per
batch which hosts a group budget held back: those of a group whose budget the batch used up
that it would have taken without the group budgets (in queue order, within the cluster rooms,
spaced clusters last). While batches overlap (the next one downloads while this one downloads
or restarts), ``may_download`` says whether the next batch fits the download budget beside
what is still downloading.
"""

from __future__ import annotations

import re

from ansible_collections.endpoint_ops.sepm.plugins.module_utils._plan_batches import Batcher
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import is_below, release_of

__all__ = ["Plan", "batch_sizes", "classify", "normalize_serial", "plan_rollout", "split_batches", "iter_batches", "OFFLINE_CHOICES",
           "check_group_budget", "group_room", "group_rooms", "may_download", "hold_reason", "group_of", "spaces_partners"]

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
                 max_restarting_per_group=None, max_downloading_per_group=None, group_sizes=None, space_partners=True):
    """Split ``hosts`` (dicts, in order) into batches; see the module docstring for the rules.

    ``group_sizes`` is ``{group path: computers}`` as the SEPM counts them (``groups.group_sizes``).
    ``space_partners`` keeps HA partners that many batches apart where it can (True is one; ``spaces_partners`` says
    when and how many).
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
    plan.batches = split_batches(queue, serial, capacity, plan.group_room, plan.group_holds, space_partners)
    return plan


def spaces_partners(method, deliver_ahead=True, batches_ahead=1):
    """How many batches apart the batches of ``method`` keep HA partners (0: not kept apart).

    Only liveupdate batches take the patch ahead, up to ``batches_ahead`` of them while one restarts: a partner
    in any of those takes its patch only in its own turn, so partners are kept that many batches apart.
    """
    return max(1, int(batches_ahead or 1)) if method == "liveupdate" and deliver_ahead is not False else 0


def split_batches(queue, serial, cluster_room, group_room=None, holds=None, space_partners=True):
    """Batches of ``queue`` by ``serial``: ``iter_batches`` as a list, HA partners spaced only where that makes no more batches.

    With ``space_partners``, when keeping partners a batch apart makes more batches than
    planning without it, the batches are those planned without it (the module docstring).
    """
    spaced = Batcher(queue, cluster_room, group_room or {}, space_partners)
    found = [] if holds is not None else None
    batches = list(_batches(spaced, serial, found))
    # Only the count of the batches without spacing matters, unless they are fewer: then they are planned again with holds.
    if spaced.kept_apart and _count(_batches(Batcher(queue, cluster_room, group_room or {}, False), serial, None)) < len(batches):
        found = [] if holds is not None else None
        batches = list(_batches(Batcher(queue, cluster_room, group_room or {}, False), serial, found))
    if holds is not None:
        holds.extend(found)
    return batches


def _count(batches):
    return sum(1 for _batch in batches)


def iter_batches(queue, serial, cluster_room, group_room=None, holds=None, space_partners=True, members=None):
    """Batches of ``queue`` (``(name, cluster)`` or ``(name, cluster, group)`` in order) by ``serial``, one at a time.

    A batch holds at most ``cluster_room[c]`` (default 1) of cluster c and ``group_room[g]`` of
    group g (groups not in it have no budget). It takes hosts in queue order; one whose cluster
    has no room left is passed over and waits, ahead of the hosts not reached yet, for the next
    batch; a group whose room is used up is not read further in this batch. With
    ``space_partners`` (n) a cluster one of the n batches before had waits too while other hosts can fill the
    batch (the module docstring); one at a time, batches cannot be checked against a plan
    without it, as ``split_batches`` does. ``holds``, a list, gets one ``{name: group}`` per
    batch: the hosts a group budget held back (module docstring). ``members``, ``{cluster: its
    members in queue}``, saves counting them when the caller keeps that count (the forecast does).

    A batch costs what it reads, not the whole queue, however small a group's budget (``_plan_batches``).
    """
    return _batches(Batcher(queue, cluster_room, group_room or {}, space_partners, members), serial, holds)


def _batches(batcher, serial, holds):
    queue = batcher.queue
    batch_sizes(serial, len(queue))  # validates serial, even when nothing is left to batch
    waiting = len(queue)
    for nominal in _nominal_sizes(serial, len(queue)):
        if not waiting:
            return
        filled = batcher.fill(min(nominal, waiting))
        waiting -= len(filled.places)
        if holds is not None:
            holds.append(batcher.held(filled))
        yield [queue[place][0] for place in filled.places]
