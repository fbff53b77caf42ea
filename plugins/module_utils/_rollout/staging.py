# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Staging groups: where a batch takes the patch permission, and how its computers get there and back.

A staging group is ``<own group>\\<staging group name>``, created on demand without inheritance.
At every use its security policies are made equal to its parent's (the computers keep what they
run), it gets the allowing LiveUpdate policy at every location, and its SEPM restart schedule is
off: the only restart a staged computer gets is the engine's, inside the window.
"""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.options import STAGING_GROUP
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmNotFoundError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import normalize_computer
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.groups import SEPARATOR, name_of, parent_of
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.policies import LOCATION_POLICY_TYPES, assignments_by_group

STAGING_DESCRIPTION = "Computers taking a SEP client patch now (endpoint_ops.sepm rollout)"


def home_of(group_path, staging_group=STAGING_GROUP):
    """A computer's own group: the parent when it sits in a staging group (an interrupted run)."""
    if group_path and name_of(group_path).lower() == staging_group.lower() and parent_of(group_path):
        return parent_of(group_path)
    return group_path


def staging_path(home, staging_group=STAGING_GROUP):
    return home + SEPARATOR + staging_group


class Staging:
    """The staging groups of one task, made ready once each; ``owner.changed`` is set by every write."""

    def __init__(self, client, run, owner):
        self.client = client
        self.run = run
        self.owner = owner
        self.name = run.options["staging_group"]
        self._groups = {}
        self._policy_view = None
        self.read_at = None

    def is_staged(self, computer, group=None):
        group = group if group is not None else computer.get("group")
        return (group or "").lower() == staging_path(computer["home"], self.name).lower()

    def group(self, home):
        """The staging group of ``home``: created, policies as its parent's, restarts off."""
        if home in self._groups:
            return self._groups[home]
        client = self.client
        path = staging_path(home, self.name)
        group = client.find_group(path)
        parent = client.group_by_path(home)
        if group is None:
            client.create_group(parent["id"], self.name, STAGING_DESCRIPTION, inherits=False)
            self.owner.changed = True
            group = client.group_by_path(path)
        if not self.run.staging.get(group["id"]):
            self._restarts_off(group)
            self.run.staging[group["id"]] = path
        if self._sync_policies(parent, group):
            group = client.group(group["id"])
        self._groups[home] = {"id": group["id"], "serial": group.get("policySerialNumber"), "path": path}
        return self._groups[home]

    def serial_for(self, computer):
        """The policy serial a staged computer must report: its staging group's."""
        if not computer:
            return None
        staging = self._groups.get(home_of(computer.get("group"), self.name) or "")
        return staging.get("serial") if staging else None

    def _restarts_off(self, group):
        """The SEPM must not restart a staged client on its own schedule: only the engine restarts, in the window."""
        for location in self._locations(group["id"]):
            settings = self.client.location_settings(group["id"], location["id"]) or {}
            restart = ((settings.get("configuration") or {}).get("general_settings") or {}).get("restart") or {}
            if restart.get("enabled") or restart.get("force"):
                self.client.update_location_settings(group["id"], location["id"], {
                    "general_settings": {"restart": {"enabled": False, "force": False}}})
                self.owner.changed = True

    def _locations(self, group_id):
        cache = self.run.locations
        if group_id not in cache:
            cache[group_id] = self.client.group_locations(group_id)
        return cache[group_id]

    def _policies(self):
        """Direct assignments of every group, and groups by path: two requests per task, whatever the fleet."""
        if self._policy_view is None:
            groups = {(group.get("fullPathName") or "").lower(): group for group in self.client.groups()}
            self._policy_view = (assignments_by_group(self.client.policy_summaries()), groups)
        return self._policy_view

    def _effective(self, group, location_name, policy_type):
        """The policy a group's location runs: its own, else (while it inherits) its parent's."""
        assigned, by_path = self._policies()
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
                wanted = self.run.options["allow_policy_id"] if policy_type == "lu" else \
                    self._effective(parent, location["name"] or "Default", policy_type)
                if wanted and (own.get(policy_type) or {}).get("id") != wanted:
                    self.client.assign_location_policy(group["id"], location["id"], policy_type, wanted)
                    changed = True
        if changed:
            self.owner.changed = True
            self._policy_view = None
        return changed

    # -- moving and reading ------------------------------------------------------------------

    def move(self, moves):
        """Move (hardware key, group id) pairs in one request; returns the names the SEPM refused."""
        if not moves:
            return []
        self.owner.changed = True
        replies = self.client.move_computers(moves)
        by_key = {computer["hardware_key"]: name for name, computer in self.run.computers.items()}
        return [by_key[key] for (key, _group_id), reply in zip(moves, replies) if str(reply.get("responseCode")) != "200"]

    def stage(self, names):
        """Move ``names`` into their staging groups (one request); returns the names the SEPM refused."""
        computers = self.run.computers
        for home in sorted({computers[name]["home"] for name in names}):
            self.group(home)
        moving = [name for name in names if not self.is_staged(computers[name])]
        refused = self.move([(computers[name]["hardware_key"], self._groups[computers[name]["home"]]["id"]) for name in moving])
        for name in set(moving) - set(refused):
            computers[name]["group"] = self._groups[computers[name]["home"]]["path"]
        return refused

    def read(self, names):
        """Current records of ``names``: one read of each staging group they are in; the run's computers are updated.

        Only those groups: a batch whose computers sit in other staging groups is not read for this one's waits.
        ``read_at`` is then when the reading began, on the run's clock: the waits and the health checks judge it
        by that time, not by a later reply's.
        """
        wanted = set(names)
        homes = sorted({self.run.computers[name]["home"] for name in wanted})
        # A batch carried over from the last task is read from its staging groups, made ready at their first use here.
        for home in homes:
            self.group(home)
        found, read_at = {}, []
        for staging in (self._groups[home] for home in homes):
            # When the group's read began: its pages come over seconds (minutes on the SEPM's clock at 50,000), and
            # every record in them is at least this new, so a wait or a health check judged by it never runs ahead.
            read_at.append(self.owner.now())
            for record in self.client.computers(group_id=staging["id"]):
                # Another batch's computers share the staging group: only the wanted ones are worth normalizing.
                if record.get("computerName") in wanted:
                    computer = normalize_computer(record)
                    found[computer["name"]] = computer
        # The reading is as old as its oldest group's: a slow reply to a later group must not age the earlier ones.
        self.read_at = min(read_at) if read_at else self.owner.now()
        for name, computer in found.items():
            self.run.update_computer(name, computer)
        return found

    def send_home(self, names, snapshot):
        """Every computer of ``names`` still in a staging group goes back to its own group; ``{name: why}`` for those left."""
        computers = self.run.computers
        homes = {}
        for name in names:
            group = (snapshot.get(name) or computers[name]).get("group")
            if self.is_staged(computers[name], group):
                homes.setdefault(computers[name]["home"], []).append(name)
        left, moves = {}, []
        for home, members in homes.items():
            try:
                home_id = self.client.group_by_path(home)["id"]
            except SepmNotFoundError:
                left.update((name, "its home group %s no longer exists; left in the staging group" % home) for name in members)
                continue
            moves.extend((computers[name]["hardware_key"], home_id) for name in members)
        for name in self.move(moves):
            # Whatever it reached before, a computer left in a staging group keeps the patch permission: a failure.
            left[name] = "the SEPM refused to move it back to %s; it is still in the staging group" % computers[name]["home"]
        moved = {key for key, _group_id in moves}
        for name in names:
            if computers[name]["hardware_key"] in moved and name not in left:
                computers[name]["group"] = computers[name]["home"]
        return left
