# -*- coding: utf-8 -*-
"""``ansible-playbook endpoint_ops.sepm.preflight`` against the emulator, and the shape bundle it writes.

One emulator for the module, at the real clock's pace (time scale 1), so the clock check has
a right clock to compare with; each test resets it. Each case reads what a user sees: the
verdict lines, the exit code, the bundle, and the emulator's request log (reads only).
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from pathlib import Path

import pytest
import yaml

from tests.emulator import compare_shapes
from tests.emulator.harness import EmulatorProcess
from tests.emulator.tls import create_certificates
from tests.integration.ansible_runner import PlaybookRunner
from tests.integration.conftest import SepmApi
from tests.integration.inprocess import write_calls

REPO_ROOT = Path(__file__).resolve().parents[2]
SHAPES = REPO_ROOT / "tests" / "data" / "shapes"
DENY = "LiveUpdate - Client Patches Denied"
ROLLOUT = {"rollout_groups": ["My Company\\Servers", "My Company\\Workstations\\Finance"]}
TASK = "endpoint_ops.sepm.preflight : Check the SEPM before a rollout"
BUNDLE_NAME = re.compile(r"^preflight-127\.0\.0\.1-\d{8}T\d{6}Z\.json$")


@pytest.fixture(name="sepm", scope="module")
def sepm_fixture():
    with EmulatorProcess(fleet=60, seed=3, time_scale=1) as process:
        yield process


@pytest.fixture(name="fresh")
def fresh_fixture(sepm):
    sepm.reset()
    sepm.clear_faults()
    sepm.settings(max_header_bytes=8192)
    sepm.control("POST", "clock", {"set_ms": int(time.time() * 1000), "time_scale": 1})
    return sepm


@pytest.fixture(name="preflight")
def preflight_fixture(fresh, tmp_path):
    """Run the playbook with the rollout's variables; returns (run, verdict lines by check, bundle paths)."""
    runner = PlaybookRunner(fresh, tmp_path)
    bundles = tmp_path / "reports"

    def run(*args, env=None, **variables):
        variables = dict(ROLLOUT, rollout_report_dir=str(bundles), **variables)
        # connection_env leaves out a variable given as None (a run with a token and no password).
        result = runner.run("endpoint_ops.sepm.preflight", *args, connection=False, env=runner.connection_env(**(env or {})),
                            extra_vars=variables)
        lines = {}
        for record in result.results(TASK):
            for verdict in record.get("verdicts", []):
                lines[verdict["check"]] = verdict["line"]
        return result, lines, sorted(bundles.glob("preflight-*.json")) if bundles.is_dir() else []
    return run


def levels(lines):
    return {check: line.split(" ", 1)[0] for check, line in lines.items()}


def served_values(emulator):
    """Every text the emulator holds that a bundle must not: names, ids, addresses, versions, messages, the password."""
    api = SepmApi(emulator)
    api.login()
    replies = [api.ok("GET", "computers", params={"pageSize": 1000}), api.ok("GET", "groups", params={"pageSize": 1000}),
               api.ok("GET", "policies/summary"), api.ok("GET", "events/critical", params={"includeAcknowledged": "true"}),
               api.ok("GET", "stats/client/version"), api.ok("GET", "version")]
    found = {emulator.password, api.token}

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and len(value.strip()) >= 4:
            found.add(value)
    for reply in replies:
        walk(reply)
    return found


def test_every_check_is_ok_nothing_is_written_and_the_bundle_holds_no_value(preflight, fresh):
    fresh.reset_requests()
    run, lines, bundles = preflight()
    assert run.returncode == 0, run.output[-4000:]
    assert set(levels(lines).values()) == {"ok"}, "\n".join(lines.values())
    assert "preflight passed: every check ok" in run.stdout
    counts = fresh.requests_count()["by_endpoint"]
    assert write_calls(fresh) == {}, "the preflight only reads"
    assert counts["POST identity/authenticate"] == 1 and counts["POST identity/logout"] == 1

    assert len(bundles) == 1 and BUNDLE_NAME.match(bundles[0].name)
    assert stat.S_IMODE(os.stat(bundles[0]).st_mode) == 0o600
    text = bundles[0].read_text(encoding="utf-8")
    bundle = json.loads(text)
    assert [verdict["check"] for verdict in bundle["verdicts"]] == list(lines)
    reads = {(read["method"], read["template"], read["status"]) for read in bundle["reads"]}
    assert ("GET", "policies/lu/{id}", 200) in reads and ("GET", "command-queue/{command_id}", 410) in reads
    leaked = sorted(value for value in served_values(fresh) if json.dumps(value) in text or
                    (len(value) >= 8 and value in text))
    assert leaked == [], "the bundle holds values the SEPM served"


def test_compare_shapes_finds_nothing_in_the_emulators_own_bundle_and_names_a_removed_key(preflight, tmp_path, capsys):
    run, _lines, bundles = preflight()
    assert run.returncode == 0, run.output[-3000:]
    assert compare_shapes.main([str(bundles[0])]) == 0
    assert "the emulator answers in the same shapes" in capsys.readouterr().out

    bundle = json.loads(bundles[0].read_text(encoding="utf-8"))
    page = next(read for read in bundle["reads"] if read["template"] == "computers" and "pageSize" in read["query"])
    del page["shape"]["keys"]["content"]["items"]["keys"]["profileSerialNo"]
    spoiled = tmp_path / "spoiled.json"
    spoiled.write_text(json.dumps(bundle), encoding="utf-8")
    assert compare_shapes.main([str(spoiled)]) == 1
    out = capsys.readouterr().out
    assert "GET computers (HTTP 200): content[].profileSerialNo: extra" in out


def test_the_kept_bundles_match_the_emulator(capsys):
    """tests/data/shapes/: real SEPMs' shapes (the captures first); a user's bundle added there becomes a fidelity test."""
    kept = sorted(str(path) for path in SHAPES.glob("*.json"))
    assert kept, "no bundle under tests/data/shapes"
    assert compare_shapes.main(kept) == 0, capsys.readouterr().out


def test_the_capture_bundle_is_made_from_the_captures():
    made = compare_shapes.bundle_from_captures(str(REPO_ROOT / "tests" / "data" / "real-captures"))
    assert json.loads((SHAPES / "real-captures.json").read_text(encoding="utf-8")) == made


def test_a_wrong_password_fails_the_login_and_skips_what_needs_it(preflight, fresh):
    fresh.reset_requests()
    run, lines, _bundles = preflight(env={"SEPM_PASSWORD": "not-the-password"})
    assert run.returncode != 0
    assert lines["login"].startswith("fail login: the SEPM at https://127.0.0.1:%d rejected the login of 'admin'" % fresh.port)
    assert "check sepm_username, sepm_password" in lines["login"]
    assert levels(lines)["rights"] == "skip" and levels(lines)["command_queue"] == "skip"
    assert levels(lines)["reachable"] == levels(lines)["clock"] == "ok"
    assert "not-the-password" not in run.output
    assert write_calls(fresh) == {}


def test_an_untrusted_certificate_fails_tls_and_says_what_to_set(preflight, fresh, tmp_path):
    _cert, _key, other_ca = create_certificates(str(tmp_path / "other-ca"))
    fresh.reset_requests()
    run, lines, _bundles = preflight(env={"SEPM_CA_PATH": other_ca})
    assert run.returncode != 0
    assert lines["tls"].startswith("fail TLS: the TLS certificate of https://127.0.0.1:%d is not trusted" % fresh.port)
    assert "set ca_path" in lines["tls"]
    assert levels(lines)["reachable"] == "ok" and levels(lines)["login"] == "skip"
    assert fresh.requests_count()["total"] == 0, "nothing reached the SEPM's API"


def test_a_limited_administrator_fails_rights_naming_what_is_missing(preflight, fresh):
    run, lines, _bundles = preflight(env={"SEPM_USERNAME": "limited"})
    assert run.returncode != 0
    assert lines["rights"].startswith("fail rights: 'limited' is a limited administrator (role bitMask 2)")
    assert "remote commands" in lines["rights"] and "policies" in lines["rights"]
    assert lines["command_queue"].startswith("fail command queue: the account may not read command status")
    assert levels(lines)["allowing_policy"] == "skip" and "HTTP 403" in lines["allowing_policy"]
    assert write_calls(fresh) == {}


def test_a_session_token_is_judged_by_its_current_user(preflight, fresh):
    """With sepm_token and no password the role comes from GET sessions/currentuser; a domain administrator fails."""
    api = SepmApi(fresh, "domainadmin")
    api.login()
    run, lines, _bundles = preflight(env={"SEPM_TOKEN": api.token, "SEPM_PASSWORD": None, "SEPM_USERNAME": "domainadmin"})
    assert run.returncode != 0
    assert levels(lines)["login"] == "ok" and "session token was given" in lines["login"]
    assert "domain administrator (role bitMask 4)" in lines["rights"]
    assert fresh.requests_count()["by_endpoint"].get("GET sessions/currentuser") == 1
    assert api.get("groups").status_code == 403, "the given token is still valid: the preflight did not log it out"


def test_a_missing_policy_and_a_denying_policy_that_allows_fail_each_in_its_line(preflight, fresh):
    fresh.control("POST", "console/lu_policy", {"name": DENY, "platform": "windows", "allow_patch_by_lu": True})
    run, lines, _bundles = preflight(rollout_allow_policy="LiveUpdate - No Such Policy")
    assert run.returncode != 0
    allowing = [line for line in run.result(TASK)["lines"] if "allowing policy" in line]
    assert len(allowing) == 2, "one line per named allowing policy (the rollout's and patch_policy's)"
    assert any(line.startswith("fail allowing policy: no LiveUpdate Settings policy is named "
                               "'LiveUpdate - No Such Policy'") for line in allowing)
    assert lines["denying_policy"].startswith("fail denying policy: '%s' has client patches on for Windows" % DENY)
    assert "uncheck 'Download Symantec Endpoint Protection client patches using LiveUpdate'" in lines["denying_policy"]
    assert "The API cannot change this setting" in lines["denying_policy"]
    assert write_calls(fresh) == {}


def test_warnings_do_not_fail_the_run(preflight, fresh, tmp_path):
    """A clock 10 minutes off, a target the SEPM does not know, validate_certs off: three warnings, exit 0."""
    fresh.control("POST", "clock", {"set_ms": int(time.time() * 1000) + 600_000, "time_scale": 1})
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"wave_1": {"hosts": {
        "sql1": {"sepm_name": "SQL-01-N1"}, "WS-FIN-0001": {}, "ghost-01": {}}}}}}), encoding="utf-8")
    run, lines, _bundles = preflight("-i", str(inventory), rollout_targets="wave_1",
                                     env={"SEPM_VALIDATE_CERTS": "false"})
    assert run.returncode == 0, run.output[-4000:]
    assert re.match(r"^warn clock: the SEPM's clock is (9m59s|10m00s|10m01s) ahead of this controller's", lines["clock"])
    assert lines["targets"].startswith("warn targets: 1 of 3 sampled inventory hosts are not SEPM computers by that name: "
                                       "ghost-01")
    assert lines["tls"].startswith("warn TLS: validate_certs is false")
    assert {level for check, level in levels(lines).items() if check not in ("clock", "targets", "tls")} == {"ok"}
    assert "preflight passed with 3 warning(s)" in run.stdout


def test_a_request_limit_of_4096_bytes_fails_naming_the_value_to_set(preflight, fresh):
    fresh.settings(max_header_bytes=4096)
    run, lines, _bundles = preflight()
    assert run.returncode != 0
    found = re.match(r"^fail request size: the server refuses a request head over about (\d+) bytes, less than the 8192 "
                     r"the client may send \(max_request_bytes\): .* set max_request_bytes: (\d+)", lines["request_limit"])
    assert found, lines["request_limit"]
    assert 4096 - 128 <= int(found.group(1)) <= 4096 and found.group(1) == found.group(2)
    assert write_calls(fresh) == {}


def test_bad_input_fails_in_one_line_before_any_request(preflight, fresh):
    fresh.reset_requests()
    run, _lines, _bundles = preflight(rollout_groups=["My Company\\\\", "  "])
    assert run.returncode != 0
    assert "group path" in run.stdout and "Traceback" not in run.output
    run, _lines, _bundles = preflight(rollout_target_version="fourteen")
    assert run.returncode != 0 and "target_version must be a SEP version" in run.stdout
    assert fresh.requests_count()["total"] == 0


def test_the_role_takes_the_rollouts_and_patch_policys_defaults():
    """Each ``variable | default(value)`` in the role's defaults has that role's own default value."""
    own = (REPO_ROOT / "roles" / "preflight" / "defaults" / "main.yml").read_text(encoding="utf-8")
    theirs = {}
    for role in ("rollout", "patch_policy"):
        theirs.update(yaml.safe_load((REPO_ROOT / "roles" / role / "defaults" / "main.yml").read_text(encoding="utf-8")))
    read = re.findall(r"\b((?:rollout|patch_policy)_\w+) \| default\(([^()]*)\)", own)
    assert {name for name, _value in read} == {
        "rollout_groups", "rollout_targets", "rollout_target_version", "rollout_allow_policy", "rollout_clock",
        "rollout_report_dir", "patch_policy_allowed_groups", "patch_policy_denied_groups", "patch_policy_allowing_policy",
        "patch_policy_denying_policy"}
    for name, value in read:
        assert yaml.safe_load(value) == theirs[name], name
