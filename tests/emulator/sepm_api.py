"""The SEPM REST endpoints the emulator serves, under /sepm/api/v1.

Each route's template is written exactly as in the vendor reference (without the
`/api/v1/` prefix) so a test can check that every route exists there.
"""

import json
import math
import re
from dataclasses import dataclass, field
from typing import Callable

from .model import ALL_POLICY_TYPES, GROUP_POLICY_TYPES, LOCATION_POLICY_TYPES, Record
from .state import ApiError, not_found
from .validation import merge_settings, validate_group_payload, validate_location_settings

API_SEQUENCE = "240604011"
COMPUTER_SORTS = {
    "COMPUTER_NAME": lambda c: c.name.lower(),
    "COMPUTER_ID": lambda c: c.uid,
    "COMPUTER_DOMAIN_NAME": lambda c: c.record["domainOrWorkgroup"].lower(),
    "DOMAIN_ID": lambda c: c.record["group"]["domain"]["id"],
}


@dataclass
class Request:
    """One parsed SEPM request."""
    method: str
    path: str
    query: dict
    body: object = None
    params: dict = field(default_factory=dict)
    token: object = None
    raw_token: str = None

    def arg(self, name, default=None):
        values = self.query.get(name)
        return values[-1] if values else default

    def int_arg(self, name, default):
        value = self.arg(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except ValueError:
            raise ApiError(400, f"The parameter {name} is invalid.") from None

    def list_arg(self, *names):
        """Values of a list parameter given as repeats, a comma list, or both."""
        items = []
        for name in names:
            for value in self.query.get(name, ()):
                items += [part.strip() for part in value.split(",") if part.strip()]
        return items


class JsonText(str):
    """A reply body already encoded as JSON (the server sends it as it is)."""


@dataclass
class Reply:
    """What a handler answers: status, JSON-able body (None for no body) and extra headers."""
    status: int = 200
    body: object = None
    headers: dict = field(default_factory=dict)


@dataclass
class Route:
    """A SEPM endpoint: method, reference path template, handler and who may call it."""
    method: str
    template: str
    handler: Callable
    access: str = "sysadmin"   # "public", "user" (any valid token) or "sysadmin"
    pattern: re.Pattern = None
    names: tuple = ()

    def __post_init__(self):
        regex = re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(self.template))
        self.pattern = re.compile(f"^{regex}/?$")
        self.names = tuple(re.findall(r"\{([^}]+)\}", self.template))

    def match(self, path):
        found = re.match(self.pattern, path)
        return dict(zip(self.names, found.groups())) if found else None


# ----- paging ---------------------------------------------------------------------------
def sort_block(prop, ascending=True):
    return [{"ascending": ascending, "direction": "ASC" if ascending else "DESC", "property": prop}]


def page(items, req, default_size, sort, max_size):
    """SEPM's Spring page: 1-based pageIndex in, 0-based number out."""
    index = req.int_arg("pageIndex", 1)
    size = req.int_arg("pageSize", default_size)
    if index < 1 or size < 1:
        raise ApiError(400, "The parameters are invalid.")
    size = min(size, max_size)
    total = len(items)
    pages = math.ceil(total / size)
    content = items[(index - 1) * size:index * size]
    return {
        "content": content, "firstPage": index == 1, "lastPage": index >= pages, "number": index - 1,
        "numberOfElements": len(content), "size": size, "sort": sort, "totalElements": total, "totalPages": pages,
    }


def _ascending(req):
    return (req.arg("order") or "ASC").upper() != "DESC"


# ----- identity and version -------------------------------------------------------------
def authenticate(emu, req):
    body = req.body if isinstance(req.body, dict) else {}
    return Reply(body=emu.authenticate(body.get("username"), body.get("password"), body.get("domain")))


def logout(emu, req):
    emu.tokens[req.raw_token].revoked = True
    return Reply(204)


def current_user(emu, req):
    return Reply(body=emu.current_user(req.raw_token, req.token))


def version(emu, _req):
    parts = emu.settings["sepm_version"].split(".")
    return Reply(body={"API_SEQUENCE": API_SEQUENCE, "API_VERSION": f"{parts[0]}.{parts[1]}.{parts[-1]}",
                       "version": emu.settings["sepm_version"]})


# ----- groups -----------------------------------------------------------------------------
def _check_domain(emu, req, name="domain"):
    domain = req.arg(name)
    return domain in (None, "") or domain.upper() == emu.domain_id


def list_groups(emu, req):
    groups = list(emu.groups.values()) if _check_domain(emu, req) else []
    wanted = req.arg("fullPathName")
    if wanted:
        groups = [g for g in groups if emu.path_of(g).lower() == wanted.lower()]
    tree = (req.arg("mode") or "list").lower() == "tree"
    if tree and not wanted:
        groups = [g for g in groups if g.parent_id is None]
    prop = (req.arg("sort") or "NAME").upper()
    key = (lambda g: emu.path_of(g).lower()) if prop in ("FULLPATHNAME", "FULL_PATH_NAME") else (lambda g: g.name.lower())
    groups.sort(key=key, reverse=not _ascending(req))
    records = [emu.group_record(g, with_children=tree) for g in groups]
    return Reply(body=page(records, req, 25, sort_block("NAME", _ascending(req)), emu.settings["max_page_size"]))


def get_group(emu, req):
    return Reply(body=emu.group_record(emu.group(req.params["groupId"])))


def create_group(emu, req):
    parent = emu.group(req.params["groupId"])
    body = validate_group_payload(req.body)
    emu.create_group(parent, body["name"], body.get("description"), bool(body.get("inherits", False)))
    return Reply(201)


def update_group(emu, req):
    group = emu.group(req.params["groupId"])
    emu.update_group(group, validate_group_payload(req.body))
    return Reply(200)


def delete_group(emu, req):
    emu.delete_group(emu.group(req.params["groupId"]))
    return Reply(204)


def group_locations(emu, req):
    group = emu.group(req.params["groupId"])
    if (req.arg("hasName") or "").lower() == "true":
        return Reply(body=[f"{loc.name}:api/v1/locations/{loc.id}" for loc in group.locations])
    return Reply(body=[loc.id for loc in group.locations])


def _location(group, location_id):
    location = group.location(location_id)
    if location is None:
        raise not_found()
    return location


def location_policies(emu, req):
    group = emu.group(req.params["groupId"])
    location = _location(group, req.params["locationId"])
    listed = []
    for ptype in LOCATION_POLICY_TYPES:
        policy_id = emu.effective_policy(group, ptype, location.name)
        if policy_id:
            listed.append({"policyType": ptype, "id": policy_id, "name": emu.policies[policy_id].name})
    return Reply(body=listed)


def _policy_type(value, allowed):
    ptype = (value or "").lower()
    if ptype not in allowed:
        raise ApiError(400, "The policy type argument is invalid.")
    return ptype


def get_location_policy(emu, req):
    group = emu.group(req.params["groupId"])
    location = _location(group, req.params["locationId"])
    ptype = _policy_type(req.params["policyType"], LOCATION_POLICY_TYPES)
    policy_id = emu.effective_policy(group, ptype, location.name)
    if policy_id is None:
        raise not_found()
    return Reply(body=policy_id)


def _policy_from_body(emu, req, ptype):
    body = req.body if isinstance(req.body, dict) else {}
    if not isinstance(body.get("id"), str) or not body["id"]:
        raise ApiError(400, "The policy id is required.")
    policy = emu.policy(body["id"])
    if policy.ptype != ptype:
        raise ApiError(400, f"The policy {policy.id} is not of type {ptype}.")
    return policy


def put_location_policy(emu, req):
    group = emu.group(req.params["group_id"])
    location = _location(group, req.params["location_id"])
    ptype = _policy_type(req.params["policy_type"], LOCATION_POLICY_TYPES)
    policy = _policy_from_body(emu, req, ptype)
    if group.assignments.get(location.id, {}).get(ptype) != policy.id:
        emu.assign_policy(group, location, ptype, policy)
    return Reply(200)


def get_group_policy(emu, req):
    group = emu.group(req.params["group_id"])
    ptype = _policy_type(req.params["policy_type"], GROUP_POLICY_TYPES)
    policy_id = emu.effective_group_policy(group, ptype)
    if policy_id is None:
        raise not_found()
    return Reply(body=policy_id)


def put_group_policy(emu, req):
    group = emu.group(req.params["group_id"])
    ptype = _policy_type(req.params["policy_type"], GROUP_POLICY_TYPES)
    policy = _policy_from_body(emu, req, ptype)
    if group.group_policies.get(ptype) != policy.id:
        emu.assign_policy(group, None, ptype, policy)
    return Reply(200)


def get_location_settings(emu, req):
    group = emu.group(req.params["groupId"])
    location = _location(group, req.params["locationId"])
    return Reply(body={"configuration": emu.location_settings(group, location), "lockedoptions": {}})


def patch_location_settings(emu, req):
    group = emu.group(req.params["groupId"])
    location = _location(group, req.params["locationId"])
    configuration = validate_location_settings(req.body)
    merge_settings(emu.location_settings(group, location), configuration)
    emu.bump_serial(group)
    if location is group.default_location:
        emu.sim.schedule_changed(group.id)
    emu.log("settings_changed", group=emu.path_of(group), group_id=group.id, location=location.name,
            sections=sorted(configuration))
    return Reply(200)


# ----- computers --------------------------------------------------------------------------
def _wildcard(pattern):
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$", re.IGNORECASE)


def _select_computers(emu, req, group_id=None):
    if not _check_domain(emu, req):
        return []
    unique = req.arg("computer_id")
    hardware_key = req.arg("hardware_key")
    if unique or hardware_key:
        found = emu.by_uid.get(unique.upper()) if unique else emu.by_hardware_key.get(hardware_key.upper())
        return [found] if found else []
    selected = emu.computers if group_id is None else emu.members(group_id)
    name = req.arg("computerName")
    if name:
        matcher = _wildcard(name)
        selected = [c for c in selected if matcher.match(c.name)]
    mac = req.arg("mac")
    if mac:
        matcher = _wildcard(mac.replace(":", "-"))
        selected = [c for c in selected if any(matcher.match(m) for m in c.record["macAddresses"])]
    systems = {s.lower() for s in req.list_arg("os", "os[]")}
    if systems:
        selected = [c for c in selected if c.os_code.lower() in systems]
    since = req.int_arg("lastUpdate", 0)
    if since:
        now = emu.clock.now_ms()
        for computer in selected:
            emu.sim.refresh_record(computer, now)
        selected = [c for c in selected if c.record["lastUpdateTime"] >= since]
    return selected


def _computer_page(emu, req, group_id=None):
    selected = _select_computers(emu, req, group_id)
    prop = (req.arg("sort") or "COMPUTER_NAME").upper()
    prop = prop if prop in COMPUTER_SORTS else "COMPUTER_NAME"
    ascending = _ascending(req)
    if prop != "COMPUTER_NAME" or not ascending:
        selected = sorted(selected, key=COMPUTER_SORTS[prop], reverse=not ascending)
    reply = page(selected, req, 20, sort_block(prop, ascending), emu.settings["max_page_size"])
    now = emu.clock.now_ms()
    for computer in reply["content"]:
        emu.sim.refresh_record(computer, now)
    # Each record's JSON is kept between reads (model.Record): a page is its records' texts joined.
    records = [computer.record.json() if isinstance(computer.record, Record) else json.dumps(computer.record)
               for computer in reply["content"]]
    rest = json.dumps({key: value for key, value in reply.items() if key != "content"})
    return Reply(body=JsonText('{"content": [%s], %s' % (", ".join(records), rest[1:])))


def list_computers(emu, req):
    return _computer_page(emu, req)


def group_computers(emu, req):
    return _computer_page(emu, req, emu.group(req.params["groupId"]).id)


def move_computers(emu, req):
    if not isinstance(req.body, list) or not req.body:
        raise ApiError(400, "The request body must be a non-empty array of computers.")
    results = [_move_one(emu, item) for item in req.body]
    failed = any(result["responseCode"] != "200" for result in results)
    return Reply(207 if failed else 200, results)


def _move_one(emu, item):
    group_id = ((item or {}).get("group") or {}).get("id") if isinstance(item, dict) else None
    computer = emu.by_hardware_key.get(str((item or {}).get("hardwareKey", "")).upper()) if isinstance(item, dict) else None
    if computer is None:
        return {"responseCode": "410", "responseMessage": "Cannot find the specified computer."}
    target = emu.groups.get(str(group_id or "").upper())
    if target is None:
        return {"responseCode": "410", "responseMessage": "Cannot find the specified group."}
    source = emu.groups.get(computer.group_id)
    if target.id != computer.group_id:
        emu.move_computer(computer, target)
        emu.sim.wake(computer)
        emu.sim.plan_scheduled_restart(computer)
        emu.log("move", computer=computer.name, computer_id=computer.uid, from_group=emu.path_of(source) if source else None,
                to_group=emu.path_of(target), to_group_id=target.id)
    return {"responseCode": "200", "responseMessage": "OK"}


# ----- policies ----------------------------------------------------------------------------
def _policy_summary(emu, policy):
    assigned = []
    for group in emu.groups.values():
        location_ids = [loc.id for loc in group.locations if group.assignments.get(loc.id, {}).get(policy.ptype) == policy.id]
        if policy.ptype in group.group_policies and group.group_policies[policy.ptype] == policy.id:
            location_ids = [loc.id for loc in group.locations]
        if location_ids:
            assigned.append({"defaultLocationId": group.default_location.id, "groupId": group.id, "locationIds": location_ids})
    independent = policy.ptype == "lucontent"
    return {
        "assignedtocloudgroups": None, "assignedtolocations": None if independent else (assigned or None),
        "desc": policy.desc, "domainid": emu.domain_id, "enabled": policy.enabled, "id": policy.id,
        "lastmodifiedtime": policy.lastmodified_ms, "name": policy.name, "policytype": policy.ptype,
        "sources": None if independent else [], "subtype": None,
    }


def _summary_page(emu, policies):
    content = [_policy_summary(emu, p) for p in policies]
    return {"content": content, "firstPage": True, "lastPage": True, "number": 0, "numberOfElements": len(content),
            "size": len(content), "sort": None, "totalElements": len(content), "totalPages": 1}


def policy_summary(emu, _req):
    return Reply(body=_summary_page(emu, emu.policies.values()))


def policy_summary_of_type(emu, req):
    ptype = req.params["policy_type"].lower()
    if ptype not in ALL_POLICY_TYPES:
        raise ApiError(400, "The policy type argument is invalid.")
    return Reply(body=_summary_page(emu, [p for p in emu.policies.values() if p.ptype == ptype]))


def lu_policy(emu, req):
    policy = emu.policy(req.params["id"], "lu")
    return Reply(body={
        "configuration": policy.configuration, "desc": policy.desc, "enabled": policy.enabled,
        "lastmodifiedtime": policy.lastmodified_ms, "lockedoptions": {}, "name": policy.name, "sources": [],
    })


# ----- commands ----------------------------------------------------------------------------
def _targets(emu, req, with_hardware_ids):
    computer_ids = req.list_arg("computer_ids")
    group_ids = req.list_arg("group_ids")
    hardware_ids = req.list_arg("hardware_ids") if with_hardware_ids else []
    if not (computer_ids or group_ids or hardware_ids):
        raise ApiError(400, "computer_ids or group_ids is required.")
    computers = []
    for uid in computer_ids:
        computers.append(emu.by_uid.get(uid.upper()) or _raise(not_found()))
    for key in hardware_ids:
        computers.append(emu.by_hardware_key.get(key.upper()) or _raise(not_found()))
    groups = [emu.group(group_id) for group_id in group_ids]
    return computers, groups


def _raise(error):
    raise error


def _send_command(emu, req, ctype, options):
    computers, groups = _targets(emu, req, ctype == "restart")
    reply = {}
    if computers:
        reply["commandID_computer"] = emu.sim.create_command(ctype, computers, options).id
    if groups:
        wanted = {g.id for g in groups}
        members = [c for c in emu.computers if c.group_id in wanted] if len(wanted) > 1 else emu.members(groups[0].id)
        reply["commandID_group"] = emu.sim.create_command(ctype, members, options).id
    return Reply(body=reply)


def restart_command(emu, req):
    body = req.body if isinstance(req.body, dict) else {}
    if body.get("prompt_type") not in ("prompt", "no_prompt") or body.get("schedule_type") not in ("now", "later"):
        raise ApiError(400, "prompt_type must be prompt or no_prompt and schedule_type now or later.")
    return _send_command(emu, req, "restart", dict(body))


def updatecontent_command(emu, req):
    return _send_command(emu, req, "updatecontent", {})


def _command(emu, command_id):
    command = emu.commands.get((command_id or "").upper())
    if command is None:
        raise not_found()
    return command


def command_status(emu, req):
    command = _command(emu, req.params["command_id"])
    rows = list(command.rows.values())
    if not _ascending(req):
        rows.reverse()
    return Reply(body=page(rows, req, 20, sort_block("Begintime", _ascending(req)), emu.settings["max_page_size"]))


def cancel_command(emu, req):
    command = _command(emu, req.params["command_id"])
    emu.sim.cancel_command(command)
    return Reply(body={"commandID": command.id})


# ----- statistics and events ------------------------------------------------------------------
def client_versions(emu, _req):
    counts = emu.sim.version_counts()
    listed = [{"clientsCount": count, "formattedVersion": emu.sim.formatted_version(v), "version": v}
              for v, count in sorted(counts.items())]
    return Reply(body={"clientVersionList": listed, "lastUpdated": emu.clock.now_ms()})


def critical_events(emu, req):
    # Without includeAcknowledged=true the SEPM lists only the notices nobody acknowledged yet.
    include_acknowledged = (req.arg("includeAcknowledged") or "").lower() == "true"
    unacknowledged = [event for event in emu.critical_events if not event["acknowledged"]]
    events = list(emu.critical_events) if include_acknowledged else unacknowledged
    return Reply(body={"criticalEventsInfoList": events, "lastUpdated": emu.clock.now_ms(),
                       "totalUnacknowledgedMessages": len(unacknowledged)})


def acknowledge_event(emu, req):
    event = next((event for event in emu.critical_events if event["eventId"] == req.params["eventID"]), None)
    if event is None:
        raise ApiError(404, "The requested resource was not found.")
    event["acknowledged"] = 1
    return Reply(200)


ROUTES = [
    Route("POST", "identity/authenticate", authenticate, "public"),
    Route("POST", "identity/logout", logout, "user"),
    Route("GET", "version", version, "public"),
    Route("GET", "sessions/currentuser", current_user, "user"),
    Route("GET", "groups", list_groups),
    Route("GET", "groups/{groupId}", get_group),
    Route("POST", "groups/{groupId}", create_group),
    Route("PATCH", "groups/{groupId}", update_group),
    Route("DELETE", "groups/{groupId}", delete_group),
    Route("GET", "groups/{groupId}/computers", group_computers),
    Route("GET", "groups/{groupId}/locations", group_locations),
    Route("GET", "groups/{groupId}/locations/{locationId}/policies", location_policies),
    Route("GET", "groups/{groupId}/locations/{locationId}/policies/{policyType}", get_location_policy),
    Route("PUT", "groups/{group_id}/locations/{location_id}/policies/{policy_type}", put_location_policy),
    Route("GET", "groups/{group_id}/policies/{policy_type}", get_group_policy),
    Route("PUT", "groups/{group_id}/policies/{policy_type}", put_group_policy),
    Route("GET", "groups/{groupId}/locations/{locationId}/settings", get_location_settings),
    Route("PATCH", "groups/{groupId}/locations/{locationId}/settings", patch_location_settings),
    Route("GET", "computers", list_computers),
    Route("PATCH", "computers", move_computers),
    Route("GET", "policies/summary", policy_summary),
    Route("GET", "policies/summary/{policy_type}", policy_summary_of_type),
    Route("GET", "policies/lu/{id}", lu_policy),
    Route("POST", "command-queue/restart", restart_command),
    Route("POST", "command-queue/updatecontent", updatecontent_command),
    Route("GET", "command-queue/{command_id}", command_status),
    Route("POST", "command-queue/{command_id}/cancel", cancel_command),
    Route("GET", "stats/client/version", client_versions),
    Route("GET", "events/critical", critical_events),
    Route("POST", "events/acknowledge/{eventID}", acknowledge_event),
]


def find_route(method, path):
    """(route, params) for a path after /sepm/api/v1/; (None, known_path) when nothing matches."""
    path_known = False
    for route in ROUTES:
        params = route.match(path)
        if params is None:
            continue
        path_known = True
        if route.method == method:
            return route, params
    return None, path_known
