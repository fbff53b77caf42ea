"""Simulated SEP clients: heartbeats, policy pick-up, LiveUpdate runs and restarts.

Only computers with something to do sit in the event queue, so a 20,000-computer fleet
costs nothing while idle. The queue is processed up to the simulated "now" under the
state lock at the start of every request (see `advance`).
"""

import datetime
import heapq
import math

from . import bad_patch
from .model import (
    FINAL_STATES, STATE_CANCELLED, STATE_COMPLETED, STATE_IN_PROGRESS, STATE_INITIAL, STATE_RECEIVED, STATE_REJECTED,
    SUBSTATE_LU_DOWNLOADING, SUBSTATE_OK, SUBSTATE_RESTART_NOT_ALLOWED, Command, release_of, sql_timestamp, version_tuple,
)

STEP_MS = 1000  # a client starts the work of a command one second after it received it
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEPLOY_OK = "302456832"
DEPLOY_RESTART_PENDING = "302456837"


class ClientSimulation:
    """The client side of the fleet, driven by the `Emulator` that owns it."""

    def __init__(self, emu):
        self.emu = emu
        self.queue = []
        self._queue_seq = 0

    def reset_simulation(self):
        self.queue = []
        self._queue_seq = 0

    # ----- queue ---------------------------------------------------------------------
    def schedule(self, due_ms, action, computer, payload=None):
        self._queue_seq += 1
        heapq.heappush(self.queue, (int(due_ms), self._queue_seq, action, computer, payload))

    def advance(self):
        """Run every client event that is due at the current simulated time."""
        now = self.emu.clock.now_ms()
        while self.queue and self.queue[0][0] <= now:
            due, _seq, action, computer, payload = heapq.heappop(self.queue)
            getattr(self, "_on_" + action)(due, computer, payload)

    # ----- heartbeats -----------------------------------------------------------------
    def _heartbeat_ms(self):
        return max(1, int(self.emu.settings["heartbeat_s"] * 1000))

    def next_heartbeat(self, computer, after_ms):
        period = self._heartbeat_ms()
        phase = computer.hb_phase * period
        return int(phase + (math.floor((after_ms - phase) / period) + 1) * period)

    def wake(self, computer, at_ms=None):
        """Make sure an online computer has a heartbeat queued (at its next regular one by default)."""
        if not computer.online or computer.silent_since_ms is not None:
            return
        due = self.next_heartbeat(computer, self.emu.clock.now_ms()) if at_ms is None else int(at_ms)
        if computer.hb_scheduled_ms is not None and computer.hb_scheduled_ms <= due:
            return
        computer.hb_scheduled_ms = due
        self.schedule(due, "heartbeat", computer)

    def refresh_record(self, computer, now_ms):
        """Move lastUpdateTime with the clock for an online computer (its last heartbeat).

        A client that stopped checking in keeps its last check-in; after a few missed
        heartbeats the SEPM shows it offline.
        """
        if not computer.online:
            return
        period = self._heartbeat_ms()
        if computer.silent_since_ms is not None:
            if now_ms - computer.silent_since_ms >= bad_patch.OFFLINE_AFTER_HEARTBEATS * period:
                computer.record["onlineStatus"] = 0
            return
        phase = computer.hb_phase * period
        last = max(int(phase + math.floor((now_ms - phase) / period) * period), computer.last_hb_ms)
        computer.record["lastUpdateTime"] = last
        computer.record["agentTimeStamp"] = last

    def profiles_changed(self, group_ids):
        for group_id in group_ids:
            serial = self.emu.groups[group_id].serial
            for computer in self.emu.members(group_id):
                if computer.record["profileSerialNo"] != serial:
                    self.wake(computer)

    def _on_heartbeat(self, when, computer, _payload):
        if computer.hb_scheduled_ms != when:
            return  # superseded by an earlier heartbeat
        computer.hb_scheduled_ms = None
        if not computer.online or computer.silent_since_ms is not None:
            return
        computer.last_hb_ms = max(computer.last_hb_ms, when)
        # A LiveUpdate run started by a command picked up now still runs under the profile
        # applied before this heartbeat: the new profile takes effect afterwards.
        allow_before = computer.applied_allow_patch
        self.apply_profile(computer)
        for command_id in computer.pending:
            command = self.emu.commands.get(command_id)
            if command is not None:
                self._receive(command, computer, when, allow_before)
        computer.pending.clear()

    def apply_profile(self, computer):
        group = self.emu.groups.get(computer.group_id)
        if group is None or computer.record["profileSerialNo"] == group.serial:
            return
        computer.record["profileSerialNo"] = group.serial
        computer.record["profileVersion"] = ".".join(self.emu.settings["sepm_version"].split(".")[:3])
        computer.applied_allow_patch = self.emu.allows_patches(group)

    # ----- commands --------------------------------------------------------------------
    def create_command(self, ctype, computers, options=None):
        command = Command(id=self.emu.new_id(), ctype=ctype, created_ms=self.emu.clock.now_ms(), options=options or {})
        for computer in computers:
            if computer.uid in command.rows:
                continue
            record = computer.record
            command.rows[computer.uid] = {
                "beginTime": None, "binaryFileId": None, "computerId": computer.uid, "computerIp": record["ipAddresses"][0],
                "computerName": computer.name, "currentLoginUserName": record["logonUserName"], "domainName": "Default",
                "hardwareKey": record["hardwareKey"], "lastUpdateTime": None, "resultInXML": None,
                "stateId": STATE_INITIAL, "subStateDesc": None, "subStateId": SUBSTATE_OK,
            }
            computer.pending.append(command.id)
            self.wake(computer)
        self.emu.commands[command.id] = command
        self.emu.log("command", type=ctype, command_id=command.id, computer_count=len(command.rows),
                     computers=[row["computerName"] for row in command.rows.values()])
        return command

    def cancel_command(self, command):
        now = self.emu.clock.now_ms()
        for uid, row in command.rows.items():
            if row["stateId"] not in FINAL_STATES:
                self._set_row(row, now, STATE_CANCELLED, SUBSTATE_OK, "Cancelled")
                computer = self.emu.by_uid.get(uid)
                if computer is not None and command.id in computer.pending:
                    computer.pending.remove(command.id)
                if computer is not None and command in computer.later_commands:
                    computer.later_commands.remove(command)
        self.emu.log("command_cancelled", command_id=command.id, type=command.ctype)

    @staticmethod
    def _set_row(row, when, state, substate, description):
        row["stateId"] = state
        row["subStateId"] = substate
        row["subStateDesc"] = description
        row["lastUpdateTime"] = sql_timestamp(when)
        if row["beginTime"] is None:
            row["beginTime"] = sql_timestamp(when)

    def _receive(self, command, computer, when, allow_before):
        row = command.rows.get(computer.uid)
        if row is None or row["stateId"] in FINAL_STATES:
            return
        self._set_row(row, when, STATE_RECEIVED, SUBSTATE_OK, "Received")
        if command.ctype == "updatecontent":
            self.schedule(when + STEP_MS, "lu_start", computer, (command, allow_before))
        elif computer.platform == "linux":
            self._set_row(row, when, STATE_REJECTED, SUBSTATE_RESTART_NOT_ALLOWED, "restart command not allowed")
            self.emu.log("command_rejected", command_id=command.id, computer=computer.name, reason="restart command not allowed")
        elif command.options.get("schedule_type") == "later":
            # Restart later: at the client's restart schedule (its group location's general_settings.restart).
            computer.later_commands.append(command)
            self.plan_scheduled_restart(computer, when)
        else:
            self.schedule(when + STEP_MS, "restart_begin", computer, command)

    # ----- LiveUpdate -------------------------------------------------------------------
    def _on_lu_start(self, when, computer, payload):
        command = payload[0]
        row = command.rows[computer.uid]
        if row["stateId"] in FINAL_STATES:
            return
        self._set_row(row, when, STATE_IN_PROGRESS, SUBSTATE_LU_DOWNLOADING, "LiveUpdate download in progress")
        duration = (self.emu.settings["download_s"] + self.emu.settings["install_s"]) * 1000
        self.schedule(when + duration, "lu_done", computer, payload)

    def _on_lu_done(self, when, computer, payload):
        command, allow = payload
        row = command.rows[computer.uid]
        if row["stateId"] in FINAL_STATES:
            return
        patch = self.patch_for(computer, allow)
        if patch is not None:
            self._stage_patch(computer, patch, when)
            computer.sep_restart_pending = True
            self.plan_scheduled_restart(computer, when)
        self._set_row(row, when, STATE_COMPLETED, SUBSTATE_OK, "Success")

    def patch_for(self, computer, allow):
        """The client patch a LiveUpdate run would stage on this computer, or None."""
        if computer.platform != "windows" or not allow or not self.emu.patch_versions:
            return None
        sepm_release = release_of(self.emu.settings["sepm_version"])
        current = computer.staged_version or computer.record["agentVersion"]
        if release_of(computer.record["agentVersion"]) != sepm_release:
            return None
        candidates = [v for v in self.emu.patch_versions if release_of(v) == sepm_release and version_tuple(v) > version_tuple(current)]
        return max(candidates, key=version_tuple) if candidates else None

    def _stage_patch(self, computer, patch, when):
        record = computer.record
        computer.staged_version = patch
        record.update({
            "rebootRequired": 1, "rebootReason": "LiveUpdate client patch pending", "deploymentTargetVersion": patch,
            "deploymentPreVersion": record["agentVersion"], "deploymentStatus": DEPLOY_RESTART_PENDING,
            "deploymentMessage": f"Client patch {patch} installed; a restart is required to complete it.",
        })
        self.emu.log("patch_staged", computer=computer.name, computer_id=computer.uid, version=patch, sim_ms=when)

    # ----- restarts ---------------------------------------------------------------------
    def _on_restart_begin(self, when, computer, command):
        row = command.rows[computer.uid]
        if row["stateId"] in FINAL_STATES or computer.restarting:
            return
        self._begin_restart(when, computer, [command], "command")

    def _begin_restart(self, when, computer, commands, cause):
        """Offline now, back after restart_s (unless never_back); every command's row follows the restart."""
        for command in commands:
            row = command.rows.get(computer.uid)
            if row is not None and row["stateId"] not in FINAL_STATES:
                self._set_row(row, when, STATE_IN_PROGRESS, SUBSTATE_OK, "Restarting")
        self.take_offline(computer, when)
        computer.restarting = True
        never_back = computer.name.lower() in self.fault_names("never_back")
        self.emu.log("restart_begin", computer=computer.name, computer_id=computer.uid,
                     command_id=commands[0].id if commands else None, never_back=never_back, cause=cause, sim_ms=int(when))
        if not never_back:
            self.schedule(when + self.emu.settings["restart_s"] * 1000, "restart_end", computer, commands)

    # ----- the restart schedule of a group location (general_settings.restart) -----------------
    def restart_windows(self, computer, around_ms):
        """The (start, end) of each scheduled restart from a day before ``around_ms`` to eight days after.

        The schedule has no time zone: the client applies it in its own local time (its record's
        timeZone, minutes east of UTC). ``time_window`` is whole hours either side of ``time`` when
        ``randomize_start_time`` is on (the console's "randomize the start time + or -"), else the
        restart is at ``time``. Nothing while the schedule is off or names no day.
        """
        group = self.emu.groups.get(computer.group_id)
        if group is None:
            return []
        restart = (self.emu.location_settings(group, group.default_location).get("general_settings") or {}).get("restart") or {}
        schedule = restart.get("schedule") or {}
        if not restart.get("enabled") or not any(schedule.get(day) for day in WEEKDAYS):
            return []
        offset_ms = int(computer.record.get("timeZone") or 0) * 60_000
        hours, minutes = (int(part) for part in str(schedule.get("time") or "00:00").split(":"))
        spread_ms = int(schedule.get("time_window") or 0) * HOUR_MS if schedule.get("randomize_start_time") else 0
        local_day = (around_ms + offset_ms) // DAY_MS * DAY_MS
        windows = []
        for number in range(-1, 9):
            day = local_day + number * DAY_MS
            weekday = datetime.datetime.fromtimestamp(day / 1000.0, datetime.timezone.utc).weekday()
            if schedule.get(WEEKDAYS[weekday]):
                moment = day + (hours * 60 + minutes) * 60_000 - offset_ms
                windows.append((moment - spread_ms, moment + spread_ms))
        return windows

    def next_scheduled_restart(self, computer, now_ms):
        """When the schedule restarts this computer: its own point in the next window (at once if an open window's passed)."""
        for start, end in self.restart_windows(computer, now_ms):
            point = start + int(computer.hb_phase * (end - start))
            if point >= now_ms:
                return point
            if end > now_ms:
                return now_ms + STEP_MS
        return None

    def plan_scheduled_restart(self, computer, now_ms=None):
        """(Re)plan the restart a pending patch or a "later" restart command waits for; a moved computer follows its new group."""
        computer.restart_plan += 1
        if computer.platform == "linux" or not (computer.sep_restart_pending or computer.later_commands):
            return
        now_ms = self.emu.clock.now_ms() if now_ms is None else now_ms
        due = self.next_scheduled_restart(computer, now_ms)
        if due is not None:
            self.schedule(due, "scheduled_restart", computer, computer.restart_plan)

    def schedule_changed(self, group_id):
        for computer in self.emu.members(group_id):
            self.plan_scheduled_restart(computer)

    def _on_scheduled_restart(self, when, computer, plan):
        if plan != computer.restart_plan or computer.restarting or not computer.online:
            return  # planned again since, or it comes back online and is planned then
        if not any(start <= when <= end for start, end in self.restart_windows(computer, when)):
            self.plan_scheduled_restart(computer, when)
            return
        commands = [command for command in computer.later_commands
                    if command.rows.get(computer.uid, {}).get("stateId") not in FINAL_STATES]
        computer.later_commands = []
        if computer.sep_restart_pending or commands:
            self._begin_restart(when, computer, commands, "schedule")

    # ----- the endpoint itself (the package method's host tasks, through /_emulator/endpoint) -----
    def endpoint_restart(self, computer):
        """A restart of Windows itself (not a SEPM command): offline a second later, back after restart_s."""
        self.schedule(self.emu.clock.now_ms() + STEP_MS, "endpoint_restart_begin", computer)

    def _on_endpoint_restart_begin(self, when, computer, _payload):
        if computer.restarting:
            return
        self.take_offline(computer, when)
        computer.restarting = True
        never_back = computer.name.lower() in self.fault_names("never_back")
        self.emu.log("restart_begin", computer=computer.name, computer_id=computer.uid, command_id=None, never_back=never_back,
                     cause="endpoint")
        if not never_back:
            self.schedule(when + self.emu.settings["restart_s"] * 1000, "restart_end", computer, [])

    def endpoint_install(self, computer, version):
        """A silent install of a client package: the new version takes effect at the next restart."""
        self._stage_patch(computer, version, self.emu.clock.now_ms())
        computer.record["rebootReason"] = "Client install package pending a restart"
        self.emu.log("package_installed", computer=computer.name, computer_id=computer.uid, version=version)

    def take_offline(self, computer, when):
        computer.online = False
        computer.hb_scheduled_ms = None
        if computer.silent_since_ms is None:  # a client that does not reach the SEPM tells it nothing
            computer.record["onlineStatus"] = 0
            computer.record["lastUpdateTime"] = int(when)

    def bring_online(self, computer, when):
        computer.online = True
        if computer.silent_since_ms is None:
            computer.record["onlineStatus"] = 1
            computer.last_hb_ms = max(computer.last_hb_ms, int(when))
            self.wake(computer, at_ms=when)
        if computer.sep_restart_pending or computer.later_commands:
            self.plan_scheduled_restart(computer, when)

    def _on_restart_end(self, when, computer, commands):
        record = computer.record
        computer.restarting = False
        computer.boot_ms = int(when)
        unpatched = computer.name.lower() in self.fault_names("back_unpatched")
        installed = computer.staged_version if computer.staged_version and not unpatched else None
        if installed:
            record.update({
                "agentVersion": computer.staged_version, "deploymentRunningVersion": computer.staged_version,
                "deploymentStatus": DEPLOY_OK, "deploymentMessage": "", "lastDeploymentTime": int(when),
                "rebootRequired": 0, "rebootReason": "",
            })
            computer.staged_version = None
            computer.sep_restart_pending = False
        elif not computer.staged_version:
            record.update({"rebootRequired": 0, "rebootReason": ""})
            computer.sep_restart_pending = False
        self.bring_online(computer, when)
        if installed:
            bad_patch.install(self.emu, computer, installed, when)
        for command in commands:
            row = command.rows.get(computer.uid)
            if row is not None and row["stateId"] not in FINAL_STATES:
                self._set_row(row, when, STATE_COMPLETED, SUBSTATE_OK, "Success")
        self.emu.log("restart_end", computer=computer.name, computer_id=computer.uid,
                     command_id=commands[0].id if commands else None,
                     version=record["agentVersion"], reboot_required=record["rebootRequired"], sim_ms=int(when))

    def fault_names(self, kind):
        return {name.lower() for fault in self.emu.faults if fault["kind"] == kind for name in fault.get("computers", ())}

    # ----- statistics ---------------------------------------------------------------------
    def version_counts(self):
        counts = {}
        for computer in self.emu.computers:
            version = computer.record["agentVersion"]
            counts[version] = counts.get(version, 0) + 1
        return counts

    @staticmethod
    def formatted_version(version):
        parts = version_tuple(version)
        if len(parts) != 4:
            return version
        release = parts[3] // 1000
        patch = parts[3] % 1000
        label = f"{parts[0]}.{parts[1]} RU{release}" + (f" patch {patch // 100}" if patch else "")
        return f"{parts[0]}.{parts[1]}.{release} ({label}) build {parts[2]}"
