# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""One liveupdate batch on its way: the ``Track`` state machine of ``liveupdate.py``.

  stage -> policy -> deliver -> (delivered) -> restart -> verify -> health -> return

Each step reads what the SEPM shows (a staging-group reading, a command's status) and moves on when it
allows; the track is saved in the run's file between tasks (``to_dict`` / ``from_dict``), so a
pre-staged batch can be restarted by the next batch's task.
"""

from __future__ import annotations

import datetime

from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.driver import PENDING_RESTART, HealthWatch, epoch_ms
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.model import from_iso, iso
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.commands import read_command
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.waiter import Wait, at_target, back_at_target, command_final, patch_arrived


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
        self.before = {}
        self.health = None
        # Rows of command ids the SEPM showed all final, in this task: they do not change again.
        self._final_rows = {}
        # Restarting computers whose row completed and that no reading has shown back yet (see _on_restarting).
        self._back_unseen = set()

    def to_dict(self):
        wait = self.wait
        return {
            "label": self.label, "phase": self.phase, "names": self.names, "command_ids": self.command_ids,
            # Once the restart is out, the health watch holds the records from before: only send_restart reads these.
            "started": self.started, "steps": self.steps, "before": self.before if self.health is None else {},
            "wait": {"name": wait.name, "waiting": wait.waiting, "deadline": iso(wait.deadline)} if wait else None,
            "health": self.health.to_dict() if self.health else None,
        }

    @classmethod
    def from_dict(cls, driver, data):
        track = cls(driver, data["label"], data["names"])
        track.phase = data["phase"]
        track.command_ids = list(data.get("command_ids") or [])
        track.started = data.get("started")
        track.steps = data.get("steps") or {}
        track.before = data.get("before") or {}
        track.health = HealthWatch.from_dict(data["health"]) if data.get("health") else None
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
    def restart_sent(self):
        """Past its restart (or found needing none): only following it to its end is left."""
        return self.phase in ("restarting", "restart_check", "health", "return", "done")

    @property
    def wants_snapshot(self):
        return self.phase in ("policy", "deliver_check", "restart_check", "health", "return") or \
            (self.phase == "restarting" and bool(self._back_unseen))

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
        self.before = driver.health_before(active)
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
        if not self.wait.update(snapshot, self.driver.staging.read_at):
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
        """The rows of the track's command by computer; a command id whose rows are all final is not read again."""
        ids = {self.run.computers[name]["id"]: name for name in self.names}
        rows = {}
        for command_id in self.command_ids:
            found = self._final_rows.get(command_id)
            if found is None:
                found = read_command(self.driver.client, [command_id])
                if found and all(row["final"] for row in found):
                    self._final_rows[command_id] = found
            for row in found:
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
        """Follow the command's rows until every waiting computer is final; then check the computers.

        Returns (moved on, the rows).
        """
        rows = self._command_rows()
        self._settle_rejected(rows, what)
        if all(command_final(rows.get(name)) for name in self.wait.waiting) or self.driver.now() >= self.wait.deadline:
            self.phase = then
            return True, rows
        self.say(doing, quiet=True)
        return False, rows

    def _on_deliver(self, _snapshot):
        return self._await_command("LiveUpdate", "deliver_check", "LiveUpdate running")[0]

    def _on_deliver_check(self, snapshot):
        if snapshot is None:
            return False
        # A client may report the staged patch a heartbeat after its LiveUpdate row completes.
        if not self.wait.update(snapshot, self.driver.staging.read_at):
            return False
        for name in self.wait.timed_out_names:
            self.settle([name], "failed", "LiveUpdate did not deliver the patch within %ds (does the staging policy allow "
                        "client patches?)" % self.run.options["delivery_timeout"])
        self.wait = None
        self.phase = "delivered"
        self.mark(self.active(), "delivered")
        self.say("patch delivered")
        # A batch in its own task restarts on the reading that showed it delivered, not on the next one.
        self._on_delivered(snapshot)
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
        self.health = HealthWatch({name: self.before.get(name) for name in needing}, epoch_ms(driver.now()))
        self.wait = self._new_wait("restart", needing, options["restart_timeout"])
        self.say("restart sent to %d computer(s)" % len(needing))
        self.phase = "restarting"
        return True

    def _on_restarting(self, snapshot):
        """Follow the restart; each computer's health checks start at the first reading that shows it back.

        A computer's ``checked_in`` check wants a check-in after the one it came back with. Seen back only once
        the last of the batch is (a minute or more after the first), its latest check-in is already a later
        heartbeat, and it would wait one more for nothing. So from the first completed row on, the staging groups
        are read at once and then at every poll as well (a poll interval is shorter than a heartbeat), and each
        computer a reading shows back at the target is watched from then: from its boot check-in.
        """
        watching = self.health is not None and bool(self.run.options["health_checks"])
        if snapshot is not None and watching:
            target = self.driver.target
            for name in self.wait.waiting:
                if name not in self.health.came_back and back_at_target(snapshot.get(name), target):
                    self.health.watch(name, snapshot[name])
        moved, rows = self._await_command("restart", "restart_check", "restarting")
        if moved or not watching:
            self._back_unseen = set()
            return moved
        first = not self._back_unseen
        self._back_unseen = {name for name in self.wait.waiting
                             if name not in self.health.came_back and (rows.get(name) or {}).get("state") == "COMPLETED"}
        # The first rows completed: a reading at once, or the first ones back may be seen only after their next check-in.
        return first and bool(self._back_unseen)

    def _on_restart_check(self, snapshot):
        if snapshot is None or not self.wait.update(snapshot, self.driver.staging.read_at):
            return False
        for name in self.wait.timed_out_names:
            computer = snapshot.get(name) or {}
            if not computer.get("online"):
                why = "did not come back online within %ds of the restart" % self.run.options["restart_timeout"]
            else:
                why = "came back without the patch (version %s)" % computer.get("agent_version")
            self.settle([name], "failed", why)
        back = self.active()
        self.wait = None
        self.mark(back, "verified")
        if self.health is None or not self.run.options["health_checks"]:
            self.settle(back, "patched")
            # Home on the reading that showed them back: a second reading at once would say the same.
            self.phase = "return"
            return self._on_return(snapshot)
        self.health.forget([name for name in self.health.came_back if name not in back])
        for name in back:
            if name not in self.health.came_back:
                self.health.watch(name, snapshot.get(name))
        self.say("back at %s; health checks (%s) settling" % (self.driver.target, ", ".join(self.run.options["health_checks"])))
        self.phase = "health"
        return self._on_health(snapshot)

    def _on_health(self, snapshot):
        """Each computer back at the target is judged against its record from before the batch (``HealthWatch``)."""
        if snapshot is None:
            return False
        settled = self.driver.judge_health(self.health, snapshot, self.label, self.driver.staging.read_at)
        unhealthy = sorted(name for name, verdict in settled.items() if verdict.state == "unhealthy")
        if unhealthy:
            self.say("unhealthy after the patch: %s" % ", ".join(unhealthy))
        if self.health.waiting():
            # The rest settle at their next heartbeats, not at once: the next reading comes a poll interval later.
            self.say("health checks settling", quiet=True)
            return False
        # Home on the reading that settled the last of them: a second reading at once would say the same.
        self.phase = "return"
        return self._on_return(snapshot)

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
