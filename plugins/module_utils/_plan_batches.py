# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""How ``plan.iter_batches`` fills its batches, one at a time. Pure Python, private to ``plan.py``.

The rules are ``plan.py``'s (its module docstring): at most a cluster's room and a group's
room in a batch, queue order otherwise, and the HA partners of the batch before kept for the
batch after while other hosts can fill this one. This file is the bookkeeping that makes a
batch cost what it reads, not the whole queue.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter, deque
from operator import itemgetter


class Stream:
    """The waiting hosts of one group (by their places in the queue): those set aside first, then the unread ones."""

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


class Filled:
    """One batch as ``Batcher.fill`` made it: its places, its size, the groups it filled, the clusters it spaced."""

    __slots__ = ("places", "size", "full", "spaced")

    def __init__(self, places, size, full, spaced):
        self.places = places  # in queue order
        self.size = size      # what it was to hold
        self.full = full      # the budgeted groups whose room it used up
        self.spaced = spaced  # the clusters it took only when nothing else was left (the batch before had a member)


class Batcher:
    """The waiting hosts of ``queue`` (``(name, cluster[, group])``) and the batch before: fills batch after batch.

    The waiting hosts stand in one ``Stream`` per budgeted group (and one for the rest), merged
    by their place in ``queue``; without budgets the queue is read in place. For the spacing rule,
    ``members`` counts each cluster's members in ``queue`` (counted here unless the caller keeps
    that count; None without spacing) and ``taken`` those batched.
    """

    def __init__(self, queue, cluster_room, group_room, space_partners, members=None):
        self.queue = queue
        self.cluster_room = cluster_room
        self.group_room = group_room
        if group_room:
            positions = {}
            for position, item in enumerate(queue):
                key = item[2] if len(item) > 2 and item[2] in group_room else None
                positions.setdefault(key, []).append(position)
            self.streams = dict((key, Stream(found)) for key, found in positions.items())
        else:
            self.streams = {None: Stream(range(len(queue)))}
        self.members, self.taken = None, {}
        if space_partners:
            self.members = members if members is not None else Counter(map(itemgetter(1), queue))
        # The clusters of the last ``space_partners`` batches (True is one): their partners wait while others fill.
        self.recent = deque(maxlen=max(1, int(space_partners)))
        self.spaced = frozenset()
        self.kept_apart = False  # whether spacing ever set a member aside: else the batches are those without it

    def room(self, cluster):
        return self.cluster_room.get(cluster, 1)

    def fill(self, size):
        """The next batch of up to ``size`` hosts (a ``Filled``); the hosts it does not take keep their places."""
        queue, streams, spaced = self.queue, self.streams, self.spaced
        heads = [(stream.head(), key) for key, stream in streams.items() if stream.head() is not None]
        heapq.heapify(heads)
        batch, aside, per_cluster, per_group, full = [], {}, {}, {}, set()
        while heads and len(batch) < size:
            _place, key = heapq.heappop(heads)
            stream = streams[key]
            place = stream.pop()
            cluster = queue[place][1]
            if cluster is not None and (cluster in spaced or per_cluster.get(cluster, 0) >= self.room(cluster)):
                aside.setdefault(key, []).append(place)
                self.kept_apart = self.kept_apart or cluster in spaced
            elif self._put(place, key, batch, per_cluster, per_group, full):
                continue  # its group is full: the rest of that group is not read in this batch
            following = stream.head()
            if following is not None:
                heapq.heappush(heads, (following, key))
        if spaced and len(batch) < size:
            batch = self._fill_with_spaced(batch, size, aside, per_cluster, per_group, full)
        for key, places in aside.items():
            streams[key].passed.extendleft(reversed(places))
        self._after(batch)
        return Filled(batch, size, full, spaced)

    def _put(self, place, key, batch, per_cluster, per_group, full):
        """Put ``place`` in ``batch``; True when that used up its group's room."""
        batch.append(place)
        cluster = self.queue[place][1]
        if cluster is not None:
            per_cluster[cluster] = per_cluster.get(cluster, 0) + 1
        if key is None:
            return False
        per_group[key] = per_group.get(key, 0) + 1
        if per_group[key] >= self.group_room[key]:
            full.add(key)
            return True
        return False

    def _fill_with_spaced(self, batch, size, aside, per_cluster, per_group, full):
        """Nothing else is left to read: the spaced members set aside fill the batch, in queue order, within the rooms."""
        queue, extra = self.queue, []
        for place, key in heapq.merge(*([(place, key) for place in places] for key, places in aside.items())):
            if len(batch) + len(extra) >= size:
                break
            cluster = queue[place][1]
            if cluster in self.spaced and key not in full and per_cluster.get(cluster, 0) < self.room(cluster):
                self._put(place, key, extra, per_cluster, per_group, full)
        if not extra:
            return batch
        chosen = set(extra)
        for key in list(aside):
            aside[key] = [place for place in aside[key] if place not in chosen]
        return list(heapq.merge(batch, extra))

    def _after(self, batch):
        """Count the batch's members out; the clusters it had that the next batch keeps for later when it can.

        A cluster is spaced only while its members left fit one batch (at most its room): one with
        more keeps going batch after batch, as spacing it would stretch it over more batches.
        """
        if self.members is None:
            return
        taken, clusters = self.taken, set()
        for place in batch:
            cluster = self.queue[place][1]
            if cluster is not None:
                taken[cluster] = taken.get(cluster, 0) + 1
                clusters.add(cluster)
        self.recent.append(clusters)
        self.spaced = frozenset(cluster for clusters in self.recent for cluster in clusters
                                if 0 < self.members.get(cluster, 0) - taken[cluster] <= self.room(cluster))

    def held(self, filled):
        """``{name: group}`` of the hosts the full groups' budgets kept out of ``filled``: those the batch would have
        taken without the group budgets. That batch is walked over this one and the full groups' waiting hosts as
        ``fill`` takes them: in queue order, within each cluster's room, the spaced clusters' members last."""
        if not filled.full:
            return {}
        queue, chosen, spaced, per_cluster = self.queue, [], [], {}
        waiting = heapq.merge(*(self.streams[key].waiting() for key in sorted(filled.full)))
        candidates = heapq.merge(((place, False) for place in filled.places), ((place, True) for place in waiting))

        def take(place, kept):
            cluster = queue[place][1]
            if cluster is not None:
                if per_cluster.get(cluster, 0) >= self.room(cluster):
                    return
                per_cluster[cluster] = per_cluster.get(cluster, 0) + 1
            chosen.append((place, kept))

        for place, kept in candidates:
            if len(chosen) >= filled.size:
                break
            if queue[place][1] in filled.spaced:
                spaced.append((place, kept))
            else:
                take(place, kept)
        for place, kept in spaced:
            if len(chosen) >= filled.size:
                break
            take(place, kept)
        return dict((queue[place][0], queue[place][2]) for place, kept in chosen if kept)
