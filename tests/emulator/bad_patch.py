"""The bad patch: a client patch that harms the computers it is installed on (a fault of /_emulator/faults).

A patch is installed by the restart that completes it (a SEPM ``restart`` command or an
endpoint restart of the package method). On the computers a ``bad_patch`` fault chooses,
that restart then does one harm, as a real broken patch could:

* ``switch_off``: protection switches (``apOnOff`` ...) take ``switch_value`` (0, Disabled);
* ``stops_checking_in``: the client reports once as it boots (the SEPM shows it online at
  the new version) and never again: ``lastUpdateTime`` stops moving and, after
  ``OFFLINE_AFTER_HEARTBEATS`` missed heartbeats, the SEPM shows it offline;
* ``infected``: ``infected`` 1 and ``worstInfectionIdx`` the given severity;

and, with ``older_definitions``, leaves virus definitions a day older than they were.
"""

import datetime
import fnmatch
import hashlib

EFFECTS = ("switch_off", "stops_checking_in", "infected")
# The protection switches of a computer record, and the values the SEPM's SEM_AGENT table gives them.
SWITCHES = ("apOnOff", "avEngineOnOff", "firewallOnOff", "tamperOnOff")
SWITCH_VALUES = (0, 1, 2, 3, 4, 5, 127)
SWITCH_ON = 1
NO_DETECTIONS = "9999"
SEVERITIES = tuple(range(0, 16))
# How many heartbeats a client may miss before the SEPM shows it offline [guess: not published].
OFFLINE_AFTER_HEARTBEATS = 3


class BadPatchError(ValueError):
    """A malformed bad_patch fault or computer control: answered 400."""


def _names(value, field):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise BadPatchError(f"{field} must be a list of computer names")
    return [name.lower() for name in value]


def parse_fault(body, fault_id):
    """The stored fault for a POST /_emulator/faults body of kind bad_patch."""
    effect = body.get("effect")
    if effect not in EFFECTS:
        raise BadPatchError(f"effect must be one of {', '.join(EFFECTS)}")
    names = _names(body.get("computers"), "computers")
    pattern = body.get("pattern")
    if pattern is not None and (not isinstance(pattern, str) or not pattern):
        raise BadPatchError("pattern must be a computer name pattern such as WS-FIN-*")
    share = body.get("share", 1.0)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        raise BadPatchError("share must be a number more than 0 and at most 1")
    fault = {"id": fault_id, "kind": "bad_patch", "effect": effect, "computers": names, "pattern": pattern,
             "share": float(share), "version": body.get("version"), "older_definitions": bool(body.get("older_definitions"))}
    if fault["version"] is not None and (not isinstance(fault["version"], str) or len(fault["version"].split(".")) != 4):
        raise BadPatchError("version must look like 14.3.10148.9100")
    if effect == "switch_off":
        switches = body.get("switches", ["apOnOff"])
        if not isinstance(switches, list) or not switches or any(switch not in SWITCHES for switch in switches):
            raise BadPatchError(f"switches must be a list of {', '.join(SWITCHES)}")
        value = body.get("switch_value", 0)
        if value not in SWITCH_VALUES or value == SWITCH_ON or isinstance(value, bool):
            raise BadPatchError("switch_value must be one of 0, 2, 3, 4, 5, 127 (1 is on)")
        fault.update(switches=list(switches), switch_value=value)
    elif effect == "infected":
        severity = body.get("severity", 0)
        if severity not in SEVERITIES or isinstance(severity, bool):
            raise BadPatchError("severity must be a whole number from 0 (viral) to 15")
        fault["severity"] = severity
    return fault


def draw(seed, name):
    """A number in [0, 1) fixed by the emulator's seed and the computer's name: who a share picks."""
    digest = hashlib.sha256(f"{seed}\0{name.lower()}".encode()).hexdigest()
    return int(digest[:16], 16) / float(1 << 64)


def chooses(fault, computer, seed, version=None):
    """True when ``fault`` harms ``computer`` as it installs ``version``.

    The candidates are the computers named or matching the pattern (everyone when neither
    is given); ``share`` picks that share of them, the same ones for the same seed.
    """
    if fault["version"] and version and fault["version"] != version:
        return False
    name = computer.name.lower()
    if fault["computers"] or fault["pattern"]:
        named = name in fault["computers"]
        matched = bool(fault["pattern"]) and fnmatch.fnmatchcase(name, fault["pattern"].lower())
        if not (named or matched):
            return False
    return draw(seed, name) < fault["share"]


def older_definitions(version):
    """A definitions version (``YYMMDDrrr``, e.g. 240820021) one day older, with the same revision."""
    text = str(version or "")
    try:
        day = datetime.datetime.strptime(text[:6], "%y%m%d") - datetime.timedelta(days=1)
    except ValueError:
        return str(max(0, int(text) - 1000)) if text.isdigit() else text
    return day.strftime("%y%m%d") + text[6:]


def install(emu, computer, version, when):
    """Apply the bad patches that choose ``computer`` as the restart completes ``version``; the effects done."""
    effects = []
    record = computer.record
    for fault in emu.faults:
        if fault["kind"] != "bad_patch" or not chooses(fault, computer, emu.seed, version):
            continue
        if fault["effect"] == "switch_off":
            for switch in fault["switches"]:
                record[switch] = fault["switch_value"]
            effects.append("switch_off:" + ",".join(fault["switches"]))
        elif fault["effect"] == "stops_checking_in":
            stop_checking_in(computer, when)
            effects.append("stops_checking_in")
        else:
            record["infected"] = 1
            record["worstInfectionIdx"] = str(fault["severity"])
            effects.append("infected")
        if fault["older_definitions"]:
            record["avDefsetVersion"] = older_definitions(record["avDefsetVersion"])
            effects.append("older_definitions")
    if effects:
        emu.log("bad_patch", computer=computer.name, computer_id=computer.uid, version=version, effects=effects)
    return effects


def stop_checking_in(computer, when):
    """From ``when`` on the client never reaches the SEPM again; its record keeps its last check-in."""
    computer.silent_since_ms = int(when)
    computer.record["lastUpdateTime"] = int(when)
    computer.record["agentTimeStamp"] = int(when)


def set_health(computer, body, now):
    """The health part of PATCH /_emulator/computers: switches, infection and checking in, as a test sets them."""
    record = computer.record
    for switch, value in (body.get("switches") or {}).items():
        record[switch] = value
    if "infected" in body:
        record["infected"] = 1 if body["infected"] else 0
        record["worstInfectionIdx"] = "0" if body["infected"] else NO_DETECTIONS
    if body.get("checking_in") is False and computer.silent_since_ms is None:
        stop_checking_in(computer, now)
    elif body.get("checking_in") is True:
        computer.silent_since_ms = None


def check_health_body(body):
    """The health fields of a PATCH /_emulator/computers body, checked before any computer changes."""
    switches = body.get("switches")
    if switches is not None:
        if not isinstance(switches, dict) or any(name not in SWITCHES for name in switches):
            raise BadPatchError(f"switches must map {', '.join(SWITCHES)} to a value")
        if any(value not in SWITCH_VALUES or isinstance(value, bool) for value in switches.values()):
            raise BadPatchError("a switch value must be one of 0, 1, 2, 3, 4, 5, 127")
    for flag in ("infected", "checking_in"):
        if flag in body and not isinstance(body[flag], bool):
            raise BadPatchError(f"{flag} must be true or false")
