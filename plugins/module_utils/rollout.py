# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rollout engine: plan a run, then run it batch after batch, the liveupdate way.

The engine keeps a run's whole state in one JSON-ready dict (``state``) that the role hands
from one batch task to the next, so a playbook stays a list of steps while every decision
is taken here and in ``rules.py`` / ``plan.py``.

A batch is a ``Track`` through the delivery steps of the liveupdate method:

  stage -> policy -> deliver -> (delivered) -> restart -> verify -> return

**Pipelining.** Once batch k's patch is on its way, batch k+1 is staged and its patch
delivered, so it is ready when batch k has restarted; it is never restarted early: a
pre-staged track stops at ``delivered`` and is carried in ``state["pipeline"]`` to the next
batch's task, which restarts it. When the run stops instead (window closed,
failure budget or batch percentage exceeded), the pre-staged batch goes home at once and its
computers are ``deferred`` with "patch delivered, restart pending" (or "staged, not
patched"); the next run takes them like any other computer. A killed controller leaves
them in their staging groups, where the next run finds and finishes them (``resume``).
Staging groups never restart a client on their own: their SEPM restart schedule is off,
so the only restart a staged computer gets is the engine's, inside the window.

**Polling.** One loop serves every wait of a task: each poll reads the staging groups
(one request each) only when a wait needs computer records, and a command's status (one
paged request) while its computers run it; polls are ``poll_interval`` apart.
"""

from __future__ import annotations

import datetime
import math
import time

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rules
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.forecast import (
    durations_from_log, forecast_run, plan_next_run, stop_line)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmNotFoundError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.commands import read_command
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import ComputerFilter, normalize_computer
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.groups import SEPARATOR, name_of, normalize_path, parent_of
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.patches import CONSOLE_STEPS, packages_from_events
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.plan import batch_sizes, plan_rollout
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.policies import (
    LOCATION_POLICY_TYPES, assignments_by_group, find_policy)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.targets import fetch_records
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import release_of, version_key
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.waiter import (
    Wait, at_target, back_at_target, command_final, patch_arrived, policy_applied)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import is_open, next_open, occurrences, parse_windows, time_left

STAGING_GROUP = "Patch Staging"
STATES = rules.FINAL_STATES
METHODS = ("liveupdate", "package")
PENDING_RESTART = "patch delivered, restart pending"


def home_of(group_path, staging_name=STAGING_GROUP):
    """A computer's own group: the parent when it sits in a staging group (an interrupted run)."""
    if group_path and name_of(group_path).lower() == staging_name.lower() and parent_of(group_path):
        return parent_of(group_path)
    return group_path


def staging_path(home, staging_name=STAGING_GROUP):
    return home + SEPARATOR + staging_name


def iso(moment):
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="seconds") if moment else None


def from_iso(text):
    return datetime.datetime.fromisoformat(text) if text else None


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


class Track:
    """One batch on its way through the liveupdate steps; ``to_dict`` carries it to the next task."""

    def __init__(self, engine, label, names, prestage=False):
        self.engine = engine
        self.label = label
        self.prestage = prestage
        self.hosts = {}
        for name in names:
            computer = engine.computers[name]
            self.hosts[name] = {"state": None, "reason": "", "version_before": computer.get("agent_version"),
                                "version_after": None, "steps": {}}
        self.phase = "new"
        self.wait = None
        self.command_id = None
        self.window_closed = False
        self.started = None
        self.finished = None
        self.steps = {}

    # -- carried between tasks ------------------------------------------------------------

    def to_dict(self):
        wait = self.wait
        return {
            "label": self.label, "phase": self.phase, "hosts": self.hosts, "command_id": self.command_id,
            "started": self.started, "steps": self.steps,
            "wait": {"name": wait.name, "waiting": wait.waiting, "deadline": iso(wait.deadline)} if wait else None,
        }

    @classmethod
    def from_dict(cls, engine, data):
        track = cls(engine, data["label"], [])
        track.hosts = data["hosts"]
        track.phase = data["phase"]
        track.command_id = data.get("command_id")
        track.started = data.get("started")
        track.steps = data.get("steps") or {}
        wait = data.get("wait")
        if wait:
            track.wait = Wait(wait["name"], wait["waiting"], engine.condition(wait["name"]), from_iso(wait["deadline"]))
        return track

    # -- bookkeeping ----------------------------------------------------------------------

    @property
    def names(self):
        return list(self.hosts)

    def active(self):
        return [name for name, host in self.hosts.items() if host["state"] is None]

    def settle(self, names, state, reason=""):
        for name in names:
            if self.hosts[name]["state"] is None:
                self.hosts[name].update(state=state, reason=reason)

    def mark(self, names, step):
        moment = iso(self.engine.clock.now())
        for name in names:
            self.hosts[name]["steps"][step] = moment
        self.steps[step] = moment

    def counts(self):
        done = sum(1 for host in self.hosts.values() if host["state"] in ("patched", "compliant"))
        failed = sum(1 for host in self.hosts.values() if host["state"] == "failed")
        waiting = len(self.wait.waiting) if self.wait else 0
        return done, failed, waiting

    @property
    def idle(self):
        """Nothing more to do in this task: done, or pre-staged and delivered."""
        return self.phase == "done" or (self.prestage and self.phase == "delivered")

    @property
    def wants_snapshot(self):
        return self.phase in ("policy", "deliver_check", "restart_check", "return")

    # -- steps ----------------------------------------------------------------------------

    def start(self):
        """Stage the batch: move it into the staging groups (one request) and start the policy wait."""
        engine = self.engine
        self.started = self.started or iso(engine.clock.now(refresh=True))
        current = engine.computers
        done = [name for name in self.active() if current[name]["home"] == current[name]["group"]
                and at_target(current[name], engine.target) and not current[name].get("reboot_required")]
        self.settle(done, "compliant", "already at %s" % engine.target)
        active = self.active()
        if not active:
            self.phase = "return"
            return
        staging = {}
        for home in sorted({current[name]["home"] for name in active}):
            staging[home] = engine.staging_group(home)
        moves = [(current[name]["hardware_key"], staging[current[name]["home"]]["id"]) for name in active
                 if (current[name]["group"] or "").lower() != staging_path(current[name]["home"], engine.staging_name).lower()]
        for name in engine.move(moves):
            self.settle([name], "failed", "the SEPM refused to move it to the staging group")
        self.mark(self.active(), "staged")
        engine.say(self, "staged in %d staging group(s), waiting for the clients to apply the patch policy" % len(staging))
        self.wait = Wait("policy", self.active(), engine.condition("policy"),
                         engine.clock.now() + datetime.timedelta(seconds=engine.options["policy_timeout"]))
        self.phase = "policy"

    def step(self, snapshot):
        """Advance as far as the latest reading allows; True when something moved on."""
        handler = getattr(self, "_on_" + self.phase, None)
        return handler(snapshot) if handler else False

    def _on_policy(self, snapshot):
        if snapshot is None:
            return False
        if not self.wait.update(snapshot, self.engine.clock.now()):
            self.engine.say(self, "waiting for the clients to apply the patch policy", quiet=True)
            return False
        for name in self.wait.timed_out_names:
            computer = snapshot.get(name) or {}
            why = "offline" if not computer.get("online") else "still runs policy serial %s" % computer.get("profile_serial")
            self.settle([name], "failed", "did not apply the staging group's policy within %ds (%s)" % (
                self.engine.options["policy_timeout"], why))
        self.mark(self.active(), "policy_applied")
        needing = [name for name in self.active() if not patch_arrived(snapshot.get(name), self.engine.target)]
        if not needing:
            self.wait = None
            self.phase = "delivered"
            self.mark(self.active(), "delivered")
            return True
        self.command_id = self.engine.command("updatecontent", needing)
        self.wait = Wait("delivery", needing, self.engine.condition("delivery"),
                         self.engine.clock.now() + datetime.timedelta(seconds=self.engine.options["delivery_timeout"]))
        self.engine.say(self, "LiveUpdate sent to %d computer(s)" % len(needing))
        self.phase = "deliver"
        return True

    def _command_rows(self):
        by_id = {row["computer_id"]: row for row in read_command(self.engine.client, self.command_id)}
        return {name: by_id.get(self.engine.computers[name]["id"]) for name in self.hosts}

    def _settle_rejected(self, rows, what):
        """Computers whose command ended other than completed fail now, with the SEPM's words."""
        for name in list(self.wait.waiting):
            row = rows.get(name)
            if command_final(row) and row["state"] != "COMPLETED":
                self.settle([name], "failed", "%s %s: %s" % (what, row["state"].lower(), row["sub_state"]))
                self.wait.waiting.remove(name)

    def _await_command(self, what, then, doing):
        """Follow the command's rows (one read) until every waiting computer is final; then check the computers."""
        rows = self._command_rows()
        self._settle_rejected(rows, what)
        if all(command_final(rows.get(name)) for name in self.wait.waiting) or self.engine.clock.now() >= self.wait.deadline:
            self.phase = then
            return True
        self.engine.say(self, doing, quiet=True)
        return False

    def _on_deliver(self, _snapshot):
        return self._await_command("LiveUpdate", "deliver_check", "LiveUpdate running")

    def _on_deliver_check(self, snapshot):
        if snapshot is None:
            return False
        # A client may report the staged patch a heartbeat after its LiveUpdate row completes.
        if not self.wait.update(snapshot, self.engine.clock.now()):
            return False
        for name in self.wait.timed_out_names:
            self.settle([name], "failed", "LiveUpdate did not deliver the patch within %ds (does the staging policy allow "
                        "client patches?)" % self.engine.options["delivery_timeout"])
        self.wait = None
        self.phase = "delivered"
        self.mark(self.active(), "delivered")
        self.engine.say(self, "patch delivered")
        return True

    def _on_delivered(self, _snapshot):
        if self.prestage:
            return False
        return self.send_restart()

    def send_restart(self):
        """Restart the computers that need it, only with the whole restart still inside the window."""
        engine = self.engine
        current = engine.computers
        done = [name for name in self.active() if at_target(current[name], engine.target) and not current[name].get("reboot_required")]
        self.settle(done, "patched")
        if engine.options["restart"] == "always":
            needing = self.active()
        else:
            needing = [name for name in self.active() if current[name].get("reboot_required")]
        self.phase = "return"
        if not needing:
            return True
        if engine.options["restart"] == "never":
            self.settle(needing, "deferred", PENDING_RESTART + ": restart not allowed (restart: never)")
            return True
        allowed, why = engine.window_allows(engine.options["restart_timeout"])
        if not allowed:
            self.window_closed = True
            self.settle(needing, "deferred", "%s: %s" % (PENDING_RESTART, why))
            return True
        self.command_id = engine.command("restart", needing, body={
            "prompt_type": "prompt" if engine.options["restart_prompt"] else "no_prompt", "schedule_type": "now",
            "message": engine.options["restart_message"]})
        self.mark(needing, "restart_sent")
        self.wait = Wait("restart", needing, engine.condition("restart"),
                         engine.clock.now() + datetime.timedelta(seconds=engine.options["restart_timeout"]))
        engine.say(self, "restart sent to %d computer(s)" % len(needing))
        self.phase = "restarting"
        return True

    def _on_restarting(self, _snapshot):
        return self._await_command("restart", "restart_check", "restarting")

    def _on_restart_check(self, snapshot):
        if snapshot is None or not self.wait.update(snapshot, self.engine.clock.now()):
            return False
        for name in self.wait.timed_out_names:
            computer = snapshot.get(name) or {}
            if not computer.get("online"):
                why = "did not come back online within %ds of the restart" % self.engine.options["restart_timeout"]
            else:
                why = "came back without the patch (version %s)" % computer.get("agent_version")
            self.settle([name], "failed", why)
        restarted = self.wait.waiting
        self.wait = None
        self.settle(self.active(), "patched")
        self.mark([name for name in self.hosts if self.hosts[name]["state"] == "patched" and name not in restarted], "verified")
        self.phase = "return"
        return True

    def _on_return(self, snapshot):
        if snapshot is None:
            return False
        self.engine.return_home(self, snapshot)
        self.phase = "done"
        self.finished = iso(self.engine.clock.now())
        return True

    def abandon(self, snapshot, why):
        """The run stops with this batch unrestarted: it goes home, deferred in its own words."""
        self.started = self.started or iso(self.engine.clock.now())
        for name in self.active():
            if patch_arrived(snapshot.get(name) or self.engine.computers[name], self.engine.target):
                self.settle([name], "deferred", "%s: %s" % (PENDING_RESTART, why))
            elif name in snapshot:
                self.settle([name], "deferred", "staged, not patched: %s" % why)
            else:
                self.settle([name], "deferred", why)
        self.wait = None
        self.engine.return_home(self, snapshot)
        self.phase = "done"
        self.finished = iso(self.engine.clock.now())


class Engine:
    """Runs the batches of one planned rollout (``state`` from ``plan_state``)."""

    def __init__(self, client, state, clock=None, sleep=time.sleep, say=None, check_mode=False):
        self.client = client
        self.state = state
        self.options = state["options"]
        self.target = self.options["target_version"]
        self.staging_name = self.options["staging_name"]
        self.windows = parse_windows(self.options["windows"]) if self.options["windows"] else []
        self.clock = clock or Clock(client, self.options["clock"])
        self.sleep = sleep
        self._say = say or (lambda line: None)
        self._last_said = {}
        self.check_mode = check_mode
        self.computers = state["computers"]
        self.results = state["results"]
        self.changed = False
        self._staging = {}
        self._policy_view = None

    # -- shared helpers -------------------------------------------------------------------

    def condition(self, name):
        target = self.target
        if name == "policy":
            return lambda computer: policy_applied(computer, self._serial_for(computer))
        if name == "delivery":
            return lambda computer: patch_arrived(computer, target)
        return lambda computer: back_at_target(computer, target)

    def _serial_for(self, computer):
        if not computer:
            return None
        staging = self._staging.get(home_of(computer.get("group"), self.staging_name) or "")
        return staging.get("serial") if staging else None

    def say(self, track, message, quiet=False):
        """One progress line: batch, step, counts, time left in the window; a repeat of the last line is not said."""
        done, failed, waiting = track.counts()
        left = ""
        if self.windows:
            now = self.clock.now()
            left = ", window %s left" % duration(time_left(self.windows, now).total_seconds())
        line = "batch %s of %d: %s - %d done, %d failed, %d waiting%s" % (
            track.label, len(self.state["batches"]), message, done, failed, waiting, left)
        key = (track.label, message, done, failed, waiting)
        if quiet and self._last_said.get(track.label) == key[1:]:
            return
        self._last_said[track.label] = key[1:]
        retries = getattr(self.client, "take_retry_summary", lambda: "")()
        self._say(line + ("; " + retries if retries else ""))

    def window_allows(self, needed_seconds):
        """(allowed, reason): the window is open with at least ``needed_seconds`` left, or there is none."""
        if not self.windows:
            return True, ""
        now = self.clock.now(refresh=True)
        if not is_open(self.windows, now):
            return False, rules.WINDOW_CLOSED
        left = time_left(self.windows, now).total_seconds()
        if left < needed_seconds:
            return False, "%s: it closes in %dm, less than the %dm this step may take" % (
                rules.WINDOW_CLOSED, left // 60, needed_seconds // 60)
        return True, ""

    def command(self, command, names, body=None):
        command_ids = self.client.send_command(command, computer_ids=[self.computers[name]["id"] for name in names], body=body)
        self.changed = True
        return command_ids.get("computers", [])

    def move(self, moves):
        """Move (hardware key, group id) pairs in one request; returns the names the SEPM refused."""
        if not moves:
            return []
        self.changed = True
        replies = self.client.move_computers(moves)
        by_key = {computer["hardware_key"]: name for name, computer in self.computers.items()}
        return [by_key[key] for (key, _group_id), reply in zip(moves, replies) if str(reply.get("responseCode")) != "200"]

    # -- staging groups -------------------------------------------------------------------

    def staging_group(self, home):
        """The staging group of ``home``, made ready once per task: created, policies as its parent's, restarts off."""
        if home in self._staging:
            return self._staging[home]
        client = self.client
        path = staging_path(home, self.staging_name)
        group = client.find_group(path)
        parent = client.group_by_path(home)
        if group is None:
            client.create_group(parent["id"], self.staging_name,
                                "Computers taking a SEP client patch now (endpoint_ops.sepm rollout)", inherits=False)
            self.changed = True
            group = client.group_by_path(path)
        known = self.state.setdefault("staging", {})
        if not known.get(group["id"]):
            self._restarts_off(group)
            known[group["id"]] = path
        if self._sync_policies(parent, group):
            group = client.group(group["id"])
        self._staging[home] = {"id": group["id"], "serial": group.get("policySerialNumber"), "path": path}
        return self._staging[home]

    def _restarts_off(self, group):
        """The SEPM must not restart a staged client on its own schedule: only the engine restarts, in the window."""
        for location in self._locations(group["id"]):
            settings = self.client.location_settings(group["id"], location["id"]) or {}
            restart = ((settings.get("configuration") or {}).get("general_settings") or {}).get("restart") or {}
            if restart.get("enabled") or restart.get("force"):
                self.client.update_location_settings(group["id"], location["id"], {
                    "general_settings": {"restart": {"enabled": False, "force": False}}})
                self.changed = True

    def _locations(self, group_id):
        cache = self.state.setdefault("locations", {})
        if group_id not in cache:
            cache[group_id] = self.client.group_locations(group_id)
        return cache[group_id]

    def _policies(self):
        """Direct assignments of every group, and groups by id: two requests per task, whatever the fleet."""
        if self._policy_view is None:
            groups = {group["id"]: group for group in self.client.groups()}
            self._policy_view = (assignments_by_group(self.client.policy_summaries()), groups)
        return self._policy_view

    def _effective(self, group, location_name, policy_type):
        """The policy a group's location runs: its own, else (while it inherits) its parent's."""
        assigned, groups = self._policies()
        by_path = {(g.get("fullPathName") or "").lower(): g for g in groups.values()}
        while group is not None:
            locations = self._locations(group["id"])
            location = next((loc for loc in locations if (loc["name"] or "").lower() == location_name.lower()), None)
            location = location or next((loc for loc in locations if (loc["name"] or "").lower() == "default"), None) \
                or (locations[0] if locations else None)
            if location is not None:
                policy = assigned.get(group["id"], {}).get(location["id"], {}).get(policy_type)
                if policy:
                    return policy["id"]
            inherits = group.get("policyInheritanceEnabled", group.get("inherits"))
            parent = parent_of(group.get("fullPathName") or "")
            group = by_path.get(parent.lower()) if inherits and parent else None
        return None

    def _sync_policies(self, parent, group):
        """The staging group runs its parent's security policies at every use, and the allowing LiveUpdate policy."""
        assigned, _groups = self._policies()
        changed = False
        for location in self._locations(group["id"]):
            own = assigned.get(group["id"], {}).get(location["id"], {})
            for policy_type in LOCATION_POLICY_TYPES:
                wanted = self.options["allow_policy_id"] if policy_type == "lu" else \
                    self._effective(parent, location["name"] or "Default", policy_type)
                if wanted and (own.get(policy_type) or {}).get("id") != wanted:
                    self.client.assign_location_policy(group["id"], location["id"], policy_type, wanted)
                    changed = True
        if changed:
            self.changed = True
            self._policy_view = None
        return changed

    # -- reading and returning ------------------------------------------------------------

    def read_staged(self, tracks):
        """Current records of the tracks' computers: one read per staging group they use."""
        wanted = set()
        for track in tracks:
            wanted.update(track.names)
        found = {}
        for staging in self._staging.values():
            for record in self.client.computers(group_id=staging["id"]):
                computer = normalize_computer(record)
                if computer["name"] in wanted:
                    found[computer["name"]] = computer
        for name, computer in found.items():
            self.computers[name].update({key: value for key, value in computer.items() if key not in ("home", "cluster")})
        return found

    def return_home(self, track, snapshot):
        """Every computer of the track still in a staging group goes back to its own group, whatever became of it."""
        homes = {}
        for name in track.names:
            computer = self.computers[name]
            group = (snapshot.get(name) or computer).get("group") or ""
            if group.lower() == staging_path(computer["home"], self.staging_name).lower():
                homes.setdefault(computer["home"], []).append(name)
        moves = []
        for home, names in homes.items():
            try:
                home_id = self.client.group_by_path(home)["id"]
            except SepmNotFoundError:
                for name in names:
                    track.hosts[name].update(state="failed", reason="its home group %s no longer exists; left in the staging group" % home)
                continue
            moves.extend((self.computers[name]["hardware_key"], home_id) for name in names)
        for name in self.move(moves):
            # Whatever it reached before, a computer left in a staging group keeps the patch permission: a failure.
            track.hosts[name].update(state="failed", reason="the SEPM refused to move it back to %s; it is still in the "
                                     "staging group" % self.computers[name]["home"])
        moved = {key for key, _group_id in moves}
        for name in track.names:
            if self.computers[name]["hardware_key"] in moved:
                self.computers[name]["group"] = self.computers[name]["home"]
        track.mark(track.names, "returned")

    # -- a batch --------------------------------------------------------------------------

    def batch_names(self, label):
        if label == "resume":
            return list(self.state["resume"])
        return list(self.state["batches"][int(label) - 1])

    def next_label(self, label):
        if label == "resume":
            return "1" if self.state["batches"] else None
        return str(int(label) + 1) if int(label) < len(self.state["batches"]) else None

    def run_batch(self, label):
        """Run one batch (and pre-stage the next); returns the log entry of the batch."""
        label = str(label)
        names = self.batch_names(label)
        stop = rules.Stop.from_dict(self.state.get("stop"))
        pipeline = self.state.get("pipeline")
        track = Track.from_dict(self, pipeline) if pipeline and pipeline["label"] == label else None
        self.state["pipeline"] = None
        if track is not None and stop is None:
            for home in sorted({self.computers[name]["home"] for name in track.names}):
                self.staging_group(home)
        entry = {"batch": label, "method": "liveupdate", "hosts": names, "started": iso(self.clock.now(refresh=True)), "finished": None,
                 "gated": False, "steps": {}, "failed": 0, "deferred": 0}
        if stop is not None:
            if track is not None:
                self._finish_abandoned(track, stop.reason)
            rules.settle_stopped(self.results, names, stop, label, self._versions())
            entry["finished"] = entry["started"]
            return self._log(entry, announce=False)

        held = rules.held_by_failed_partner(names, self.results, self.state["clusters"])
        for name, reason in held.items():
            if track is None or name not in track.hosts:
                self._account(name, {"state": "skipped", "reason": reason, "steps": {}}, label)
        if track is not None:
            for name in held:
                if name in track.hosts:
                    track.settle([name], "skipped", held[name])
        else:
            pending = [name for name in names if name not in held and self.results.get(name, {}).get("state") is None]
            track = Track(self, label, pending) if pending else None

        window_closed = False
        if track is not None:
            needed = self.options["restart_timeout"] if track.phase != "new" else self.options["cutoff"]
            allowed, why = self.window_allows(needed)
            if self.check_mode:
                return self._preview(entry, track, allowed, why)
            if not allowed:
                entry["gated"] = True
                window_closed = True
                self._gate_closed(track, why)
            else:
                window_closed = self._drive(track, label)
            self._account_track(track, label)
            entry.update(started=track.started or entry["started"], finished=track.finished, steps=track.steps)
        entry["finished"] = entry["finished"] or iso(self.clock.now())
        stop = rules.decide_stop(self.results, names, window_closed, self.options["failure_budget"],
                                 self.options["max_fail_percentage"])
        if stop is not None:
            self.state["stop"] = stop.to_dict()
            if self.state.get("pipeline"):
                self._finish_abandoned(Track.from_dict(self, self.state["pipeline"]), stop.reason)
                self.state["pipeline"] = None
        entry["failed"] = rules.count_state(self.results, "failed", names)
        entry["deferred"] = rules.count_state(self.results, "deferred", names)
        return self._log(entry)

    def _drive(self, track, label):
        """The poll loop: the batch to the end, and the next batch up to its delivery while this one restarts."""
        if track.phase == "new":
            track.start()
        next_track = None
        next_label = self.next_label(label)
        tracks = [track]
        while not track.idle:
            # The next batch starts once this one's patch is on its way: its policy pickup and LiveUpdate then
            # overlap this batch's LiveUpdate and restart, and it is delivered, never restarted, by then.
            if next_track is None and next_label and track.phase not in ("new", "policy"):
                next_track = self._prestage(next_label)
                if next_track is not None:
                    tracks.append(next_track)
            live = [t for t in tracks if not t.idle]
            snapshot = self.read_staged(live) if any(t.wants_snapshot for t in live) else None
            moved = False
            for current in live:
                moved = current.step(snapshot) or moved
            if not moved and not track.idle:
                self.sleep(self.options["poll_interval"])
        if next_track is not None:
            self.state["pipeline"] = next_track.to_dict()
        return track.window_closed

    def _prestage(self, label):
        """Start the next batch while this one restarts, if its whole cutoff fits in the window."""
        if self.batch_method(label) != "liveupdate":
            return None  # a package batch runs host by host in its own task, never ahead
        names = [name for name in self.batch_names(label) if self.results.get(name, {}).get("state") is None]
        held = rules.held_by_failed_partner(names, self.results, self.state["clusters"])
        names = [name for name in names if name not in held]
        if not names or not self.window_allows(self.options["cutoff"])[0]:
            return None
        track = Track(self, label, names, prestage=True)
        track.start()
        return track

    def _gate_closed(self, track, why):
        """The window holds the batch back: nothing starts; what a run staged earlier goes home."""
        staged = [name for name in track.names if self.computers[name]["group"] != self.computers[name]["home"]]
        if track.phase == "new" and not staged:
            track.settle(track.active(), "deferred", why)
            track.started = iso(self.clock.now())
            track.finished = track.started
            return
        self._finish_abandoned(track, why, account=False)

    def _finish_abandoned(self, track, why, account=True):
        for home in {self.computers[name]["home"] for name in track.names}:
            self.staging_group(home)
        track.prestage = True
        track.abandon(self.read_staged([track]), why)
        if account:
            self._account_track(track, track.label)

    def _preview(self, entry, track, allowed, why):
        """Check mode: the real gate and preflight, and nothing written."""
        would = [name for name in track.active()
                 if not at_target(self.computers[name], self.target) or self.computers[name].get("reboot_required")]
        entry.update(gated=not allowed, preview={
            "would_patch": would if allowed else [], "compliant": [n for n in track.active() if n not in would],
            "deferred": [] if allowed else would, "reason": why})
        self.changed = bool(would) and allowed
        self._say("batch %s of %d (check mode): %s" % (
            track.label, len(self.state["batches"]),
            "would patch %d, %d already at %s" % (len(would), len(track.active()) - len(would), self.target)
            if allowed else "held back - %s" % why))
        return self._log(entry)

    def method_of(self, name):
        return (self.state.get("methods") or {}).get(name, "liveupdate")

    def batch_method(self, label):
        """The delivery method of a batch: ``resume`` and every batch of a liveupdate-only plan are liveupdate."""
        methods = self.state.get("batch_methods") or []
        if label == "resume" or not methods:
            return "liveupdate"
        return methods[int(label) - 1]

    def _versions(self):
        return {name: computer.get("agent_version") for name, computer in self.computers.items()}

    def _account(self, name, host, label):
        version = self.computers.get(name, {}).get("agent_version")
        self.results[name] = {"state": host["state"], "reason": host.get("reason", ""), "batch": label,
                              "method": self.method_of(name), "version_before": host.get("version_before", version),
                              "version_after": host.get("version_after") or version, "steps": host.get("steps") or {}}

    def _account_track(self, track, label):
        for name, host in track.hosts.items():
            if host["state"] is not None:
                self._account(name, host, label)

    def _log(self, entry, announce=True):
        """Record a batch's entry, the totals and the forecast of what is left; ``announce`` says the forecast."""
        for name, result in self.results.items():
            result.setdefault("method", self.method_of(name))
        self.state["log"].append(entry)
        self.state["finished"] = max(filter(None, (self.state.get("finished"), entry["finished"], self.state["started"])))
        self.state["timeline"] = timeline(self.state)
        self.state["totals"] = rules.totals(self.results)
        stop = self.state.get("stop")
        self.state["run_failed"] = bool(stop) and stop["state"] == "skipped"
        # Only a batch that ran moves the forecast: a stopped run's later batches and check mode's previews keep it.
        if announce and not self.check_mode and not self.state["run_failed"]:
            window_stop = bool(stop)
            forecast = forecast_state(self.state, self.clock.now(), after=entry["batch"], replan=window_stop)
            if window_stop:
                forecast["line"] = stop_line(forecast, self.options["windows"])
            self.state["forecast"] = forecast
            if forecast["computers"]:
                self._say("%s: %s" % ("stopped at the window's close" if window_stop else "after batch %s" % entry["batch"],
                                      forecast["line"]))
        return entry


# -- planning ---------------------------------------------------------------------------------

# The options of a run, shared by the rollout_plan module's documentation and its action plugin.
RUN_OPTIONS = dict(
    target_version=dict(type="str", default=""),
    serial=dict(type="raw", default=[1, "10%", "25%"]),
    max_unavailable_per_cluster=dict(type="int", default=1),
    offline=dict(type="str", choices=["skip", "wait"], default="skip"),
    allow_policy=dict(type="str", default="LiveUpdate - Client Patches Allowed"),
    staging_group=dict(type="str", default="Patch Staging"),
    windows=dict(type="list", elements="dict", default=[]),
    ignore_windows=dict(type="bool", default=False),
    cutoff=dict(type="int", default=0),
    clock=dict(type="str", choices=["sepm", "controller"], default="sepm"),
    restart=dict(type="str", choices=["if_needed", "always", "never"], default="if_needed"),
    restart_prompt=dict(type="bool", default=False),
    restart_message=dict(type="str", default="Symantec Endpoint Protection client patch - restarting within the maintenance window"),
    policy_timeout=dict(type="int", default=900),
    delivery_timeout=dict(type="int", default=3600),
    restart_timeout=dict(type="int", default=1800),
    poll_interval=dict(type="float", default=30),
    failure_budget=dict(type="int", default=5),
    max_fail_percentage=dict(type="float", default=20),
    method=dict(type="str", choices=list(METHODS), default="liveupdate"),
    package=dict(type="dict", default={}),
    package_serial=dict(type="raw", default=None),
    install_timeout=dict(type="int", default=1800),
)

PLAN_OPTIONS = dict(
    RUN_OPTIONS,
    targets=dict(type="str", default=""),
    groups=dict(type="list", elements="str", default=[]),
    cluster_var=dict(type="str", default="ha_cluster"),
    cluster_pattern=dict(type="str", default=r"^(.+)-N\d+$"),
    variable_prefix=dict(type="str", default=""),
    method_var=dict(type="str", default="sepm_rollout_method"),
    package_targets=dict(type="str", default=""),
    report_dir=dict(type="path", default=""),
)
FORECAST_OPTIONS = dict(
    PLAN_OPTIONS,
    start=dict(type="str", default=""),
)
BATCH_OPTIONS = dict(
    rollout=dict(type="dict", required=True),
    batch=dict(type="str", required=True),
)

MAX_TIMEOUT = 7 * 24 * 3600
MAX_POLL_INTERVAL = 3600
MAX_NAME_LENGTH = 64


def _check_number(options, name, low, high, kind=int, label=str):
    value = options.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise SepmInputError("%s must be a number, got %r" % (label(name), value))
    if not low <= value <= high:
        raise SepmInputError("%s must be from %s to %s, got %r" % (label(name), low, high, value))
    return kind(value)


def check_options(options, prefix=""):
    """Every rollout option checked before anything is written; ValueError names the option in one line.

    ``prefix`` names the options as the caller's variables (the rollout role's ``rollout_``).
    """
    def label(name):
        return prefix + ("staging_group" if name == "staging_name" else name)

    windows = options.get("windows") or []
    if not windows and not options.get("ignore_windows"):
        raise SepmInputError("give %s (restarts happen only inside them), or set %s: true" % (label("windows"), label("ignore_windows")))
    if windows:
        try:
            parse_windows(windows)
        except (ValueError, OverflowError) as exc:  # a duration past what datetime holds overflows
            raise SepmInputError("%s: %s" % (label("windows"), exc))
    options.setdefault("install_timeout", 1800)
    for name in ("policy_timeout", "delivery_timeout", "restart_timeout", "install_timeout"):
        options[name] = _check_number(options, name, 1, MAX_TIMEOUT, label=label)
    options["poll_interval"] = _check_number(options, "poll_interval", 0.01, MAX_POLL_INTERVAL, float, label)
    if options.get("cutoff") in (None, 0):
        options["cutoff"] = options["policy_timeout"] + options["delivery_timeout"] + options["restart_timeout"]
    options["cutoff"] = _check_number(options, "cutoff", 1, MAX_TIMEOUT * 3, label=label)
    options["failure_budget"] = _check_number(options, "failure_budget", 0, 10 ** 9, label=label)
    options["max_fail_percentage"] = _check_number(options, "max_fail_percentage", 0, 100, float, label)
    options["max_unavailable_per_cluster"] = _check_number(options, "max_unavailable_per_cluster", 1, 1000, label=label)
    staging = str(options.get("staging_name") or "").strip()
    if not staging or "\\" in staging or "/" in staging or len(staging) > MAX_NAME_LENGTH:
        raise SepmInputError("%s must be one group name (no \\ or /, 1 to %d characters), got %r"
                             % (label("staging_name"), MAX_NAME_LENGTH, options.get("staging_name")))
    options["staging_name"] = staging
    target = options.get("target_version")
    if target and release_of(target) is None:
        raise SepmInputError("%s %r is not a SEP version such as 14.3.10148.9100" % (label("target_version"), target))
    try:
        batch_sizes(options.get("serial"), 1)
    except ValueError as exc:
        raise SepmInputError("%s: %s" % (label("serial"), exc))
    if options.get("package_serial") not in (None, "", []):
        try:
            batch_sizes(options["package_serial"], 1)
        except ValueError as exc:
            raise SepmInputError("%s: %s" % (label("package_serial"), exc))
    else:
        options["package_serial"] = options.get("serial")
    options["method"] = options.get("method") or "liveupdate"
    if options["method"] not in METHODS:
        raise SepmInputError("%s must be one of %s, got %r" % (label("method"), ", ".join(METHODS), options["method"]))
    return options


def newest_patch(client, sepm_release):
    """The newest Windows client patch of the SEPM's own release that its critical events announce."""
    for package in packages_from_events(client.critical_events()):
        if package["platform"] == "windows" and package["is_patch"] and package["version"] and package["release"] == sepm_release:
            return package["version"]
    return None


def _group_names(client, groups, records):
    """Names of the computers in the SEPM groups (and their subgroups); every group must exist."""
    filters = []
    for path in groups:
        found = client.group_by_path(normalize_path(path))
        filters.append(ComputerFilter(group=found.get("fullPathName") or normalize_path(path), include_subgroups=True))
    return [computer["name"] for computer in (normalize_computer(record) for record in records)
            if any(match(computer) for match in filters)]


def host_methods(names, inventory_hosts, default="liveupdate", prefix=""):
    """``{name: method}``: a host's own method (its inventory variable or group), else ``default``."""
    given = {}
    for host in inventory_hosts or []:
        method = host.get("method")
        if method:
            method = str(method).strip().lower()
            if method not in METHODS:
                raise SepmInputError("host %s: rollout method %r is not one of %s" % (host.get("host"), method, ", ".join(METHODS)))
            given[str(host.get("sepm_name") or host.get("host")).lower()] = method
    return {name: given.get(name.lower(), default) for name in names}


def check_package(package, sepm_version, target, prefix=""):
    """The package the package method installs: inspected (install_package_info), of the SEPM's release and the target."""
    if not package or not package.get("version") or not package.get("files"):
        raise SepmInputError("hosts take the package method: give %spackage_path and %spackage_version (the exported client "
                             "install package, inspected by endpoint_ops.sepm.install_package_info)" % (prefix, prefix))
    release, sepm_release = release_of(package["version"]), release_of(sepm_version)
    if release != sepm_release:
        raise SepmInputError("the install package is %s (%s), the SEPM runs %s (%s): clients take patches only in the SEPM's "
                             "own release; export the package of the SEPM's release"
                             % (package["version"], release, sepm_version, sepm_release))
    if target and version_key(target) != version_key(package["version"]):
        raise SepmInputError("the install package is %s but the run's target is %s: export the package of the target, or set "
                             "%starget_version to the package's version" % (package["version"], target, prefix))
    return package


def _plan_by_method(hosts, methods, clusters, target, sepm_version, options):
    """Batches per method (liveupdate first, then package), and the method of each batch."""
    by_cluster = {}
    for name, cluster in clusters.items():
        by_cluster.setdefault(cluster, set()).add(methods.get(name, options["method"]))
    mixed = sorted(cluster for cluster, used in by_cluster.items() if len(used) > 1)
    if mixed:
        raise SepmInputError("HA cluster %s mixes the liveupdate and package methods: give all its members one method" % mixed[0])
    batches, batch_methods, accounted, cluster_room = [], [], {}, {}
    for method in METHODS:
        chosen = [host for host in hosts if methods.get(host["name"], options["method"]) == method]
        if not chosen:
            continue
        serial = options["serial"] if method == "liveupdate" else options["package_serial"]
        plan = plan_rollout(chosen, target, sepm_version, serial, options["max_unavailable_per_cluster"],
                            options["offline"]).to_dict()
        batches.extend(plan["batches"])
        batch_methods.extend([method] * len(plan["batches"]))
        accounted.update(plan["accounted"])
        cluster_room.update(plan["cluster_room"])
    return batches, batch_methods, accounted, cluster_room


def plan_state(client, options, inventory_hosts=(), groups=(), cluster_pattern=None, prefix="", history=None):
    """Read the SEPM, plan the batches and return the run's state and the lines that show the plan.

    ``history`` holds the batch durations earlier runs measured (``forecast.durations_from_reports``),
    for the forecast of when the run will be done.
    """
    options = check_options(dict(options), prefix)
    sepm_version = (client.version() or {}).get("version")
    listing = list(client.computers()) if groups else None
    group_names = _group_names(client, groups, listing) if groups else []
    names, clusters = rules.resolve_targets(inventory_hosts, group_names, cluster_pattern)
    if not names:
        raise SepmInputError("the targets name no computer: check targets and groups")
    methods = host_methods(names, inventory_hosts, options["method"], prefix)
    inventory_names = {str(host.get("sepm_name") or host.get("host")).lower(): host.get("host") for host in inventory_hosts or []}
    uses_package = "package" in methods.values()
    uses_liveupdate = "liveupdate" in methods.values()
    package = options.get("package") or {}
    if uses_package:
        # Before anything else: a package of another release fails the plan before anything changes.
        check_package(package, sepm_version, options.get("target_version"), prefix)
    target = options.get("target_version") or (newest_patch(client, release_of(sepm_version)) if uses_liveupdate else None) \
        or (package.get("version") if uses_package else None)
    if not target:
        raise SepmInputError("the SEPM shows no client patch for its release (%s): set target_version, or let the SEPM "
                             "download client patches. %s" % (release_of(sepm_version), CONSOLE_STEPS))
    if uses_package:
        check_package(package, sepm_version, target, prefix)
    options["target_version"] = target
    options["allow_policy_id"] = find_policy(client.policy_summaries("lu"), options["allow_policy"], "lu")["id"] \
        if uses_liveupdate else None
    found = {}
    for record in listing if listing is not None else fetch_records(client, names=names):
        computer = normalize_computer(record)
        found.setdefault((computer["name"] or "").lower(), {})[computer["id"]] = computer
    accounted, computers, resume, hosts = {}, {}, [], []
    for name in names:
        matches = list(found.get(name.lower(), {}).values())
        if len(matches) != 1:
            accounted[name] = {"state": "skipped", "reason": "not found in the SEPM" if not matches else
                               "%d SEPM computers have this name" % len(matches)}
            continue
        computer = dict(matches[0], name=name, cluster=clusters.get(name), method=methods[name],
                        inventory_host=inventory_names.get(name.lower(), name),
                        home=home_of(matches[0]["group"], options["staging_name"]))
        computers[name] = computer
        if computer["home"] != computer["group"]:
            resume.append(name)
        else:
            hosts.append(computer)
    batches, batch_methods, planned, cluster_room = _plan_by_method(hosts, methods, clusters, target, sepm_version, options)
    accounted.update(planned)
    results = {}
    for name, entry in accounted.items():
        version = (computers.get(name) or {}).get("agent_version")
        results[name] = dict(entry, batch=None, method=methods.get(name, options["method"]), version_before=version,
                             version_after=version, steps={})
    clock = Clock(client, options["clock"])
    now = clock.now(refresh=True)
    state = {
        "options": options, "sepm_version": sepm_version, "started": iso(now), "finished": iso(now),
        "computers": computers, "clusters": clusters, "batches": batches, "resume": resume,
        "methods": methods, "batch_methods": batch_methods,
        "label_methods": dict([("resume", "liveupdate")] + [(str(number), method) for number, method in enumerate(batch_methods, 1)]),
        "labels": (["resume"] if resume else []) + [str(number) for number in range(1, len(batches) + 1)],
        "results": results, "log": [], "stop": None, "pipeline": None, "staging": {}, "locations": {},
        "totals": rules.totals(results), "run_failed": False, "package_batch": None,
        "cluster_room": cluster_room, "forecast_history": history or {},
    }
    state["timeline"] = timeline(state)
    state["forecast"] = forecast_state(state, now)
    # Kept as it was when the run began, so the report can set the real finish beside it.
    state["forecast_planned"] = {key: state["forecast"][key] for key in ("start", "finish", "windows_needed", "line")}
    return state, plan_lines(state, now, len(names))


def _batches_left(state, after=None, replan=False):
    """The batches still to run, as the forecast takes them: after label ``after``, without settled computers.

    With ``replan`` (the run stopped) every computer not settled for good, deferred ones included, is left
    for the next run, which plans its own batches.
    """
    results = state["results"]
    labels = state.get("labels") or [str(number) for number in range(1, len(state["batches"]) + 1)]
    methods = state.get("label_methods") or {str(number): method for number, method in enumerate(state.get("batch_methods") or (), 1)}
    position = labels.index(after) + 1 if after in labels and not replan else 0
    batches = []
    for label in labels[position:]:
        names = list(state["resume"]) if label == "resume" else list(state["batches"][int(label) - 1])
        if replan:
            names = [name for name in names if (results.get(name) or {}).get("state") in (None, "deferred")]
        else:
            names = [name for name in names if (results.get(name) or {}).get("state") is None]
        if names:
            batches.append({"label": label, "method": methods.get(label, "liveupdate"), "hosts": names})
    return batches


def forecast_state(state, now, after=None, replan=False):
    """The forecast of what is left of a run from ``now``: this run's measured pace first, then earlier runs'."""
    measured = durations_from_log(state["log"], run_started=state["started"])
    history = state.get("forecast_history") or {}
    samples = {name: measured[name] or list(history.get(name) or ()) for name in measured}
    samples["runs"] = history.get("runs", 0) + bool(state["log"])
    options = state["options"]
    batches, run = _batches_left(state, after, replan), 1
    if replan:
        # The next run plans its own batches, from the serial's start.
        run = 2
        batches = list(plan_next_run(batches, options, state["clusters"], state.get("cluster_room") or {}, run))
    return forecast_run(batches, options["windows"], now, samples, options, state["clusters"], state.get("cluster_room") or {},
                        {name: computer.get("home") for name, computer in state["computers"].items()}, run=run,
                        continuing=after is not None and not replan)


def timeline(state):
    """Where the batches and the open windows fall on the run's time axis, in percent: for the HTML report."""
    started, finished = from_iso(state["started"]), from_iso(state["finished"])
    spans = [(from_iso(entry["started"]), from_iso(entry["finished"]), entry) for entry in state["log"]
             if entry.get("started") and entry.get("finished") and not entry.get("gated")]
    if spans:
        started = min(started, min(span[0] for span in spans))
        finished = max(finished, max(span[1] for span in spans))
    length = max((finished - started).total_seconds(), 60.0)
    margin = datetime.timedelta(seconds=length * 0.05)
    axis_start, axis_end = started - margin, finished + margin
    total = (axis_end - axis_start).total_seconds()

    def place(opens, closes):
        left = max(0.0, (opens - axis_start).total_seconds() / total * 100)
        right = min(100.0, (closes - axis_start).total_seconds() / total * 100)
        return {"left": round(left, 2), "width": round(max(right - left, 0.4), 2)}

    windows = []
    if state["options"]["windows"]:
        windows = [dict(place(opens, closes), opens=iso(opens), closes=iso(closes))
                   for opens, closes in occurrences(state["options"]["windows"], axis_start, axis_end)]
    batches = []
    for opens, closes, entry in spans:
        hosts = entry["hosts"]
        counts = {state_name: rules.count_state(state["results"], state_name, hosts) for state_name in STATES}
        batches.append(dict(place(opens, closes), batch=entry["batch"], computers=len(hosts), **counts))
    versions = {}
    for host in state["results"].values():
        pair = (host.get("version_before") or "unknown", host.get("version_after") or "unknown")
        versions[pair] = versions.get(pair, 0) + 1
    return {
        "start": iso(axis_start), "end": iso(axis_end), "windows": windows, "batches": batches,
        "versions": [{"before": before, "after": after, "computers": count}
                     for (before, after), count in sorted(versions.items(), key=lambda item: -item[1])],
    }


def _method_counts(state):
    counts = {}
    for batch, method in zip(state["batches"], state.get("batch_methods") or ["liveupdate"] * len(state["batches"])):
        counts[method] = counts.get(method, 0) + len(batch)
    return counts


def plan_lines(state, now, target_count):
    options = state["options"]
    windows = options["windows"]
    if not windows:
        window = "no maintenance window (ignore_windows): batches and restarts may run at any time"
    elif is_open(windows, now):
        window = "window open now (%s clock), %s left" % (options["clock"], duration(time_left(windows, now).total_seconds()))
    else:
        opens = next_open(windows, now)
        window = "window closed now (%s clock), next opens %s" % (options["clock"], iso(opens) if opens else "never")
    left_out = rules.totals(state["results"])
    return [
        "Target version %s on SEPM %s (%d computers)" % (options["target_version"], state["sepm_version"], target_count),
        window,
        "Left by an interrupted run, finished first: %s" % (", ".join(state["resume"]) or "none"),
        "%d batches: %s" % (len(state["batches"]), [len(batch) for batch in state["batches"]]),
        "Methods: %s" % ", ".join("%d %s" % (count, method) for method, count in sorted(_method_counts(state).items())),
        "Left out: %d compliant, %d skipped" % (left_out["compliant"], left_out["skipped"]),
        "Each batch moves into '<own group>\\%s', takes %s and restarts (%s) only inside the window." % (
            options["staging_name"], options["target_version"], options["restart"]),
        "Forecast: %s; %s" % (state["forecast"]["line"], state["forecast"]["basis"]),
    ]
