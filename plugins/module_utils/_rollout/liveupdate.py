# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The liveupdate method: a batch takes the patch through a staging group and LiveUpdate, the SEPM restarts it.

A batch is a ``Track`` through the steps

  stage -> policy -> deliver -> (delivered) -> restart -> verify -> return

**Pipelining.** Once batch k's patch is on its way, batch k+1 is staged and its patch delivered, so it
is ready when batch k has restarted; it is never restarted early: a pre-staged track stops at
``delivered`` and is carried in the run's ``pipeline`` to the next batch's task, which restarts it.
When the run stops instead, the pre-staged batch goes home at once and its computers are ``deferred``
with "patch delivered, restart pending" (or "staged, not patched"); the next run takes them like any
other computer. A killed controller leaves them in their staging groups, where the next run finds
and finishes them (the ``resume`` batch).

**Polling.** One loop (``Driver.poll``) serves every wait of a task: each poll reads the staging groups
(one request each) only when a wait needs computer records, and a command's status (one paged request
per command id) while its computers run it.
"""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.driver import Driver
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.staging import Staging
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.track import Track
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.plan import may_download
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.waiter import at_target, back_at_target, patch_arrived, policy_applied


class LiveUpdate(Driver):
    """Runs the liveupdate batches of a run, one task each, pre-staging the next while one restarts."""

    method = "liveupdate"

    def __init__(self, client, run, **kwargs):
        super().__init__(client, run, **kwargs)
        self.staging = Staging(client, run, self)

    def condition(self, name):
        target = self.target
        if name == "policy":
            return lambda computer: policy_applied(computer, self.staging.serial_for(computer))
        if name == "delivery":
            return lambda computer: patch_arrived(computer, target)
        return lambda computer: back_at_target(computer, target)

    def command(self, command, names, body=None):
        """Send one command to ``names``; the SEPM's command ids (several when the ids do not fit one request)."""
        self.changed = True
        sent = self.client.send_command(command, computer_ids=[self.run.computers[name]["id"] for name in names], body=body)
        return list(sent.get("computers") or [])

    # -- a batch ----------------------------------------------------------------------------

    def run_batch(self, label):
        """Run one batch (and pre-stage the next); returns its log entry."""
        run = self.run
        pipeline, run.pipeline = run.pipeline, None
        ahead = Track.from_dict(self, pipeline) if pipeline and pipeline["label"] == str(label) else None
        if ahead is not None and run.stop is not None:
            self._abandon(ahead, run.stop.reason)
            ahead = None
        entry, pending = self.open_batch(label)
        if pending is None:
            return self.finish(entry, window_closed=False)
        # What went ahead continues from its delivery; the rest of the batch (partners held back from going ahead) starts now.
        rest = [name for name in pending if ahead is None or name not in ahead.names]
        leads = ([ahead] if ahead is not None else []) + ([Track(self, entry.batch, rest)] if rest else [])
        for track in leads:
            if track is ahead:
                for home in sorted({run.computers[name]["home"] for name in track.names}):
                    self.staging.group(home)
        window_closed = False
        if leads:
            needed = self.options["cutoff"] if any(track.phase == "new" for track in leads) else self.options["restart_timeout"]
            allowed, why = self.window_allows(needed)
            if self.check_mode:
                return self._preview(entry, Track(self, entry.batch, pending), allowed, why)
            if not allowed:
                entry.gated, entry.not_run, window_closed = True, why, True
                for track in leads:
                    self._gate_closed(track, why)
                    entry.steps.update(track.steps)
            else:
                try:
                    window_closed = self._drive(leads)
                except Exception as exc:
                    self.rescue(leads + ([Track.from_dict(self, run.pipeline)] if run.pipeline else []), exc)
                    raise
                entry.started = min(track.started for track in leads)
                entry.finished = max(track.finished for track in leads)
                for track in leads:
                    for step, moment in track.steps.items():
                        entry.steps[step] = min(entry.steps.get(step, moment), moment)
        self.finish(entry, window_closed)
        if run.stop is not None and run.pipeline:
            self._abandon(Track.from_dict(self, run.pipeline), run.stop.reason)
            run.pipeline = None
        return entry

    def _drive(self, leads):
        """The batch to the end, and the next batch up to its delivery while this one restarts."""
        for track in leads:
            if track.phase == "new":
                track.start()
        next_label = self.run.next_label(leads[0].label)
        ahead = {"track": None, "decided": next_label is None}

        def advance():
            # The next batch starts once this one's patch is on its way: its policy pickup and LiveUpdate then
            # overlap this batch's LiveUpdate and restart, and it is delivered, never restarted, by then.
            if not ahead["decided"] and all(track.phase not in ("new", "policy") for track in leads):
                ahead["track"], ahead["decided"] = self._prestage(next_label, leads)
                if ahead["track"] is not None:
                    ahead["track"].start()
            live = [track for track in leads + [ahead["track"]] if track is not None and not track.idle]
            snapshot = self.staging.read(name for track in live for name in track.names) \
                if any(track.wants_snapshot for track in live) else None
            moved = False
            for track in live:
                moved = track.step(snapshot) or moved
            return moved, all(track.idle for track in leads)

        try:
            self.poll(advance)
        finally:
            self.run.pipeline = ahead["track"].to_dict() if ahead["track"] is not None else None
        return any(track.window_closed for track in leads)

    def _prestage(self, label, leads):
        """The next batch's part that may go ahead while this one restarts; (track or None, whether that is decided).

        Only computers no rule may yet protect go ahead (``Driver.ahead``), only while the download budget of
        their groups has room beside what still downloads (asked again at the next reading when it has not),
        and only when the whole cutoff fits in the window.
        """
        run = self.run
        batch = run.batch(label)
        if batch.method != self.method:
            return None, True  # a package batch runs host by host in its own task, never ahead
        names = run.pending(batch.hosts)
        held = self.held(names)
        names, _kept = self.ahead([name for name in names if name not in held], [name for track in leads for name in track.active()])
        if not names:
            return None, True
        downloading = [name for track in leads if track.phase in ("deliver", "deliver_check") and track.wait
                       for name in track.wait.waiting]
        fits, _why = may_download(names, downloading, {name: run.computers[name]["home"] for name in names + downloading},
                                  run.download_room)
        if not fits:
            return None, False
        if not self.window_allows(self.options["cutoff"])[0]:
            return None, True
        return Track(self, batch.label, names, prestage=True), True

    def abandon_pipeline(self, pipeline, why):
        """The run stopped between two batch tasks: the batch that went ahead goes home unrestarted."""
        self._abandon(Track.from_dict(self, pipeline), why)

    def _gate_closed(self, track, why):
        """The window holds the batch back: nothing starts; what a run staged earlier goes home."""
        computers = self.run.computers
        staged = [name for name in track.names if computers[name]["group"] != computers[name]["home"]]
        if track.phase == "new" and not staged:
            track.settle(track.active(), "deferred", why)
            return
        self._abandon(track, why)

    def _abandon(self, track, why):
        for home in {self.run.computers[name]["home"] for name in track.names}:
            self.staging.group(home)
        track.prestage = True
        track.abandon(self.staging.read(track.names), why)

    def _preview(self, entry, track, allowed, why):
        computers = self.run.computers
        would = [name for name in track.active()
                 if not at_target(computers[name], self.target) or computers[name].get("reboot_required")]
        compliant = [name for name in track.active() if name not in would]
        self.say("batch %s of %d (check mode): %s" % (
            entry.batch, self.run.batch_count, "would patch %d, %d already at %s" % (len(would), len(compliant), self.target)
            if allowed else "held back - %s" % why))
        return self.preview(entry, would, allowed, why, compliant=compliant)

    def rescue(self, tracks, error):
        """An error in the middle of a batch: its staged computers go home, or the run says exactly which are left staged.

        Nothing of these batches restarts after the error; the ones sent home are deferred (a delivered patch
        installs at their next restart, whoever restarts it), the ones the SEPM kept staged are named so, and
        the next run finishes them (it finds them in their staging groups).
        """
        why = "the run failed on an error: %s" % _one_line(error)
        self.run.error = self.run.error or _one_line(error)
        self.run.pipeline = None
        for track in tracks:
            try:
                self._abandon(track, why)
            except Exception:  # pylint: disable=broad-except
                # The SEPM cannot take the computers back now: name the ones left staged, which the next run finishes.
                computers = self.run.computers
                for name in track.names:
                    if self.staging.is_staged(computers[name]):
                        self.run.fail(name, "left in its staging group after an error: the next run finishes it (%s)" % why,
                                      track.label)
                    else:
                        self.run.settle(name, "deferred", why, track.label)


def _one_line(error):
    return " ".join(str(error).split())[:300] or type(error).__name__
