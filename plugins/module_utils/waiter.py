# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a rollout waits for, as named conditions, and one Wait that tracks them. Pure Python.

A condition takes what the SEPM last said of one computer (a normalized record, or a
command row) and answers whether the wait is over for it. A ``Wait`` holds the computers
still waiting and a deadline on the run's clock; the engine feeds it each poll's reading,
so every wait of a run - policy serials, LiveUpdate, restarts - shares one poll loop and
one request per poll.
"""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import is_below


def at_target(computer, target_version):
    return bool(computer) and not is_below(computer.get("agent_version"), target_version)


def policy_applied(computer, serial):
    """The client runs its group's current policy set (the serials are equal)."""
    return bool(computer) and bool(serial) and computer.get("profile_serial") == serial


def patch_arrived(computer, target_version):
    """The patch is installed, or staged on the client and waiting for a restart."""
    if not computer:
        return False
    return at_target(computer, target_version) or (
        bool(computer.get("reboot_required")) and not is_below(computer.get("target_version"), target_version))


def back_at_target(computer, target_version):
    """Back online at the target version with no restart pending."""
    return bool(computer) and bool(computer.get("online")) and at_target(computer, target_version) \
        and not computer.get("reboot_required")


def command_final(row):
    """The SEPM is done with the command on this computer (completed, rejected, cancelled or error)."""
    return bool(row) and bool(row.get("final"))


class Wait:
    """Names waiting for ``condition(reading)`` until ``deadline`` (a datetime on the run's clock)."""

    def __init__(self, name, names, condition, deadline):
        self.name = name
        self.waiting = list(names)
        self.condition = condition
        self.deadline = deadline

    def update(self, readings, now):
        """Drop the names whose reading meets the condition; True when the wait is over (done or timed out)."""
        self.waiting = [name for name in self.waiting if not self.condition(readings.get(name))]
        return not self.waiting or now >= self.deadline

    @property
    def timed_out_names(self):
        return list(self.waiting)
