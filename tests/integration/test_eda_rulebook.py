# -*- coding: utf-8 -*-
"""The example rulebook endpoint_ops.sepm.patch_arrival run by a real ansible-rulebook against the emulator.

ansible-rulebook lives in its own virtual environment (.venv-eda, `make venv-eda`, from
tests/requirements-eda.txt); the playbooks it starts run with the ansible-core of the
environment running these tests. `scripts/test.sh eda` runs this file; without
ansible-rulebook the test fails, it does not skip.
"""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.emulator.harness import EmulatorProcess
from tests.integration.ansible_runner import REPO_ROOT, collections_root
from tests.integration.conftest import SepmApi
from tests.integration.test_rollout import TIMEOUTS, window_with

pytestmark = pytest.mark.eda

PATCH = "14.3.10148.9200"
CANARY_GROUP = "My Company\\Workstations\\Canary"
RUN_TIMEOUT_S = 240


def ansible_rulebook():
    venv = os.environ.get("SEPM_EDA_VENV") or str(REPO_ROOT / ".venv-eda")
    command = Path(venv) / "bin" / "ansible-rulebook"
    if not command.exists():
        pytest.fail("no ansible-rulebook at %s: build its environment with 'make venv-eda' (tests/requirements-eda.txt)"
                    % command, pytrace=False)
    return command


@pytest.fixture(name="emulator")
def emulator_fixture():
    with EmulatorProcess(fleet=20, seed=3, time_scale=300, profile="windows") as process:
        yield process


def make_canary(api):
    """What an admin sets up once: a canary group holding one Windows client still below the patch."""
    workstations = api.group_id("My Company\\Workstations")
    api.ok("POST", "groups/%s" % workstations, json={"name": "Canary", "description": "canary", "inherits": True})
    canary = api.group_id(CANARY_GROUP)
    computer = next(c for c in api.ok("GET", "computers", params={"pageSize": 1000})["content"]
                    if c["group"]["name"] == "My Company\\Workstations\\HR" and c["agentVersion"] != PATCH)
    api.ok("PATCH", "computers", json=[{"group": {"id": canary}, "hardwareKey": computer["hardwareKey"]}])
    return computer["computerName"]


def polls(emulator):
    return emulator.requests_count()["by_endpoint"].get("GET events/critical", 0)


def wait_for(what, check, process, log_path, timeout=RUN_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError("%s: not within %ss (ansible-rulebook %s); its log:\n%s" % (
        what, timeout, "ended" if process.poll() is not None else "still running", Path(log_path).read_text()[-6000:]))


def test_a_windows_client_patch_starts_the_canary_wave(emulator, tmp_path):
    api = SepmApi(emulator)
    api.login()
    canary = make_canary(api)
    window, _opens, _closes = window_with(emulator, minutes_left=300)
    reports = tmp_path / "reports"
    # The rollout's settings as variables of localhost in the inventory ansible-rulebook gets.
    inventory = tmp_path / "canary.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": dict(
        {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
         "rollout_windows": [window], "rollout_report_dir": str(reports), "rollout_poll_interval": 0.5}, **TIMEOUTS)}}}))
    variables = tmp_path / "vars.yml"
    variables.write_text(yaml.safe_dump({"canary_groups": [CANARY_GROUP], "poll_interval": 1}))
    venv_bin = os.path.dirname(sys.executable)
    env = {key: value for key, value in os.environ.items() if not key.startswith("SEPM_")}
    env.update({
        # ansible-rulebook from its environment; ansible-playbook and ansible-galaxy from this one.
        "PATH": os.pathsep.join([str(ansible_rulebook().parent), venv_bin, env.get("PATH", "")]),
        "ANSIBLE_COLLECTIONS_PATH": str(collections_root()), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "0",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "SEPM_HOST": emulator.host, "SEPM_PORT": str(emulator.port), "SEPM_USERNAME": emulator.username,
        "SEPM_PASSWORD": emulator.password, "SEPM_CA_PATH": str(emulator.ca_path),
    })
    log_path = tmp_path / "ansible-rulebook.log"
    command = [str(ansible_rulebook()), "-r", "endpoint_ops.sepm.patch_arrival", "-i", str(inventory),
               "--vars", str(variables), "--print-events"]
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                   start_new_session=True)
    try:
        # The source's first poll records the packages the SEPM had (no canary for those); then a patch arrives.
        wait_for("the source's first poll", lambda: polls(emulator) >= 2, process, log_path)
        emulator.control("POST", "console/download_patch", {"version": PATCH})
        paths = wait_for("the canary's report", lambda: glob.glob(str(reports / "rollout-*.json")), process, log_path)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    assert len(paths) == 1, paths
    with open(paths[0], encoding="utf-8") as handle:
        report = json.load(handle)
    assert (report["run"]["target_version"], report["run"]["serial"]) == (PATCH, [1])
    assert {name: host["state"] for name, host in report["hosts"].items()} == {canary: "patched"}
    assert api.computer(canary)["agentVersion"] == PATCH
    restarted = {event["computer"] for event in emulator.events()["events"] if event["kind"] == "restart_begin"}
    assert restarted == {canary}
    assert len(os.listdir(tmp_path / "state" / "endpoint_ops.sepm")) == 1
    assert emulator.password not in log_path.read_text()
