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

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rules
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.forecasting import after_batch
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.model import BatchEntry, iso
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import is_open, parse_windows, time_left

PENDING_RESTART = "patch delivered, restart pending"


def duration(seconds):
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return "%dh%02dm" % (hours, rest // 60) if hours else "%dm%02ds" % divmod(rest, 60)


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
        entry = BatchEntry(batch=batch.label, method=batch.method, hosts=list(batch.hosts))
        if run.stop is not None:
            run.settle_stopped(batch.hosts, run.stop, batch.label)
            entry.not_run = run.stop.reason
            return entry, None
        for name, reason in self.held(run.pending(batch.hosts)).items():
            run.settle(name, "skipped", reason, batch.label)
        return entry, run.pending(batch.hosts)

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

        Readings are ``poll_interval`` apart, except right after one that moved something on.
        """
        while True:
            moved, finished = advance()
            if finished:
                return
            if not moved:
                self.sleep(self.options["poll_interval"])

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
