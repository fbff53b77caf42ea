# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Health after the patch: does a computer back at the target still protect? Pure Python, no Ansible or HTTP import.

A computer's SEPM record after the patch (normalized by ``computers.normalize_computer``)
is judged against its own record from before the batch, by named checks:

``checked_in``
    online, with a check-in (``lastUpdateTime``) after its restart, and after the check-in
    it came back with: a client reports once as it boots, and a patch that breaks its
    communication shows only in the heartbeats that should follow.
``protection``
    Auto-Protect, the scan engine, the firewall and Tamper Protection (``apOnOff``,
    ``avEngineOnOff``, ``firewallOnOff``, ``tamperOnOff``): a switch on before and not on
    after fails; one not on before (disabled by policy, not installed, ...) never does.
``not_infected``
    not newly infected (``infected``), nor infected by something worse than before
    (``worstInfectionIdx``: 0 viral is the worst, 9999 no detections).
``definitions``
    the virus definitions (``avDefsetVersion``, ``YYMMDDrrr``) not older than before.
``no_restart_pending``
    no restart still pending (``rebootRequired``).

The default set is all five (``DEFAULT_CHECKS``): each catches one way a patch can leave a
computer worse off while it reports the target version. ``select_checks`` takes a list of
names (``[]`` for none).

The switch codes are the SEPM's (its database's ``SEM_AGENT`` columns): 0 disabled, 1 on,
2 not installed, 3 disabled by policy, 4 malfunctioning, 5 disabled as unlicensed, 127
status not reported (also right after a restart, before the client has told). Only 1 is on.

Without a record from before (``before`` None: a run that finds a computer patched by an
earlier run, for the soak) a check judges what it can alone: ``protection`` fails a switch
that is disabled (0) or malfunctioning (4), the states no policy, installation choice or
licence explains; ``not_infected`` fails an infected computer; ``definitions`` passes.

**Settling** (``verdict``). Right after its restart a client may not have reported
everything yet (a switch at 127, Auto-Protect starting after the definitions load), and a
client that stopped checking in looks fine in the one report it sent. So a computer is
healthy as soon as every check passes on a reading, and unhealthy only when a check still
fails ``settle`` seconds after it came back; before that it is waiting. The default settle is
two heartbeats (``DEFAULT_SETTLE``): the client reports once as it boots (Broadcom KB 156653:
"the first heartbeat occurs immediately after the client starts"), the next heartbeat
comes at most one interval later and proves it still checks in, and the second one gives a
late switch one more report. The SEPM's default heartbeat is 5 minutes (KB 156653); the
group's own is in its location's communication settings (``heartbeat_seconds``).
"""

from __future__ import annotations

import re

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import parse_duration

__all__ = ["CHECKS", "DEFAULT_CHECKS", "DEFAULT_SETTLE", "DEFAULT_HEARTBEAT_S", "SWITCHES", "Timing", "Verdict",
           "judge", "verdict", "select_checks", "unhealthy_reason", "check_settle", "settle_seconds", "heartbeat_seconds",
           "switch_state"]

CHECKS = ("checked_in", "protection", "not_infected", "definitions", "no_restart_pending")
DEFAULT_CHECKS = CHECKS
# (normalized field, what a user calls it)
SWITCHES = (("ap_on_off", "Auto-Protect"), ("av_engine_on_off", "Scan engine"), ("firewall_on_off", "Firewall"),
            ("tamper_on_off", "Tamper Protection"))
SWITCH_ON = 1
SWITCH_STATES = {0: "off", 1: "on", 2: "not installed", 3: "disabled by policy", 4: "malfunctioning",
                 5: "disabled as unlicensed", 127: "not reported"}
# Without a record from before: the states a switch is in only when something broke it.
SWITCH_BROKEN = (0, 4)
NO_DETECTIONS = 9999
SEVERITY_NAMES = {0: "viral", 1: "non-viral malicious", 2: "malicious", 3: "antivirus heuristic", 5: "hack tool",
                  6: "spyware", 7: "trackware", 8: "dialer", 9: "remote access", 10: "adware", 11: "jokeware",
                  12: "client compliancy", 13: "generic load point", 14: "proactive threat scan heuristic", 15: "cookie"}
DEFAULT_SETTLE = 2  # heartbeats
DEFAULT_HEARTBEAT_S = 300
MAX_SETTLE_HEARTBEATS = 20
UNHEALTHY = "unhealthy after the patch"
_HEARTBEATS = re.compile(r"^\s*(\d+)\s*(?:heartbeats?)?\s*$", re.IGNORECASE)


class Timing:
    """The moments (epoch milliseconds) a computer's checks are judged by.

    ``restarted_ms``: when its restart was sent (or its endpoint restart began); for a computer
    patched by an earlier run, its ``last_deployment_time``. ``came_back_ms``: the
    ``last_update_time`` of the first reading that showed it back at the target, or None.
    """

    def __init__(self, restarted_ms=None, came_back_ms=None):
        self.restarted_ms = restarted_ms
        self.came_back_ms = came_back_ms

    def __repr__(self):
        return "Timing(restarted_ms=%r, came_back_ms=%r)" % (self.restarted_ms, self.came_back_ms)


def switch_state(code):
    """A switch code in words: 'off', 'on', 'disabled by policy', ..."""
    return SWITCH_STATES.get(code, "not reported" if code is None else "in state %s" % code)


def _severity(value):
    """The worst detection's severity as an int, or None for no detections (9999) or nothing known."""
    try:
        severity = int(value)
    except (TypeError, ValueError):
        return None
    return None if severity == NO_DETECTIONS else severity


def _severity_name(severity):
    return SEVERITY_NAMES.get(severity, "severity %s" % severity)


def _definitions(value):
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def checked_in(_before, after, timing):
    """Online, and checked in since its restart and since the check-in it came back with."""
    if not after.get("online"):
        return "offline"
    last = after.get("last_update_time")
    if last is None or (timing.restarted_ms is not None and last <= timing.restarted_ms):
        return "no check-in since its restart"
    if timing.came_back_ms is not None and last <= timing.came_back_ms:
        return "no check-in since it came back from its restart"
    return None


def protection(before, after, _timing):
    """Each protection switch on before is on after; without a record from before, none is disabled or malfunctioning."""
    broken = []
    for field, label in SWITCHES:
        now = after.get(field)
        if before is None:
            if now in SWITCH_BROKEN:
                broken.append("%s %s" % (label, switch_state(now)))
        elif before.get(field) == SWITCH_ON and now != SWITCH_ON:
            broken.append("%s %s, on before" % (label, switch_state(now)))
    return "; ".join(broken) or None


def not_infected(before, after, _timing):
    """Not infected where it was not, and not by something worse than before."""
    if not after.get("infected"):
        return None
    worst = _severity(after.get("worst_infection_idx"))
    what = "infected" + (" (worst detection: %s)" % _severity_name(worst) if worst is not None else "")
    if before is None or not before.get("infected"):
        return what + ("" if before is None else ", not before")
    was = _severity(before.get("worst_infection_idx"))
    if worst is not None and (was is None or worst < was):
        return "%s, worse than the %s before" % (what, _severity_name(was) if was is not None else "infection")
    return None


def definitions(before, after, _timing):
    """The virus definitions are not older than before."""
    if before is None:
        return None
    was, now = _definitions(before.get("av_defset_version")), _definitions(after.get("av_defset_version"))
    if was is not None and now is not None and now < was:
        return "virus definitions %s, older than the %s before" % (after.get("av_defset_version"), before.get("av_defset_version"))
    return None


def no_restart_pending(_before, after, _timing):
    """No restart still pending."""
    if not after.get("reboot_required"):
        return None
    reason = after.get("reboot_reason")
    return "a restart still pending" + (" (%s)" % reason if reason else "")


_CHECK_FUNCTIONS = {"checked_in": checked_in, "protection": protection, "not_infected": not_infected,
                    "definitions": definitions, "no_restart_pending": no_restart_pending}


def select_checks(names=None, option="health_checks"):
    """The checks to run, in ``CHECKS`` order: None gives ``DEFAULT_CHECKS``, a list (or comma text) those named."""
    if names is None:
        return DEFAULT_CHECKS
    if isinstance(names, str):
        names = [name for name in names.split(",") if name.strip()]
    if not isinstance(names, (list, tuple)) or not all(isinstance(name, str) for name in names):
        raise SepmInputError("%s must be a list of check names (%s), got %r" % (option, ", ".join(CHECKS), names))
    wanted = {name.strip().lower() for name in names}
    unknown = sorted(wanted - set(CHECKS))
    if unknown:
        raise SepmInputError("%s: unknown check %r; choose from %s" % (option, unknown[0], ", ".join(CHECKS)))
    return tuple(name for name in CHECKS if name in wanted)


def judge(before, after, timing, checks=DEFAULT_CHECKS):
    """``[(check, reason)]`` of the checks ``after`` (and ``before``, or None) fails, in ``CHECKS`` order."""
    failures = []
    for name in checks:
        reason = _CHECK_FUNCTIONS[name](before, after or {}, timing)
        if reason:
            failures.append((name, reason))
    return failures


def unhealthy_reason(failures):
    """'unhealthy after the patch: Auto-Protect off, on before' for the failures of ``judge``."""
    return "%s: %s" % (UNHEALTHY, "; ".join(reason for _name, reason in failures))


class Verdict:
    """What the checks say of a computer now: ``healthy``, ``waiting`` (until ``deadline_ms``) or ``unhealthy``."""

    def __init__(self, state, reason="", failed=(), deadline_ms=None):
        self.state = state
        self.reason = reason
        self.failed = tuple(failed)
        self.deadline_ms = deadline_ms

    def to_dict(self):
        return {"state": self.state, "reason": self.reason, "failed": list(self.failed), "deadline_ms": self.deadline_ms}

    def __repr__(self):
        return "Verdict(%r, %r, failed=%r)" % (self.state, self.reason, self.failed)


def verdict(before, after, timing, now_ms, checks=DEFAULT_CHECKS, settle_s=DEFAULT_SETTLE * DEFAULT_HEARTBEAT_S):
    """The settle rule: healthy once every check passes, unhealthy when one still fails ``settle_s`` after it came back.

    The clock starts at ``timing.came_back_ms`` (else ``timing.restarted_ms``, else now); the
    engine calls this with each reading it has until the verdict is not ``waiting``.
    """
    failures = judge(before, after, timing, checks)
    if not failures:
        return Verdict("healthy")
    started = timing.came_back_ms if timing.came_back_ms is not None else timing.restarted_ms
    deadline = (now_ms if started is None else started) + int(settle_s * 1000)
    names = [name for name, _reason in failures]
    if now_ms < deadline:
        return Verdict("waiting", "settling: %s" % "; ".join(reason for _name, reason in failures), names, deadline)
    return Verdict("unhealthy", unhealthy_reason(failures), names, deadline)


def check_settle(value, option="health_settle"):
    """The settle option, checked: a number of heartbeats (``2``, ``"3 heartbeats"``) or a duration (``"10m"``).

    Returns ``{"heartbeats": n}`` or ``{"seconds": s}`` (JSON-ready, for a run's state).
    """
    if value is None or value == "":
        return {"heartbeats": DEFAULT_SETTLE}
    if isinstance(value, bool):
        raise SepmInputError("%s must be a number of heartbeats or a duration such as '10m', got %r" % (option, value))
    if isinstance(value, int) or (isinstance(value, str) and _HEARTBEATS.match(value)):
        count = int(value) if isinstance(value, int) else int(_HEARTBEATS.match(value).group(1))
        if not 1 <= count <= MAX_SETTLE_HEARTBEATS:
            raise SepmInputError("%s must be from 1 to %d heartbeats, got %r" % (option, MAX_SETTLE_HEARTBEATS, value))
        return {"heartbeats": count}
    return {"seconds": int(parse_duration(value, option).total_seconds())}


def settle_seconds(settle, heartbeat_s=DEFAULT_HEARTBEAT_S):
    """Seconds of a checked settle (``check_settle``) for clients with a ``heartbeat_s`` heartbeat."""
    if "seconds" in settle:
        return settle["seconds"]
    return settle["heartbeats"] * (heartbeat_s or DEFAULT_HEARTBEAT_S)


def heartbeat_seconds(location_settings):
    """The heartbeat of a group location's clients, from its settings (``GET groups/{g}/locations/{l}/settings``).

    Pull mode uses ``pull_mode_heartbeat_freq_in_seconds``; push mode keeps a connection open
    and uploads the client's state every ``upload_op_state_heartbeat_freq_in_seconds``.
    Without a usable value, the SEPM's default of 5 minutes.
    """
    settings = location_settings or {}
    communication = (settings.get("configuration") or settings).get("communication_settings") or {}
    key = "upload_op_state_heartbeat_freq_in_seconds" if str(communication.get("mode")).upper() == "PUSH" \
        else "pull_mode_heartbeat_freq_in_seconds"
    value = communication.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else DEFAULT_HEARTBEAT_S
