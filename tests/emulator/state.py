"""The emulated SEPM's state: clock, tokens, groups, policies, computers and the control log."""

import copy
import secrets
import threading
import time
from dataclasses import dataclass

from . import fleet, tomcat
from .model import Group, Location, Policy, serial_number
from .simulation import ClientSimulation

DEFAULT_SETTINGS = {
    "token_lifetime_s": 3600,
    "throttle": None,
    "heartbeat_s": 60,
    "download_s": 120,
    "install_s": 60,
    "restart_s": 180,
    "max_page_size": 1000,
    # Tomcat's maxHttpHeaderSize: the most bytes of request line plus headers the SEPM reads.
    "max_header_bytes": tomcat.DEFAULT_MAX_HEADER_BYTES,
    "sepm_version": fleet.SEPM_VERSION,
}
# role.bitMask and title, and the permissionSet (UserPermission of Identity.json) each user logs in with:
# a system administrator has every right; a domain administrator too, but not the system administrator's
# role the reference asks for commands; a limited administrator here may only report.
ALL_RIGHTS = {"reportingRights": True, "groupRights": True, "siteRights": True, "remoteCommandRights": True,
              "policyRights": True}
REPORTING_ONLY = dict({right: False for right in ALL_RIGHTS}, reportingRights=True)
USERS = {
    "admin": (8, "sysadmin", ALL_RIGHTS),
    "domainadmin": (4, "domainadmin", ALL_RIGHTS),
    "limited": (2, "limitedadmin", REPORTING_ONLY),
}


class ApiError(Exception):
    """An error SEPM answers with its envelope {errorCode, appErrorCode, errorMessage}."""

    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def not_found():
    return ApiError(410, "Cannot find the specified object.")


class SimClock:
    """Simulated epoch milliseconds: start + real elapsed time x scale, plus manual jumps."""

    def __init__(self, start_ms, scale):
        self.scale = scale
        self._base_sim = start_ms
        self._base_real = time.monotonic()

    def now_ms(self):
        return int(self._base_sim + (time.monotonic() - self._base_real) * self.scale * 1000)

    def advance(self, seconds):
        self._base_sim += seconds * 1000

    def set_ms(self, when_ms):
        self._base_real = time.monotonic()
        self._base_sim = when_ms

    def set_scale(self, scale):
        self.set_ms(self.now_ms())
        self.scale = scale


@dataclass
class Token:
    """An issued access token; `expires` is on the real monotonic clock."""
    username: str
    bitmask: int
    expires: float
    revoked: bool = False


class TokenStore(dict):
    """Issued tokens by value."""

    def check(self, header):
        """The (value, Token) of a live bearer token in an Authorization header, or a 401."""
        scheme, _sep, value = (header or "").partition(" ")
        token = self.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None or token.revoked or token.expires <= time.monotonic():
            raise ApiError(401, "The user is unauthorized or the token has expired.")
        return value.strip(), token

    def expire_all(self):
        for token in self.values():
            token.expires = 0.0


class Emulator:
    """All state behind one lock; every request first advances the simulation to now."""

    def __init__(self, fleet_size, seed, time_scale, password):
        self.sim = ClientSimulation(self)
        self.lock = threading.RLock()
        self.password = password
        self.clock = SimClock(int(time.time() * 1000), time_scale)
        self.settings = dict(DEFAULT_SETTINGS)
        self.tokens = TokenStore()
        self.faults = []
        self.fault_serial = 0
        self.requests = {}
        self.request_heads = {"largest_bytes": 0, "refused": 0}
        self.throttle_window = [0.0, 0]
        self.events = []
        self.domain_id = ""
        self.groups, self.policies, self.commands = {}, {}, {}
        self.computers, self.critical_events, self.patch_versions = [], [], []
        self.by_uid, self.by_hardware_key, self.by_name = {}, {}, {}
        # Each group's computers, kept by move_computer: a request about one group costs its members, not the fleet.
        self._members, self._member_lists, self._position = {}, {}, {}
        self.fleet_size = fleet_size
        self.seed = seed
        self.reset(fleet_size, seed)

    # ----- lifecycle -------------------------------------------------------------
    def reset(self, fleet_size=None, seed=None, profile=None):
        """Rebuild the seeded world; clear faults, logs, commands and request counters."""
        with self.lock:
            self.fleet_size = self.fleet_size if fleet_size is None else int(fleet_size)
            self.seed = self.seed if seed is None else seed
            self.profile = profile or getattr(self, "profile", "mixed")
            world = fleet.build_world(self.fleet_size, self.seed, self.clock.now_ms(), self.profile)
            self.domain_id = world.domain_id
            self.groups = world.groups
            self.policies = world.policies
            self.computers = sorted(world.computers, key=lambda c: c.name.lower())
            self.by_uid = {c.uid: c for c in self.computers}
            self.by_hardware_key = {c.record["hardwareKey"]: c for c in self.computers}
            self.by_name = {c.name.lower(): c for c in self.computers}
            self._position = {c.uid: position for position, c in enumerate(self.computers)}
            self._members, self._member_lists = {}, {}
            for computer in self.computers:
                self._members.setdefault(computer.group_id, {})[computer.uid] = computer
            self.critical_events = world.critical_events
            self.patch_versions = world.patch_versions
            self.commands = {}
            self.faults = []
            self.events = []
            self.reset_request_counts()
            self.throttle_window = [0.0, 0]
            self.sim.reset_simulation()

    def reset_request_counts(self):
        with self.lock:
            self.requests = {}
            self.request_heads = {"largest_bytes": 0, "refused": 0}

    def note_request_head(self, head_bytes, refused):
        """A SEPM request's line plus headers as received, and whether the head limit refused it."""
        with self.lock:
            heads = self.request_heads
            heads["largest_bytes"] = max(heads["largest_bytes"], head_bytes)
            heads["refused"] += 1 if refused else 0

    def log(self, kind, **fields):
        """Append to the control event log (what tests read through /_emulator/events)."""
        self.events.append({"seq": len(self.events) + 1, "time_ms": self.clock.now_ms(), "kind": kind, **fields})

    # ----- identity ----------------------------------------------------------------
    def authenticate(self, username, password, domain):
        if domain not in (None, "", "Default", "default") or username not in USERS or password != self.password:
            raise ApiError(401, "Invalid username or password.")
        bitmask = USERS[username][0]
        token = secrets.token_hex(24)
        lifetime = int(self.settings["token_lifetime_s"])
        self.tokens[token] = Token(username, bitmask, time.monotonic() + lifetime)
        self.log("login", username=username)
        reply = self.user_token(username, token)
        reply.update({"getfullName": None, "tokenExpiration": lifetime, "refreshToken": secrets.token_hex(24),
                      "refreshTokenExpiration": lifetime * 2})
        return reply

    def user_token(self, username, token):
        """A UserToken: the login reply (Identity.json) and, with "fullname", GET sessions/currentuser's (administrators.json)."""
        bitmask, title, rights = USERS[username]
        return {
            "username": username, "domain": "Default", "token": token,
            "role": {"bitMask": bitmask, "title": title}, "adminId": fleet.ADMIN_ID if bitmask == 8 else fleet.ADMIN_ID[::-1],
            "clientId": None, "clientSecret": None, "permissionSet": dict(rights),
            "bannerTitle": None, "bannerText": None, "domainid": self.domain_id.lower(), "serverTime": self.clock.now_ms(),
        }

    def current_user(self, token_value, token):
        remaining = max(0, int(token.expires - time.monotonic()))
        return dict(self.user_token(token.username, token_value), fullname=None, tokenExpiration=remaining)

    # ----- computers in groups -----------------------------------------------------------
    def members(self, group_id):
        """A group's own computers, in the fleet's order (by name), as a list kept until one moves."""
        listed = self._member_lists.get(group_id)
        if listed is None:
            listed = sorted(self._members.get(group_id, {}).values(), key=lambda c: self._position[c.uid])
            self._member_lists[group_id] = listed
        return listed

    def member_count(self, group_id):
        return len(self._members.get(group_id, ()))

    def move_computer(self, computer, target):
        """Put a computer into another group: its record and the groups' member lists."""
        source_id = computer.group_id
        computer.record["group"] = dict(computer.record["group"], id=target.id, name=self.path_of(target))
        self._members.get(source_id, {}).pop(computer.uid, None)
        self._members.setdefault(target.id, {})[computer.uid] = computer
        self._member_lists.pop(source_id, None)
        self._member_lists.pop(target.id, None)

    # ----- groups --------------------------------------------------------------------
    def group(self, group_id):
        group = self.groups.get((group_id or "").upper())
        if group is None:
            raise not_found()
        return group

    def path_of(self, group):
        names = []
        while group is not None:
            names.append(group.name)
            group = self.groups.get(group.parent_id) if group.parent_id else None
        return "\\".join(reversed(names))

    def group_record(self, group, with_children=False):
        members = self.member_count(group.id)
        record = {
            "created": group.created_ms, "createdBy": group.created_by, "customIpsNumber": "", "description": group.description,
            "domain": {"id": self.domain_id, "name": None}, "fullPathName": self.path_of(group), "id": group.id,
            "lastModified": group.modified_ms, "name": group.name, "numberOfPhysicalComputers": members,
            "numberOfRegisteredUsers": members, "policyDate": group.policy_date_ms,
            "policyInheritanceEnabled": group.inherits, "policySerialNumber": group.serial,
        }
        if with_children:
            record["childGroups"] = [self.group_record(self.groups[child], True) for child in group.children]
        return record

    def new_id(self):
        return secrets.token_hex(16).upper()

    def create_group(self, parent, name, description, inherits):
        parent_path = self.path_of(parent)
        if any(self.groups[child].name.lower() == name.lower() for child in parent.children):
            raise ApiError(409, f"The group name {name} already exists under {parent_path}.")
        now = self.clock.now_ms()
        group_id = self.new_id()
        group = Group(
            id=group_id, name=name, parent_id=parent.id, description=description or "", inherits=inherits,
            created_ms=now, created_by=fleet.ADMIN_ID.ljust(128), serial=serial_number(group_id, now),
            policy_date_ms=now, modified_ms=now, locations=[Location(self.new_id(), "Default")],
        )
        self.groups[group_id] = group
        parent.children.append(group_id)
        if not inherits:
            self.copy_effective_policies(group, parent)
        self.log("group_created", group=self.path_of(group), group_id=group_id, inherits=inherits)
        return group

    def copy_effective_policies(self, group, source):
        """A group that stops inheriting starts with the policies it had inherited (as SEPM does)."""
        own = group.assignments.setdefault(group.default_location.id, {})
        for ptype in {t for assigned in self._chain_assignments(source) for t in assigned}:
            if ptype not in own:
                own[ptype] = self.effective_policy(source, ptype)
        for ptype in ("lucontent",):
            policy_id = self.effective_group_policy(source, ptype)
            if policy_id and ptype not in group.group_policies:
                group.group_policies[ptype] = policy_id

    def _chain_assignments(self, group):
        while group is not None:
            yield from group.assignments.values()
            group = self.groups.get(group.parent_id) if group.inherits and group.parent_id else None

    def delete_group(self, group):
        if group.parent_id is None:
            raise ApiError(400, "The root group cannot be deleted.")
        if group.children or self.member_count(group.id):
            raise ApiError(400, "The group is not empty: move its computers and delete its subgroups first.")
        path = self.path_of(group)
        self.groups[group.parent_id].children.remove(group.id)
        del self.groups[group.id]
        self.log("group_deleted", group=path, group_id=group.id)

    def update_group(self, group, body):
        parent = self.groups.get(group.parent_id) if group.parent_id else None
        name = body["name"]
        if parent and name.lower() != group.name.lower() and any(
                self.groups[child].name.lower() == name.lower() for child in parent.children):
            raise ApiError(409, f"The group name {name} already exists.")
        group.name = name
        if "description" in body:
            group.description = body["description"] or ""
        if "inherits" in body and parent is not None and bool(body["inherits"]) != group.inherits:
            group.inherits = bool(body["inherits"])
            if not group.inherits:
                self.copy_effective_policies(group, parent)
            self.bump_serial(group)
        group.modified_ms = self.clock.now_ms()

    # ----- policies ------------------------------------------------------------------
    def policy(self, policy_id, ptype=None):
        policy = self.policies.get((policy_id or "").upper())
        if policy is None or (ptype and policy.ptype != ptype):
            raise not_found()
        return policy

    def effective_policy(self, group, ptype, location_name="Default"):
        """The policy a group's location runs: its own assignment, else (if inheriting) its parent's."""
        while group is not None:
            location = next((loc for loc in group.locations if loc.name == location_name), group.default_location)
            policy_id = group.assignments.get(location.id, {}).get(ptype)
            if policy_id is None and location is not group.default_location:
                policy_id = group.assignments.get(group.default_location.id, {}).get(ptype)
            if policy_id is not None:
                return policy_id
            group = self.groups.get(group.parent_id) if group.inherits and group.parent_id else None
        return None

    def effective_group_policy(self, group, ptype):
        while group is not None:
            if ptype in group.group_policies:
                return group.group_policies[ptype]
            group = self.groups.get(group.parent_id) if group.inherits and group.parent_id else None
        return None

    def allows_patches(self, group):
        policy_id = self.effective_policy(group, "lu")
        policy = self.policies.get(policy_id) if policy_id else None
        if policy is None or not policy.configuration:
            return False
        return bool(policy.configuration["windows"]["advanced"]["allow_patch_by_lu"])

    def assign_policy(self, group, location, ptype, policy):
        if location is None:
            group.group_policies[ptype] = policy.id
        else:
            group.assignments.setdefault(location.id, {})[ptype] = policy.id
        self.bump_serial(group)
        self.log("policy_assigned", group=self.path_of(group), group_id=group.id,
                 location=location.name if location else None, type=ptype, policy=policy.name, policy_id=policy.id)

    def bump_serial(self, group):
        """A group's policies changed: new serial for it and every group inheriting from it."""
        now = self.clock.now_ms()
        touched = []
        pending = [group]
        while pending:
            current = pending.pop()
            current.serial = serial_number(current.id, now)
            current.policy_date_ms = now
            touched.append(current.id)
            pending += [self.groups[child] for child in current.children if self.groups[child].inherits]
        self.sim.profiles_changed(set(touched))

    def console_lu_policy(self, name, platform, allow):
        """What an admin does in the console: create or edit a LiveUpdate Settings policy."""
        policy = next((p for p in self.policies.values() if p.ptype == "lu" and p.name.lower() == name.lower()), None)
        now = self.clock.now_ms()
        if policy is None:
            policy = Policy(id=self.new_id(), name=name, ptype="lu", enabled=True, desc="Created in the console.",
                            lastmodified_ms=now, configuration=fleet.lu_configuration(False))
            self.policies[policy.id] = policy
        policy.configuration[platform]["advanced"]["allow_patch_by_lu"] = bool(allow)
        policy.lastmodified_ms = now
        for group in list(self.groups.values()):
            if any(assigned.get("lu") == policy.id for assigned in group.assignments.values()):
                self.bump_serial(group)
        self.log("lu_policy_changed", policy=policy.name, policy_id=policy.id, platform=platform, allow_patch_by_lu=bool(allow))
        return policy

    def download_patch(self, version):
        self.patch_versions.append(version)
        event = fleet.package_event(self.new_id(), self.clock.now_ms(), fleet.patch_product(version))
        self.critical_events.append(event)
        self.log("patch_downloaded", version=version)
        return event

    # ----- location settings --------------------------------------------------------------
    def location_settings(self, group, location):
        if location.id not in group.settings:
            group.settings[location.id] = copy.deepcopy(DEFAULT_LOCATION_SETTINGS)
        # The clients heartbeat every heartbeat_s (one setting for the whole fleet): the settings say what they do.
        communication = group.settings[location.id]["communication_settings"]
        heartbeat = max(1, int(round(self.settings["heartbeat_s"])))
        communication["pull_mode_heartbeat_freq_in_seconds"] = communication["upload_op_state_heartbeat_freq_in_seconds"] = heartbeat
        return group.settings[location.id]


DEFAULT_LOCATION_SETTINGS = {
    "communication_settings": {
        "mode": "PULL", "pull_mode_heartbeat_freq_in_seconds": 60, "upload_op_state_heartbeat_freq_in_seconds": 60,
        "upload_log_heartbeat_freq_in_seconds": 300, "upload_cmd_state_heartbeat_freq_in_seconds": 60,
        "download_profile": True, "app_upload": False, "connect_to_server": True, "randomization_enabled": True,
        "randomization_frequency": 1, "randomization_range": 60, "remember_current_group": True,
        "allow_client_upload_critical_event_immediately": True, "remember_current_policy_mode": True,
    },
    "general_settings": {
        "restart": {
            "enabled": False, "force": False, "force_when_logged_out": False,
            "endpoint_notification": {
                "enabled": True, "endpoint_notification_message": "Symantec Endpoint Protection needs to restart your computer.",
                "user_pause_TTL": 60, "countdown": 15, "user_pause_till_schedule": {},
            },
            "immediate": {},
            "schedule": {
                "time": "02:00", "time_window": 1, "randomize_start_time": False, "monday": False, "tuesday": False,
                "wednesday": False, "thursday": False, "friday": False, "saturday": True, "sunday": False,
            },
        },
        "security_settings": {"stopped_mode": "ALLOW", "secure_communications": False},
    },
}
