# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The package method: the decisions around each host's install, on the rollout engine.

A package batch runs host by host. The role's tasks do what only the host can do (read its
pending-reboot state, copy the package, install it silently, restart it, see the SEP service
run) and the user's drain and restore hooks; every decision is taken here, by one step of the
``rollout_package`` action each, on the run's state (fact ``sepm_rollout``):

``begin``   the batch: a stop of an earlier batch settles it; members of a cluster whose other
            member failed are held back (``rules.held_by_failed_partner``); the window must be
            open with one host's install and restart left (else every host is deferred).
``gate``    a host, before anything touches it: the failure budget, the window (install and
            restart, and a restart first when Windows has one pending), a partner failed in this
            run, its cluster partners healthy in the SEPM (online: at most
            ``max_unavailable_per_cluster`` members down, counting this one), and the pending
            reboot: ``restart_first`` when allowed and it fits, else ``skip`` with that reason.
``copied``  the copy on the host against the package's SHA-256 per file; a mismatch fails the host
            before anything is installed.
``restart`` before the restart that completes the install: it is sent only while the whole
            restart timeout fits the window (else the host is ``deferred``, the install done).
``verify``  waits until the SEPM shows the host online, reporting after the restart, at the target
            version with no restart pending (or the restart timeout passes), and settles it.
``fail``    a host task failed: the host fails with the step's words; whether its restore hook
            may run (not after a failed restart: the member may be down).
``end``     the batch's stop decision (``rules.decide_stop``) and its log entry.

Each returns ``{"decision"|..., "reason", ...}`` for the role to act on; the host's result is
accounted in the run's ``results`` like a liveupdate host, with ``method: package``.
"""

from __future__ import annotations

import datetime

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rules
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import normalize_computer
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.install_package import compare_copy
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.rollout import PENDING_RESTART, from_iso, iso
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.targets import fetch_records
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.waiter import at_target, back_at_target

STEPS = ("begin", "gate", "copied", "restart", "verify", "fail", "end")
PROCEED, RESTART_FIRST, SKIP, DEFER = "proceed", "restart_first", "skip", "defer"
REBOOT_PENDING = "Windows has a restart pending (the SEP installer will not run with one)"

FAILED_STEP_WORDS = {
    "probe": "reading the host's pending-restart state failed",
    "copy": "copying the package to the host failed",
    "drain": "the drain hook failed; nothing installed",
    "restart_first": "the restart before the install (Windows had one pending) did not complete",
    "install": "the silent install failed",
    "restart": "the restart that completes the install did not complete",
    "ready": "the SEP service did not run after the restart",
    "verify": "verifying the host in the SEPM failed",
    "restore": "the restore hook failed after the host was patched",
}
# After these the member may be down: its restore hook does not run and a person looks first.
DOWN_STEPS = ("restart_first", "restart", "ready", "verify")


def _epoch_ms(moment):
    return int(moment.timestamp() * 1000)


class PackageBatch:
    """The steps of one package batch on ``engine`` (an ``rollout.Engine``); its progress is ``state["package_batch"]``."""

    def __init__(self, engine):
        self.engine = engine
        self.state = engine.state
        self.options = engine.options

    # -- bookkeeping ----------------------------------------------------------------------

    @property
    def batch(self):
        batch = self.state.get("package_batch")
        if not batch:
            raise ValueError("no package batch is running: call the begin step first")
        return batch

    def host(self, name):
        hosts = self.batch["hosts"]
        if name not in hosts:
            raise ValueError("%s is not a host of package batch %s" % (name, self.batch["label"]))
        return hosts[name]

    def mark(self, name, step):
        moment = iso(self.engine.clock.now())
        self.host(name)["steps"][step] = moment
        self.batch["entry"]["steps"].setdefault(step, moment)
        return moment

    def settle(self, name, state, reason="", version_after=None):
        host = self.host(name)
        if host["state"] is None:
            host.update(state=state, reason=reason)
            if version_after:
                host["version_after"] = version_after
            self.engine._account(name, host, self.batch["label"])  # pylint: disable=protected-access
            self.state["totals"] = rules.totals(self.engine.results)
        return host["state"]

    def say(self, name, message):
        hosts = self.batch["hosts"].values()
        done = sum(1 for host in hosts if host["state"] in ("patched", "compliant"))
        failed = sum(1 for host in hosts if host["state"] == "failed")
        waiting = sum(1 for host in hosts if host["state"] is None)
        self.engine._say("batch %s of %d (package): %s: %s - %d done, %d failed, %d waiting" % (  # pylint: disable=protected-access
            self.batch["label"], len(self.state["batches"]), name, message, done, failed, waiting))

    def _records(self, names):
        found = {}
        wanted = {name.lower(): name for name in names}
        for record in fetch_records(self.engine.client, names=names):
            computer = normalize_computer(record)
            name = wanted.get((computer["name"] or "").lower())
            if name is not None:
                found[name] = computer
        for name, computer in found.items():
            if name in self.engine.computers:
                self.engine.computers[name].update({key: value for key, value in computer.items() if key not in ("home", "cluster")})
        return found

    def _host_need(self, pending_reboot):
        """Seconds a host needs in the window: install and restart, and a restart first when one is pending."""
        need = self.options["install_timeout"] + self.options["restart_timeout"]
        return need + self.options["restart_timeout"] if pending_reboot else need

    # -- steps ----------------------------------------------------------------------------

    def begin(self, label, check_mode=False):
        engine = self.engine
        label = str(label)
        names = engine.batch_names(label)
        now = iso(engine.clock.now(refresh=True))
        entry = {"batch": label, "method": "package", "hosts": names, "started": now, "finished": None, "gated": False,
                 "steps": {}, "failed": 0, "deferred": 0}
        self.state["package_batch"] = None
        stop = rules.Stop.from_dict(self.state.get("stop"))
        if stop is not None:
            rules.settle_stopped(engine.results, names, stop, label, engine._versions())  # pylint: disable=protected-access
            entry["finished"] = now
            engine._log(entry, announce=False)  # pylint: disable=protected-access
            return {"hosts": [], "entry": entry, "reason": stop.reason}
        held = rules.held_by_failed_partner(names, engine.results, self.state["clusters"])
        pending = [name for name in names if name not in held and engine.results.get(name, {}).get("state") is None]
        allowed, why = engine.window_allows(self._host_need(False))
        if check_mode:
            would = [name for name in pending if not at_target(engine.computers[name], engine.target)]
            entry.update(gated=not allowed, preview={"would_patch": would if allowed else [], "deferred": [] if allowed else would,
                                                     "held": held, "reason": why})
            engine.changed = bool(would) and allowed
            engine._say("batch %s of %d (package, check mode): %s" % (  # pylint: disable=protected-access
                label, len(self.state["batches"]),
                "would install the package on %d, one at a time" % len(would) if allowed else "held back - %s" % why))
            engine._log(entry)  # pylint: disable=protected-access
            return {"hosts": [], "entry": entry, "reason": why}
        for name, reason in held.items():
            engine._account(name, {"state": "skipped", "reason": reason, "steps": {}}, label)  # pylint: disable=protected-access
        hosts = {name: {"state": None, "reason": "", "version_before": engine.computers[name].get("agent_version"),
                        "version_after": None, "steps": {}} for name in pending}
        self.state["package_batch"] = {"label": label, "entry": entry, "hosts": hosts, "window_closed": False}
        if not allowed:
            entry["gated"] = True
            self.batch["window_closed"] = True
            for name in pending:
                self.settle(name, "deferred", why)
            return {"hosts": [], "entry": entry, "reason": why}
        engine._say("batch %s of %d (package): %d host(s), one at a time" % (  # pylint: disable=protected-access
            label, len(self.state["batches"]), len(pending)))
        members = []
        for name in pending:
            cluster = self.state["clusters"].get(name)
            members.append({"name": name, "host": engine.computers[name].get("inventory_host") or name, "cluster": cluster,
                            "partners": sorted(other for other, value in self.state["clusters"].items()
                                               if cluster and value == cluster and other != name)})
        return {"hosts": members, "entry": entry, "reason": ""}

    def gate(self, name, pending_reboot):
        """proceed / restart_first / skip / defer, with the reason, before anything touches the host."""
        engine = self.engine
        host = self.host(name)
        if host["state"] is not None:
            return {"decision": SKIP, "reason": host["reason"]}
        held = rules.held_by_failed_partner([name], engine.results, self.state["clusters"])
        if name in held:
            self.settle(name, "skipped", held[name])
            return {"decision": SKIP, "reason": held[name]}
        if rules.count_state(engine.results, "failed") > self.options["failure_budget"]:
            self.settle(name, "skipped", rules.BUDGET_EXCEEDED)
            return {"decision": SKIP, "reason": rules.BUDGET_EXCEEDED}
        if self.batch["window_closed"]:
            self.settle(name, "deferred", rules.WINDOW_CLOSED)
            return {"decision": DEFER, "reason": rules.WINDOW_CLOSED}
        cluster = self.state["clusters"].get(name)
        partners = sorted(other for other, value in self.state["clusters"].items() if value == cluster and other != name) \
            if cluster else []
        records = self._records([name] + partners)
        own = records.get(name)
        if own is None:
            self.settle(name, "failed", "no longer found in the SEPM")
            return {"decision": SKIP, "reason": "no longer found in the SEPM"}
        if back_at_target(own, engine.target):
            self.settle(name, "compliant", "already at %s" % own.get("agent_version"), own.get("agent_version"))
            return {"decision": SKIP, "reason": "already at %s" % own.get("agent_version")}
        if not own.get("online"):
            self.settle(name, "skipped", "offline in the SEPM")
            return {"decision": SKIP, "reason": "offline in the SEPM"}
        down = [other for other in partners if not (records.get(other) or {}).get("online")]
        if len(down) + 1 > self.options["max_unavailable_per_cluster"]:
            reason = "HA partner %s is not healthy in the SEPM (offline): restarting this member could take cluster %s down" % (
                down[0], cluster)
            self.settle(name, "skipped", reason)
            return {"decision": SKIP, "reason": reason}
        allowed, why = engine.window_allows(self._host_need(pending_reboot))
        if pending_reboot:
            if self.options["restart"] == "never":
                reason = "%s and restarting is not allowed (restart: never)" % REBOOT_PENDING
                self.settle(name, "skipped", reason)
                return {"decision": SKIP, "reason": reason}
            if not allowed:
                reason = "%s and restarting it first does not fit the window: %s" % (REBOOT_PENDING, why)
                self.settle(name, "skipped", reason)
                return {"decision": SKIP, "reason": reason}
        elif not allowed:
            self.batch["window_closed"] = True
            self.settle(name, "deferred", why)
            return {"decision": DEFER, "reason": why}
        self.mark(name, "gate")
        decision = RESTART_FIRST if pending_reboot else PROCEED
        self.say(name, "restart first (%s), then install" % REBOOT_PENDING if pending_reboot else "install")
        return {"decision": decision, "reason": REBOOT_PENDING if pending_reboot else "", "partners": partners,
                "cluster": cluster}

    def copied(self, name, checksums):
        """The copy on the host against the package, file by file; a mismatch fails the host before any install."""
        wrong = compare_copy(self.options["package"], checksums)
        if wrong:
            path, expected, found = wrong[0]
            reason = "the package copied to the host does not match its SHA-256 (%s: expected %s, found %s); nothing installed" % (
                path, expected, found or "no such file")
            self.settle(name, "failed", reason)
            return {"decision": SKIP, "reason": reason}
        self.mark(name, "copied")
        return {"decision": PROCEED, "reason": ""}

    def restart(self, name):
        """The restart that completes the install goes out only while the whole restart timeout fits the window."""
        if self.options["restart"] == "never":
            reason = "%s: restart not allowed (restart: never)" % PENDING_RESTART
            self.mark(name, "installed")
            self.settle(name, "deferred", reason)
            return {"decision": DEFER, "reason": reason}
        allowed, why = self.engine.window_allows(self.options["restart_timeout"])
        self.mark(name, "installed")
        if not allowed:
            self.batch["window_closed"] = True
            reason = "%s: %s" % (PENDING_RESTART, why)
            self.settle(name, "deferred", reason)
            return {"decision": DEFER, "reason": reason}
        self.mark(name, "restart_sent")
        self.say(name, "restarting")
        return {"decision": PROCEED, "reason": ""}

    def verify(self, name):
        """Wait until the SEPM shows the host back at the target, reporting after its restart; settle it."""
        engine = self.engine
        host = self.host(name)
        sent = from_iso(host["steps"].get("restart_sent")) or engine.clock.now(refresh=True)
        deadline = sent + datetime.timedelta(seconds=self.options["restart_timeout"])
        since_ms = _epoch_ms(sent)
        computer = None
        while True:
            computer = self._records([name]).get(name)
            reported = computer is not None and int(computer.get("last_update_time") or 0) >= since_ms
            if computer is not None and reported and back_at_target(computer, engine.target):
                break
            if engine.clock.now(refresh=True) >= deadline:
                break
            engine.sleep(self.options["poll_interval"])
        version = (computer or {}).get("agent_version")
        if computer is not None and back_at_target(computer, engine.target):
            self.mark(name, "verified")
            self.settle(name, "patched", "", version)
            self.say(name, "patched, %s in the SEPM" % version)
            return {"state": "patched", "reason": "", "restore": True}
        if computer is None or not computer.get("online"):
            reason = "did not come back online in the SEPM within %ds of the restart; its HA partners were left alone and its " \
                "restore hook did not run" % self.options["restart_timeout"]
            restore = False
        elif computer.get("reboot_required"):
            reason = "came back with a restart still pending (version %s)" % version
            restore = True
        else:
            reason = "came back without the patch (version %s)" % version
            restore = True
        self.settle(name, "failed", reason, version)
        self.say(name, "failed - %s" % reason)
        return {"state": "failed", "reason": reason, "restore": restore}

    def fail(self, name, step, message):
        words = FAILED_STEP_WORDS.get(step, "step %s failed" % step)
        message = " ".join(str(message or "").split())[:300]
        reason = "%s: %s" % (words, message) if message else words
        if step in DOWN_STEPS:
            reason += "; its restore hook did not run"
        host = self.host(name)
        if host["state"] is None:
            self.settle(name, "failed", reason)
        elif step == "restore":
            host["reason"] = (host["reason"] + "; " if host["reason"] else "") + reason
            self.engine.results[name]["reason"] = host["reason"]
        self.say(name, "failed - %s" % reason)
        return {"state": "failed", "reason": reason, "restore": step not in DOWN_STEPS and step != "restore"}

    def end(self, label):
        engine = self.engine
        batch = self.state.get("package_batch")
        if not batch or batch["label"] != str(label):
            return {"entry": engine.state["log"][-1] if engine.state["log"] else None}
        for name, host in batch["hosts"].items():
            if host["state"] is None:
                self.settle(name, "deferred", "the run did not reach it")
        names = engine.batch_names(label)
        entry = batch["entry"]
        entry["finished"] = iso(engine.clock.now(refresh=True))
        stop = rules.decide_stop(engine.results, names, batch["window_closed"], self.options["failure_budget"],
                                 self.options["max_fail_percentage"])
        if stop is not None:
            self.state["stop"] = stop.to_dict()
        entry["failed"] = rules.count_state(engine.results, "failed", names)
        entry["deferred"] = rules.count_state(engine.results, "deferred", names)
        self.state["package_batch"] = None
        engine._log(entry)  # pylint: disable=protected-access
        return {"entry": entry}


# The options of the rollout_package step, shared by its documentation module and its action plugin.
PACKAGE_OPTIONS = dict(
    rollout=dict(type="dict", required=True),
    step=dict(type="str", required=True, choices=list(STEPS)),
    batch=dict(type="str", default=""),
    host=dict(type="str", default=""),
    pending_reboot=dict(type="bool", default=False),
    checksums=dict(type="dict", default={}),
    failed_step=dict(type="str", default=""),
    failure=dict(type="str", default=""),
)
