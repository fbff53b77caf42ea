# -*- coding: utf-8 -*-
"""The AWX side: the credential type's injected environment, and the rollout run the way AWX
runs a job (ansible-runner, the project's wrapper playbook, the credential's variables).

These read what an AWX user sees: the variables a credential injects, the job's artifacts
(set_stats data in the playbook_on_stats event), the per-host summary, and the report files
in the folder extensions/awx/README.md names.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jinja2
import jinja2.sandbox
import pytest
import yaml

from tests.emulator.harness import EmulatorProcess
from tests.integration.ansible_runner import ansible_bin, collections_root
from tests.integration.conftest import SepmApi
from tests.integration.test_rollout import PATCH, TIMEOUTS, window_with

REPO_ROOT = Path(__file__).resolve().parents[2]
AWX = REPO_ROOT / "extensions" / "awx"


def credential_type():
    return yaml.safe_load((AWX / "credential_type.yml").read_text(encoding="utf-8"))


def awx_injected_env(inputs, private_dir):
    """The environment AWX gives a job for a credential of our type with these inputs.

    As AWX does: a field the credential has no value for takes the type's default; a boolean
    without a default reads as false (what the UI stores for an unticked box); other fields
    stay undefined. File injectors are written out and named by ``tower.filename.<name>``.
    """
    spec = credential_type()
    namespace = {}
    for field in spec["inputs"]["fields"]:
        if field["id"] in inputs:
            namespace[field["id"]] = inputs[field["id"]]
        elif "default" in field:
            namespace[field["id"]] = field["default"]
        elif field.get("type") == "boolean":
            namespace[field["id"]] = False
    sandbox = jinja2.sandbox.ImmutableSandboxedEnvironment()
    files = {}
    for key, template in spec["injectors"].get("file", {}).items():
        path = Path(private_dir) / ("credential_" + key.split(".", 1)[1])
        path.write_text(sandbox.from_string(template).render(**namespace), encoding="utf-8")
        files[key.split(".", 1)[1]] = str(path)
    namespace["tower"] = {"filename": files}
    return {name: sandbox.from_string(template).render(**namespace) for name, template in spec["injectors"]["env"].items()}


def test_a_credential_with_only_host_user_and_password_verifies_tls(tmp_path):
    env = awx_injected_env({"sepm_host": "sepm.example.com", "sepm_username": "admin", "sepm_password": "secret"}, tmp_path)
    assert env["SEPM_VALIDATE_CERTS"] == "true"
    assert env["SEPM_PORT"] == "8446"
    assert env["SEPM_CA_PATH"] == ""


def test_unticking_the_box_turns_verification_off(tmp_path):
    env = awx_injected_env({"sepm_host": "lab", "sepm_username": "admin", "sepm_password": "secret", "validate_certs": False},
                           tmp_path)
    assert env["SEPM_VALIDATE_CERTS"] == "false"


def test_the_ca_input_becomes_a_file_named_by_sepm_ca_path(tmp_path):
    env = awx_injected_env({"sepm_host": "sepm", "sepm_username": "admin", "sepm_password": "secret",
                            "ca_cert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}, tmp_path)
    assert Path(env["SEPM_CA_PATH"]).read_text(encoding="utf-8").startswith("-----BEGIN CERTIFICATE-----")
    assert env["SEPM_VALIDATE_CERTS"] == "true"


@pytest.fixture(scope="module")
def small_fleet():
    """20 patchable Windows clients: enough for a canary, a wave and one that fails."""
    with EmulatorProcess(fleet=20, seed=5, time_scale=300, profile="windows") as process:
        yield process


@pytest.fixture
def fresh_fleet(small_fleet):  # pylint: disable=redefined-outer-name
    small_fleet.reset(profile="windows")
    small_fleet.clear_faults()
    return small_fleet


def awx_private_data_dir(root, env, extra_vars):
    """The folder AWX hands ansible-runner: the project's playbooks, the inventory, env/*."""
    root.mkdir()
    shutil.copytree(AWX / "project", root / "project")
    (root / "inventory").mkdir()
    (root / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s\n" % shutil.which("python3"), encoding="utf-8")
    (root / "env").mkdir()
    (root / "env" / "envvars").write_text(yaml.safe_dump(env), encoding="utf-8")
    (root / "env" / "extravars").write_text(yaml.safe_dump(extra_vars), encoding="utf-8")
    return root


class RunnerJob:
    """What ansible-runner leaves in artifacts/<ident>/, where AWX reads a job's outcome from."""

    def __init__(self, private):
        self.artifacts = private / "artifacts" / "job"
        self.status = (self.artifacts / "status").read_text(encoding="utf-8").strip()
        self.rc = int((self.artifacts / "rc").read_text(encoding="utf-8"))
        self.stdout = (self.artifacts / "stdout").read_text(encoding="utf-8")
        self.events = [json.loads(path.read_text(encoding="utf-8"))
                       for path in sorted((self.artifacts / "job_events").glob("*.json"),
                                          key=lambda path: int(path.name.split("-", 1)[0]))]


def run_job(private, playbook="sepm_rollout.yml", timeout=600):
    """``ansible-runner run``, the command an AWX execution node runs for a job."""
    subprocess.run([ansible_bin("ansible-runner"), "run", "--ident", "job", "--playbook", playbook, str(private)],
                   capture_output=True, text=True, timeout=timeout, check=False)
    return RunnerJob(private)


def test_rollout_job_through_ansible_runner_leaves_totals_and_report(fresh_fleet, tmp_path):
    emulator = fresh_fleet
    api = SepmApi(emulator)
    api.login()
    candidates = sorted(c["computerName"] for c in api.ok("GET", "computers", params={"pageSize": 1000})["content"]
                        if c["agentVersion"] != PATCH and "-N" not in c["computerName"])
    lost = candidates[-1]
    emulator.add_fault(kind="never_back", computers=[lost])

    credential_dir = tmp_path / "credential"
    credential_dir.mkdir()
    env = awx_injected_env({"sepm_host": emulator.host, "sepm_port": str(emulator.port), "sepm_username": emulator.username,
                            "sepm_password": emulator.password,
                            "ca_cert": Path(emulator.ca_path).read_text(encoding="utf-8")}, credential_dir)
    # What the execution environment has built in: the collection, and no retry files or colour.
    env.update({"ANSIBLE_COLLECTIONS_PATH": str(collections_root()), "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_RETRY_FILES_ENABLED": "0"})
    report_dir = tmp_path / "persistent-volume"
    report_dir.mkdir()
    window, _opens, _closes = window_with(emulator, minutes_left=20 * 60, duration_minutes=24 * 60)
    # Survey answers are strings; the job template's own extra variables come along.
    survey = {"sepm_groups": "My Company\n", "sepm_windows": json.dumps([window]), "sepm_serial": '[1, "50%"]',
              "sepm_target_version": "", "sepm_dry_run": "no"}
    template_vars = {"sepm_report_dir": str(report_dir), "rollout_failure_budget": 3, "rollout_max_fail_percentage": 100,
                     "rollout_restart": "always", "rollout_poll_interval": 0.5, **TIMEOUTS}
    private = awx_private_data_dir(tmp_path / "job", env, {**template_vars, **survey})

    job = run_job(private)

    stdout = job.stdout
    assert job.status == "successful" and job.rc == 0, stdout[-4000:]
    stats = next(event["event_data"] for event in job.events if event["event"] == "playbook_on_stats")
    artifacts = stats["artifact_data"]
    totals = artifacts["rollout_totals"]
    assert totals["total"] == 20 and totals["failed"] == 1 and totals["patched"] + totals["compliant"] == 19, totals
    assert artifacts["rollout_stopped"] in (None, "")
    assert artifacts["rollout_target_version"] == PATCH
    assert list(artifacts["rollout_failed_hosts"]) == [lost]
    assert "did not come back online" in artifacts["rollout_failed_hosts"][lost]

    report_json = Path(artifacts["rollout_report_json"])
    assert report_json.parent == report_dir and report_json.is_file()
    assert Path(artifacts["rollout_report_html"]).is_file()
    report = json.loads(report_json.read_text(encoding="utf-8"))
    assert report["totals"] == totals

    # One line per computer in the job's host summary: patched ones changed, the lost one failed but ignored.
    patched = {name for name, host in report["hosts"].items() if host["state"] == "patched"}
    assert len(patched) == totals["patched"] and patched <= set(stats["changed"])
    assert lost in stats["ignored"] and lost not in stats["changed"]
    assert set(report["hosts"]) <= set(stats["ok"]) | set(stats["ignored"])
    secret_free = stdout + report_json.read_text(encoding="utf-8")
    assert emulator.password not in secret_free


def test_rollout_job_refuses_to_start_without_the_persistent_report_folder(fresh_fleet, tmp_path):
    emulator = fresh_fleet
    env = awx_injected_env({"sepm_host": emulator.host, "sepm_port": str(emulator.port), "sepm_username": emulator.username,
                            "sepm_password": emulator.password, "validate_certs": False}, tmp_path)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_root())
    private = awx_private_data_dir(tmp_path / "job", env, {"sepm_groups": "My Company", "rollout_ignore_windows": True,
                                                           "sepm_report_dir": str(tmp_path / "not-mounted")})
    job = run_job(private, timeout=300)
    assert job.status == "failed"
    assert "Mount a persistent volume there" in job.stdout
    assert not any(event["event"] == "runner_on_ok" and event["event_data"].get("task") == "Run the rollout role"
                   for event in job.events)


# What the emulator logs when the SEPM is changed: a job that only reads leaves none of these.
CHANGING_EVENTS = {"command", "move", "group_created", "policy_assigned", "restart_begin"}


def job_env_and_report_dir(emulator, tmp_path):
    """A job's environment from an SEPM credential with the emulator's CA, and an empty persistent report folder."""
    env = awx_injected_env({"sepm_host": emulator.host, "sepm_port": str(emulator.port), "sepm_username": emulator.username,
                            "sepm_password": emulator.password,
                            "ca_cert": Path(emulator.ca_path).read_text(encoding="utf-8")}, tmp_path)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_root())
    report_dir = tmp_path / "persistent-volume"
    report_dir.mkdir()
    return env, report_dir


def test_plan_job_of_the_workflow_changes_nothing(fresh_fleet, tmp_path):
    """The workflow's first node: the rollout as a dry run, read before anyone approves."""
    emulator = fresh_fleet
    env, report_dir = job_env_and_report_dir(emulator, tmp_path)
    window, _opens, _closes = window_with(emulator, minutes_left=20 * 60, duration_minutes=24 * 60)
    private = awx_private_data_dir(tmp_path / "job", env, {"sepm_groups": "My Company", "sepm_windows": json.dumps([window]),
                                                           "sepm_dry_run": "yes", "sepm_report_dir": str(report_dir)})
    job = run_job(private, timeout=300)
    assert job.status == "successful", job.stdout[-4000:]
    assert not [event for event in emulator.events()["events"] if event["kind"] in CHANGING_EVENTS]
    assert not list(report_dir.iterdir())


def test_forecast_job_hands_the_finish_to_awx_and_changes_nothing(fresh_fleet, tmp_path):
    """"SEPM - rollout forecast" with the rollout's survey answers and its report folder."""
    emulator = fresh_fleet
    env, report_dir = job_env_and_report_dir(emulator, tmp_path)
    survey = {"sepm_groups": "My Company\n", "sepm_serial": '[1, "50%"]', "sepm_target_version": "",
              "sepm_windows": '[{days: [sat], start: "22:00", duration: 6h, timezone: Europe/Berlin}]'}
    private = awx_private_data_dir(tmp_path / "job", env, {"sepm_report_dir": str(report_dir), **survey})
    job = run_job(private, playbook="sepm_forecast.yml", timeout=300)
    assert job.status == "successful", job.stdout[-4000:]
    artifacts = next(event["event_data"] for event in job.events if event["event"] == "playbook_on_stats")["artifact_data"]
    assert artifacts["rollout_forecast_line"].startswith("at this pace, done on ")
    assert "Europe/Berlin" in artifacts["rollout_forecast_line"]
    assert set(artifacts["rollout_forecast_finish"]) == {"best", "expected", "worst"}
    assert artifacts["rollout_forecast_windows"]["expected"] >= 1
    assert "no run measured yet" in job.stdout
    assert not [event for event in emulator.events()["events"] if event["kind"] in CHANGING_EVENTS]
    assert not list(report_dir.iterdir())
    assert emulator.password not in job.stdout


# ----- the controller objects (extensions/awx/controller.yml, `awx import` data) ------------------
def controller_objects():
    return yaml.safe_load((AWX / "controller.yml").read_text(encoding="utf-8"))


def test_controller_credential_type_is_the_documented_one():
    imported = controller_objects()["credential_types"][0]
    documented = credential_type()
    assert (imported["inputs"], imported["injectors"]) == (documented["inputs"], documented["injectors"])


def test_every_job_template_runs_a_playbook_of_the_project():
    for template in controller_objects()["job_templates"]:
        assert (AWX / "project" / template["playbook"]).is_file(), template["name"]


def test_workflow_plans_then_waits_for_approval_before_touching_anything():
    workflow = controller_objects()["workflow_job_templates"][0]
    nodes = {node["identifier"]: node for node in workflow["related"]["workflow_nodes"]}
    order, current = [], "plan"
    while current:
        order.append(current)
        following = nodes[current]["related"]["success_nodes"]
        current = following[0]["identifier"] if following else None
    assert order == ["plan", "approval", "canary", "waves", "report"]
    assert nodes["plan"]["extra_data"]["sepm_dry_run"] == "yes"
    assert "create_approval_template" in nodes["approval"]["related"]
    assert nodes["canary"]["extra_data"]["sepm_stage"] == "canary"
    survey = {question["variable"] for question in workflow["related"]["survey_spec"]["spec"]}
    assert {"sepm_targets", "sepm_windows", "sepm_serial", "sepm_target_version", "sepm_dry_run"} <= survey


def test_the_schedule_starts_inside_its_window_with_the_cutoff_left():
    """A scheduled run that starts outside the window would only defer: the schedule and the window agree."""
    import datetime  # pylint: disable=import-outside-toplevel
    from zoneinfo import ZoneInfo  # pylint: disable=import-outside-toplevel

    from tests.integration.inprocess import import_collection_module  # pylint: disable=import-outside-toplevel
    windows = import_collection_module("module_utils.window")

    schedule = controller_objects()["schedules"][0]
    dtstart, rrule = schedule["rrule"].split(" ")
    zone, stamp = dtstart.split("TZID=")[1].split(":")
    assert "FREQ=WEEKLY" in rrule
    days = rrule.split("BYDAY=")[1].split(";")[0].split(",")
    first = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%S").replace(tzinfo=ZoneInfo(zone))
    window_list = yaml.safe_load(schedule["extra_data"]["sepm_windows"])
    day_names = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    cutoff = sum(TIMEOUTS_DEFAULT.values())
    for week in range(60):  # a year, DST changes included
        for day in days:
            start = first + datetime.timedelta(days=7 * week + (day_names.index(day) - first.weekday()) % 7)
            assert windows.is_open(window_list, start), start
            assert windows.time_left(window_list, start).total_seconds() >= cutoff, start


# The role's default timeouts (policy, delivery, restart): a batch starts only with their sum left.
TIMEOUTS_DEFAULT = {"rollout_policy_timeout": 900, "rollout_delivery_timeout": 3600, "rollout_restart_timeout": 1800}


def test_preflight_job_shows_each_check_and_leaves_the_bundle_on_the_volume(fresh_fleet, tmp_path):
    """"SEPM - preflight" with the rollout's survey answers: reads only, the bundle beside the reports."""
    emulator = fresh_fleet
    env, report_dir = job_env_and_report_dir(emulator, tmp_path)
    private = awx_private_data_dir(tmp_path / "job", env, {"sepm_report_dir": str(report_dir),
                                                           "sepm_groups": "My Company\\Servers\nMy Company\\Workstations\n"})
    job = run_job(private, playbook="sepm_preflight.yml", timeout=300)
    assert job.status == "successful" and job.rc == 0, job.stdout[-4000:]
    artifacts = next(event["event_data"] for event in job.events if event["event"] == "playbook_on_stats")["artifact_data"]
    assert artifacts["preflight_failed_checks"] == [] and artifacts["preflight_summary"]["fail"] == 0
    assert "ok   groups: 2 group(s) exist" in job.stdout and "ok   rights:" in job.stdout
    bundle = Path(artifacts["preflight_bundle"])
    assert bundle.parent == report_dir and bundle.name.startswith("preflight-127.0.0.1-")
    assert (bundle.stat().st_mode & 0o777) == 0o600
    assert not [event for event in emulator.events()["events"] if event["kind"] in CHANGING_EVENTS]
    assert emulator.password not in job.stdout + bundle.read_text(encoding="utf-8")
