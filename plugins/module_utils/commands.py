# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""SEPM commands: state names, per-computer rows, and waiting until every computer is done."""

from __future__ import annotations

import time

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmNotFoundError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError

STATES = {0: "INITIAL", 1: "RECEIVED", 2: "IN_PROGRESS", 3: "COMPLETED", 4: "REJECTED", 5: "CANCELLED", 6: "ERROR"}
FINAL_STATES = frozenset((3, 4, 5, 6))
# From the vendor's "state and substate values" article; the SEPM's own subStateDesc wins when it sends one.
SUB_STATES = {
    0: "Success",
    5: "Restart command not allowed",
    100: "Success",
    120: "LiveUpdate download in progress",
    121: "LiveUpdate download failed",
}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def command_row(row):
    """One computer's row of a command status page, with its state by name."""
    state_id = _int(row.get("stateId"))
    sub_state_id = _int(row.get("subStateId"))
    return {
        "computer_id": row.get("computerId"),
        "computer": row.get("computerName"),
        "hardware_key": row.get("hardwareKey"),
        "state_id": state_id,
        "state": STATES.get(state_id, "UNKNOWN"),
        "sub_state_id": sub_state_id,
        "sub_state": row.get("subStateDesc") or SUB_STATES.get(sub_state_id, ""),
        "final": state_id in FINAL_STATES,
        "begin_time": row.get("beginTime"),
        "last_update_time": row.get("lastUpdateTime"),
    }


def read_command(client, command_id):
    return [command_row(row) for row in client.command_status(command_id)]


def read_named_command(client, command_id, option="command_id"):
    """The rows of a command a user named; an id the SEPM does not know is an error naming the option."""
    try:
        return read_command(client, command_id)
    except SepmNotFoundError:
        raise SepmInputError("%s: the SEPM has no command %s (an id from endpoint_ops.sepm.command's command_ids, "
                             "or the console's Command Status)" % (option, command_id)) from None


def summarize_rows(rows):
    by_state = {}
    for row in rows:
        by_state[row["state"]] = by_state.get(row["state"], 0) + 1
    return {"total": len(rows), "by_state": by_state, "done": bool(rows) and all(row["final"] for row in rows)}


def wait_for_command(client, command_id, timeout, poll_interval, sleep=time.sleep, clock=time.monotonic):
    """Poll a command (one paged read per poll) until every computer is final or ``timeout`` passes.

    Returns ``(rows, timed_out, polls)``.
    """
    deadline = clock() + timeout
    polls = 0
    while True:
        rows = read_command(client, command_id)
        polls += 1
        if summarize_rows(rows)["done"]:
            return rows, False, polls
        remaining = deadline - clock()
        if remaining <= 0:
            return rows, True, polls
        sleep(min(poll_interval, remaining))
