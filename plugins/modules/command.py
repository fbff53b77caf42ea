#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: command
short_description: Send an update-content or restart command to SEPM computers or groups, wait for it, or cancel it
version_added: 0.1.0
description:
  - Sends one SEPM command (C(updatecontent) or C(restart)) to many computers or groups, and
    optionally waits until every computer reaches a final state, reading the status a page at
    a time (not one request per computer).
  - The targets go into the request's URL, which the SEPM's web server limits (O(max_request_bytes),
    8192 bytes, about 220 computers or groups a request). A longer list is sent in as many requests
    as it takes, each of which the SEPM queues as a command of its own; the module returns all their ids
    in RV(command_ids), and M(endpoint_ops.sepm.command_info), O(command=cancel) and O(wait) take them
    as one command.
  - Cancels a command with O(command=cancel).
  - A command is an action, not a state. To make a second run change nothing, narrow the
    targets with O(only_reboot_required) or O(skip_version); a run left with no target
    sends nothing and reports no change.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes
options:
  command:
    description:
      - V(updatecontent) runs LiveUpdate on the clients (they take a client patch when their
        LiveUpdate policy allows it); V(restart) restarts them; V(cancel) cancels O(command_id).
    type: str
    choices: [updatecontent, restart, cancel]
    required: true
  computers:
    description:
      - Names of the computers to send the command to (at most 255 characters each).
      - A computer named twice, or in two letter cases, gets the command once; so does a computer
        that is also a direct member of a group in O(groups) (the group's command reaches it).
    type: list
    elements: str
    default: []
  ids:
    description:
      - Ids of the computers to send the command to (32 hexadecimal characters each).
    type: list
    elements: str
    default: []
  groups:
    description:
      - Full paths of groups whose computers get the command (filters do not apply to groups).
      - Every group must exist; a missing one fails the task before any command is sent.
    type: list
    elements: str
    default: []
  only_reboot_required:
    description:
      - With O(command=restart), send it only to the named computers that wait for a restart.
    type: bool
    default: false
  skip_version:
    description:
      - Leave out named computers whose agent version is already this one or newer.
      - A SEP version such as C(14.3.10148.9100); anything else fails the task before any command is sent.
    type: str
  prompt:
    description:
      - With O(command=restart), let the user postpone the restart (C(prompt)) instead of restarting without asking.
    type: bool
    default: false
  schedule:
    description:
      - With O(command=restart), restart V(now) or V(later) (at the client's restart schedule).
    type: str
    choices: [now, later]
    default: now
  user_message:
    description:
      - With O(command=restart), the message shown to the user.
    type: str
    default: ''
  command_id:
    description:
      - The command to cancel, with O(command=cancel) - the SEPM's command ids (32 hexadecimal characters
        each), for example RV(command_ids.computers) of the task that sent it; a comma-separated string works too.
      - Every id is cancelled whose command still has a computer that is not final.
    type: list
    elements: str
  wait:
    description:
      - Wait until every computer reaches a final state (completed, rejected, cancelled or error).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait). The module fails when the command is not final by then.
      - From 1 to 86400 (a day); checked before any command is sent.
    type: int
    default: 1800
  poll_interval:
    description:
      - Seconds between status reads while waiting, from 1 to 3600; checked before any command is sent.
    type: int
    default: 15
'''

EXAMPLES = r'''
- name: Run LiveUpdate on the canary and wait for it
  endpoint_ops.sepm.command:
    command: updatecontent
    computers: [SQL-01-N1]
    skip_version: 14.3.10148.9100
    wait: true
    wait_timeout: 3600

- name: Restart the canary if the patch waits for a restart
  endpoint_ops.sepm.command:
    command: restart
    computers: [SQL-01-N1]
    only_reboot_required: true
    user_message: Symantec client patch, restart within the maintenance window
    wait: true

- name: Restart 1,000 computers (several requests, one command to wait for)
  endpoint_ops.sepm.command:
    command: restart
    computers: "{{ groups['wave_1'] }}"
    only_reboot_required: true
  register: sent

- name: Cancel it (every id it took)
  endpoint_ops.sepm.command:
    command: cancel
    command_id: "{{ sent.command_ids.computers }}"
'''

RETURN = r'''
command_ids:
  description:
    - Ids of the commands the SEPM queued, per kind of target, in the order sent - one per request, as many
      as the targets took (O(max_request_bytes)). Together they are the one command that O(wait),
      M(endpoint_ops.sepm.command_info) and O(command=cancel) follow.
  returned: when a command was sent
  type: dict
  contains:
    computers:
      description: The ids of the requests that named computers.
      type: list
      elements: str
      returned: when computers were targeted
    groups:
      description: The ids of the requests that named groups.
      type: list
      elements: str
      returned: when groups were targeted
  sample: {"computers": ["1CA9D4F37DD94CA88A9D93D09402E3D3", "0F6A1D2C3B4E5F60718293A4B5C6D7E8"]}
targets:
  description: Names of the computers the command was sent to (group targets are not expanded).
  returned: success
  type: list
  elements: str
computers:
  description: With O(wait) (or on cancel), each computer's state.
  returned: when waited or cancelled
  type: list
  elements: dict
  contains:
    computer:
      description: Computer name.
      type: str
    state:
      description: INITIAL, RECEIVED, IN_PROGRESS, COMPLETED, REJECTED, CANCELLED or ERROR.
      type: str
    sub_state:
      description: The sub-state by name, for example C(Restart command not allowed).
      type: str
polls:
  description:
    - With O(wait), how many times the status was read. A read is one request per 1000 computers of each
      command id not finished yet.
  returned: when waited
  type: int
  sample: 4
counts:
  description: With O(wait), the number of computers in each state, and whether all are final.
  returned: when waited
  type: dict
  sample: {"total": 2, "by_state": {"COMPLETED": 2}, "done": true}
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.commands import (
    cancel_command,
    read_command,
    read_named_command,
    summarize_rows,
    wait_for_command,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import (
    COMPUTER_NAME_MAX,
    check_command_ids,
    check_group_paths,
    check_guids,
    check_names,
    check_range,
    check_version,
    unique,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.targets import group_named, resolve_computers
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import is_below

WAIT_TIMEOUT_MAX = 86400
POLL_INTERVAL_MAX = 3600


def checked_options(params):
    """Every option checked and normalized before the first SEPM call; one line naming the option otherwise."""
    checked = dict(params)
    checked["wait_timeout"] = check_range("wait_timeout", params["wait_timeout"], 1, WAIT_TIMEOUT_MAX, "seconds")
    checked["poll_interval"] = check_range("poll_interval", params["poll_interval"], 1, POLL_INTERVAL_MAX, "seconds")
    checked["skip_version"] = check_version("skip_version", params["skip_version"])
    checked["computers"] = check_names("computers", params["computers"], COMPUTER_NAME_MAX)
    checked["ids"] = check_guids("ids", params["ids"])
    checked["groups"] = check_group_paths("groups", params["groups"])
    if params["command"] == "cancel":
        checked["command_id"] = check_command_ids("command_id", params["command_id"])
    elif not (params["computers"] or params["ids"] or params["groups"]):
        raise SepmInputError("name the targets with computers, ids or groups")
    return checked


def cancel(module, params):
    client = module.client
    command_ids = params["command_id"]
    rows = read_named_command(client, command_ids)
    pending = [row for row in rows if not row["final"]]
    result = module.change({"pending": len(pending)}, {"pending": 0}, lambda: cancel_command(client, command_ids))
    if pending and not module.check_mode:
        rows = read_command(client, command_ids)
    result.update(computers=rows, counts=summarize_rows(rows))
    return result


def chosen_computers(module, params, groups):
    """The named computers, each once, without those a group target already reaches."""
    computers = resolve_computers(module.client, params["computers"], params["ids"])
    group_ids = {group["id"] for group in groups}
    computers = [c for c in computers if c["group_id"] not in group_ids]
    if params["only_reboot_required"] and params["command"] == "restart":
        computers = [c for c in computers if c["reboot_required"]]
    if params["skip_version"]:
        computers = [c for c in computers if is_below(c["agent_version"], params["skip_version"])]
    return computers


def send(module, params):
    client = module.client
    groups = unique((group_named(client, "groups", path) for path in params["groups"]), key=lambda group: group["id"])
    computers = chosen_computers(module, params, groups)
    body = None
    if params["command"] == "restart":
        body = {"prompt_type": "prompt" if params["prompt"] else "no_prompt",
                "schedule_type": params["schedule"], "message": params["user_message"]}
    targets = [c["name"] for c in computers] + [g["fullPathName"] for g in groups]
    sent = {}

    def apply():
        sent.update(client.send_command(params["command"], computer_ids=[c["id"] for c in computers],
                                        group_ids=[g["id"] for g in groups], body=body))

    result = module.change({"sent_to": []}, {"sent_to": targets}, apply)
    result.update(targets=targets, command_ids=sent)
    command_ids = [command_id for ids in sent.values() for command_id in ids]
    if params["wait"] and command_ids:
        rows, timed_out, polls = wait_for_command(client, command_ids, params["wait_timeout"], params["poll_interval"])
        counts = summarize_rows(rows)
        result.update(computers=rows, counts=counts, polls=polls)
        if timed_out:
            module.fail_json(msg="the %s command did not finish within %ss: %s" % (
                params["command"], params["wait_timeout"], counts["by_state"]), **result)
    return result


def run_command(module):
    params = checked_options(module.params)
    if params["command"] == "cancel":
        return cancel(module, params)
    return send(module, params)


def main():
    module = SepmModule(
        argument_spec_extra=dict(
            command=dict(type="str", choices=["updatecontent", "restart", "cancel"], required=True),
            computers=dict(type="list", elements="str", default=[]),
            ids=dict(type="list", elements="str", default=[]),
            groups=dict(type="list", elements="str", default=[]),
            only_reboot_required=dict(type="bool", default=False),
            skip_version=dict(type="str"),
            prompt=dict(type="bool", default=False),
            schedule=dict(type="str", choices=["now", "later"], default="now"),
            user_message=dict(type="str", default=""),
            command_id=dict(type="list", elements="str"),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=1800),
            poll_interval=dict(type="int", default=15),
        ),
        supports_check_mode=True,
        required_if=[("command", "cancel", ["command_id"])],
    )
    module.run(run_command)


if __name__ == "__main__":
    main()
