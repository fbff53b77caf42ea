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
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.options import hands_off_restarts
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
        """Run one batch (and pre-stage the next ones); returns its log entry."""
        run = self.run
        carried, run.pipeline = self.pipeline_tracks(run.pipeline, str(label)), None
        mine, later = _split(carried, str(label))
        if carried and run.stop is not None:
            self._abandon_all(carried, run.stop.reason)
            mine = later = []
        entry, pending = self.open_batch(label)
        if pending is None:
            return self.finish(entry, window_closed=False)
        # What went ahead continues from its delivery; the rest of the batch (partners held back from going ahead) starts now.
        rest = _outside(pending, mine)
        leads = mine + ([Track(self, entry.batch, rest)] if rest else [])
        window_closed = False
        if leads:
            needed = self.options["cutoff"] if any(track.phase == "new" for track in leads) else self.options["restart_timeout"]
            # A batch whose restart the task before sent (``_hand_off``) is followed to its end: the SEPM restarts it anyway.
            allowed, why = (True, "") if all(track.restart_sent for track in leads) else self.window_allows(needed)
            if self.check_mode:
                return self._preview(entry, Track(self, entry.batch, pending), allowed, why)
            if not allowed:
                entry.gated, entry.not_run, window_closed = True, why, True
                self._carry(later)
                for track in leads:
                    self._gate_closed(track, why)
                    entry.steps.update(track.steps)
            else:
                try:
                    window_closed = self._drive(leads, later)
                except Exception as exc:
                    self.rescue(leads + self.pipeline_tracks(run.pipeline), exc)
                    raise
                entry.started = min(track.started for track in leads)
                entry.finished = max(track.finished for track in leads)
                for track in leads:
                    for step, moment in track.steps.items():
                        entry.steps[step] = min(entry.steps.get(step, moment), moment)
        else:
            self._carry(later)
        self.finish(entry, window_closed)
        if run.stop is not None and run.pipeline:
            self.abandon_pipeline(run.pipeline, run.stop.reason)
            run.pipeline = None
        elif entry.ran and not window_closed and run.pipeline and hands_off_restarts(self.options):
            self._hand_off(entry.batch)
        return entry

    def _hand_off(self, label):
        """Batch ``label`` is done and the run goes on: the next batch's restart goes out now, from this task.

        It is what the next batch's task would do first, under the same rules (the holds of failed partners,
        the window with the whole restart inside it), without the end of this task and the start of that one
        between them: at 20,000 computers the run's file alone takes about a second to write and read back,
        a minute on the SEPM's clock at the benchmark's time scale. Only a batch delivered in full goes
        (none of its computers still to be staged), and never during a soak; the next task follows the
        restart from where it is, and the batch after it, staged here as well.
        """
        run = self.run
        following = run.next_label(label)
        if following is None:
            return
        tracks = self.pipeline_tracks(run.pipeline, following)
        ready, later = _split(tracks, following)
        if not ready or any(track.phase != "delivered" for track in ready):
            return
        if self.options.get("soak") and not (run.soak or {}).get("over"):
            return
        if _outside(self.hold_back_partners(run.batch(following)), ready):
            return  # partners held back from going ahead start in their batch's own task, with the rest of its gate
        if not self.window_allows(self.options["restart_timeout"])[0]:
            return  # the next batch's task holds it back and says why
        try:
            for track in ready:
                track.send_restart()
            # And the batch after it is staged now, as that task would at its start: its chain to delivery is as long.
            staged, _decided = self._stage_next(ready, later)
        except Exception as exc:
            self.rescue(tracks, exc)
            raise
        self._carry(ready + later + ([staged] if staged is not None else []))

    def _carry(self, aheads):
        """The batches that went ahead, kept in the run for the next batch's task."""
        self.run.pipeline = [track.to_dict() for track in aheads] or None

    def pipeline_tracks(self, pipeline, label=None):
        """The batches that went ahead, in batch order, from the run's ``pipeline`` (a list; one track in older runs).

        Only batch ``label``'s track may be restarted in this task: the later ones stay pre-staged.
        """
        tracks = []
        for data in [pipeline] if isinstance(pipeline, dict) else pipeline or ():
            track = Track.from_dict(self, data)
            track.prestage = track.label != label
            tracks.append(track)
        return tracks

    def _drive(self, leads, aheads):
        """The batch to the end, and the next ones (up to ``batches_ahead``) up to their delivery while this one restarts."""
        for track in leads:
            if track.phase == "new":
                track.start()
        aheads = list(aheads)
        chain = {"decided": False}

        def advance():
            live = [track for track in leads + aheads if not track.idle]
            # Only the tracks waiting on computer records have theirs normalized: a restarting batch follows its command.
            wanting = [track for track in live if track.wants_snapshot]
            snapshot = self.staging.read(name for track in wanting for name in track.names) if wanting else None
            moved = False
            for track in live:
                moved = track.step(snapshot) or moved
            # Staged after the steps, so a delivered batch's restart never waits for a staging.
            if not chain["decided"]:
                track, decided = self._stage_next(leads, aheads)
                if track is not None:
                    aheads.append(track)
                    moved = True
                chain["decided"] = decided and track is None
            return moved, all(track.idle for track in leads)

        try:
            self.poll(advance)
        finally:
            self._carry(aheads)
        return any(track.window_closed for track in leads)

    def _stage_next(self, leads, aheads):
        """The next batch ahead, staged: (track or None, whether that is decided for this task).

        A batch starts once the one before it has its patch on its way (up to ``batches_ahead`` of them): its
        policy pickup and LiveUpdate then overlap that batch's LiveUpdate and the restart before it, and it is
        delivered, never restarted, by its own turn.
        """
        if len(aheads) >= self.options["batches_ahead"] or any(track.phase in ("new", "policy") for track in (aheads[-1:] or leads)):
            return None, False
        label = self.run.next_label((aheads[-1] if aheads else leads[0]).label)
        track, decided = self._prestage(label, leads + aheads) if label is not None else (None, True)
        if track is not None:
            track.start()
        return track, decided

    def _prestage(self, label, in_flight):
        """The part of batch ``label`` that may go ahead while the batches ``in_flight`` are on their way;
        (track or None, whether that is decided).

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
        names, _kept = self.ahead([name for name in names if name not in held], [name for track in in_flight for name in track.active()])
        if not names:
            return None, True
        downloading = [name for track in in_flight if track.phase in ("deliver", "deliver_check") and track.wait
                       for name in track.wait.waiting]
        fits, _why = may_download(names, downloading, {name: run.computers[name]["home"] for name in names + downloading},
                                  run.download_room)
        if not fits:
            return None, False
        if not self.window_allows(self.options["cutoff"])[0]:
            return None, True
        return Track(self, batch.label, names, prestage=True), True

    def abandon_pipeline(self, pipeline, why):
        """The run stopped between two batch tasks: the batches that went ahead go home unrestarted."""
        self._abandon_all(self.pipeline_tracks(pipeline), why)

    def _abandon_all(self, tracks, why):
        for track in tracks:
            self._abandon(track, why)

    def _gate_closed(self, track, why):
        """The window holds the batch back: nothing starts; what a run staged earlier goes home."""
        computers = self.run.computers
        staged = [name for name in track.names if computers[name]["group"] != computers[name]["home"]]
        if track.phase == "new" and not staged:
            track.settle(track.active(), "deferred", why)
            return
        self._abandon(track, why)

    def _abandon(self, track, why):
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


def _split(tracks, label):
    """(batch ``label``'s tracks, the later batches' tracks)."""
    return [track for track in tracks if track.label == label], [track for track in tracks if track.label != label]


def _outside(names, tracks):
    """The names none of ``tracks`` holds."""
    return [name for name in names if not any(name in track.names for track in tracks)]
