# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Soak time: after its first batches, a rollout waits until their computers have run the patch a while. Pure Python.

``rollout_soak: {after: 1, for: 24h}`` holds every batch after the first ``after`` until the
computers of those batches (the *soaked* ones) have been at the target for ``for`` and still
pass the health checks. A run that meets an unfinished soak ends as at a closed window: the
rest is deferred "soaking until <time>", the run succeeds, a later run goes on. ``check_soak``
reads the option, ``decide`` answers before a batch: go on, soak, or stop.

Nothing is kept on the controller, so every run (a fresh AWX pod) finds the soak in the
SEPM's computer records alone, by this rule:

* **How many are soaked**: N, the sizes of the first ``after`` batches that the run's serial
  gives for all the run's targets, those at the target already included (``cohort_size``),
  so every run of the rollout counts the same N (``[1, "10%"]`` with ``after: 1`` soaks 1).
* **Which ones**: the targets at the target version (``agent_version``), since their
  ``last_deployment_time`` (the SEPM's ``lastDeploymentTime``: the restart that installed the
  patch sets it), the N that got it first. A deployment before ``since_ms`` does not count:
  pass the moment the SEPM announced the target patch (``arrival_ms`` of its "New software
  package available" event), and a computer that ran the version before the SEPM had the
  patch (installed from a package of that version) is no evidence about the patch. Every
  target that reached the version since then is, whoever patched it.
* **Fewer than N** of them: the soak has not begun. The run's first ``after`` batches go
  (they patch the soaked computers); a later batch waits, soaking until N are at the target.
* **N or more**: the soak ends ``for`` after the last of the N got the patch. Before a batch
  goes, each soaked computer is judged by the health checks, with no record from before
  (``health``: a switch disabled or malfunctioning, an infection). One that fails stops the
  rollout; so does one that never checked in after its patch (its last check-in less than
  half the settle time after its deployment, once the settle time has passed). One that is
  offline after it checked in for a while holds the soak until it checks in again.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.health import (
    DEFAULT_CHECKS, DEFAULT_HEARTBEAT_S, DEFAULT_SETTLE, Timing, judge, unhealthy_reason)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.plan import batch_sizes
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import is_below
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import parse_duration

__all__ = ["SoakDecision", "check_soak", "cohort_size", "decide", "arrival_ms"]

GO, SOAKING, STOP = "go", "soaking", "stop"
# The checks a soaked computer is judged by; the others compare with a record from before, which a later run has not.
SOAK_CHECKS = ("protection", "not_infected")
_KEYS = ("after", "for")
_UTC = datetime.timezone.utc
_SQL_TIME = re.compile(r"^\s*(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(\.\d+)?")


def _iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000.0, _UTC).isoformat(timespec="seconds")


def check_soak(value, option="soak"):
    """The soak option, checked: None (no soak) or ``{"after": batches, "for_s": seconds}``."""
    if value is None or value == {} or value == "":
        return None
    if not isinstance(value, dict):
        raise SepmInputError("%s must be a dict such as {after: 1, for: 24h}, got %r" % (option, value))
    unknown = sorted(str(key) for key in value if key not in _KEYS)
    if unknown:
        raise SepmInputError("%s: unknown key %r; give after (batches) and for (a duration such as 24h)" % (option, unknown[0]))
    after = value.get("after", 1)
    if isinstance(after, bool) or not isinstance(after, int) or after < 1:
        raise SepmInputError("%s.after must be a whole number of batches, 1 or more, got %r" % (option, after))
    if value.get("for") is None:
        raise SepmInputError("%s.for is required: how long the first batches soak, such as 24h" % option)
    return {"after": after, "for_s": int(parse_duration(value["for"], option + ".for").total_seconds())}


def cohort_size(soak, serial, targets):
    """N: how many computers soak, the first ``soak["after"]`` batch sizes of ``serial`` for ``targets`` computers."""
    return sum(batch_sizes(serial, targets)[:soak["after"]])


def arrival_ms(packages, target_version):
    """When the SEPM announced the target patch (epoch ms), from ``patches.packages_from_events``; None if it did not."""
    moments = []
    for package in packages or ():
        # The SEPM's event time is UTC text such as "2026-11-24 07:50:41.5".
        found = _SQL_TIME.match(str(package.get("arrived") or "")) if package.get("version") == target_version else None
        if found:
            moment = datetime.datetime.strptime(found.group(1).replace("T", " "), "%Y-%m-%d %H:%M:%S").replace(tzinfo=_UTC)
            moments.append(moment.timestamp() * 1000 + float("0" + (found.group(2) or "")) * 1000)
    return int(min(moments)) if moments else None


class SoakDecision:
    """``go``, ``soaking`` (``until_ms``, None while it waits for computers) or ``stop``, with the reason in words."""

    def __init__(self, state, reason="", until_ms=None, soaked=()):
        self.state = state
        self.reason = reason
        self.until_ms = until_ms
        self.soaked = list(soaked)

    def to_dict(self):
        return {"state": self.state, "reason": self.reason, "until": _iso(self.until_ms) if self.until_ms else None,
                "soaked": list(self.soaked)}

    def __repr__(self):
        return "SoakDecision(%r, %r)" % (self.state, self.reason)


def _soaked(computers, target_version, size, since_ms):
    """The N computers at the target that got it first (at or after ``since_ms``)."""
    patched = [computer for computer in computers
               if computer.get("agent_version") and not is_below(computer["agent_version"], target_version)
               and isinstance(computer.get("last_deployment_time"), int)
               and (since_ms is None or computer["last_deployment_time"] >= since_ms)]
    patched.sort(key=lambda computer: (computer["last_deployment_time"], computer.get("name") or ""))
    return patched[:size]


def _judge(computer, now_ms, checks, settle_s):
    """(stop reason, wait reason) for one soaked computer; both None when it is fine."""
    deployed = computer["last_deployment_time"]
    failures = judge(None, computer, Timing(deployed), [name for name in SOAK_CHECKS if name in checks])
    if failures:
        return "soaked computer %s is %s" % (computer.get("name"), unhealthy_reason(failures)), None
    if "checked_in" not in checks:
        return None, None
    last = computer.get("last_update_time") or 0
    if now_ms >= deployed + settle_s * 1000 and last < deployed + settle_s * 500:
        return "soaked computer %s stopped checking in after its patch (last check-in %s)" % (
            computer.get("name"), _iso(last) if last else "never"), None
    if not computer.get("online"):
        return None, "soaked computer %s is offline since %s" % (computer.get("name"), _iso(last) if last else "its patch")
    return None, None


def decide(soak, computers, target_version, serial, batch_number, now_ms, since_ms=None, checks=DEFAULT_CHECKS,  # pylint: disable=too-many-arguments
           settle_s=DEFAULT_SETTLE * DEFAULT_HEARTBEAT_S):
    """May batch ``batch_number`` (from 1, in this run) go now? See the module docstring for the rule.

    ``computers``: every target of the run, as the SEPM shows them now (normalized records).
    """
    if soak is None:
        return SoakDecision(GO)
    size = cohort_size(soak, serial, len(computers))
    soaked = _soaked(computers, target_version, size, since_ms)
    names = [computer.get("name") for computer in soaked]
    if len(soaked) < size:
        if batch_number <= soak["after"]:
            return SoakDecision(GO, "patching the %d computer(s) that soak" % size, soaked=names)
        return SoakDecision(SOAKING, "soaking: waiting for %d computer(s) at %s, %d are" % (size, target_version, len(soaked)),
                            soaked=names)
    waits = []
    for computer in soaked:
        stop, wait = _judge(computer, now_ms, checks, settle_s)
        if stop:
            return SoakDecision(STOP, stop, soaked=names)
        if wait:
            waits.append(wait)
    until = max(computer["last_deployment_time"] for computer in soaked) + soak["for_s"] * 1000 if soaked else now_ms
    if now_ms < until:
        return SoakDecision(SOAKING, "soaking until %s" % _iso(until), until, names)
    if waits:
        return SoakDecision(SOAKING, "soaking: %s" % "; ".join(waits), None, names)
    return SoakDecision(GO, "soaked %s" % ", ".join(names) if names else "", soaked=names)
