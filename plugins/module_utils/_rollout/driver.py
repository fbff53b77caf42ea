# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every delivery method shares: the run's clock, the gate, the holds and the budget, the progress
lines, check mode's preview, the one poll loop, and the end of a batch (its stop decision and log entry).

A method (``liveupdate.LiveUpdate``, ``package.PackageBatch``) is a ``Driver`` that adds only its own
steps; every decision about who goes, who is held back and when the run stops is taken here or in
``rules.py``, so both methods obey the same rules.
"""

from __future__ import annotations

import datetime
import time

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import health, rules, soak
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.forecasting import after_batch
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.model import RESUME, BatchEntry, iso
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import normalize_computer
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import is_open, parse_windows, time_left

PENDING_RESTART = "patch delivered, restart pending"
# What a computer's health is judged by, from its record before the batch.
HEALTH_KEYS = ("online", "last_update_time", "ap_on_off", "av_engine_on_off", "firewall_on_off", "tamper_on_off", "infected",
               "worst_infection_idx", "av_defset_version", "reboot_required", "agent_version")


def duration(seconds):
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return "%dh%02dm" % (hours, rest // 60) if hours else "%dm%02ds" % divmod(rest, 60)


def epoch_ms(moment):
    return int(moment.timestamp() * 1000)


class HealthWatch:
    """The health checks of computers back at the target, until each is healthy or unhealthy (``health.verdict``).

    ``before``: each computer's record from before its batch; ``restarted_ms``: when its restart went
    out; ``came_back``: the check-in of the first reading that showed each watched computer back.
    Both methods use it, so a computer is judged the same way whichever way it took the patch.
    """

    def __init__(self, before, restarted_ms, came_back=None, done=()):
        self.before = before
        self.restarted_ms = restarted_ms
        self.came_back = dict(came_back or {})
        self.done = set(done)

    def to_dict(self):
        return {"before": self.before, "restarted_ms": self.restarted_ms, "came_back": self.came_back, "done": sorted(self.done)}

    @classmethod
    def from_dict(cls, data):
        return cls(data["before"], data["restarted_ms"], data.get("came_back"), data.get("done") or ())

    def watch(self, name, record):
        """``name`` is back at the target in ``record``: its checks start now."""
        self.came_back[name] = (record or {}).get("last_update_time")

    def forget(self, names):
        """Stop watching ``names`` (settled otherwise: a computer seen back that then did not stay back)."""
        for name in names:
            self.came_back.pop(name, None)

    def waiting(self):
        return [name for name in self.came_back if name not in self.done]

    def update(self, readings, now_ms, checks, settle_of):
        """``{name: Verdict}`` of the watched computers these readings settle (healthy or unhealthy); the rest wait."""
        settled = {}
        for name in self.waiting():
            found = health.verdict(self.before.get(name), readings.get(name), health.Timing(self.restarted_ms, self.came_back[name]),
                                   now_ms, checks, settle_of(name))
            if found.state != "waiting":
                settled[name] = found
                self.done.add(name)
        return settled


class Clock:
    """``now()`` on the SEPM's clock (the Date of its latest reply) or on the controller's."""

    def __init__(self, client, source="sepm"):
        self._client = client
        self._source = source

    def now(self, refresh=False):
        if self._source == "controller":
            return datetime.datetime.now(datetime.timezone.utc)
        return self._client.server_time(refresh=refresh)


class Driver:
    """The shared part of a delivery method, over one ``model.Run``."""

    method = None

    def __init__(self, client, run, clock=None, sleep=time.sleep, say=None, check_mode=False):
        self.client = client
        self.run = run
        self.options = run.options
        self.target = run.target
        self.windows = parse_windows(self.options["windows"]) if self.options["windows"] else []
        self.clock = clock or Clock(client, self.options["clock"])
        self.sleep = sleep
        self._say = say or (lambda line: None)
        self._last_said = {}
        self.check_mode = check_mode
        self.changed = False

    # -- time and the window ----------------------------------------------------------------

    def now(self, refresh=False):
        return self.clock.now(refresh=refresh)

    def window_allows(self, needed_seconds):
        """(allowed, reason): the window is open with at least ``needed_seconds`` left, or there is none."""
        if not self.windows:
            return True, ""
        now = self.now(refresh=True)
        if not is_open(self.windows, now):
            return False, rules.WINDOW_CLOSED
        left = time_left(self.windows, now).total_seconds()
        if left < needed_seconds:
            return False, "%s: it closes in %dm, less than the %dm this step may take" % (
                rules.WINDOW_CLOSED, left // 60, needed_seconds // 60)
        return True, ""

    # -- who goes -----------------------------------------------------------------------------

    def held(self, names):
        """``{name: reason}``: members of a cluster another member of which failed in this run."""
        return self.run.held_by_failed_partner(names)

    def budget_exceeded(self):
        return self.run.count("failed") > self.options["failure_budget"]

    def partners(self, name):
        cluster = self.run.clusters.get(name)
        if not cluster:
            return []
        return sorted(other for other, value in self.run.clusters.items() if value == cluster and other != name)

    def open_batch(self, label):
        """A batch's entry and the names still to patch; None instead of the names when a stop keeps it from running.

        After a stop the batch never runs: its computers take the stop's state and its entry says why.
        Members of a cluster whose other member failed are held back (``skipped``).
        """
        run = self.run
        batch = run.batch(label)
        entry = BatchEntry(batch=batch.label, method=batch.method, hosts=list(batch.hosts), held_back=dict(batch.held_back))
        if run.stop is not None:
            run.settle_stopped(batch.hosts, run.stop, batch.label)
            entry.not_run = run.stop.reason
            return entry, None
        if self.soak_holds(batch):
            run.settle_stopped(batch.hosts, run.stop, batch.label)
            entry.not_run, entry.gated = run.stop.reason, True
            self.say("batch %s of %d: held back - %s" % (batch.label, run.batch_count, run.stop.reason))
            return entry, None
        return entry, self.hold_back_partners(batch)

    def hold_back_partners(self, batch):
        """Members of ``batch`` whose cluster partner failed are settled ``skipped``; returns the names still to patch."""
        run = self.run
        for name, reason in self.held(run.pending(batch.hosts)).items():
            run.settle(name, "skipped", reason, batch.label)
        return run.pending(batch.hosts)

    # -- the quality gates --------------------------------------------------------------------------

    def soak_holds(self, batch):
        """Before a batch: the soak (``soak.decide``) from the SEPM's records of every target; True when it stops the run.

        A soak not over yet stops the run as a closed window does (the rest deferred, "soaking until <time>");
        a soaked computer that turned unhealthy stops it as a failure. Once a batch past the soak may go, the
        soak is over for the rest of this run.
        """
        run, options = self.run, self.options
        if not options.get("soak") or batch.label == RESUME or (run.soak or {}).get("over"):
            return False
        number = int(batch.label)
        records = self.target_records()
        decision = soak.decide(options["soak"], list(records.values()), self.target, options["serial"], number,
                               epoch_ms(self.now(refresh=True)), run.patch_arrived_ms, options["health_checks"],
                               self.settle_seconds(None))
        cohort = soak.cohort_size(options["soak"], options["serial"], len(records))
        # The soak is over once its computers are all at the target and passed it: the rest of the run goes on.
        run.soak = dict(decision.to_dict(), batch=batch.label,
                        over=decision.state == soak.GO and len(decision.soaked) >= cohort and not decision.reason.startswith("patching"))
        if decision.state == soak.GO:
            return False
        run.stop = rules.Stop(decision.reason, "deferred" if decision.state == soak.SOAKING else "skipped")
        return True

    def target_records(self):
        """Every target's current SEPM record (one bulk listing), by its name in the run."""
        wanted = {name.lower(): name for name in self.run.computers}
        found = {}
        for record in self.client.computers():
            computer = normalize_computer(record)
            name = wanted.get((computer["name"] or "").lower())
            if name is not None:
                found[name] = computer
        return found

    def health_before(self, names):
        """Each computer's record from before its batch, as the health checks compare it after the patch."""
        return {name: {key: self.run.computers[name].get(key) for key in HEALTH_KEYS} for name in names}

    def heartbeat_s(self, group_id):
        """The heartbeat of a group's clients (its default location's communication settings), read once a run."""
        if not group_id:
            return health.DEFAULT_HEARTBEAT_S
        known = self.run.heartbeats
        if group_id not in known:
            locations = self.run.locations.get(group_id)
            if locations is None:
                locations = self.run.locations[group_id] = self.client.group_locations(group_id)
            location = next((loc for loc in locations if (loc["name"] or "").lower() == "default"), locations[0] if locations else None)
            known[group_id] = health.heartbeat_seconds(self.client.location_settings(group_id, location["id"])) \
                if location else health.DEFAULT_HEARTBEAT_S
        return known[group_id]

    def settle_seconds(self, name):
        """How long a computer's checks may take to pass after it came back (``health_settle``, in its group's heartbeats)."""
        group_id = self.run.computers[name].get("group_id") if name else None
        return health.settle_seconds(self.options["health_settle"], self.heartbeat_s(group_id))

    def judge_health(self, watch, readings, label, read_at):
        """Settle what the readings tell of the watched computers: healthy ones patched, unhealthy ones failed.

        ``read_at``: when the readings were taken (the SEPM's clock then), not now: a reading is judged by its own
        time, or a slow reply after it would make a computer look silent.
        """
        settled = watch.update(readings, epoch_ms(read_at), self.options["health_checks"], self.settle_seconds)
        moment = iso(self.now())
        for name, verdict in settled.items():
            if verdict.state == "healthy":
                self.run.settle(name, "patched", "", label)
                self.run.mark([name], "healthy", moment)
            else:
                self.run.settle(name, "failed", verdict.reason, label)
                self.run.results[name].health = list(verdict.failed)
        return settled

    def ahead(self, next_names, in_flight):
        """The names of the next batch that may take the patch ahead now, and why the others may not (``rules.deliver_ahead``)."""
        if not self.options["deliver_ahead"]:
            return [], {}
        if self.options.get("soak") and not (self.run.soak or {}).get("over"):
            return [], {}  # the soak may hold the next batch: nothing goes ahead of its decision
        return rules.deliver_ahead(next_names, in_flight, self.run.states(), self.run.clusters)

    # -- saying what happens --------------------------------------------------------------------

    def progress(self, label, message, names, quiet=False):
        """One progress line: batch, step, counts, time left in the window; ``quiet`` drops a repeat of the last line."""
        states = [self.run.results[name].state for name in names]
        done = sum(1 for state in states if state in ("patched", "compliant"))
        failed = states.count("failed")
        waiting = states.count(None)
        key = (message, done, failed, waiting)
        if quiet and self._last_said.get(label) == key:
            return
        self._last_said[label] = key
        left = ""
        if self.windows:
            left = ", window %s left" % duration(time_left(self.windows, self.now()).total_seconds())
        line = "batch %s of %d%s: %s - %d done, %d failed, %d waiting%s" % (
            label, self.run.batch_count, " (package)" if self.method == "package" else "", message, done, failed, waiting, left)
        retries = getattr(self.client, "take_retry_summary", lambda: "")()
        self._say(line + ("; " + retries if retries else ""))

    def say(self, line):
        self._say(line)

    # -- check mode -----------------------------------------------------------------------------

    def preview(self, entry, would, allowed, why, **more):
        """Check mode: the real gate and preflight, nothing written; the entry says what the batch would do."""
        entry.started = entry.finished = iso(self.now())
        entry.preview = dict({"would_patch": list(would) if allowed else [], "deferred": [] if allowed else list(would),
                              "reason": why}, **more)
        self.changed = self.changed or (bool(would) and allowed)
        return self.run.log_batch(entry)

    # -- waiting --------------------------------------------------------------------------------

    def poll(self, advance):
        """The one wait loop: ``advance()`` reads the SEPM once and moves on what it can, returning (moved, finished).

        Readings start ``poll_interval`` apart (a slow reading takes its time out of the wait, so at 20,000
        computers the cadence is still the one asked for), except right after one that moved something on.
        """
        while True:
            began = time.monotonic()
            moved, finished = advance()
            if finished:
                return
            if not moved:
                self.sleep(max(0.0, self.options["poll_interval"] - (time.monotonic() - began)))

    # -- the end of a batch -----------------------------------------------------------------------

    def finish(self, entry, window_closed):
        """The batch's stop decision, its log entry, and (when it ran) the forecast of what is left."""
        run = self.run
        if entry.ran:
            entry.finished = entry.finished or iso(self.now())
        elif not (entry.not_run or entry.gated):
            entry.not_run = "nothing left to patch in it"
        stop = run.decide_stop(entry.hosts, window_closed)
        run.log_batch(entry)
        # A batch the window held back moves the forecast too (to the next window); one a stop kept from running does not.
        if (entry.ran or entry.gated) and not self.check_mode and not run.run_failed:
            line = after_batch(run, entry.batch, self.now(), window_stop=stop is not None)
            if line:
                self.say(line)
        return entry
