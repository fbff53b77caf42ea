"""The objects the emulated SEPM holds: groups, policies, computers and commands."""

import datetime
import json
from dataclasses import dataclass, field
from typing import Optional

# Command states and sub-states as SEPM reports them (vendor KB "state and substate values").
STATE_INITIAL, STATE_RECEIVED, STATE_IN_PROGRESS, STATE_COMPLETED = 0, 1, 2, 3
STATE_REJECTED, STATE_CANCELLED, STATE_ERROR = 4, 5, 6
FINAL_STATES = (STATE_COMPLETED, STATE_REJECTED, STATE_CANCELLED, STATE_ERROR)
SUBSTATE_OK = 0
SUBSTATE_RESTART_NOT_ALLOWED = 5
SUBSTATE_LU_DOWNLOADING = 120

# Policy types a group location can hold; the others are assigned per group or not at all.
LOCATION_POLICY_TYPES = ("av", "fw", "ips", "adc", "hi", "hid", "mem", "lu", "exceptions", "ntr", "tdad")
GROUP_POLICY_TYPES = ("lucontent",)
ALL_POLICY_TYPES = ("adc", "av", "exceptions", "fw", "hi", "hid", "ips", "lu", "lucontent", "mem", "msl", "ntr", "upgrade")


def serial_number(group_id, when_ms):
    """A policy serial as SEPM writes it: '<first 4 hex of the group id>-MM/DD/YYYY HH:MM:SS mmm'."""
    moment = datetime.datetime.fromtimestamp(when_ms / 1000.0, datetime.timezone.utc)
    return f"{group_id[:4]}-{moment:%m/%d/%Y %H:%M:%S} {int(when_ms) % 1000:03d}"


def sql_timestamp(when_ms):
    """SEPM's Java timestamp text, as in critical events and command rows: 'YYYY-MM-DD HH:MM:SS.0'."""
    if when_ms is None:
        return None
    moment = datetime.datetime.fromtimestamp(when_ms / 1000.0, datetime.timezone.utc)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{int(when_ms) % 1000 // 100}"


def version_tuple(version):
    """'14.3.10148.9100' -> (14, 3, 10148, 9100); anything unparsable sorts first."""
    try:
        return tuple(int(part) for part in version.split("."))
    except (AttributeError, ValueError):
        return ()


def release_of(version):
    """The release a version belongs to: (major, minor, RU number), e.g. 14.3 RU9 for 14.3.10148.9100."""
    parts = version_tuple(version)
    if len(parts) != 4:
        return None
    return parts[0], parts[1], parts[3] // 1000


@dataclass
class Location:
    """A group location (Default, Office, ...)."""
    id: str
    name: str


@dataclass
class Group:
    """A client group; policies live on its locations unless it inherits them."""
    id: str
    name: str
    parent_id: Optional[str]
    description: str
    inherits: bool
    created_ms: int
    created_by: str
    serial: str
    policy_date_ms: int
    modified_ms: int
    locations: list = field(default_factory=list)
    # location id -> {policy type -> policy id}; only what this group sets itself.
    assignments: dict = field(default_factory=dict)
    # location-independent policies: {type -> policy id}
    group_policies: dict = field(default_factory=dict)
    # location id -> settings configuration dict
    settings: dict = field(default_factory=dict)
    children: list = field(default_factory=list)

    @property
    def default_location(self):
        return self.locations[0]

    def location(self, location_id):
        if location_id.lower() == "default":
            return self.default_location
        for location in self.locations:
            if location.id == location_id.upper():
                return location
        return None


@dataclass
class Policy:
    """A policy; only LiveUpdate Settings policies carry a configuration here."""
    id: str
    name: str
    ptype: str
    enabled: bool
    desc: str
    lastmodified_ms: int
    configuration: Optional[dict] = None


# Fields of a computer record that move with the clock (every heartbeat), so they are not kept in its encoded JSON.
CLOCK_FIELDS = ("lastUpdateTime", "agentTimeStamp")
CLOCK_PREFIXES = {key: ", %s: " % json.dumps(key) for key in CLOCK_FIELDS}


def _json_value(value):
    # An int (the clock fields' usual type) needs no encoder; a bool is an int that JSON writes otherwise.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else json.dumps(value)


class Record(dict):
    """A computer's reply record that counts its changes, so its JSON is encoded again only after one.

    A page of 1,000 records is about 2 MB of JSON; encoding every record of every page a rollout of
    50,000 computers reads would make the emulator, not the collection, what a benchmark measures.
    The clock fields change at every heartbeat and are written after the kept text, so they do not
    count as changes. Nested values are replaced, never changed in place (``record["group"] = ...``).
    """

    __slots__ = ("changes", "encoded")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.changes = 0
        self.encoded = None

    def __setitem__(self, key, value):
        # A heartbeat sets fields to what they were: only a new value makes the kept text old.
        if key not in CLOCK_FIELDS and (key not in self or self[key] != value or type(self[key]) is not type(value)):
            self.changes += 1
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self.changes += 1
        super().__delitem__(key)

    def update(self, *args, **kwargs):  # pylint: disable=signature-differs
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def pop(self, *args):  # pylint: disable=signature-differs
        self.changes += 1
        return super().pop(*args)

    def setdefault(self, key, default=None):
        self.changes += 1
        return super().setdefault(key, default)

    def json(self):
        """The record as JSON text: the kept text of its other fields, then the clock fields as they are now."""
        if self.encoded is None or self.encoded[0] != self.changes:
            kept = json.dumps({key: value for key, value in self.items() if key not in CLOCK_FIELDS})
            self.encoded = (self.changes, kept[:-1])
        clock = "".join(CLOCK_PREFIXES[key] + _json_value(self[key]) for key in CLOCK_FIELDS if key in self)
        text = self.encoded[1] + clock + "}"
        return "{" + text[2:] if text.startswith("{,") else text


@dataclass
class Computer:
    """One simulated client. `record` is the reply record SEPM would send, kept up to date."""
    record: dict
    os_code: str
    platform: str
    hb_phase: float
    cluster: Optional[str] = None
    online: bool = True
    applied_allow_patch: bool = False
    staged_version: Optional[str] = None
    pending: list = field(default_factory=list)
    hb_scheduled_ms: Optional[int] = None
    restarting: bool = False
    last_hb_ms: int = 0
    package_files: dict = field(default_factory=dict)
    boot_ms: int = 0
    # A LiveUpdate client patch waits for a restart: the group's restart schedule may give it one.
    sep_restart_pending: bool = False
    # Restart commands sent with schedule_type "later": they wait for the restart schedule too.
    later_commands: list = field(default_factory=list)
    # Bumped whenever the scheduled restart is planned again, so an earlier plan's event does nothing.
    restart_plan: int = 0
    # Set when the client stopped reaching the SEPM (a bad patch): it sends no heartbeat from then on.
    silent_since_ms: Optional[int] = None

    @property
    def uid(self):
        return self.record["uniqueId"]

    @property
    def name(self):
        return self.record["computerName"]

    @property
    def group_id(self):
        return self.record["group"]["id"]


@dataclass
class Command:
    """A command sent to computers: one status row per computer, keyed by computer id."""
    id: str
    ctype: str
    created_ms: int
    rows: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
