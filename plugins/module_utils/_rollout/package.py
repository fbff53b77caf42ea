# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The package method: the decisions around each host's install of the exported client package.

A package batch runs host by host. The role's tasks do what only the host can do (read its
pending-reboot state, copy the package, install it silently, restart it, see the SEP service run)
and the user's drain and restore hooks; every decision is taken here, by one step of the
``rollout_package`` action each:

``begin``    the batch: a stop of an earlier batch settles it; members of a cluster whose other member
             failed are held back; the window must be open with one host's install and restart left.
``gate``     a host, before anything touches it: the failure budget, the window (install and restart, and a
             restart first when Windows has one pending), a partner failed in this run, its cluster
             partners healthy in the SEPM (online: at most ``max_unavailable_per_cluster`` members down,
             counting this one), and the pending reboot: ``restart_first`` when allowed and it fits, else
             ``skip`` with that reason.
``copied``   the copy on the host against the package's SHA-256 per file; a mismatch fails the host
             before anything is installed.
``drain``    written to the drain journal before the drain hook runs; ``restored`` after the restore hook.
``restart``  before the restart that completes the install: sent only while the whole restart timeout
             fits the window (else the host is ``deferred``, the install done).
``verify``   waits until the SEPM shows the host online, reporting after the restart, at the target version
             with no restart pending (or the restart timeout passes), and settles it.
``fail``     a host task failed: the host fails with the step's words; whether its restore hook may run (not
             after a failed restart: the member may be down).
``end``      the batch's stop decision and its log entry.

**The drain journal** (``journal.Journal``) is how an interrupted run restores what it drained: an entry
is written before each drain and removed when the member's restore hook has run, so a run killed in
between leaves the member in the journal, and the next run restores it before it drains anyone.
"""

from __future__ import annotations

import datetime

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rules
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.driver import PENDING_RESTART, Driver, HealthWatch, epoch_ms
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.model import BatchEntry, from_iso, iso
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.store import Journal
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import normalize_computer
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.install_package import compare_copy
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.targets import fetch_records
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.waiter import Wait, at_target, back_at_target

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


class PackageBatch(Driver):
    """The steps of one package batch; its progress between tasks is the run's ``package_batch``."""

    method = "package"

    # -- bookkeeping ----------------------------------------------------------------------

    @property
    def batch(self):
        batch = self.run.package_batch
        if not batch:
            raise SepmInputError("no package batch is running: call the begin step first")
        return batch

    def _host(self, name):
        if name not in self.batch["hosts"]:
            raise SepmInputError("%s is not a host of package batch %s" % (name, self.batch["label"]))
        return self.run.results[name]

    def mark(self, name, step):
        moment = iso(self.now())
        self.run.mark([name], step, moment)
        self.batch["entry"]["steps"].setdefault(step, moment)
        return moment

    def settle(self, name, state, reason="", version_after=None):
        self._host(name)
        self.run.settle(name, state, reason, self.batch["label"], version_after)
        return self.run.results[name].state

    def say_host(self, name, message):
        self.progress(self.batch["label"], "%s: %s" % (name, message), self.batch["hosts"])

    def _records(self, names):
        found = {}
        wanted = {name.lower(): name for name in names}
        for record in fetch_records(self.client, names=names):
            computer = normalize_computer(record)
            name = wanted.get((computer["name"] or "").lower())
            if name is not None:
                found[name] = computer
        for name, computer in found.items():
            if name in self.run.computers:
                self.run.update_computer(name, computer)
        return found

    def _host_need(self, pending_reboot):
        """Seconds a host needs in the window: install and restart, and a restart first when one is pending."""
        need = self.options["install_timeout"] + self.options["restart_timeout"]
        return need + self.options["restart_timeout"] if pending_reboot else need

    def _journal(self):
        return Journal(self.run.journal)

    # -- steps ----------------------------------------------------------------------------

    def begin(self, label):
        run = self.run
        run.package_batch = None
        entry, pending = self.open_batch(label)
        if pending is None:
            self.finish(entry, window_closed=False)
            return {"hosts": [], "entry": entry.to_dict(), "reason": entry.not_run}
        allowed, why = self.window_allows(self._host_need(False))
        if self.check_mode:
            would = [name for name in pending if not at_target(run.computers[name], self.target)]
            self.say("batch %s of %d (package, check mode): %s" % (
                entry.batch, run.batch_count,
                "would install the package on %d, one at a time" % len(would) if allowed else "held back - %s" % why))
            self.preview(entry, would, allowed, why)
            return {"hosts": [], "entry": entry.to_dict(), "reason": why}
        if allowed:
            entry.started = iso(self.now())
        else:
            entry.gated, entry.not_run = True, why
        run.package_batch = {"label": entry.batch, "entry": entry.to_dict(), "hosts": pending, "window_closed": not allowed}
        if not allowed:
            for name in pending:
                self.settle(name, "deferred", why)
            return {"hosts": [], "entry": entry.to_dict(), "reason": why}
        self.progress(entry.batch, "%d host(s), one at a time" % len(pending), pending)
        members = [{"name": name, "host": run.computers[name].get("inventory_host") or name,
                    "cluster": run.clusters.get(name), "partners": self.partners(name)} for name in pending]
        return {"hosts": members, "entry": entry.to_dict(), "reason": ""}

    def gate(self, name, pending_reboot):
        """proceed / restart_first / skip / defer, with the reason, before anything touches the host."""
        result = self._host(name)
        if result.state is not None:
            return {"decision": SKIP, "reason": result.reason}
        decision = self._gate(name, pending_reboot)
        if decision["decision"] in (PROCEED, RESTART_FIRST):
            self.batch.setdefault("before", {}).update(self.health_before([name]))
            self.mark(name, "gate")
            self.say_host(name, "restart first (%s), then install" % REBOOT_PENDING if pending_reboot else "install")
        elif decision["decision"] == DEFER:
            self.batch["window_closed"] = decision.get("window_closed", self.batch["window_closed"])
            self.settle(name, "deferred", decision["reason"])
        else:
            self.settle(name, decision.get("state", "skipped"), decision["reason"], decision.get("version"))
        return {key: value for key, value in decision.items() if key not in ("state", "version", "window_closed")}

    def _gate(self, name, pending_reboot):
        held = self.held([name])
        if name in held:
            return {"decision": SKIP, "reason": held[name]}
        if self.budget_exceeded():
            return {"decision": SKIP, "reason": rules.BUDGET_EXCEEDED}
        if self.batch["window_closed"]:
            return {"decision": DEFER, "reason": rules.WINDOW_CLOSED}
        cluster, partners = self.run.clusters.get(name), self.partners(name)
        records = self._records([name] + partners)
        own = records.get(name)
        if own is None:
            return {"decision": SKIP, "state": "failed", "reason": "no longer found in the SEPM"}
        if back_at_target(own, self.target):
            version = own.get("agent_version")
            return {"decision": SKIP, "state": "compliant", "reason": "already at %s" % version, "version": version}
        if not own.get("online"):
            return {"decision": SKIP, "reason": "offline in the SEPM"}
        down = [other for other in partners if not (records.get(other) or {}).get("online")]
        if len(down) + 1 > self.options["max_unavailable_per_cluster"]:
            return {"decision": SKIP, "reason": "HA partner %s is not healthy in the SEPM (offline): restarting this member "
                                                "could take cluster %s down" % (down[0], cluster)}
        allowed, why = self.window_allows(self._host_need(pending_reboot))
        if pending_reboot:
            if self.options["restart"] == "never":
                return {"decision": SKIP, "reason": "%s and restarting is not allowed (restart: never)" % REBOOT_PENDING}
            if not allowed:
                return {"decision": SKIP, "reason": "%s and restarting it first does not fit the window: %s" % (REBOOT_PENDING, why)}
        elif not allowed:
            return {"decision": DEFER, "reason": why, "window_closed": True}
        return {"decision": RESTART_FIRST if pending_reboot else PROCEED, "reason": REBOOT_PENDING if pending_reboot else "",
                "partners": partners, "cluster": cluster}

    def copied(self, name, checksums):
        """The copy on the host against the package, file by file; a mismatch fails the host before any install."""
        self._host(name)
        wrong = compare_copy(self.options["package"], checksums)
        if wrong:
            path, expected, found = wrong[0]
            reason = "the package copied to the host does not match its SHA-256 (%s: expected %s, found %s); nothing installed" % (
                path, expected, found or "no such file")
            self.settle(name, "failed", reason)
            return {"decision": SKIP, "reason": reason}
        self.mark(name, "copied")
        return {"decision": PROCEED, "reason": ""}

    def drain(self, name):
        """Before the drain hook: the journal says this member is drained until its restore hook has run."""
        self._host(name)
        if self.check_mode:
            return {"decision": PROCEED, "reason": ""}
        computer = self.run.computers[name]
        self._journal().add({"name": name, "host": computer.get("inventory_host") or name,
                             "cluster": self.run.clusters.get(name), "partners": self.partners(name),
                             "drained": self.mark(name, "drained"), "run": self.run.started})
        return {"decision": PROCEED, "reason": ""}

    def restored(self, name):
        """After the restore hook: the member is back in service; it leaves the journal."""
        if self.check_mode:
            return {"decision": PROCEED, "reason": ""}
        self._journal().remove(name)
        if name in self.run.results:
            self.run.mark([name], "restored", iso(self.now()))
        return {"decision": PROCEED, "reason": ""}

    def restart(self, name):
        """The restart that completes the install goes out only while the whole restart timeout fits the window."""
        self._host(name)
        if self.options["restart"] == "never":
            self.mark(name, "installed")
            reason = "%s: restart not allowed (restart: never)" % PENDING_RESTART
            self.settle(name, "deferred", reason)
            return {"decision": DEFER, "reason": reason}
        allowed, why = self.window_allows(self.options["restart_timeout"])
        self.mark(name, "installed")
        if not allowed:
            self.batch["window_closed"] = True
            reason = "%s: %s" % (PENDING_RESTART, why)
            self.settle(name, "deferred", reason)
            return {"decision": DEFER, "reason": reason}
        self.mark(name, "restart_sent")
        self.say_host(name, "restarting")
        return {"decision": PROCEED, "reason": ""}

    def verify(self, name):
        """Wait until the SEPM shows the host back at the target, reporting after its restart, and healthy; settle it."""
        result = self._host(name)
        timeout = self.options["restart_timeout"]
        sent = from_iso(result.steps.get("restart_sent")) or self.now(refresh=True)
        since_ms = epoch_ms(sent)
        wait = Wait("restart", [name], lambda computer: bool(computer) and int(computer.get("last_update_time") or 0) >= since_ms
                    and back_at_target(computer, self.target), sent + datetime.timedelta(seconds=timeout))
        checks = self.options["health_checks"]
        watch = HealthWatch(self.batch.get("before", {}), since_ms)
        latest = {}

        def advance():
            latest.update(self._records([name]))
            read_at = self.now()
            if wait.waiting and not wait.update(latest, self.now(refresh=True)):
                return False, False
            if wait.waiting or not checks:
                return False, True
            if name not in watch.came_back:
                watch.watch(name, latest.get(name))
            return False, bool(self.judge_health(watch, latest, self.batch["label"], read_at))

        self.poll(advance)
        computer = latest.get(name)
        version = (computer or {}).get("agent_version")
        if not wait.waiting:
            self.mark(name, "verified")
            self.settle(name, "patched", "", version)
            state = self.run.results[name].state
            if state == "failed":
                self.say_host(name, "failed - %s" % self.run.results[name].reason)
                return {"state": "failed", "reason": self.run.results[name].reason, "restore": bool(computer and computer.get("online"))}
            self.say_host(name, "patched, %s in the SEPM" % version)
            return {"state": "patched", "reason": "", "restore": True}
        restore = True
        if computer is None or not computer.get("online"):
            reason = "did not come back online in the SEPM within %ds of the restart; its HA partners were left alone and its " \
                "restore hook did not run" % timeout
            restore = False
        elif computer.get("reboot_required"):
            reason = "came back with a restart still pending (version %s)" % version
        else:
            reason = "came back without the patch (version %s)" % version
        self.settle(name, "failed", reason, version)
        if not restore:
            self._journal().mark_failed(name, reason)
        self.say_host(name, "failed - %s" % reason)
        return {"state": "failed", "reason": reason, "restore": restore}

    def fail(self, name, step, message):
        result = self._host(name)
        words = FAILED_STEP_WORDS.get(step, "step %s failed" % step)
        message = " ".join(str(message or "").split())[:300]
        reason = "%s: %s" % (words, message) if message else words
        if step in DOWN_STEPS:
            reason += "; its restore hook did not run"
            self._journal().mark_failed(name, reason)
        if result.state is None:
            self.settle(name, "failed", reason)
        elif step == "restore":
            self.run.add_reason(name, reason)
        self.say_host(name, "failed - %s" % reason)
        return {"state": "failed", "reason": reason, "restore": step not in DOWN_STEPS and step != "restore"}

    def end(self, label):
        run = self.run
        batch = run.package_batch
        if not batch or batch["label"] != str(label):
            return {"entry": run.log[-1].to_dict() if run.log else None}
        for name in batch["hosts"]:
            self.settle(name, "deferred", "the run did not reach it")
        entry = BatchEntry.from_dict(batch["entry"])
        if entry.ran:
            entry.finished = iso(self.now(refresh=True))
        run.package_batch = None
        self.finish(entry, batch["window_closed"])
        return {"entry": entry.to_dict()}


def drained_members(client, run):
    """What the drain journal says before a run drains anyone: (members to restore first, {name: why held}).

    A member an interrupted run drained is restored first (its restore hook is idempotent). A member that
    failed while drained is restored first only once the SEPM shows it back at the target; until then it
    stays in the journal and the run holds it and its cluster partners back, so a cluster never has two
    members out of service.
    """
    entries = Journal(run.journal).entries()
    failed = [entry for entry in entries if entry.get("failed")]
    records = {}
    if failed:
        wanted = {entry["name"].lower(): entry["name"] for entry in failed}
        for record in fetch_records(client, names=list(wanted.values())):
            computer = normalize_computer(record)
            name = wanted.get((computer["name"] or "").lower())
            if name is not None:
                records[name] = computer
    restore, held = [], {}
    for entry in entries:
        name = entry["name"]
        if entry.get("failed") and not back_at_target(records.get(name), run.target):
            why = "%s is still out of service after it failed while drained in an earlier run (%s): restore it, then run " \
                  "again" % (name, entry["failed"])
            for member in [name] + list(entry.get("partners") or ()):
                held.setdefault(member, why)
            continue
        restore.append({key: entry.get(key) for key in ("name", "host", "cluster", "partners")})
    return restore, held
