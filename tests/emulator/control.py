"""The emulator's own control API under /_emulator/ (no token; clearly not SEPM).

Tests use it to read the simulation, inject faults and act as a console admin would.
"""

import re

from . import bad_patch
from .fleet import PROFILES
from .model import version_tuple
from .tomcat import MAX_HEADER_BYTES_LIMIT

FAULT_KINDS = ("http_status", "latency", "drop", "expire_tokens", "never_back", "back_unpatched", "corrupt_copy", "bad_patch")
SETTING_NAMES = ("token_lifetime_s", "throttle", "heartbeat_s", "download_s", "install_s", "restart_s",
                 "max_page_size", "max_header_bytes", "sepm_version")


class ControlError(Exception):
    """A bad control request: answered 400 {"error": message}."""


def _number(body, name, minimum=0.0):
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ControlError(f"{name} must be a number >= {minimum}")
    return value


def _fault_from(body, next_id):
    kind = body.get("kind")
    if kind not in FAULT_KINDS:
        raise ControlError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    if kind == "bad_patch":
        try:
            return bad_patch.parse_fault(body, next_id)
        except bad_patch.BadPatchError as error:
            raise ControlError(str(error)) from None
    fault = {"id": next_id, "kind": kind}
    if kind in ("http_status", "latency", "drop"):
        path = body.get("path") or ""
        try:
            re.compile(path)
        except re.error as error:
            raise ControlError(f"path is not a regular expression: {error}") from None
        fault.update(path=path, method=(body.get("method") or "").upper() or None,
                     count=body.get("count", None if kind == "latency" else 1), skip=int(_number(body, "skip")) if "skip" in body else 0)
    if kind == "http_status":
        fault["status"] = int(_number(body, "status", 100))
        fault["retry_after"] = body.get("retry_after")
    elif kind == "latency":
        fault["seconds"] = _number(body, "seconds")
    elif kind in ("never_back", "back_unpatched", "corrupt_copy"):
        names = body.get("computers")
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise ControlError("computers must be a list of computer names")
        fault["computers"] = names
    return fault


def add_fault(emu, body):
    emu.fault_serial += 1
    fault = _fault_from(body, emu.fault_serial)
    if fault["kind"] == "expire_tokens":
        emu.tokens.expire_all()
    else:
        emu.faults.append(fault)
    return {"id": fault["id"]}


def list_faults(emu):
    """The live faults; a bad_patch fault also names the computers of the fleet it would harm."""
    listed = []
    for fault in emu.faults:
        fault = dict(fault)
        if fault["kind"] == "bad_patch":
            fault["chosen"] = [c.name for c in emu.computers if bad_patch.chooses(fault, c, emu.seed)]
        listed.append(fault)
    return {"faults": listed}


def take_fault(emu, method, path, kinds):
    """The first live fault of `kinds` matching a SEPM request; spends one of its count."""
    for fault in emu.faults:
        if fault["kind"] not in kinds or fault["count"] == 0:
            continue
        if fault["method"] and fault["method"] != method:
            continue
        if fault["path"] and not re.search(fault["path"], path):
            continue
        if fault.get("skip"):
            fault["skip"] -= 1  # let this matching request through, as the fault asked
            continue
        if fault["count"] is not None:
            fault["count"] -= 1
        return fault
    return None


def newest_patch(emu):
    return max(emu.patch_versions, key=version_tuple) if emu.patch_versions else None


def state(emu):
    return {
        "clock_ms": emu.clock.now_ms(), "time_scale": emu.clock.scale, "fleet_size": len(emu.computers),
        "profile": emu.profile,
        "seed": emu.seed, "sepm_version": emu.settings["sepm_version"], "patch_version": newest_patch(emu),
        "versions": emu.sim.version_counts(), "settings": dict(emu.settings), "queued_client_events": len(emu.sim.queue),
        "pending_faults": sum(1 for fault in emu.faults if fault["kind"] in ("http_status", "drop") and fault.get("count") != 0),
    }


def set_clock(emu, body):
    if "set_ms" in body:
        emu.clock.set_ms(int(_number(body, "set_ms")))
    if "advance_s" in body:
        emu.clock.advance(_number(body, "advance_s"))
    if "time_scale" in body:
        emu.clock.set_scale(_number(body, "time_scale"))
    emu.sim.advance()
    return {"clock_ms": emu.clock.now_ms(), "time_scale": emu.clock.scale}


def max_header_bytes(value):
    """A head limit the emulator can honour: a whole number of bytes up to the 64 KB its HTTP parser reads per line."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_HEADER_BYTES_LIMIT:
        raise ControlError(f"max_header_bytes must be a whole number from 1 to {MAX_HEADER_BYTES_LIMIT}")
    return value


def update_settings(emu, body):
    unknown = sorted(set(body) - set(SETTING_NAMES))
    if unknown:
        raise ControlError(f"unknown settings: {', '.join(unknown)}")
    for name, value in body.items():
        if name == "throttle":
            if value is not None and not (isinstance(value, dict) and set(value) == {"limit", "window_s"}):
                raise ControlError("throttle must be null or {limit, window_s}")
        elif name == "sepm_version":
            if not isinstance(value, str) or len(value.split(".")) != 4:
                raise ControlError("sepm_version must look like 14.3.25029.9000")
        elif name == "max_header_bytes":
            value = max_header_bytes(value)
        else:
            value = _number(body, name, 1 if name == "max_page_size" else 0)
        emu.settings[name] = value
    if "throttle" in body:
        emu.throttle_window = [0.0, 0]
    return dict(emu.settings)


def console_lu_policy(emu, body):
    platform = body.get("platform", "windows")
    if platform not in ("windows", "mac", "linux") or not isinstance(body.get("name"), str) or not body["name"]:
        raise ControlError("name and platform (windows, mac or linux) are required")
    if not isinstance(body.get("allow_patch_by_lu"), bool):
        raise ControlError("allow_patch_by_lu must be true or false")
    policy = emu.console_lu_policy(body["name"], platform, body["allow_patch_by_lu"])
    return {"id": policy.id, "name": policy.name}


def console_download_patch(emu, body):
    version = body.get("version")
    if not isinstance(version, str) or len(version.split(".")) != 4:
        raise ControlError("version must look like 14.3.10148.9200")
    event = emu.download_patch(version)
    return {"version": version, "event_id": event["eventId"], "patch_version": newest_patch(emu)}


def patch_computers(emu, body):
    names = body.get("names")
    if not isinstance(names, list):
        raise ControlError("names must be a list of computer names")
    computers = [emu.by_name.get(str(name).lower()) for name in names]
    missing = [name for name, computer in zip(names, computers) if computer is None]
    if missing:
        raise ControlError(f"unknown computers: {', '.join(map(str, missing))}")
    try:
        bad_patch.check_health_body(body)
    except bad_patch.BadPatchError as error:
        raise ControlError(str(error)) from None
    now = emu.clock.now_ms()
    for computer in computers:
        was_silent = computer.silent_since_ms is not None
        bad_patch.set_health(computer, body, now)
        if was_silent and computer.silent_since_ms is None and computer.online:
            emu.sim.bring_online(computer, now)
        if body.get("online") is True and not computer.online:
            emu.sim.bring_online(computer, now)
        elif body.get("online") is False and computer.online:
            emu.sim.take_offline(computer, now)
        if "reboot_required" in body:
            computer.record["rebootRequired"] = 1 if body["reboot_required"] else 0
            computer.record["rebootReason"] = "Windows Update" if body["reboot_required"] else ""
    emu.sim.advance()
    return {"changed": len(computers)}


def _endpoint(emu, name):
    computer = emu.by_name.get(str(name or "").lower())
    if computer is None:
        raise ControlError(f"unknown computer: {name}")
    return computer


def endpoint_view(computer):
    record = computer.record
    return {"name": computer.name, "online": computer.online, "service_running": computer.online,
            "pending_reboot": bool(record["rebootRequired"]) and not computer.staged_version,
            "restart_pending": bool(record["rebootRequired"]), "version": record["agentVersion"],
            "staged_version": computer.staged_version, "files": dict(computer.package_files), "boot_ms": computer.boot_ms}


def endpoint_get(emu, query):
    return endpoint_view(_endpoint(emu, (query.get("name") or [""])[-1]))


def endpoint_copy(emu, body):
    """The package's files as they land on the host: a corrupt_copy fault changes one byte of each."""
    computer = _endpoint(emu, body.get("name"))
    files = body.get("files")
    if not isinstance(files, dict):
        raise ControlError("files must be {relative path: sha256}")
    if not computer.online:
        raise ControlError(f"{computer.name} is offline: the copy failed")
    corrupt = computer.name.lower() in emu.sim.fault_names("corrupt_copy")
    computer.package_files = {path: ("0" * 64 if corrupt else str(sha.get("sha256") if isinstance(sha, dict) else sha))
                              for path, sha in files.items()}
    emu.log("package_copied", computer=computer.name, files=len(files), corrupt=corrupt)
    return endpoint_view(computer)


def endpoint_install(emu, body):
    computer = _endpoint(emu, body.get("name"))
    version = body.get("version")
    if not isinstance(version, str) or len(version.split(".")) != 4:
        raise ControlError("version must look like 14.3.10148.9100")
    if not computer.online:
        raise ControlError(f"{computer.name} is offline: the installer did not run")
    view = endpoint_view(computer)
    if view["pending_reboot"]:
        emu.log("package_install_refused", computer=computer.name, reason="a restart is pending")
        raise ControlError("the SEP installer will not run: Windows has a restart pending (exit code 1618)")
    if not computer.package_files:
        raise ControlError("no package was copied to the host")
    emu.sim.endpoint_install(computer, version)
    return endpoint_view(computer)


def endpoint_restart(emu, body):
    computer = _endpoint(emu, body.get("name"))
    if not computer.online:
        raise ControlError(f"{computer.name} is offline")
    emu.sim.endpoint_restart(computer)
    return endpoint_view(computer)


def mark(emu, body):
    """A test's own event in the log (a drain or restore hook recording its call, in order with the rest)."""
    if not isinstance(body.get("label"), str):
        raise ControlError("label must be a string")
    emu.log("mark", **{key: value for key, value in body.items()
                       if isinstance(value, (str, int, float, bool, list, dict)) and key not in ("kind", "seq", "time_ms")})
    return {"ok": True}


def events(emu, query):
    try:
        since = int((query.get("since") or ["0"])[-1])
    except ValueError:
        raise ControlError("since must be an integer") from None
    listed = emu.events[since:] if since >= 0 else []
    return {"events": listed, "last_seq": len(emu.events)}


def reset(emu, body):
    if body.get("profile") not in (None,) + PROFILES:
        raise ControlError(f"profile must be one of {', '.join(PROFILES)}")
    emu.reset(body.get("fleet"), body.get("seed"), body.get("profile"))
    return state(emu)


def clear_faults(emu):
    emu.faults = []
    return {"ok": True}


def reset_requests(emu):
    emu.reset_request_counts()
    return {"ok": True}


def request_counts(emu):
    return {"total": sum(emu.requests.values()), "by_endpoint": dict(emu.requests),
            "largest_head_bytes": emu.request_heads["largest_bytes"], "refused_heads": emu.request_heads["refused"]}


HANDLERS = {
    ("GET", "health"): lambda emu, request: {"ok": True},
    ("GET", "state"): lambda emu, request: state(emu),
    ("POST", "reset"): lambda emu, request: reset(emu, request.body),
    ("POST", "faults"): lambda emu, request: add_fault(emu, request.body),
    ("GET", "faults"): lambda emu, request: list_faults(emu),
    ("DELETE", "faults"): lambda emu, request: clear_faults(emu),
    ("GET", "events"): lambda emu, request: events(emu, request.query),
    ("GET", "requests"): lambda emu, request: request_counts(emu),
    ("POST", "requests/reset"): lambda emu, request: reset_requests(emu),
    ("POST", "clock"): lambda emu, request: set_clock(emu, request.body),
    ("POST", "settings"): lambda emu, request: update_settings(emu, request.body),
    ("POST", "console/lu_policy"): lambda emu, request: console_lu_policy(emu, request.body),
    ("POST", "console/download_patch"): lambda emu, request: console_download_patch(emu, request.body),
    ("PATCH", "computers"): lambda emu, request: patch_computers(emu, request.body),
    ("GET", "endpoint"): lambda emu, request: endpoint_get(emu, request.query),
    ("POST", "endpoint/copy"): lambda emu, request: endpoint_copy(emu, request.body),
    ("POST", "endpoint/install"): lambda emu, request: endpoint_install(emu, request.body),
    ("POST", "endpoint/restart"): lambda emu, request: endpoint_restart(emu, request.body),
    ("POST", "mark"): lambda emu, request: mark(emu, request.body),
}


class ControlRequest:
    """The parts of a control request a handler reads."""

    def __init__(self, query, body):
        self.query = query
        self.body = body


def handle(emu, method, path, query, body):
    """(status, reply) for a control request; path is what follows /_emulator/."""
    handler = HANDLERS.get((method, path.strip("/")))
    if handler is None:
        return 404, {"error": f"no control endpoint {method} /_emulator/{path}"}
    if body is not None and not isinstance(body, dict):
        return 400, {"error": "the body must be a JSON object"}
    with emu.lock:
        emu.sim.advance()
        try:
            return 200, handler(emu, ControlRequest(query, body or {}))
        except ControlError as error:
            return 400, {"error": str(error)}
