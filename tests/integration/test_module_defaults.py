# -*- coding: utf-8 -*-
"""A play sets the SEPM connection once, with module_defaults for the action group
group/endpoint_ops.sepm.sepm, and every module of the collection takes it from there.

Runs with the newest core and with each older core whose virtual environment scripts/test.sh
names in SEPM_OLDER_CORE_VENVS (make test builds .venv-core2.15), since action groups in
meta/runtime.yml are read by each core's own code.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.integration.ansible_runner import PlaybookRunner, ansible_bins_of_each_core

PLAYBOOK = """
- name: Connection set once for the whole play
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/endpoint_ops.sepm.sepm:
      sepm_host: {host}
      sepm_port: {port}
      sepm_username: {username}
      sepm_password: {password}
      ca_path: {ca_path}
  tasks:
    - name: Log in once
      endpoint_ops.sepm.login:
      register: session

    - name: Read the SEPM version
      endpoint_ops.sepm.version_info:
      register: version

    - name: Count the fleet with the shared token
      endpoint_ops.sepm.computer_info:
        sepm_token: "{{{{ session.token }}}}"
        summary_only: true
      register: fleet

    - name: Say what the play saw
      ansible.builtin.debug:
        msg: "RESULT {{{{ {{'version': version.version, 'total': fleet.counts.total}} | to_json }}}}"
"""


@pytest.mark.parametrize("ansible_playbook", [pytest.param(path, id=core) for core, path in ansible_bins_of_each_core("ansible-playbook")])
def test_module_defaults_for_the_action_group_carry_the_connection(emulator, tmp_path, ansible_playbook):
    runner = PlaybookRunner(emulator, tmp_path)
    text = PLAYBOOK.format(host=emulator.host, port=emulator.port, username=emulator.username,
                           password=json.dumps(emulator.password), ca_path=emulator.ca_path)
    # No SEPM_* variables: only module_defaults can tell the modules where the SEPM is.
    command, env, _records = runner._prepare(text, (), None, False, None)  # pylint: disable=protected-access
    command[0] = ansible_playbook
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert not any(key.startswith("SEPM_") for key in env)
    line = next(line for line in done.stdout.splitlines() if "RESULT " in line)
    seen = json.loads(line.split("RESULT ", 1)[1].rstrip('"').replace('\\"', '"'))
    assert seen["version"] and seen["total"] > 0
    assert emulator.password not in done.stdout
