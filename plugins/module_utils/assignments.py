# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Assigning a policy to a group's locations: read what is there, change only what differs.

The policy_assignment and patch_permission modules both assign through here, so
reading first, check mode and the group-wide (``lucontent``) case exist once.
"""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.policies import GROUP_POLICY_TYPES
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.settings import select_locations

GROUP_WIDE = "(all locations)"


class Assignment:
    """One policy for one group at the locations a task names, as it is now and as it should be."""

    def __init__(self, client, group, policy, location):
        self.group = group
        self.policy = policy
        self.policy_type = policy["policytype"]
        if self.policy_type in GROUP_POLICY_TYPES:
            self.location_ids = {GROUP_WIDE: None}
            self.current = {GROUP_WIDE: client.group_policy(group["id"], self.policy_type)}
        else:
            locations = select_locations(client.group_locations(group["id"]), group, location)
            self.location_ids = {loc["name"]: loc["id"] for loc in locations}
            self.current = {loc["name"]: client.location_policy(group["id"], loc["id"], self.policy_type)
                            for loc in locations}
        self.to_change = sorted(name for name, policy_id in self.current.items() if policy_id != policy["id"])

    def before(self, policy_names):
        """``{location: policy name}`` now; ``policy_names`` maps ids to names (an unknown id shows as itself)."""
        return {name: policy_names.get(policy_id, policy_id) for name, policy_id in self.current.items()}

    def after(self, policy_names):
        return dict(self.before(policy_names), **{name: self.policy["name"] for name in self.to_change})

    def apply(self, client):
        for name in self.to_change:
            if self.location_ids[name] is None:
                client.assign_group_policy(self.group["id"], self.policy_type, self.policy["id"])
            else:
                client.assign_location_policy(self.group["id"], self.location_ids[name], self.policy_type,
                                              self.policy["id"])
