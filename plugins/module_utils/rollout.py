# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""One rollout batch through the SEPM, the liveupdate way (README: "Rolling a patch out").

Stage the batch in a ``Patch Staging`` child of each computer's own group (whose
LiveUpdate policy allows client patches), wait until every client runs that group's
policy, send one ``updatecontent``, wait for the patch, restart inside the window,
verify the version, and move every computer back home, failed ones included.

Every step talks to the SEPM in bulk: one move request for the batch, one command, and
polls that read a command's status or a staging group's computers a page at a time.
Timeouts and windows are measured on one clock - the SEPM's, from the Date header of its
replies, by default - so what the rollout decides matches when the SEPM restarts clients.
"""

from __future__ import annotations

import datetime
import time

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmNotFoundError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.commands import read_command, summarize_rows
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import normalize_computer
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.groups import SEPARATOR, name_of, parent_of
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.policies import LOCATION_POLICY_TYPES
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.settings import default_location
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import is_below
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import is_open, time_left

STAGING_GROUP = "Patch Staging"
STATES = ("patched", "compliant", "failed", "deferred", "skipped")


def home_of(group_path, staging_name=STAGING_GROUP):
    """A computer's own group: the parent when it sits in a staging group (an interrupted run)."""
    if group_path and name_of(group_path).lower() == staging_name.lower() and parent_of(group_path):
        return parent_of(group_path)
    return group_path


def staging_path(home, staging_name=STAGING_GROUP):
    return home + SEPARATOR + staging_name


def at_target(computer, target_version):
    return not is_below(computer.get("agent_version"), target_version)


def iso(moment):
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="seconds") if moment else None


class Clock:
    """``now()`` on the SEPM's clock (the Date of its latest reply) or on the controller's."""

    def __init__(self, client, source="sepm"):
        self._client = client
        self._source = source

    def now(self, refresh=False):
        if self._source == "controller":
            return datetime.datetime.now(datetime.timezone.utc)
        return self._client.server_time(refresh=refresh)


class Options:
    """What a batch is told to do; plain attributes so tests can build one."""

    def __init__(self, target_version, allow_policy_id, windows=None, cutoff=None, restart="if_needed",
                 restart_prompt=False, restart_message="", policy_timeout=900, delivery_timeout=3600,
                 restart_timeout=1800, poll_interval=30, staging_name=STAGING_GROUP):
        self.target_version = target_version
        self.allow_policy_id = allow_policy_id
        self.windows = windows or []
        self.policy_timeout = policy_timeout
        self.delivery_timeout = delivery_timeout
        self.restart_timeout = restart_timeout
        self.cutoff = cutoff if cutoff is not None else policy_timeout + delivery_timeout + restart_timeout
        self.restart = restart
        self.restart_prompt = restart_prompt
        self.restart_message = restart_message
        self.poll_interval = poll_interval
        self.staging_name = staging_name


class Batch:
    """One batch: its computers (normalized records from the plan) and what becomes of each."""

    def __init__(self, client, computers, options, clock=None, sleep=time.sleep):
        self.client = client
        self.options = options
        self.clock = clock or Clock(client)
        self.sleep = sleep
        self.computers = {c["name"]: dict(c, home=home_of(c["group"], options.staging_name)) for c in computers}
        self.hosts = {name: {"state": None, "reason": "", "version_before": c.get("agent_version"),
                             "version_after": None, "steps": {}}
                      for name, c in self.computers.items()}
        self.staging = {}
        self.timeline = {}
        self.changed = False

    # -- bookkeeping ------------------------------------------------------------------------

    def active(self):
        return [name for name, host in self.hosts.items() if host["state"] is None]

    def settle(self, names, state, reason=""):
        for name in names:
            if self.hosts[name]["state"] is None:
                self.hosts[name].update(state=state, reason=reason)

    def mark(self, names, step):
        moment = iso(self.clock.now())
        for name in names:
            self.hosts[name]["steps"][step] = moment
        self.timeline[step] = moment

    # -- the gate -----------------------------------------------------------------------------

    def window_allows(self, needed_seconds):
        """(allowed, reason): the window is open with at least ``needed_seconds`` left, or there is none."""
        if not self.options.windows:
            return True, ""
        now = self.clock.now(refresh=True)
        if not is_open(self.options.windows, now):
            return False, "maintenance window closed"
        left = time_left(self.options.windows, now).total_seconds()
        if left < needed_seconds:
            return False, "maintenance window closes in %dm, less than the %dm this step may take" % (
                left // 60, needed_seconds // 60)
        return True, ""

    # -- steps --------------------------------------------------------------------------------

    def run(self):
        started = iso(self.clock.now(refresh=True))
        allowed, reason = self.window_allows(self.options.cutoff)
        if not allowed:
            self.settle(self.active(), "deferred", reason)
            # Computers an interrupted run left staged go home even when the window is closed.
            self.return_home()
            return self.result(started, gated=True)
        done = [name for name, c in self.computers.items() if c["home"] == c["group"] and at_target(c, self.options.target_version)
                and not c.get("reboot_required")]
        self.settle(done, "compliant", "already at %s" % self.options.target_version)
        if not self.active():
            return self.result(started, gated=False)
        try:
            self.stage()
            self.wait_for_policy()
            self.deliver()
            self.restart()
        finally:
            self.return_home()
        return self.result(started, gated=False)

    def result(self, started, gated):
        for name, host in self.hosts.items():
            host["version_after"] = host["version_after"] or self.computers[name].get("agent_version")
        return {
            "hosts": self.hosts,
            "started": started,
            "finished": iso(self.clock.now()),
            "gated": gated,
            "steps": self.timeline,
            "changed": self.changed,
        }

    def stage(self):
        """Move the batch into ``<home>\\Patch Staging`` groups whose LiveUpdate policy allows patches."""
        batch = [self.computers[name] for name in self.active()]
        for home in sorted({c["home"] for c in batch}):
            self.staging[home] = self.ensure_staging_group(home)
        moves = [(c["hardware_key"], self.staging[c["home"]]["id"]) for c in batch
                 if (c["group"] or "").lower() != staging_path(c["home"], self.options.staging_name).lower()]
        refused = self.move(moves)
        for name in refused:
            self.settle([name], "failed", "the SEPM refused to move it to the staging group")
        self.mark(self.active(), "staged")

    def ensure_staging_group(self, home):
        client = self.client
        path = staging_path(home, self.options.staging_name)
        group = client.find_group(path)
        if group is None:
            parent = client.group_by_path(home)
            client.create_group(parent["id"], self.options.staging_name,
                                "Computers taking a SEP client patch now (endpoint_ops.sepm rollout)", inherits=False)
            self.changed = True
            group = client.group_by_path(path)
            self.copy_policies(parent, group)
        locations = client.group_locations(group["id"])
        for location in locations:
            if client.location_policy(group["id"], location["id"], "lu") != self.options.allow_policy_id:
                client.assign_location_policy(group["id"], location["id"], "lu", self.options.allow_policy_id)
                self.changed = True
        # The serial changes with every policy change: read it after the assignments.
        return client.group(group["id"])

    def copy_policies(self, parent, group):
        """A new staging group keeps its parent's security policies; only the patch permission differs."""
        client = self.client
        parent_locations = client.group_locations(parent["id"])
        parent_default = default_location(parent_locations, parent)
        by_name = {(loc["name"] or "").lower(): loc for loc in parent_locations}
        for location in client.group_locations(group["id"]):
            source = by_name.get((location["name"] or "").lower(), parent_default)
            if source is None:
                continue
            for policy_type in LOCATION_POLICY_TYPES:
                if policy_type == "lu":
                    continue
                wanted = client.location_policy(parent["id"], source["id"], policy_type)
                if wanted and client.location_policy(group["id"], location["id"], policy_type) != wanted:
                    client.assign_location_policy(group["id"], location["id"], policy_type, wanted)

    def move(self, moves):
        """Move (hardware key, group id) pairs in one request; returns the names the SEPM refused."""
        if not moves:
            return []
        self.changed = True
        replies = self.client.move_computers(moves)
        by_key = {c["hardware_key"]: name for name, c in self.computers.items()}
        return [by_key[key] for (key, _group_id), reply in zip(moves, replies)
                if str(reply.get("responseCode")) != "200"]

    def read_staged(self):
        """Current records of the batch's computers: one read per staging group, a page at a time."""
        found = {}
        wanted = set(self.computers)
        for group in self.staging.values():
            for record in self.client.computers(group_id=group["id"]):
                computer = normalize_computer(record)
                if computer["name"] in wanted:
                    found[computer["name"]] = computer
        for name, computer in found.items():
            self.computers[name].update({k: v for k, v in computer.items() if k != "home"})
        return found

    def poll(self, timeout, done):
        """Read the staged computers until ``done(name, computer)`` holds for every active one, or timeout."""
        deadline = self.clock.now(refresh=True) + datetime.timedelta(seconds=timeout)
        while True:
            current = self.read_staged()
            waiting = [name for name in self.active() if not done(name, current.get(name))]
            if not waiting or self.clock.now() >= deadline:
                return waiting, current
            self.sleep(self.options.poll_interval)

    def wait_for_policy(self):
        """Clients pick the staging policy up at their next heartbeat; updating before that takes nothing."""
        serial = {home: group.get("policySerialNumber") for home, group in self.staging.items()}

        def applied(name, computer):
            return computer is not None and computer["profile_serial"] == serial[self.computers[name]["home"]]

        waiting, current = self.poll(self.options.policy_timeout, applied)
        for name in waiting:
            computer = current.get(name) or {}
            reason = "offline" if not computer.get("online") else "still runs policy serial %s" % computer.get("profile_serial")
            self.settle([name], "failed", "did not apply the staging group's policy within %ds (%s)" % (
                self.options.policy_timeout, reason))
        self.mark(self.active(), "policy_applied")

    def deliver(self):
        """One updatecontent for the batch; wait until each client has the patch pending or installed."""
        names = [name for name in self.active() if not self.has_patch(self.computers[name])]
        if names:
            command = self.client.send_command("updatecontent", computer_ids=[self.computers[n]["id"] for n in names])
            self.changed = True
            command_id = command.get("commandID_computer")
            rows = self.wait_command(command_id, self.options.delivery_timeout)
            current = self.read_staged()
            for name in names:
                computer = current.get(name)
                if computer is not None and self.has_patch(computer):
                    continue
                row = rows.get(self.computers[name]["id"])
                if row is None or not row["final"]:
                    reason = "LiveUpdate did not finish within %ds" % self.options.delivery_timeout
                elif row["state"] != "COMPLETED":
                    reason = "LiveUpdate %s: %s" % (row["state"].lower(), row["sub_state"])
                else:
                    reason = "LiveUpdate ran but took no patch (does the staging policy allow client patches?)"
                self.settle([name], "failed", reason)
        self.mark(self.active(), "delivered")

    def has_patch(self, computer):
        target = self.options.target_version
        return at_target(computer, target) or (
            computer.get("reboot_required") and not is_below(computer.get("target_version"), target))

    def wait_command(self, command_id, timeout):
        """Poll a command's status (one read per poll) until every computer is final; rows by computer id."""
        deadline = self.clock.now(refresh=True) + datetime.timedelta(seconds=timeout)
        while True:
            rows = read_command(self.client, command_id)
            if summarize_rows(rows)["done"] or self.clock.now() >= deadline:
                return {row["computer_id"]: row for row in rows}
            self.sleep(self.options.poll_interval)

    def restart(self):
        """Restart the computers that need it, only with the whole restart still inside the window."""
        current = {name: self.computers[name] for name in self.active()}
        done = [name for name, c in current.items() if at_target(c, self.options.target_version) and not c["reboot_required"]]
        self.settle(done, "patched")
        if self.options.restart == "always":
            needing = self.active()
        else:
            needing = [name for name in self.active() if self.computers[name]["reboot_required"]]
        if not needing:
            return
        if self.options.restart == "never":
            self.settle(needing, "deferred", "the patch waits for a restart (restart: never)")
            return
        allowed, reason = self.window_allows(self.options.restart_timeout)
        if not allowed:
            self.settle(needing, "deferred", reason + " before the restart; the patch waits for a restart")
            return
        body = {"prompt_type": "prompt" if self.options.restart_prompt else "no_prompt", "schedule_type": "now",
                "message": self.options.restart_message}
        command = self.client.send_command("restart", computer_ids=[self.computers[n]["id"] for n in needing], body=body)
        self.changed = True
        self.mark(needing, "restart_sent")

        def back(name, computer):
            return computer is not None and computer["online"] and at_target(computer, self.options.target_version) \
                and not computer["reboot_required"]

        waiting, current = self.poll(self.options.restart_timeout, back)
        rows = {row["computer_id"]: row for row in read_command(self.client, command.get("commandID_computer"))}
        for name in waiting:
            computer = current.get(name) or {}
            row = rows.get(self.computers[name]["id"])
            if row and row["final"] and row["state"] != "COMPLETED":
                reason = "restart %s: %s" % (row["state"].lower(), row["sub_state"])
            elif not computer.get("online"):
                reason = "did not come back online within %ds of the restart" % self.options.restart_timeout
            else:
                reason = "came back without the patch (version %s)" % computer.get("agent_version")
            self.settle([name], "failed", reason)
        self.settle(self.active(), "patched")
        self.mark([n for n in needing if self.hosts[n]["state"] == "patched"], "verified")

    def return_home(self):
        """Every computer goes back to its own group, whatever happened to it."""
        current = self.read_staged() if self.staging else {}
        homes = {}
        for name, computer in self.computers.items():
            group = (current.get(name) or computer).get("group") or ""
            if group.lower() == staging_path(computer["home"], self.options.staging_name).lower():
                homes.setdefault(computer["home"], []).append(name)
        moves = []
        for home, names in homes.items():
            try:
                home_id = self.client.group_by_path(home)["id"]
            except SepmNotFoundError:
                self.settle(names, "failed", "its home group %s no longer exists; left in the staging group" % home)
                continue
            moves.extend((self.computers[name]["hardware_key"], home_id) for name in names)
        for name in self.move(moves):
            # Whatever it reached before, a computer left in a staging group keeps the patch permission: a failure.
            self.hosts[name].update(state="failed", reason="the SEPM refused to move it back to %s; it is still in the "
                                    "staging group" % self.computers[name]["home"])
        self.mark(list(self.computers), "returned")
