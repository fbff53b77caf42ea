# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The run model: one rollout's plan, what became of each target, the batches' log and the stop. Pure Python.

Every part of the engine reads and writes a run through these classes; nothing else builds a
host result or a batch entry. Each class names its fields once, with their defaults, and
``to_dict`` / ``from_dict`` follow the fields: adding a field to a host result is one line in
``HostResult``.

Every target has its ``HostResult`` from the plan on; ``state`` None means not settled yet,
and a run ends with every target in one of ``rules.FINAL_STATES``.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Optional

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rules
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError

RESUME = "resume"
# What the plan's computers keep of their own when a newer SEPM record is read.
PLANNED_KEYS = ("name", "home", "cluster", "method", "inventory_host")


def iso(moment):
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="seconds") if moment else None


def from_iso(text):
    return datetime.datetime.fromisoformat(text) if text else None


class _Record:
    """``to_dict`` / ``from_dict`` over a dataclass's fields; unknown keys from an older run file are ignored."""

    def to_dict(self):
        return {name: getattr(self, name) for name in self.field_names()}

    @classmethod
    def from_dict(cls, data):
        return cls(**{name: data[name] for name in cls.field_names() if name in data})

    @classmethod
    def field_names(cls):
        """The fields in their declared order (the order a positional call takes them)."""
        names = cls.__dict__.get("_field_names")
        if names is None:
            names = tuple(item.name for item in dataclasses.fields(cls))
            setattr(cls, "_field_names", names)
        return names


@dataclasses.dataclass
class HostResult(_Record):
    """What became of one target: its state and why, its batch and method, its versions, its step times, and the
    health checks it failed after the patch."""

    state: Optional[str] = None
    reason: str = ""
    batch: Optional[str] = None
    method: str = "liveupdate"
    version_before: Optional[str] = None
    version_after: Optional[str] = None
    steps: dict = dataclasses.field(default_factory=dict)
    health: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class PlannedBatch(_Record):
    """A batch of the plan: its label (a number from 1, or ``resume``), its delivery method and its computers.

    ``held_back``: ``{name: why}`` of the hosts a group budget kept out of it (they wait for a later batch).
    """

    label: str
    method: str
    hosts: list
    held_back: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class BatchEntry(_Record):
    """A batch's line in the run's log.

    ``started`` is None for a batch that never ran: a stop before it (``not_run`` says which),
    or a window that held it back (``gated``). ``preview`` is check mode's account of what it
    would do; ``held_back`` says whom a group budget kept out of it for a later batch.
    """

    batch: str
    method: str
    hosts: list
    started: Optional[str] = None
    finished: Optional[str] = None
    gated: bool = False
    not_run: str = ""
    steps: dict = dataclasses.field(default_factory=dict)
    failed: int = 0
    deferred: int = 0
    preview: Optional[dict] = None
    held_back: dict = dataclasses.field(default_factory=dict)

    @property
    def ran(self):
        return self.started is not None

    def to_dict(self):
        data = super().to_dict()
        data["ran"] = self.ran
        return data


class Run:
    """One rollout from its plan to its report (``planning.plan_run`` makes it, ``store`` keeps it between tasks)."""

    def __init__(self, options, sepm_version, started, computers, clusters, plan, results, cluster_room=None):
        self.options = options
        self.sepm_version = sepm_version
        self.started = started
        self.finished = started
        self.computers = computers
        self.clusters = clusters
        self.plan = plan
        self.results = results
        self.cluster_room = cluster_room or {}
        self.log = []
        self.stop = None
        self.error = ""
        self.pipeline = None
        self.package_batch = None
        self.staging = {}
        self.locations = {}
        self.forecast = {}
        self.forecast_planned = {}
        self.forecast_history = {}
        self.journal = ""
        self.group_room = {}
        self.download_room = {}
        self.patch_arrived_ms = None
        self.soak = None
        self.heartbeats = {}
        self._by_label = {batch.label: batch for batch in plan}

    # -- the plan ---------------------------------------------------------------------------

    @property
    def target(self):
        return self.options["target_version"]

    @property
    def labels(self):
        return [batch.label for batch in self.plan]

    @property
    def batch_count(self):
        """How many numbered batches the plan has (``resume`` is not one of them): 'batch 3 of 8'."""
        return sum(1 for batch in self.plan if batch.label != RESUME)

    def batch(self, label):
        batch = self._by_label.get(str(label))
        if batch is None:
            raise SepmInputError("batch %r is not a batch of this rollout (%s)" % (label, ", ".join(self.labels) or "none"))
        return batch

    def next_label(self, label):
        labels = self.labels
        position = labels.index(str(label)) + 1
        return labels[position] if position < len(labels) else None

    @property
    def resume(self):
        return list(self._by_label[RESUME].hosts) if RESUME in self._by_label else []

    # -- what became of the targets --------------------------------------------------------

    def pending(self, names):
        """The names not settled yet, in order."""
        return [name for name in names if self.results[name].state is None]

    def settle(self, name, state, reason="", batch=None, version_after=None):
        """Settle a target once: a settled one keeps its state. True when this call settled it."""
        result = self.results[name]
        if result.state is not None:
            return False
        result.state = state
        result.reason = reason
        if batch is not None:
            result.batch = batch
        computer = self.computers.get(name) or {}
        result.version_after = version_after or computer.get("agent_version") or result.version_after
        return True

    def fail(self, name, reason, batch=None):
        """Fail a target whatever it reached before (a computer left in a staging group keeps the patch permission)."""
        result = self.results[name]
        result.state, result.reason = "failed", reason
        if batch is not None:
            result.batch = batch

    def add_reason(self, name, reason):
        result = self.results[name]
        result.reason = "%s; %s" % (result.reason, reason) if result.reason else reason

    def mark(self, names, step, moment):
        for name in names:
            self.results[name].steps[step] = moment

    def settle_stopped(self, names, stop, batch):
        """A stop keeps these from starting: the ones not settled take the stop's state and reason."""
        return [name for name in names if self.settle(name, stop.state, stop.reason, batch)]

    def states(self):
        return {name: result.state for name, result in self.results.items()}

    def count(self, state, names=None):
        return rules.count_state(self.states(), state, names)

    def totals(self):
        return rules.totals(self.states())

    def held_by_failed_partner(self, names):
        return rules.held_by_failed_partner(names, self.states(), self.clusters)

    def update_computer(self, name, record):
        """A newer SEPM record of a planned computer: the fields the run keeps of it (``planning.lean``), no more.

        What the plan decided (home, cluster, method) stays; the record's other fields stay out, so the run's
        file keeps its size from task to task.
        """
        computer = self.computers[name]
        computer.update({key: record[key] for key in computer.keys() & record.keys() if key not in PLANNED_KEYS})

    # -- the stop and the log ----------------------------------------------------------------

    def decide_stop(self, names, window_closed):
        """The stop after a batch of ``names`` (``rules.decide_stop``); a stop once decided stays."""
        if self.stop is None:
            self.stop = rules.decide_stop(self.states(), names, window_closed, self.options["failure_budget"],
                                          self.options["max_fail_percentage"])
        return self.stop

    @property
    def run_failed(self):
        return bool(self.error) or (self.stop is not None and self.stop.fails_run)

    def log_batch(self, entry):
        entry.failed = self.count("failed", entry.hosts)
        entry.deferred = self.count("deferred", entry.hosts)
        self.log.append(entry)
        self.finished = max(filter(None, (self.finished, entry.finished, entry.started, self.started)))
        return entry

    def settle_unreached(self, reason):
        """At the end of a run that failed on an error: every target not settled is skipped, with the error."""
        for name, result in self.results.items():
            if result.state is None:
                self.settle(name, "skipped", reason)

    # -- carried between tasks --------------------------------------------------------------

    _PLAIN = ("options", "sepm_version", "started", "finished", "computers", "clusters", "cluster_room", "error", "pipeline",
              "package_batch", "staging", "locations", "forecast", "forecast_planned", "forecast_history", "journal", "group_room",
              "download_room", "patch_arrived_ms", "soak", "heartbeats")

    def to_dict(self, results=True):
        """The run as plain data; without ``results`` for ``store``, which writes them from the objects as columns."""
        data = {name: getattr(self, name) for name in self._PLAIN}
        data.update(plan=[batch.to_dict() for batch in self.plan],
                    log=[entry.to_dict() for entry in self.log],
                    stop=self.stop.to_dict() if self.stop else None)
        if results:
            data["results"] = {name: result.to_dict() for name, result in self.results.items()}
        return data

    @classmethod
    def from_dict(cls, data):
        """A run from ``to_dict``'s data; its results may already be ``HostResult`` objects (``store.load``)."""
        results = {name: result if isinstance(result, HostResult) else HostResult.from_dict(result)
                   for name, result in data["results"].items()}
        run = cls(data["options"], data["sepm_version"], data["started"], data["computers"], data["clusters"],
                  [PlannedBatch.from_dict(batch) for batch in data["plan"]], results)
        for name in cls._PLAIN:
            if name in data:
                setattr(run, name, data[name])
        run.log = [BatchEntry.from_dict(entry) for entry in data.get("log") or []]
        run.stop = rules.Stop.from_dict(data.get("stop"))
        return run
