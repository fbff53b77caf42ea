# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rules of a rollout that decide, in one place. Pure Python, no Ansible or HTTP import.

Every delivery method (liveupdate, package) reports what became of its computers and
leaves these decisions here:

* which computers a run targets and which HA cluster each belongs to (``resolve_targets``);
* who is held back from a batch because a member of its cluster failed earlier in the run
  (``held_by_failed_partner``);
* when the run stops (``decide_stop``): the failure budget and the batch percentage stop it
  when they are **exceeded** (more than the limit), not when reached; a closed window stops
  it only when the window itself held a batch or a restart back; failures win over the
  window, because a run that failed too often must not end as a success;
* the totals.

The rules read each target's state (``{name: state}``, None while it is not settled); the
run model (``_rollout/model.py``) applies them, and each target ends in exactly one of
``FINAL_STATES``.
"""

from __future__ import annotations

import re

FINAL_STATES = ("patched", "compliant", "failed", "deferred", "skipped")

WINDOW_CLOSED = "maintenance window closed"
BUDGET_EXCEEDED = "failure budget exceeded"
PERCENTAGE_EXCEEDED = "batch failure percentage exceeded"


class Stop:
    """Why a run stops, and what the computers it did not start become.

    ``deferred`` (window) lets the run succeed: the next scheduled run goes on; ``skipped``
    (failures) fails it after the report is written.
    """

    def __init__(self, reason, state):
        self.reason = reason
        self.state = state

    @property
    def fails_run(self):
        return self.state == "skipped"

    def to_dict(self):
        return {"reason": self.reason, "state": self.state}

    @classmethod
    def from_dict(cls, data):
        return cls(data["reason"], data["state"]) if data else None

    def __eq__(self, other):
        return isinstance(other, Stop) and (self.reason, self.state) == (other.reason, other.state)

    def __repr__(self):
        return "Stop(%r, %r)" % (self.reason, self.state)


def resolve_targets(inventory_hosts, group_computer_names, cluster_pattern=None):
    """The SEPM computer names a run targets, in order and once each, and their HA clusters.

    ``inventory_hosts``: ``[{"host", "sepm_name", "cluster"}]`` from an inventory pattern, in
    its order (a canary listed first stays first); ``group_computer_names``: names read from
    SEPM groups. A name is kept once whatever its letter case (the SEPM compares names without
    case). A cluster comes from the host's cluster variable, else from ``cluster_pattern``
    (a regular expression whose first group is the cluster, ``^(.+)-N\\d+$``).
    """
    pattern = re.compile(cluster_pattern) if cluster_pattern else None
    names, clusters, seen = [], {}, set()

    def add(name, cluster=None):
        name = str(name or "").strip()
        if not name or name.lower() in seen:
            return
        seen.add(name.lower())
        names.append(name)
        if cluster:
            clusters[name] = str(cluster)

    for host in inventory_hosts or []:
        add(host.get("sepm_name") or host.get("host"), host.get("cluster"))
    for name in group_computer_names or []:
        add(name)
    if pattern is not None:
        for name in names:
            if name not in clusters:
                cluster = cluster_from_name(name, pattern)
                if cluster:
                    clusters[name] = cluster
    return names, clusters


def cluster_from_name(name, pattern):
    """The HA cluster ``pattern`` (compiled) finds in a computer name: its first group, or the whole match; else None."""
    match = pattern.search(name or "")
    if not match:
        return None
    return match.group(1) if match.groups() else match.group(0)


def held_by_failed_partner(names, states, clusters):
    """``{name: reason}`` for members of a cluster another member of which failed in this run."""
    failed_by_cluster = {}
    for name, state in states.items():
        cluster = clusters.get(name)
        if cluster and state == "failed":
            failed_by_cluster.setdefault(cluster, name)
    held = {}
    for name in names:
        cluster = clusters.get(name)
        partner = failed_by_cluster.get(cluster) if cluster else None
        if partner and partner != name and states.get(name) is None:
            held[name] = "HA partner %s failed: restarting this member could take cluster %s down" % (partner, cluster)
    return held


def count_state(states, state, names=None):
    if names is None:
        return sum(1 for value in states.values() if value == state)
    return sum(1 for name in names if states.get(name) == state)


def decide_stop(states, batch_names, window_closed, failure_budget, max_fail_percentage):
    """The Stop after a batch, or None to go on (see the module docstring for the rules).

    ``window_closed``: the window held the batch, or one of its restarts, back. Computers
    deferred for another reason (``restart: never``) do not stop the run.
    """
    if count_state(states, "failed") > failure_budget:
        return Stop(BUDGET_EXCEEDED, "skipped")
    batch_size = len(batch_names)
    if batch_size and count_state(states, "failed", batch_names) * 100.0 / batch_size > max_fail_percentage:
        return Stop(PERCENTAGE_EXCEEDED, "skipped")
    if window_closed:
        return Stop(WINDOW_CLOSED, "deferred")
    return None


def totals(states):
    """``{"total", <each final state>}``: a target not settled yet counts in the total only."""
    by_state = dict.fromkeys(FINAL_STATES, 0)
    for state in states.values():
        if state in by_state:
            by_state[state] += 1
    return dict(total=len(states), **by_state)


NOT_CLEAN = "a computer of this run failed: the next batch waits until this one is verified"


def deliver_ahead(next_names, in_flight, states, clusters):
    """Which of the next batch may take the patch ahead, while a batch is in flight: (names, {name: why not}).

    A patch delivered ahead installs at that computer's next restart, whoever restarts it, and going
    home does not take it back: delivering ahead is a commitment. So it goes only to computers no rule
    of the run may yet protect: none while any computer of the run has failed (a stop may come; the
    next batch waits until the current one is verified), and never to a cluster partner of a computer
    in flight (``in_flight``: the current batch's computers not settled yet), which may not come back.
    """
    if any(state == "failed" for state in states.values()):
        return [], dict((name, NOT_CLEAN) for name in next_names)
    flying = {}
    for name in in_flight:
        cluster = clusters.get(name)
        if cluster:
            flying.setdefault(cluster, name)
    allowed, held = [], {}
    for name in next_names:
        partner = flying.get(clusters.get(name)) if clusters.get(name) else None
        if partner and partner != name:
            held[name] = "HA partner %s is in flight: it takes the patch only after %s is back" % (partner, partner)
        else:
            allowed.append(name)
    return allowed, held
