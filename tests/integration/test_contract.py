"""The emulator's replies hold to the vendor's Swagger reference and to the real captures.

Schemas are relaxed the way tests/data/sepm-api-spec/README.md says: every typed field may
be null and `sort` may be a list; `required`, `enum`, `minLength` and patterns still hold.
"""

import glob
import json
import os
import re

import jsonschema
import pytest

from tests.emulator.sepm_api import ROUTES

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Copies of the vendor reference and of the real captures live in the repository, so a clone
# anywhere can run these tests (tests/data/README.md says where they come from).
DATA_DIR = os.path.join(REPO_ROOT, "tests", "data")
SPEC_DIR = os.path.join(DATA_DIR, "sepm-api-spec")
CAPTURES = os.path.join(DATA_DIR, "real-captures")
ENVELOPE_KEYS = {"errorCode", "appErrorCode", "errorMessage"}
SORT_SCHEMA = {"anyOf": [
    {"type": "null"},
    {"type": "array", "items": {"type": "object", "required": ["property", "direction", "ascending"]}},
]}


def _specs():
    if not os.path.isdir(SPEC_DIR):
        pytest.fail(f"SEPM API reference not found in {SPEC_DIR}: the checkout is incomplete")
    docs = {}
    for path in sorted(glob.glob(os.path.join(SPEC_DIR, "*.json"))):
        with open(path, encoding="utf-8") as handle:
            docs[os.path.basename(path)] = json.load(handle)
    return docs


def _normalise(path):
    return re.sub(r"\{[^}]+\}", "{}", path)


def _operation(method, template):
    """(document, operation) of the reference that defines METHOD /api/v1/<template>."""
    wanted = _normalise("/api/v1/" + template)
    for doc in _specs().values():
        for path, operations in doc["paths"].items():
            if _normalise(path) == wanted and method.lower() in operations:
                return doc, operations[method.lower()]
    raise AssertionError(f"{method} {template} is not in the reference")


def _resolve(doc, schema, seen=()):
    """Inline the $refs of one file's definitions."""
    if isinstance(schema, list):
        return [_resolve(doc, item, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        if name in seen:
            return {}
        return _resolve(doc, doc["definitions"][name], seen + (name,))
    return {key: _resolve(doc, value, seen) for key, value in schema.items()}


def _relax(schema):
    """Allow null for every typed field and a list for `sort`."""
    if isinstance(schema, list):
        return [_relax(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    relaxed = {key: _relax(value) for key, value in schema.items() if key not in ("properties", "description")}
    if "properties" in schema:
        relaxed["properties"] = {
            name: SORT_SCHEMA if name == "sort" else _relax(value) for name, value in schema["properties"].items()
        }
    if isinstance(schema.get("type"), str):
        relaxed["type"] = [schema["type"], "null"]
    if "enum" in schema:
        relaxed["enum"] = list(schema["enum"]) + [None]
    return relaxed


def definition(file_name, name):
    doc = _specs()[file_name]
    return _relax(_resolve(doc, doc["definitions"][name]))


def schema_for(method, template, status):
    doc, operation = _operation(method, template)
    response = operation.get("responses", {}).get(str(status))
    assert response is not None, f"{method} {template} does not document status {status}"
    if "schema" not in response:
        return None
    return _relax(_resolve(doc, response["schema"]))


def check(reply, method, template, status=200, item_schema=None):
    """Assert the reply's status and validate its body against the reference."""
    assert reply.status_code == status, f"{method} {template}: {reply.status_code} {reply.text[:300]}"
    schema = schema_for(method, template, status)
    body = reply.json() if reply.content else None
    if schema is not None:
        jsonschema.validate(body, schema)
    if item_schema is not None:
        for item in body["content"]:
            jsonschema.validate(item, item_schema)
    return body


def capture(name):
    with open(os.path.join(CAPTURES, name), encoding="utf-8") as handle:
        return json.load(handle)


def assert_envelope(reply, status):
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["errorCode"] == str(status) and body["appErrorCode"] == ""
    return body


# ----- the reference itself -----------------------------------------------------------------
def test_every_emulated_route_is_in_the_reference():
    listed = {
        (method.upper(), _normalise(path))
        for doc in _specs().values() for path, operations in doc["paths"].items() for method in operations
    }
    missing = [f"{r.method} {r.template}" for r in ROUTES if (r.method, _normalise("/api/v1/" + r.template)) not in listed]
    assert not missing, f"routes not in the vendor reference: {missing}"


def test_unknown_paths_answer_404(api):
    assert_envelope(api.get("no/such/endpoint"), 404)
    assert_envelope(api.get("groups/ABC/unknown-child"), 404)


# ----- identity and version ---------------------------------------------------------------------
def test_authenticate_and_version(clean_emulator, api):
    reply = api.call("POST", "identity/authenticate",
                     json={"username": "admin", "password": clean_emulator.password, "domain": "Default"})
    body = check(reply, "POST", "identity/authenticate")
    assert body["role"]["bitMask"] == 8 and body["domainid"] == body["domainid"].lower()
    check(api.call("POST", "identity/logout"), "POST", "identity/logout", 204)
    body = check(api.call("GET", "version", headers={"Authorization": None}), "GET", "version")
    assert body == {"API_SEQUENCE": "240604011", "API_VERSION": "14.3.9000", "version": "14.3.25029.9000"}


def test_bad_credentials_use_the_envelope(clean_emulator, api):
    reply = api.call("POST", "identity/authenticate", json={"username": "admin", "password": "wrong", "domain": ""})
    assert_envelope(reply, 401)
    assert clean_emulator


# ----- groups -------------------------------------------------------------------------------------
def test_groups(api):
    group_schema = definition("Groups.json", "Group")
    body = check(api.get("groups", params={"pageSize": 100}), "GET", "groups", item_schema=group_schema)
    real_keys = set(capture("get_groups.json")["content"][0])
    for group in body["content"]:
        assert real_keys <= set(group)
        assert len(group["createdBy"]) == 128 and group["createdBy"].endswith(" ")
        assert re.fullmatch(r"[0-9A-F]{32}", group["id"])
        assert re.fullmatch(r"[0-9A-F]{4}-\d\d/\d\d/\d{4} \d\d:\d\d:\d\d \d{3}", group["policySerialNumber"])
    group_id = api.group_id("My Company\\Servers")
    check(api.get(f"groups/{group_id}"), "GET", "groups/{groupId}")
    check(api.get("groups", params={"mode": "tree"}), "GET", "groups", item_schema=group_schema)
    reply = api.call("POST", f"groups/{group_id}", json={"name": "Contract", "description": "x", "inherits": False})
    check(reply, "POST", "groups/{groupId}", 201)
    child = api.group_id("My Company\\Servers\\Contract")
    check(api.call("PATCH", f"groups/{child}", json={"name": "Contract", "description": "y"}), "PATCH", "groups/{groupId}")
    check(api.call("DELETE", f"groups/{child}"), "DELETE", "groups/{groupId}", 204)
    assert_envelope(api.get(f"groups/{child}"), 410)


def test_group_locations_and_policies(api):
    group_id = api.group_id("My Company\\Workstations")
    named = api.ok("GET", f"groups/{group_id}/locations", params={"hasName": "true"})
    # Real servers answer strings here where the reference says objects (sepm-api-notes.md).
    assert all(re.fullmatch(r"\w+:api/v1/locations/[0-9A-F]{32}", item) for item in named)
    assert named[0].startswith("Default:")
    plain = api.ok("GET", f"groups/{group_id}/locations")
    assert plain == [item.rsplit("/", 1)[1] for item in named]
    location = plain[0]
    check(api.get(f"groups/{group_id}/locations/{location}/policies"), "GET", "groups/{groupId}/locations/{locationId}/policies")
    policy_id = check(api.get(f"groups/{group_id}/locations/{location}/policies/lu"),
                      "GET", "groups/{groupId}/locations/{locationId}/policies/{policyType}")
    assert re.fullmatch(r"[0-9A-F]{32}", policy_id)
    reply = api.call("PUT", f"groups/{group_id}/locations/default/policies/lu", json={"id": policy_id})
    check(reply, "PUT", "groups/{group_id}/locations/{location_id}/policies/{policy_type}")
    assert api.ok("GET", f"groups/{group_id}/policies/lucontent")
    check(api.get(f"groups/{group_id}/policies/lucontent"), "GET", "groups/{group_id}/policies/{policy_type}")
    settings = check(api.get(f"groups/{group_id}/locations/{location}/settings"),
                     "GET", "groups/{groupId}/locations/{locationId}/settings")
    restart = settings["configuration"]["general_settings"]["restart"]
    jsonschema.validate(restart, definition("Groups.json", "Restart"))
    patch = {"configuration": {"general_settings": {"restart": {"enabled": True}}}}
    check(api.call("PATCH", f"groups/{group_id}/locations/{location}/settings", json=patch),
          "PATCH", "groups/{groupId}/locations/{locationId}/settings")


# ----- computers -----------------------------------------------------------------------------------
def test_computers_match_the_capture(api):
    computer_schema = definition("Computers.json", "Computer")
    body = check(api.get("computers", params={"pageSize": 200}), "GET", "computers", item_schema=computer_schema)
    real = capture("get_computers.json")["content"][0]
    for record in body["content"]:
        assert set(record) == set(real)
        assert record["group"]["fullPathName"] is None and record["group"]["name"].startswith("My Company")
        assert record["profileVersion"] == "14.3.25029"
    group_id = api.group_id("My Company\\Servers\\SQL")
    check(api.get(f"groups/{group_id}/computers"), "GET", "groups/{groupId}/computers", item_schema=computer_schema)


def test_move_reply(api):
    computer = api.computer("WS-FIN-0001")
    target = api.group_id("My Company\\Default Group")
    reply = api.call("PATCH", "computers", json=[{"group": {"id": target}, "hardwareKey": computer["hardwareKey"]}])
    assert check(reply, "PATCH", "computers") == capture("move_endpoint.json")


# ----- policies ------------------------------------------------------------------------------------
def test_policy_summary(api):
    page_schema = definition("policies.json", "PagePolicySummary")
    body = api.ok("GET", "policies/summary")
    jsonschema.validate(body, page_schema)
    assert body["totalPages"] == 1 and body["sort"] is None
    assert set(body["content"][0]) == set(capture("get_policy_summary.json")["content"][0])
    types = {p["policytype"] for p in body["content"]}
    assert types == {"adc", "av", "exceptions", "fw", "hi", "hid", "ips", "lu", "lucontent", "mem", "msl", "ntr", "upgrade"}
    lu_page = api.ok("GET", "policies/summary/lu")
    jsonschema.validate(lu_page, page_schema)
    assert_envelope(api.get("policies/summary/nope"), 400)
    for policy in lu_page["content"]:
        detail = check(api.get(f"policies/lu/{policy['id']}"), "GET", "policies/lu/{id}")
        for platform in ("windows", "mac", "linux"):
            assert isinstance(detail["configuration"][platform]["advanced"]["allow_patch_by_lu"], bool)
            assert isinstance(detail["configuration"][platform]["server"]["use_default_mgmt_server"], bool)
    assert_envelope(api.get("policies/lu/" + "0" * 32), 410)


# ----- commands ------------------------------------------------------------------------------------
def test_commands(api):
    computer = api.computer("WS-ENG-0001")
    group_id = api.group_id("My Company\\Mac")
    reply = api.call("POST", "command-queue/updatecontent", params={"computer_ids": computer["uniqueId"], "group_ids": group_id})
    ids = check(reply, "POST", "command-queue/updatecontent")
    assert set(ids) == set(capture("quarantine_endpoints.json"))
    reply = api.call("POST", "command-queue/restart", params={"computer_ids": computer["uniqueId"]},
                     json={"prompt_type": "no_prompt", "schedule_type": "now", "message": "patching"})
    assert set(check(reply, "POST", "command-queue/restart")) == {"commandID_computer"}
    status = check(api.get(f"command-queue/{ids['commandID_computer']}"), "GET", "command-queue/{command_id}")
    assert set(status["content"][0]) == set(capture("get_command_status.json")["content"][0])
    check(api.call("POST", f"command-queue/{ids['commandID_group']}/cancel"), "POST", "command-queue/{command_id}/cancel")
    assert_envelope(api.get("command-queue/" + "F" * 32), 410)


# ----- statistics and events --------------------------------------------------------------------------
def test_client_versions_and_critical_events(api):
    body = check(api.get("stats/client/version"), "GET", "stats/client/version")
    assert sum(v["clientsCount"] for v in body["clientVersionList"]) == 200
    events = check(api.get("events/critical"), "GET", "events/critical")
    assert set(events) == set(capture("get_critical_events.json"))
    assert any("client patch 14.3.10148.9100" in e["message"] for e in events["criticalEventsInfoList"]
               if e["subject"] == "New software package available")


def test_acknowledged_critical_events_are_listed_only_on_request(api):
    listed = api.ok("GET", "events/critical")["criticalEventsInfoList"]
    first = listed[0]["eventId"]
    check(api.call("POST", f"events/acknowledge/{first}"), "POST", "events/acknowledge/{eventID}")
    unacknowledged = check(api.get("events/critical"), "GET", "events/critical")
    assert first not in [e["eventId"] for e in unacknowledged["criticalEventsInfoList"]]
    assert unacknowledged["totalUnacknowledgedMessages"] == len(listed) - 1
    everything = check(api.get("events/critical", params={"includeAcknowledged": "true"}), "GET", "events/critical")
    assert [e["eventId"] for e in everything["criticalEventsInfoList"]] == [e["eventId"] for e in listed]
    assert everything["criticalEventsInfoList"][0]["acknowledged"] == 1
    assert everything["totalUnacknowledgedMessages"] == len(listed) - 1
    assert api.call("POST", "events/acknowledge/" + "0" * 32).status_code == 404


def test_error_envelopes(api):
    assert_envelope(api.get("groups/" + "0" * 32), 410)
    assert_envelope(api.call("GET", "computers", headers={"Authorization": "Bearer nope"}), 401)
