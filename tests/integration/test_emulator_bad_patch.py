"""The emulator's bad patch and the health of its computers, through raw HTTP (no collection code)."""

import pytest

PATCH = "14.3.10148.9100"
BASELINE = "14.3.10148.9000"
FINANCE = "My Company\\Workstations\\Finance"
HEARTBEAT = 60
# A patch takes: policy pick-up at a heartbeat, LiveUpdate (download + install), then the restart.
DELIVERY_S = HEARTBEAT + 2 + 181
RESTART_S = HEARTBEAT + 2 + 181


def advance(api, seconds):
    api.emulator.control("POST", "clock", {"advance_s": seconds})


def events_of(emulator, kind):
    return [e for e in emulator.events()["events"] if e["kind"] == kind]


def finance_targets(api, count):
    """``count`` Finance workstations that can take the patch, with patches allowed in their group."""
    group_id = api.group_id(FINANCE)
    allowed = api.policy_id("lu", "LiveUpdate - Client Patches Allowed")
    api.ok("PUT", f"groups/{group_id}/locations/default/policies/lu", json={"id": allowed})
    advance(api, HEARTBEAT + 1)
    page = api.ok("GET", "computers", params={"computerName": "WS-FIN-*", "pageSize": 1000})["content"]
    targets = [c for c in page if c["agentVersion"] == BASELINE and c["onlineStatus"] == 1 and c["rebootRequired"] == 0]
    assert len(targets) >= count
    return targets[:count]


def patch(api, computers):
    """Deliver the patch to ``computers`` and restart them: the restart installs it."""
    ids = ",".join(c["uniqueId"] for c in computers)
    api.ok("POST", "command-queue/updatecontent", params={"computer_ids": ids})
    advance(api, DELIVERY_S)
    restart = api.ok("POST", "command-queue/restart", params={"computer_ids": ids},
                     json={"prompt_type": "no_prompt", "schedule_type": "now"})["commandID_computer"]
    advance(api, RESTART_S)
    return restart


def test_a_bad_patch_turns_auto_protect_off_on_the_computer_named(frozen):
    api = frozen
    bad, good = finance_targets(api, 2)
    assert bad["apOnOff"] == 1 and bad["worstInfectionIdx"] == "9999" and bad["infected"] == 0
    api.emulator.add_fault(kind="bad_patch", effect="switch_off", computers=[bad["computerName"]])
    patch(api, [bad, good])
    harmed, healthy = api.computer(bad["computerName"]), api.computer(good["computerName"])
    assert harmed["agentVersion"] == PATCH and harmed["onlineStatus"] == 1
    assert harmed["apOnOff"] == 0 and isinstance(harmed["apOnOff"], int)
    assert healthy["agentVersion"] == PATCH and healthy["apOnOff"] == 1
    assert [e["computer"] for e in events_of(api.emulator, "bad_patch")] == [bad["computerName"]]


def test_a_bad_patch_may_turn_several_switches_and_leave_definitions_older(frozen):
    api = frozen
    (target,) = finance_targets(api, 1)
    api.emulator.add_fault(kind="bad_patch", effect="switch_off", computers=[target["computerName"]],
                           switches=["firewallOnOff", "tamperOnOff"], switch_value=4, older_definitions=True)
    patch(api, [target])
    after = api.computer(target["computerName"])
    assert (after["firewallOnOff"], after["tamperOnOff"], after["apOnOff"]) == (4, 4, 1)
    assert isinstance(after["avDefsetVersion"], str) and int(after["avDefsetVersion"]) < int(target["avDefsetVersion"])


def test_a_bad_patch_marks_the_computer_infected(frozen):
    api = frozen
    (target,) = finance_targets(api, 1)
    api.emulator.add_fault(kind="bad_patch", effect="infected", pattern="ws-fin-*", severity=2)
    patch(api, [target])
    after = api.computer(target["computerName"])
    assert (after["infected"], after["worstInfectionIdx"]) == (1, "2")


def test_a_client_that_stops_checking_in_keeps_its_last_check_in_then_shows_offline(frozen):
    api = frozen
    silent, healthy = finance_targets(api, 2)
    api.emulator.add_fault(kind="bad_patch", effect="stops_checking_in", computers=[silent["computerName"]])
    restart = patch(api, [silent, healthy])
    back = api.computer(silent["computerName"])
    # It came back and reported once, at the new version, then fell silent: its restart row completed.
    assert back["agentVersion"] == PATCH and back["onlineStatus"] == 1
    rows = {row["computerName"]: row for row in api.ok("GET", f"command-queue/{restart}")["content"]}
    assert rows[silent["computerName"]]["stateId"] == 3
    checked_in = back["lastUpdateTime"]
    advance(api, HEARTBEAT * 2)
    still = api.computer(silent["computerName"])
    assert still["lastUpdateTime"] == checked_in and still["onlineStatus"] == 1
    assert api.computer(healthy["computerName"])["lastUpdateTime"] > checked_in
    advance(api, HEARTBEAT * 2)
    gone = api.computer(silent["computerName"])
    assert gone["onlineStatus"] == 0 and gone["lastUpdateTime"] == checked_in
    # A command sent now is never picked up: nothing reaches the client.
    command = api.ok("POST", "command-queue/updatecontent", params={"computer_ids": silent["uniqueId"]})["commandID_computer"]
    advance(api, HEARTBEAT * 3)
    assert api.ok("GET", f"command-queue/{command}")["content"][0]["stateId"] == 0


def test_a_share_picks_the_same_computers_for_the_same_seed_and_only_for_the_version_named(clean_emulator):
    clean_emulator.add_fault(kind="bad_patch", effect="switch_off", share=0.3, version=PATCH)
    clean_emulator.add_fault(kind="bad_patch", effect="infected", pattern="WS-HR-*", share=0.5)
    first = [fault["chosen"] for fault in clean_emulator.control("GET", "faults")["faults"]]
    clean_emulator.reset()
    clean_emulator.add_fault(kind="bad_patch", effect="switch_off", share=0.3, version=PATCH)
    clean_emulator.add_fault(kind="bad_patch", effect="infected", pattern="WS-HR-*", share=0.5)
    again = [fault["chosen"] for fault in clean_emulator.control("GET", "faults")["faults"]]
    assert first == again
    fleet = clean_emulator.state()["fleet_size"]
    assert 0.15 * fleet < len(first[0]) < 0.45 * fleet
    assert first[1] and all(name.startswith("WS-HR-") for name in first[1])


def test_an_endpoint_restart_of_the_package_method_installs_the_bad_patch_too(clean_emulator):
    clean_emulator.add_fault(kind="bad_patch", effect="switch_off", computers=["WEB-01"], switches=["avEngineOnOff"])
    clean_emulator.control("POST", "clock", {"time_scale": 0})
    clean_emulator.control("POST", "endpoint/copy", {"name": "WEB-01", "files": {"setup.exe": "a" * 64}})
    clean_emulator.control("POST", "endpoint/install", {"name": "WEB-01", "version": PATCH})
    clean_emulator.control("POST", "endpoint/restart", {"name": "WEB-01"})
    clean_emulator.advance(2 + 181)
    assert clean_emulator.control("GET", "endpoint?name=WEB-01")["version"] == PATCH
    assert [e["effects"] for e in events_of(clean_emulator, "bad_patch")] == [["switch_off:avEngineOnOff"]]


def test_a_test_sets_switches_infection_and_check_ins_before_a_run(frozen):
    api = frozen
    name = "WS-FIN-0002"
    api.emulator.control("PATCH", "computers", {"names": [name], "switches": {"apOnOff": 0, "firewallOnOff": 3},
                                                "infected": True})
    record = api.computer(name)
    assert (record["apOnOff"], record["firewallOnOff"], record["infected"], record["worstInfectionIdx"]) == (0, 3, 1, "0")
    api.emulator.control("PATCH", "computers", {"names": [name], "checking_in": False})
    last = api.computer(name)["lastUpdateTime"]
    advance(api, HEARTBEAT * 4)
    assert api.computer(name)["onlineStatus"] == 0 and api.computer(name)["lastUpdateTime"] == last
    api.emulator.control("PATCH", "computers", {"names": [name], "checking_in": True, "infected": False})
    advance(api, HEARTBEAT + 1)
    record = api.computer(name)
    assert record["onlineStatus"] == 1 and record["lastUpdateTime"] > last and record["worstInfectionIdx"] == "9999"


@pytest.mark.parametrize("body", [
    {"kind": "bad_patch", "effect": "explode"},
    {"kind": "bad_patch", "effect": "switch_off", "switches": ["daOnOff"]},
    {"kind": "bad_patch", "effect": "switch_off", "switch_value": 1},
    {"kind": "bad_patch", "effect": "switch_off", "share": 0},
    {"kind": "bad_patch", "effect": "switch_off", "share": 1.5},
    {"kind": "bad_patch", "effect": "infected", "severity": 99},
    {"kind": "bad_patch", "effect": "infected", "computers": "WS-FIN-0001"},
    {"kind": "bad_patch", "effect": "infected", "version": "14.3"},
])
def test_a_malformed_bad_patch_is_refused(clean_emulator, body):
    with pytest.raises(RuntimeError, match="400"):
        clean_emulator.add_fault(**body)
    assert clean_emulator.control("GET", "faults")["faults"] == []


@pytest.mark.parametrize("body", [
    {"switches": {"apOnOff": 7}},
    {"switches": {"cidsDrvOnOff": 0}},
    {"switches": ["apOnOff"]},
    {"infected": "yes"},
    {"checking_in": 1},
])
def test_a_malformed_health_control_changes_nothing(clean_emulator, body):
    with pytest.raises(RuntimeError, match="400"):
        clean_emulator.control("PATCH", "computers", dict(body, names=["WS-FIN-0001"], online=False))
    assert clean_emulator.control("GET", "endpoint?name=WS-FIN-0001")["online"] is True


# ----- the collection's checks judge what the emulator shows ------------------------------------------------
def collection(name):
    from tests.integration.inprocess import import_collection_module  # pylint: disable=import-outside-toplevel
    return import_collection_module("module_utils." + name)


def test_the_health_checks_and_the_soak_read_the_bad_patch_in_the_records(frozen):
    api = frozen
    health, soak = collection("health"), collection("soak")
    normalize = collection("computers").normalize_computer
    harmed, silent, healthy = finance_targets(api, 3)
    api.emulator.add_fault(kind="bad_patch", effect="switch_off", computers=[harmed["computerName"]])
    api.emulator.add_fault(kind="bad_patch", effect="stops_checking_in", computers=[silent["computerName"]])
    before = {c["computerName"]: normalize(c) for c in (harmed, silent, healthy)}
    restarted = api.emulator.state()["clock_ms"] + DELIVERY_S * 1000
    patch(api, [harmed, silent, healthy])
    back = {name: normalize(api.computer(name)) for name in before}
    timing = {name: health.Timing(restarted, back[name]["last_update_time"]) for name in before}
    # Two heartbeats and a second after the last of them came back: past the checks' settle time, and before the
    # SEPM shows the silent one offline (three missed heartbeats; they come back within one heartbeat of each other).
    last_back_ms = max(computer["last_update_time"] for computer in back.values())
    advance(api, max(0.0, HEARTBEAT * 2 + 1 - (api.emulator.state()["clock_ms"] - last_back_ms) / 1000.0))
    now = api.emulator.state()["clock_ms"]
    later = {name: normalize(api.computer(name)) for name in before}
    settle = health.settle_seconds(health.check_settle(None), HEARTBEAT)
    judged = {name: health.verdict(before[name], later[name], timing[name], now, settle_s=settle) for name in before}
    assert judged[healthy["computerName"]].state == "healthy"
    assert judged[harmed["computerName"]].state == "unhealthy"
    assert judged[harmed["computerName"]].reason == "unhealthy after the patch: Auto-Protect off, on before"
    assert judged[silent["computerName"]].reason == "unhealthy after the patch: no check-in since it came back from its restart"
    # A later run, with no record from before, finds the soaked computer harmed from the SEPM alone.
    decided = soak.decide(soak.check_soak({"after": 1, "for": "2h"}), [later[harmed["computerName"]]], PATCH, [1], 2, now,
                          settle_s=settle)
    assert decided.state == "stop" and "Auto-Protect off" in decided.reason
