# -*- coding: utf-8 -*-
"""Every user mistake that reaches a rollout action fails in one line: no traceback, no secret, nothing written.

The actions (rollout_plan, rollout_forecast, rollout_batch, rollout_package, rollout_report) run on the
controller, so they are driven through one real ansible-playbook run: a valid plan first (a liveupdate
batch and a package batch), then one task per mistake, each allowed to fail and read back.
"""

from __future__ import annotations

import json

from tests.integration.conftest import SepmApi

PATCH = "14.3.10148.9100"
WINDOW = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "duration": "24h", "timezone": "UTC"}
WRITES = frozenset(("move", "command", "policy_assigned", "group_created", "group_deleted", "settings_changed"))


def package_folder(tmp_path, version=PATCH):
    folder = tmp_path / ("package-%s" % version)
    folder.mkdir()
    (folder / "Setup.exe").write_bytes(b"MZ setup " * 64)
    (folder / "Sep64.msi").write_bytes(b"MSI sep64 " * 256)
    (folder / "setup.ini").write_text("[Startup]\nProductVersion=%s\n" % version)
    return folder


def two_windows_clients(emulator):
    api = SepmApi(emulator)
    api.login()
    listed = api.ok("GET", "computers", params={"pageSize": 1000})["content"]
    names = sorted(c["computerName"] for c in listed if "Windows" in (c["osName"] or "") and c["onlineStatus"] == 1
                   and c["agentVersion"] == "14.3.10148.9000" and "-N" not in c["computerName"])
    return names[:2]


def mistakes(tmp_path, package, other_release):
    """(task name, action, arguments, words the one-line message must hold)."""
    plan = dict(targets="servers", windows=[WINDOW], serial=[1], report_dir=str(tmp_path / "reports"), cluster_pattern="^never$",
                package_path=str(package), package_version=PATCH, target_version=PATCH)
    handle = "{{ plan.run }}"
    return [
        ("package_batch_to_rollout_batch", "rollout_batch", {"run": handle, "batch": "2"}, "is a package batch"),
        ("unknown_batch", "rollout_batch", {"run": handle, "batch": "99"}, "'99' is not a batch of this rollout"),
        ("no_handle", "rollout_batch", {"run": {}, "batch": "1"}, "give the run handle"),
        ("run_file_gone", "rollout_batch", {"run": {"file": str(tmp_path / "no-such-run.json")}, "batch": "1"}, "is gone"),
        ("not_a_run_file", "rollout_report", {"run": {"file": str(package / "setup.ini")}}, "cannot be read"),
        ("liveupdate_batch_to_package", "rollout_package", {"run": handle, "step": "begin", "batch": "1"}, "is a liveupdate batch"),
        ("gate_without_host", "rollout_package", {"run": handle, "step": "gate"}, "step gate needs host"),
        ("gate_before_begin", "rollout_package", {"run": handle, "step": "gate", "host": "WS-0001"},
         "no package batch is running"),
        ("unknown_step", "rollout_package", {"run": handle, "step": "explode"}, "step"),
        ("forecast_bad_start", "rollout_forecast", dict(plan, start="next saturday"), "not an ISO-8601"),
        ("forecast_bad_serial", "rollout_forecast", dict(plan, serial=[0]), "serial"),
        ("forecast_missing_package", "rollout_forecast", dict(plan, package_path=str(tmp_path / "nothing-here")), "nothing-here"),
        ("forecast_bad_variable", "rollout_forecast", {"variable_prefix": "rollout_", "targets": "servers",
                                                       "windows": [WINDOW]}, "rollout_poll_interval"),
        ("plan_package_of_another_release", "rollout_plan", dict(plan, package_path=str(other_release),
                                                                 package_version="14.3.9681.8100", target_version=""),
         "clients take patches only in the SEPM's own release"),
        ("plan_package_checksum", "rollout_plan", dict(plan, package_sha256="0" * 64), "SHA-256"),
        ("plan_bad_window_variable", "rollout_plan", {"variable_prefix": "rollout_", "targets": "servers"}, "rollout_windows"),
        ("plan_unknown_health_check", "rollout_plan", dict(plan, health_checks=["bogus"]), "health_checks: unknown check 'bogus'"),
        ("plan_settle_of_no_heartbeat", "rollout_plan", dict(plan, health_settle=0), "health_settle must be from 1 to 20"),
        ("plan_soak_after_no_batch", "rollout_plan", dict(plan, soak={"after": 0, "for": "1h"}), "soak.after"),
        ("plan_soak_forever", "rollout_plan", dict(plan, soak={"after": 1, "for": "forever"}), "soak.for"),
        ("plan_group_budget_over_all", "rollout_plan", dict(plan, max_restarting_per_group="150%"),
         "max_restarting_per_group must be"),
        ("plan_four_batches_ahead", "rollout_plan", dict(plan, batches_ahead=4), "batches_ahead must be"),
        ("forecast_group_budget_over_all", "rollout_forecast", dict(plan, max_downloading_per_group="0"),
         "max_downloading_per_group must be"),
        ("batch_unknown_step", "rollout_batch", {"run": handle, "batch": "1", "step": "explode"}, "step"),
    ], plan


def test_mistakes_reaching_the_rollout_actions_fail_in_one_line_and_write_nothing(runner, clean_emulator, tmp_path):
    first, second = two_windows_clients(clean_emulator)
    inventory = tmp_path / "servers.ini"
    inventory.write_text("[servers]\n%s sepm_rollout_method=liveupdate\n%s sepm_rollout_method=package\n" % (first, second))
    cases, plan = mistakes(tmp_path, package_folder(tmp_path), package_folder(tmp_path, "14.3.9681.8100"))
    tasks = [{"name": "plan", "endpoint_ops.sepm.rollout_plan": plan, "register": "plan"}]
    for name, action, arguments, _words in cases:
        task = {"name": name, "endpoint_ops.sepm.%s" % action: arguments, "register": name, "ignore_errors": True}
        if name == "forecast_bad_variable":
            task["vars"] = {"rollout_poll_interval": "abc"}
        tasks.append(task)
    tasks.append({"name": "results", "ansible.builtin.debug": {"msg": "{{ {%s} }}" % ", ".join(
        "'%s': %s" % (name, name) for name, _action, _arguments, _words in cases)}})
    playbook = json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], indent=1) + "\n"
    seq = clean_emulator.events()["last_seq"]
    run = runner.run(playbook, "-i", str(inventory))
    assert run.returncode == 0, run.output[-3000:]
    assert run.result("plan")["run"]["methods"] == {"1": "liveupdate", "2": "package"}
    results = run.result("results")["msg"]
    for name, _action, _arguments, words in cases:
        result = results[name]
        message = result.get("msg") or ""
        assert result.get("failed") is True, (name, result)
        assert words in message, (name, message)
        # ansible-core 2.19 registers "(traceback unavailable)" for any failed action without a traceback of its own.
        assert "\n" not in message and "Traceback" not in message + str(result.get("exception", "")), (name, result)
        assert "a bug in endpoint_ops.sepm" not in message, (name, message)
        assert clean_emulator.password not in message
    assert [event for event in clean_emulator.events(since=seq)["events"] if event["kind"] in WRITES] == []
