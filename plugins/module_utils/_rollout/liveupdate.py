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

import datetime

from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.driver import PENDING_RESTART, Driver
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.model import from_iso, iso
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.staging import Staging
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.commands import read_command
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.waiter import (
    Wait, at_target, back_at_target, command_final, patch_arrived, policy_applied)


class Track:
    """One batch on its way through the liveupdate steps; ``to_dict`` carries it to the next task."""

    def __init__(self, driver, label, names, prestage=False):
        self.driver = driver
        self.run = driver.run
        self.label = label
        self.names = list(names)
        self.prestage = prestage
        self.phase = "new"
        self.wait = None
        self.command_ids = []
        self.window_closed = False
        self.started = None
        self.finished = None
        self.steps = {}

    def to_dict(self):
        wait = self.wait
        return {
            "label": self.label, "phase": self.phase, "names": self.names, "command_ids": self.command_ids,
            "started": self.started, "steps": self.steps,
            "wait": {"name": wait.name, "waiting": wait.waiting, "deadline": iso(wait.deadline)} if wait else None,
        }

    @classmethod
    def from_dict(cls, driver, data):
        track = cls(driver, data["label"], data["names"])
        track.phase = data["phase"]
        track.command_ids = list(data.get("command_ids") or [])
        track.started = data.get("started")
        track.steps = data.get("steps") or {}
        wait = data.get("wait")
        if wait:
            track.wait = Wait(wait["name"], wait["waiting"], driver.condition(wait["name"]), from_iso(wait["deadline"]))
        return track

    # -- bookkeeping ----------------------------------------------------------------------

    def active(self):
        return self.run.pending(self.names)

    def settle(self, names, state, reason=""):
        for name in names:
            self.run.settle(name, state, reason, self.label)

    def mark(self, names, step):
        moment = iso(self.driver.now())
        self.run.mark(names, step, moment)
        self.steps[step] = moment

    def say(self, message, quiet=False):
        self.driver.progress(self.label, message, self.names, quiet=quiet)

    @property
    def idle(self):
        """Nothing more to do in this task: done, or pre-staged and delivered."""
        return self.phase == "done" or (self.prestage and self.phase == "delivered")

    @property
    def wants_snapshot(self):
        return self.phase in ("policy", "deliver_check", "restart_check", "return")

    def _new_wait(self, name, names, seconds):
        return Wait(name, names, self.driver.condition(name), self.driver.now() + datetime.timedelta(seconds=seconds))

    # -- steps ----------------------------------------------------------------------------

    def start(self):
        """Stage the batch: move it into the staging groups (one request) and start the policy wait."""
        driver, computers = self.driver, self.run.computers
        self.started = self.started or iso(driver.now(refresh=True))
        done = [name for name in self.active() if computers[name]["home"] == computers[name]["group"]
                and at_target(computers[name], driver.target) and not computers[name].get("reboot_required")]
        self.settle(done, "compliant", "already at %s" % driver.target)
        active = self.active()
        if not active:
            self.phase = "return"
            return
        for name in driver.staging.stage(active):
            self.settle([name], "failed", "the SEPM refused to move it to the staging group")
        self.mark(self.active(), "staged")
        self.say("staged in %d staging group(s), waiting for the clients to apply the patch policy"
                 % len({computers[name]["home"] for name in active}))
        self.wait = self._new_wait("policy", self.active(), self.run.options["policy_timeout"])
        self.phase = "policy"

    def step(self, snapshot):
        """Advance as far as the latest reading allows; True when something moved on."""
        handler = getattr(self, "_on_" + self.phase, None)
        return handler(snapshot) if handler else False

    def _on_policy(self, snapshot):
        if snapshot is None:
            return False
        options = self.run.options
        if not self.wait.update(snapshot, self.driver.now()):
            self.say("waiting for the clients to apply the patch policy", quiet=True)
            return False
        for name in self.wait.timed_out_names:
            computer = snapshot.get(name) or {}
            why = "offline" if not computer.get("online") else "still runs policy serial %s" % computer.get("profile_serial")
            self.settle([name], "failed", "did not apply the staging group's policy within %ds (%s)" % (options["policy_timeout"], why))
        self.mark(self.active(), "policy_applied")
        needing = [name for name in self.active() if not patch_arrived(snapshot.get(name), self.driver.target)]
        if not needing:
            self.wait = None
            self.phase = "delivered"
            self.mark(self.active(), "delivered")
            return True
        self.command_ids = self.driver.command("updatecontent", needing)
        self.wait = self._new_wait("delivery", needing, options["delivery_timeout"])
        self.say("LiveUpdate sent to %d computer(s)" % len(needing))
        self.phase = "deliver"
        return True

    def _command_rows(self):
        ids = {self.run.computers[name]["id"]: name for name in self.names}
        rows = {}
        for row in read_command(self.driver.client, self.command_ids):
            name = ids.get(row["computer_id"])
            if name is not None:
                rows[name] = row
        return rows

    def _settle_rejected(self, rows, what):
        """Computers whose command ended other than completed fail now, with the SEPM's words."""
        for name in list(self.wait.waiting):
            row = rows.get(name)
            if command_final(row) and row["state"] != "COMPLETED":
                self.settle([name], "failed", "%s %s: %s" % (what, row["state"].lower(), row["sub_state"]))
                self.wait.waiting.remove(name)

    def _await_command(self, what, then, doing):
        """Follow the command's rows until every waiting computer is final; then check the computers."""
        rows = self._command_rows()
        self._settle_rejected(rows, what)
        if all(command_final(rows.get(name)) for name in self.wait.waiting) or self.driver.now() >= self.wait.deadline:
            self.phase = then
            return True
        self.say(doing, quiet=True)
        return False

    def _on_deliver(self, _snapshot):
        return self._await_command("LiveUpdate", "deliver_check", "LiveUpdate running")

    def _on_deliver_check(self, snapshot):
        if snapshot is None:
            return False
        # A client may report the staged patch a heartbeat after its LiveUpdate row completes.
        if not self.wait.update(snapshot, self.driver.now()):
            return False
        for name in self.wait.timed_out_names:
            self.settle([name], "failed", "LiveUpdate did not deliver the patch within %ds (does the staging policy allow "
                        "client patches?)" % self.run.options["delivery_timeout"])
        self.wait = None
        self.phase = "delivered"
        self.mark(self.active(), "delivered")
        self.say("patch delivered")
        return True

    def _on_delivered(self, _snapshot):
        if self.prestage:
            return False
        return self.send_restart()

    def send_restart(self):
        """Restart the computers that need it, only with the whole restart still inside the window."""
        driver, computers, options = self.driver, self.run.computers, self.run.options
        done = [name for name in self.active() if at_target(computers[name], driver.target) and not computers[name].get("reboot_required")]
        self.settle(done, "patched")
        if options["restart"] == "always":
            needing = self.active()
        else:
            needing = [name for name in self.active() if computers[name].get("reboot_required")]
        self.phase = "return"
        if not needing:
            return True
        if options["restart"] == "never":
            self.settle(needing, "deferred", PENDING_RESTART + ": restart not allowed (restart: never)")
            return True
        allowed, why = driver.window_allows(options["restart_timeout"])
        if not allowed:
            self.window_closed = True
            self.settle(needing, "deferred", "%s: %s" % (PENDING_RESTART, why))
            return True
        self.command_ids = driver.command("restart", needing, body={
            "prompt_type": "prompt" if options["restart_prompt"] else "no_prompt", "schedule_type": "now",
            "message": options["restart_message"]})
        self.mark(needing, "restart_sent")
        self.wait = self._new_wait("restart", needing, options["restart_timeout"])
        self.say("restart sent to %d computer(s)" % len(needing))
        self.phase = "restarting"
        return True

    def _on_restarting(self, _snapshot):
        return self._await_command("restart", "restart_check", "restarting")

    def _on_restart_check(self, snapshot):
        if snapshot is None or not self.wait.update(snapshot, self.driver.now()):
            return False
        for name in self.wait.timed_out_names:
            computer = snapshot.get(name) or {}
            if not computer.get("online"):
                why = "did not come back online within %ds of the restart" % self.run.options["restart_timeout"]
            else:
                why = "came back without the patch (version %s)" % computer.get("agent_version")
            self.settle([name], "failed", why)
        restarted = self.wait.waiting
        self.wait = None
        patched_now = self.active()
        self.settle(patched_now, "patched")
        self.mark([name for name in patched_now if name not in restarted], "verified")
        self.phase = "return"
        return True

    def _on_return(self, snapshot):
        if snapshot is None:
            return False
        self.go_home(snapshot)
        self.phase = "done"
        self.finished = iso(self.driver.now())
        return True

    def go_home(self, snapshot):
        """Every computer of the batch still in a staging group goes home, whatever became of it."""
        for name, why in self.driver.staging.send_home(self.names, snapshot).items():
            self.run.fail(name, why, self.label)
        self.mark(self.names, "returned")

    def abandon(self, snapshot, why):
        """The run stops with this batch unrestarted: it goes home, deferred in its own words."""
        self.started = self.started or iso(self.driver.now())
        restarting = self.wait.waiting if self.wait is not None and self.phase in ("restarting", "restart_check") else ()
        for name in self.active():
            if name in restarting:
                # Only an error stops a batch after its restart went out: the SEPM restarts these whatever happens here.
                self.settle([name], "deferred", "restart sent, not verified: %s; the next run checks it" % why)
            elif patch_arrived(snapshot.get(name) or self.run.computers[name], self.driver.target):
                self.settle([name], "deferred", "%s: %s" % (PENDING_RESTART, why))
            elif name in snapshot:
                self.settle([name], "deferred", "staged, not patched: %s" % why)
            else:
                self.settle([name], "deferred", why)
        self.wait = None
        self.go_home(snapshot)
        self.phase = "done"
        self.finished = iso(self.driver.now())


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
        track = Track.from_dict(self, pipeline) if pipeline and pipeline["label"] == str(label) else None
        if track is not None and run.stop is not None:
            self._abandon(track, run.stop.reason)
            track = None
        entry, pending = self.open_batch(label)
        if pending is None:
            return self.finish(entry, window_closed=False)
        if track is not None:
            for home in sorted({run.computers[name]["home"] for name in track.names}):
                self.staging.group(home)
        elif pending:
            track = Track(self, entry.batch, pending)
        window_closed = False
        if track is not None:
            needed = self.options["restart_timeout"] if track.phase != "new" else self.options["cutoff"]
            allowed, why = self.window_allows(needed)
            if self.check_mode:
                return self._preview(entry, track, allowed, why)
            if not allowed:
                entry.gated, entry.not_run, window_closed = True, why, True
                self._gate_closed(track, why)
                entry.steps = track.steps
            else:
                try:
                    window_closed = self._drive(track)
                except Exception as exc:
                    self.rescue([track] + ([Track.from_dict(self, run.pipeline)] if run.pipeline else []), exc)
                    raise
                entry.started, entry.finished, entry.steps = track.started, track.finished, track.steps
        self.finish(entry, window_closed)
        if run.stop is not None and run.pipeline:
            self._abandon(Track.from_dict(self, run.pipeline), run.stop.reason)
            run.pipeline = None
        return entry

    def _drive(self, track):
        """The batch to the end, and the next batch up to its delivery while this one restarts."""
        if track.phase == "new":
            track.start()
        next_label = self.run.next_label(track.label)
        tracks = [track]

        def advance():
            # The next batch starts once this one's patch is on its way: its policy pickup and LiveUpdate then
            # overlap this batch's LiveUpdate and restart, and it is delivered, never restarted, by then.
            if len(tracks) == 1 and next_label and track.phase not in ("new", "policy"):
                ahead = self._prestage(next_label)
                tracks.append(ahead)
                if ahead is not None:
                    ahead.start()
            live = [each for each in tracks if each is not None and not each.idle]
            snapshot = self.staging.read(name for each in live for name in each.names) \
                if any(each.wants_snapshot for each in live) else None
            moved = False
            for each in live:
                moved = each.step(snapshot) or moved
            return moved, track.idle

        try:
            self.poll(advance)
        finally:
            ahead = tracks[1] if len(tracks) > 1 else None
            self.run.pipeline = ahead.to_dict() if ahead is not None else None
        return track.window_closed

    def _prestage(self, label):
        """The next batch, to start while this one restarts, if its whole cutoff fits in the window; else None."""
        batch = self.run.batch(label)
        if batch.method != self.method:
            return None  # a package batch runs host by host in its own task, never ahead
        names = self.run.pending(batch.hosts)
        held = self.held(names)
        names = [name for name in names if name not in held]
        if not names or not self.window_allows(self.options["cutoff"])[0]:
            return None
        return Track(self, batch.label, names, prestage=True)

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
