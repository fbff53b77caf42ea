# -*- coding: utf-8 -*-
"""playbooks/patch_policy.yml (the patch_policy role) against the emulator."""

from __future__ import annotations

ALLOW = "LiveUpdate - Client Patches Allowed"
DENY = "LiveUpdate - Client Patches Denied"
SQL = "My Company\\Servers\\SQL"
ALLOWED = ["My Company\\Servers\\SQL", "My Company\\Servers\\File"]
DENIED = ["My Company\\Workstations"]
VARS = {"patch_policy_allowed_groups": ALLOWED, "patch_policy_denied_groups": DENIED}


def assigned(api, group_path):
    group_id = api.group_id(group_path)
    return api.ok("GET", "groups/%s/locations/default/policies/lu" % group_id)


def assignments_since(emulator, seq):
    return [e for e in emulator.events(since=seq)["events"] if e["kind"] == "policy_assigned"]


def test_first_run_assigns_second_changes_nothing(api, runner, clean_emulator):
    seq = clean_emulator.events()["last_seq"]
    first = runner.run("endpoint_ops.sepm.patch_policy", extra_vars=VARS)
    assert first.returncode == 0, first.output
    assert first.recap()["changed"] >= 1
    for path in ALLOWED:
        assert assigned(api, path) == api.policy_id("lu", ALLOW)
    assert assigned(api, DENIED[0]) == api.policy_id("lu", DENY)
    assert assignments_since(clean_emulator, seq)
    assert "Assigned " + ALLOW + " to My Company\\\\Servers\\\\SQL" in first.stdout \
        or "Assigned " + ALLOW + " to My Company\\Servers\\SQL" in first.stdout

    seq = clean_emulator.events()["last_seq"]
    second = runner.run("endpoint_ops.sepm.patch_policy", extra_vars=VARS)
    assert second.returncode == 0, second.output
    assert second.recap()["changed"] == 0
    assert "No group needed a change." in second.stdout
    assert assignments_since(clean_emulator, seq) == []


def test_check_mode_shows_the_plan_and_changes_nothing(runner, clean_emulator):
    seq = clean_emulator.events()["last_seq"]
    run = runner.run("endpoint_ops.sepm.patch_policy", "--check", extra_vars=VARS)
    assert run.returncode == 0, run.output
    assert "Would assign " + ALLOW in run.stdout
    assert assignments_since(clean_emulator, seq) == []


def test_misconfigured_allowing_policy_fails_before_any_assignment(runner, clean_emulator):
    clean_emulator.control("POST", "console/lu_policy", {"name": ALLOW, "platform": "windows", "allow_patch_by_lu": False})
    seq = clean_emulator.events()["last_seq"]
    run = runner.run("endpoint_ops.sepm.patch_policy", extra_vars=VARS)
    assert run.returncode != 0
    assert "Download Symantec Endpoint Protection client patches using LiveUpdate" in run.stdout
    assert ALLOW in run.stdout and "nothing was assigned" in run.stdout
    assert assignments_since(clean_emulator, seq) == []


def test_deny_every_other_group_leaves_staging_groups_alone(api, runner, clean_emulator):
    staging = "My Company\\Servers\\SQL\\Patch Staging"
    api.ok("POST", "groups/%s" % api.group_id("My Company\\Servers\\SQL"),
           json={"name": "Patch Staging", "description": "staging", "inherits": False})
    run = runner.run("endpoint_ops.sepm.patch_policy",
                     extra_vars={"patch_policy_allowed_groups": ALLOWED, "patch_policy_deny_every_other_group": True})
    assert run.returncode == 0, run.output
    deny = api.policy_id("lu", DENY)
    assert assigned(api, "My Company\\Workstations\\HR") == deny
    assert assigned(api, "My Company") == deny
    assert assigned(api, ALLOWED[0]) == api.policy_id("lu", ALLOW)
    staging_policy = api.call("GET", "groups/%s/locations/default/policies/lu" % api.group_id(staging))
    assert staging_policy.status_code == 410 or staging_policy.json() != deny


def sessions(emulator):
    """Logins and logouts the emulator counted since its last reset."""
    counts = emulator.requests_count()["by_endpoint"]
    return counts.get("POST identity/authenticate", 0), counts.get("POST identity/logout", 0)


def test_role_logs_in_once_and_logs_out(runner, clean_emulator):
    clean_emulator.reset_requests()
    run = runner.run("endpoint_ops.sepm.patch_policy", extra_vars=VARS)
    assert run.returncode == 0, run.output
    assert sessions(clean_emulator) == (1, 1)


def test_role_logs_out_when_it_fails(runner, clean_emulator):
    clean_emulator.reset_requests()
    run = runner.run("endpoint_ops.sepm.patch_policy",
                     extra_vars={"patch_policy_allowed_groups": ["My Company\\Nowhere"]})
    assert run.returncode != 0
    assert sessions(clean_emulator) == (1, 1)


def test_slash_and_backslash_paths_are_one_group(api, runner, clean_emulator):
    """allowed 'My Company/Servers/SQL' with deny_every_other_group: SQL is allowed once, never denied."""
    allowed = ["My Company/Servers/SQL"]
    extra = {"patch_policy_allowed_groups": allowed, "patch_policy_deny_every_other_group": True}
    first = runner.run("endpoint_ops.sepm.patch_policy", extra_vars=extra)
    assert first.returncode == 0, first.output
    assert assigned(api, SQL) == api.policy_id("lu", ALLOW)
    seq = clean_emulator.events()["last_seq"]
    second = runner.run("endpoint_ops.sepm.patch_policy", extra_vars=extra)
    assert second.returncode == 0, second.output
    assert second.recap()["changed"] == 0
    assert assignments_since(clean_emulator, seq) == []
    assert assigned(api, SQL) == api.policy_id("lu", ALLOW)


def test_missing_second_group_fails_before_the_first_is_assigned(api, runner, clean_emulator):
    seq = clean_emulator.events()["last_seq"]
    run = runner.run("endpoint_ops.sepm.patch_policy",
                     extra_vars={"patch_policy_allowed_groups": [SQL, "My Company\\Servers\\Nowhere"]})
    assert run.returncode != 0
    assert "My Company\\Servers\\Nowhere" in run.stdout or "My Company\\\\Servers\\\\Nowhere" in run.stdout
    assert "nothing was assigned" in run.stdout
    assert "Traceback" not in run.output
    assert assignments_since(clean_emulator, seq) == []


def test_group_allowed_and_denied_in_two_spellings_is_refused(runner, clean_emulator):
    seq = clean_emulator.events()["last_seq"]
    run = runner.run("endpoint_ops.sepm.patch_policy",
                     extra_vars={"patch_policy_allowed_groups": ["My Company/Servers/SQL"],
                                 "patch_policy_denied_groups": ["my company\\servers\\sql"]})
    assert run.returncode != 0
    assert "allowed_groups and denied_groups both name" in run.stdout
    assert assignments_since(clean_emulator, seq) == []
