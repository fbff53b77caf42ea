"""Behaviour of the SEPM emulator, through raw HTTP (no collection code)."""

import socket
import ssl
import time

import pytest
import requests

from tests.emulator.__main__ import parse_args

PATCH = "14.3.10148.9100"
BASELINE = "14.3.10148.9000"


def advance(api, seconds):
    api.emulator.control("POST", "clock", {"advance_s": seconds})


def row_of(api, command_id):
    return api.ok("GET", f"command-queue/{command_id}")["content"][0]


def events_of(emulator, kind):
    return [e for e in emulator.events()["events"] if e["kind"] == kind]


def allow_patches(api, group_path):
    group_id = api.group_id(group_path)
    allowed = api.policy_id("lu", "LiveUpdate - Client Patches Allowed")
    api.ok("PUT", f"groups/{group_id}/locations/default/policies/lu", json={"id": allowed})
    return group_id


def raw_exchange(emulator, data):
    """Send ``data`` as it is over one TLS connection; everything the emulator answers until it closes."""
    context = ssl.create_default_context(cafile=emulator.ca_path)
    with socket.create_connection((emulator.host, emulator.port), timeout=10) as sock, \
            context.wrap_socket(sock, server_hostname=emulator.host) as tls:
        tls.sendall(data)
        answer = b""
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                return answer
            answer += chunk


def head_of_size(size, token, method="GET", path="computers", body=b""):
    """A request head of exactly ``size`` bytes (request line to the blank line, CRLFs included), padded in the query."""
    start = f"{method} /sepm/api/v1/{path}?pageSize=1&pad=".encode()
    rest = (f" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    head = start + b"x" * (size - len(start) - len(rest)) + rest
    assert len(head) == size
    return head + body


def status_of(answer):
    return answer.split(b"\r\n", 1)[0].decode()


def baseline_computer(api, pattern):
    page = api.ok("GET", "computers", params={"computerName": pattern, "pageSize": 1000})["content"]
    return next(c for c in page if c["agentVersion"] == BASELINE and c["onlineStatus"] == 1 and c["rebootRequired"] == 0)


# ----- identity ------------------------------------------------------------------------------
def test_login_logout_and_expiry(clean_emulator, api, make_api):
    assert api.get("computers").status_code == 200
    assert api.call("POST", "identity/logout").status_code == 204
    assert api.get("computers").status_code == 401
    assert api.call("GET", "computers", headers={"Authorization": None}).status_code == 401
    clean_emulator.settings(token_lifetime_s=1)
    fresh = make_api()
    assert fresh.login()["tokenExpiration"] == 1
    time.sleep(1.2)
    assert fresh.get("computers").status_code == 401


def test_limited_admin_is_forbidden(make_api):
    limited = make_api("limited")
    assert limited.login()["role"]["bitMask"] == 2
    reply = limited.get("computers")
    assert reply.status_code == 403 and reply.json()["errorCode"] == "403"


# ----- paging and filters ------------------------------------------------------------------------
def test_paging(api):
    names = []
    for index in range(1, 5):
        page = api.ok("GET", "computers", params={"pageIndex": index, "pageSize": 50})
        assert page["number"] == index - 1 and page["totalPages"] == 4 and page["totalElements"] == 200
        assert page["firstPage"] == (index == 1) and page["lastPage"] == (index == 4)
        names += [c["computerName"] for c in page["content"]]
    assert len(set(names)) == 200 and names == sorted(names, key=str.lower)
    beyond = api.ok("GET", "computers", params={"pageIndex": 9, "pageSize": 50})
    assert beyond["content"] == [] and beyond["lastPage"]
    assert api.ok("GET", "computers")["size"] == 20


def test_computer_filters(api):
    finance = api.ok("GET", "computers", params={"computerName": "ws-fin-*", "pageSize": 1000})["content"]
    assert finance and all(c["computerName"].startswith("WS-FIN-") for c in finance)
    linux = api.ok("GET", "computers", params={"os": "RedHat,Ubuntu", "pageSize": 1000})["content"]
    assert linux and all(c["computerName"].startswith("LNX-") for c in linux)
    one = finance[0]
    assert api.ok("GET", "computers", params={"computer_id": one["uniqueId"]})["content"][0]["computerName"] == one["computerName"]
    assert api.ok("GET", "computers", params={"hardware_key": one["hardwareKey"]})["totalElements"] == 1


def test_fleet_shape(api):
    computers = api.ok("GET", "computers", params={"pageSize": 1000})["content"]
    names = {c["computerName"] for c in computers}
    assert {"SQL-01-N1", "SQL-01-N2", "FS-02-N1", "FS-02-N2"} <= names
    assert any(c["onlineStatus"] == 0 for c in computers)
    assert any(c["rebootRequired"] == 1 for c in computers)
    for computer in computers:
        group = api.ok("GET", f"groups/{computer['group']['id']}")
        assert computer["profileSerialNo"] == group["policySerialNumber"]


def test_full_path_filter_is_case_insensitive(api):
    page = api.ok("GET", "groups", params={"fullPathName": "my company\\SERVERS\\sql"})
    assert page["totalElements"] == 1 and page["content"][0]["fullPathName"] == "My Company\\Servers\\SQL"
    assert api.ok("GET", "groups", params={"fullPathName": "My Company\\Nope"})["content"] == []


def test_create_child_group(clean_emulator, api):
    servers = api.group_id("My Company\\Servers")
    body = {"name": "Patch Staging", "description": "staging", "inherits": False}
    assert api.call("POST", f"groups/{servers}", json=body).status_code == 201
    assert api.call("POST", f"groups/{servers}", json=body).status_code == 409
    assert api.call("POST", f"groups/{servers}", json={"name": ""}).status_code == 400
    staging = api.ok("GET", "groups", params={"fullPathName": "My Company\\Servers\\Patch Staging"})["content"][0]
    assert staging["policyInheritanceEnabled"] is False
    # A group that does not inherit starts with the policies it would have inherited.
    assert api.ok("GET", f"groups/{staging['id']}/locations/default/policies/lu")
    assert events_of(clean_emulator, "group_created")[0]["group"] == "My Company\\Servers\\Patch Staging"


def test_move(clean_emulator, api):
    computer = api.computer("WS-HR-0001")
    target = api.group_id("My Company\\Default Group")
    reply = api.call("PATCH", "computers", json=[{"group": {"id": target}, "hardwareKey": computer["hardwareKey"]}])
    assert reply.status_code == 200 and reply.json() == [{"responseCode": "200", "responseMessage": "OK"}]
    assert api.computer("WS-HR-0001")["group"]["name"] == "My Company\\Default Group"
    # A group's page follows the move (the emulator keeps each group's members and each record's JSON between reads).
    hr = api.group_id("My Company\\Workstations\\HR")
    names = {group: [c["computerName"] for c in api.ok("GET", f"groups/{group}/computers", params={"pageSize": 1000})["content"]]
             for group in (hr, target)}
    assert "WS-HR-0001" in names[target] and "WS-HR-0001" not in names[hr]
    move = events_of(clean_emulator, "move")[0]
    assert move["from_group"] == "My Company\\Workstations\\HR" and move["to_group"] == "My Company\\Default Group"
    reply = api.call("PATCH", "computers", json=[{"group": {"id": target}, "hardwareKey": "0" * 32}])
    assert reply.status_code == 207 and reply.json()[0]["responseCode"] == "410"


# ----- policies and the simulation ------------------------------------------------------------------
def test_policy_assignment_changes_serial_and_clients_catch_up(frozen):
    api = frozen
    before = api.ok("GET", "groups", params={"fullPathName": "My Company\\Workstations\\Finance"})["content"][0]
    computer = api.computer("WS-FIN-0001")
    group_id = allow_patches(api, "My Company\\Workstations\\Finance")
    after = api.ok("GET", f"groups/{group_id}")
    assert after["policySerialNumber"] != before["policySerialNumber"]
    allowed = api.policy_id("lu", "LiveUpdate - Client Patches Allowed")
    assert api.ok("GET", f"groups/{group_id}/locations/default/policies/lu") == allowed
    summary = next(p for p in api.ok("GET", "policies/summary/lu")["content"] if p["id"] == allowed)
    assert any(a["groupId"] == group_id for a in summary["assignedtolocations"])
    assert api.computer("WS-FIN-0001")["profileSerialNo"] == computer["profileSerialNo"]
    advance(api, 61)
    assert api.computer("WS-FIN-0001")["profileSerialNo"] == after["policySerialNumber"]
    assert events_of(api.emulator, "policy_assigned")[0]["policy"] == "LiveUpdate - Client Patches Allowed"


def test_updatecontent_then_restart_patches(frozen):
    api = frozen
    allow_patches(api, "My Company\\Workstations\\Finance")
    advance(api, 61)
    target = baseline_computer(api, "WS-FIN-*")
    command = api.ok("POST", "command-queue/updatecontent", params={"computer_ids": target["uniqueId"]})["commandID_computer"]
    assert row_of(api, command)["stateId"] == 0
    advance(api, 61)
    assert row_of(api, command)["stateId"] in (1, 2)
    advance(api, 2)
    assert row_of(api, command)["subStateId"] == 120
    advance(api, 181)
    row = row_of(api, command)
    assert (row["stateId"], row["subStateId"]) == (3, 0)
    staged = api.computer(target["computerName"])
    assert staged["rebootRequired"] == 1 and staged["deploymentTargetVersion"] == PATCH and staged["agentVersion"] == BASELINE
    restart = api.ok("POST", "command-queue/restart", params={"computer_ids": target["uniqueId"]},
                     json={"prompt_type": "no_prompt", "schedule_type": "now"})["commandID_computer"]
    advance(api, 62)
    assert api.computer(target["computerName"])["onlineStatus"] == 0
    advance(api, 181)
    patched = api.computer(target["computerName"])
    assert patched["onlineStatus"] == 1 and patched["agentVersion"] == PATCH and patched["rebootRequired"] == 0
    assert patched["deploymentRunningVersion"] == PATCH
    assert row_of(api, restart)["stateId"] == 3
    kinds = [e["kind"] for e in api.emulator.events()["events"]]
    assert kinds.index("patch_staged") < kinds.index("restart_begin") < kinds.index("restart_end")


def test_updatecontent_under_the_default_policy_stages_nothing(frozen):
    api = frozen
    target = baseline_computer(api, "WS-ENG-*")
    command = api.ok("POST", "command-queue/updatecontent", params={"computer_ids": target["uniqueId"]})["commandID_computer"]
    advance(api, 61 + 2 + 181)
    assert row_of(api, command)["stateId"] == 3
    assert api.computer(target["computerName"])["rebootRequired"] == 0


def test_linux_refuses_restart(frozen):
    api = frozen
    linux = api.computer("LNX-APP-01")
    command = api.ok("POST", "command-queue/restart", params={"computer_ids": linux["uniqueId"]},
                     json={"prompt_type": "prompt", "schedule_type": "now"})["commandID_computer"]
    advance(api, 61)
    row = row_of(api, command)
    assert (row["stateId"], row["subStateId"], row["subStateDesc"]) == (4, 5, "restart command not allowed")


def test_cancel(frozen):
    api = frozen
    computer = api.computer("WS-SAL-0001")
    command = api.ok("POST", "command-queue/updatecontent", params={"computer_ids": computer["uniqueId"]})["commandID_computer"]
    assert api.ok("POST", f"command-queue/{command}/cancel") == {"commandID": command}
    advance(api, 300)
    assert row_of(api, command)["stateId"] == 5


def test_location_settings_validation(api):
    group_id = api.group_id("My Company\\Servers\\SQL")
    path = f"groups/{group_id}/locations/default/settings"
    window = {"enabled": True, "schedule": {"time": "23:00", "time_window": 3, "sunday": True}}
    api.ok("PATCH", path, json={"configuration": {"general_settings": {"restart": window}}})
    restart = api.ok("GET", path)["configuration"]["general_settings"]["restart"]
    assert restart["enabled"] and restart["schedule"]["time"] == "23:00" and restart["schedule"]["sunday"]
    assert restart["schedule"]["saturday"] is True  # merged, not replaced
    for bad in ({"endpoint_notification": {"countdown": 0}}, {"schedule": {"time": "25:00"}}, {"nope": True}):
        reply = api.call("PATCH", path, json={"configuration": {"general_settings": {"restart": bad}}})
        assert reply.status_code == 400 and reply.json()["errorCode"] == "400"


# ----- faults --------------------------------------------------------------------------------------------
def test_http_status_fault(clean_emulator, api):
    clean_emulator.add_fault(kind="http_status", status=503, count=2, path="^computers", method="GET", retry_after=2)
    for _attempt in range(2):
        reply = api.get("computers")
        assert reply.status_code == 503 and reply.headers["Retry-After"] == "2" and reply.json()["errorCode"] == "503"
    assert api.get("groups").status_code == 200
    assert api.get("computers").status_code == 200


def test_latency_and_drop_faults(clean_emulator, api):
    clean_emulator.add_fault(kind="latency", seconds=0.3, count=1, path="^groups")
    started = time.monotonic()
    api.get("groups")
    assert time.monotonic() - started >= 0.3
    clean_emulator.add_fault(kind="drop", count=1, path="^computers")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("computers")
    assert api.get("computers").status_code == 200


def test_expire_tokens_fault(clean_emulator, api):
    clean_emulator.add_fault(kind="expire_tokens")
    assert api.get("computers").status_code == 401
    api.login()
    assert api.get("computers").status_code == 200


def test_never_back_and_back_unpatched(frozen):
    api = frozen
    allow_patches(api, "My Company\\Workstations\\Finance")
    advance(api, 61)
    page = api.ok("GET", "computers", params={"computerName": "WS-FIN-*", "pageSize": 1000})["content"]
    targets = [c for c in page if c["agentVersion"] == BASELINE and c["onlineStatus"] == 1][:2]
    ids = ",".join(c["uniqueId"] for c in targets)
    api.emulator.add_fault(kind="never_back", computers=[targets[0]["computerName"]])
    api.emulator.add_fault(kind="back_unpatched", computers=[targets[1]["computerName"]])
    api.ok("POST", "command-queue/updatecontent", params={"computer_ids": ids})
    advance(api, 61 + 2 + 181)
    api.ok("POST", "command-queue/restart", params={"computer_ids": ids}, json={"prompt_type": "no_prompt", "schedule_type": "now"})
    advance(api, 62 + 181 + 61)
    gone = api.computer(targets[0]["computerName"])
    unpatched = api.computer(targets[1]["computerName"])
    assert gone["onlineStatus"] == 0
    assert unpatched["onlineStatus"] == 1 and unpatched["agentVersion"] == BASELINE and unpatched["rebootRequired"] == 1


def test_throttle(clean_emulator, api):
    clean_emulator.settings(throttle={"limit": 3, "window_s": 60})
    statuses = [api.get("groups").status_code for _attempt in range(4)]
    assert statuses == [200, 200, 200, 429]
    reply = api.get("groups")
    assert reply.status_code == 429 and int(reply.headers["Retry-After"]) >= 1
    clean_emulator.settings(throttle=None)
    assert api.get("groups").status_code == 200


# ----- control API -------------------------------------------------------------------------------------------
def test_request_counters(clean_emulator, api):
    clean_emulator.reset_requests()
    api.get("computers")
    api.get("computers", params={"pageIndex": 2})
    api.get("groups/" + "0" * 32)
    counts = clean_emulator.requests_count()
    assert counts["by_endpoint"] == {"GET computers": 2, "GET groups/{groupId}": 1} and counts["total"] == 3


# ----- the request head limit (Tomcat's maxHttpHeaderSize) -----------------------------------------------------
def test_a_head_of_exactly_the_limit_passes_and_one_byte_more_gets_tomcats_400(clean_emulator, api):
    clean_emulator.reset_requests()
    fits = raw_exchange(clean_emulator, head_of_size(8192, api.token))
    assert status_of(fits) == "HTTP/1.1 200 OK", fits[:300]
    refused = raw_exchange(clean_emulator, head_of_size(8193, api.token, "POST", "command-queue/restart",
                                                        body=b'{"prompt_type": "no_prompt", "schedule_type": "now"}'))
    head, _blank, body = refused.partition(b"\r\n\r\n")
    assert status_of(refused) == "HTTP/1.1 400 "
    assert b"\r\nConnection: close\r\n" in head + b"\r\n" and b"Content-Type: text/html;charset=utf-8" in head
    page = body.decode("utf-8")
    assert "<title>HTTP Status 400 \u2013 Bad Request</title>" in page
    assert "<p><b>Message</b> Request header is too large</p>" in page
    assert "java.lang.IllegalArgumentException: Request header is too large" in page
    counts = clean_emulator.requests_count()
    # The refused request never reached the SEPM's API: no command was queued.
    assert counts["by_endpoint"] == {"GET computers": 1}
    assert counts["largest_head_bytes"] == 8193 and counts["refused_heads"] == 1
    assert events_of(clean_emulator, "command") == []


def test_a_request_line_of_64_kb_gets_the_same_400_not_a_414(clean_emulator, api):
    refused = raw_exchange(clean_emulator, head_of_size(70000, api.token))
    assert status_of(refused) == "HTTP/1.1 400 " and b"Request header is too large" in refused
    assert clean_emulator.requests_count()["refused_heads"] == 1


def test_the_head_limit_is_a_setting(clean_emulator, api):
    clean_emulator.settings(max_header_bytes=4096)
    assert status_of(raw_exchange(clean_emulator, head_of_size(4096, api.token))) == "HTTP/1.1 200 OK"
    assert status_of(raw_exchange(clean_emulator, head_of_size(4097, api.token))) == "HTTP/1.1 400 "
    for bad in (0, 65537, "8k", True, 4096.5):
        with pytest.raises(RuntimeError, match="max_header_bytes must be a whole number from 1 to 65536"):
            clean_emulator.settings(max_header_bytes=bad)
    assert clean_emulator.state()["settings"]["max_header_bytes"] == 4096


def test_the_head_limit_is_a_command_line_option():
    assert parse_args([]).max_header_bytes == 8192
    assert parse_args(["--max-header-bytes", "4096"]).max_header_bytes == 4096
    with pytest.raises(SystemExit):
        parse_args(["--max-header-bytes", "0"])


def test_console_actions(clean_emulator, api):
    reply = clean_emulator.control("POST", "console/download_patch", {"version": "14.3.10148.9200"})
    assert reply["patch_version"] == "14.3.10148.9200"
    messages = [e["message"] for e in api.ok("GET", "events/critical")["criticalEventsInfoList"]]
    assert any("client patch 14.3.10148.9200" in m for m in messages)
    policy = clean_emulator.control("POST", "console/lu_policy",
                                    {"name": "LiveUpdate Settings policy", "platform": "windows", "allow_patch_by_lu": True})
    detail = api.ok("GET", f"policies/lu/{policy['id']}")
    assert detail["configuration"]["windows"]["advanced"]["allow_patch_by_lu"] is True


def test_control_computers_and_state(clean_emulator, api):
    clean_emulator.control("PATCH", "computers", {"names": ["WS-FIN-0001"], "online": False, "reboot_required": True})
    computer = api.computer("WS-FIN-0001")
    assert computer["onlineStatus"] == 0 and computer["rebootRequired"] == 1
    state = clean_emulator.state()
    assert state["fleet_size"] == 200 and sum(state["versions"].values()) == 200 and state["patch_version"] == PATCH


def test_reset(clean_emulator, api):
    computer = api.computer("WS-HR-0002")
    target = api.group_id("My Company\\Mac")
    api.ok("PATCH", "computers", json=[{"group": {"id": target}, "hardwareKey": computer["hardwareKey"]}])
    clean_emulator.reset()
    assert clean_emulator.events()["events"] == []
    assert api.computer("WS-HR-0002")["group"]["name"] == "My Company\\Workstations\\HR"
    smaller = clean_emulator.reset(fleet=50, seed=2)
    assert smaller["fleet_size"] == 50
    assert api.ok("GET", "computers")["totalElements"] == 50
    clean_emulator.reset(fleet=200, seed=1)


# ----- restarts on a group location's schedule (general_settings.restart) ---------------------------
MONDAY_8 = 1796630400000  # 2026-12-07 08:00 UTC, a Monday; every emulated client's timeZone is 0 (UTC)


def restart_schedule(api, group_path, enabled=True, **schedule):
    group_id = api.group_id(group_path)
    wanted = {"time": "12:00", "time_window": 1, "randomize_start_time": True, "monday": True}
    wanted.update(schedule)
    api.ok("PATCH", f"groups/{group_id}/locations/default/settings",
           json={"configuration": {"general_settings": {"restart": {"enabled": enabled, "schedule": wanted}}}})


def staged_on(api, group_path, pattern):
    """A computer of ``group_path`` with the client patch delivered and its restart pending."""
    allow_patches(api, group_path)
    advance(api, 61)
    target = baseline_computer(api, pattern)
    api.ok("POST", "command-queue/updatecontent", params={"computer_ids": target["uniqueId"]})
    advance(api, 61 + 2 + 181)
    assert api.computer(target["computerName"])["rebootRequired"] == 1
    return target["computerName"]


def restarts_of(api, name):
    return [e for e in api.emulator.events()["events"] if e["kind"] == "restart_begin" and e["computer"] == name]


def test_a_pending_patch_restarts_inside_its_groups_schedule_and_not_before(frozen):
    api = frozen
    api.emulator.control("POST", "clock", {"set_ms": MONDAY_8})
    restart_schedule(api, "My Company\\Workstations\\Finance")
    name = staged_on(api, "My Company\\Workstations\\Finance", "WS-FIN-*")
    advance(api, 2 * 3600)  # 10:07, before the window (11:00-13:00)
    assert restarts_of(api, name) == []
    advance(api, 3 * 3600)  # 13:07
    begun = restarts_of(api, name)
    assert len(begun) == 1 and begun[0]["cause"] == "schedule" and begun[0]["command_id"] is None
    assert MONDAY_8 + 3 * 3600_000 <= begun[0]["sim_ms"] <= MONDAY_8 + 5 * 3600_000
    patched = api.computer(name)
    assert patched["agentVersion"] == PATCH and patched["rebootRequired"] == 0 and patched["onlineStatus"] == 1


def test_a_group_with_its_schedule_off_restarts_nothing(frozen):
    """As the rollout's staging groups: a patch delivered there waits for the rollout's own restart."""
    api = frozen
    api.emulator.control("POST", "clock", {"set_ms": MONDAY_8})
    restart_schedule(api, "My Company\\Workstations\\HR", enabled=False)
    name = staged_on(api, "My Company\\Workstations\\HR", "WS-HR-*")
    advance(api, 7 * 86400)
    assert restarts_of(api, name) == [] and api.computer(name)["rebootRequired"] == 1


def test_a_computer_moved_out_of_a_scheduled_group_follows_its_new_group(frozen):
    api = frozen
    api.emulator.control("POST", "clock", {"set_ms": MONDAY_8})
    restart_schedule(api, "My Company\\Workstations\\Finance")
    name = staged_on(api, "My Company\\Workstations\\Finance", "WS-FIN-*")
    quiet = api.group_id("My Company\\Default Group")
    api.ok("PATCH", "computers", json=[{"group": {"id": quiet}, "hardwareKey": api.computer(name)["hardwareKey"]}])
    advance(api, 7 * 86400)
    assert restarts_of(api, name) == []


def test_a_restart_later_waits_for_the_schedule(frozen):
    api = frozen
    api.emulator.control("POST", "clock", {"set_ms": MONDAY_8})
    restart_schedule(api, "My Company\\Workstations\\Sales", time="20:00", randomize_start_time=False)
    target = baseline_computer(api, "WS-SAL-*")
    command = api.ok("POST", "command-queue/restart", params={"computer_ids": target["uniqueId"]},
                     json={"prompt_type": "prompt", "schedule_type": "later"})["commandID_computer"]
    advance(api, 3600)
    assert row_of(api, command)["stateId"] == 1, "received, waiting for the schedule"
    assert restarts_of(api, target["computerName"]) == []
    advance(api, 11 * 3600 + 60)  # 20:01
    begun = restarts_of(api, target["computerName"])
    assert len(begun) == 1 and begun[0]["sim_ms"] == MONDAY_8 + 12 * 3600_000 and begun[0]["command_id"] == command
    advance(api, 181)
    assert row_of(api, command)["stateId"] == 3


def test_a_restart_later_without_a_schedule_stays_received(frozen):
    api = frozen
    target = baseline_computer(api, "WS-ENG-*")
    command = api.ok("POST", "command-queue/restart", params={"computer_ids": target["uniqueId"]},
                     json={"prompt_type": "prompt", "schedule_type": "later"})["commandID_computer"]
    advance(api, 8 * 86400)
    assert row_of(api, command)["stateId"] == 1 and restarts_of(api, target["computerName"]) == []
